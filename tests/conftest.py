"""Every test runs with its own empty HCCDASH_HOME."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

# shared/ sits beside the clone (here and in CI): <clone>/../shared/reference
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"


@pytest.fixture(autouse=True)
def hccdash_home(tmp_path, monkeypatch) -> Iterator[Path]:
    """A fresh, empty data directory for the test."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HCCDASH_HOME", str(home))
    monkeypatch.setenv("HCCDASH_SAMPLE", "0")  # no sample import on app start (opt in per test)
    yield home
    from hccdash.store import close_idle

    close_idle()  # no shared connection outlives its test's store


@pytest.fixture
def reference() -> Path:
    """The shared public reference data (../shared/reference)."""
    return REFERENCE
