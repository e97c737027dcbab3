import threading

import duckdb
import pytest

from hccdash import paths
from hccdash.store import MIGRATIONS, SCHEMA_VERSION, Store


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

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
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
