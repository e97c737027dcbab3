"""Background jobs: long work in its own process, its state in the store.

A page must not run a long job in its script thread (TRAPS.md: Streamlit threads and
process pools started inside a page misbehave). So :func:`start_job` records the job
in the ``jobs`` table and launches a detached process running it (its own session,
output to ``jobs_dir()/JOB_ID.log``): ``python -m hccdash.jobs JOB_ID``, the same as
``python -m hccdash run-job JOB_ID`` without importing every other command. The job process reports
progress to the store; any page (after a rerun, a page switch or a browser reload)
reads it back with :func:`job_status` / :func:`list_jobs`.

Statuses: ``queued`` -> ``running`` -> ``done`` | ``failed`` | ``cancelled``;
:func:`cancel_job` sets ``cancelling`` and the runner stops at its next check.
:func:`resume_stale_jobs` restarts jobs whose process died (machine restart, kill):
runners are written so that a rerun only does what is not yet stored.

Job kinds are pluggable: a module calls ``register_job_kind("extraction", runner)``
at import; the runner takes a :class:`JobContext` and returns a JSON-ready result.
The kind's module is recorded with the job, so the job process imports it itself.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from hccdash import paths
from hccdash.store import Store

HELP = "Run a background job recorded in the store (the app starts these itself)."

ACTIVE = ("queued", "running", "cancelling")
LAUNCH_GRACE_SECONDS = 30.0  # a queued job younger than this is being launched, not stale
_MODULE_KEY = "_job_module"

JobRunner = Callable[["JobContext"], dict[str, Any] | None]
_KINDS: dict[str, JobRunner] = {}
_resume_lock = threading.Lock()


def register_job_kind(kind: str, runner: JobRunner) -> None:
    """Make ``kind`` startable; ``runner(context)`` does the work and returns the job's result."""
    _KINDS[kind] = runner


@dataclass
class JobContext:
    """What a runner gets: the job's spec, progress reporting and the cancel flag."""

    job_id: str
    kind: str
    cohort: str | None
    spec: dict[str, Any]
    store: Store
    _progress_base: int | None = None

    def progress(
        self, n_total: int | None = None, n_done: int | None = None, n_failed: int | None = None, message: str | None = None
    ) -> None:
        """Record progress; the first call of this process is the base for the rate (cases/min)."""
        base = None
        if self._progress_base is None and n_done is not None:
            self._progress_base = int(n_done) + int(n_failed or 0)
            base = json.dumps({"progress_base": self._progress_base})
        self.store.execute(
            "UPDATE jobs SET n_total = coalesce(?, n_total), n_done = coalesce(?, n_done), "
            "n_failed = coalesce(?, n_failed), message = coalesce(?, message), "
            "result = coalesce(?::JSON, result), updated_at = current_timestamp WHERE job_id = ?",
            [n_total, n_done, n_failed, message, base, self.job_id],
        )

    def cancel_requested(self) -> bool:
        """True once :func:`cancel_job` was called for this job."""
        return _status_of(self.store, self.job_id) == "cancelling"


@dataclass(frozen=True)
class JobStatus:
    """One job as stored, with its progress figures."""

    job_id: str
    kind: str
    cohort: str | None
    status: str
    spec: dict[str, Any]
    pid: int | None
    n_total: int
    n_done: int
    n_failed: int
    message: str | None
    result: dict[str, Any] | None
    created_at: datetime | None
    started_at: datetime | None
    updated_at: datetime | None
    finished_at: datetime | None

    @property
    def active(self) -> bool:
        """Queued, running or cancelling."""
        return self.status in ACTIVE

    @property
    def n_remaining(self) -> int:
        """Cases neither done nor failed."""
        return max(self.n_total - self.n_done - self.n_failed, 0)

    @property
    def fraction(self) -> float:
        """Share of the work finished (done or failed), 0..1."""
        return 1.0 if self.n_total == 0 else min((self.n_done + self.n_failed) / self.n_total, 1.0)

    @property
    def per_minute(self) -> float | None:
        """Cases finished per minute by the current (or last) run of the job process."""
        if self.started_at is None or self.updated_at is None:
            return None
        minutes = (self.updated_at - self.started_at).total_seconds() / 60
        base = (self.result or {}).get("progress_base", 0)
        finished = self.n_done + self.n_failed - int(base or 0)
        if minutes <= 0 or finished <= 0:
            return None
        return finished / minutes

    @property
    def eta_seconds(self) -> float | None:
        """Seconds left at the current rate (None until a rate is known)."""
        rate = self.per_minute
        if not rate or not self.active:
            return None
        return 60 * self.n_remaining / rate

    @property
    def log_path(self) -> Path:
        """The job process's output."""
        return paths.jobs_dir() / f"{self.job_id}.log"


