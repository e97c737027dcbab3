"""Evaluation of a model with log(AFP) and an age spline: the nomogram has one axis per predictor in its own
values, points nonlinear in them, and reproduces the model's predictions (labels of an axis that folds back
kept apart); the forest plot shows each transformed term as one inter-quartile ratio (rms's summary)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from hccdash.evaluation.data import prepare
from hccdash.evaluation.nomogram import nomogram_check, nomogram_ticks, spaced_labels, turns_back
from hccdash.settings import ModelSettings

from evaluation_fixtures import QUICK

pytestmark = pytest.mark.filterwarnings("ignore:Only .* events per model term:UserWarning")


@pytest.fixture(scope="module")
def splined(builder):
    model = ModelSettings(clinical_force_in=("AFP", "age"), clinical_log=("AFP",), clinical_splines=(("age", 4),))
    return builder.build(dataclasses.replace(QUICK, model=model), ("AFP", "BCLC", "age"))


def test_transformed_predictors_get_one_nonlinear_axis_in_their_own_values(builder, splined):
    data = prepare(splined, builder)
    ticks = nomogram_ticks(splined.model, data.train.frame, (12.0, 24.0))
    axes = set(ticks["axis"])
    assert {"age", "AFP"} <= axes and not axes & {"age'", "age''", "log(AFP)"}
    afp = ticks[ticks["axis"] == "AFP"]
    assert (afp["value"].astype(float) > 0).all()
    # log: equal ratios of AFP give equal steps of points
    x = dict(zip(afp["value"].astype(float), afp["x"]))
    assert x[100.0] - x[10.0] == pytest.approx(x[10.0] - x[1.0], rel=1e-9)
    age = ticks[ticks["axis"] == "age"]
    steps = np.diff(age["x"]) / np.diff(age["value"].astype(float))
    assert np.ptp(steps) > 1e-3  # not a straight line
    check = nomogram_check(splined.model, data.train.frame, {n: s.frame for n, s in data.splits.items()},
                           (12.0, 24.0)).set_index("split")
    assert check["max_abs_difference"].max() < 1e-12  # the nomogram reproduces S(t)


def test_labels_of_an_axis_that_folds_back_stay_apart():
    points = np.array([12.5, 9.4, 6.4, 3.5, 1.4, 0.4, 0.07, 0.0, 0.08, 0.2, 0.33])
    assert turns_back(points) and not turns_back(np.sort(points))
    assert spaced_labels(points) == [True, False, True, False, True, False, False, False, False, False, False]


def test_forest_rows_are_interquartile_ratios_of_the_transformed_terms(splined):
    from hccdash.evaluation.forest_plot import ratio_table

    model = splined.model
    table = ratio_table(model, 0.95)
    combined = table[table["model"] == "combined"].set_index("term")
    assert not set(combined.index) & {"age'", "age''", "log(AFP)", "age"}
    term = model.clinical_.terms_["AFP"]
    low, high = term.effect_range
    row = combined.loc[f"AFP ({high:.4g} vs {low:.4g}, IQR)"]
    b = model.combined_.model_.coef_["log(AFP)"]
    se = np.sqrt(model.combined_.model_.cov_.loc["log(AFP)", "log(AFP)"])
    assert row["ratio"] == pytest.approx(np.exp(b * np.log(high / low)), rel=1e-12)
    assert row["upper"] == pytest.approx(np.exp(b * np.log(high / low) + 1.959963984540054 * se * np.log(high / low)),
                                         rel=1e-9)
    assert any(t.startswith("age (") and t.endswith("IQR)") for t in combined.index)
    assert list(table["model"].unique()) == ["clinical", "combined"]
