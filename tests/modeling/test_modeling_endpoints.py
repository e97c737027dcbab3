"""Endpoints: RFS target and early recurrence with censored-before-horizon patients excluded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hccdash.modeling.endpoints import Endpoint, early_recurrence, make_outcome


@pytest.fixture
def patients() -> pd.DataFrame:
    return pd.DataFrame({
        "time": [3.0, 30.0, 10.0, 24.0, 24.0, 40.0, 23.9],
        "event": [1, 1, 0, 0, 1, 0, 0],
    }, index=pd.Index(["early", "late", "censored_early", "censored_at_h", "event_at_h", "followed", "just_short"],
                      name="patient_id"))


def test_early_recurrence_by_hand(patients):
    """H = 24 months: recurrence at <= 24 -> 1; followed to >= 24 without recurrence by then -> 0;
    censored before 24 -> excluded (not 0)."""
    er = early_recurrence(patients["time"], patients["event"], 24.0)
    assert er.to_dict() == {"early": 1, "late": 0, "censored_at_h": 0, "event_at_h": 1, "followed": 0}
    assert "censored_early" not in er.index and "just_short" not in er.index


def test_make_outcome_er_excludes_and_aligns(patients):
    outcome = make_outcome(patients, Endpoint("er", 24.0))
    assert set(outcome.excluded) == {"censored_early", "just_short"}
    assert list(outcome.index) == ["early", "late", "censored_at_h", "event_at_h", "followed"]
    assert outcome.y.tolist() == [1, 0, 0, 1, 0]
    assert outcome.time.tolist() == [3.0, 30.0, 24.0, 24.0, 40.0]
    assert outcome.endpoint.family == "logistic"


def test_make_outcome_rfs_keeps_everyone(patients):
    outcome = make_outcome(patients, Endpoint("rfs"))
    assert len(outcome.index) == len(patients) and outcome.excluded == ()
    assert outcome.y.dtype.names == ("event", "time")
    np.testing.assert_array_equal(outcome.y["time"], patients["time"])
    np.testing.assert_array_equal(outcome.y["event"], patients["event"].astype(bool))


def test_bad_endpoints():
    with pytest.raises(ValueError, match="Unknown endpoint"):
        Endpoint("os")
    with pytest.raises(ValueError, match="horizon"):
        Endpoint("er", 0.0)
    with pytest.raises(ValueError, match="lacks the column 'time'"):
        make_outcome(pd.DataFrame({"event": [1]}), Endpoint())
