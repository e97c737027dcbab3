"""Hosmer-Lemeshow on a small split: the chi-square stays as ResourceSelection::hoslem.test
computes it (df = groups - 2), and a warning names the few events / expected counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hccdash import stats
from hccdash.evaluation.calibration import hosmer_lemeshow_table
from hccdash.evaluation.predictions import Prediction


def _logistic(y, prob, split: str = "validation") -> Prediction:
    n = len(y)
    return Prediction("combined", split, "logistic", pd.Index([f"P{i}" for i in range(n)]), np.zeros(n),
                      np.asarray(y), np.asarray(y), np.log(prob / (1 - prob)), (), None, np.asarray(prob))


def test_small_split_gets_a_warning_with_its_numbers():
    prob = np.linspace(0.001, 0.2, 60)
    y = np.r_[np.ones(6), np.zeros(54)]  # the 6 events among the lowest predictions: huge chi-square
    row = hosmer_lemeshow_table({("combined", "validation"): _logistic(y, prob)}, 10).iloc[0]
    assert (row["chisq"], row["p"]) == pytest.approx((stats.hosmer_lemeshow(y, prob, 10).chisq, stats.hosmer_lemeshow(y, prob, 10).p))
    assert row["chisq"] > 100 and row["df"] == 8 and row["groups"] == 10
    smallest = prob.reshape(10, 6).sum(axis=1).min()  # deciles of 60 distinct values: 6 per group
    assert smallest < 1
    assert "6 events in 60 patients" in row["warning"] and f"{smallest:.2f} events" in row["warning"]
    assert "unreliable" in row["warning"]


def test_well_powered_split_has_no_warning():
    rng = np.random.default_rng(0)
    prob = rng.uniform(0.2, 0.8, 400)
    y = (rng.random(400) < prob).astype(float)
    row = hosmer_lemeshow_table({("combined", "train"): _logistic(y, prob, "train")}, 10).iloc[0]
    assert row["warning"] == ""


def test_evaluation_notes_and_calibration_title_carry_the_warning(er_evaluation):
    from hccdash.evaluation import figures

    hl = er_evaluation.hosmer_lemeshow
    warned = hl[hl["warning"] != ""]
    assert len(warned)  # the synthetic validation split is small
    assert set(warned["warning"]) <= set(er_evaluation.notes)
    split = warned["split"].iloc[0]
    chart, _ = figures.calibration(er_evaluation, split)
    assert "(unreliable, see notes)" in str(chart.to_dict()["title"])
