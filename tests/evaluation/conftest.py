"""Shared fitted models for the evaluation tests: a synthetic cohort with two centres,
built once per session with quick settings (no store needed), and a stored copy for the
page and job tests."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from hccdash.modeling.builder import ModelBuilder
from hccdash.modeling.synthetic import synthetic_inputs
from hccdash.settings import ModelSettings

from evaluation_fixtures import COHORT, QUICK, SOURCE, with_centres


@pytest.fixture(scope="session")
def builder() -> ModelBuilder:
    return ModelBuilder(with_centres(synthetic_inputs(n=160, p=60, seed=3, n_latent=15)))


@pytest.fixture(scope="session")
def rfs_result(builder):
    return builder.build(QUICK, ("AFP", "BCLC", "age"))


@pytest.fixture(scope="session")
def rfs_evaluation(builder, rfs_result):
    from hccdash.evaluation.summary import evaluate

    return evaluate(rfs_result, builder)


@pytest.fixture(scope="session")
def er_result(builder):
    settings = dataclasses.replace(QUICK, model=ModelSettings(endpoint="er", er_horizon_months=12.0))
    return builder.build(settings, ("AFP", "BCLC", "age"))


@pytest.fixture(scope="session")
def er_evaluation(builder, er_result):
    from hccdash.evaluation.summary import evaluate

    return evaluate(er_result, builder)


def _long(frame: pd.DataFrame, reader: str) -> pd.DataFrame:
    long = frame.rename_axis("patient_id").reset_index().melt(id_vars="patient_id", var_name="column")
    long[["phase", "feature"]] = long["column"].str.split(".", n=1, expand=True)
    return long.assign(reader=reader)[["patient_id", "phase", "reader", "feature", "value"]]


@pytest.fixture
def stored_cohort(hccdash_home, tmp_path) -> str:
    """The synthetic cohort (two centres, imported features) in the test's store."""
    from hccdash.cohort import EventCoding, guess_mapping, import_cohort, read_table, remap
    from hccdash.extraction.features_io import store_imported
    from hccdash.settings import SplitSettings

    inputs = synthetic_inputs(n=120, p=40, seed=5, n_latent=12)
    table = inputs.clinical.astype(object).join(inputs.patients[["time", "event"]])
    table = table.rename(columns={"time": "rfs_months", "event": "recurrence"})
    table["centre"] = ["B" if i % 3 == 0 else "A" for i in range(len(table))]
    path = tmp_path / "clinical.csv"
    table.rename_axis("patient_id").to_csv(path)
    frame = read_table(path)
    mapping = remap(frame, guess_mapping(frame), id_col="patient_id", time_col="rfs_months", time_unit="months",
                    event_col="recurrence", event_coding=EventCoding(("1",), ("0",)), centre_col="centre")
    mapping = mapping.with_predictors(list(inputs.clinical.columns))
    result = import_cohort(COHORT, frame, mapping, split=SplitSettings())
    assert result.ok, result.report.to_text()
    store_imported(pd.concat([_long(inputs.features, "1"), _long(inputs.repeats[1], "2")], ignore_index=True),
                   COHORT, SOURCE)
    return COHORT
