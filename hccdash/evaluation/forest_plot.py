"""Hazard (odds) ratio tables for the forest plot: the clinical and combined models'
terms with Wald 95% CIs (``summary(coxph)`` / ``exp(confint.default(glm))``), and the
subgroup HRs of the risk groups."""

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
        parts.append(pd.DataFrame({
            "model": name, "term": table.index.astype(str), "ratio": table[ratio].to_numpy(),
            "lower": table[f"{ratio}_lower"].to_numpy(), "upper": table[f"{ratio}_upper"].to_numpy(),
            "p": table["p"].to_numpy(), "measure": ratio.upper(),
        }))
    return pd.concat(parts, ignore_index=True)


def subgroup_forest(table: pd.DataFrame, variable: str) -> pd.DataFrame:
    """The subgroup table of :func:`~hccdash.evaluation.risk_groups.subgroup_analysis` in
    forest-plot form (term = "variable: level (n)")."""
    return pd.DataFrame({
        "model": "subgroups", "term": [f"{variable}: {s} (n={n})" for s, n in zip(table["subgroup"], table["n"])],
        "ratio": table["hr"].to_numpy(), "lower": table["lower"].to_numpy(), "upper": table["upper"].to_numpy(),
        "p": table["p"].to_numpy(), "measure": "HR",
    }).replace([np.inf, -np.inf], np.nan)
