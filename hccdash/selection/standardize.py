"""z-scores with the training mean and sd (n - 1), reused unchanged on new data, as R's ``scale()``.

A feature constant on the training rows (sd 0) would give NaN in R; here it is centred
and left unscaled (divided by 1), with its name in ``constant_``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from hccdash.columns import require_columns
from hccdash.selection.base import check_frame


class Standardizer(TransformerMixin, BaseEstimator):
    """(x - mean_) / scale_, with mean_ and sd_ (ddof 1) of the training rows."""

    def fit(self, X: pd.DataFrame, y=None):
        """Learn the training mean and sd (n - 1) of each column."""
        X = check_frame(X, "Standardizer")
        self.mean_ = X.mean(axis=0)
        self.sd_ = X.std(axis=0, ddof=1)
        constant = ~(self.sd_.to_numpy() > 0)
        self.constant_ = list(X.columns[constant])
        self.scale_ = self.sd_.where(~constant, 1.0)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """z-scores of the training columns of ``X``."""
        check_is_fitted(self, "mean_")
        return (require_columns(X, self.mean_.index, needed_by="Standardizer") - self.mean_) / self.scale_

    def inverse_transform(self, Z: pd.DataFrame) -> pd.DataFrame:
        """Back to the original units."""
        check_is_fitted(self, "mean_")
        return Z[self.mean_.index] * self.scale_ + self.mean_

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """The standardised feature names (unchanged)."""
        check_is_fitted(self, "mean_")
        return np.asarray(self.mean_.index, dtype=object)

    def set_output(self, *, transform=None):
        """Output is always pandas."""
        return self
