"""Background jobs: start, progress, cancel, and resume after the job process was killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta

import pytest

from hccdash import jobs, paths
from hccdash.extraction.job import start_extraction
from hccdash.extraction.matrices import cohort_cases, feature_matrix
from hccdash.extraction.params import ExtractionSpec
from hccdash.store import Store

from extraction_helpers import store_images, write_variants

SLOW_SPEC = ExtractionSpec.from_dict({"params": {"imageType": {"Original": {}}, "setting": {"binWidth": 25}}})


def _wait(job_id: str, until, timeout: float = 120.0) -> jobs.JobStatus:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = jobs.job_status(job_id)
        if until(status):
            return status
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} stuck at {jobs.job_status(job_id)}; log: {status.log_path.read_text()[-2000:]}")


def _case_files() -> int:
    return sum(1 for p in paths.cache_dir().glob("*.json") if p.name != "file_hashes.json")


def test_job_extracts_a_cohort_in_the_background(pyrad_data, tmp_path, tiny_spec):
    store_images(write_variants(pyrad_data, tmp_path / "img", 3))
    job_id = start_extraction("test", tiny_spec, n_jobs=1)
    done = _wait(job_id, lambda s: not s.active)
    assert done.status == "done", done.log_path.read_text()
    assert (done.n_total, done.n_done, done.n_failed, done.n_remaining, done.fraction) == (3, 3, 0, 0, 1.0)
    assert done.result["n_computed"] == 3 and done.per_minute > 0
    assert feature_matrix("test", tiny_spec).shape[0] == 3
    assert [j.job_id for j in jobs.list_jobs(kind="extraction")] == [job_id]
    assert done.spec["n_jobs"] == 1 and "_job_module" not in done.spec


@pytest.mark.slow
def test_cancel_stops_cleanly_and_a_new_run_finishes_the_rest(pyrad_data, tmp_path):
    store_images(write_variants(pyrad_data, tmp_path / "img", 6, case="brain1"))
    job_id = start_extraction("test", SLOW_SPEC, n_jobs=1)
    _wait(job_id, lambda s: s.status == "running" and s.n_total == 6)
    assert jobs.cancel_job(job_id)
    cancelled = _wait(job_id, lambda s: not s.active)
    assert cancelled.status == "cancelled"
    assert 0 < cancelled.n_done < 6
    assert not jobs.cancel_job(job_id)  # no longer active
    again = _wait(start_extraction("test", SLOW_SPEC, n_jobs=1), lambda s: not s.active)
    assert again.status == "done" and again.n_done == 6
    assert again.result["n_cached"] + again.result["n_recovered"] == cancelled.n_done
    assert (cohort_cases("test", SLOW_SPEC)["status"] == "done").all()


@pytest.mark.slow
def test_killed_job_is_resumed_without_loss_or_duplicates(pyrad_data, tmp_path):
    store_images(write_variants(pyrad_data, tmp_path / "img", 6, case="brain1"))
    job_id = start_extraction("test", SLOW_SPEC, n_jobs=1)
    running = _wait(job_id, lambda s: s.status == "running" and _case_files() >= 1)  # mid-run
    os.killpg(running.pid, signal.SIGKILL)
    _wait(job_id, lambda s: not jobs.process_alive(s.pid, job_id))
    assert jobs.job_status(job_id).status == "running"  # stale: its process is gone
    assert jobs.resume_stale_jobs() == [job_id]
    assert jobs.resume_stale_jobs() == []  # the relaunched process is alive (or being launched)
    finished = _wait(job_id, lambda s: not s.active)
    assert finished.status == "done" and finished.n_done == 6
    counts = Store().query("SELECT case_key, count(*) AS n FROM features GROUP BY case_key")
    assert len(counts) == 6 and counts["n"].nunique() == 1
    assert Store().query("SELECT count(*) AS n FROM cases")["n"].iloc[0] == 6


def test_rate_and_eta_from_progress():
    start = datetime(2026, 1, 1, 12, 0, 0)
    status = jobs.JobStatus(
        job_id="x", kind="extraction", cohort=None, status="running", spec={}, pid=None,
        n_total=100, n_done=35, n_failed=5, message=None, result={"progress_base": 10},
        created_at=start, started_at=start, updated_at=start + timedelta(minutes=2), finished_at=None,
    )
    assert status.per_minute == pytest.approx((40 - 10) / 2)
    assert status.eta_seconds == pytest.approx(60 * 60 / 15)
    assert status.fraction == pytest.approx(0.4) and status.n_remaining == 60


def test_unknown_kind_and_bad_options_are_refused(tiny_spec):
    with pytest.raises(ValueError, match="Unknown job kind 'nope'"):
        jobs.start_job("nope", {})
    with pytest.raises(ValueError, match="tcp://host:port"):
        start_extraction("test", tiny_spec, scheduler="localhost:8786")
    with pytest.raises(ValueError, match="No job with id"):
        jobs.job_status("missing")


def test_dead_cancelling_job_is_closed_and_liveness_checks_the_job_id():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()  # exited and reaped: its pid is gone
    dead_pid = process.pid
    Store().execute(
        "INSERT INTO jobs (job_id, kind, spec, status, pid, created_at, updated_at) "
        "VALUES ('j1', 'extraction', '{}', 'cancelling', ?, now(), now())",
        [dead_pid],
    )
    assert not jobs.process_alive(dead_pid, "j1")
    assert not jobs.process_alive(os.getpid(), "j1")  # alive, but not running job j1
    assert jobs.resume_stale_jobs() == []
    assert jobs.job_status("j1").status == "cancelled"
