"""What a kill or a full disk leaves behind (temporary files, unregistered or half-deleted model
artifacts) is removed at the next start; files another process may be writing right now are kept."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from hccdash import paths, startup
from hccdash.atomic import atomic_file
from hccdash.extraction import ingest
from hccdash.extraction.case import CaseResult
from hccdash.leftovers import LEFTOVER_SECONDS, RUNNING_PREFIX
from hccdash.paths import PROJECT_DIR
from hccdash.store import Store

HOUR = 3600


def _file(path, age: float, data: bytes = b"x"):
    path.write_bytes(data)
    then = time.time() - age
    os.utime(path, (then, then))
    return path


@pytest.fixture
def left_behind(hccdash_home):
    """A store with one registered model, and what killed runs left around it (name -> path)."""
    store = Store()
    store.execute("UPDATE schema_version SET applied_at = applied_at - INTERVAL 2 HOUR")  # made 2 hours ago
    store.execute("INSERT INTO models (name, created_at, endpoint, artifact, sha256) VALUES "
                  "('kept', now(), 'rfs', 'kept-20260101T000000000000.joblib', 'x'), "
                  "('halfway', now(), 'rfs', 'halfway-20260101T000000000000.joblib', 'x')")
    cache, models = paths.cache_dir(), paths.models_dir()
    age = HOUR  # after the store was made: left by a run on this store
    files = {
        "case_tmp": _file(cache / ".abc.json.k2j3.tmp", age),
        "hashes_tmp": _file(cache / ".file_hashes.json.x8q.tmp", age),
        "part": _file(models / "m-20260101T000000000000.joblib.part", age),
        "orphan": _file(models / "lost-20260101T000000000000.joblib", age),
        "deleted": _file(models / "gone-20260101T000000000000.joblib.deleting", age),
        # kept:
        "registered": _file(models / "kept-20260101T000000000000.joblib", age),
        "restored": _file(models / "halfway-20260101T000000000000.joblib.deleting", age),
        "writing_now": _file(cache / ".def.json.a1b2.tmp", LEFTOVER_SECONDS / 2),
        "registering_now": _file(models / "new-20260101T000000000000.json", LEFTOVER_SECONDS / 2),
        "older_than_the_store": _file(models / "earlier-20250101T000000000000.joblib", 3 * HOUR),
        "case_file": _file(cache / "abc.json", age, b"{}"),
        "dead_run": _running_folder(_dead_pid()),
        "live_run": _running_folder(os.getpid()),
    }
    yield files
    shutil.rmtree(files["live_run"], ignore_errors=True)


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _running_folder(pid: int):
    """An extraction's folder of in-flight markers, with one marker, as a kill leaves it."""
    folder = Path(tempfile.mkdtemp(prefix=f"{RUNNING_PREFIX}{pid}-"))
    (folder / ("k" * 64)).write_text("1")
    return folder


REMOVED = {"case_tmp", "hashes_tmp", "part", "orphan", "deleted", "dead_run"}


def _check(files):
    assert {name for name, path in files.items() if not path.exists()} == REMOVED | {"restored"}
    assert (paths.models_dir() / "halfway-20260101T000000000000.joblib").exists()  # put back: its row is there


def test_every_command_start_cleans_up(left_behind):
    run = subprocess.run([sys.executable, "-m", "hccdash", "models", "--json"], capture_output=True, text=True,
                         cwd=PROJECT_DIR, timeout=120)
    assert run.returncode == 0, run.stderr
    _check(left_behind)


def test_the_app_start_cleans_up(left_behind):
    startup.prepare()
    _check(left_behind)


def test_a_write_that_fails_midway_leaves_no_temporary_file(tmp_path):
    """A full disk: the file-size limit makes the write fail as ENOSPC would (EFBIG)."""
    script = (
        "import resource, signal, sys\n"
        "from hccdash.extraction import ingest\nfrom hccdash.extraction.case import CaseResult\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))\n"
        "result = CaseResult('k' * 64, 'i', 'm', 1, 's', 'v', 'done', features={f'f{i}': i for i in range(1000)})\n"
        "try:\n    ingest.write_case_file(result)\nexcept OSError as exc:\n    print(exc.strerror)\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=PROJECT_DIR, timeout=120)
    assert run.stdout.strip() == "File too large", run.stderr
    assert list(paths.cache_dir().iterdir()) == []


def test_atomic_file_replaces_the_target_only_when_whole(tmp_path):
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "t.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_file(target) as handle:
        handle.write("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old" and list(target.parent.iterdir()) == [target]
    with atomic_file(target) as handle:
        handle.write("new")
    assert target.read_text() == "new" and list(target.parent.iterdir()) == [target]
    ingest.write_case_file(CaseResult("k" * 64, "i", "m", 1, "s", "v", "done", features={"f": 1.0}))
    assert [p.name for p in paths.cache_dir().iterdir()] == ["k" * 64 + ".json"]
