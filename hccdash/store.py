"""The one store: a schema-versioned DuckDB file under ``HCCDASH_HOME``.

Connection model. DuckDB lets one *process* hold a database file at a time (a second
process gets a lock error, even read-only), and one connection must not be used by two
threads at once; opening a new ``duckdb.connect(path)`` per call from several threads of
one process races ("Unique file handle conflict"). So each process holds **one shared
connection per file** (:class:`SharedDatabase`) and every operation works on its own
``cursor()`` of it (DuckDB's advice for threads), inside its own transaction. Streamlit's
script threads, the extraction writer and the CLI all go through it.

Between processes the store takes turns: the shared connection is closed as soon as no
thread has used it for ``IDLE_CLOSE`` seconds, and one that has been open for longer than
``MAX_HOLD`` seconds admits no new users until the current ones finish and then stays
closed for a moment, so a background job or the CLI gets the file even while many
sessions read. A process that finds the file locked waits and retries
for ``LOCK_TIMEOUT`` seconds, says so once on the ``hccdash.store`` logger (the CLI
prints it), and then raises :class:`StoreBusyError`.

Workers of a parallel extraction never write here: they return results to the one
process that writes them, in transactions (see ``hccdash.extraction``).

(About 480 lines, one module on purpose: the schema, its migrations and the connection model are
the one place that opens the file, so no path can reach the database around the lock and version checks.)
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from hccdash import paths

LOCK_TIMEOUT = 60.0
MAX_HOLD = 2.0  # seconds a shared connection admits new users before it lets other processes in
IDLE_CLOSE = 0.25  # seconds an unused shared connection stays open (opening one costs ~40 ms)
_RETRY_SLEEP = 0.05
_SAY_WAITING_AFTER = 1.0

log = logging.getLogger("hccdash.store")

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
    # 3: registered CNNs (ONNX files kept under HCCDASH_HOME/networks) for deep features
    """
    CREATE TABLE networks (
        name        TEXT PRIMARY KEY,  -- lower-case identifier: features are named dl.<name>.<NNNN>
        sha256      TEXT NOT NULL,     -- of the ONNX file
        file        TEXT NOT NULL,     -- file name under HCCDASH_HOME/networks
        source      TEXT,              -- where it was registered from (path or upload name)
        facts       JSON NOT NULL,     -- input, normalisation, output node, feature count
        registered_at TIMESTAMP NOT NULL
    );
    """,
    # 4: Model building configurations per cohort and feature source: the last one (restored after a
    # reload) and the recent ones (history), as the settings sections of `fit --settings`
    """
    CREATE TABLE configurations (
        cohort      TEXT NOT NULL,
        source      TEXT NOT NULL,     -- feature source of Model building ("" for none)
        saved_at    TIMESTAMP NOT NULL,
        settings    JSON NOT NULL,     -- {"split": ..., "selection": ..., "model": ...}
        digest      TEXT NOT NULL      -- SHA-256 of the settings JSON: a repeat is not stored twice
    );
    """,
    # 5: choices the app remembers across browser sessions (a reload), e.g. the calculator's model
    """
    CREATE TABLE preferences (
        key         TEXT PRIMARY KEY,  -- what is remembered, e.g. "calculator.model"
        value       JSON NOT NULL,
        saved_at    TIMESTAMP NOT NULL
    );
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


class StoreBusyError(RuntimeError):
    """The store file stayed locked by another process for longer than the timeout."""


class StoreOpenError(OSError):
    """The store file exists but DuckDB cannot open it (not a database, damaged, unreadable)."""


_migrated: set[Path] = set()
_migrate_lock = threading.Lock()


