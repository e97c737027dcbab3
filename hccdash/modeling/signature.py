"""The radiomics signature: the filter chain, z-scores and the LASSO, giving the rad-score.

Steps, in the order of METHODS.md, each fitted on the training rows only and each
switched off by its setting (``None`` / ``False``): ICC (needs repeat data) -> zero /
near-zero variance -> univariate -> correlation -> mRMR top k -> random-forest top k ->
z-score (training mean and sd, n - 1) -> LASSO (Cox or logistic, CV path, chosen lambda).
The rad-score is the LASSO linear predictor on the z-scored features (plus the intercept
for logistic), see :class:`hccdash.selection.LassoSelector`. :class:`NoRadiomics` stands in
for a cohort without radiomic features: its rad-score is 0 and the models are clinical only.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from hccdash.columns import require_columns
from hccdash.selection import (
    CorrelationFilter,
    ICCFilter,
    LassoSelector,
    MRMRSelector,
    RFImportanceSelector,
    Standardizer,
    UnivariateFilter,
    VarianceFilter,
)
from hccdash.selection.base import check_frame
from hccdash.settings import SelectionSettings

STEPS = ("icc", "variance", "univariate", "correlation", "mrmr", "forest")
STANDARDISATION_COLUMNS = ["feature", "coefficient", "mean", "sd"]
STEP_LABELS = {
    "input": "all features", "icc": "ICC", "variance": "variance", "univariate": "univariate",
    "correlation": "correlation", "mrmr": "mRMR", "forest": "random forest", "lasso": "LASSO",
}


def build_steps(selection: SelectionSettings, icc: pd.Series | None = None,
                readers: Sequence[pd.DataFrame] | None = None) -> list[tuple[str, object]]:
    """The (unfitted) filters switched on in ``selection``, in order."""
    steps: list[tuple[str, object]] = []
    if selection.icc_threshold is not None and (icc is not None or readers is not None):
        steps.append(("icc", ICCFilter(selection.icc_threshold, selection.icc_kind, readers=readers, icc=icc,
                                       missing=selection.icc_missing)))
    if selection.variance_filter:
        steps.append(("variance", VarianceFilter(selection.freq_cut, selection.unique_cut)))
    if selection.univariate_p is not None:
        steps.append(("univariate", UnivariateFilter(selection.univariate_p, selection.univariate_test)))
    if selection.correlation_threshold is not None:
        steps.append(("correlation", CorrelationFilter(selection.correlation_threshold,
                                                       selection.correlation_method)))
    if selection.mrmr_k is not None:
        steps.append(("mrmr", MRMRSelector(selection.mrmr_k, selection.correlation_method)))
    if selection.rf_k is not None:
        steps.append(("forest", RFImportanceSelector(selection.rf_k, random_state=selection.seed)))
    return steps


def lasso_for(selection: SelectionSettings, n_rows: int) -> LassoSelector:
    """The LASSO step of ``selection`` (folds "loo" = one fold per training row; None = no CV,
    only the numeric lambda is solved)."""
    folds = {"loo": n_rows, None: None}.get(selection.lasso_folds, selection.lasso_folds)
    folds = None if folds is None else int(folds)
    return LassoSelector(lambda_=selection.lasso_lambda, folds=folds, seed=selection.seed)


def step_key(step) -> tuple:
    """What a filter's fit depends on besides its input columns and the cache's training
    matrix: its class, its statistic's key and its scalar parameters."""
    params = {k: v for k, v in step.get_params(deep=False).items()
              if v is None or isinstance(v, (str, int, float, bool))}
    return (type(step).__name__, step.score_key(), tuple(sorted(params.items())))


