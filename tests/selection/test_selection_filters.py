"""ICC, univariate, mRMR, random-forest and z-score steps on hand-checkable cases."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from sklearn.feature_selection import f_classif

from hccdash import stats
from hccdash.selection import (
    ICCFilter,
    MRMRSelector,
    RFImportanceSelector,
    Standardizer,
    UnivariateFilter,
    univariate_pvalues,
)
from hccdash.selection.mrmr import mrmr_order
from hccdash.stats.icc import icc
from hccdash.selection.target import survival_target


@pytest.fixture
def data():
    rng = np.random.default_rng(1)
    n = 80
    signal = rng.normal(size=n)
    X = pd.DataFrame({"signal": signal, "copy": signal + 0.05 * rng.normal(size=n),
                      "noise1": rng.normal(size=n), "noise2": rng.normal(size=n)},
                     index=[f"P{i}" for i in range(n)])
    binary = (signal + 0.5 * rng.normal(size=n) > 0).astype(int)
    time = rng.exponential(np.exp(-signal)) + 0.01
    event = (rng.random(n) < 0.7).astype(int)
    return X, binary, survival_target(time, event)


def test_icc_filter_thresholds_and_missing():
    """Hand-made ICC values: >= threshold kept; NaN kept with a warning or dropped."""
    X = pd.DataFrame(np.zeros((3, 4)), columns=["a", "b", "c", "d"])
    icc = pd.Series({"a": 0.9, "b": 0.75, "c": 0.5})  # d has no repeat data
    with pytest.warns(UserWarning, match="no repeat data"):
        kept = ICCFilter(0.75, icc=icc).fit_scores(icc, X.columns)
    assert kept.selected_features_ == ["a", "b", "d"]
    assert kept.warnings_ and "1 feature(s) have no repeat data" in kept.warnings_[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dropped = ICCFilter(0.75, icc=icc, missing="drop").fit_scores(icc, X.columns)
    assert dropped.selected_features_ == ["a", "b"]
    assert dropped.dropped_["d"] == "no repeat data"


def test_icc_filter_from_reader_matrices_uses_training_patients_only():
    """With repeat_rows='fit' the ICC is computed on the training rows' repeat patients:
    feature f agrees perfectly on P0..P4 and not at all on P5..P9."""
    rng = np.random.default_rng(0)
    ids = [f"P{i}" for i in range(10)]
    first = pd.DataFrame({"f": np.arange(10.0), "g": rng.normal(size=10)}, index=ids)
    second = first.copy()
    second.loc[ids[5:], "f"] = rng.normal(size=5) * 10
    second["g"] = first["g"] + 0.01
    X_train = first.loc[ids[:5]]
    fitted = ICCFilter(0.75, readers=[first, second]).fit(X_train)
    assert fitted.icc_["f"] == pytest.approx(icc(np.column_stack([first.loc[ids[:5], "f"],
                                                                          second.loc[ids[:5], "f"]])))
    assert fitted.selected_features_ == ["f", "g"]
    everyone = ICCFilter(0.75, readers=[first, second], repeat_rows="all").fit(X_train)
    assert "f" in everyone.dropped_


def test_mannwhitney_and_anova_match_scipy(data):
    """Per feature: scipy.stats.mannwhitneyu (asymptotic, continuity) and the pooled t-test p
    (= one-way ANOVA for two groups)."""
    X, y, _ = data
    mw = univariate_pvalues(X, y, "mannwhitney")
    anova = univariate_pvalues(X, y, "anova")
    for column in X.columns:
        a, b = X.loc[y == 1, column], X.loc[y == 0, column]
        assert mw[column] == pytest.approx(sps.mannwhitneyu(a, b, method="asymptotic").pvalue, rel=1e-12)
        assert anova[column] == pytest.approx(sps.ttest_ind(a, b).pvalue, rel=1e-10)


def test_univariate_cox_is_the_univariable_cox_p(data):
    """Survival outcome: the Wald p of coxph(Surv(time, event) ~ x) per feature."""
    X, _, y = data
    p = univariate_pvalues(X, y)
    time, event = y["time"], y["event"].astype(int)
    for column in X.columns:
        assert p[column] == pytest.approx(stats.cox_fit(X[[column]], time, event).summary()["p"].iloc[0], rel=1e-6)
    fitted = UnivariateFilter(0.05).fit(X, y)
    assert fitted.selected_features_ == [c for c in X.columns if p[c] < 0.05]
    assert "signal" in fitted.selected_features_


def test_univariate_test_must_fit_the_outcome(data):
    X, binary, survival = data
    with pytest.raises(ValueError, match="binary outcome"):
        UnivariateFilter(0.05, "mannwhitney").fit(X, survival)
    with pytest.raises(ValueError, match="survival outcome"):
        UnivariateFilter(0.05, "cox").fit(X, binary)


def test_mrmr_miq_order_by_hand():
    """Relevance 1.0, 0.9, 0.5; |r(a, b)| = 0.9, |r(a, c)| = 0.1: a first, then MIQ b = 0.9/0.9 = 1
    against c = 0.5/0.1 = 5, so c before b."""
    rel = np.array([1.0, 0.9, 0.5])
    corr = np.array([[1, 0.9, 0.1], [0.9, 1, 0.2], [0.1, 0.2, 1]])
    assert mrmr_order(rel, corr, 3) == [0, 2, 1]
    assert mrmr_order(rel, corr, 2) == [0, 2]


def test_mrmr_selector_uses_f_relevance_and_correlation_redundancy(data):
    """Binary outcome: relevance = ANOVA F (sklearn f_classif), redundancy = mean |Pearson r|;
    the selector's order is MIQ over exactly these."""
    X, y, _ = data
    fitted = MRMRSelector(k=3, method="pearson").fit(X, y)
    f, _ = f_classif(X.to_numpy(), y)
    expected = mrmr_order(f, np.abs(np.corrcoef(X.to_numpy(), rowvar=False)), 3)
    assert fitted.order_ == [X.columns[i] for i in expected]
    assert fitted.order_[0] == X.columns[int(np.argmax(f))]


