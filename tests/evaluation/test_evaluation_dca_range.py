"""Decision curves over a chosen threshold range: the setting (evaluation.dca_thresholds) sets the
thresholds computed, the page's range the ones drawn; checked on the chart's data and axis."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from app_pages import open_page
from hccdash.charts.render import vega_spec
from hccdash.evaluation import figures


def _chart_data(spec: dict) -> pd.DataFrame:
    (rows,) = spec["datasets"].values()
    return pd.DataFrame(rows)


def test_the_chosen_range_is_what_the_chart_draws(rfs_evaluation):
    e = rfs_evaluation
    horizon = e.horizons[0]
    assert e.settings.evaluation.dca_thresholds == (0.05, 0.95, 0.05)  # the setting: the thresholds computed
    full_chart, full = figures.decision(e, "validation", horizon)
    chart, data = figures.decision(e, "validation", horizon, (0.1, 0.4))
    expected = np.round(np.arange(0.1, 0.41, 0.05), 10)
    np.testing.assert_allclose(np.sort(data["threshold"].unique()), expected)
    # the same net benefits as the full curves at those thresholds (a subset, nothing recomputed)
    inside = full[full["threshold"].round(10).isin(expected)].reset_index(drop=True)
    pd.testing.assert_frame_equal(data.reset_index(drop=True), inside)
    spec = vega_spec(chart)
    drawn = _chart_data(spec)
    np.testing.assert_allclose(np.sort(drawn["threshold"].unique()), expected)
    assert set(drawn["strategy"]) == {*data["model"], "treat all", "treat none"}
    assert spec["encoding"]["x"]["scale"]["domain"] == pytest.approx([0.1, 0.4])
    assert vega_spec(full_chart)["encoding"]["x"]["scale"]["domain"] == pytest.approx([0.05, 0.95])


def test_a_range_without_computed_thresholds_is_refused(rfs_evaluation):
    with pytest.raises(ValueError, match=r"No decision-curve threshold lies in \[0.96, 0.99\]"):
        figures.decision(rfs_evaluation, "validation", rfs_evaluation.horizons[0], (0.96, 0.99))
    with pytest.raises(ValueError, match="Threshold range must be"):
        figures.decision(rfs_evaluation, "validation", rfs_evaluation.horizons[0], (0.5, 0.2))


@pytest.mark.slow
def test_the_page_slider_sets_the_drawn_range(stored_cohort):
    at = open_page("pages/4_evaluation.py", stored_cohort, timeout=300)
    slider = next(s for s in at.slider if s.key.startswith("ev_dca_range_"))
    first, last = slider.value
    slider.set_value((0.2, 0.5)).run()
    assert not at.exception, at.exception
    decision = [c for c in at.get("vega_lite_chart") if '"Threshold probability"' in c.proto.spec]
    assert decision
    for chart in decision:
        spec = json.loads(chart.proto.spec)
        assert spec["encoding"]["x"]["scale"]["domain"] == pytest.approx([0.2, 0.5])
        (dataset,) = chart.proto.datasets  # Streamlit sends the rows beside the spec, as Arrow
        thresholds = pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()["threshold"]
        assert thresholds.min() == pytest.approx(0.2) and thresholds.max() == pytest.approx(0.5)
    assert (first, last) != (0.2, 0.5)
