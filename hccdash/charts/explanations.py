"""SHAP-style charts (data in, Altair chart out): the beeswarm summary of every term across patients
and one patient's waterfall, both on the linear-predictor scale (tables from
:class:`hccdash.evaluation.explanations.Explanation`).

Beeswarm: one row per term (largest mean absolute contribution on top), one dot per patient at its
contribution, coloured by the term's value (its rank within the term: blue low, red high, as SHAP's
summary plot), dots stacked vertically where they crowd (a deterministic swarm, no random jitter).
Waterfall: from the base value (mean training linear predictor), one bar per term (red raises the
risk, blue lowers it), largest first, ending at the patient's linear predictor.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

_RAISES, _LOWERS = "#c0392b", "#2471a3"
_BINS = 60  # contribution bins per term in which crowded dots are stacked


def swarm_offsets(long: pd.DataFrame) -> np.ndarray:
    """A vertical offset in [-0.45, 0.45] per row: within each term, dots falling in the same
    contribution bin are placed 0, +1, -1, +2, ... steps from the middle (steps shrink with the crowd)."""
    offsets = np.zeros(len(long))
    for _, rows in long.groupby("term", sort=False).groups.items():
        values = long.loc[rows, "contribution"].to_numpy(float)
        span = np.ptp(values) or 1.0
        bins = np.floor((values - values.min()) / span * (_BINS - 1)).astype(int)
        position = pd.Series(bins).groupby(bins).cumcount().to_numpy()
        count = pd.Series(bins).map(pd.Series(bins).value_counts()).to_numpy()
        sign = np.where(position % 2 == 0, 1.0, -1.0)
        step = 0.9 / np.maximum(count, 1)
        offsets[long.index.get_indexer(rows)] = sign * np.ceil(position / 2) * step
    return np.clip(offsets, -0.45, 0.45)


def beeswarm_chart(long: pd.DataFrame, title: str, scale: str = "log hazard ratio") -> alt.LayerChart:
    """Contribution of each term for every patient (``long``: patient, term, contribution, value,
    scaled), terms ordered by mean absolute contribution, a rule at 0."""
    data = long.assign(offset=swarm_offsets(long.reset_index(drop=True)))
    order = list(data.groupby("term", sort=False)["contribution"].apply(lambda v: v.abs().mean())
                 .sort_values(ascending=False).index)
    y = alt.Y("term:N", sort=order, title=None, axis=alt.Axis(labelLimit=320, labelOverlap=False))
    dots = alt.Chart(data).mark_circle(size=28, opacity=0.85).encode(
        x=alt.X("contribution:Q", title=f"Contribution to the linear predictor ({scale})"),
        y=y,
        yOffset=alt.YOffset("offset:Q", scale=alt.Scale(domain=[-0.5, 0.5])),
        color=alt.Color("scaled:Q", title="Value (rank)", scale=alt.Scale(domain=[0, 1], range=[_LOWERS, _RAISES]),
                        legend=alt.Legend(values=[0, 1], labelExpr="datum.value == 0 ? 'low' : 'high'")),
        tooltip=[alt.Tooltip("patient:N"), alt.Tooltip("term:N"), alt.Tooltip("value:Q", format=".4g"),
                 alt.Tooltip("contribution:Q", format=".4f")],
    )
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="gray", strokeDash=[4, 4]).encode(x="x:Q")
    return (zero + dots).properties(title=title, width=520, height=alt.Step(44))


def waterfall_chart(table: pd.DataFrame, base: float, title: str | list[str],
                    scale: str = "log hazard ratio") -> alt.LayerChart:
    """One patient's waterfall (``table``: term, value, contribution, start, end from
    :meth:`Explanation.patient`): bars from the base value to the linear predictor."""
    lp = float(table["end"].iloc[-1]) if len(table) else base
    rows = pd.concat([
        pd.DataFrame({"label": [f"base (training mean) {base:.3f}"], "start": [base], "end": [base],
                      "contribution": [0.0], "kind": ["base"]}),
        table.assign(label=[f"{t} = {v:.4g}" for t, v in zip(table["term"], table["value"])],
                     kind=np.where(table["contribution"] >= 0, "raises", "lowers"))[
            ["label", "start", "end", "contribution", "kind"]],
        pd.DataFrame({"label": [f"linear predictor {lp:.3f}"], "start": [base], "end": [lp],
                      "contribution": [lp - base], "kind": ["total"]}),
    ], ignore_index=True).assign(order=lambda d: range(len(d)))
    y = alt.Y("label:N", sort=alt.EncodingSortField("order"), title=None, axis=alt.Axis(labelLimit=320))
    colour = alt.Color("kind:N", title=None, scale=alt.Scale(domain=["raises", "lowers", "base", "total"],
                                                             range=[_RAISES, _LOWERS, "#7f8c8d", "#34495e"]))
    bars = alt.Chart(rows).mark_bar(height=16).encode(
        x=alt.X("start:Q", title=f"Linear predictor ({scale})", scale=alt.Scale(zero=False)), x2="end:Q", y=y,
        color=colour, tooltip=[alt.Tooltip("label:N"), alt.Tooltip("contribution:Q", format="+.4f")])
    ticks = alt.Chart(rows[rows["kind"] == "base"]).mark_tick(color="#7f8c8d", thickness=3, size=18).encode(
        x="start:Q", y=y)
    return (bars + ticks).properties(title=title, width=520, height=alt.Step(26))
