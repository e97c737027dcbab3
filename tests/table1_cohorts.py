"""Tiny cohorts for the Table 1 tests (library and Home page). Test data, not library code."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hccdash.cohort import import_cohort, read_table
from hccdash.cohort.events import parse_event_values
from hccdash.cohort.mapping import guess_mapping, remap
from hccdash.settings import SplitSettings

# tests/reference/table1_fisher_small/table1_fisher_small.R: the same six patients; centre A is
# training, B validation, and every stage occurs in one set only (a 4 x 2 table of 6 patients)
SIX_PATIENTS = pd.DataFrame({"id": [f"P{i}" for i in range(1, 7)], "t": [5, 12, 20, 8, 15, 30],
                             "e": [1, 0, 1, 0, 1, 0], "centre": ["A", "A", "A", "B", "B", "B"],
                             "stage": ["I", "I", "II", "III", "III", "IV"]})


def import_six_patients(folder: Path, name: str = "six") -> str:
    """Import :data:`SIX_PATIENTS` as ``name`` (centre split: B is validation); returns the name."""
    SIX_PATIENTS.to_csv(folder / "six.csv", index=False)
    table = read_table(folder / "six.csv")
    mapping = remap(table, guess_mapping(table), id_col="id", time_col="t", time_unit="months", event_col="e",
                    event_coding=parse_event_values("1,0"), centre_col="centre")
    result = import_cohort(name, table, mapping, split=SplitSettings(method="centre", validation_centres=("B",)))
    assert result.ok, result.report
    return name
