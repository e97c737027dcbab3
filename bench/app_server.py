"""The app served for a browser benchmark: ``streamlit run app.py`` on a free localhost port.

A fresh ``HCCDASH_HOME`` each time, the sample cohort imported (and its shipped
features loaded) on first start, the server's log kept in that folder.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(PROJECT), str(PROJECT / "tests" / "e2e")]

from e2e_servers import running_server  # noqa: E402


@contextlib.contextmanager
def serve_app(prefix: str, prepare: Callable[[str], None] | None = None) -> Iterator[str]:
    """Start the app on the sample cohort, or on what ``prepare(home)`` stores in its fresh data
    folder (then without the sample); yields its URL and stops it afterwards."""
    home = tempfile.mkdtemp(prefix=f"hccdash-{prefix}-")
    if prepare is None:
        subprocess.run([sys.executable, "-m", "hccdash.sample", "--if-missing"], cwd=PROJECT, check=True)
    else:
        prepare(home)
    with running_server(Path(home), env=None if prepare is None else {"HCCDASH_SAMPLE": "0"}) as url:
        yield url
