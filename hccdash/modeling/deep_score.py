"""The DL score: deep features -> z-score -> PCA -> z-score -> LASSO (study 003 of METHODS.md).

Deep features are the feature columns named ``dl.<network>.<NNNN>`` (``dl.densenet169.0042``),
or ``{phase}.dl.<network>.<NNNN>`` in a per-phase feature matrix (:func:`is_deep_column`). They
form their own block, never part of the radiomics filter chain:

1. z-score each deep feature with its training mean and sd (n - 1;
   :class:`~hccdash.selection.Standardizer`, a constant feature centred and left unscaled);
2. principal components of those z-scores (:class:`~hccdash.selection.pca.PCAReducer`, as
   ``prcomp(x, center = TRUE, scale. = TRUE)``): ``selection.deep_pca_components`` of them, or
   as many as explain ``selection.deep_pca_variance`` of the variance;
3. z-score the component scores (training sd), then LASSO-Cox / LASSO-logistic on them with the
   radiomics LASSO's folds and seed (:class:`~hccdash.selection.LassoSelector`, lambda
   ``selection.deep_lasso_lambda``, lambda.min by default, as the study).

``DL score = intercept + sum_k b_k * t_k / sd_k`` over the components the LASSO keeps, with
``t_k = sum_j v_jk (x_j - mean_j) / sd_j``; it is linear in the deep features as extracted
(:meth:`DeepScore.linear_weights`), which is how a model file carries it. The networks the
features came from are recorded with their SHA-256 (``networks``, name -> hash) so a saved model
can refuse a different network file.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from hccdash.columns import require_columns
from hccdash.selection.base import check_frame
from hccdash.selection.lasso import LassoSelector
from hccdash.selection.pca import PCAReducer
from hccdash.selection.standardize import Standardizer
from hccdash.settings import SelectionSettings

DL_PREFIX = "dl."
DL_SCORE = "dl_score"
DEEP_STEP_LABELS = {"input": "deep features", "pca": "principal components", "lasso": "LASSO"}


def _deep_part(column: str) -> str | None:
    """The ``dl.<network>.<NNNN>`` part of a column name, or None for any other column."""
    if column.startswith(DL_PREFIX):
        return column
    rest = column.split(".", 1)[-1] if "." in column else ""
    return rest if rest.startswith(DL_PREFIX) else None


def is_deep_column(column: str) -> bool:
    """True for a deep feature column: ``dl.<network>.<NNNN>`` or ``{phase}.dl.<network>.<NNNN>``."""
    return _is_deep_name(str(column))


@functools.lru_cache(maxsize=1 << 16)  # every fit asks again of the same few thousand names
def _is_deep_name(column: str) -> bool:
    part = _deep_part(column)
    return part is not None and len(part.split(".")) >= 3


def network_of(column: str) -> str:
    """The network name of a deep feature column (``densenet169`` of ``dl.densenet169.0042``)."""
    if not is_deep_column(column):
        raise ValueError(f"Column '{column}' is not a deep feature (named dl.<network>.<number>)")
    return _deep_part(str(column)).split(".")[1]


def deep_columns(columns: Sequence[str]) -> list[str]:
    """The deep feature columns among ``columns``, in order."""
    return [str(c) for c in columns if is_deep_column(str(c))]


def networks_in(columns: Sequence[str]) -> list[str]:
    """Distinct networks of the deep columns, in order of appearance."""
    return list(dict.fromkeys(network_of(c) for c in deep_columns(columns)))


def deep_lasso(selection: SelectionSettings, n_rows: int) -> LassoSelector:
    """The DL score's LASSO: the radiomics LASSO's folds ("loo" = one per row) and seed, its own lambda."""
    folds = n_rows if selection.lasso_folds == "loo" else int(selection.lasso_folds)
    return LassoSelector(lambda_=selection.deep_lasso_lambda, folds=folds, seed=selection.seed)


class DeepScore(BaseEstimator):
    """Deep features -> DL score; see the module docstring.

    Fitted attributes: ``standardizer_`` (deep features), ``pca_``, ``component_scaler_`` (the
    kept components' training sd), ``lasso_``, ``funnel_`` (features left after each step),
    ``networks_`` (network -> SHA-256, None when not known), ``extraction_`` (network -> how its
    features were extracted, ``hccdash.deep``'s spec without the file path, None when not known),
    ``warnings_``.
    """

    def __init__(self, selection: SelectionSettings = SelectionSettings(),
                 networks: Mapping[str, str] | None = None, extraction: Mapping[str, dict] | None = None):
        self.selection = selection
        self.networks = networks
        self.extraction = extraction

    def fit(self, X: pd.DataFrame, y):
        """Fit every step on the training rows' deep features ``X`` and the target ``y``."""
        X = check_frame(X, "DeepScore")
        others = [c for c in X.columns if not is_deep_column(str(c))]
        if others:
            raise ValueError(f"DeepScore takes deep feature columns (dl.<network>.<number>) only, got {others[:3]}")
        s = self.selection
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        known = dict(self.networks or {})
        self.networks_ = {name: known.get(name) for name in networks_in(X.columns)}
        self.extraction_ = {name: (self.extraction or {}).get(name) for name in self.networks_}
        self.standardizer_ = Standardizer().fit(X)
        self.pca_ = PCAReducer(s.deep_pca_components, s.deep_pca_variance).fit(self.standardizer_.transform(X))
        components = self.pca_.transform(self.standardizer_.transform(X))
        self.component_scaler_ = Standardizer().fit(components)
        self.lasso_ = deep_lasso(s, len(X)).fit(self.component_scaler_.transform(components), y)
        self._finish()
        return self

    def _finish(self) -> None:
        self.warnings_ = [f"DL score: {w}" for w in self.lasso_.warnings_]
        self.funnel_ = pd.DataFrame([("input", len(self.feature_names_in_)), ("pca", self.pca_.n_components_),
                                     ("lasso", len(self.lasso_.selected_features_))], columns=["step", "features"])
        self.funnel_["label"] = self.funnel_["step"].map(DEEP_STEP_LABELS)

    def at_lambda(self, lam: str | float) -> "DeepScore":
        """A copy with the LASSO at another lambda of its path (nothing else refitted)."""
        check_is_fitted(self, "lasso_")
        other = copy.copy(self)
        other.lasso_ = self.lasso_.at_lambda(lam)
        other._finish()
        return other

    def components(self, X: pd.DataFrame) -> pd.DataFrame:
        """The z-scored component scores of every kept component for the rows of ``X``."""
        check_is_fitted(self, "lasso_")
        deep = require_columns(X, self.feature_names_in_, what="deep feature", needed_by="the DL score")
        return self.component_scaler_.transform(self.pca_.transform(self.standardizer_.transform(deep)))

    def dl_score(self, X: pd.DataFrame) -> pd.Series:
        """The DL score of each row of ``X`` (its deep feature columns)."""
        return self.lasso_.rad_score(self.components(X)).rename(DL_SCORE)

    @property
    def selected_features_(self) -> list[str]:
        """Components with a non-zero LASSO coefficient (``dl_pc1``, ...)."""
        check_is_fitted(self, "lasso_")
        return list(self.lasso_.selected_features_)

    @property
    def coefficients_(self) -> pd.Series:
        """Non-zero LASSO coefficients on the z-scored components."""
        check_is_fitted(self, "lasso_")
        return self.lasso_.coefficients_

    def linear_weights(self) -> tuple[pd.Series, float]:
        """(weight per deep feature, constant) with DL score = constant + sum_j weight_j x_j exactly:
        weight_j = sum_k b_k v_jk / (sd_k s_j), constant = intercept - sum_j weight_j mean_j."""
        check_is_fitted(self, "lasso_")
        coef = self.coefficients_
        if coef.empty:
            return pd.Series(0.0, index=self.feature_names_in_), float(self.lasso_.intercept_)
        per_component = coef / self.component_scaler_.scale_[coef.index]
        loadings = self.pca_.rotation_[coef.index].to_numpy() @ per_component.to_numpy()
        weights = pd.Series(loadings / self.standardizer_.scale_.to_numpy(), index=self.feature_names_in_)
        constant = float(self.lasso_.intercept_) - float(weights @ self.standardizer_.mean_[weights.index])
        return weights, constant

    def formula(self, digits: int = 4) -> str:
        """The DL score formula on the z-scored components (t = PCA score of the z-scored deep features)."""
        check_is_fitted(self, "lasso_")
        return self.lasso_.formula(digits).replace("rad_score", DL_SCORE, 1)

    def component_table(self) -> pd.DataFrame:
        """Each kept component: its share of the variance, training sd and LASSO coefficient (0 = dropped)."""
        check_is_fitted(self, "lasso_")
        names = list(self.pca_.rotation_.columns)
        k = len(names)
        return pd.DataFrame({
            "component": names,
            "variance_share": self.pca_.explained_variance_ratio_[:k],
            "cumulative_share": np.cumsum(self.pca_.explained_variance_ratio_)[:k],
            "sd": self.component_scaler_.sd_[names].to_numpy(),
            "coefficient": self.lasso_.coef_.reindex(names).fillna(0.0).to_numpy(),
        })
