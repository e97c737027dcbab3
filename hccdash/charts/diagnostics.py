"""Charts of model checks (data in, Altair chart out): scaled Schoenfeld residuals against
transformed time, as ``plot(cox.zph(fit))`` draws them."""

from __future__ import annotations

import altair as alt
import pandas as pd

from hccdash.display import p_text

WIDTH, HEIGHT = 360, 260


def schoenfeld_chart(residuals: pd.DataFrame, title: str, p_value: float | None = None) -> alt.LayerChart:
    """One term's scaled Schoenfeld residuals (``x``: transformed time 1 - KM(t-), ``residual``,
    ``time`` in months for the tooltip), a LOESS smooth of them (R draws a spline) and a dashed
    rule at the model's coefficient ``coef``: under proportional hazards the smooth stays flat
    around the rule; a trend means the term's effect changes over follow-up."""
    x = alt.X("x:Q", title="Transformed time, 1 - KM(t)", scale=alt.Scale(domain=[0, 1]))
    y = alt.Y("residual:Q", title="Scaled Schoenfeld residual (beta(t))")
    points = alt.Chart(residuals).mark_circle(size=22, opacity=0.5, color="#555").encode(
        x=x, y=y, tooltip=[alt.Tooltip("time:Q", title="months", format=".1f"),
                           alt.Tooltip("residual:Q", format=".3f")])
    smooth = alt.Chart(residuals).transform_loess("x", "residual", bandwidth=0.5).mark_line(
        color="#c0392b", strokeWidth=2).encode(x=x, y=y)
    coef = alt.Chart(residuals.head(1)).mark_rule(color="#2471a3", strokeDash=[4, 4]).encode(y="coef:Q")
    subtitle = [] if p_value is None else [f"cox.zph {p_text(p_value)}; dashed: a constant effect (proportional hazards)"]
    return (points + smooth + coef).properties(width=WIDTH, height=HEIGHT,
                                               title=alt.TitleParams(title, subtitle=subtitle))
