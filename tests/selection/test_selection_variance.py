"""Zero / near-zero variance filter against caret::nearZeroVar (R fixture) and constructed columns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.selection import VarianceFilter, near_zero_var

FIXTURE = Path(__file__).resolve().parents[1] / "reference" / "caret"


def _rossi_with_constructed_columns() -> pd.DataFrame:
    """The same columns caret_fixture.R adds to lifelines' rossi."""
    rossi = pd.read_csv(FIXTURE / "rossi.csv").astype(float)
    n = len(rossi)
    rossi["constant"] = 1.0
    rossi["rare"] = np.r_[np.zeros(n - 3), [1, 2, 3]]
    rossi["rare_ratio_only"] = np.r_[np.zeros(n - 20), np.arange(1, 21)]
    rossi["many_unique"] = np.r_[np.zeros(n - 60), np.arange(1, 61)]
    return rossi


def test_metrics_match_caret():
    """R: ``nearZeroVar(rossi, saveMetrics = TRUE)`` (caret 6.0.93, caret_fixture.R); metrics to 1e-12."""
    expected = pd.read_csv(FIXTURE / "nearzerovar.csv").set_index("feature")
    got = near_zero_var(_rossi_with_constructed_columns())
    np.testing.assert_allclose(got["freqRatio"], expected["freqRatio"], rtol=1e-12)
    np.testing.assert_allclose(got["percentUnique"], expected["percentUnique"], rtol=1e-12)
    assert got["zeroVar"].tolist() == expected["zeroVar"].tolist()
    assert got["nzv"].tolist() == expected["nzv"].tolist()


def test_filter_drops_caret_flagged_columns():
    """constant (zero variance), rare and rare_ratio_only (freqRatio > 19 and <= 10% unique) go;
    many_unique (14% unique) stays despite its ratio."""
    X = _rossi_with_constructed_columns()
    fitted = VarianceFilter().fit(X)
    assert fitted.dropped_ == {"constant": "zero variance", "rare": "near-zero variance",
                               "rare_ratio_only": "near-zero variance"}
    assert "many_unique" in fitted.selected_features_


@pytest.mark.parametrize("n_ones, dropped", [(5, False), (4, True)])
def test_ratio_boundary(n_ones, dropped):
    """100 rows of 0/1 (2% unique): 95 zeros / 5 ones gives freqRatio 19, not > 95/5: kept;
    96 / 4 gives 24: dropped."""
    X = pd.DataFrame({"x": np.r_[np.zeros(100 - n_ones), np.ones(n_ones)], "y": np.arange(100.0)})
    fitted = VarianceFilter().fit(X)
    assert ("x" in fitted.dropped_) is dropped


def test_unique_cut_parameter():
    """Raising uniqueCut to 20% drops a column with 15% unique values and a high ratio."""
    x = np.r_[np.zeros(85), np.arange(1, 16)]
    X = pd.DataFrame({"x": x, "y": np.arange(100.0)})
    assert "x" in VarianceFilter().fit(X).selected_features_
    assert "x" in VarianceFilter(unique_cut=20).fit(X).dropped_
