"""LASSO selection: Cox (survival) or logistic (binary) on z-scored features, CV-chosen lambda.

The whole lambda path is fitted once with seeded K-fold cross-validation
(:func:`hccdash.stats.cv_lasso`, as ``cv.glmnet(x, y, family, standardize = FALSE)``;
K = number of rows gives leave-one-out); lambda is "lambda.min", "lambda.1se" or any
positive number (on the path: read from it; elsewhere: an exact warm-started refit).
:meth:`LassoSelector.at_lambda` moves along the path without refitting it.

rad-score = the linear predictor: sum_j b_j z_j over the selected features (Cox), plus
the intercept for logistic (as study 002). Warnings when the chosen lambda leaves no
feature (null model) or the CV curve is flat (see ``CVLassoResult.warnings``).
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from hccdash import stats
from hccdash.selection.base import check_frame
from hccdash.selection.target import binary_array, is_survival, survival_arrays
from hccdash.settings import SelectionSettings

_DEFAULTS = SelectionSettings()
INTERCEPT = "intercept"


class LassoSelector(TransformerMixin, BaseEstimator):
    """LASSO-Cox / LASSO-logistic with a cross-validated path; see the module docstring.

    ``n_jobs=None`` fits the folds on all cores (serially inside a joblib worker); an
    integer fixes the worker count.

    Fitted attributes: ``cv_`` (``CVLassoResult``: path, cvm, cvsd, lambda.min/1se),
    ``lambda_value_``, ``coef_`` (every column, zeros included), ``intercept_`` (0 for
    Cox), ``coefficients_`` (non-zero ones), ``selected_features_``, ``warnings_``.
    """

    def __init__(self, lambda_: str | float = _DEFAULTS.lasso_lambda, folds: int = _DEFAULTS.lasso_folds,
                 seed: int = _DEFAULTS.seed, n_jobs: int | None = None):
        self.lambda_ = lambda_
        self.folds = folds
        self.seed = seed
        self.n_jobs = n_jobs

    def cv_path(self, X: pd.DataFrame, y):
        """The cross-validated path of ``X`` (the expensive part, cacheable by columns)."""
        X = check_frame(X, "LassoSelector")
        n_jobs = -1 if self.n_jobs is None else self.n_jobs
        if is_survival(y):
            return stats.cv_lasso(X, y, "cox", n_folds=int(self.folds), seed=self.seed, n_jobs=n_jobs)
        return stats.cv_lasso(X, binary_array(y), "binomial", n_folds=int(self.folds), seed=self.seed,
                              n_jobs=n_jobs)

    def fit(self, X: pd.DataFrame, y):
        """Fit the CV path on the (z-scored) training features and pick lambda; with
        ``folds=None`` and a numeric ``lambda_`` only that lambda is solved (no path, no CV:
        the bootstrap resamples of the selection stability)."""
        if self.folds is None:
            return self._fit_fixed(X, y)
        return self.fit_path(self.cv_path(X, y))

    def _fit_fixed(self, X: pd.DataFrame, y):
        if isinstance(self.lambda_, str):
            raise ValueError(f"LassoSelector without CV folds needs a numeric lambda, got {self.lambda_!r}")
        X = check_frame(X, "LassoSelector")
        if is_survival(y):
            coef, family = stats.lasso_cox(X, *survival_arrays(y), float(self.lambda_)), "cox"
        else:
            coef, family = stats.lasso_logistic(X, binary_array(y), float(self.lambda_)), "binomial"
        self.cv_ = None
        self.family_ = family
        self.lambda_value_ = float(self.lambda_)
        return self._set_coef(coef, [])

    def fit_cached(self, X: pd.DataFrame, y, cache):
        """As ``fit``, the CV path kept in a StageCache under the columns it was fitted on."""
        key = ("lasso", int(self.folds), self.seed, tuple(X.columns))
        return self.fit_path(cache.get(key, lambda: self.cv_path(X, y)))

    def fit_path(self, cv) -> "LassoSelector":
        """Fit from a ``CVLassoResult``: coefficients at the chosen lambda."""
        self.cv_ = cv
        self.family_ = cv.family
        self.lambda_value_ = cv.resolve(self.lambda_)
        return self._set_coef(cv.coef(self.lambda_value_), list(cv.warnings(self.lambda_value_)))

    def _set_coef(self, coef: pd.Series, warnings: list[str]) -> "LassoSelector":
        self.intercept_ = float(coef.get(INTERCEPT, 0.0))
        self.coef_ = coef.drop(INTERCEPT, errors="ignore").astype(float)
        self.coefficients_ = self.coef_[self.coef_ != 0]
        self.selected_features_ = list(self.coefficients_.index)
        self.feature_names_in_ = np.asarray(self.coef_.index, dtype=object)
        self.n_features_in_ = len(self.coef_)
        self.warnings_ = warnings
        return self

    def at_lambda(self, lam: str | float) -> "LassoSelector":
        """A copy fitted at another lambda of the same CV path (no refit of the path)."""
        check_is_fitted(self, "cv_")
        if self.cv_ is None:
            raise ValueError("This LASSO was fitted at one lambda without a path")
        other = copy.copy(self)
        other.lambda_ = lam
        return other.fit_path(self.cv_)

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """The selected columns of ``X``."""
        check_is_fitted(self, "cv_")
        return X[self.selected_features_]

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the selected features."""
        check_is_fitted(self, "cv_")
        return np.asarray(self.selected_features_, dtype=object)

    def rad_score(self, Z: pd.DataFrame) -> pd.Series:
        """Linear predictor of the z-scored features ``Z`` (+ intercept for logistic)."""
        check_is_fitted(self, "cv_")
        lp = Z[self.selected_features_].to_numpy(dtype=float) @ self.coefficients_.to_numpy()
        return pd.Series(lp + self.intercept_, index=Z.index, name="rad_score")

    def formula(self, digits: int = 4) -> str:
        """``rad_score = b0 + b1 * z(feature1) + ...`` with z = (x - training mean) / training sd."""
        check_is_fitted(self, "cv_")
        terms = [f"{self.intercept_:.{digits}g}"] if self.family_ == "binomial" else []
        for name, value in self.coefficients_.items():
            sign = "-" if value < 0 else "+"
            text = f"{abs(value):.{digits}g} * z({name})"
            terms.append(f"{sign} {text}" if terms else (f"-{text}" if value < 0 else text))
        return "rad_score = " + (" ".join(terms) if terms else "0")

