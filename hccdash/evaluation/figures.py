"""Each figure of an evaluation with the table behind it: (chart, data) pairs, so the page,
its downloads and the report draw the same thing. Charts are built by
:mod:`hccdash.charts.evaluation`."""

from __future__ import annotations

from collections.abc import Iterator

import altair as alt
import pandas as pd

from hccdash.charts import evaluation as charts
from hccdash.charts.diagnostics import schoenfeld_chart
from hccdash.charts.explanations import beeswarm_chart, waterfall_chart
from hccdash.display import p_text, term_label
from hccdash.evaluation.summary import Evaluation

Figure = tuple[alt.TopLevelMixin, pd.DataFrame]


def _rows(frame: pd.DataFrame, **where) -> pd.DataFrame:
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        mask &= frame[column] == value
    return frame[mask]


def discrimination(e: Evaluation) -> Figure:
    """C-index (Cox) or AUC (logistic) of every model and set, with CI."""
    table = e.named(e.discrimination)
    return charts.discrimination_chart(table, e.metric_name, e.metric_column), table


def km(e: Evaluation, model: str, split: str) -> Figure:
    rg = e.risk_groups[model]
    row = _rows(rg.comparisons, split=split).iloc[0]
    curves, at_risk = _rows(rg.curves, split=split), _rows(rg.at_risk, split=split)
    title = [f"{model}, {e.set_name(split)}: cut-off {rg.cutoff:.3g} ({rg.method}, training)",
             f"HR high vs low {row['hr']:.2f} ({row['hr_lower']:.2f}-{row['hr_upper']:.2f})"]
    return charts.km_chart(curves, at_risk, title, row["p_logrank"]), e.named(curves)


def roc(e: Evaluation, split: str, horizon: float | None = None) -> Figure:
    """Time-dependent ROC at ``horizon`` (Cox) or the ROC curve (logistic) of every model."""
    name = e.set_name(split)
    if e.endpoint.survival:
        data = _rows(e.time_roc, split=split, horizon=horizon)
        return charts.roc_chart(data, f"Time-dependent ROC at {horizon:g} months, {name}"), e.named(data)
    data = _rows(e.roc, split=split)
    return charts.roc_chart(data, f"ROC, {name}"), e.named(data)


def calibration(e: Evaluation, split: str, horizon: float | None = None) -> Figure:
    name = e.set_name(split)
    if e.endpoint.survival:
        data = _rows(e.calibration, split=split, horizon=horizon)
        return charts.calibration_chart(data, f"Calibration at {horizon:g} months, {name}", True), e.named(data)
    data = _rows(e.calibration, split=split)
    hl = _rows(e.hosmer_lemeshow, split=split)
    hl_lines = [f"{r.model}: Hosmer-Lemeshow {p_text(r.p)}{' (unreliable, see notes)' if r.warning else ''}"
                for r in hl.itertuples()]
    return charts.calibration_chart(data, [f"Calibration, {name}", *hl_lines], False), e.named(data)


def decision(e: Evaluation, split: str, horizon: float | None = None,
             thresholds: tuple[float, float] | None = None) -> Figure:
    """Decision curves of every model at ``horizon`` (Cox) against treat-all and treat-none, over the
    threshold probabilities within ``thresholds`` (first, last; both included), by default every
    threshold of the settings' ``dca_thresholds``."""
    name = e.set_name(split)
    data = _rows(e.decision, split=split, horizon=horizon) if e.endpoint.survival else _rows(e.decision, split=split)
    if thresholds is not None:
        first, last = thresholds
        if not 0 <= first < last <= 1:
            raise ValueError(f"Threshold range must be 0 <= first < last <= 1, got {thresholds}")
        data = data[data["threshold"].between(first - 1e-9, last + 1e-9)]
        if data.empty:
            raise ValueError(f"No decision-curve threshold lies in [{first:g}, {last:g}]: the evaluation computed "
                             f"{e.settings.evaluation.dca_thresholds} (first, last, step)")
    title = f"Decision curve at {horizon:g} months, {name}" if e.endpoint.survival else f"Decision curve, {name}"
    return charts.decision_chart(data, title), e.named(data)


def _labelled(e: Evaluation, names: pd.Series) -> pd.Series:
    """Terms or axes with the cohort's display labels and units (:func:`hccdash.display.term_label`)."""
    return names.map(lambda name: term_label(str(name), e.labels, e.units))


def nomogram(e: Evaluation) -> Figure:
    """The combined model's nomogram, each axis named by its variable's label and unit."""
    ticks = e.nomogram.assign(axis=_labelled(e, e.nomogram["axis"]))
    return charts.nomogram_chart(ticks, f"Nomogram of the combined model ({e.endpoint.label})"), e.nomogram


def forest(e: Evaluation) -> Figure:
    """Hazard (odds) ratios of the clinical and combined models' terms, each named by its label and unit;
    the data keeps the term and adds the label."""
    data = e.forest.assign(label=_labelled(e, e.forest["term"]))
    return charts.forest_chart(data.assign(term=data["label"]), "Clinical and combined models (Wald 95% CI)"), data


def schoenfeld(e: Evaluation, model: str, term: str) -> Figure:
    """Scaled Schoenfeld residuals of one term of a Cox model (training set) with its cox.zph p."""
    check = e.proportional_hazards
    data = _rows(check.residuals, model=model, term=term)
    p = float(_rows(check.tests, model=model, term=term)["p"].iloc[0])
    return schoenfeld_chart(data, f"{model} model: {term}", p), data


def _scale(e: Evaluation) -> str:
    return "log hazard ratio" if e.endpoint.survival else "log odds"


def beeswarm(e: Evaluation, kind: str, splits: tuple[str, ...] | None = None) -> Figure:
    """SHAP-style summary of one explanation (``kind``: combined, radiomics, deep) over the patients
    of ``splits`` (None: every set)."""
    explanation = e.explanations[kind]
    data = e.named(explanation.long(list(splits) if splits is not None else None).rename(columns={"set": "split"}))
    sets = "every set" if splits is None else ", ".join(e.set_name(s) for s in splits)
    title = [f"Contributions to the {explanation.title} ({sets})", "b x (x - training mean) per term and patient"]
    return beeswarm_chart(data, title, _scale(e)), data


def waterfall(e: Evaluation, kind: str, patient) -> Figure:
    """One patient's contributions to an explanation's linear predictor, from the training mean."""
    explanation = e.explanations[kind]
    table = explanation.patient(patient)
    title = f"Patient {patient}: {explanation.title}"
    return waterfall_chart(table, explanation.base, title, _scale(e)), table


def all_figures(e: Evaluation) -> Iterator[tuple[str, Figure]]:
    """Every figure of the report, with a file-friendly name."""
    yield "discrimination", discrimination(e)
    for split in e.splits:
        if "combined" in e.risk_groups:
            yield f"km_combined_{split}", km(e, "combined", split)
        for horizon in (e.horizons if e.endpoint.survival else (None,)):
            suffix = f"_{horizon:g}m" if horizon is not None else ""
            yield f"roc_{split}{suffix}", roc(e, split, horizon)
            yield f"calibration_{split}{suffix}", calibration(e, split, horizon)
            yield f"decision_{split}{suffix}", decision(e, split, horizon)
    yield "nomogram", nomogram(e)
    yield "forest", forest(e)
    for kind in e.explanations:
        yield f"contributions_{kind}", beeswarm(e, kind)
