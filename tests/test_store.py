import threading
import time

import duckdb
import pytest

from hccdash import paths, preferences
from hccdash.cli import main
from hccdash.store import MIGRATIONS, SCHEMA_VERSION, Store, StoreOpenError


def _run_together(work, n: int) -> None:
    """``work(0)`` ... ``work(n - 1)``, each on its own thread at once; returns when all are done."""
    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_store_lives_under_hccdash_home(hccdash_home):
    store = Store()
    assert store.path == hccdash_home / "hccdash.duckdb"
    assert store.path.exists()
    assert paths.models_dir() == hccdash_home / "models"


def test_schema_version_recorded_and_migration_idempotent(hccdash_home):
    store = Store()
    assert store.schema_version() == SCHEMA_VERSION == len(MIGRATIONS)
    Store(store.path)  # opening again applies nothing twice
    versions = store.query("SELECT version FROM schema_version ORDER BY version")["version"].tolist()
    assert versions == list(range(1, SCHEMA_VERSION + 1))


def test_failed_transaction_leaves_store_unchanged(hccdash_home):
    store = Store()
    store.execute(
        "INSERT INTO jobs (job_id, kind, spec, status, created_at) VALUES ('a', 'x', '{}', 'done', now())"
    )
    with pytest.raises(duckdb.ConstraintException):
        with store.transaction() as con:
            con.execute("DELETE FROM jobs")
            con.execute(
                "INSERT INTO jobs (job_id, kind, spec, status, created_at) VALUES "
                "('b', 'x', '{}', 'done', now()), ('b', 'x', '{}', 'done', now())"
            )
    assert store.query("SELECT job_id FROM jobs")["job_id"].tolist() == ["a"]


def test_store_is_safe_from_several_threads(hccdash_home):
    store = Store()
    errors = []

    def write(i):
        try:
            for j in range(5):
                store.execute(
                    "INSERT INTO jobs (job_id, kind, spec, status, created_at) VALUES (?, 'x', '{}', 'done', now())",
                    [f"{i}-{j}"],
                )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    _run_together(write, 4)
    assert not errors
    assert store.query("SELECT count(*) AS n FROM jobs")["n"].iloc[0] == 20


def test_newer_schema_is_refused(hccdash_home):
    store = Store()
    store.execute("INSERT INTO schema_version VALUES (?, now())", [SCHEMA_VERSION + 1])
    from hccdash import store as store_module

    store_module._migrated.clear()
    with pytest.raises(RuntimeError, match="newer than this hccdash"):
        Store(store.path)


def test_migration_from_version_1_keeps_imported_features_and_keys_them_by_source(hccdash_home):
    path = hccdash_home / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)")
    con.execute(MIGRATIONS[0])
    con.execute("INSERT INTO schema_version VALUES (1, now())")
    con.execute("INSERT INTO imported_features VALUES ('c', 'slicer', 'P1', 'portal', '1', 'f', 2.5)")
    con.close()
    store = Store(path)
    assert store.schema_version() == SCHEMA_VERSION
    store.execute("INSERT INTO imported_features VALUES ('c', 'batch', 'P1', 'portal', '1', 'f', 7.0)")
    rows = store.query("SELECT source, value FROM imported_features ORDER BY source")
    assert rows.values.tolist() == [["batch", 7.0], ["slicer", 2.5]]


def test_many_threads_reading_at_once_share_one_connection(hccdash_home):
    """8 threads x 150 reads: opening a connection per call raced ("Unique file handle conflict")."""
    from hccdash.cohort import list_cohorts

    Store()
    errors: list[BaseException] = []

    def read():
        for _ in range(150):
            try:
                assert list_cohorts() == []
            except BaseException as exc:  # collected and reported below
                errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


