"""``kill -9`` of ``extract``: its loky workers end with it (they computed on, then idled for the
pool's idle timeout), and what the killed run left behind is cleaned at the next start."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from hccdash import paths

from extraction_helpers import write_variants

GONE_WITHIN_SECONDS = 10


def _processes() -> dict[int, tuple[int, str, str]]:
    """pid -> (parent pid, state, command line) of every process."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:  # ended meanwhile
                continue
            state, ppid = stat.rsplit(")", 1)[1].split()[:2]
            found[int(entry.name)] = (int(ppid), state, cmdline)
    return found


def _workers(parent: int) -> list[int]:
    return [pid for pid, (ppid, _, cmd) in _processes().items() if ppid == parent and "loky" in cmd and "popen" in cmd]


def _alive(pids: list[int]) -> list[int]:
    states = _processes()
    return [pid for pid in pids if pid in states and states[pid][1] != "Z"]


@pytest.mark.slow
def test_killing_extract_ends_its_workers_within_seconds(pyrad_data, tmp_path):
    frame = write_variants(pyrad_data, tmp_path / "img", 8, case="brain1")
    manifest = tmp_path / "manifest.csv"
    frame.to_csv(manifest, index=False)
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump({"imageType": {"Original": {}, "LoG": {"sigma": [1.0, 2.0, 3.0]}},
                                      "featureClass": {"firstorder": [], "glcm": []}, "setting": {"binWidth": 25}}))
    process = subprocess.Popen([sys.executable, "-m", "hccdash", "extract", "--manifest", str(manifest), "--params",
                                str(params), "--jobs", "2", "--out", str(tmp_path / "o.csv")],
                               stderr=subprocess.DEVNULL)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 180
        while (len(workers) < 2 or not any(paths.cache_dir().glob("*.json"))) and time.monotonic() < deadline:
            workers = _workers(process.pid)
            time.sleep(0.1)
        assert len(workers) == 2 and process.poll() is None, "no two workers busy extracting"
        process.send_signal(signal.SIGKILL)
        process.wait()
        killed_at = time.monotonic()
        while _alive(workers) and time.monotonic() - killed_at < GONE_WITHIN_SECONDS:
            time.sleep(0.1)
        assert _alive(workers) == [], f"workers still running {GONE_WITHIN_SECONDS} s after their parent was killed"
    finally:
        process.kill()
        for pid in _alive(workers):  # a failing run leaves no stray process behind
            os.kill(pid, signal.SIGKILL)
