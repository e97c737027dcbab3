"""hccdash.stats.roc against pROC 1.18.0 (fixture: tests/reference/roc/)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.stats import roc

FIXTURE = Path(__file__).resolve().parents[1] / "reference" / "roc"
DATA = pd.read_csv(FIXTURE / "gbsg2.csv")
R = json.loads((FIXTURE / "roc.json").read_text())
Y = DATA["cens"].to_numpy()
SCORES = {
    "pnodes": DATA["pnodes"].to_numpy(float),
    "tsize": DATA["tsize"].to_numpy(float),
    "progrec_neg": -DATA["progrec"].to_numpy(float),
    "progrec": DATA["progrec"].to_numpy(float),
}


def _r_float(values) -> np.ndarray:
    return np.array([float(v) for v in values])


@pytest.mark.parametrize("name", list(SCORES))
def test_delong_ci_against_r(name):
    """r <- roc(y, score, levels = c(0, 1), direction = "<"); ci.auc(r, method = "delong")
    at conf.level 0.95 and 0.90; tolerance 1e-6."""
    expected = R[name]
    auc, lower, upper = roc.delong_ci(Y, SCORES[name])
    assert auc == pytest.approx(expected["auc"], abs=1e-9)
    assert (lower, upper) == pytest.approx([expected["ci95"][0], expected["ci95"][2]], abs=1e-6)
    assert roc.delong_ci(Y, SCORES[name], level=0.90)[1:] == pytest.approx(
        [expected["ci90"][0], expected["ci90"][2]], abs=1e-6
    )
    assert roc.auc(Y, SCORES[name]) == pytest.approx(expected["auc"], abs=1e-9)


@pytest.mark.parametrize("name", list(SCORES))
def test_roc_curve_thresholds_against_r(name):
    """r$thresholds, r$sensitivities, r$specificities of roc(..., direction = "<"): exact."""
    curve = roc.roc_curve(Y, SCORES[name])
    expected = R[name]
    np.testing.assert_array_equal(curve["threshold"].to_numpy(), _r_float(expected["thresholds"]))
    np.testing.assert_allclose(curve["sensitivity"], expected["sensitivities"], atol=1e-12)
    np.testing.assert_allclose(curve["specificity"], expected["specificities"], atol=1e-12)


@pytest.mark.parametrize("name", list(SCORES))
def test_youden_cutoff_against_r(name):
    """coords(r, "best", best.method = "youden"); exact threshold. For raw progrec (a
    protective marker under direction "<") pROC returns two tied best thresholds, -Inf and
    Inf; the first (lowest) is taken."""
    expected = R[name]
    thr, sens, spec = roc.youden_cutoff(Y, SCORES[name])
    assert thr == _r_float(np.atleast_1d(expected["best_threshold"]))[0]
    assert sens == pytest.approx(np.atleast_1d(expected["best_sensitivity"])[0], abs=1e-12)
    assert spec == pytest.approx(np.atleast_1d(expected["best_specificity"])[0], abs=1e-12)


def test_auto_direction_would_flip_protective_marker():
    """pROC's default direction = "auto" picks ">" for raw progrec and reports 1 - AUC;
    hccdash keeps direction "<"."""
    assert R["progrec"]["auto_direction"] == ">"
    assert roc.auc(Y, SCORES["progrec"]) == pytest.approx(1 - R["progrec"]["auto_auc"], abs=1e-9)


@pytest.mark.parametrize("case", R["tests"], ids=lambda c: f"{c['a']}-{c['b']}")
def test_delong_test_against_r(case):
    """roc.test(roc(y, a, direction = "<"), roc(y, b, direction = "<"), method = "delong",
    paired = TRUE): z and p, tolerance 1e-6."""
    result = roc.delong_test(Y, SCORES[case["a"]], SCORES[case["b"]])
    assert result.z == pytest.approx(case["z"], abs=1e-6)
    assert result.p == pytest.approx(case["p"], abs=1e-6)


def test_classification_metrics_by_hand():
    y = [1, 1, 1, 0, 0, 0, 0]
    score = [0.9, 0.6, 0.2, 0.7, 0.3, 0.1, 0.6]
    m = roc.classification_metrics(y, score, 0.6)
    assert (m.tp, m.fp, m.tn, m.fn) == (2, 2, 2, 1)
    assert (m.sensitivity, m.specificity, m.ppv, m.npv, m.accuracy) == pytest.approx(
        (2 / 3, 0.5, 0.5, 2 / 3, 4 / 7)
    )


def test_bad_outcome_names_value():
    with pytest.raises(ValueError, match="0/1"):
        roc.auc([0, 1, 2], [0.1, 0.2, 0.3])
