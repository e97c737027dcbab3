"""LASSO Cox / logistic, its path and cross-validation against glmnet 4.1.6 (R 4.2).

Fixtures in tests/reference/lasso/ (lasso.R, data from make_data.py, VERSIONS.txt):
whas500 (scikit-survival; time in years, event fstat; 14 columns z-scored with R's scale())
and breast cancer (scikit-learn; the ten "mean" columns, z-scored). R calls::

    glmnet(x, Surv(time, status), family = "cox", standardize = FALSE,
           lambda = c(0.1, 0.02, 0.003), thresh = 1e-14, maxit = 1e7)
    glmnet(x, y, family = "binomial", standardize = FALSE,
           lambda = c(0.05, 0.005, 0.0005), thresh = 1e-14, maxit = 1e7)
    glmnet(x, y, family = ..., standardize = FALSE, thresh = 1e-14, maxit = 1e7)  # path
    cv.glmnet(x, y, family = ..., standardize = FALSE, foldid = foldid,
              thresh = 1e-14, maxit = 1e7)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sksurv.util import Surv

from hccdash.stats import cv_lasso, lasso_cox, lasso_logistic, lasso_path

REF = Path(__file__).resolve().parents[1] / "reference" / "lasso"
COEF_TOL = 2e-4  # absolute, the target for LASSO coefficients


def _zscore(frame: pd.DataFrame) -> pd.DataFrame:
    return (frame - frame.mean()) / frame.std(ddof=1)  # R's scale()


@pytest.fixture(scope="module")
def whas():
    data = pd.read_csv(REF / "whas500.csv")
    X = _zscore(data.iloc[:, :14])
    y = Surv.from_arrays(event=data["fstat"].astype(bool), time=data["lenfol"] / 365.25)
    return X, y, data["foldid"].to_numpy()


@pytest.fixture(scope="module")
def breast():
    data = pd.read_csv(REF / "breast_cancer.csv")
    return _zscore(data.iloc[:, :10]), data["target"].to_numpy(), data["foldid"].to_numpy()


def _r_coef(name: str) -> pd.DataFrame:
    """R's coefficients as a features x lambdas frame (lambdas decreasing)."""
    long = pd.read_csv(REF / name)
    wide = long.pivot_table(index="feature", columns="lambda", values="coef", sort=False)
    return wide[sorted(wide.columns, reverse=True)]


def test_lasso_cox_matches_glmnet_at_fixed_lambdas(whas):
    """coef(glmnet(x, Surv(time, status), "cox", standardize=FALSE, lambda=l, thresh=1e-14))."""
    X, y, _ = whas
    expected = _r_coef("cox_coef.csv")
    for lam in expected.columns:
        got = lasso_cox(X, y["time"], y["event"], lam)
        assert list(got.index) == list(X.columns)
        np.testing.assert_allclose(got.to_numpy(), expected.loc[X.columns, lam], atol=COEF_TOL, rtol=0)
        assert (got == 0).sum() == (expected[lam] == 0).sum()


def test_lasso_logistic_matches_glmnet_at_fixed_lambdas(breast):
    """coef(glmnet(x, y, "binomial", standardize=FALSE, lambda=l, thresh=1e-14)), intercept first."""
    X, y, _ = breast
    expected = _r_coef("binomial_coef.csv").rename(index={"(Intercept)": "intercept"})
    for lam in expected.columns:
        got = lasso_logistic(X, y, lam)
        assert list(got.index) == ["intercept", *X.columns]
        np.testing.assert_allclose(got.to_numpy(), expected.loc[got.index, lam], atol=COEF_TOL, rtol=0)


@pytest.mark.parametrize("family", ["cox", "binomial"])
def test_path_matches_glmnet_path(family, whas, breast):
    """glmnet(...)$lambda (lambda[1] = lambda_max), $dev.ratio, coef(): same grid, same early stop."""
    X, y, _ = whas if family == "cox" else breast
    r_path = pd.read_csv(REF / f"{family}_path.csv")
    path = lasso_path(X, y, family)
    assert path.lambdas.size == len(r_path)  # glmnet's early stopping rule (Cox: 52 of 100)
    np.testing.assert_allclose(path.lambdas[0], r_path["lambda"][0], rtol=1e-6)
    np.testing.assert_allclose(path.lambda_max, r_path["lambda"][0], rtol=1e-6)
    np.testing.assert_allclose(path.lambdas, r_path["lambda"], rtol=1e-9)
    np.testing.assert_allclose(path.dev_ratio, r_path["dev_ratio"], atol=1e-6)
    np.testing.assert_array_equal(path.n_nonzero, r_path["df"])
    expected = _r_coef(f"{family}_path_coef.csv").rename(index={"(Intercept)": "intercept"})
    expected = expected.loc[path.coefficients.index].to_numpy()
    # Below lambda ~1e-3 the breast-cancer fit nears separation (coefficients ~5) and
    # glmnet's lognet stops with a KKT residual ~1e-8, i.e. ~1e-3 off in coefficients; there
    # our solution has the lower objective (checked below) instead.
    compared = path.lambdas >= 1e-3
    np.testing.assert_allclose(path.coefficients.to_numpy()[:, compared], expected[:, compared], atol=COEF_TOL)
    ours = path.deviance / 2 / len(X) + path.lambdas * _l1(path.coefficients)
    theirs = path.problem.family.deviance(path.problem.X @ expected) / 2 / len(X) + path.lambdas * _l1(
        pd.DataFrame(expected, index=path.coefficients.index)
    )
    assert np.all(ours <= theirs + 1e-13)
    r_null = json.loads((REF / f"{family}_cv.json").read_text())["null_deviance"]
    assert path.null_deviance == pytest.approx(r_null, rel=1e-9)


