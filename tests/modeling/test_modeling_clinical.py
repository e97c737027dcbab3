"""Clinical model: univariable screen, backward elimination, forcing, coding and cut-offs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hccdash import stats
from hccdash.modeling.clinical import ClinicalModel
from hccdash.selection.target import survival_target


@pytest.fixture(scope="module")
def known():
    """x1 and stage (3 levels) act; proxy = x1 + noise acts only through x1 (passes the
    univariable screen, fails in the multivariable model); noise acts not at all."""
    rng = np.random.default_rng(42)
    n = 400
    x1 = rng.normal(size=n)
    stage = pd.Categorical(rng.choice(["I", "II", "III"], n), categories=["I", "II", "III"])
    proxy = x1 + 0.8 * rng.normal(size=n)
    noise = rng.normal(size=n)
    lp = 0.8 * x1 + 0.9 * (np.asarray(stage) == "III")
    t = rng.exponential(np.exp(-lp))
    c = rng.uniform(0.5, 3, n)
    X = pd.DataFrame({"x1": x1, "stage": stage, "proxy": proxy, "noise": noise})
    return X, survival_target(np.minimum(t, c), (t <= c).astype(int))


def test_backward_elimination_recovers_the_truth(known):
    X, y = known
    model = ClinicalModel(p_in=0.10, p_out=0.05).fit(X, y)
    assert "proxy" in model.screened_  # univariable p < 0.10 through its correlation with x1
    assert model.selected_ == ["x1", "stage"]
    assert model.steps_[0]["removed"] in ("proxy", "noise")
    assert {s["removed"] for s in model.steps_} >= {"proxy"}


def test_final_table_is_the_cox_fit_of_the_kept_columns(known):
    """HR, 95% CI and p are exactly summary(coxph(Surv ~ x1 + stage)) with stage I as reference."""
    X, y = known
    model = ClinicalModel().fit(X, y)
    design = pd.DataFrame({"x1": X["x1"], "stage[II]": (X["stage"] == "II").astype(float),
                           "stage[III]": (X["stage"] == "III").astype(float)})
    reference = stats.cox_fit(design, y["time"], y["event"].astype(int)).summary()
    table = model.table_.set_index("column")
    np.testing.assert_allclose(table["hr"], reference["hr"], rtol=1e-10)
    np.testing.assert_allclose(table["hr_lower"], reference["hr_lower"], rtol=1e-10)
    np.testing.assert_allclose(table["p"], reference["p"], rtol=1e-8)
    assert table.loc["stage[III]", "term"] == "III vs I"


def test_force_in_and_out(known):
    X, y = known
    forced = ClinicalModel(force_in=("noise",), force_out=("stage",)).fit(X, y)
    assert "noise" in forced.selected_ and "stage" not in forced.selected_
    assert "stage" not in forced.terms_
    with pytest.raises(ValueError, match="both forced in and forced out"):
        ClinicalModel(force_in=("x1",), force_out=("x1",)).fit(X, y)
    with pytest.raises(ValueError, match=r"clinical table lacks the variable\(s\) \['AFP'\] \(1 missing\), "
                                         "needed by the clinical model's force_in setting"):
        ClinicalModel(force_in=("AFP",)).fit(X, y)


def test_dichotomised_variable_uses_the_maxstat_cutoff(known):
    """x1 cut at max_logrank_cutoff of the training rows; high = x1 > cut-off."""
    X, y = known
    model = ClinicalModel(variables=["x1"], dichotomise=("x1",)).fit(X, y)
    cut = stats.max_logrank_cutoff(y["time"], y["event"].astype(int), X["x1"].to_numpy(), minprop=0.1)
    assert model.cutoffs_ == {"x1": pytest.approx(cut)}
    column = model.columns_[0]
    np.testing.assert_array_equal(model.transform(X)[column].to_numpy(), (X["x1"] > cut).astype(float))


def test_missing_values_use_complete_cases(known):
    X, y = known
    X = X.copy()
    X.loc[:9, "noise"] = np.nan
    model = ClinicalModel(force_in=("noise",)).fit(X, y)
    univariable = model.univariable_.set_index("column")
    assert univariable.loc["noise", "n"] == len(X) - 10
    assert univariable.loc["x1", "n"] == len(X)
    assert np.isnan(model.predict(X.iloc[:10])).all()


def test_logistic_family_reports_odds_ratios():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    y = (X["a"] + rng.logistic(size=300) > 0).astype(int).to_numpy()
    model = ClinicalModel().fit(X, y)
    assert model.selected_ == ["a"]
    reference = stats.logistic_fit(X[["a"]], y)
    assert model.table_.loc[0, "or"] == pytest.approx(np.exp(reference.coef_["a"]), rel=1e-10)


def test_unusable_variable_is_skipped_with_its_reason(known):
    X, y = known
    X = X.assign(single=pd.Categorical(["yes"] * len(X)))
    model = ClinicalModel().fit(X, y)
    assert "single" in model.skipped_ and "fewer than two levels" in model.skipped_["single"]
    assert model.selected_ == ["x1", "stage"]
    with pytest.raises(ValueError, match="fewer than two levels"):
        ClinicalModel(force_in=("single",)).fit(X, y)


def test_the_final_model_reports_the_complete_cases_and_events_it_used(known):
    X, y = known
    X = X.copy()
    X.loc[:29, "x1"] = np.nan  # 30 patients without x1: left out of the multivariable fit
    model = ClinicalModel(variables=["x1", "stage"], force_in=("x1", "stage")).fit(X, y)
    events = int(y["event"][30:].sum())
    assert (model.n_rows_, model.n_used_, model.events_used_) == (400, 370, events)
    assert events < int(y["event"].sum())
    assert model.rows_used_text() == (f"Fitted on 370 of 400 training patients ({events} events); "
                                      "30 with a missing value left out (complete-case analysis)")
    complete = ClinicalModel(variables=["stage"], force_in=("stage",)).fit(X, y)
    assert complete.rows_used_text() == f"Fitted on 400 of 400 training patients ({int(y['event'].sum())} events)"
