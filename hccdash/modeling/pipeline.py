"""The radiomics nomogram: ONE fitted object from features + clinical data to a patient's risk.

``RadiomicsNomogram(settings, clinical_vars).fit(X, y)`` with ``X`` one DataFrame
(index patient_id) holding the radiomics feature columns (``"{phase}.{feature}"``) and
the clinical columns named in ``clinical_vars`` (and, with ComBat on, the batch column named by
``selection.combat_batch``: :func:`batch_column`), and ``y`` the endpoint's target
(:mod:`hccdash.modeling.endpoints`). Fitted on the training rows only, it holds:

- ``harmoniser_``: with ``selection.combat``, the ComBat fit on the training rows'
  radiomics features (:class:`~hccdash.selection.ComBatHarmonizer`, ``ref_batch`` =
  ``selection.combat_ref_batch``): every later step (filters, z-score, LASSO) sees harmonised
  features, and every prediction harmonises first (a batch seen in training with the fitted
  numbers, an unseen one mapped onto the reference batch); None without ComBat;
- ``radiomics_``: the signature (:class:`RadiomicsSignature`: filters, training means
  and sds, LASSO path and coefficients) or the per-phase fusion (:class:`PhaseFusion`);
  without any feature column (a clinical table alone) :class:`NoRadiomics`, and the
  combined model is the clinical model;
- ``deep_``: the DL score of the deep feature columns (``dl.<network>.<NNNN>``: z-score, PCA,
  LASSO; :class:`~hccdash.modeling.deep_score.DeepScore`), None without deep columns or with
  ``selection.deep_score`` off. Deep columns never enter the radiomics signature; ``networks``
  (network name -> SHA-256 of its file) and ``deep_extraction`` (network name -> how its features
  were extracted) are recorded with it for saved models;
- ``clinical_``: the clinical model (codings, cut-offs, coefficients), None without
  clinical variables;
- ``combined_``: clinical columns + rad-score (+ DL score) in one Cox (Efron) / logistic fit, whose
  CoxModel carries the baseline survival (``predict_survival``).

``predict`` gives the combined linear predictor, ``predict_survival(X, times)`` S(t)
(Cox) and ``predict_proba`` P(ER) (logistic). The model-building page fits the same
object through :class:`hccdash.modeling.builder.ModelBuilder`, which reuses cached stages.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from hccdash.columns import check_columns, require_columns
from hccdash.modeling import regression
from hccdash.modeling.cache import StageCache, settings_key
from hccdash.modeling.clinical import ClinicalModel
from hccdash.modeling.combined import CombinedModel
from hccdash.modeling.deep_score import DL_PREFIX, DeepScore, deep_columns, is_deep_column
from hccdash.modeling.fusion import FUSIONS, PhaseFusion, phase_columns, phase_of, phases_in
from hccdash.modeling.signature import NoRadiomics, RadiomicsSignature
from hccdash.selection.combat import ComBatHarmonizer
from hccdash.settings import Settings


def batch_column(settings: Settings) -> str | None:
    """The column of ``X`` holding each patient's ComBat batch (``selection.combat_batch``) when
    ComBat is on, else None."""
    return settings.selection.combat_batch if settings.selection.combat else None


class RadiomicsNomogram(BaseEstimator):
    """Radiomics signature + clinical model + combined model; see the module docstring."""

    def __init__(self, settings: Settings = Settings(), clinical_vars: Sequence[str] = (),
                 icc: pd.Series | None = None, readers: Sequence[pd.DataFrame] | None = None,
                 networks: Mapping[str, str] | None = None, deep_extraction: Mapping[str, dict] | None = None):
        self.settings = settings
        self.clinical_vars = clinical_vars
        self.icc = icc
        self.readers = readers
        self.networks = networks
        self.deep_extraction = deep_extraction

    def _image_columns(self, columns: Sequence[str]) -> list[str]:
        other = set(self.clinical_vars) | {batch_column(self.settings)}
        return phase_columns([c for c in columns if c not in other], self.settings.selection.phases)

    def feature_columns(self, columns: Sequence[str]) -> list[str]:
        """Radiomics columns among ``columns``: not clinical, not the batch, not deep, of the chosen phases."""
        return [c for c in self._image_columns(columns) if not is_deep_column(str(c))]

    def deep_feature_columns(self, columns: Sequence[str]) -> list[str]:
        """Deep feature columns among ``columns``: ``{phase}.dl.<network>.<NNNN>`` of the chosen phases, and
        ``dl.<network>.<NNNN>`` (no phase); none with ``selection.deep_score`` off."""
        if not self.settings.selection.deep_score:
            return []
        phases = set(self.settings.selection.phases)
        return [c for c in deep_columns(columns) if not phases or c.startswith(DL_PREFIX) or phase_of(c) in phases]

    def fit(self, X: pd.DataFrame, y):
        """Fit every stage on the training rows ``X`` (features + clinical) and target ``y``."""
        return self.fit_cached(X, y, None)

    def fit_cached(self, X: pd.DataFrame, y, cache: StageCache | None):
        """As ``fit``; with a StageCache (root = these rows) stages computed before are reused."""
        if not isinstance(X, pd.DataFrame):
            raise ValueError("RadiomicsNomogram.fit needs a DataFrame (features + clinical columns)")
        if len(X) != len(y):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
        if self.settings.selection.fusion not in FUSIONS:
            raise ValueError(f"Unknown fusion {self.settings.selection.fusion!r}; allowed: {list(FUSIONS)}")
        check_columns(X, self.clinical_vars, what="clinical variable", needed_by="the model's clinical part")
        features = self.feature_columns(X.columns)
        deep = self.deep_feature_columns(X.columns)
        others = [c for c in X.columns if c not in set(self.clinical_vars) | {batch_column(self.settings)}
                  and not is_deep_column(str(c))]
        if not features and others:
            raise ValueError(f"X has no radiomics feature column of the phase(s) {list(self.settings.selection.phases)}")
        if not features and not deep and not self.clinical_vars:
            raise ValueError("X has neither radiomic features nor clinical variables: there is nothing to model")
        self.feature_names_in_ = np.asarray(features, dtype=object)
        self.deep_names_in_ = np.asarray(deep, dtype=object)
        self.family_ = regression.family_of(y)
        radiomics, self.harmoniser_ = X[features], None
        if self.settings.selection.combat and features:  # (nothing to harmonise in a clinical table alone)
            self.harmoniser_, radiomics, cache = self._fit_harmoniser(radiomics, self._batch(X), cache)
        self.radiomics_ = self._fit_radiomics(radiomics, y, cache)
        self.deep_ = self._fit_deep(X[deep], y, cache) if deep else None
        self.clinical_ = self._fit_clinical(X, y, cache)
        self._fit_combined(X, y)
        self.n_train_ = len(X)
        return self

    def _batch(self, X: pd.DataFrame) -> pd.Series:
        """Each row's ComBat batch (ValueError when ``X`` lacks the batch column)."""
        column = batch_column(self.settings)
        if column not in X.columns:
            raise ValueError(f"ComBat harmonisation needs each patient's batch: X has no column '{column}'")
        return X[column]

    def _fit_harmoniser(self, X: pd.DataFrame, batch: pd.Series, cache: StageCache | None):
        """(fitted harmoniser, harmonised training features, the stage cache of those features)."""
        s = self.settings.selection

        def fit() -> ComBatHarmonizer:
            return ComBatHarmonizer(ref_batch=s.combat_ref_batch).fit(X, batch=batch)

        if cache is None:
            harmoniser = fit()
            return harmoniser, harmoniser.transform(X, batch=batch), None
        key = ("combat", s.combat_batch, s.combat_ref_batch, tuple(X.columns))
        harmoniser = cache.get(key, fit)
        child = cache.child(key, lambda: harmoniser.transform(X, batch=batch))
        return harmoniser, child.X, child

    def harmonised(self, X: pd.DataFrame) -> pd.DataFrame:
        """``X`` with its radiomics features ComBat-harmonised by the training fit (unseen batches
        mapped onto the reference batch); ``X`` itself when the model does not harmonise."""
        check_is_fitted(self, "radiomics_")
        harmoniser = getattr(self, "harmoniser_", None)
        if harmoniser is None:
            return X
        features = require_columns(X, harmoniser.feature_names_in_, what="fitted feature", needed_by="ComBat")
        harmonised = harmoniser.transform(features, batch=self._batch(X))
        return pd.concat([harmonised, X.drop(columns=features.columns)], axis=1)[X.columns]

    def _radiomics_estimator(self, features: Sequence[str]):
        selection = self.settings.selection
        if not len(features):  # a clinical table alone: clinical models only
            return NoRadiomics(selection)
        if selection.fusion == "scores" and len(phases_in(features)) > 1:
            return PhaseFusion(selection, self.icc, self.readers, self.settings.model.ties)
        return RadiomicsSignature(selection, self.icc, self.readers)

    def _fit_radiomics(self, X: pd.DataFrame, y, cache):
        estimator = self._radiomics_estimator(X.columns)
        if cache is None:
            return estimator.fit(X, y)
        # everything up to the LASSO path is independent of lambda: cache it without lambda
        selection = dataclasses.replace(self.settings.selection, lasso_lambda="lambda.min")
        key = ("radiomics", type(estimator).__name__, settings_key(selection), self.settings.model.ties,
               tuple(X.columns))
        fitted = cache.get(key, lambda: estimator.set_params(selection=selection).fit_cached(X, y, cache))
        return fitted.at_lambda(self.settings.selection.lasso_lambda, X, y)

    def _fit_deep(self, X: pd.DataFrame, y, cache) -> DeepScore:
        """The DL score; with a cache, the fit up to the LASSO path is kept without its lambda."""
        selection = self.settings.selection
        if cache is None:
            return DeepScore(selection, self.networks, self.deep_extraction).fit(X, y)
        path = dataclasses.replace(selection, deep_lasso_lambda="lambda.min")
        key = ("deep", selection.deep_pca_components, selection.deep_pca_variance, selection.lasso_folds,
               selection.seed, tuple(X.columns), tuple(sorted((self.networks or {}).items())))
        fitted = cache.get(key, lambda: DeepScore(path, self.networks, self.deep_extraction).fit(X, y))
        return fitted.at_lambda(selection.deep_lasso_lambda)

    def _fit_clinical(self, X: pd.DataFrame, y, cache):
        if not self.clinical_vars:
            return None
        m = self.settings.model
        model = ClinicalModel(list(self.clinical_vars), m.clinical_p_in, m.clinical_p_out, m.clinical_force_in,
                              m.clinical_force_out, m.clinical_dichotomise, self.settings.evaluation.maxstat_minprop,
                              m.ties, self.settings.evaluation.ci_level, m.clinical_log, m.clinical_splines)
        clinical = X[list(self.clinical_vars)]
        if cache is None:
            return model.fit(clinical, y)
        key = ("clinical", tuple(self.clinical_vars), settings_key(m), self.settings.evaluation.maxstat_minprop,
               self.settings.evaluation.ci_level)
        return cache.get(key, lambda: model.fit(clinical, y))

    def _fit_combined(self, X: pd.DataFrame, y) -> None:
        m = self.settings.model
        self.combined_ = CombinedModel(m.ties, self.settings.evaluation.ci_level, m.epv_warning).fit(
            self.clinical_design(X), self.rad_score(X) if self.has_radiomics else None, y,
            dl_score=self.dl_score(X) if self.has_deep else None)

    def at_lambda(self, lam: str | float, X: pd.DataFrame, y) -> "RadiomicsNomogram":
        """A copy with the LASSO at ``lam`` (same path) and the combined model refitted on the
        training rows ``X``, ``y``."""
        check_is_fitted(self, "combined_")
        other = copy.copy(self)
        other.settings = dataclasses.replace(
            self.settings, selection=dataclasses.replace(self.settings.selection, lasso_lambda=lam))
        other.radiomics_ = self.radiomics_.at_lambda(lam, self.harmonised(X)[list(self.feature_names_in_)], y)
        other._fit_combined(X, y)
        return other

    def clinical_design(self, X: pd.DataFrame) -> pd.DataFrame:
        """The clinical model's columns for ``X`` (empty without clinical variables)."""
        check_is_fitted(self, "radiomics_")
        return pd.DataFrame(index=X.index) if self.clinical_ is None else self.clinical_.transform(X)

    def dl_score(self, X: pd.DataFrame) -> pd.Series:
        """The DL score of each row (ValueError when the model has none)."""
        check_is_fitted(self, "radiomics_")
        if getattr(self, "deep_", None) is None:
            raise ValueError("This model has no DL score (no deep feature columns, or the DL score switched off)")
        return self.deep_.dl_score(X)

    def combined_design(self, X: pd.DataFrame) -> pd.DataFrame:
        """The combined model's columns for the rows of ``X`` (clinical columns, rad-score, DL score)."""
        check_is_fitted(self, "combined_")
        return self.combined_.design(self.clinical_design(X), self.rad_score(X),
                                     self.dl_score(X) if self.has_deep else None)

    def rad_score(self, X: pd.DataFrame) -> pd.Series:
        """The rad-score of each row (of its harmonised features with ComBat on)."""
        check_is_fitted(self, "radiomics_")
        return self.radiomics_.rad_score(self.harmonised(X))

    def clinical_score(self, X: pd.DataFrame) -> np.ndarray:
        """Linear predictor of the clinical model (NaN without clinical variables)."""
        check_is_fitted(self, "radiomics_")
        return np.full(len(X), np.nan) if self.clinical_ is None else self.clinical_.predict(X)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Linear predictor of the combined model (NaN where a clinical value is missing)."""
        check_is_fitted(self, "combined_")
        design = self.combined_design(X)
        if self.combined_.model_ is None:
            return np.zeros(len(design))
        return regression.linear_predictor(self.combined_.model_, design)

    def predict_survival(self, X: pd.DataFrame, times, level: float | None = None):
        """S(t) of each row at ``times`` (Cox endpoint), as survfit(coxph, newdata); rows with a
        missing value give NaN. With ``level``: (surv, lower, upper)."""
        check_is_fitted(self, "combined_")
        if self.family_ != "cox":
            raise ValueError("predict_survival needs the RFS (Cox) endpoint; use predict_proba for ER")
        if self.combined_.model_ is None:
            raise ValueError("The combined model is the null model (no predictor): no survival curve to predict")
        design = self.combined_design(X)
        times = np.atleast_1d(np.asarray(times, dtype=float))
        rows = design.notna().all(axis=1).to_numpy()
        shape = (len(X), times.size)
        out = [np.full(shape, np.nan) for _ in range(1 if level is None else 3)]
        if rows.any():
            result = self.combined_.model_.predict_survival(design[rows], times, level=level)
            for target, values in zip(out, (result,) if level is None else result):
                target[rows] = values
        return out[0] if level is None else tuple(out)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """(n, 2) array of P(no ER), P(ER) (logistic endpoint)."""
        check_is_fitted(self, "combined_")
        if self.family_ != "logistic":
            raise ValueError("predict_proba needs the ER (logistic) endpoint; use predict_survival for RFS")
        p = 1.0 / (1.0 + np.exp(-self.predict(X)))
        return np.column_stack([1 - p, p])

    @property
    def baseline_survival_(self) -> pd.DataFrame:
        """Baseline survival of the combined Cox model (covariates at their training means)."""
        check_is_fitted(self, "combined_")
        if self.combined_.model_ is None:
            raise ValueError("The combined model is the null model: it has no fitted baseline")
        return self.combined_.model_.baseline_survival_

    def scores(self, X: pd.DataFrame) -> pd.DataFrame:
        """Rad-score, clinical and combined linear predictors of each row (the rad-score NaN for a
        cohort without radiomic features: it ranks nobody); a model with a DL score adds its
        column ``deep`` before ``combined``."""
        rad = self.rad_score(X).to_numpy() if self.has_radiomics else np.full(len(X), np.nan)
        columns = {"radiomics": rad, "clinical": self.clinical_score(X)}
        if self.has_deep:
            columns["deep"] = self.dl_score(X).to_numpy()
        return pd.DataFrame({**columns, "combined": self.predict(X)}, index=X.index)

    @property
    def warnings_(self) -> list[str]:
        """Every guardrail message of the fit."""
        check_is_fitted(self, "combined_")
        skipped = [] if self.clinical_ is None else [
            f"Clinical variable '{v}' left out: {reason}" for v, reason in self.clinical_.skipped_.items()]
        deep = [] if getattr(self, "deep_", None) is None else list(self.deep_.warnings_)
        return list(self.radiomics_.warnings_) + deep + skipped + list(self.combined_.warnings_)

    @property
    def has_radiomics(self) -> bool:
        """False for a cohort without radiomic features (the models are clinical only)."""
        check_is_fitted(self, "feature_names_in_")
        return len(self.feature_names_in_) > 0

    @property
    def has_deep(self) -> bool:
        """True when the model has a DL score (deep feature columns, ``selection.deep_score`` on)."""
        check_is_fitted(self, "radiomics_")
        return getattr(self, "deep_", None) is not None

    @property
    def is_survival(self) -> bool:
        """True for the Cox (RFS) endpoint."""
        check_is_fitted(self, "family_")
        return self.family_ == "cox"

