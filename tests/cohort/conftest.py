"""Fixtures of the cohort tests (builders live in cohort_data.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cohort_data import make_cohort

from hccdash.store import Store


@pytest.fixture
def tiny(tmp_path) -> dict[str, Path]:
    """A 24-patient cohort with 2 phases and 4 repeat masks."""
    return make_cohort(tmp_path / "tiny")


@pytest.fixture
def store() -> Store:
    return Store()
