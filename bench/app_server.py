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


def server_cpu() -> float:
    """CPU seconds (user + system) used so far by the app's server, the ``streamlit run`` child of
    this process, and its own children (the joblib workers of a LASSO cross-validation)."""
    return _children_cpu(lambda cmdline: b"streamlit" in cmdline)


def browser_cpu() -> float:
    """CPU seconds used so far by the browser this process drives: Playwright's driver and the
    headless Chromium it started (all its processes)."""
    return _children_cpu(lambda cmdline: b"playwright" in cmdline)


def _children_cpu(chosen: Callable[[bytes], bool]) -> float:
    """CPU seconds of this process's children whose command line is ``chosen``, with their descendants
    (user + system, and those of their ended children: a closed browser tab's process)."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents, used = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            pid = int(stat.parent.name)
            if int(fields[1]) == os.getpid() and not chosen((stat.parent / "cmdline").read_bytes()):
                continue  # this process's other children
            parents[pid], used[pid] = int(fields[1]), sum(map(int, fields[11:15])) / ticks  # + ended children's
        except (OSError, IndexError, ValueError):  # a process that ended meanwhile
            continue
    tree = {pid for pid, parent in parents.items() if parent == os.getpid()}
    if not tree:
        raise RuntimeError("no such process among this process's children")
    while grown := {pid for pid, parent in parents.items() if parent in tree} - tree:
        tree |= grown
    return sum(used[pid] for pid in tree)
