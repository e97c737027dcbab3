"""Which horizons time-dependent metrics are offered at.

A horizon t (months) is offered only when at least ``min_at_risk`` patients are still at
risk at t (follow-up time >= t) in EACH split; otherwise it is left out, with the reason
naming the split and its count. Beyond the last follow-up of a split nobody is at risk, so
time-dependent AUC, calibration and decision curves there would rest on extrapolation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hccdash import stats


@dataclass(frozen=True)
class HorizonCheck:
    """One horizon: patients at risk per split, whether it is offered, and why not."""

    horizon: float
    at_risk: dict[str, int]
    offered: bool
    reason: str | None


def check_horizons(times: Mapping[str, Sequence[float]], horizons: Sequence[float], min_at_risk: int) -> list[HorizonCheck]:
    """Apply the at-risk rule to each horizon; ``times`` maps split name -> follow-up times."""
    if min_at_risk < 1:
        raise ValueError(f"min_at_risk must be at least 1, got {min_at_risk}")
    checks = []
    for horizon in horizons:
        at_risk = {split: int(stats.number_at_risk(np.asarray(t, dtype=float), [horizon])[0])
                   for split, t in times.items()}
        short = [f"{split} has {n} at risk" for split, n in at_risk.items() if n < min_at_risk]
        reason = (f"{horizon:g} months left out: {', '.join(short)} (fewer than {min_at_risk})" if short else None)
        checks.append(HorizonCheck(float(horizon), at_risk, not short, reason))
    return checks


def offered(checks: Sequence[HorizonCheck]) -> tuple[float, ...]:
    """The horizons that pass."""
    return tuple(c.horizon for c in checks if c.offered)


def horizon_table(checks: Sequence[HorizonCheck]) -> pd.DataFrame:
    """One row per horizon: at-risk counts per split, offered, reason."""
    return pd.DataFrame([{"horizon": c.horizon, **{f"at risk ({s})": n for s, n in c.at_risk.items()},
                          "offered": c.offered, "reason": c.reason or ""} for c in checks])
