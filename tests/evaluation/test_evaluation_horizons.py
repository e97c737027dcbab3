"""The horizon rule: time-dependent metrics only where every split keeps enough at risk."""

from __future__ import annotations

import numpy as np

from hccdash.evaluation.horizons import check_horizons, offered


def test_horizon_with_too_few_at_risk_in_one_split_is_left_out_with_reason():
    train = np.linspace(1, 60, 100)  # 41 patients followed >= 36 months
    validation = np.concatenate([np.linspace(1, 30, 40), [37.0] * 9])  # 9 at risk at 36 months
    checks = check_horizons({"train": train, "validation": validation}, (12, 24, 36), 10)
    assert offered(checks) == (12.0, 24.0)
    left = checks[2]
    assert not left.offered and left.at_risk == {"train": 41, "validation": 9}
    assert "validation has 9 at risk" in left.reason and "fewer than 10" in left.reason
    assert "train" not in left.reason
    assert check_horizons({"train": train, "validation": validation}, (36,), 9)[0].offered


def test_evaluation_uses_only_offered_horizons(rfs_evaluation):
    e = rfs_evaluation
    at_risk = {s: int((p.time >= 36).sum()) for (m, s), p in e.predictions.items() if m == "combined"}
    assert at_risk["validation"] < 10 <= at_risk["train"]  # the fixture's 36 months fail in validation
    assert e.horizons == (12.0, 24.0)
    assert set(e.time_auc["horizon"]) == {12.0, 24.0}
    assert set(e.calibration["horizon"]) == {12.0, 24.0}
    assert any("36 months left out: validation has" in note for note in e.notes)
    assert e.horizon_table().set_index("horizon").loc[36.0, "offered"] == False  # noqa: E712
