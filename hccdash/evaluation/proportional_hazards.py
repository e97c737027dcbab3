"""Proportional-hazards check of every Cox model of an evaluation, on the training set:
survival::cox.zph's test per term and GLOBAL (:func:`hccdash.stats.zph`, transform "km",
the model's own ties) and the scaled Schoenfeld residuals the plots draw."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from hccdash.evaluation.data import EvaluationInput
from hccdash.evaluation.predictions import submodels
from hccdash.stats import zph
from hccdash.stats.proportional_hazards import PH_ALPHA

TRANSFORM = "km"  # cox.zph's default: time as 1 - KM(t-), robust to a few long follow-ups
TEST_COLUMNS = ["model", "term", "chisq", "df", "p", "fails"]
RESIDUAL_COLUMNS = ["model", "term", "time", "x", "residual", "coef"]


@dataclass(frozen=True)
class PHCheck:
    """``tests``: model, term (or GLOBAL), chisq, df, p, fails (p < 0.05); ``residuals``: model, term, time, x
    (1 - KM(t-)), residual (scaled Schoenfeld), coef (the model's coefficient, the line the
    residuals scatter around under proportional hazards; a term of several columns scatters
    around 1, as in cox.zph); ``notes``: one per failing model."""

    tests: pd.DataFrame
    residuals: pd.DataFrame
    notes: list[str]


def empty() -> PHCheck:
    return PHCheck(pd.DataFrame(columns=TEST_COLUMNS), pd.DataFrame(columns=RESIDUAL_COLUMNS), [])


def term_groups(model, columns: pd.Index) -> dict[str, list[str]]:
    """The model's terms: a clinical variable's columns together (a categorical variable's
    indicator columns are one term, as R's factor in cox.zph), every other column alone."""
    clinical = getattr(model, "clinical_", None)
    groups: dict[str, list[str]] = {}
    taken: set[str] = set()
    for name, term in (getattr(clinical, "terms_", None) or {}).items():
        cols = [c for c in term.columns if c in columns]
        if len(cols) == len(term.columns) and cols:
            groups[str(name)] = cols
            taken.update(cols)
    return {**groups, **{str(c): [c] for c in columns if c not in taken}}


def ph_check(data: EvaluationInput) -> PHCheck:
    """cox.zph of each Cox model (clinical, radiomics, combined) on its complete training rows."""
    if not data.survival:
        return empty()
    subs, _ = submodels(data.model, data.train)
    train, ties = data.train, data.model.settings.model.ties
    tests, residuals, notes = [], [], []
    for name, sub in subs.items():
        design = sub.design(train.frame)
        rows = design.notna().all(axis=1).to_numpy()
        try:
            result = zph(design[rows], train.time[rows], train.event[rows], transform=TRANSFORM, ties=ties,
                         terms=term_groups(data.model, design.columns))
        except ValueError as exc:
            notes.append(f"Proportional hazards: not tested for the {name} model ({exc})")
            continue
        table = result.table.reset_index()
        tests.append(table.assign(model=name, fails=table["p"] < PH_ALPHA)[TEST_COLUMNS])
        coef = sub.fit.coef_
        long = result.residuals.melt(id_vars=["time", "x"], var_name="term", value_name="residual")
        level = long["term"].map(coef).fillna(1.0).astype(float)  # several columns: the term's lp, around 1
        residuals.append(long.assign(model=name, coef=level)[RESIDUAL_COLUMNS])
        failing = result.failing
        global_p = float(result.table.loc["GLOBAL", "p"])
        if failing or global_p < PH_ALPHA:
            terms = ", ".join(failing) if failing else "no single term"
            notes.append(
                f"Proportional hazards: the {name} model fails the test (cox.zph, training set; global p = "
                f"{global_p:.3g}; terms with p < {PH_ALPHA:g}: {terms}). Its hazard ratios change over follow-up: "
                "look at the Schoenfeld residual plots, and consider stratifying, a time-varying effect or "
                "reporting the hazard ratio as an average over follow-up.")
    if not tests:
        return PHCheck(empty().tests, empty().residuals, notes)
    return PHCheck(pd.concat(tests, ignore_index=True), pd.concat(residuals, ignore_index=True), notes)

