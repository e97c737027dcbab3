"""The app served for a browser benchmark: ``streamlit run app.py`` on a free localhost port.

A fresh ``HCCDASH_HOME`` each time, the sample cohort imported (and its shipped
features loaded) on first start, the server's log kept in that folder.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from tests.e2e.conftest import _free_port, _wait_until_up  # noqa: E402


@contextlib.contextmanager
def serve_app(prefix: str, prepare: Callable[[str], None] | None = None) -> Iterator[str]:
    """Start the app on the sample cohort, or on what ``prepare(home)`` stores in its fresh data
    folder (then without the sample); yields its URL and stops it afterwards."""
    home = tempfile.mkdtemp(prefix=f"hccdash-{prefix}-")
    if prepare is None:
        subprocess.run([sys.executable, "-m", "hccdash.sample", "--if-missing"], cwd=PROJECT, check=True)
    else:
        prepare(home)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, HCCDASH_HOME=home, HCCDASH_SAMPLE="1" if prepare is None else "0")
    with open(Path(home) / "streamlit.log", "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_until_up(url, server)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:  # still inside a long fit
                server.kill()
                server.wait()
