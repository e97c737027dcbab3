"""Cox model against survival::coxph / survfit.coxph / anova (fixtures in tests/reference/cox,
made by cox.R from rossi.csv and whas500.csv) and closed forms."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.stats import cox_fit, likelihood_ratio_test
from hccdash.stats.cox import _derivatives, _risk_sets, univariable_cox

REF = Path(__file__).resolve().parents[1] / "reference" / "cox"
R = json.loads((REF / "cox.json").read_text())
ROSSI = pd.read_csv(REF / "rossi.csv")
WHAS = pd.read_csv(REF / "whas500.csv")
ROSSI_X = ROSSI[["fin", "age", "race", "wexp", "mar", "paro", "prio"]]
WHAS_X = WHAS[["age", "bmi", "hr", "sysbp", "diasbp", "gender", "chf", "mitype"]]
TIES = ["efron", "breslow"]


def _fit(data: str, ties: str):
    if data == "rossi":
        return cox_fit(ROSSI_X, ROSSI.week, ROSSI.arrest, ties=ties)
    return cox_fit(WHAS_X, WHAS.lenfol, WHAS.fstat, ties=ties)


@pytest.mark.parametrize("data", ["rossi", "whas"])
@pytest.mark.parametrize("ties", TIES)
def test_coefficients_and_se_match_coxph(data, ties):
    """R: coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio, rossi, ties = ties)
    and coxph(Surv(lenfol, fstat) ~ age + bmi + hr + sysbp + diasbp + gender + chf + mitype,
    whas, ties = ties), eps = 1e-11: coef, sqrt(diag(var)), loglik, means to 1e-6 relative
    (the issue asks 1e-4)."""
    ref = R[f"{data}_{ties}"]
    model = _fit(data, ties)
    names = list(ref["coef"])
    assert list(model.coef_.index) == names
    np.testing.assert_allclose(model.coef_[names], list(ref["coef"].values()), rtol=1e-6)
    np.testing.assert_allclose(model.se_[names], ref["se"], rtol=1e-6)
    np.testing.assert_allclose(model.cov_.to_numpy(), ref["var"], rtol=1e-5, atol=1e-12)
    np.testing.assert_allclose([model.loglik_null_, model.loglik_], ref["loglik"], rtol=1e-10)
    np.testing.assert_allclose(model.means_[names], list(ref["means"].values()), rtol=1e-12)
    assert model.converged_


def test_efron_and_breslow_differ_with_ties():
    """The two tie methods give different fits on rossi (many tied weeks): not a no-op flag."""
    diff = _fit("rossi", "efron").coef_ - _fit("rossi", "breslow").coef_
    assert np.abs(diff).max() > 1e-3


@pytest.mark.parametrize("ties", TIES)
def test_predict_survival_matches_survfit_newdata(ties):
    """R: summary(survfit(fit, newdata = rossi[c(1, 50, 200), ], conf.type = "log"),
    times = c(1, 8, 20, 20.5, 35, 49, 52)): surv, lower, upper to 1e-6 relative."""
    ref = R[f"rossi_survfit_{ties}"]
    model = _fit("rossi", ties)
    new = ROSSI_X.iloc[ref["rows"]]
    surv, lower, upper = model.predict_survival(new, ref["times"], level=0.95)
    # R: rows = times, columns = patients
    np.testing.assert_allclose(surv, np.array(ref["surv"]).T, rtol=1e-6)
    np.testing.assert_allclose(lower, np.array(ref["lower"]).T, rtol=1e-6)
    np.testing.assert_allclose(upper, np.array(ref["upper"]).T, rtol=1e-6)
    np.testing.assert_allclose(model.predict_survival(new, ref["times"]), surv, rtol=0)


@pytest.mark.parametrize("ties", TIES)
def test_predict_survival_matches_survfit_whas_level90(ties):
    """R: summary(survfit(fit_whas, newdata = whas[c(3, 100, 400), ], conf.int = 0.9),
    times = c(30, 365, 730, 1000, 1825)): 1e-6 relative."""
    ref = R[f"whas_survfit_{ties}"]
    model = _fit("whas", ties)
    surv, lower, upper = model.predict_survival(WHAS_X.iloc[ref["rows"]], ref["times"], level=ref["level"])
    np.testing.assert_allclose(surv, np.array(ref["surv"]).T, rtol=1e-6)
    np.testing.assert_allclose(lower, np.array(ref["lower"]).T, rtol=1e-6)
    np.testing.assert_allclose(upper, np.array(ref["upper"]).T, rtol=1e-6)


@pytest.mark.parametrize("ties", TIES)
def test_baseline_survival_matches_survfit_at_means(ties):
    """R: b <- survfit(fit) (covariates at their means), at the event times: surv, cumhaz, n.risk."""
    ref = R[f"rossi_baseline_{ties}"]
    table = _fit("rossi", ties).baseline_survival_
    np.testing.assert_allclose(table["time"], ref["time"])
    np.testing.assert_allclose(table["survival"], ref["surv"], rtol=1e-8)
    np.testing.assert_allclose(table["cumhaz"], ref["cumhaz"], rtol=1e-8)
    np.testing.assert_allclose(table["n_risk"], ref["n_risk"])


def test_survival_beyond_follow_up_is_nan_and_before_first_event_is_one():
    model = _fit("rossi", "efron")
    surv, lower, upper = model.predict_survival(ROSSI_X.iloc[:2], [0.5, 60.0], level=0.95)
    np.testing.assert_array_equal(surv[:, 0], 1.0)
    np.testing.assert_array_equal(lower[:, 0], 1.0)
    assert np.isnan(surv[:, 1]).all()


@pytest.mark.parametrize("ties", TIES)
def test_likelihood_ratio_test_matches_anova(ties):
    """R: anova(coxph(Surv(week, arrest) ~ age + prio), coxph(<all seven>)): Chisq, Df, P to 1e-6."""
    ref = R[f"rossi_anova_{ties}"]
    small = cox_fit(ROSSI_X[["age", "prio"]], ROSSI.week, ROSSI.arrest, ties=ties)
    big = _fit("rossi", ties)
    test = likelihood_ratio_test(small, big)
    chisq, df, p = test.chisq, test.df, test.p
    assert df == ref["df"] == 5
    assert chisq == pytest.approx(ref["chisq"], rel=1e-6)
    assert p == pytest.approx(ref["p"], rel=1e-6)


@pytest.mark.parametrize("ties", TIES)
def test_univariable_cox_matches_coxph_and_cox_fit(ties):
    """R: for each v, summary(coxph(Surv(lenfol, fstat) ~ v, whas, ties = ties))$coefficients."""
    ref = pd.DataFrame(R[f"whas_univariable_{ties}"]).set_index("_row")
    table = univariable_cox(WHAS_X, WHAS.lenfol, WHAS.fstat, ties=ties)
    np.testing.assert_allclose(table.loc[ref.index, "coef"], ref["coef"], rtol=1e-6)
    np.testing.assert_allclose(table.loc[ref.index, "se"], ref["se"], rtol=1e-6)
    np.testing.assert_allclose(table.loc[ref.index, "p"], ref["p"], rtol=1e-5)
    for column in ["age", "chf"]:
        single = cox_fit(WHAS_X[[column]], WHAS.lenfol, WHAS.fstat, ties=ties).summary().loc[column]
        np.testing.assert_allclose(table.loc[column, single.index].astype(float), single, rtol=1e-10)
    assert table["converged"].all()


def test_univariable_cox_constant_column_is_nan():
    X = WHAS_X.assign(flat=1.0)
    table = univariable_cox(X, WHAS.lenfol, WHAS.fstat)
    assert np.isnan(table.loc["flat", "coef"]) and not table.loc["flat", "converged"]
    assert table.loc["age", "converged"]


def test_score_at_zero_is_logrank_for_one_binary_covariate():
    """Closed form: with Breslow ties, the Cox score at beta = 0 for one 0/1 covariate is the
    log-rank O - E of group 1, and the information is sum_t d_t n1_t n0_t / n_t^2; the score
    test U^2 / I equals coxph's printed score test (R: summary(coxph(~ fin, ties = "breslow"))$sctest)."""
    time, event, x = ROSSI.week.to_numpy(float), ROSSI.arrest.to_numpy(float), ROSSI.fin.to_numpy(float)
    o_minus_e = info_expected = 0.0
    for t in np.unique(time[event == 1]):
        at_risk = time >= t
        d = np.sum((time == t) & (event == 1))
        n, n1 = at_risk.sum(), (at_risk & (x == 1)).sum()
        o_minus_e += np.sum((time == t) & (event == 1) & (x == 1)) - d * n1 / n
        info_expected += d * n1 * (n - n1) / n**2
    rs = _risk_sets(time, event, "breslow")
    _, score, info = _derivatives(rs, x[rs.order, None], np.zeros(1))
    assert score[0] == pytest.approx(o_minus_e, rel=1e-12)
    assert info[0, 0] == pytest.approx(info_expected, rel=1e-12)
    assert score[0] ** 2 / info[0, 0] == pytest.approx(R["rossi_fin_breslow_score"], rel=1e-10)


