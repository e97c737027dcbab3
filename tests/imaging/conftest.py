"""Fixtures of the imaging tests: the cohort tests' builders (tests/cohort/cohort_data.py) are reused."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cohort"))


@pytest.fixture(autouse=True)
def fresh_memo():
    """No remembered arrays from another test's files."""
    from hccdash.imaging.volumes import clear_memo

    clear_memo()
    yield
    clear_memo()
