"""Selection stability over bootstrap resamples."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hccdash.selection import LassoSelector
from hccdash.selection.stability import selection_stability
from hccdash.selection.target import survival_target


def _data():
    rng = np.random.default_rng(5)
    X = pd.DataFrame(rng.normal(size=(100, 6)), columns=[f"f{j}" for j in range(6)])
    t = rng.exponential(np.exp(-1.5 * X["f0"]))
    c = rng.uniform(0.5, 4, 100)
    return X, survival_target(np.minimum(t, c), (t <= c).astype(int))


def test_strong_feature_is_stable_and_seed_reproducible():
    X, y = _data()
    estimator = LassoSelector(lambda_=0.1, folds=None)
    calls = []
    first = selection_stability(estimator, X, y, n_resamples=12, seed=3, progress=lambda d, t: calls.append((d, t)))
    again = selection_stability(estimator, X, y, n_resamples=12, seed=3)
    pd.testing.assert_series_equal(first, again)
    assert first["f0"] == 1.0
    assert first.drop("f0").max() < 1.0
    assert ((first >= 0) & (first <= 1)).all()
    assert sorted(first.index) == sorted(X.columns)
    assert calls[-1] == (12, 12) and len(calls) == 12


def test_frequency_is_the_share_of_resamples():
    """Every frequency is a multiple of 1 / n_resamples."""
    X, y = _data()
    freq = selection_stability(LassoSelector(lambda_=0.05, folds=None), X, y, n_resamples=8, seed=0)
    np.testing.assert_allclose(freq * 8, np.round(freq * 8))
