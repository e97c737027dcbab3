"""hccdash.stats.decision on small examples worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from hccdash.stats import decision

Y = [1, 0, 1, 0, 0, 1, 0, 0]
PROB = [0.9, 0.8, 0.6, 0.4, 0.3, 0.3, 0.2, 0.1]


def test_net_benefit_closed_form():
    """pt 0.3: 6 treated (prob >= 0.3, ties included), TP 3, FP 3 -> 3/8 - 3/8 * 3/7;
    pt 0.5: TP 2, FP 1 -> 2/8 - 1/8; pt 0.95: nobody treated -> 0."""
    got = decision.net_benefit(Y, PROB, [0.3, 0.5, 0.95])
    np.testing.assert_allclose(got, [3 / 8 - 3 / 8 * 3 / 7, 2 / 8 - 1 / 8, 0.0], atol=1e-12)


def test_decision_curve_treat_all_and_none():
    curve = decision.decision_curve(Y, PROB, [0.3])
    assert curve["treat_all"].iloc[0] == pytest.approx(3 / 8 - 5 / 8 * 3 / 7)
    assert curve["treat_none"].iloc[0] == 0.0
    assert curve["model"].iloc[0] == pytest.approx(3 / 8 - 3 / 8 * 3 / 7)


def test_net_benefit_survival_closed_form():
    """t = 3.5, pt = 0.15: treated = times 1-4 (q = 4/6), KM in them: 3/4 * 1/2 = 3/8,
    NB = (5/8)(4/6) - (3/8)(4/6)(0.15/0.85); treat-all: KM 5/6 * 3/4 = 5/8,
    NB = 3/8 - 5/8 * 0.15/0.85."""
    time, event = [1, 2, 3, 4, 5, 6], [1, 0, 1, 1, 0, 0]
    prob = [0.9, 0.8, 0.7, 0.2, 0.1, 0.1]
    curve = decision.net_benefit_survival(time, event, prob, 3.5, [0.15, 0.95])
    odds = 0.15 / 0.85
    assert curve["model"].tolist() == pytest.approx([5 / 8 * 4 / 6 - 3 / 8 * 4 / 6 * odds, 0.0])
    assert curve["treat_all"].iloc[0] == pytest.approx(3 / 8 - 5 / 8 * odds)


def test_survival_version_without_censoring_equals_binary():
    rng = np.random.default_rng(1)
    time = rng.exponential(2.0, 200)
    prob = rng.uniform(size=200)
    thresholds = np.linspace(0.05, 0.6, 12)
    surv = decision.net_benefit_survival(time, np.ones(200), prob, 1.5, thresholds)
    np.testing.assert_allclose(surv["model"], decision.net_benefit(time <= 1.5, prob, thresholds), atol=1e-12)


def test_threshold_outside_unit_interval_is_named():
    with pytest.raises(ValueError, match="\\(0, 1\\)"):
        decision.net_benefit(Y, PROB, [0.0, 0.5])