def test_efron_equals_breslow_without_tied_event_times():
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80)})
    time = rng.permutation(80) + 1.0
    event = rng.random(80) < 0.7
    efron, breslow = cox_fit(X, time, event, ties="efron"), cox_fit(X, time, event, ties="breslow")
    np.testing.assert_allclose(efron.coef_, breslow.coef_, rtol=1e-12)


def test_predict_centred_and_uncentred():
    model = _fit("rossi", "efron")
    lp = model.predict(ROSSI_X)
    np.testing.assert_allclose(lp, ROSSI_X.to_numpy() @ model.coef_.to_numpy())
    np.testing.assert_allclose(model.predict(ROSSI_X, centered=True), lp - model.means_ @ model.coef_)
    # column order of new data does not matter, names do
    np.testing.assert_allclose(model.predict(ROSSI_X[ROSSI_X.columns[::-1]]), lp)
    with pytest.raises(ValueError, match="prio"):
        model.predict(ROSSI_X.drop(columns="prio"))


def test_summary_hazard_ratio_and_wald_ci():
    table = _fit("rossi", "efron").summary()
    row = table.loc["prio"]
    assert row["hr"] == pytest.approx(np.exp(row["coef"]))
    assert row["hr_lower"] == pytest.approx(np.exp(row["coef"] - 1.959963984540054 * row["se"]))
    assert list(table.columns) == ["coef", "hr", "hr_lower", "hr_upper", "se", "z", "p"]


