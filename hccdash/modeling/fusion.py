"""Per-phase rad-scores and their multi-phase fusion (study 000 of METHODS.md).

Two fusions are offered (``SelectionSettings.fusion``):

- ``"scores"`` (study 000): one signature per phase (the whole filter chain + LASSO on
  that phase's features alone, :class:`~hccdash.modeling.signature.RadiomicsSignature`),
  then a Cox (Efron) or logistic model on the per-phase rad-scores; the fused rad-score
  is that model's linear predictor. Phases whose signature keeps no feature are left out.
- ``"lasso"``: one signature over all phases' features together (the LASSO picks across
  phases); that is the plain :class:`RadiomicsSignature` on every column.

:func:`phase_of` reads the phase from a ``"{phase}.{feature}"`` column name.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from hccdash.modeling import regression
from hccdash.modeling.signature import STANDARDISATION_COLUMNS, RadiomicsSignature
from hccdash.settings import ModelSettings, SelectionSettings

FUSIONS = ("lasso", "scores")


def phase_of(column: str) -> str:
    """The phase of a ``"{phase}.{feature}"`` column ("" when there is no dot)."""
    return column.split(".", 1)[0] if "." in column else ""


def phases_in(columns: Sequence[str]) -> list[str]:
    """Distinct phases of the columns, in order of appearance."""
    return list(dict.fromkeys(phase_of(c) for c in columns))


def phase_columns(columns: Sequence[str], phases: Sequence[str]) -> list[str]:
    """The columns of the given phases (all columns when ``phases`` is empty)."""
    wanted = set(phases)
    return [c for c in columns if not wanted or phase_of(c) in wanted]


class PhaseFusion(BaseEstimator):
    """Per-phase signatures fused by a Cox / logistic model on their rad-scores.

    Fitted attributes: ``signatures_`` {phase: RadiomicsSignature}, ``score_columns_``,
    ``model_`` (the fusion fit; None when no phase keeps a feature), ``warnings_``.
    """

    def __init__(self, selection: SelectionSettings = SelectionSettings(), icc: pd.Series | None = None,
                 readers: Sequence[pd.DataFrame] | None = None, ties: str = ModelSettings().ties):
        self.selection = selection
        self.icc = icc
        self.readers = readers
        self.ties = ties

    def fit(self, X: pd.DataFrame, y):
        """Fit each phase's signature and the fusion model on the training rows."""
        return self.fit_cached(X, y, None)

    def fit_cached(self, X: pd.DataFrame, y, cache):
        """As ``fit``, with a StageCache shared by the phases."""
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.signatures_ = {}
        for phase in phases_in(X.columns):
            signature = RadiomicsSignature(self.selection, self.icc, self.readers)
            columns = phase_columns(X.columns, [phase])
            self.signatures_[phase] = (signature.fit(X[columns], y) if cache is None
                                       else signature.fit_cached(X[columns], y, cache))
        return self._fit_fusion(X, y)

    def _fit_fusion(self, X: pd.DataFrame, y):
        self.score_columns_ = [f"rad_score.{p}" for p, s in self.signatures_.items() if s.selected_features_]
        self.warnings_ = [f"{p}: {w}" for p, s in self.signatures_.items() for w in s.warnings_]
        if not self.score_columns_:
            self.model_ = None
            self.warnings_.append("No phase keeps a feature: the fused rad-score is 0 for everyone")
            return self
        scores = self.phase_scores(X)[self.score_columns_]
        self.model_ = regression.fit(scores, y, self.ties)
        return self

    def at_lambda(self, lam: float | str, X: pd.DataFrame, y) -> "PhaseFusion":
        """A copy with every phase's LASSO at ``lam`` and the fusion model refitted on the
        training rows ``X``, ``y`` (no path is refitted)."""
        check_is_fitted(self, "signatures_")
        other = copy.copy(self)
        other.signatures_ = {p: s.at_lambda(lam) for p, s in self.signatures_.items()}
        return other._fit_fusion(X, y)

    def phase_scores(self, X: pd.DataFrame) -> pd.DataFrame:
        """The per-phase rad-scores of each row (one column per phase)."""
        check_is_fitted(self, "signatures_")
        return pd.DataFrame({f"rad_score.{p}": s.rad_score(X[phase_columns(X.columns, [p])])
                             for p, s in self.signatures_.items()}, index=X.index)

    def rad_score(self, X: pd.DataFrame) -> pd.Series:
        """The fused rad-score (linear predictor of the fusion model)."""
        if self.model_ is None:
            return pd.Series(0.0, index=X.index, name="rad_score")
        lp = regression.linear_predictor(self.model_, self.phase_scores(X))
        return pd.Series(lp, index=X.index, name="rad_score")

    @property
    def selected_features_(self) -> list[str]:
        """Features of every phase's signature."""
        return [f for s in self.signatures_.values() for f in s.selected_features_]

    @property
    def coefficients_(self) -> pd.Series:
        """Per-phase LASSO coefficients (on z-scored features), all phases."""
        parts = [s.coefficients_ for s in self.signatures_.values() if not s.coefficients_.empty]
        return pd.concat(parts) if parts else pd.Series(dtype=float)

    @property
    def funnel_(self) -> pd.DataFrame:
        """Features left after each step, summed over the phases."""
        frames = [s.funnel_ for s in self.signatures_.values()]
        total = pd.concat(frames).groupby("step", sort=False)[["features"]].sum().reset_index()
        return total.merge(frames[0][["step", "label"]], on="step", how="left")

    def formula(self, digits: int = 4) -> str:
        """Each phase's formula, then the fusion model's."""
        lines = [f"[{p}] {s.formula(digits)}" for p, s in self.signatures_.items()]
        if self.model_ is not None:
            terms = [f"{getattr(self.model_, 'intercept_'):.{digits}g}"] if hasattr(self.model_, "intercept_") else []
            terms += [f"{b:+.{digits}g} * {c}" for c, b in self.model_.coef_.items()]
            lines.append("rad_score = " + " ".join(terms))
        return "\n".join(lines)

    def standardisation_table(self) -> pd.DataFrame:
        """Every phase's selected features with coefficient, training mean and sd."""
        tables = [t for t in (s.standardisation_table() for s in self.signatures_.values()) if not t.empty]
        return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=STANDARDISATION_COLUMNS)

    @property
    def lasso_(self):
        """No single LASSO path (one per phase: see ``signatures_``)."""
        return None