class SharedDatabase:
    """One DuckDB connection to ``path`` shared by the threads of this process.

    :meth:`cursor` hands each caller its own cursor (a connection of its own to the same
    database instance, safe to use from its thread) and closes the shared connection
    ``IDLE_CLOSE`` seconds after the last cursor is returned, so other processes can open
    the file between bursts of work. Fork-safe: a child process opens its own connection.
    """

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Condition()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._pid = 0
        self._users = 0
        self._opened_at = 0.0
        self._draining = False
        self._reopen_after = 0.0
        self._idle_since = 0.0
        self._closer: threading.Timer | None = None
        self._held = threading.local()  # cursors this thread holds (a nested use is never made to wait)
        # DuckDB's transactions are optimistic: two cursors deleting or updating the same rows at once
        # fail with "Conflict on tuple deletion". Write transactions of this process take turns
        # (reentrant: a nested transaction of the same thread does not wait for itself).
        self.write_turn = threading.RLock()

    @contextlib.contextmanager
    def cursor(self, lock_timeout: float) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of the shared connection, opened (waiting for other processes) if needed."""
        cur = self._acquire(lock_timeout)
        try:
            yield cur
        finally:
            self._release(cur)

    def _acquire(self, lock_timeout: float) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + lock_timeout
        with self._lock:
            if self._pid != os.getpid():  # inherited through fork: not ours to use
                self._con, self._users, self._draining, self._pid = None, 0, False, os.getpid()
            if self._con is not None and time.monotonic() - self._opened_at > MAX_HOLD:
                if self._users == 0:
                    self._close(handoff=True)
                else:
                    self._draining = True
            # a draining connection admits no new thread; after it closes, other processes get a turn
            nested = getattr(self._held, "depth", 0) > 0 and self._con is not None
            while not nested and (
                (self._draining and self._con is not None)
                or (self._con is None and time.monotonic() < self._reopen_after)
            ):
                if time.monotonic() > deadline:
                    raise self._busy(lock_timeout, "other threads of this process held it")
                self._lock.wait(timeout=_RETRY_SLEEP)
            if self._con is None:
                self._con = self._open(deadline, lock_timeout)
                self._opened_at = time.monotonic()
                self._draining = False
            self._users += 1
            try:
                cur = self._con.cursor()
            except BaseException:
                self._users -= 1
                raise
            self._held.depth = getattr(self._held, "depth", 0) + 1
            return cur

    def _release(self, cur: duckdb.DuckDBPyConnection) -> None:
        self._held.depth -= 1
        try:
            cur.close()
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0 and self._con is not None:
                    if self._draining:
                        self._close(handoff=True)
                    else:
                        self._idle_since = time.monotonic()
                        self._schedule_close(IDLE_CLOSE)

    def _close(self, handoff: bool) -> None:
        """Close the shared connection (lock held); ``handoff``: stay closed for a moment."""
        if handoff:
            self._reopen_after = time.monotonic() + 2 * _RETRY_SLEEP
        self._con.close()
        self._con, self._draining = None, False
        self._lock.notify_all()

    def _schedule_close(self, delay: float) -> None:
        if self._closer is None or not self._closer.is_alive():
            self._closer = threading.Timer(delay, self._close_if_idle)
            self._closer.daemon = True
            self._closer.start()

    def _close_if_idle(self) -> None:
        with self._lock:
            self._closer = None
            if self._con is None or self._users or self._pid != os.getpid():
                return
            idle = time.monotonic() - self._idle_since
            if idle >= IDLE_CLOSE:
                self._close(handoff=False)
            else:
                self._schedule_close(IDLE_CLOSE - idle)

    def close(self) -> None:
        """Close the shared connection now if no thread uses it (tests, shutdown)."""
        with self._lock:
            if self._con is not None and self._users == 0 and self._pid == os.getpid():
                self._close(handoff=False)

    def _open(self, deadline: float, lock_timeout: float) -> duckdb.DuckDBPyConnection:
        said = False
        started = time.monotonic()
        while True:
            try:
                return duckdb.connect(str(self.path))
            except duckdb.IOException as exc:  # "Could not set lock on file ... (PID n)"
                if "lock" not in str(exc).lower():
                    raise damaged(self.path, exc) from exc
                if time.monotonic() > deadline:
                    raise self._busy(lock_timeout, str(exc)) from exc
                if not said and time.monotonic() - started > _SAY_WAITING_AFTER:
                    log.warning("The store %s is in use by another hccdash process; waiting up to %.0f s",
                                self.path, lock_timeout)
                    said = True
                time.sleep(_RETRY_SLEEP)
            except duckdb.Error as exc:
                raise damaged(self.path, exc) from exc

    def _busy(self, lock_timeout: float, why: str) -> StoreBusyError:
        return StoreBusyError(f"The store {self.path} is busy (waited {lock_timeout:.0f} s): {why}")


def damaged(path: Path, exc: BaseException) -> StoreOpenError:
    """The error for a store file DuckDB cannot open or read, saying what to do."""
    return StoreOpenError(
        f"The store {path} cannot be opened or read ({str(exc)[:200]}): it is damaged or not a "
        "DuckDB file. Restore it from a backup, or move it aside to start an empty store "
        "(extracted features are recoverable from the per-case files in cache/), or point "
        "HCCDASH_HOME elsewhere."
    )


def _is_damage(exc: duckdb.Error) -> bool:
    """Whether DuckDB's error says the file itself is damaged (not a bad query)."""
    text = str(exc).lower()
    return any(word in text for word in ("corrupt", "checksum", "not a valid duckdb", "failed to read"))


_databases: dict[Path, SharedDatabase] = {}
_databases_lock = threading.Lock()


def close_idle() -> None:
    """Close every shared connection of this process that no thread uses."""
    with _databases_lock:
        databases = list(_databases.values())
    for database in databases:
        database.close()


atexit.register(close_idle)


def shared_database(path: Path) -> SharedDatabase:
    """The process's one :class:`SharedDatabase` for the file at ``path``."""
    key = path.resolve()
    with _databases_lock:
        if key not in _databases:
            _databases[key] = SharedDatabase(key)
        return _databases[key]


class Store:
    """The DuckDB store at ``path`` (default: ``HCCDASH_HOME/hccdash.duckdb``).

    Use :meth:`transaction` for writes (all or nothing) and :meth:`query` for reads.
    Opening a store applies any pending migrations. Cheap to create: every ``Store`` of
    one file in one process shares that file's connection.
    """

    def __init__(self, path: str | Path | None = None, lock_timeout: float = LOCK_TIMEOUT):
        self.path = Path(path) if path is not None else paths.store_path()
        self.lock_timeout = lock_timeout
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._database = shared_database(self.path)
        with _migrate_lock:
            if self.path.resolve() not in _migrated or not self.path.exists():
                self._migrate()
                _migrated.add(self.path.resolve())

    @contextlib.contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """This thread's own cursor of the process's shared connection (waits while another process holds the file)."""
        with self._database.cursor(self.lock_timeout) as cur:
            try:
                yield cur
            except duckdb.Error as exc:
                if _is_damage(exc):
                    raise damaged(self.path, exc) from exc
                raise

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection inside BEGIN ... COMMIT; any exception rolls everything back. The write
        transactions of one process run one at a time (taken after the cursor, so a connection
        being drained for another process is never waited for while holding the turn)."""
        with self.connect() as con, self._database.write_turn:
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
