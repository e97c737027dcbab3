"""Fixtures of the deep-feature tests (helpers live in deep_helpers.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "extraction"))  # extraction_helpers.store_images

from deep_helpers import small_cnn


@pytest.fixture
def cnn_file(tmp_path) -> Path:
    """The small CNN as an ONNX file outside HCCDASH_HOME."""
    return small_cnn(tmp_path / "small.onnx")


@pytest.fixture
def small(cnn_file):
    """The small CNN registered as 'small'."""
    from hccdash.deep import register_network

    return register_network(cnn_file, "small")
