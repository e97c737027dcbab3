"""Kills: ``kill -9`` of ``extract`` ends its loky workers (they computed on, then idled for the pool's
idle timeout); a worker the system kills (out of memory) fails its case, and the run goes on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from hccdash import paths
from hccdash.extraction.engine import cases_from_images, expected_cost, run_extraction
from hccdash.leftovers import RUNNING_PREFIX
from hccdash.store import Store

from extraction_helpers import with_hashes, write_variants

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


class OomKiller(threading.Thread):
    """Plays the system's out-of-memory killer: SIGKILL to every worker that starts the case ``case_key``
    (found by the marker that worker leaves in this process's running folder)."""

    def __init__(self, case_key: str):
        super().__init__(daemon=True)
        self.case_key, self.killed, self.stop = case_key, set(), threading.Event()

    def run(self) -> None:
        pattern = f"{RUNNING_PREFIX}{os.getpid()}-*/{self.case_key}"
        while not self.stop.is_set():
            for marker in Path(tempfile.gettempdir()).glob(pattern):
                try:
                    pid = int(marker.read_text())
                    if pid not in self.killed:
                        os.kill(pid, signal.SIGKILL)
                        self.killed.add(pid)
                except (OSError, ValueError):  # the marker is gone, or not yet written
                    pass
            time.sleep(0.01)


def test_a_case_whose_worker_the_system_kills_is_recorded_failed_and_the_run_goes_on(pyrad_data, tmp_path, tiny_spec):
    frame = pd.concat([write_variants(pyrad_data, tmp_path / "img", 5),
                       write_variants(pyrad_data, tmp_path / "big", 1, case="brain1").assign(patient_id="BIG")])
    cases = cases_from_images(with_hashes(frame), tiny_spec)
    victim = max(cases, key=expected_cost)  # handed out first, to a fresh worker: it runs long enough to be seen
    killer = OomKiller(victim.case_key)
    killer.start()
    try:
        summary = run_extraction(cases, tiny_spec, n_jobs=2)
    finally:
        killer.stop.set()
        killer.join()
    assert len(killer.killed) == 2  # in the pool, then alone
    assert (summary.n_total, summary.n_computed, summary.n_failed) == (6, 6, 1)
    stored = Store().query("SELECT case_key, status, error FROM cases").set_index("case_key")
    assert (stored.drop(victim.case_key)["status"] == "done").all()
    assert stored.at[victim.case_key, "status"] == "failed"
    assert stored.at[victim.case_key, "error"].startswith(
        f"The worker process extracting the image {victim.image_path} with the mask {victim.mask_path} was ended by "
        "the system (exit SIGKILL(-9)), twice, the second time while it ran alone: most likely out of memory."
    )
    rerun = run_extraction(cases, tiny_spec, n_jobs=2)  # the case is not tried again: the rerun does not die on it
    assert (rerun.n_computed, rerun.n_failed) == (0, 1)
