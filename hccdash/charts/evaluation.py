"""Charts of the evaluation page and report (data in, Altair chart out): Kaplan-Meier curves
by risk group with a number-at-risk table, time-dependent ROC and ROC curves, calibration
with CI bars and the diagonal, decision curves, the rms-style nomogram, forest plots and
C-index bars. Each takes the long tables of :mod:`hccdash.evaluation` for ONE split
(pages put splits side by side)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from hccdash.display import p_text

RISK_ORDER = ["low", "high"]  # legend and at-risk rows
RISK_COLOURS = alt.Scale(domain=RISK_ORDER, range=["#2471a3", "#c0392b"])
MODEL_ORDER = ["clinical", "radiomics", "deep", "combined"]
WIDTH, HEIGHT = 360, 280


def _model_sort(data: pd.DataFrame, field: str) -> list[str]:
    """Values of ``field`` in the clinical, radiomics, combined order of their ``model``, so every
    chart gives each model the same colour."""
    rank = {m: i for i, m in enumerate(MODEL_ORDER)}
    firsts = data.drop_duplicates(field)
    return [str(v) for v in firsts.sort_values("model", key=lambda m: m.map(rank))[field]]


def _diagonal() -> alt.Chart:
    line = pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0]})
    return alt.Chart(line).mark_line(color="gray", strokeDash=[4, 4]).encode(x="x:Q", y="y:Q")


CENSOR_TICK = "M0,-1V1"  # a vertical tick (SVG path on the unit square) marking a censored patient


def km_chart(curves: pd.DataFrame, at_risk: pd.DataFrame, title: str | list[str],
             p_value: float | None = None) -> alt.VConcatChart:
    """KM step curves of the low / high groups with their log CI band, a vertical tick on the curve
    at each censoring time (when ``curves`` has ``n_censor``; as R's ``plot(survfit, mark.time =
    TRUE)``), and the number at risk per group at the table times beneath. ``curves``: group, time,
    surv, lower, upper (and n_censor);
    ``at_risk``: group, time, n; ``title``: one line or a list of lines. The x-axis ticks are
    the at-risk times, so each count sits under its tick; the legend and the at-risk rows list
    low then high. The legend sits on top so two charts fit side by side in a 1400 px window."""
    end = float(curves["time"].max())
    ticks = [float(t) for t in sorted(at_risk["time"].unique()) if t <= end]
    scale = alt.Scale(domain=[0, end])
    x = alt.X("time:Q", title="Months since treatment", scale=scale, axis=alt.Axis(values=ticks))
    colour = alt.Color("group:N", scale=RISK_COLOURS, title="Risk group",
                       legend=alt.Legend(orient="top", symbolOpacity=1))  # not the pale CI band colour
    band = alt.Chart(curves).mark_area(opacity=0.15, interpolate="step-after").encode(
        x=x, y=alt.Y("lower:Q"), y2="upper:Q", color=colour)
    line = alt.Chart(curves).mark_line(interpolate="step-after").encode(
        x=x, y=alt.Y("surv:Q", title="Recurrence-free probability", scale=alt.Scale(domain=[0, 1])), color=colour,
        tooltip=["group:N", "time:Q", alt.Tooltip("surv:Q", format=".3f")])
    layers = [band, line]
    if "n_censor" in curves:
        censored = curves[curves["n_censor"] > 0]
        layers.append(alt.Chart(censored).mark_point(shape=CENSOR_TICK, size=50, strokeWidth=1.2, filled=False).encode(
            x=x, y="surv:Q", color=colour,
            tooltip=["group:N", "time:Q", alt.Tooltip("n_censor:Q", title="censored"), alt.Tooltip("surv:Q", format=".3f")]))
    subtitle = [] if p_value is None else [f"log-rank {p_text(p_value)}"]
    top = alt.layer(*layers).properties(width=WIDTH, height=HEIGHT, title=alt.TitleParams(title, subtitle=subtitle))
    table = alt.Chart(at_risk[at_risk["time"] <= end]).mark_text(fontSize=10).encode(
        x=alt.X("time:Q", title="Number at risk", scale=scale, axis=alt.Axis(values=ticks)),
        y=alt.Y("group:N", sort=RISK_ORDER, title=None), text="n:Q", color=colour,
    ).properties(width=WIDTH, height=40)
    return alt.vconcat(top, table, spacing=4).resolve_scale(color="shared")


def roc_chart(curves: pd.DataFrame, title: str) -> alt.LayerChart:
    """ROC curves (fpr, tpr) per model joined in row order (each curve's rows run from the
    highest threshold to the lowest), the legend carrying each AUC (``label``)."""
    ordered = curves.assign(point=curves.groupby("label").cumcount())  # curve order (thresholds descending)
    line = alt.Chart(ordered).mark_line().encode(
        x=alt.X("fpr:Q", title="1 - specificity", scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("tpr:Q", title="Sensitivity", scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("label:N", sort=_model_sort(curves, "label"), title="Model"), order="point:Q")
    return (_diagonal() + line).properties(width=WIDTH, height=WIDTH, title=title)


def calibration_chart(table: pd.DataFrame, title: str | list[str], survival: bool) -> alt.LayerChart:
    """Mean predicted vs observed per group with CI bars, per model, and the diagonal.
    Survival: predicted S(t) vs Kaplan-Meier S(t); binary: probability vs proportion."""
    what = "survival probability" if survival else "probability"
    x = alt.X("mean_predicted:Q", title=f"Predicted {what}", scale=alt.Scale(domain=[0, 1]))
    colour = alt.Color("model:N", sort=MODEL_ORDER, title="Model")
    bars = alt.Chart(table).mark_rule().encode(x=x, y="lower:Q", y2="upper:Q", color=colour)
    points = alt.Chart(table).mark_line(point=True).encode(
        x=x, y=alt.Y("observed:Q", title=f"Observed {what} ({'Kaplan-Meier' if survival else 'proportion'})",
                     scale=alt.Scale(domain=[0, 1])), color=colour,
        tooltip=["model:N", "group:Q", "n:Q", alt.Tooltip("mean_predicted:Q", format=".3f"),
                 alt.Tooltip("observed:Q", format=".3f"), alt.Tooltip("lower:Q", format=".3f"),
                 alt.Tooltip("upper:Q", format=".3f")])
    return (_diagonal() + bars + points).properties(width=WIDTH, height=WIDTH, title=title)


def decision_chart(curves: pd.DataFrame, title: str) -> alt.LayerChart:
    """Net benefit of each model, treat-all and treat-none against the threshold, the x axis spanning
    exactly the thresholds given (a chosen range); the y axis is cut below at -0.05 so that
    treat-all's fall does not flatten the curves."""
    strategies = pd.concat([
        curves[["threshold", "model", "net_benefit"]].rename(columns={"model": "strategy"}),
        curves.drop_duplicates("threshold")[["threshold", "treat_all"]].rename(columns={"treat_all": "net_benefit"})
        .assign(strategy="treat all"),
        curves.drop_duplicates("threshold")[["threshold"]].assign(net_benefit=0.0, strategy="treat none"),
    ], ignore_index=True)
    top = max(float(strategies["net_benefit"].max()), 0.05)
    strategies["shown"] = strategies["net_benefit"].clip(lower=-0.05)
    return alt.Chart(strategies).mark_line().encode(
        x=alt.X("threshold:Q", title="Threshold probability",
                scale=alt.Scale(domain=[float(strategies["threshold"].min()), float(strategies["threshold"].max())],
                                nice=False)),
        y=alt.Y("shown:Q", title="Net benefit", scale=alt.Scale(domain=[-0.05, top * 1.05])),
        color=alt.Color("strategy:N", sort=MODEL_ORDER + ["treat all", "treat none"], title="Strategy"),
        strokeDash=alt.condition(alt.FieldOneOfPredicate("strategy", ["treat all", "treat none"]),
                                 alt.value([4, 3]), alt.value([1, 0])),
        tooltip=["strategy:N", "threshold:Q", alt.Tooltip("net_benefit:Q", format=".4f")],
    ).properties(width=WIDTH, height=HEIGHT, title=title)


