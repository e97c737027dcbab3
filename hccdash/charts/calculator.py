"""Charts of the patient calculator (data in, Altair chart out): the patient's survival
curve against the risk groups' Kaplan-Meier curves, term contributions, and the
nomogram with the patient marked. :func:`png` / :func:`svg` render any of them."""

from __future__ import annotations

import altair as alt
import pandas as pd
import vl_convert as vlc

PATIENT = "This patient"


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


def contribution_chart(contributions: pd.DataFrame) -> alt.Chart:
    """Horizontal bars of each term's b (x - training mean); positive raises the risk."""
    data = contributions.assign(direction=lambda d: d["contribution"].map(lambda v: "raises risk" if v > 0 else "lowers risk"))
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("contribution:Q", title="b × (x − training mean)"),
        y=alt.Y("term:N", sort=None, title=None),
        color=alt.Color("direction:N", scale=alt.Scale(domain=["raises risk", "lowers risk"], range=["#c0392b", "#2471a3"]),
                        title=None),
        tooltip=["term:N", alt.Tooltip("value:Q", format=".4g"), alt.Tooltip("mean:Q", format=".4g"),
                 alt.Tooltip("coef:Q", format=".4g"), alt.Tooltip("contribution:Q", format=".4f")],
    ).properties(title="Contribution of each term to the linear predictor", width=420)


def nomogram_chart(ticks: pd.DataFrame, marks: pd.DataFrame) -> alt.Chart:
    """rms-style nomogram: one row per axis (ticks labelled), the patient's values marked.
    ``ticks``: axis, order, label, x (0-100); ``marks``: axis, x, label."""
    order = list(ticks.sort_values("order")["axis"].drop_duplicates())
    y = alt.Y("axis:N", sort=order, title=None, axis=alt.Axis(labelLimit=220))
    x = alt.X("x:Q", title=None, axis=None, scale=alt.Scale(domain=[-2, 102]))
    spans = ticks.groupby("axis", as_index=False).agg(x=("x", "min"), x2=("x", "max"))
    lines = alt.Chart(spans).mark_rule(color="#555").encode(x=x, x2="x2:Q", y=y)
    tick = alt.Chart(ticks).mark_tick(color="#555", thickness=1, size=10).encode(x=x, y=y)
    text = alt.Chart(ticks).mark_text(dy=-10, fontSize=9, color="#333").encode(x=x, y=y, text="label:N")
    layers = lines + tick + text
    if not marks.empty:
        point = alt.Chart(marks).mark_point(shape="triangle-down", size=120, filled=True, color="#c0392b").encode(
            x=x, y=y, tooltip=["axis:N", "label:N"])
        label = alt.Chart(marks).mark_text(dy=14, fontSize=10, color="#c0392b", fontWeight="bold").encode(
            x=x, y=y, text="label:N")
        layers = layers + point + label
    return layers.properties(title="Nomogram (patient's points in red)", width=560, height=max(200, 42 * len(order)))


def png(chart: alt.Chart, scale: float = 2.0) -> bytes:
    """The chart as PNG bytes (vl-convert, no browser)."""
    return vlc.vegalite_to_png(chart.to_json(), scale=scale)


def svg(chart: alt.Chart) -> str:
    """The chart as SVG text."""
    return vlc.vegalite_to_svg(chart.to_json())
