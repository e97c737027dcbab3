"""SHAP-style explanations of a linear predictor: each term's contribution per patient.

For a linear predictor ``lp(x) = b0 + sum_j b_j x_j`` with independent terms, the exact Shapley
value of term j (interventional, the training rows as background) is

    phi_j(x) = b_j (x_j - mean_j),        mean_j = the term's training mean,

so ``sum_j phi_j(x) = lp(x) - lp(mean)``, and ``lp(mean)`` is the mean training linear predictor
(the "base value" every patient starts from). This is what ``shap.LinearExplainer`` computes for a
linear model with the training rows as background; no sampling is needed. Contributions are on the
linear-predictor scale: log hazard ratio (Cox, RFS) or log odds (logistic, ER).

Three explanations of a fitted :class:`~hccdash.modeling.pipeline.RadiomicsNomogram`:

- ``combined``: the final model's terms (clinical columns, rad-score, DL score), means over the
  training rows the combined model was fitted on (complete cases);
- ``radiomics``: inside the rad-score, each selected feature's ``b_j z_j`` (z-scored with the
  training mean and sd, so the training mean of z is 0) for a single signature;
- ``deep``: inside the DL score, each kept principal component's ``b_k t_k / sd_k`` (centred in
  training), the study's "DLT" terms.

:func:`linear_contributions` is the plain function; a model file's terms give the same numbers
(:meth:`hccdash.registry.json_model.JsonModel.contributions`), which the calculator uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hccdash.columns import require_columns
from hccdash.modeling.pipeline import RadiomicsNomogram

KINDS = {"combined": "combined model", "radiomics": "rad-score", "deep": "DL score"}


@dataclass(frozen=True)
class Explanation:
    """Per-patient contributions of each term (rows: patients, columns: terms, in order of mean
    absolute contribution), the terms' values, the base value and each patient's linear predictor;
    ``sets`` names each patient's set (training, validation, ...) when known."""

    kind: str  # combined | radiomics | deep
    contributions: pd.DataFrame
    values: pd.DataFrame
    base: float
    lp: pd.Series
    sets: pd.Series | None = None

    @property
    def title(self) -> str:
        return KINDS.get(self.kind, self.kind)

    def long(self, sets: list[str] | None = None) -> pd.DataFrame:
        """One row per patient and term: patient, term, contribution, value, scaled (the value's rank
        within the term, 0 = lowest, 1 = highest: the beeswarm's colour), set; restricted to ``sets``."""
        rows = self.contributions.index
        if sets is not None and self.sets is not None:
            rows = rows[self.sets.reindex(rows).isin(sets).to_numpy()]
        contributions, values = self.contributions.loc[rows], self.values.loc[rows]
        scaled = values.rank(pct=True, method="average")
        scaled = (scaled - scaled.min()) / (scaled.max() - scaled.min()).replace(0, 1)
        long = pd.DataFrame({
            "patient": np.repeat(rows.astype(str), contributions.shape[1]),
            "term": np.tile(contributions.columns.astype(str), len(rows)),
            "contribution": contributions.to_numpy(float).ravel(),
            "value": values.to_numpy(float).ravel(),
            "scaled": scaled.fillna(0.5).to_numpy(float).ravel(),
        })
        if self.sets is not None:
            long["set"] = np.repeat(self.sets.reindex(rows).astype(str).to_numpy(), contributions.shape[1])
        return long

    def patient(self, patient) -> pd.DataFrame:
        """One patient's waterfall table: term, value, contribution (largest absolute first), with the
        base value first and the linear predictor last (``cumulative`` = running sum from the base)."""
        if patient not in self.contributions.index:
            raise ValueError(f"Patient {patient!r} is not among the explained patients")
        row = self.contributions.loc[patient]
        order = row.abs().sort_values(ascending=False).index
        table = pd.DataFrame({"term": [str(t) for t in order], "value": self.values.loc[patient, order].to_numpy(float),
                              "contribution": row[order].to_numpy(float)})
        table["start"] = self.base + np.concatenate([[0.0], np.cumsum(table["contribution"].to_numpy())[:-1]])
        table["end"] = table["start"] + table["contribution"]
        return table

    def importance(self) -> pd.Series:
        """Mean absolute contribution of each term (the SHAP summary's ordering)."""
        return self.contributions.abs().mean().sort_values(ascending=False)


