"""Starting the app for the end-to-end tests: ``streamlit run app.py`` or ``python serve.py``
on a free port, over a given HCCDASH_HOME."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"streamlit did not answer at {url}")


@contextmanager
def running_server(home: Path, *, launcher: bool = False, env: dict[str, str] | None = None,
                   script: str = "app.py") -> Iterator[str]:
    """A fresh server over ``home`` (sample cohort on), started as ``streamlit run app.py`` (or
    another ``script``, with the project's Streamlit configuration) or, with ``launcher``, as
    ``python serve.py`` (what ``make run`` does); yields its address. Its log is ``home/streamlit.log``."""
    port = _free_port()
    command = [sys.executable, "serve.py"] if launcher else [sys.executable, "-m", "streamlit", "run", script]
    environment = {**os.environ, "HCCDASH_HOME": str(home), "HCCDASH_SAMPLE": "1", **(env or {})}
    log = open(home / "streamlit.log", "w")
    process = subprocess.Popen(
        [*command, "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=PROJECT, env=environment, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:  # still inside a long fit
            process.kill()
            process.wait()
        log.close()
