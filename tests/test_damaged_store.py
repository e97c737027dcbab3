"""A damaged store file (bytes overwritten in the middle, or cut short) is named, with what to do,
by the command line (exit code 2) and on every page, instead of a raw DuckDB traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from hccdash.display import as_text
from hccdash.paths import PROJECT_DIR

WHAT_TO_DO = ("it is damaged or not a DuckDB file. Restore it from a backup, or move it aside to start an empty "
              "store (extracted features are recoverable from the per-case files in cache/)")


@pytest.fixture(params=["overwritten", "cut short"])
def damaged_store(request, full_store):
    """The middle third of the store overwritten, or the store cut to its first third."""
    data = bytearray(full_store.read_bytes())
    third = len(data) // 3
    if request.param == "overwritten":
        data[third : 2 * third] = b"\xab" * third
    else:
        del data[third:]
    full_store.write_bytes(bytes(data))
    return full_store


def test_the_command_line_names_the_damaged_store_and_what_to_do(damaged_store):
    run = subprocess.run([sys.executable, "-m", "hccdash", "cohorts"], capture_output=True, text=True,
                         cwd=PROJECT_DIR, timeout=120)
    assert run.returncode == 2
    assert run.stderr.startswith(f"error: The store {damaged_store} cannot be opened or read (")
    assert WHAT_TO_DO in run.stderr and "Traceback" not in run.stderr


def test_the_app_frame_names_the_damaged_store_and_what_to_do(damaged_store):
    """app.py runs every page inside :func:`~hccdash.display.store_errors_shown` (pages on their own
    addresses too, since they rerun inside the frame: see the browser test)."""
    at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=120).run()
    assert not at.exception
    assert [e.value for e in at.error] == [as_text(_message(damaged_store, at.error[0].value))]
    assert as_text(WHAT_TO_DO) in at.error[0].value


def _message(path, shown: str) -> str:
    """The message as written (``shown`` without its Markdown escapes), checked to name ``path``."""
    text = shown.replace("\\", "")
    assert text.startswith(f"The store {path} cannot be opened or read ("), text
    return text


def test_text_is_escaped_for_markdown():
    assert as_text("/data/my_study_[2024]/*x*.duckdb: a-b") == r"/data/my_study\_\[2024\]/\*x\*.duckdb: a-b"
