"""What is loaded: a summary of the store for the home page and ``cohorts --json``."""

from __future__ import annotations

import pandas as pd

from hccdash.store import Store


def cohort_summary(store: Store | None = None) -> pd.DataFrame:
    """One row per stored cohort: name, patients, events, split counts, images, time unit."""
    store = store or Store()
    return store.query(
        """
        SELECT c.name, c.n_patients AS patients, c.n_events AS events, c.time_unit,
               count(*) FILTER (WHERE p.split = 'train') AS train,
               count(*) FILTER (WHERE p.split = 'validation') AS validation,
               count(*) FILTER (WHERE p.split = 'external') AS external,
               (SELECT count(*) FROM images i WHERE i.cohort = c.name) AS images,
               c.created_at
        FROM cohorts c LEFT JOIN patients p ON p.cohort = c.name
        GROUP BY ALL ORDER BY c.created_at
        """
    )


def store_counts(store: Store | None = None) -> dict[str, int]:
    """Counts of cohorts and saved models (the cases per settings: ``extraction.status``)."""
    store = store or Store()
    row = store.query("SELECT (SELECT count(*) FROM cohorts) AS cohorts, (SELECT count(*) FROM models) AS models").iloc[0]
    return {key: int(value) for key, value in row.items()}


def default_cohort(store: Store | None = None) -> str | None:
    """The cohort a new session starts with: "sample" if stored, else the newest, else None."""
    names = cohort_summary(store)["name"].tolist()
    if "sample" in names:
        return "sample"
    return names[-1] if names else None