def linear_contributions(design: pd.DataFrame, coef: pd.Series, means: pd.Series, intercept: float = 0.0,
                         kind: str = "combined", sets: pd.Series | None = None) -> Explanation:
    """The exact contributions ``b_j (x_j - mean_j)`` of a linear predictor ``intercept + design @ coef``
    (rows with a missing value dropped); base = intercept + coef . means."""
    columns = list(coef.index)
    values = require_columns(design, columns, what="term", table="The design",
                             needed_by="the linear predictor's coefficients").astype(float)
    values = values[values.notna().all(axis=1)]
    b, m = coef.to_numpy(float), means[columns].to_numpy(float)
    contributions = pd.DataFrame((values.to_numpy() - m) * b, index=values.index, columns=columns)
    order = list(contributions.abs().mean().sort_values(ascending=False).index)
    base = float(intercept + m @ b)
    lp = pd.Series(intercept + values.to_numpy() @ b, index=values.index, name="lp")
    return Explanation(kind, contributions[order], values[order], base, lp,
                       None if sets is None else sets.reindex(values.index))


def combined_explanation(model: RadiomicsNomogram, X: pd.DataFrame, train: pd.DataFrame,
                         sets: pd.Series | None = None) -> Explanation | None:
    """Contributions of the combined model's terms for the rows of ``X`` (means over ``train``'s
    complete rows); None for the null model."""
    fit = model.combined_.model_
    if fit is None:
        return None
    means = model.combined_design(train).dropna().mean()
    return linear_contributions(model.combined_design(X), fit.coef_, means,
                                float(getattr(fit, "intercept_", 0.0)), "combined", sets)


def score_explanation(model: RadiomicsNomogram, X: pd.DataFrame, kind: str,
                      sets: pd.Series | None = None) -> Explanation | None:
    """Contributions inside the rad-score (``kind`` "radiomics": selected features, single signature)
    or the DL score ("deep": kept components); None when the model has no such linear score."""
    if kind == "radiomics":
        signature = model.radiomics_
        lasso = getattr(signature, "lasso_", None)
        if lasso is None or lasso.coefficients_.empty or getattr(signature, "standardizer_", None) is None:
            return None
        coef = lasso.coefficients_
        frame = model.harmonised(X)
        z = (frame[list(coef.index)] - signature.standardizer_.mean_[coef.index]) / signature.standardizer_.scale_[coef.index]
        return linear_contributions(z, coef, pd.Series(0.0, index=coef.index), float(lasso.intercept_), kind, sets)
    if kind == "deep":
        if not model.has_deep or model.deep_.coefficients_.empty:
            return None
        coef = model.deep_.coefficients_
        components = model.deep_.components(X)[list(coef.index)]
        return linear_contributions(components, coef, pd.Series(0.0, index=coef.index),
                                    float(model.deep_.lasso_.intercept_), kind, sets)
    raise ValueError(f"Unknown explanation {kind!r}; allowed: radiomics, deep")


def model_explanations(model: RadiomicsNomogram, frames: dict[str, pd.DataFrame]) -> dict[str, Explanation]:
    """Every available explanation of ``model`` for the patients of ``frames`` (set name -> rows,
    training first: its rows give the combined model's means)."""
    X = pd.concat(list(frames.values()))
    sets = pd.Series(np.concatenate([[name] * len(f) for name, f in frames.items()]), index=X.index)
    found = {"combined": combined_explanation(model, X, next(iter(frames.values())), sets),
             "radiomics": score_explanation(model, X, "radiomics", sets),
             "deep": score_explanation(model, X, "deep", sets)}
    return {kind: e for kind, e in found.items() if e is not None}
