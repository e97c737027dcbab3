"""Clinical model: univariable screen at p_in, then backward elimination at p_out.

Steps (all on the training rows given to ``fit``):

1. Coding. A categorical variable (pandas Categorical, text or boolean) becomes one 0/1
   column per level except the first level observed in training (the reference; a
   Categorical keeps its category order, other types sort their values). A continuous
   variable listed in ``dichotomise`` becomes one 0/1 column "high", cut at its
   maximally selected log-rank cut-off (survival: :func:`hccdash.stats.max_logrank_cutoff`,
   high = value > cut-off, R ``maxstat.test(smethod = "LogRank", minprop)``) or at the
   Youden cut-off (binary: :func:`hccdash.stats.youden_cutoff`, high = value >= cut-off).
   A continuous variable listed in ``log`` enters as its natural log (column ``log(AFP)``):
   every training value must be > 0 (else ValueError naming the patient and value; a
   patient to predict with a value <= 0 gets NaN). One listed in ``splines`` (variable,
   knots) enters as a restricted cubic spline, as ``rms::rcs(x, knots)``: knots at Harrell's
   quantiles of its training values (:func:`hccdash.stats.rcs_knots`), columns
   ``age``, ``age'``, ... (:func:`hccdash.stats.rcs_basis`); with ``log`` too, the spline is
   of log(x) (``rcs(log(x), k)``). A transformed term is screened and eliminated as a whole
   (joint Wald p of its columns); transformations and dichotomising exclude each other.
2. Screen: a univariable model per variable (its complete cases); a variable passes when
   its Wald p (joint Wald p for several columns) is < ``p_in``.
3. Backward elimination on the complete cases of the passed variables plus ``force_in``:
   refit, drop the variable with the largest Wald p when that p is >= ``p_out``, repeat.
   ``force_in`` variables are never dropped, ``force_out`` never considered.
4. The final model is refitted on the complete cases of its own variables; HR (Cox,
   Efron ties) or OR (logistic) with Wald 95% CI and p.

A patient with a missing value, or a level not seen in training, gets a NaN prediction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from hccdash import stats
from hccdash.columns import check_columns
from hccdash.modeling import regression
from hccdash.selection.target import binary_array, is_survival, survival_arrays
from hccdash.settings import EvaluationSettings, ModelSettings
from hccdash.stats.splines import transformed_columns

_DEFAULTS = ModelSettings()


@dataclass(frozen=True)
class Term:
    """How one clinical variable becomes model columns."""

    variable: str
    kind: str  # continuous | categorical | dichotomised
    columns: tuple[str, ...]
    levels: tuple = ()  # categorical: observed training levels, first = reference
    cutoff: float | None = None  # dichotomised
    inclusive: bool = False  # dichotomised: high = value >= cutoff (True) or > cutoff
    log: bool = False  # continuous: enters as log(x) (NaN for x <= 0)
    knots: tuple[float, ...] = ()  # continuous: restricted cubic spline knots (on the log scale with ``log``)
    effect_range: tuple[float, ...] = ()  # transformed: training quartiles (low, high) of the value, rms's summary

    @property
    def transformed(self) -> bool:
        """True for a log or spline term (one nomogram axis, nonlinear in the value for a spline)."""
        return self.log or bool(self.knots)

    def transform(self, values) -> np.ndarray:
        """Model columns (n x columns) of numeric values of a continuous term: x, log(x) or the spline basis."""
        return transformed_columns(values, self.log, self.knots)

    def effect(self, coef: pd.Series, cov: pd.DataFrame, level: float):
        """A transformed term's effect from its training lower to upper quartile (rms's ``summary(fit)``):
        :class:`hccdash.stats.effects.Effect`."""
        low, high = self.effect_range
        rows = self.transform([low, high])
        columns = list(self.columns)
        return stats.contrast_effect(coef[columns].to_numpy(), cov.loc[columns, columns].to_numpy(), rows[0], rows[1],
                                     low, high, level)

    def encode(self, values: pd.Series) -> pd.DataFrame:
        """This term's columns for ``values`` (NaN where missing or an unseen level)."""
        if self.kind == "categorical":
            text = values.astype(object).where(values.notna())
            known = text.isin(self.levels)
            out = {col: (text == level).astype(float).where(known) for col, level in zip(self.columns, self.levels[1:])}
            return pd.DataFrame(out, index=values.index)
        numeric = pd.to_numeric(values, errors="coerce").astype(float)
        if self.kind == "dichotomised":
            high = numeric >= self.cutoff if self.inclusive else numeric > self.cutoff
            numeric = high.astype(float).where(numeric.notna())
        elif self.transformed:
            return pd.DataFrame(self.transform(numeric), index=values.index, columns=list(self.columns))
        return pd.DataFrame({self.columns[0]: numeric}, index=values.index)

    @property
    def reference(self) -> str | None:
        """Reference level of a categorical term."""
        return str(self.levels[0]) if self.kind == "categorical" else None


