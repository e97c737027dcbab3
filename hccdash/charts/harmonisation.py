"""Chart of centre harmonisation (data in, Altair chart out): one feature's boxplots by centre
before and after ComBat (:func:`hccdash.stats.combat`, :class:`hccdash.selection.ComBatHarmonizer`),
side by side on one value axis (ComBat keeps the feature's units)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from hccdash.stats.combat import check_batch

STAGES = ["before", "after"]


def harmonisation_frame(before: pd.DataFrame, after: pd.DataFrame, centre, feature: str) -> pd.DataFrame:
    """Long table of ``feature``: patient, centre (as text), stage ("before" / "after"), value;
    ``before`` and ``after`` have the same patients (index), ``centre`` one label per patient."""
    for name, frame in (("before", before), ("after", after)):
        if feature not in frame.columns:
            raise ValueError(f"Harmonisation chart: feature {feature!r} is not in the {name} table")
    if not before.index.equals(after.index):
        raise ValueError("Harmonisation chart: the before and after tables list different patients")
    labels = check_batch(centre, before.index, "Harmonisation chart")
    parts = [pd.DataFrame({"patient": before.index.astype(str), "centre": labels.astype(str), "stage": stage,
                           "value": frame[feature].to_numpy(dtype=float)})
             for stage, frame in zip(STAGES, (before, after))]
    return pd.concat(parts, ignore_index=True)


def harmonisation_chart(before: pd.DataFrame, after: pd.DataFrame, centre, feature: str) -> alt.FacetChart:
    """Boxplots of ``feature`` per centre, before (left) and after (right) harmonisation, on a
    shared value axis; see :func:`harmonisation_frame` for the inputs."""
    data = harmonisation_frame(before, after, centre, feature)
    centres = sorted(data["centre"].unique())
    box = alt.Chart(data).mark_boxplot(extent=1.5).encode(
        x=alt.X("centre:N", title="Centre", sort=centres, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", title=str(feature), scale=alt.Scale(zero=False)),
        color=alt.Color("centre:N", sort=centres, title="Centre", legend=None),
    ).properties(width=alt.Step(40), height=280)
    return box.facet(column=alt.Column("stage:N", sort=STAGES, title=None)).properties(
        title=alt.TitleParams(str(feature), subtitle="before and after ComBat"))
