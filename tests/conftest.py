"""Every test runs with its own empty HCCDASH_HOME."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

# shared/ sits beside the clone (here and in CI): <clone>/../shared/reference
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"


@pytest.fixture(scope="session", autouse=True)
def config_home(tmp_path_factory) -> Iterator[Path]:
    """The user's configuration folder (XDG_CONFIG_HOME: the artifact signing key) for the whole
    session, never the real one."""
    folder = tmp_path_factory.mktemp("config")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CONFIG_HOME", str(folder))
        yield folder


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


@pytest.fixture
def no_hang():
    """A read that blocks in Python (a FIFO, /dev/zero) fails the test after 120 s instead of hanging the suite."""

    def fail(signum, frame):
        raise TimeoutError("blocked reading a file for 120 s")

    previous = signal.signal(signal.SIGALRM, fail)
    signal.alarm(120)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def strange_files(tmp_path) -> dict[str, Path]:
    """In ``tmp_path``: a FIFO ``pipe.nii.gz``, a link to /dev/zero ``zero.nii.gz`` and a link loop ``loop.nii.gz``."""
    files = {"fifo": tmp_path / "pipe.nii.gz", "zero": tmp_path / "zero.nii.gz", "loop": tmp_path / "loop.nii.gz"}
    os.mkfifo(files["fifo"])
    files["zero"].symlink_to("/dev/zero")
    files["loop"].symlink_to(tmp_path / "loop_back.nii.gz")
    (tmp_path / "loop_back.nii.gz").symlink_to(files["loop"])
    return files


@pytest.fixture
def full_store(hccdash_home) -> Path:
    """The path of a store whose cohorts table (read by ``cohorts`` and every page) fills most of the file,
    checkpointed and closed: ready to be damaged."""
    from hccdash.store import Store, close_idle

    store = Store()
    store.execute("INSERT INTO cohorts SELECT 'c' || range, now(), NULL, md5(range::TEXT), 'months', '{}', NULL, "
                  "NULL, 1, 0 FROM range(200000)")
    store.checkpoint()
    close_idle()
    return store.path


@pytest.fixture
def shown_charts(monkeypatch) -> list[dict]:
    """The keyword arguments of every ``altair_chart`` or ``vega_lite_chart`` call of the pages run
    in this test (as ``st.altair_chart`` or on a container): how each chart is put on screen."""
    import streamlit
    from streamlit.delta_generator import DeltaGenerator

    calls: list[dict] = []
    for name in ("altair_chart", "vega_lite_chart"):
        original = getattr(DeltaGenerator, name)

        def spy(self, chart, *args, _original=original, **kwargs):
            calls.append(kwargs)
            return _original(self, chart, *args, **kwargs)

        monkeypatch.setattr(DeltaGenerator, name, spy)
        monkeypatch.setattr(streamlit, name, lambda *a, _spy=spy, **k: _spy(streamlit._main, *a, **k))
    return calls