_COLUMNS = (
    "job_id, kind, cohort, status, spec, pid, n_total, n_done, n_failed, message, result, "
    "created_at, started_at, updated_at, finished_at"
)


def _row_to_status(row: pd.Series) -> JobStatus:
    def when(value: Any) -> datetime | None:
        return None if pd.isna(value) else pd.Timestamp(value).to_pydatetime()

    spec = {k: v for k, v in json.loads(row["spec"]).items() if k != _MODULE_KEY}
    return JobStatus(
        job_id=row["job_id"],
        kind=row["kind"],
        cohort=None if pd.isna(row["cohort"]) else row["cohort"],
        status=row["status"],
        spec=spec,
        pid=None if pd.isna(row["pid"]) else int(row["pid"]),
        n_total=int(row["n_total"]),
        n_done=int(row["n_done"]),
        n_failed=int(row["n_failed"]),
        message=None if pd.isna(row["message"]) else row["message"],
        result=None if pd.isna(row["result"]) else json.loads(row["result"]),
        created_at=when(row["created_at"]),
        started_at=when(row["started_at"]),
        updated_at=when(row["updated_at"]),
        finished_at=when(row["finished_at"]),
    )


def job_status(job_id: str, store: Store | None = None) -> JobStatus:
    """The stored state of ``job_id`` (``ValueError`` if there is no such job)."""
    frame = (store or Store()).query(f"SELECT {_COLUMNS} FROM jobs WHERE job_id = ?", [job_id])
    if frame.empty:
        raise ValueError(f"No job with id {job_id!r}")
    return _row_to_status(frame.iloc[0])


def list_jobs(kind: str | None = None, cohort: str | None = None, store: Store | None = None) -> list[JobStatus]:
    """Jobs, newest first, optionally of one kind and/or cohort."""
    frame = (store or Store()).query(
        f"SELECT {_COLUMNS} FROM jobs WHERE (? IS NULL OR kind = ?) AND (? IS NULL OR cohort = ?) "
        "ORDER BY created_at DESC, job_id DESC",
        [kind, kind, cohort, cohort],
    )
    return [_row_to_status(row) for _, row in frame.iterrows()]


def jobs_table(jobs: list[JobStatus]) -> pd.DataFrame:
    """A display table of ``jobs`` (one row each)."""
    return pd.DataFrame(
        [
            {
                "job_id": j.job_id, "kind": j.kind, "cohort": j.cohort, "status": j.status,
                "done": j.n_done, "failed": j.n_failed, "total": j.n_total,
                "created_at": j.created_at, "finished_at": j.finished_at, "message": j.message,
            }
            for j in jobs
        ],
        columns=["job_id", "kind", "cohort", "status", "done", "failed", "total", "created_at", "finished_at", "message"],
    )


def start_job(kind: str, spec: dict[str, Any], cohort: str | None = None, store: Store | None = None) -> str:
    """Record a job of a registered ``kind`` and launch its process; returns the job id."""
    if kind not in _KINDS:
        raise ValueError(f"Unknown job kind {kind!r}; registered kinds: {sorted(_KINDS)}")
    store = store or Store()
    job_id = f"{kind}-{datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
    stored = dict(spec, **{_MODULE_KEY: _KINDS[kind].__module__})
    store.execute(
        "INSERT INTO jobs (job_id, kind, cohort, spec, status, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, 'queued', current_timestamp, current_timestamp)",
        [job_id, kind, cohort, json.dumps(stored)],
    )
    _launch(store, job_id)
    return job_id


