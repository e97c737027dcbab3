"""Proportional-hazards check of every Cox model of an evaluation, on the training set:
survival::cox.zph's test per term and GLOBAL (:func:`hccdash.stats.zph`, transform "km",
the model's own ties) and the scaled Schoenfeld residuals the plots draw."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hccdash.evaluation.data import EvaluationInput
from hccdash.evaluation.predictions import FrameDesigns, submodels
from hccdash.stats import zph
from hccdash.stats.proportional_hazards import PH_ALPHA, ZphResult

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
    """cox.zph of each Cox model (clinical, radiomics, combined) on its complete training rows,
    with the model's own fit (:func:`~hccdash.stats.zph`'s ``fit``: the same coefficients, no refit)."""
    if not data.survival:
        return empty()
    train, ties = data.train, data.model.settings.model.ties
    designs = FrameDesigns(data.model, train.frame)
    subs, _ = submodels(data.model, train, designs)
    tests, residuals, notes = [], [], []
    for name, sub in subs.items():
        design = designs.of(name)
        groups = term_groups(data.model, design.columns)
        try:
            rows = ~np.isnan(design.to_numpy(dtype=float)).any(axis=1)  # complete rows
            result = zph(design if rows.all() else design[rows], train.time[rows], train.event[rows],
                         transform=TRANSFORM, ties=ties, terms=groups, fit=sub.fit)
        except ValueError as exc:
            notes.append(f"Proportional hazards: not tested for the {name} model ({exc})")
            continue
        tests.append((name, result.table))
        coef = sub.fit.coef_
        # a term of one column scatters around its coefficient, of several (its lp) around 1
        level = [float(coef[cols[0]]) if len(cols) == 1 else 1.0 for cols in groups.values()]
        residuals.append((name, result.residuals, level))
        note = _failing_warning(name, result)
        if note:
            notes.append(note)
    if not tests:
        return PHCheck(empty().tests, empty().residuals, notes)
    return PHCheck(_tests_frame(tests), _residuals_frame(residuals), notes)


def _failing_warning(name: str, result: ZphResult) -> str | None:
    """The warning of a model that fails the test (a term or GLOBAL with p < 0.05), else None."""
    failing = result.failing
    global_p = float(result.table["p"].iloc[-1])
    if not failing and global_p >= PH_ALPHA:
        return None
    terms = ", ".join(failing) if failing else "no single term"
    return (f"Proportional hazards: the {name} model fails the test (cox.zph, training set; global p = "
            f"{global_p:.3g}; terms with p < {PH_ALPHA:g}: {terms}). Its hazard ratios change over follow-up: "
            "look at the Schoenfeld residual plots, and consider stratifying, a time-varying effect or "
            "reporting the hazard ratio as an average over follow-up.")


def _tests_frame(tests: list[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    """The models' cox.zph tables stacked, one frame built once (no per-model reshaping)."""
    tables = [table for _, table in tests]
    p = np.concatenate([table["p"].to_numpy() for table in tables])
    return pd.DataFrame({
        "model": np.repeat([name for name, _ in tests], [len(table) for table in tables]).astype(object),
        "term": np.concatenate([table.index.to_numpy() for table in tables]),
        "chisq": np.concatenate([table["chisq"].to_numpy() for table in tables]),
        "df": np.concatenate([table["df"].to_numpy() for table in tables]),
        "p": p,
        "fails": p < PH_ALPHA,
    }, copy=False)  # (new arrays: no copy)


def _residuals_frame(residuals: list[tuple[str, pd.DataFrame, list[float]]]) -> pd.DataFrame:
    """Long residuals (one row per model, term and event; terms in turn, events in time order)."""
    parts = {column: [] for column in RESIDUAL_COLUMNS}
    for name, wide, level in residuals:
        values = wide.to_numpy()  # time, x, then a column per term
        n, k = values.shape[0], values.shape[1] - 2
        parts["model"].append(np.full(n * k, name, dtype=object))
        parts["term"].append(np.repeat(wide.columns[2:].to_numpy(dtype=object), n))
        parts["time"].append(np.tile(values[:, 0], k))
        parts["x"].append(np.tile(values[:, 1], k))
        parts["residual"].append(values[:, 2:].ravel(order="F"))
        parts["coef"].append(np.repeat(np.asarray(level, dtype=float), n))
    return pd.DataFrame({column: np.concatenate(values) for column, values in parts.items()})