def is_categorical(values: pd.Series) -> bool:
    """True for Categorical, text and boolean columns."""
    return (isinstance(values.dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(values)
            or pd.api.types.is_bool_dtype(values) or pd.api.types.is_string_dtype(values))


class TransformError(ValueError):
    """A chosen transformation cannot be applied to a variable's training values (never skipped silently)."""


def _transformed_term(name: str, numeric: pd.Series, log: bool, knots: int | None) -> Term:
    """A log and / or spline term learned from the training values (module docstring)."""
    values = numeric.dropna()
    if log:
        bad = values[values <= 0]
        if len(bad):
            raise TransformError(
                f"Clinical variable '{name}' is log-transformed but patient {bad.index[0]} has {bad.iloc[0]:g} "
                f"({len(bad)} training value(s) <= 0): log needs values > 0; choose linear or a spline for it")
        values = np.log(values)
    label = f"log({name})" if log else name
    quartiles = stats.interquartile_range(numeric.dropna().to_numpy())
    if not knots:
        return Term(name, "continuous", (label,), log=log, effect_range=quartiles)
    try:
        placed = stats.rcs_knots(values.to_numpy(), knots, name=label)
    except ValueError as exc:
        raise TransformError(f"Clinical variable '{name}': {exc}") from None
    return Term(name, "continuous", stats.rcs_names(label, placed.size), log=log, knots=tuple(float(k) for k in placed),
                effect_range=quartiles)


def make_term(values: pd.Series, y, dichotomise: bool, minprop: float, log: bool = False,
              knots: int | None = None) -> Term:
    """The coding of one variable, learned from the training rows (``log`` / ``knots``: module
    docstring; TransformError when they cannot apply)."""
    name = str(values.name)
    if (log or knots) and dichotomise:
        raise TransformError(f"Clinical variable '{name}' cannot be both dichotomised and transformed (log / spline)")
    if (log or knots) and is_categorical(values):
        raise TransformError(f"Clinical variable '{name}' is categorical: log and spline apply to numbers only")
    if is_categorical(values):
        if isinstance(values.dtype, pd.CategoricalDtype):
            levels = [c for c in values.cat.categories if (values == c).any()]
        else:
            levels = sorted(values.dropna().astype(object).unique(), key=str)
        if len(levels) < 2:
            raise ValueError(f"Clinical variable '{name}' has fewer than two levels in the training data: {levels}")
        return Term(name, "categorical", tuple(f"{name}[{level}]" for level in levels[1:]), tuple(levels))
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().sum() < values.notna().sum():
        bad = values[numeric.isna() & values.notna()].iloc[0]
        raise ValueError(f"Clinical variable '{name}' is continuous but holds the value {bad!r}")
    if log or knots:
        return _transformed_term(name, numeric, log, knots)
    if not dichotomise:
        return Term(name, "continuous", (name,))
    known = numeric.notna().to_numpy()
    if is_survival(y):
        time, event = survival_arrays(y)
        cut = stats.max_logrank_cutoff(time[known], event[known], numeric[known].to_numpy(), minprop=minprop)
        return Term(name, "dichotomised", (f"{name} > {cut:.4g}",), cutoff=float(cut))
    cut = stats.youden_cutoff(binary_array(y)[known], numeric[known].to_numpy())[0]
    return Term(name, "dichotomised", (f"{name} >= {cut:.4g}",), cutoff=float(cut), inclusive=True)


def design(X: pd.DataFrame, terms: Sequence[Term]) -> pd.DataFrame:
    """Model columns of the given terms (NaN rows where a value is missing or unseen)."""
    check_columns(X, [t.variable for t in terms], what="variable", table="The clinical table",
                  needed_by="the clinical model")
    if not terms:
        return pd.DataFrame(index=X.index)
    return pd.concat([t.encode(X[t.variable]) for t in terms], axis=1)


def _rows_complete(frame: pd.DataFrame) -> np.ndarray:
    return frame.notna().all(axis=1).to_numpy()


def count_events(y) -> int:
    """Recurrences in ``y``: events (survival target) or positives (binary target)."""
    return int(survival_arrays(y)[1].sum()) if is_survival(y) else int(binary_array(y).sum())


def rows_used_text(n_used: int, n_rows: int, events: int) -> str:
    """One caption line: the training patients and events a model was fitted on (complete cases)."""
    text = f"Fitted on {n_used} of {n_rows} training patients ({events} events)"
    left_out = n_rows - n_used
    return text + (f"; {left_out} with a missing value left out (complete-case analysis)" if left_out else "")


class ClinicalModel(BaseEstimator):
    """Univariable screen + backward elimination; see the module docstring.

    Fitted attributes: ``terms_`` (every candidate's coding), ``skipped_`` (variables that
    cannot be coded, e.g. one level in training, with the reason), ``univariable_`` (one row
    per model column), ``selected_`` (final variables), ``model_`` (CoxModel / LogisticModel,
    None for the null model), ``table_`` (final HR/OR table), ``steps_`` (elimination log),
    ``n_rows_`` (training rows given), ``n_used_`` and ``events_used_`` (complete cases of the
    final model and their events: :meth:`rows_used_text`).
    """

    def __init__(self, variables: Sequence[str] | None = None, p_in: float = _DEFAULTS.clinical_p_in,
                 p_out: float = _DEFAULTS.clinical_p_out, force_in: Sequence[str] = _DEFAULTS.clinical_force_in,
                 force_out: Sequence[str] = _DEFAULTS.clinical_force_out,
                 dichotomise: Sequence[str] = _DEFAULTS.clinical_dichotomise,
                 minprop: float = EvaluationSettings().maxstat_minprop, ties: str = _DEFAULTS.ties,
                 level: float = EvaluationSettings().ci_level, log: Sequence[str] = _DEFAULTS.clinical_log,
                 splines: Sequence[tuple[str, int]] = _DEFAULTS.clinical_splines):
        self.variables = variables
        self.p_in = p_in
        self.p_out = p_out
        self.force_in = force_in
        self.force_out = force_out
        self.dichotomise = dichotomise
        self.minprop = minprop
        self.ties = ties
        self.level = level
        self.log = log
        self.splines = splines

    def _candidates(self, X: pd.DataFrame) -> list[str]:
        variables = list(X.columns) if self.variables is None else [str(v) for v in self.variables]
        for group, names in (("variables", variables), ("force_in", self.force_in),
                             ("force_out", self.force_out), ("dichotomise", self.dichotomise),
                             ("log", self.log), ("splines", [v for v, _ in self.splines])):
            check_columns(X, names, what="variable", table="The clinical table",
                          needed_by=f"the clinical model's {group} setting")
        clash = set(self.force_in) & set(self.force_out)
        if clash:
            raise ValueError(f"Variable(s) {sorted(clash)} are both forced in and forced out")
        candidates = [v for v in variables if v not in set(self.force_out)]
        return candidates + [v for v in self.force_in if v not in candidates]

    def fit(self, X: pd.DataFrame, y):
        """Screen, eliminate and fit on the training rows (``X`` clinical table, ``y`` target)."""
        if len(X) != len(y):
            raise ValueError(f"The clinical table has {len(X)} rows but the outcome {len(y)}")
        self.family_ = regression.family_of(y)
        candidates = self._candidates(X)
        self.terms_, self.skipped_ = {}, {}
        knots = {str(v): int(k) for v, k in self.splines}
        for v in candidates:
            try:
                self.terms_[v] = make_term(X[v], y, v in set(self.dichotomise), self.minprop, v in set(self.log),
                                           knots.get(v))
            except ValueError as exc:  # e.g. a single level in training: unusable, unless forced in
                if v in set(self.force_in) or isinstance(exc, TransformError):
                    raise
                self.skipped_[v] = str(exc)
        candidates = [v for v in candidates if v in self.terms_]
        self.univariable_ = self._univariable(X, y)
        screened = [v for v in candidates
                    if v in set(self.force_in) or self._univariable_p.get(v, np.nan) < self.p_in]
        self.screened_ = screened
        self.selected_, self.steps_ = self._eliminate(X, y, screened)
        terms = [self.terms_[v] for v in self.selected_]
        self.model_, rows = self._fit_terms(X, y, terms)
        self.n_rows_, self.n_used_ = len(X), int(rows.sum())
        self.events_used_ = count_events(np.asarray(y)[rows])
        self.table_ = self._table(self.model_, terms)
        return self

    def rows_used_text(self) -> str:
        """The final model's patients and events (complete cases) in one line."""
        check_is_fitted(self, "n_used_")
        return rows_used_text(self.n_used_, self.n_rows_, self.events_used_)

    def _fit_terms(self, X, y, terms):
        """Fit on the complete cases of the terms; (model or None, boolean mask of the rows used)."""
        if not terms:
            return None, np.ones(len(X), dtype=bool)
        frame = design(X, terms)
        rows = _rows_complete(frame)
        return regression.fit(frame[rows], np.asarray(y)[rows], self.ties), rows

    def _univariable(self, X, y) -> pd.DataFrame:
        self._univariable_p: dict[str, float] = {}
        parts = []
        for name, term in self.terms_.items():
            try:
                model, rows = self._fit_terms(X, y, [term])
            except ValueError as exc:  # e.g. a level with no variation in its complete cases
                self._univariable_p[name] = np.nan
                parts.append(pd.DataFrame({"variable": [name], "note": [str(exc)]}))
                continue
            p = regression.term_p(model, term.columns)
            self._univariable_p[name] = p
            part = self._table(model, [term])
            part["p (variable)"] = p
            part["n"] = int(rows.sum())
            parts.append(part)
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def _eliminate(self, X, y, variables: list[str]) -> tuple[list[str], list[dict]]:
        current = list(variables)
        frame = design(X, [self.terms_[v] for v in current])
        rows = _rows_complete(frame)
        steps: list[dict] = []
        forced = set(self.force_in)
        while True:
            removable = [v for v in current if v not in forced]
            if not removable:
                return current, steps
            columns = [c for v in current for c in self.terms_[v].columns]
            model = regression.fit(frame.loc[rows, columns], np.asarray(y)[rows], self.ties)
            pvalues = {v: regression.term_p(model, self.terms_[v].columns) for v in removable}
            worst = max(pvalues, key=lambda v: (pvalues[v], -current.index(v)))
            if pvalues[worst] < self.p_out:
                return current, steps
            steps.append({"removed": worst, "p": pvalues[worst], "n": int(rows.sum())})
            current.remove(worst)

    def _table(self, model, terms: Sequence[Term]) -> pd.DataFrame:
        if model is None:
            return pd.DataFrame(columns=["variable", "term"])
        table = regression.table(model, self.level)
        labels = {}
        for term in terms:
            for column, level in zip(term.columns, term.levels[1:] or [None] * len(term.columns)):
                if term.kind == "categorical":
                    labels[column] = (term.variable, f"{level} vs {term.reference}")
                elif term.kind == "dichotomised":
                    labels[column] = (term.variable, column.split(" ", 1)[1])
                elif term.knots:
                    labels[column] = (term.variable, f"spline basis {column} ({len(term.knots)} knots)")
                elif term.log:
                    labels[column] = (term.variable, f"per unit of {column}")
                else:
                    labels[column] = (term.variable, "per unit")
        table.insert(0, "term", [labels[c][1] for c in table.index])
        table.insert(0, "variable", [labels[c][0] for c in table.index])
        return table.rename_axis("column").reset_index()

    @property
    def columns_(self) -> list[str]:
        """Model columns of the final variables."""
        check_is_fitted(self, "selected_")
        return [c for v in self.selected_ for c in self.terms_[v].columns]

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """The final model's columns for ``X`` (NaN rows where a value is missing or unseen)."""
        check_is_fitted(self, "selected_")
        return design(X, [self.terms_[v] for v in self.selected_])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Linear predictor of the final clinical model (0 for the null model)."""
        frame = self.transform(X)
        if self.model_ is None:
            return np.zeros(len(X))
        return regression.linear_predictor(self.model_, frame)

    @property
    def cutoffs_(self) -> dict[str, float]:
        """Cut-offs of the dichotomised variables, learned on training."""
        check_is_fitted(self, "terms_")
        return {v: t.cutoff for v, t in self.terms_.items() if t.kind == "dichotomised"}
