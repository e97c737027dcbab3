"""The two endpoints of METHODS.md and the target each gives the estimators.

- ``rfs``: recurrence-free survival, (time, event) -> a scikit-survival structured array,
  modelled by Cox regression;
- ``er``: early recurrence within ``horizon`` months -> 0/1, modelled by logistic
  regression: 1 = recurrence at time <= horizon; 0 = followed beyond the horizon
  without recurrence by then (time > horizon, or censored exactly at the horizon);
  patients censored before the horizon are EXCLUDED (their status at H is unknown),
  never counted as 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hccdash.metric_names import discrimination_metric
from hccdash.selection.target import survival_target
from hccdash.settings import ModelSettings

ENDPOINTS = ("rfs", "er")


@dataclass(frozen=True)
class Endpoint:
    """An endpoint: ``kind`` 'rfs' or 'er', and the ER horizon in months."""

    kind: str = ModelSettings().endpoint
    horizon_months: float = ModelSettings().er_horizon_months

    def __post_init__(self):
        if self.kind not in ENDPOINTS:
            raise ValueError(f"Unknown endpoint {self.kind!r}; allowed: {list(ENDPOINTS)}")
        if self.kind == "er" and not self.horizon_months > 0:
            raise ValueError(f"The early-recurrence horizon must be > 0 months, got {self.horizon_months}")

    @property
    def survival(self) -> bool:
        """True for the Cox endpoint."""
        return self.kind == "rfs"

    @property
    def family(self) -> str:
        """'cox' or 'logistic'."""
        return "cox" if self.survival else "logistic"

    @property
    def metric(self) -> str:
        """The discrimination metric's key: 'c_index' (Cox) or 'auc' (logistic)."""
        return discrimination_metric(self.family)[0]

    @property
    def label(self) -> str:
        """Human-readable name."""
        return "RFS" if self.survival else f"ER within {self.horizon_months:g} months"

    @classmethod
    def from_settings(cls, settings: ModelSettings) -> "Endpoint":
        """The endpoint chosen in ``settings``."""
        return cls(settings.endpoint, settings.er_horizon_months)


def early_recurrences(time, event, horizon: float) -> int:
    """Recurrences at or before ``horizon`` (the ER events among rows whose status is known)."""
    return int(((np.asarray(event, dtype=int) == 1) & (np.asarray(time, dtype=float) <= horizon)).sum())


def early_recurrence(time: pd.Series, event: pd.Series, horizon: float) -> pd.Series:
    """ER status (1/0) of the patients whose status at ``horizon`` is known (others left out)."""
    time = pd.Series(time, dtype=float)
    event = pd.Series(event).astype(int).reindex(time.index)
    recurred = (event == 1) & (time <= horizon)
    known = recurred | (time >= horizon)
    return recurred[known].astype(int).rename("er")


@dataclass(frozen=True)
class Outcome:
    """The target of the included patients: ``y`` (structured array or 0/1), their ``index``,
    time / event of the same rows (for C-index and survival curves), and the ids
    ``excluded`` (ER: censored before the horizon)."""

    endpoint: Endpoint
    index: pd.Index
    y: np.ndarray
    time: np.ndarray
    event: np.ndarray
    excluded: tuple = ()


def make_outcome(patients: pd.DataFrame, endpoint: Endpoint, time_col: str = "time",
                 event_col: str = "event") -> Outcome:
    """Target for ``endpoint`` from a patient table (index patient_id, time in months, event 0/1)."""
    for column in (time_col, event_col):
        if column not in patients.columns:
            raise ValueError(f"The patient table lacks the column '{column}'")
    time = patients[time_col].astype(float)
    event = patients[event_col].astype(int)
    if endpoint.survival:
        return Outcome(endpoint, patients.index, survival_target(time, event), time.to_numpy(), event.to_numpy())
    er = early_recurrence(time, event, endpoint.horizon_months)
    excluded = tuple(patients.index.difference(er.index, sort=False))
    return Outcome(endpoint, er.index, er.to_numpy(), time.loc[er.index].to_numpy(),
                   event.loc[er.index].to_numpy(), excluded)
