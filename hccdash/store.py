"""The one store: a schema-versioned DuckDB file under ``HCCDASH_HOME``.

DuckDB lets one *process* hold a database file read-write at a time (a second process
gets a lock error, even read-only), and one connection is not thread-safe. So the
store never keeps a connection open: every operation opens the file, does its work
in one transaction and closes it again. The Streamlit app, its background job
processes and the CLI therefore take turns on the file; a process that finds it
locked waits and retries (``LOCK_TIMEOUT`` seconds) instead of failing. Within a
process each call gets its own connection, which makes the store safe to use from
Streamlit's script threads.

Workers of a parallel extraction never write here: they return results to the one
process that writes them, in transactions (see ``hccdash.extraction``).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from hccdash import paths

LOCK_TIMEOUT = 60.0
_RETRY_SLEEP = 0.05

# Each entry is one migration; the schema version is the number of entries applied.
# Never edit a released migration: append a new one.
MIGRATIONS: list[str] = [
    # 1: cohorts, clinical data, images, extraction cache, features, jobs, models
    """
    CREATE TABLE cohorts (
        name        TEXT PRIMARY KEY,
        created_at  TIMESTAMP NOT NULL,
        source      TEXT,              -- where the clinical table came from
        fingerprint TEXT NOT NULL,     -- content hash of what was imported
        time_unit   TEXT NOT NULL,     -- unit of the source table; times are stored in months
        mapping     JSON NOT NULL,     -- column mapping and event coding used
        split       JSON,              -- split method, seed, ratio, centres
        report      JSON,              -- validation report of the import
        n_patients  INTEGER NOT NULL,
        n_events    INTEGER NOT NULL
    );
    CREATE TABLE patients (
        cohort      TEXT NOT NULL,
        patient_id  TEXT NOT NULL,
        time        DOUBLE NOT NULL,   -- months
        event       INTEGER NOT NULL,  -- 1 = recurrence, 0 = censored
        centre      TEXT,
        split       TEXT,              -- 'train', 'validation' or NULL
        PRIMARY KEY (cohort, patient_id)
    );
    CREATE TABLE variables (
        cohort      TEXT NOT NULL,
        name        TEXT NOT NULL,
        kind        TEXT NOT NULL,     -- continuous / categorical / ordinal
        predictor   BOOLEAN NOT NULL,
        levels      JSON,              -- ordered levels of categorical / ordinal variables
        position    INTEGER NOT NULL,
        PRIMARY KEY (cohort, name)
    );
    CREATE TABLE clinical (
        cohort      TEXT NOT NULL,
        patient_id  TEXT NOT NULL,
        variable    TEXT NOT NULL,
        value       TEXT,              -- as read; typed through `variables`
        PRIMARY KEY (cohort, patient_id, variable)
    );
    CREATE TABLE images (
        cohort      TEXT NOT NULL,
        patient_id  TEXT NOT NULL,
        phase       TEXT NOT NULL,
        reader      TEXT NOT NULL,     -- '1' for the primary segmentation
        image_path  TEXT NOT NULL,
        mask_path   TEXT NOT NULL,
        label       INTEGER NOT NULL,
        image_sha256 TEXT NOT NULL,
        mask_sha256 TEXT NOT NULL,
        PRIMARY KEY (cohort, patient_id, phase, reader)
    );
    CREATE TABLE extraction_settings (
        settings_hash TEXT PRIMARY KEY,
        params      JSON NOT NULL,
        created_at  TIMESTAMP NOT NULL
    );
    CREATE TABLE cases (
        case_key    TEXT PRIMARY KEY,  -- hash of image, mask, label, settings, versions
        image_sha256 TEXT NOT NULL,
        mask_sha256 TEXT NOT NULL,
        label       INTEGER NOT NULL,
        settings_hash TEXT NOT NULL,
        versions    TEXT NOT NULL,
        status      TEXT NOT NULL,     -- 'done' or 'failed'
        error       TEXT,
        seconds     DOUBLE,
        computed_at TIMESTAMP NOT NULL
    );
    CREATE TABLE features (
        case_key    TEXT NOT NULL,
        feature     TEXT NOT NULL,     -- pyradiomics name, e.g. original_glcm_Contrast
        value       DOUBLE,
        PRIMARY KEY (case_key, feature)
    );
    CREATE TABLE imported_features (
        cohort      TEXT NOT NULL,
        source      TEXT NOT NULL,
        patient_id  TEXT NOT NULL,
        phase       TEXT NOT NULL,
        reader      TEXT NOT NULL,
        feature     TEXT NOT NULL,
        value       DOUBLE,
        PRIMARY KEY (cohort, patient_id, phase, reader, feature)
    );
    CREATE TABLE jobs (
        job_id      TEXT PRIMARY KEY,
        kind        TEXT NOT NULL,     -- 'extraction', 'stability', 'validation', ...
        cohort      TEXT,
        spec        JSON NOT NULL,     -- everything needed to (re)start the job
        status      TEXT NOT NULL,     -- queued / running / cancelling / cancelled / done / failed
        pid         INTEGER,
        n_total     INTEGER NOT NULL DEFAULT 0,
        n_done      INTEGER NOT NULL DEFAULT 0,
        n_failed    INTEGER NOT NULL DEFAULT 0,
        message     TEXT,
        result      JSON,
        created_at  TIMESTAMP NOT NULL,
        started_at  TIMESTAMP,
        updated_at  TIMESTAMP,
        finished_at TIMESTAMP
    );
    CREATE TABLE models (
        name        TEXT PRIMARY KEY,
        created_at  TIMESTAMP NOT NULL,
        notes       TEXT,
        cohort      TEXT,
        endpoint    TEXT NOT NULL,
        artifact    TEXT NOT NULL,     -- file name under HCCDASH_HOME/models
        sha256      TEXT NOT NULL,
        metrics     JSON,
        meta        JSON
    );
    """,
    # 2: imported feature tables keyed by their source too (two tables of one cohort coexist)
    """
    CREATE TABLE imported_features_v2 (
        cohort      TEXT NOT NULL,
        source      TEXT NOT NULL,
        patient_id  TEXT NOT NULL,
        phase       TEXT NOT NULL,
        reader      TEXT NOT NULL,
        feature     TEXT NOT NULL,
        value       DOUBLE,
        PRIMARY KEY (cohort, source, patient_id, phase, reader, feature)
    );
    INSERT INTO imported_features_v2
        SELECT cohort, source, patient_id, phase, reader, feature, value FROM imported_features;
    DROP TABLE imported_features;
    ALTER TABLE imported_features_v2 RENAME TO imported_features;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