class RadiomicsSignature(BaseEstimator):
    """Filters + z-score + LASSO on radiomics features; ``rad_score(X)`` is its output.

    Fitted attributes: ``steps_`` [(name, fitted filter)], ``standardizer_``, ``lasso_``
    (None when no feature survives the filters), ``funnel_`` (features left after each
    step), ``warnings_``.
    """

    def __init__(self, selection: SelectionSettings = SelectionSettings(), icc: pd.Series | None = None,
                 readers: Sequence[pd.DataFrame] | None = None):
        self.selection = selection
        self.icc = icc
        self.readers = readers

    def fit(self, X: pd.DataFrame, y):
        """Fit every step on the training features ``X`` and target ``y``."""
        return self.fit_cached(X, y, None)

    def fit_cached(self, X: pd.DataFrame, y, cache):
        """As ``fit``, reading statistics from a StageCache whose root holds ``X``'s columns."""
        current = check_frame(X, "RadiomicsSignature")
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.steps_, funnel, self.warnings_ = [], [("input", X.shape[1])], []
        chain = ("filters", tuple(X.columns))
        for name, step in build_steps(self.selection, self.icc, self.readers):
            if current.shape[1] == 0:
                break
            if cache is None:
                step.fit(current, y)
            else:  # the chain up to this step was fitted before on these columns: reuse it
                chain += (step_key(step),)
                step = cache.get(chain, lambda step=step, current=current: step.fit_cached(current, y, cache))
            current = step.transform(current)
            self.steps_.append((name, step))
            self.warnings_ += getattr(step, "warnings_", [])
            funnel.append((name, current.shape[1]))
        if current.shape[1] == 0:
            self.standardizer_, self.lasso_ = None, None
            self.warnings_.append("No feature survives the filters: the rad-score is 0 for everyone")
            funnel.append(("lasso", 0))
        else:
            self.standardizer_ = Standardizer().fit(current)
            lasso = lasso_for(self.selection, len(X))
            Z = self.standardizer_.transform(current)
            self.lasso_ = lasso.fit(Z, y) if cache is None else lasso.fit_cached(Z, y, cache)
            self.warnings_ += self.lasso_.warnings_
            funnel.append(("lasso", len(self.lasso_.selected_features_)))
        self.funnel_ = pd.DataFrame(funnel, columns=["step", "features"])
        self.funnel_["label"] = self.funnel_["step"].map(STEP_LABELS)
        return self

    def at_lambda(self, lam: float | str, X: pd.DataFrame | None = None, y=None) -> "RadiomicsSignature":
        """A copy with the LASSO at another lambda of its path (no refit of anything else;
        ``X``, ``y`` are not needed, accepted for the interface shared with PhaseFusion)."""
        check_is_fitted(self, "funnel_")
        other = copy.copy(self)
        if self.lasso_ is None:
            return other
        other.lasso_ = self.lasso_.at_lambda(lam)
        other.warnings_ = [w for w in self.warnings_ if w not in self.lasso_.warnings_] + other.lasso_.warnings_
        other.funnel_ = self.funnel_.copy()
        other.funnel_.loc[other.funnel_["step"] == "lasso", "features"] = len(other.lasso_.selected_features_)
        return other

    @property
    def selected_features_(self) -> list[str]:
        """Features with a non-zero LASSO coefficient."""
        check_is_fitted(self, "funnel_")
        return [] if self.lasso_ is None else list(self.lasso_.selected_features_)

    @property
    def coefficients_(self) -> pd.Series:
        """Non-zero LASSO coefficients on the z-scored features."""
        check_is_fitted(self, "funnel_")
        return pd.Series(dtype=float) if self.lasso_ is None else self.lasso_.coefficients_

    def rad_score(self, X: pd.DataFrame) -> pd.Series:
        """The rad-score of each row of ``X`` (NaN where a selected feature is missing)."""
        check_is_fitted(self, "funnel_")
        if self.lasso_ is None:
            return pd.Series(0.0, index=X.index, name="rad_score")
        selected = self.lasso_.selected_features_
        # in numpy: selecting and aligning pandas objects cost more than the arithmetic
        values = require_columns(X, selected, what="selected feature", table="The feature table",
                                 needed_by="the rad-score").to_numpy(dtype=float, na_value=np.nan)
        at = self.standardizer_.mean_.index.get_indexer(selected)  # (scale_ shares mean_'s index)
        z = (values - self.standardizer_.mean_.to_numpy()[at]) / self.standardizer_.scale_.to_numpy()[at]
        return self.lasso_.rad_score(pd.DataFrame(z, index=X.index, columns=selected))

    def formula(self, digits: int = 4) -> str:
        """The rad-score formula with its coefficients (z = (x - training mean) / training sd)."""
        check_is_fitted(self, "funnel_")
        return "rad_score = 0" if self.lasso_ is None else self.lasso_.formula(digits)

    def standardisation_table(self) -> pd.DataFrame:
        """Training mean and sd of each selected feature, with its coefficient."""
        coef = self.coefficients_
        if coef.empty:
            return pd.DataFrame(columns=STANDARDISATION_COLUMNS)
        return pd.DataFrame({
            "feature": coef.index, "coefficient": coef.to_numpy(),
            "mean": self.standardizer_.mean_[coef.index].to_numpy(),
            "sd": self.standardizer_.sd_[coef.index].to_numpy(),
        })


class NoRadiomics(RadiomicsSignature):
    """The signature of a cohort without any radiomic feature (a clinical table alone): nothing to
    select, the rad-score is 0 for everyone and stays out of the combined model, which is then
    the clinical model. Fitted attributes as :class:`RadiomicsSignature` (``lasso_`` None, a
    one-step funnel of 0 features, no warning)."""

    def fit_cached(self, X: pd.DataFrame, y, cache):
        """Record that there is no feature (``X`` has no column)."""
        if X.shape[1]:
            raise ValueError(f"NoRadiomics takes no feature column, got {X.shape[1]}")
        self.feature_names_in_ = np.asarray([], dtype=object)
        self.steps_, self.warnings_ = [], []
        self.standardizer_, self.lasso_ = None, None
        self.funnel_ = pd.DataFrame([("input", 0)], columns=["step", "features"])
        self.funnel_["label"] = self.funnel_["step"].map(STEP_LABELS)
        return self

    def formula(self, digits: int = 4) -> str:
        """No rad-score: the cohort has no radiomic features."""
        check_is_fitted(self, "funnel_")
        return "no radiomic features: the nomogram is the clinical model"