def _l1(coefs: pd.DataFrame) -> np.ndarray:
    return coefs.drop("intercept", errors="ignore").abs().sum(axis=0).to_numpy()


@pytest.mark.parametrize("family", ["cox", "binomial"])
def test_cv_matches_cv_glmnet_with_fixed_folds(family, whas, breast):
    """cv.glmnet(x, y, family, standardize=FALSE, foldid=foldid, thresh=1e-14): cvm, cvsd,
    lambda.min, lambda.1se (Cox: grouped partial-likelihood deviance)."""
    X, y, foldid = whas if family == "cox" else breast
    r_cv = pd.read_csv(REF / f"{family}_cv.csv")
    r_opt = json.loads((REF / f"{family}_cv.json").read_text())
    cv = cv_lasso(X, y, family, foldid=foldid)
    np.testing.assert_allclose(cv.lambdas, r_cv["lambda"], rtol=1e-9)
    np.testing.assert_allclose(cv.cvm, r_cv["cvm"], rtol=1e-3)
    np.testing.assert_allclose(cv.cvsd, r_cv["cvsd"], rtol=1e-3)
    np.testing.assert_array_equal(cv.n_nonzero, r_cv["nzero"])
    assert cv.lambda_min == pytest.approx(r_opt["lambda_min"], rel=1e-9)
    assert cv.lambda_1se == pytest.approx(r_opt["lambda_1se"], rel=1e-9)
    np.testing.assert_array_equal(cv.foldid, foldid)


def test_leave_one_out_cox_matches_cv_glmnet():
    """cv.glmnet(x, Surv(time, status), "cox", standardize=FALSE, foldid=1:80, thresh=1e-14)
    on the first 80 whas500 rows (age, bmi, hr, sysbp, chf): censored rows are folds
    without events (weight 0 in cvm, counted in N)."""
    data = pd.read_csv(REF / "whas500.csv").iloc[:80]
    X = _zscore(data[["age", "bmi", "hr", "sysbp", "chf"]])
    y = Surv.from_arrays(event=data["fstat"].astype(bool), time=data["lenfol"] / 365.25)
    r_cv = pd.read_csv(REF / "cox_loo_cv.csv")
    r_opt = json.loads((REF / "cox_loo_cv.json").read_text())
    cv = cv_lasso(X, y, "cox", n_folds=len(X))
    np.testing.assert_allclose(cv.lambdas, r_cv["lambda"], rtol=1e-9)
    np.testing.assert_allclose(cv.cvm, r_cv["cvm"], rtol=1e-3)
    np.testing.assert_allclose(cv.cvsd, r_cv["cvsd"], rtol=1e-3)
    assert cv.lambda_min == pytest.approx(r_opt["lambda_min"], rel=1e-9)
    assert cv.lambda_1se == pytest.approx(r_opt["lambda_1se"], rel=1e-9)


def test_off_grid_coef_is_an_exact_refit(whas):
    X, y, _ = whas
    path = lasso_path(X, y, "cox")
    lam = float(np.sqrt(path.lambdas[10] * path.lambdas[11]))
    direct = lasso_cox(X, y["time"], y["event"], lam)
    np.testing.assert_allclose(path.coef(lam), direct, atol=1e-8)
    np.testing.assert_array_equal(path.coef(path.lambdas[10]), path.coefficients.iloc[:, 10])
    assert not np.allclose(path.coef(lam), path.coefficients.iloc[:, 10], atol=1e-4)


def test_cox_target_as_structured_array_or_pair(whas):
    X, y, _ = whas
    lam = [0.05, 0.01]
    a = lasso_path(X, y, "cox", lambdas=lam).coefficients
    b = lasso_path(X, (y["time"], y["event"]), "cox", lambdas=lam).coefficients
    pd.testing.assert_frame_equal(a, b)
    swapped = np.empty(len(y), dtype=[("time", float), ("status", bool)])
    swapped["time"], swapped["status"] = y["time"], y["event"]
    pd.testing.assert_frame_equal(a, lasso_path(X, swapped, "cox", lambdas=lam).coefficients)


