"""Hazard (odds) ratio tables for the forest plot: the clinical and combined models'
terms with Wald 95% CIs (``summary(coxph)`` / ``exp(confint.default(glm))``), and the
subgroup HRs of the risk groups. A log or spline clinical term is one row, its ratio from
the training lower to upper quartile as rms's ``summary(fit)`` gives it (a spline's basis
columns have no ratio of their own to read)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hccdash.modeling import regression
from hccdash.modeling.pipeline import RadiomicsNomogram


def ratio_table(model: RadiomicsNomogram, level: float) -> pd.DataFrame:
    """Rows per model ("clinical", "combined") and term: label, ratio (HR / OR), lower,
    upper, p, and ``measure`` ('HR' or 'OR')."""
    ratio = regression.ratio_name(model.family_)
    parts = []
    fits = [("clinical", None if model.clinical_ is None else model.clinical_.model_),
            ("combined", model.combined_.model_)]
    for name, fit in fits:
        if fit is None:
            continue
        table = regression.table(fit, level)
        rows = pd.DataFrame({
            "model": name, "term": table.index.astype(str), "ratio": table[ratio].to_numpy(),
            "lower": table[f"{ratio}_lower"].to_numpy(), "upper": table[f"{ratio}_upper"].to_numpy(),
            "p": table["p"].to_numpy(), "measure": ratio.upper(),
        })
        parts.append(_one_row_per_transformed_term(rows, model, fit, level))
    return pd.concat(parts, ignore_index=True)


def _one_row_per_transformed_term(rows: pd.DataFrame, model: RadiomicsNomogram, fit, level: float) -> pd.DataFrame:
    """``rows`` with each log / spline term's columns replaced by its inter-quartile ratio (module docstring)."""
    terms = [] if model.clinical_ is None else [model.clinical_.terms_[v] for v in model.clinical_.selected_]
    for term in (t for t in terms if t.transformed and t.columns[0] in set(rows["term"])):
        effect = term.effect(fit.coef_, fit.cov_, level)
        row = {"model": rows["model"].iloc[0], "term": f"{term.variable} ({effect.high:.4g} vs {effect.low:.4g}, IQR)",
               "ratio": effect.ratio, "lower": effect.ratio_lower, "upper": effect.ratio_upper, "p": effect.p,
               "measure": rows["measure"].iloc[0]}
        at = int(np.flatnonzero(rows["term"] == term.columns[0])[0])
        kept = rows[~rows["term"].isin(term.columns)]
        rows = pd.concat([kept.iloc[:at], pd.DataFrame([row]), kept.iloc[at:]], ignore_index=True)
    return rows


def subgroup_forest(table: pd.DataFrame, variable: str) -> pd.DataFrame:
    """The subgroup table of :func:`~hccdash.evaluation.risk_groups.subgroup_analysis` in
    forest-plot form (term = "variable: level (n)")."""
    return pd.DataFrame({
        "model": "subgroups", "term": [f"{variable}: {s} (n={n})" for s, n in zip(table["subgroup"], table["n"])],
        "ratio": table["hr"].to_numpy(), "lower": table["lower"].to_numpy(), "upper": table["upper"].to_numpy(),
        "p": table["p"].to_numpy(), "measure": "HR",
    }).replace([np.inf, -np.inf], np.nan)