def test_rf_importance_keeps_the_signal(data):
    X, y, surv = data
    assert "signal" in RFImportanceSelector(k=2, n_estimators=50).fit(X, y).selected_features_
    fitted = RFImportanceSelector(k=1, n_estimators=30, n_repeats=2).fit(X[["signal", "noise1"]], surv)
    assert fitted.selected_features_ == ["signal"]


def test_standardizer_is_r_scale_and_reused_on_new_rows():
    """mean and sd (n - 1) as R's scale(); new rows use the training values unchanged."""
    train = pd.DataFrame({"x": [1.0, 2.0, 3.0, 6.0], "c": [5.0, 5.0, 5.0, 5.0]})
    z = Standardizer().fit(train)
    assert z.mean_["x"] == 3.0
    assert z.sd_["x"] == pytest.approx(np.sqrt(((np.array([1, 2, 3, 6]) - 3) ** 2).sum() / 3))
    new = pd.DataFrame({"x": [3.0, 9.0], "c": [5.0, 7.0]})
    out = z.transform(new)
    assert out["x"].tolist() == pytest.approx([0.0, 6.0 / z.sd_["x"]])
    assert out["c"].tolist() == [0.0, 2.0]  # constant on training: centred, not scaled
    assert z.constant_ == ["c"]
    pd.testing.assert_frame_equal(z.inverse_transform(out), new)


def test_steps_compose_in_a_scikit_learn_pipeline(data):
    """The steps are ordinary transformers: a sklearn Pipeline with a survival target runs them in
    order and keeps the column names."""
    from sklearn.pipeline import Pipeline

    from hccdash.selection import LassoSelector, VarianceFilter

    X, _, y = data
    pipe = Pipeline([("variance", VarianceFilter()), ("univariate", UnivariateFilter(0.2)),
                     ("z", Standardizer()), ("lasso", LassoSelector(folds=4, seed=0))]).set_output(transform="pandas")
    pipe.fit(X, y)
    assert list(pipe[:-1].get_feature_names_out()) == pipe.named_steps["univariate"].selected_features_
    assert "signal" in pipe.named_steps["lasso"].selected_features_
    out = pipe.transform(X)
    assert list(out.columns) == pipe.named_steps["lasso"].selected_features_
