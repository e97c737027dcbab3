"""VIF against car::vif (fixture tests/reference/collinearity, made by vif.R) and closed forms."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.stats import vif

REF = Path(__file__).resolve().parents[1] / "reference" / "collinearity"
WHAS = pd.read_csv(REF / "whas500.csv")


def test_vif_matches_car():
    """R: car::vif(lm(lenfol ~ age + bmi + hr + sysbp + diasbp + gender + chf + los, whas)), 1e-10."""
    expected = pd.Series(json.loads((REF / "vif.json").read_text()))
    result = vif(WHAS[list(expected.index)])
    np.testing.assert_allclose(result[expected.index], expected, rtol=1e-10)


def test_vif_is_one_over_one_minus_r2_of_each_regression():
    """Closed form: regress each column on the others (least squares with intercept)."""
    X = WHAS[["age", "bmi", "hr", "sysbp", "diasbp"]].to_numpy(float)
    result = vif(WHAS[["age", "bmi", "hr", "sysbp", "diasbp"]])
    for j in range(X.shape[1]):
        others = np.column_stack([np.ones(len(X)), np.delete(X, j, axis=1)])
        fitted = others @ np.linalg.lstsq(others, X[:, j], rcond=None)[0]
        r2 = 1 - np.sum((X[:, j] - fitted) ** 2) / np.sum((X[:, j] - X[:, j].mean()) ** 2)
        assert result.iloc[j] == pytest.approx(1 / (1 - r2), rel=1e-10)


def test_two_columns_give_one_over_one_minus_r_squared():
    r = np.corrcoef(WHAS.sysbp, WHAS.diasbp)[0, 1]
    result = vif(WHAS[["sysbp", "diasbp"]])
    np.testing.assert_allclose(result, 1 / (1 - r**2), rtol=1e-12)
    assert vif(WHAS[["age"]]).iloc[0] == 1.0


def test_dependent_or_constant_columns_are_named():
    with pytest.raises(ValueError, match="bp_sum"):
        vif(WHAS[["sysbp", "diasbp"]].assign(bp_sum=WHAS.sysbp + WHAS.diasbp))
    with pytest.raises(ValueError, match="flat"):
        vif(WHAS[["age"]].assign(flat=1.0))
