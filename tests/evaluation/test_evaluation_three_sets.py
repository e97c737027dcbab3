"""The three-cohort design through model building and evaluation: training, internal and
external validation side by side, each with the right patients and counts."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from hccdash import stats
from hccdash.evaluation import figures
from hccdash.evaluation.data import prepare
from hccdash.evaluation.nomogram import nomogram_check
from hccdash.evaluation.report import report_content
from hccdash.evaluation.summary import evaluate
from hccdash.settings import SplitSettings

from evaluation_fixtures import QUICK

THREE = SplitSettings(method="three", train_fraction=0.7, seed=42, validation_centres=("B",), resplit=True)
SETS = ["train", "validation", "external"]
NAMES = ["training", "internal validation", "external validation"]


@pytest.fixture(scope="module")
def three(builder):
    result = builder.build(dataclasses.replace(QUICK, split=THREE), ("AFP", "BCLC", "age"))
    return result, evaluate(result, builder)


def test_sets_are_the_held_out_centre_and_a_stratified_split_of_the_other(builder, three):
    result, _ = three
    centre = builder.inputs.patients["centre"]
    sets = result.set_indices
    assert list(sets) == SETS
    assert set(sets["external"]) == set(centre.index[centre == "B"])
    development = centre.index[centre == "A"]
    assert set(sets["train"]) | set(sets["validation"]) == set(development)
    assert not set(sets["train"]) & set(sets["validation"])
    assert len(sets["train"]) == int(0.7 * len(development))  # floor, as train_test_split
    event = builder.inputs.patients["event"]
    assert abs(event[sets["train"]].mean() - event[development].mean()) < 0.02  # stratified by event
    assert list(result.discrimination.columns) == SETS
    assert result.summary()["n_external"] == len(sets["external"])
    assert result.settings.split == THREE  # the design used, for the methods text


def test_every_evaluation_table_has_the_three_sets_with_their_counts(three):
    result, evaluation = three
    sizes = {name: len(ids) for name, ids in result.set_indices.items()}
    assert evaluation.splits == SETS
    table = evaluation.discrimination
    for model, rows in table.groupby("model"):
        assert rows["split"].tolist() == SETS, model
        assert dict(zip(rows["split"], rows["n"])) == sizes, model  # no missing inputs in this cohort
    groups = evaluation.risk_groups["combined"]
    assert groups.comparisons["split"].tolist() == SETS
    train_lp = evaluation.predictions[("combined", "train")].lp
    assert groups.cutoff == pytest.approx(float(np.median(train_lp)))  # the training cut-off, for every set
    for frame in (evaluation.calibration, evaluation.decision, evaluation.time_auc):
        assert sorted(frame["split"].unique()) == sorted(SETS)
    assert evaluation.set_names == dict(zip(SETS, NAMES))


def test_pages_csvs_and_report_name_the_three_sets(three):
    _, evaluation = three
    chart, data = figures.discrimination(evaluation)
    assert list(pd.unique(data["split"])) == NAMES
    assert chart.to_dict()["layer"][0]["encoding"]["xOffset"]["sort"] == NAMES
    _, curves = figures.km(evaluation, "combined", "external")
    assert set(curves["split"]) == {"external validation"}
    content = report_content(evaluation, "three")
    discrimination = dict(content.tables)[next(h for h, _ in content.tables if h.startswith("Discrimination"))]
    assert list(pd.unique(discrimination["split"])) == NAMES
    patients = dict(content.summary)["Patients"]
    assert patients.startswith("training: ") and "internal validation: " in patients and "external validation: " in patients
    assert "patients of B formed the external validation set" in content.methods
    names = [name for name, _ in figures.all_figures(evaluation)]
    assert "km_combined_external" in names and "calibration_external_12m" in names


def test_a_saved_pipeline_is_evaluated_on_the_same_three_sets(builder, three):
    result, _ = three
    data = prepare(result.model, builder)  # as a pipeline loaded from the registry
    assert list(data.splits) == SETS
    for name, ids in result.set_indices.items():
        assert data.splits[name].ids.equals(ids)


def test_a_split_without_external_centres_is_refused_naming_it(builder):
    bad = dataclasses.replace(QUICK, split=dataclasses.replace(THREE, validation_centres=("Z",)))
    with pytest.raises(ValueError, match=r"Split 'three' of this cohort: external validation centre\(s\) \['Z'\]"):
        builder.build(bad, ("AFP",))


def test_nomogram_check_reads_every_set_off_the_nomogram(builder, three):
    """Each set's total points range equals what rms::nomogram gives its patients
    (stats.nomogram_points, R-checked); values beyond an axis are counted against the drawn ticks;
    the outcome read off the nomogram equals the model's S(t) at every horizon."""
    result, evaluation = three
    check = evaluation.nomogram_check.set_index("split")
    assert check["n"].to_dict() == {name: len(ids) for name, ids in result.set_indices.items()}
    assert (check["max_abs_difference"] < 1e-10).all()
    model = result.model
    coef = {str(k): float(v) for k, v in model.combined_.model_.coef_.items()}
    data = prepare(result, builder)

    def design(frame):
        found = model.combined_.design(model.clinical_design(frame), model.rad_score(frame))
        return found.set_axis([str(c) for c in found.columns], axis=1)

    train = design(data.train.frame)
    ticks = evaluation.nomogram[evaluation.nomogram["kind"] == "predictor"].groupby("axis")["value"]
    low, high = ticks.min().astype(float), ticks.max().astype(float)
    for name, split in data.splits.items():
        rows = design(split.frame)
        totals = [stats.nomogram_points(coef, train, row, centre=True)["total"] for row in rows.to_dict("records")]
        assert check.loc[name, "total_points_min"] == pytest.approx(min(totals), rel=1e-9, abs=1e-9), name
        assert check.loc[name, "total_points_max"] == pytest.approx(max(totals), rel=1e-9), name
        beyond = ((rows[low.index] < low) | (rows[high.index] > high)).any(axis=1).sum()
        assert check.loc[name, "beyond_predictor_axes"] == beyond, name
    assert evaluation.named(evaluation.nomogram_check)["split"].tolist() == NAMES
    # a patient far beyond the training range falls off its axis (and off the total-points axis)
    external = data.splits["external"].frame.copy()
    term = max((t for t in coef if t in external.columns), key=lambda t: abs(coef[t]) * train[t].std())
    external.iloc[0, external.columns.get_loc(term)] = float(train[term].max()) + 500 * float(train[term].std())
    moved = nomogram_check(model, data.train.frame, {"external": external}, evaluation.horizons).iloc[0]
    assert moved["beyond_predictor_axes"] == check.loc["external", "beyond_predictor_axes"] + 1
    assert moved["beyond_total_axis"] == 1 and moved["max_abs_difference"] < 1e-10
