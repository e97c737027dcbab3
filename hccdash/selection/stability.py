"""Selection stability: how often each feature is selected when the selection is repeated
on bootstrap resamples of the training rows.

Each resample (n rows drawn with replacement, seeded) refits a clone of the given
unfitted estimator (e.g. a :class:`~hccdash.modeling.signature.RadiomicsSignature` whose
LASSO is fixed at the lambda chosen on the full training data, so no CV runs inside
the resamples) and records its ``selected_features_``. The result is the share of
resamples selecting each feature (0-1). ``progress(done, total)`` is called after each
resample (a background job reports it; see ``hccdash.modeling.stability_job``).
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.base import clone


def selection_stability(estimator, X: pd.DataFrame, y, n_resamples: int = 100, seed: int = 0,
                        progress: Callable[[int, int], None] | None = None) -> pd.Series:
    """Selection frequency of each feature of ``X`` over ``n_resamples`` bootstrap resamples."""
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be at least 1, got {n_resamples}")
    rng = np.random.default_rng(seed)
    counts: Counter[str] = Counter()
    n = len(X)
    target = np.asarray(y)
    for done in range(1, n_resamples + 1):
        rows = rng.integers(0, n, n)
        resample = X.iloc[rows]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = clone(estimator).fit(resample, target[rows])
        counts.update(fitted.selected_features_)
        if progress is not None:
            progress(done, n_resamples)
    frequency = pd.Series({c: counts.get(c, 0) / n_resamples for c in X.columns}, name="stability")
    return frequency.sort_values(ascending=False, kind="stable")
