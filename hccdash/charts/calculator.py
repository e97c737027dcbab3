"""Charts of the patient calculator (data in, Altair chart out): the patient's survival
curve against the risk groups' Kaplan-Meier curves and the nomogram with the patient marked (the
patient's contributions are a waterfall of :mod:`hccdash.charts.explanations`). ``hccdash.charts.render`` renders them as PNG / SVG."""

from __future__ import annotations

import altair as alt
import pandas as pd

from hccdash.charts import evaluation

PATIENT = "This patient"
PATIENT_COLOUR, OUTSIDE_COLOUR = "#c0392b", "#e67e22"


def survival_chart(curve: pd.DataFrame, km: pd.DataFrame, horizons: list[float], title: str = "Recurrence-free survival") -> alt.Chart:
    """Patient S(t) with its 95% CI band (step), the training risk groups' KM curves
    (dashed steps) and rules at the horizons. ``curve``: time, surv, lower, upper;
    ``km``: group, time, surv (months)."""
    x = alt.X("time:Q", title="Months since treatment")
    y = alt.Y("surv:Q", title="Recurrence-free probability", scale=alt.Scale(domain=[0, 1]))
    patient = curve.assign(group=PATIENT)
    band = alt.Chart(patient).mark_area(opacity=0.2, interpolate="step-after").encode(
        x=x, y="lower:Q", y2="upper:Q", color=alt.Color("group:N", title=None))
    line = alt.Chart(patient).mark_line(interpolate="step-after", strokeWidth=2.5).encode(
        x=x, y=y, color="group:N", tooltip=["time:Q", alt.Tooltip("surv:Q", format=".3f"),
                                            alt.Tooltip("lower:Q", format=".3f"), alt.Tooltip("upper:Q", format=".3f")])
    groups = alt.Chart(km.assign(group="KM " + km["group"].astype(str) + " risk (training)")).mark_line(
        interpolate="step-after", strokeDash=[5, 3]).encode(x=x, y=y, color="group:N")
    rules = alt.Chart(pd.DataFrame({"time": horizons})).mark_rule(color="gray", opacity=0.5).encode(x="time:Q")
    return (band + groups + line + rules).properties(title=title, width=520, height=320)


def nomogram_chart(ticks: pd.DataFrame, marks: pd.DataFrame) -> alt.LayerChart:
    """The evaluation page's rms-style nomogram (``hccdash.charts.evaluation.nomogram_chart``)
    with the patient's points marked in red; a mark ``outside`` the training range (or beyond
    its axis, put at the axis end) is an orange diamond. Each mark's label sits right of the
    axes on its row, clear of the tick labels above and below the axis. ``ticks``: axis, order,
    label, x (0-100); ``marks``: axis, x, label, outside."""
    chart = evaluation.nomogram_chart(ticks, title="Nomogram (patient's points in red, outside the training "
                                                   "range in orange)")
    if marks.empty:
        return chart
    order = list(ticks.sort_values("order")["axis"].drop_duplicates())
    y = alt.Y("axis:N", sort=order, title=None)
    x = alt.X("x:Q", title=None, axis=None, scale=alt.Scale(domain=[-3, 103]))
    colour = alt.condition("datum.outside", alt.value(OUTSIDE_COLOUR), alt.value(PATIENT_COLOUR))
    point = alt.Chart(marks).mark_point(size=120, filled=True).encode(
        x=x, y=y, color=colour, tooltip=["axis:N", "label:N"],
        shape=alt.condition("datum.outside", alt.value("diamond"), alt.value("triangle-down")))
    label = alt.Chart(marks).mark_text(align="left", baseline="middle", dx=8, fontSize=10, fontWeight="bold").encode(
        x=alt.datum(103, scale=alt.Scale(domain=[-3, 103])), y=y, text="label:N", color=colour)
    return chart + point + label