def _cox_gradient(X: np.ndarray, time: np.ndarray, event: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Gradient of -loglik/n (Breslow), written from the definition, row by row."""
    eta = X @ beta
    grad = np.zeros(X.shape[1])
    for i in np.flatnonzero(event):
        at_risk = time >= time[i]
        w = np.exp(eta[at_risk])
        grad -= X[i] - w @ X[at_risk] / w.sum()
    return grad / len(time)


def test_kkt_conditions_when_p_exceeds_n():
    """Optimality: gradient = -lam sign(b) on the support, |gradient| <= lam elsewhere."""
    rng = np.random.default_rng(3)
    n, p = 60, 150
    X = rng.standard_normal((n, p))
    time = np.round(rng.exponential(np.exp(-X[:, 0] + 0.5 * X[:, 1])), 1) + 0.1  # with ties
    event = (rng.uniform(size=n) < 0.7).astype(float)
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(p)])
    path = lasso_path(frame, (time, event), "cox")
    assert path.lambdas.size > 5
    for k in (len(path.lambdas) // 2, len(path.lambdas) - 1):
        lam, beta = path.lambdas[k], path.coefficients.iloc[:, k].to_numpy()
        grad = _cox_gradient(X, time, event, beta)
        on = beta != 0
        assert on.sum() > 1
        np.testing.assert_allclose(grad[on], -lam * np.sign(beta[on]), atol=1e-7)
        assert np.all(np.abs(grad[~on]) <= lam + 1e-9)


def test_warnings_null_model_and_flat_curve():
    rng = np.random.default_rng(7)
    n = 120
    signal = pd.DataFrame(rng.standard_normal((n, 5)), columns=list("abcde"))
    noise = pd.DataFrame(rng.standard_normal((n, 5)), columns=list("vwxyz"))
    y_signal = (signal["a"] + 0.2 * rng.standard_normal(n) > 0).astype(int)
    y_noise = rng.integers(0, 2, n)

    cv = cv_lasso(signal, y_signal, "binomial", n_folds=5, seed=1)
    assert not cv.is_flat and not cv.is_null("lambda.min")
    assert cv.warnings("lambda.min") == ()
    assert cv.is_null(cv.lambdas[0] * 2) and "null model" in cv.warnings(cv.lambdas[0] * 2)[0]
    assert cv.coef("lambda.min")["a"] > 0 and cv.lambda_1se >= cv.lambda_min

    flat = cv_lasso(noise, y_noise, "binomial", n_folds=5, seed=1)
    assert flat.is_flat and flat.lambda_1se == flat.lambdas[0]
    assert any("flat" in w for w in flat.warnings("lambda.1se"))
    assert flat.is_null("lambda.1se")


def test_folds_seeded_balanced_and_leave_one_out(breast):
    X, y, _ = breast
    X, y = X.iloc[:40], y[:40]
    a = cv_lasso(X, y, "binomial", n_folds=5, seed=4, n_lambda=10)
    b = cv_lasso(X, y, "binomial", n_folds=5, seed=4, n_lambda=10)
    np.testing.assert_array_equal(a.foldid, b.foldid)
    np.testing.assert_array_equal(np.bincount(a.foldid)[1:], [8] * 5)
    np.testing.assert_allclose(a.cvm, b.cvm)
    parallel = cv_lasso(X, y, "binomial", n_folds=5, seed=4, n_lambda=10, n_jobs=2)
    np.testing.assert_array_equal(parallel.cvm, a.cvm)
    loo = cv_lasso(X, y, "binomial", n_folds=40, n_lambda=10)
    assert sorted(loo.foldid) == list(range(1, 41))
    assert np.all(np.isfinite(loo.cvm)) and np.all(loo.cvsd > 0)


def test_bad_input_names_the_problem(whas):
    X, y, _ = whas
    bad = X.copy()
    bad.iloc[3, 2] = np.nan
    with pytest.raises(ValueError, match="av3"):
        lasso_cox(bad, y["time"], y["event"], 0.1)
    with pytest.raises(ValueError, match="event must be 0/1"):
        lasso_cox(X, y["time"], np.full(len(X), 2.0), 0.1)
    with pytest.raises(ValueError, match="family"):
        lasso_path(X, y, "poisson")
    with pytest.raises(ValueError, match="single class"):
        lasso_logistic(X, np.ones(len(X)), 0.1)
    with pytest.raises(ValueError, match="intercept"):
        lasso_logistic(X.rename(columns={"age": "intercept"}), y["event"].astype(int), 0.1)
    with pytest.raises(ValueError, match="n_folds"):
        cv_lasso(X, y, "cox", n_folds=2)