def nomogram_chart(ticks: pd.DataFrame, title: str = "Nomogram") -> alt.LayerChart:
    """rms-style nomogram: one horizontal axis per row (Points on top, predictors, Total
    points, outcome axes), each tick labelled. ``ticks``: axis, order, label, x (0-100)."""
    order = list(ticks.sort_values("order")["axis"].drop_duplicates())
    y = alt.Y("axis:N", sort=order, title=None, axis=alt.Axis(labelLimit=260, domain=False, ticks=False))
    x = alt.X("x:Q", title=None, axis=None, scale=alt.Scale(domain=[-3, 103]))
    spans = ticks.groupby("axis", as_index=False).agg(x=("x", "min"), x2=("x", "max"))
    lines = alt.Chart(spans).mark_rule(color="#444").encode(x=x, x2="x2:Q", y=y)
    tick = alt.Chart(ticks).mark_tick(color="#444", thickness=1, size=10).encode(x=x, y=y)
    alternate = ticks.assign(second=ticks.groupby("axis").cumcount() % 2 == 1)
    above = alt.Chart(alternate[~alternate["second"]]).mark_text(dy=-11, fontSize=9, color="#222").encode(
        x=x, y=y, text="label:N")
    below = alt.Chart(alternate[alternate["second"]]).mark_text(dy=13, fontSize=9, color="#222").encode(
        x=x, y=y, text="label:N")
    return (lines + tick + above + below).properties(title=title, width=620, height=max(220, 46 * len(order)))


