"""The before / after ComBat chart: the values it draws per centre and stage."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from hccdash.charts.harmonisation import harmonisation_chart, harmonisation_frame
from hccdash.stats import combat

DATA = pd.read_csv(Path(__file__).resolve().parents[1] / "reference" / "combat" / "simulated.csv", index_col="id")
X, CENTRE = DATA.drop(columns="batch"), DATA["batch"]


def test_chart_draws_each_centres_values_before_and_after():
    after = combat(X, CENTRE)
    spec = harmonisation_chart(X, after, CENTRE, "f07").to_dict()
    rows = pd.DataFrame(next(iter(spec["datasets"].values())))
    assert spec["facet"]["column"]["field"] == "stage" and spec["facet"]["column"]["sort"] == ["before", "after"]
    assert spec["spec"]["mark"]["type"] == "boxplot" and spec["spec"]["encoding"]["x"]["field"] == "centre"
    for stage, frame in (("before", X), ("after", after)):
        drawn = rows[rows["stage"] == stage].set_index("patient")
        pd.testing.assert_series_equal(drawn["value"], frame["f07"].rename("value"), check_names=False,
                                       check_index_type=False)
        assert drawn["centre"].tolist() == CENTRE.tolist()
    per_centre = rows.groupby(["stage", "centre"])["value"].mean()
    assert per_centre["before"].round(10).to_dict() == X["f07"].groupby(CENTRE).mean().round(10).to_dict()
    assert per_centre["after"].round(10).to_dict() == after["f07"].groupby(CENTRE).mean().round(10).to_dict()


def test_frame_refuses_mismatched_tables():
    with pytest.raises(ValueError, match="'nope' is not in the before table"):
        harmonisation_frame(X, X, CENTRE, "nope")
    with pytest.raises(ValueError, match="different patients"):
        harmonisation_frame(X, X.iloc[1:], CENTRE, "f07")
    with pytest.raises(ValueError, match="no batch given for patient 'p001'"):
        harmonisation_frame(X, X, CENTRE.iloc[1:], "f07")
