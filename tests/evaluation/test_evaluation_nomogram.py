"""Nomogram total-points axis: it spans what the predictor axes can add up to (rms's
``pretty(c(0, sc * max(lp.at - Intercept)))`` stops short when no training patient is
extreme on every predictor), and the outcome axes follow the extended range."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from hccdash import stats
from hccdash.evaluation.nomogram import OUTCOME_TICKS, covering_axes


def test_evaluation_nomogram_total_axis_holds_the_most_extreme_patient(rfs_evaluation):
    ticks = rfs_evaluation.nomogram
    reachable = ticks[ticks["kind"] == "predictor"].groupby("axis")["x"].max().sum()  # predictor x = points
    total = ticks[ticks["kind"] == "total"]
    assert total["value"].max() >= reachable > 100  # e.g. 208 points fit on a 0-220 axis (rms: 0-140)
    assert total["x"].max() == pytest.approx(100) and reachable * 100 / total["value"].max() <= 100
    assert ticks["x"].between(0, 100 + 1e-9).all()  # nothing drawn outside the frame


def test_outcome_axes_map_the_extended_total_points():
    """Two predictors that never peak together: rms's axis ends near 100 points, the axes
    add up to 200; the probability ticks sit where expit(lp(points)) equals them, also
    beyond rms's end."""
    a = np.linspace(0, 10, 41)
    data = pd.DataFrame({"a": a, "b": 10 - a + np.sin(a)})
    rms = stats.nomogram_axes({"a": 1.0, "b": 1.0}, data, intercept=-10.0)
    covered = covering_axes(rms)
    reachable = sum(axis.points.max() for axis in rms.axes.values())
    assert rms.total_points.max() < reachable <= covered.total_points.max()
    assert covered.scale == rms.scale and covered.lp_at_zero == rms.lp_at_zero  # same points per predictor
    axis = stats.probability_axis(covered, OUTCOME_TICKS)
    np.testing.assert_allclose(expit(covered.lp_from_points(axis.points)), axis.values, atol=2e-3)
    assert axis.points.max() > rms.total_points.max()  # ticks in the extended part
    assert axis.points.min() >= 0 and axis.points.max() <= covered.total_points.max()
