"""Fixtures of the extraction tests (helpers live in extraction_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hccdash.extraction.params import ExtractionSpec

from extraction_helpers import TINY_PARAMS


@pytest.fixture
def pyrad_data(reference) -> Path:
    """pyradiomics' test images and masks."""
    return reference / "pyradiomics" / "data"


@pytest.fixture
def tiny_spec() -> ExtractionSpec:
    """A fast spec: first-order features of the original image."""
    return ExtractionSpec.from_dict({"params": TINY_PARAMS})
