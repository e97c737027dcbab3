"""Combined model: the clinical model's columns plus the rad-score (and the DL score of deep
features, when the model has one), in one Cox (Efron) or logistic fit.

Reported beside the fit (all on the complete training cases of the combined model):

- likelihood-ratio test against the clinical model refitted on the same rows (R:
  ``anova(coxph(S ~ clinical), coxph(S ~ clinical + rad_score))``); with no clinical
  variable the clinical model is the null model, chisq = 2 (loglik - loglik_null);
- VIF of the combined model's columns (:func:`hccdash.stats.vif`, 1 for a single column);
- events per variable = events (Cox) or the smaller outcome class (logistic) of the rows
  used / number of model columns, with a warning below ``epv_warning`` (10).

Rows with a missing clinical value are left out (complete-case analysis): ``n_rows_``
training rows given, ``n_used_`` used, ``events_used_`` events among them (:meth:`rows_used_text`).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats as sps
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from hccdash import stats
from hccdash.modeling import regression
from hccdash.modeling.clinical import count_events, rows_used_text
from hccdash.modeling.deep_score import DL_SCORE
from hccdash.selection.target import n_events
from hccdash.settings import EvaluationSettings, ModelSettings

RAD_SCORE = "rad_score"
SCORES = (RAD_SCORE, DL_SCORE)  # the imaging scores a combined model may hold beside the clinical columns
_DEFAULTS = ModelSettings()


def lr_test_against(small, big) -> tuple[float, int, float]:
    """(chisq, df, p) of ``big`` against ``small`` (None = the null model on big's rows)."""
    if small is None:
        chisq = 2.0 * (big.loglik_ - big.loglik_null_)
        df = big.n_params_
        return float(chisq), int(df), float(sps.chi2.sf(max(chisq, 0.0), df))
    test = stats.likelihood_ratio_test(small, big)
    return test.chisq, test.df, test.p


def epv_warning(events: int, n_terms: int, threshold: float, n_used: int, n_rows: int) -> str | None:
    """The EPV warning text (``events`` among the ``n_used`` complete cases of ``n_rows``),
    or None when events / terms >= threshold."""
    if n_terms == 0 or events / n_terms >= threshold:
        return None
    rows = f"{n_used} of {n_rows} training patients used" if n_used < n_rows else f"{n_used} patients"
    return (f"Only {events / n_terms:.1f} events per model term ({events} events, {n_terms} terms; {rows}): "
            f"fewer than {threshold:g}, the model may be overfitted")


class CombinedModel(BaseEstimator):
    """Clinical columns + rad-score; fitted attributes ``model_``, ``clinical_model_``,
    ``table_``, ``lr_test_`` (chisq, df, p; NaN without a rad-score term), ``vif_``, ``epv_``,
    ``warnings_``."""

    def __init__(self, ties: str = _DEFAULTS.ties, level: float = EvaluationSettings().ci_level,
                 epv_threshold: float = _DEFAULTS.epv_warning):
        self.ties = ties
        self.level = level
        self.epv_threshold = epv_threshold

    def fit(self, clinical: pd.DataFrame, rad_score, y, dl_score=None):
        """Fit on the training rows: ``clinical`` = the clinical model's columns (may be empty).

        A rad-score (or DL score) constant on the training rows (a null signature) is left out
        with a warning; ``rad_score`` / ``dl_score`` None (no radiomic / deep features) leaves it
        out without one. With no column left the model is the null model (``model_`` None)."""
        frame = self._frame(clinical, rad_score, dl_score)
        rows = frame.notna().all(axis=1).to_numpy()
        target = np.asarray(y)[rows]
        self.family_ = regression.family_of(y)
        self.warnings_ = []
        for score, label in ((RAD_SCORE, "rad-score"), (DL_SCORE, "DL score")):
            if score in frame.columns and np.ptp(frame.loc[rows, score].to_numpy()) == 0:
                frame = frame.drop(columns=score)
                self.warnings_.append(f"The {label} is constant (null signature): the combined model leaves it out")
        self.columns_ = list(frame.columns)
        self.clinical_columns_ = list(clinical.columns)
        self.n_rows_, self.n_used_ = len(frame), int(rows.sum())
        self.events_ = n_events(target)
        self.events_used_ = count_events(target)
        if not self.columns_:
            self.model_, self.clinical_model_ = None, None
            self.lr_test_ = (float("nan"), 0, float("nan"))
            self.vif_ = pd.Series(dtype=float, name="vif")
            self.epv_ = float("nan")
            self.table_ = pd.DataFrame(columns=["column", "coef", "se", "p", "VIF"])
            self.warnings_.append("No predictor is left: the combined model is the null model")
            return self._warn()
        self.model_ = regression.fit(frame[rows], target, self.ties)
        scored = any(score in self.columns_ for score in SCORES)
        self.clinical_model_ = (regression.fit(clinical[rows], target, self.ties)
                                if self.clinical_columns_ and scored else None)
        self.lr_test_ = (lr_test_against(self.clinical_model_, self.model_) if scored
                         else (float("nan"), 0, float("nan")))
        self.vif_ = (stats.vif(frame[rows]) if frame.shape[1] > 1
                     else pd.Series(1.0, index=frame.columns, name="vif"))
        self.epv_ = self.events_ / len(self.columns_)
        self.warnings_ += [w for w in [epv_warning(self.events_, len(self.columns_), self.epv_threshold,
                                                      self.n_used_, self.n_rows_)] if w]
        self.table_ = regression.table(self.model_, self.level).rename_axis("column").reset_index()
        self.table_["VIF"] = self.vif_.reindex(self.table_["column"]).to_numpy()
        return self._warn()

    def rows_used_text(self) -> str:
        """The combined model's patients and events (complete cases) in one line."""
        check_is_fitted(self, "n_used_")
        return rows_used_text(self.n_used_, self.n_rows_, self.events_used_)

    def _warn(self) -> "CombinedModel":
        for message in self.warnings_:
            warnings.warn(message, UserWarning, stacklevel=3)
        return self

    @staticmethod
    def _frame(clinical: pd.DataFrame, rad_score, dl_score) -> pd.DataFrame:
        frame = clinical.copy()
        for name, score in ((RAD_SCORE, rad_score), (DL_SCORE, dl_score)):
            if score is not None:
                frame[name] = np.asarray(score, dtype=float)
        return frame

    def design(self, clinical: pd.DataFrame, rad_score, dl_score=None) -> pd.DataFrame:
        """The combined model's columns for new rows (``dl_score`` needed when the model holds it)."""
        check_is_fitted(self, "columns_")
        if DL_SCORE in self.columns_ and dl_score is None:
            raise ValueError("This combined model holds the DL score: its deep features are needed")
        frame = self._frame(clinical[self.clinical_columns_], rad_score if RAD_SCORE in self.columns_ else None,
                            dl_score if DL_SCORE in self.columns_ else None)
        return frame[self.columns_]

    def predict(self, clinical: pd.DataFrame, rad_score, dl_score=None) -> np.ndarray:
        """Linear predictor (NaN where a value is missing; 0 for the null model)."""
        design = self.design(clinical, rad_score, dl_score)
        if self.model_ is None:
            return np.zeros(len(design))
        return regression.linear_predictor(self.model_, design)
