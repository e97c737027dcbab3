"""Where a cohort's extraction stands under given settings: counts and failures (for the page),
and the stored cohorts' totals (for Home)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from hccdash.extraction.matrices import SettingsLike, cohort_cases, settings_hash_of
from hccdash.store import Store


@dataclass(frozen=True)
class CohortExtraction:
    """Cases of a cohort (patient x phase x reader) by status, and the failed ones with their message."""

    n_cases: int
    n_done: int
    n_failed: int
    n_pending: int
    failures: pd.DataFrame  # patient_id, phase, reader, error, image_path, mask_path, case_key
    readers: tuple[str, ...]


def cohort_extraction(
    cohort: str, settings: SettingsLike = None, store: Store | None = None, label: int | None = None
) -> CohortExtraction:
    """Status counts of ``cohort``'s cases under ``settings`` and mask ``label`` (None: as imported), failures first."""
    cases = cohort_cases(cohort, settings, label=label, store=store)
    counts = cases["status"].value_counts()
    failures = cases.loc[
        cases["status"] == "failed", ["patient_id", "phase", "reader", "error", "image_path", "mask_path", "case_key"]
    ].reset_index(drop=True)
    return CohortExtraction(
        n_cases=len(cases),
        n_done=int(counts.get("done", 0)),
        n_failed=int(counts.get("failed", 0)),
        n_pending=int(counts.get("pending", 0)),
        failures=failures,
        readers=tuple(sorted(cases["reader"].unique())),
    )


def stored_extraction_totals(settings: SettingsLike = None, store: Store | None = None) -> dict[str, int]:
    """Cases (cohort x patient x phase x reader) of every stored cohort extracted ('done') and
    failed under ``settings`` (None: the default settings, which Model building reads), each
    case once: extractions with other settings are not counted again."""
    store = store or Store()
    settings_hash = settings_hash_of(settings)
    totals = {"done": 0, "failed": 0}
    for cohort in store.query("SELECT DISTINCT cohort FROM images ORDER BY cohort")["cohort"]:
        counts = cohort_cases(cohort, settings_hash, store=store)["status"].value_counts()
        for status in totals:
            totals[status] += int(counts.get(status, 0))
    return totals


def format_duration(seconds: float | None) -> str:
    """``1 h 02 min`` / ``3 min 05 s`` / ``12 s``; a dash when unknown."""
    if seconds is None:
        return "–"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"
