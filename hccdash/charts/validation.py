"""Charts of the validation page (data in, Altair chart out): the case mix, the linear
predictor's distribution in the development and the validation patients."""

from __future__ import annotations

import altair as alt
import pandas as pd

from hccdash.charts.evaluation import HEIGHT, WIDTH

COHORT_ORDER = ["development", "validation"]


def lp_distribution_chart(values: pd.DataFrame, title: str = "Linear predictor: development vs validation") -> alt.Chart:
    """Overlaid histograms (share of each cohort's patients per bin) of the linear predictor.
    ``values``: cohort (development / validation), lp."""
    return alt.Chart(values).transform_joinaggregate(total="count()", groupby=["cohort"]).transform_calculate(
        share="1 / datum.total").mark_bar(opacity=0.5, binSpacing=0).encode(
        x=alt.X("lp:Q", bin=alt.Bin(maxbins=30), title="Linear predictor"),
        y=alt.Y("sum(share):Q", stack=None, title="Share of the cohort's patients", axis=alt.Axis(format="%")),
        color=alt.Color("cohort:N", sort=COHORT_ORDER, title="Patients"),
        tooltip=["cohort:N", alt.Tooltip("sum(share):Q", format=".1%")],
    ).properties(width=WIDTH, height=HEIGHT, title=title)