def forest_chart(table: pd.DataFrame, title: str) -> alt.LayerChart:
    """Ratios (log scale) with CI bars per term and a rule at 1; rows with an infinite or
    zero bound (e.g. a subgroup without events in one risk group) are left out of the
    drawing (they stay in the table). ``table``: term, ratio, lower, upper, p, measure (and
    optionally model, used as colour)."""
    values = table[["ratio", "lower", "upper"]].astype(float)
    data = table[(values > 0).all(axis=1) & np.isfinite(values).all(axis=1)].copy()  # log scale: finite, > 0
    data["row"] = data.get("model", "") + ": " + data["term"] if "model" in data else data["term"]
    measure = str(data["measure"].iloc[0]) if len(data) else "HR"
    x = alt.X("ratio:Q", title=f"{measure} (95% CI, log scale)", scale=alt.Scale(type="log"))
    y = alt.Y("row:N", sort=None, title=None, axis=alt.Axis(labelLimit=300, labelOverlap=False))
    bars = alt.Chart(data).mark_rule().encode(x="lower:Q", x2="upper:Q", y=y)
    points = alt.Chart(data).mark_point(filled=True, shape="square", size=70).encode(
        x=x, y=y, color=alt.Color("model:N", sort=MODEL_ORDER, title="Model") if "model" in data else alt.value("#333"),
        tooltip=["row:N", alt.Tooltip("ratio:Q", format=".3f"), alt.Tooltip("lower:Q", format=".3f"),
                 alt.Tooltip("upper:Q", format=".3f"), alt.Tooltip("p:Q", format=".3g")])
    one = alt.Chart(pd.DataFrame({"ratio": [1.0]})).mark_rule(color="gray", strokeDash=[4, 4]).encode(x="ratio:Q")
    # a step height: Streamlit squashes fixed heights of layered charts (rows then overlap)
    return (one + bars + points).properties(width=WIDTH + 60, height=alt.Step(26), title=title)


def discrimination_chart(table: pd.DataFrame, metric: str, column: str = "c_index") -> alt.LayerChart:
    """Bars of the C-index (or AUC) per model, every set side by side (in the table's order), with
    CI whiskers and a rule at 0.5. ``table``: model, split, ``column`` (c_index or auc), lower, upper."""
    x = alt.X("model:N", sort=MODEL_ORDER, title=None, axis=alt.Axis(labelAngle=0))
    sets = [str(s) for s in pd.unique(table["split"])]
    offset = alt.XOffset("split:N", sort=sets)
    colour = alt.Color("split:N", sort=sets, title="Set")
    bars = alt.Chart(table).mark_bar(opacity=0.8, clip=True).encode(
        x=x, xOffset=offset, y=alt.Y(f"{column}:Q", title=metric, scale=alt.Scale(domain=[0.4, 1])), color=colour,
        tooltip=["model:N", "split:N", alt.Tooltip(f"{column}:Q", format=".3f"), alt.Tooltip("lower:Q", format=".3f"),
                 alt.Tooltip("upper:Q", format=".3f")])
    whiskers = alt.Chart(table).mark_rule(color="black").encode(x=x, xOffset=offset, y="lower:Q", y2="upper:Q")
    half = alt.Chart(pd.DataFrame({"y": [0.5]})).mark_rule(color="gray", strokeDash=[4, 4]).encode(y="y:Q")
    return (bars + whiskers + half).properties(width=WIDTH, height=HEIGHT, title=f"{metric} with 95% CI")


def bootstrap_calibration_chart(curves: pd.DataFrame, title: str | list[str], survival: bool) -> alt.LayerChart:
    """Apparent and bias-corrected calibration (rms::calibrate) against the diagonal.
    ``curves``: predicted, observed, curve ("apparent" / "bias-corrected"), n."""
    what = "survival probability" if survival else "probability"
    observed = "Kaplan-Meier" if survival else "lowess"
    data = curves.dropna(subset=["observed"])
    x = alt.X("predicted:Q", title=f"Predicted {what}", scale=alt.Scale(domain=[0, 1]))
    y = alt.Y("observed:Q", title=f"Observed {what} ({observed})", scale=alt.Scale(domain=[0, 1]))
    lines = alt.Chart(data).mark_line(point=survival).encode(
        x=x, y=y, color=alt.Color("curve:N", sort=["apparent", "bias-corrected"], title="Curve"),
        strokeDash=alt.condition(alt.datum.curve == "apparent", alt.value([1, 0]), alt.value([5, 3])),
        tooltip=["curve:N", alt.Tooltip("predicted:Q", format=".3f"), alt.Tooltip("observed:Q", format=".3f"),
                 alt.Tooltip("n:Q", title="resamples")])
    return (_diagonal() + lines).properties(width=WIDTH, height=WIDTH, title=title)