_HOLD_SCRIPT = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("INSERT INTO jobs (job_id, kind, spec, status, created_at) VALUES ('other', 'x', '{}', 'done', now())")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def _hold_in_other_process(path, seconds):
    import subprocess
    import sys

    from hccdash.store import close_idle

    close_idle()  # this process lets go of the file first
    proc = subprocess.Popen([sys.executable, "-c", _HOLD_SCRIPT, str(path), str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_reader_waits_for_another_process_and_says_so(hccdash_home, caplog):
    store = Store()
    proc = _hold_in_other_process(store.path, 2.0)
    with caplog.at_level("WARNING", logger="hccdash.store"):
        jobs = store.query("SELECT job_id FROM jobs")["job_id"].tolist()
    proc.wait()
    assert jobs == ["other"]  # read after the other process let go, so its write is seen
    assert "in use by another hccdash process" in caplog.text


def test_a_store_held_longer_than_the_timeout_is_reported_busy(hccdash_home):
    from hccdash.store import StoreBusyError

    path = Store().path
    proc = _hold_in_other_process(path, 3.0)
    with pytest.raises(StoreBusyError, match="busy"):
        Store(path, lock_timeout=0.5).query("SELECT 1")
    proc.wait()


def test_another_process_gets_its_turn_while_threads_read_continuously(hccdash_home):
    """The shared connection stops admitting new users after MAX_HOLD, so a writer process gets in."""
    import subprocess
    import sys

    store = Store()
    stop = threading.Event()

    def read():
        while not stop.is_set():
            store.query("SELECT count(*) FROM jobs")

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        writer = subprocess.run(
            [sys.executable, "-c",
             "import sys; from hccdash.store import Store; "
             "Store(sys.argv[1], lock_timeout=20).execute(\"INSERT INTO jobs (job_id, kind, spec, status, "
             "created_at) VALUES ('w', 'x', '{}', 'done', now())\")", str(store.path)],
            capture_output=True, text=True, timeout=60,
        )
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert writer.returncode == 0, writer.stderr
    assert store.query("SELECT job_id FROM jobs")["job_id"].tolist() == ["w"]


def test_a_nested_use_while_the_connection_drains_does_not_wait(hccdash_home, monkeypatch):
    from hccdash import store as store_module

    monkeypatch.setattr(store_module, "MAX_HOLD", 0.0)
    store = Store(lock_timeout=2.0)
    with store.transaction() as con:
        con.execute("INSERT INTO jobs (job_id, kind, spec, status, created_at) VALUES ('n', 'x', '{}', 'done', now())")
        assert store.query("SELECT count(*) AS n FROM jobs")["n"].iloc[0] == 0  # its own transaction
    assert store.query("SELECT count(*) AS n FROM jobs")["n"].iloc[0] == 1


def test_damaged_bytes_inside_the_store_are_named(hccdash_home):
    from hccdash.store import StoreOpenError, close_idle

    store = Store()
    store.execute("CREATE TABLE filler AS SELECT range AS i, md5(range::TEXT) AS s FROM range(200000)")
    store.checkpoint()
    close_idle()
    raw = bytearray(store.path.read_bytes())
    quarter = len(raw) // 4
    raw[quarter : 3 * quarter] = b"\xff" * (2 * quarter)
    store.path.write_bytes(bytes(raw))
    with pytest.raises(StoreOpenError, match="damaged or not a DuckDB file") as info:
        Store(store.path).query("SELECT sum(length(s)) FROM filler")
    assert str(store.path) in str(info.value)


def test_the_cli_says_it_waits_for_a_store_another_process_holds(hccdash_home):
    import subprocess
    import sys

    path = Store().path
    holder = _hold_in_other_process(path, 300.0)  # until the CLI has said that it waits
    cli = subprocess.Popen([sys.executable, "-m", "hccdash", "cohorts", "--json"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        said = cli.stderr.readline()  # blocks until the CLI speaks (or ends)
    finally:
        holder.kill()
        holder.wait()
    out, err = cli.communicate(timeout=120)
    assert cli.returncode == 0, said + err
    assert said.startswith(f"hccdash: The store {path} is in use by another hccdash process")
    assert out.strip() == "[]"
    assert "leaked" not in err  # the shared connection is closed at exit


def test_an_idle_connection_is_closed_after_a_moment(hccdash_home):
    from hccdash import store as store_module

    store = Store()
    store.query("SELECT 1")
    database = store_module.shared_database(store.path)
    assert database._con is not None  # kept for the next query: opening costs ~40 ms
    time.sleep(store_module.IDLE_CLOSE * 3)
    assert database._con is None  # let go, so another process can open the file


# A damaged store file: a clear message from the CLI, and the file left as it was.
def test_a_file_that_is_not_a_store_is_named_and_kept(capsys):
    path = paths.store_path()
    path.write_bytes(b"not a database")
    with pytest.raises(StoreOpenError, match="cannot be opened"):
        Store()
    assert main(["cohorts"]) == 2
    err = capsys.readouterr().err
    assert f"error: The store {path} cannot be opened" in err and "HCCDASH_HOME" in err
    assert path.read_bytes() == b"not a database"


def test_preferences_keep_the_last_value_per_key(hccdash_home):
    store = Store()
    assert preferences.recall(preferences.CALCULATOR_MODEL, store) is None
    preferences.remember(preferences.CALCULATOR_MODEL, "first", store)
    preferences.remember(preferences.CALCULATOR_MODEL, "second", store)
    preferences.remember("other.key", {"a": [1, 2]}, store)
    assert preferences.recall(preferences.CALCULATOR_MODEL, Store()) == "second"
    assert preferences.recall("other.key", store) == {"a": [1, 2]}
    assert store.query("SELECT count(*) AS n FROM preferences")["n"].iloc[0] == 2


def test_sessions_rewriting_the_same_rows_at_once_do_not_conflict(hccdash_home):
    """Several browser sessions saving the same cohort's configuration at once (4 sessions moving
    sliders gave DuckDB's "Conflict on tuple deletion"): write transactions of one process take
    turns, so each delete-and-insert sees the others' committed rows."""
    store = Store()
    store.execute("CREATE TABLE latest (key VARCHAR, value INTEGER)")
    errors: list[BaseException] = []

    def rewrite(worker: int) -> None:
        try:
            for i in range(40):
                with store.transaction() as con:
                    con.execute("DELETE FROM latest WHERE key = 'k'")
                    con.execute("INSERT INTO latest VALUES ('k', ?)", [worker * 1000 + i])
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    _run_together(rewrite, 6)
    assert errors == []
    assert len(store.query("SELECT * FROM latest")) == 1  # each rewrite replaced the row whole
