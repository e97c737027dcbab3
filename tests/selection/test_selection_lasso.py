"""LASSO selector: lambda choice along the CV path, rad-score, formula and guardrails."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hccdash import stats
from hccdash.selection import LassoSelector
from hccdash.selection.target import survival_target


@pytest.fixture(scope="module")
def cox_data():
    rng = np.random.default_rng(7)
    n, p = 120, 8
    X = pd.DataFrame(rng.normal(size=(n, p)), columns=[f"f{j}" for j in range(p)])
    lp = 1.0 * X["f0"] - 0.7 * X["f1"]
    t = rng.exponential(np.exp(-lp))
    c = rng.uniform(0.2, 3, n)
    return X, survival_target(np.minimum(t, c), (t <= c).astype(int))


@pytest.fixture(scope="module")
def fitted(cox_data):
    X, y = cox_data
    return LassoSelector(folds=5, seed=1).fit(X, y)


def test_lambda_min_coefficients_equal_lasso_cox(cox_data, fitted):
    """The selector's coefficients at lambda.min are stats.lasso_cox at that lambda (1e-6)."""
    X, y = cox_data
    assert fitted.lambda_value_ == fitted.cv_.lambda_min
    direct = stats.lasso_cox(X, y["time"], y["event"].astype(int), fitted.lambda_value_)
    np.testing.assert_allclose(fitted.coef_.to_numpy(), direct.to_numpy(), atol=1e-6)
    assert {"f0", "f1"} <= set(fitted.selected_features_)
    assert fitted.coefficients_["f0"] > 0 > fitted.coefficients_["f1"]


def test_at_lambda_reuses_the_path(cox_data, fitted):
    """at_lambda('lambda.1se') equals a fresh fit with that rule (same folds), without refitting
    the path (the CV result object is the same)."""
    X, y = cox_data
    moved = fitted.at_lambda("lambda.1se")
    fresh = LassoSelector(lambda_="lambda.1se", folds=5, seed=1).fit(X, y)
    assert moved.cv_ is fitted.cv_
    pd.testing.assert_series_equal(moved.coef_, fresh.coef_)
    assert moved.lambda_value_ >= fitted.lambda_value_
    assert fitted.lambda_value_ == fitted.cv_.lambda_min  # the original is unchanged


def test_off_grid_lambda_is_solved_exactly(cox_data, fitted):
    X, y = cox_data
    lam = float(np.sqrt(fitted.cv_.lambdas[10] * fitted.cv_.lambdas[11]))
    moved = fitted.at_lambda(lam)
    direct = stats.lasso_cox(X, y["time"], y["event"].astype(int), lam)
    np.testing.assert_allclose(moved.coef_.to_numpy(), direct.to_numpy(), atol=1e-6)


def test_fixed_lambda_without_cv_equals_the_path(cox_data, fitted):
    X, y = cox_data
    fixed = LassoSelector(lambda_=fitted.lambda_value_, folds=None).fit(X, y)
    assert fixed.cv_ is None
    np.testing.assert_allclose(fixed.coef_.to_numpy(), fitted.coef_.to_numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="numeric lambda"):
        LassoSelector(lambda_="lambda.min", folds=None).fit(X, y)


def test_null_model_warning(fitted):
    """Above lambda_max no feature survives: the rad-score is 0 and a warning says so."""
    null = fitted.at_lambda(fitted.cv_.lambdas[0] * 2)
    assert null.selected_features_ == []
    assert any("No feature survives" in w for w in null.warnings_)
    assert null.formula() == "rad_score = 0"


def test_rad_score_and_formula(cox_data, fitted):
    """rad-score = sum coef * z; the formula lists every selected feature with its coefficient."""
    X, _ = cox_data
    expected = X[fitted.selected_features_].to_numpy() @ fitted.coefficients_.to_numpy()
    np.testing.assert_allclose(fitted.rad_score(X).to_numpy(), expected)
    formula = fitted.formula(digits=4)
    assert formula.startswith("rad_score = ")
    for name, value in fitted.coefficients_.items():
        assert f"{abs(value):.4g} * z({name})" in formula


def test_logistic_rad_score_includes_the_intercept():
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(150, 5)), columns=list("abcde"))
    y = (X["a"] + 0.5 * rng.normal(size=150) > 0.3).astype(int).to_numpy()
    fitted = LassoSelector(folds=5, seed=0).fit(X, y)
    direct = stats.lasso_logistic(X, y, fitted.lambda_value_)
    assert fitted.intercept_ == pytest.approx(direct["intercept"], abs=1e-6)
    np.testing.assert_allclose(fitted.rad_score(X).to_numpy(),
                               fitted.intercept_ + X[fitted.selected_features_].to_numpy() @ fitted.coefficients_.to_numpy())
    assert fitted.formula().startswith(f"rad_score = {fitted.intercept_:.4g}")


def test_flat_curve_warning_on_noise():
    """Features unrelated to the outcome: the CV curve is flat and the selector says so."""
    rng = np.random.default_rng(11)
    X = pd.DataFrame(rng.normal(size=(60, 4)), columns=list("wxyz"))
    y = survival_target(rng.exponential(size=60), np.ones(60, dtype=int))
    fitted = LassoSelector(folds=5, seed=0).fit(X, y)
    assert fitted.cv_.is_flat
    assert any("flat" in w for w in fitted.warnings_)