def test_bad_inputs_name_the_column():
    X = ROSSI_X.assign(flat=2.0)
    with pytest.raises(ValueError, match="flat"):
        cox_fit(X, ROSSI.week, ROSSI.arrest)
    with pytest.raises(ValueError, match="twice_age"):
        cox_fit(ROSSI_X.assign(twice_age=2 * ROSSI_X.age), ROSSI.week, ROSSI.arrest)
    missing = ROSSI_X.astype(float)
    missing.loc[3, "age"] = np.nan
    with pytest.raises(ValueError, match="'age'.*row 3"):
        cox_fit(missing, ROSSI.week, ROSSI.arrest)
    with pytest.raises(ValueError, match="ties"):
        cox_fit(ROSSI_X, ROSSI.week, ROSSI.arrest, ties="exact")
    with pytest.raises(ValueError, match="no events"):
        cox_fit(ROSSI_X, ROSSI.week, np.zeros(len(ROSSI)))


def test_separation_warns_naming_the_column():
    rng = np.random.default_rng(1)
    time = np.arange(1.0, 41.0)
    X = pd.DataFrame({"noise": rng.normal(size=40), "perfect": (time < 20).astype(float)})
    event = np.ones(40)
    with pytest.warns(RuntimeWarning, match="perfect"):
        model = cox_fit(X, time, event)
    assert not model.converged_
    # as coxph: a large coefficient with a huge standard error (not a pseudo-inverse's 0)
    assert model.coef_["perfect"] > 10 and model.se_["perfect"] > 1e3
    assert model.se_["noise"] == pytest.approx(0.198, abs=0.01)
    with pytest.warns(RuntimeWarning, match="perfect"):
        table = univariable_cox(X, time, event)
    assert not table.loc["perfect", "converged"] and table.loc["noise", "converged"]


def test_no_warning_on_a_regular_fit():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _fit("whas", "efron")


def test_outcome_series_are_aligned_by_index_and_arrays_get_names():
    shuffled = ROSSI.sample(frac=1.0, random_state=0)
    model = cox_fit(ROSSI_X, shuffled.week, shuffled.arrest)  # Series: aligned on X's index
    np.testing.assert_allclose(model.coef_, _fit("rossi", "efron").coef_, rtol=1e-12)
    with pytest.raises(ValueError, match="index"):
        cox_fit(ROSSI_X, shuffled.week.reset_index(drop=True).set_axis(shuffled.index + 1000), ROSSI.arrest)
    bare = cox_fit(ROSSI_X.to_numpy(), ROSSI.week.to_numpy(), ROSSI.arrest.to_numpy())
    assert list(bare.coef_.index) == [f"x{j}" for j in range(7)]
    np.testing.assert_allclose(bare.predict_survival(ROSSI_X.to_numpy()[:2], [20.0]),
                               model.predict_survival(ROSSI_X.iloc[:2], [20.0]), rtol=1e-12)
