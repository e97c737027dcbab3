"""Writing extraction results: per-case JSON files, then the store in one transaction per batch.

Each finished case is first written to ``cache_dir()/<case_key>.json`` (atomic
rename), so the features stay recoverable even if the DuckDB file is lost (TRAPS.md:
WAL replay after a crash). A batch then goes to the store in one transaction that
replaces any earlier row of the same keys, so a case is never stored twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from itertools import chain
from pathlib import Path

import numpy as np
import pandas as pd

from hccdash import paths
from hccdash.atomic import atomic_file
from hccdash.extraction.case import CaseResult
from hccdash.extraction.params import ExtractionSpec
from hccdash.store import Store


def case_file(case_key: str) -> Path:
    """The per-case result file of ``case_key``."""
    return paths.cache_dir() / f"{case_key}.json"


def write_case_file(result: CaseResult) -> Path:
    """Write a finished case's result file (atomically); returns its path."""
    target = case_file(result.case_key)
    with atomic_file(target) as handle:
        handle.write(json.dumps(result.to_dict()))  # dumps uses the C encoder; dump does not
    return target


def read_case_file(case_key: str) -> CaseResult | None:
    """The stored result file of ``case_key``, or None if there is none (or it is unreadable)."""
    try:
        return CaseResult.from_dict(json.loads(case_file(case_key).read_text()))
    except (FileNotFoundError, json.JSONDecodeError, TypeError):
        return None


def stored_cases(store: Store, case_keys: Sequence[str]) -> pd.DataFrame:
    """``case_key, status, error`` of the keys already in the store: one query."""
    return store.query(
        "SELECT c.case_key, c.status, c.error FROM cases c "
        "JOIN (SELECT unnest(?::VARCHAR[]) AS case_key) k USING (case_key)",
        [list(case_keys)],
    )


def stored_status(store: Store, case_keys: Sequence[str]) -> dict[str, str]:
    """``case_key -> status`` ('done' / 'failed') of the keys already in the store."""
    if not case_keys:
        return {}
    frame = stored_cases(store, case_keys)
    return dict(zip(frame["case_key"], frame["status"]))


def record_settings(con, spec: ExtractionSpec) -> None:
    """Remember the parameters behind a settings hash (no-op if known)."""
    con.execute(
        "INSERT INTO extraction_settings VALUES (?, ?, current_timestamp) ON CONFLICT DO NOTHING",
        [spec.settings_hash, json.dumps(spec.to_dict(), sort_keys=True)],
    )


def ingest_results(store: Store, results: Iterable[CaseResult], spec: ExtractionSpec | None = None) -> int:
    """Store ``results`` (cases and their features) in one transaction; returns how many.

    Earlier rows of the same case keys (e.g. a failure now retried) are replaced.
    """
    results = list(results)
    if not results:
        return 0
    cases = pd.DataFrame(
        {
            "case_key": [r.case_key for r in results],
            "image_sha256": [r.image_sha256 for r in results],
            "mask_sha256": [r.mask_sha256 for r in results],
            "label": [int(r.label) for r in results],
            "settings_hash": [r.settings_hash for r in results],
            "versions": [r.versions for r in results],
            "status": [r.status for r in results],
            "error": [r.error for r in results],
            "seconds": [float(r.seconds) for r in results],
        }
    )
    done = [r for r in results if r.status == "done"]
    features = pd.DataFrame(
        {
            "case_key": np.repeat([r.case_key for r in done], [len(r.features) for r in done]),
            "feature": list(chain.from_iterable(r.features.keys() for r in done)),
            "value": np.fromiter(chain.from_iterable(r.features.values() for r in done), dtype=float),
        }
    )
    return ingest_frames(store, cases, features, spec)


def ingest_frames(store: Store, cases: pd.DataFrame, features: pd.DataFrame, spec: ExtractionSpec | None = None) -> int:
    """Store case rows (the ``cases`` columns but ``computed_at``) and long features in one transaction.

    Earlier rows of the same case keys are replaced; returns the number of cases.
    """
    if cases.empty:
        return 0
    cases = cases.drop_duplicates("case_key", keep="last")
    features = features[["case_key", "feature", "value"]].drop_duplicates(["case_key", "feature"], keep="last")
    with store.transaction() as con:
        if spec is not None:
            record_settings(con, spec)
        con.register("new_cases", cases)
        con.register("new_features", features)
        con.execute("DELETE FROM features WHERE case_key IN (SELECT case_key FROM new_cases)")
        con.execute("DELETE FROM cases WHERE case_key IN (SELECT case_key FROM new_cases)")
        con.execute(
            "INSERT INTO cases SELECT case_key, image_sha256, mask_sha256, label, settings_hash, versions, "
            "status, error, seconds, current_timestamp FROM new_cases"
        )
        con.execute("INSERT INTO features SELECT case_key, feature, value FROM new_features")
        con.unregister("new_cases")
        con.unregister("new_features")
    return len(cases)