def _launch(store: Store, job_id: str) -> None:
    log = (paths.jobs_dir() / f"{job_id}.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "hccdash.jobs", job_id],  # = `python -m hccdash run-job`, minus other commands' imports
        cwd=paths.PROJECT_DIR,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    threading.Thread(target=process.wait, daemon=True).start()  # reap it, no zombie
    store.execute("UPDATE jobs SET pid = ? WHERE job_id = ? AND status = 'queued'", [process.pid, job_id])


def cancel_job(job_id: str, store: Store | None = None) -> bool:
    """Ask an active job to stop; True if it was active."""
    store = store or Store()
    with store.transaction() as con:
        changed = con.execute(
            "UPDATE jobs SET status = 'cancelling', updated_at = current_timestamp "
            "WHERE job_id = ? AND status IN ('queued', 'running')",
            [job_id],
        ).fetchone()[0]
    return bool(changed)


def process_alive(pid: int | None, job_id: str) -> bool:
    """Whether ``pid`` is a live (non-zombie) process running ``job_id``."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path(f"/proc/{pid}")
    if not proc.exists():
        return True  # no procfs: trust the signal check
    try:
        state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        cmdline = (proc / "cmdline").read_bytes()
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X") and job_id.encode() in cmdline


def resume_stale_jobs(store: Store | None = None) -> list[str]:
    """Restart active jobs whose process is gone; finish dead ``cancelling`` ones. Returns restarted ids."""
    store = store or Store()
    restarted = []
    with _resume_lock:
        frame = store.query(
            "SELECT job_id, status, pid, epoch(current_timestamp::TIMESTAMP - updated_at) AS age "
            "FROM jobs WHERE status IN ('queued', 'running', 'cancelling')"
        )
        for row in frame.itertuples(index=False):
            pid = None if pd.isna(row.pid) else int(row.pid)
            if process_alive(pid, row.job_id):
                continue
            if row.status == "queued" and row.age < LAUNCH_GRACE_SECONDS:
                continue  # being launched
            if row.status == "cancelling":
                _finish(store, row.job_id, "cancelled", None, "cancelled (its process had stopped)")
                continue
            with store.transaction() as con:
                claimed = con.execute(
                    "UPDATE jobs SET status = 'queued', pid = NULL, updated_at = current_timestamp "
                    "WHERE job_id = ? AND status = ? AND pid IS NOT DISTINCT FROM ?",
                    [row.job_id, row.status, pid],
                ).fetchone()[0]
            if claimed:
                _launch(store, row.job_id)
                restarted.append(row.job_id)
    return restarted


def _status_of(store: Store, job_id: str) -> str | None:
    frame = store.query("SELECT status FROM jobs WHERE job_id = ?", [job_id])
    return None if frame.empty else frame["status"].iloc[0]


def _finish(store: Store, job_id: str, status: str, result: dict[str, Any] | None, message: str | None) -> None:
    store.execute(
        "UPDATE jobs SET status = ?, result = ?, message = coalesce(?, message), "
        "finished_at = current_timestamp, updated_at = current_timestamp WHERE job_id = ?",
        [status, None if result is None else json.dumps(result), message, job_id],
    )


def run_job(job_id: str, store: Store | None = None) -> int:
    """Run ``job_id`` in this process (the body of ``python -m hccdash run-job``); returns an exit code."""
    store = store or Store()
    with store.transaction() as con:
        claimed = con.execute(
            "UPDATE jobs SET status = 'running', pid = ?, started_at = current_timestamp, "
            "updated_at = current_timestamp, result = NULL, finished_at = NULL "
            "WHERE job_id = ? AND status = 'queued'",
            [os.getpid(), job_id],
        ).fetchone()[0]
    status = _status_of(store, job_id)
    if not claimed:
        if status == "cancelling":
            _finish(store, job_id, "cancelled", None, "cancelled before it started")
            return 0
        print(f"job {job_id} is {status}; nothing to do", file=sys.stderr)
        return 0 if status is not None else 2
    row = store.query("SELECT kind, cohort, spec FROM jobs WHERE job_id = ?", [job_id]).iloc[0]
    spec = json.loads(row["spec"])
    try:
        importlib.import_module(spec.pop(_MODULE_KEY))
        runner = _KINDS[row["kind"]]
        context = JobContext(job_id, row["kind"], None if pd.isna(row["cohort"]) else row["cohort"], spec, store)
        result = runner(context)
    except Exception as exc:
        traceback.print_exc()
        _finish(store, job_id, "failed", None, f"{type(exc).__name__}: {exc}")
        return 1
    final = "cancelled" if _status_of(store, job_id) == "cancelling" else "done"
    _finish(store, job_id, final, dict(result or {}, progress_base=context._progress_base or 0), None)
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``run-job JOB_ID``."""
    parser.add_argument("job_id", help="id of a job recorded in the store's jobs table")


def run(args: argparse.Namespace) -> int:
    """Entry point of ``python -m hccdash run-job``."""
    return run_job(args.job_id)


if __name__ == "__main__":
    from hccdash.jobs import run_job as _run_job  # the importable module, where job kinds register

    sys.exit(_run_job(sys.argv[1]))
