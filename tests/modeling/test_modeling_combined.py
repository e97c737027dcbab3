"""Combined model: LR test against the clinical model, VIF, EPV warning, null signature."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hccdash import stats
from hccdash.modeling.combined import CombinedModel
from hccdash.selection.target import survival_target


def _data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    clinical = pd.DataFrame({"age": rng.normal(60, 10, n), "high_afp": (rng.random(n) < 0.4).astype(float)})
    rad = rng.normal(size=n)
    lp = 0.03 * (clinical["age"] - 60) + 0.5 * clinical["high_afp"] + 0.9 * rad
    t = rng.exponential(np.exp(-lp))
    c = rng.uniform(0.3, 3, n)
    return clinical, rad, survival_target(np.minimum(t, c), (t <= c).astype(int))


def test_lr_test_vif_and_table():
    """LR = anova(coxph(S ~ age + high_afp), coxph(S ~ age + high_afp + rad_score)); VIF = car::vif of lm."""
    clinical, rad, y = _data()
    model = CombinedModel().fit(clinical, rad, y)
    time, event = y["time"], y["event"].astype(int)
    small = stats.cox_fit(clinical, time, event)
    big = stats.cox_fit(clinical.assign(rad_score=rad), time, event)
    expected = stats.likelihood_ratio_test(small, big)
    assert model.lr_test_ == pytest.approx((expected.chisq, expected.df, expected.p))
    pd.testing.assert_series_equal(model.vif_, stats.vif(clinical.assign(rad_score=rad)))
    assert model.table_["column"].tolist() == ["age", "high_afp", "rad_score"]
    np.testing.assert_allclose(model.predict(clinical, rad), big.predict(clinical.assign(rad_score=rad)))
    assert model.warnings_ == []


def test_without_clinical_terms_the_lr_test_is_against_the_null_model():
    clinical, rad, y = _data()
    model = CombinedModel().fit(clinical[[]], rad, y)
    fit = stats.cox_fit(pd.DataFrame({"rad_score": rad}), y["time"], y["event"].astype(int))
    assert model.lr_test_[0] == pytest.approx(2 * (fit.loglik_ - fit.loglik_null_))
    assert model.lr_test_[1] == 1
    assert model.vif_.tolist() == [1.0]


def test_epv_warning():
    """30 patients, a handful of events, 3 terms: fewer than 10 events per term."""
    clinical, rad, y = _data(n=30, seed=4)
    with pytest.warns(UserWarning, match="events per model term"):
        model = CombinedModel().fit(clinical, rad, y)
    assert model.epv_ == pytest.approx(y["event"].sum() / 3)
    assert model.epv_ < 10


def test_constant_rad_score_is_left_out():
    clinical, _, y = _data()
    with pytest.warns(UserWarning, match="rad-score is constant"):
        model = CombinedModel().fit(clinical, np.zeros(len(clinical)), y)
    assert model.columns_ == ["age", "high_afp"]
    assert np.isnan(model.lr_test_[0])
    with pytest.warns(UserWarning, match="null model"):
        null = CombinedModel().fit(clinical[[]], np.zeros(len(clinical)), y)
    assert null.model_ is None
    assert null.predict(clinical.iloc[:3, :0], np.zeros(3)).tolist() == [0.0, 0.0, 0.0]


def test_rows_with_a_missing_clinical_value_are_counted_and_the_epv_uses_their_events():
    """60 patients, 20 without high_afp: the fit, its caption and the EPV use the 40 complete ones."""
    clinical, rad, y = _data(n=60, seed=4)
    clinical.loc[:19, "high_afp"] = np.nan
    events = int(y["event"][20:].sum())
    assert events < int(y["event"].sum())
    with pytest.warns(UserWarning, match="events per model term") as caught:
        model = CombinedModel().fit(clinical, rad, y)
    assert (model.n_rows_, model.n_used_, model.events_used_) == (60, 40, events)
    assert model.epv_ == pytest.approx(events / 3)
    assert model.rows_used_text() == (f"Fitted on 40 of 60 training patients ({events} events); "
                                      "20 with a missing value left out (complete-case analysis)")
    assert f"({events} events, 3 terms; 40 of 60 training patients used)" in str(caught[0].message)
