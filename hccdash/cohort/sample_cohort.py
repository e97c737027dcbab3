"""The sample cohort (``python -m hccdash.sample`` builds its files) imported as "sample"."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hccdash import paths
from hccdash.cohort.events import EventCoding
from hccdash.cohort.importer import import_cohort
from hccdash.cohort.load import list_cohorts
from hccdash.cohort.manifest import read_manifest
from hccdash.cohort.mapping import ColumnMapping, guess_mapping, remap
from hccdash.cohort.tables import read_table
from hccdash.sample.cohort import COLUMN_UNITS
from hccdash.settings import SplitSettings
from hccdash.store import Store

SAMPLE_NAME = "sample"


def sample_mapping(table: pd.DataFrame) -> ColumnMapping:
    """The sample cohort's column mapping of ``table`` (its ``clinical.csv`` as read, or a variant
    of it): id ``patient_id``, time ``rfs_months`` (months), event ``recurrence`` (1 / 0), centre
    ``centre``; every other column a predictor of guessed kind, with the units of
    ``hccdash.sample.cohort.COLUMN_UNITS`` (AFP in ng/mL, ...) for the columns it has."""
    mapping = remap(table, guess_mapping(table), id_col="patient_id", time_col="rfs_months", time_unit="months",
                    event_col="recurrence", event_coding=EventCoding(("1",), ("0",)), centre_col="centre")
    mapping = mapping.with_predictors([v.name for v in mapping.variables])
    return mapping.with_units({k: u for k, u in COLUMN_UNITS.items() if k in mapping.predictors})


def import_sample(store: Store | None = None, folder: str | Path | None = None, *, name: str = SAMPLE_NAME,
                  split: SplitSettings | None = None) -> str:
    """Import ``sample_data/`` as cohort ``name`` ("sample") unless a cohort of that name exists.

    Mapping: :func:`sample_mapping`; split ``split``, by default random 7:3 stratified by event
    with the default seed (``SplitSettings``; a centre split with validation centre "Centre B"
    gives an external validation set). Raises FileNotFoundError when the sample files are
    missing and ValueError when the import is refused (with the report).
    """
    store = store or Store()
    if name in list_cohorts(store):
        return name
    folder = Path(folder) if folder else paths.SAMPLE_DIR
    clinical, manifest = folder / "clinical.csv", folder / "manifest.csv"
    for path in (clinical, manifest):
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing; build the sample cohort with `python -m hccdash.sample`")
    table = read_table(clinical)
    result = import_cohort(name, table, sample_mapping(table), images=read_manifest(manifest),
                           split=split or SplitSettings(), source=clinical.name, store=store)
    if not result.ok:
        raise ValueError(f"The sample cohort was refused:\n{result.report.to_text()}")
    return name
