"""What the app does once per process when it starts.

On first start (a store without any cohort) the bundled sample cohort is built if its
images are missing, imported as cohort "sample", and its shipped feature table is
loaded into the extraction cache, so a new user sees a working app at once. On every
start, what a killed run or a full disk left behind is removed (:mod:`hccdash.leftovers`)
and background jobs left running by a killed app are resumed.

``HCCDASH_SAMPLE=0`` in the environment skips the sample cohort (the test suite sets
it so each test starts from an empty store, and opts back in where it tests this).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from hccdash import jobs, leftovers, paths
from hccdash.cohort import list_cohorts
from hccdash.cohort.sample_cohort import import_sample
from hccdash.extraction.sample_features import ensure_sample_features
from hccdash.sample.build import ensure as ensure_sample_files
from hccdash.store import Store


@dataclass(frozen=True)
class StartupReport:
    """What :func:`prepare` did."""

    sample_imported: bool
    sample_cases_loaded: int
    resumed_jobs: tuple[str, ...]


def prepare(store: Store | None = None, log: Callable[[str], None] = lambda message: None) -> StartupReport:
    """Import the sample cohort into an empty store, remove leftovers and resume stale background jobs."""
    store = store or Store()
    leftovers.clean(store)
    imported, loaded = False, 0
    if os.environ.get("HCCDASH_SAMPLE", "1") != "0" and not list_cohorts(store):
        ensure_sample_files(paths.SAMPLE_DIR, log=log)
        import_sample(store)
        imported = True
        loaded = ensure_sample_features(store=store)
        log(f"sample cohort imported; {loaded} extracted cases loaded from sample_data/features.parquet")
    resumed = tuple(jobs.resume_stale_jobs(store))
    return StartupReport(imported, loaded, resumed)