class StoreBusyError(RuntimeError):
    """The store file stayed locked by another process for longer than the timeout."""


class StoreOpenError(OSError):
    """The store file exists but DuckDB cannot open it (not a database, damaged, unreadable)."""


_migrated: set[Path] = set()
_migrate_lock = threading.Lock()


class Store:
    """The DuckDB store at ``path`` (default: ``HCCDASH_HOME/hccdash.duckdb``).

    Use :meth:`transaction` for writes (all or nothing) and :meth:`query` for reads.
    Opening a store applies any pending migrations.
    """

    def __init__(self, path: str | Path | None = None, lock_timeout: float = LOCK_TIMEOUT):
        self.path = Path(path) if path is not None else paths.store_path()
        self.lock_timeout = lock_timeout
        with _migrate_lock:
            if self.path.resolve() not in _migrated or not self.path.exists():
                self._migrate()
                _migrated.add(self.path.resolve())

    @contextlib.contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A fresh connection, waiting while another process holds the file."""
        deadline = time.monotonic() + self.lock_timeout
        while True:
            try:
                con = duckdb.connect(str(self.path))
                break
            except duckdb.IOException as exc:  # "Could not set lock on file"
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    if "lock" in str(exc).lower():
                        raise StoreBusyError(
                            f"The store {self.path} is locked by another process "
                            f"(waited {self.lock_timeout:.0f} s): {exc}"
                        ) from exc
                    raise StoreOpenError(f"The store {self.path} cannot be opened ({exc}); move the file aside "
                                         "to start an empty store, or point HCCDASH_HOME elsewhere") from exc
                time.sleep(_RETRY_SLEEP)
        try:
            yield con
        finally:
            con.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection inside BEGIN ... COMMIT; any exception rolls everything back."""
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def query(self, sql: str, params: Sequence[Any] | dict | None = None) -> pd.DataFrame:
        """Run one read query and return its result as a DataFrame."""
        with self.connect() as con:
            return con.execute(sql, params or []).df()

    def execute(self, sql: str, params: Sequence[Any] | dict | None = None) -> None:
        """Run one statement in its own transaction."""
        with self.transaction() as con:
            con.execute(sql, params or [])

    def schema_version(self) -> int:
        """The number of migrations applied to this file."""
        return int(self.query("SELECT max(version) AS v FROM schema_version")["v"].iloc[0])

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the file (after large ingests)."""
        with self.connect() as con:
            con.execute("CHECKPOINT")

    def _migrate(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.transaction() as con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS schema_version "
                "(version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
            )
            current = con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
            if current > SCHEMA_VERSION:
                raise RuntimeError(
                    f"The store {self.path} has schema version {current}, newer than this "
                    f"hccdash ({SCHEMA_VERSION}); update hccdash before opening it."
                )
            for version in range(current + 1, SCHEMA_VERSION + 1):
                con.execute(MIGRATIONS[version - 1])
                con.execute(
                    "INSERT INTO schema_version VALUES (?, current_timestamp)", [version]
                )


def open_store() -> Store:
    """The store of the current ``HCCDASH_HOME``."""
    return Store()
