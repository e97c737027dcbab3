"""A stored cohort with imported synthetic features (readers 1 and 2), for page and job tests."""

from __future__ import annotations

import pandas as pd
import pytest

from hccdash.modeling.synthetic import synthetic_inputs

COHORT = "synthetic"
SOURCE = "synthetic_features.csv"


def long_features(frame: pd.DataFrame, reader: str) -> pd.DataFrame:
    """Wide "{phase}.{feature}" matrix -> the long form of imported feature tables."""
    long = frame.rename_axis("patient_id").reset_index().melt(id_vars="patient_id", var_name="column")
    long[["phase", "feature"]] = long["column"].str.split(".", n=1, expand=True)
    return long.assign(reader=reader)[["patient_id", "phase", "reader", "feature", "value"]]


@pytest.fixture
def stored_cohort(hccdash_home, tmp_path) -> str:
    """Cohort "synthetic" (120 patients, 90 features, 30 repeat patients) in the test's store."""
    from hccdash.cohort import EventCoding, guess_mapping, import_cohort, read_table, remap
    from hccdash.extraction.features_io import store_imported
    from hccdash.settings import SplitSettings

    inputs = synthetic_inputs(n=120, p=90, seed=5, n_latent=20)
    table = inputs.clinical.astype(object).join(inputs.patients[["time", "event"]])
    table = table.rename(columns={"time": "rfs_months", "event": "recurrence"})
    table["centre"] = ["A" if i % 3 else "B" for i in range(len(table))]
    path = tmp_path / "clinical.csv"
    table.rename_axis("patient_id").to_csv(path)
    frame = read_table(path)
    mapping = remap(frame, guess_mapping(frame), id_col="patient_id", time_col="rfs_months", time_unit="months",
                    event_col="recurrence", event_coding=EventCoding(("1",), ("0",)), centre_col="centre")
    mapping = mapping.with_predictors(list(inputs.clinical.columns))
    result = import_cohort(COHORT, frame, mapping, split=SplitSettings())
    assert result.ok, result.report.to_text()
    first, second = inputs.repeats
    long = pd.concat([long_features(inputs.features, "1"), long_features(second, "2")], ignore_index=True)
    store_imported(long, COHORT, SOURCE)
    return COHORT


@pytest.fixture
def feature_source() -> str:
    """The imported feature table of ``stored_cohort``."""
    return SOURCE
