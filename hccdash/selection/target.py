"""The two targets of the selection steps: survival (structured array) or binary (0/1).

A survival target is scikit-survival's structured array (``Surv.from_arrays(event, time)``),
so every step composes in a scikit-learn ``Pipeline``; a binary target is any 0/1 vector.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sksurv.util import Surv


def survival_target(time, event) -> np.ndarray:
    """Structured (event, time) array from time and event vectors (event 1 = recurrence)."""
    return Surv.from_arrays(event=np.asarray(event).astype(bool), time=np.asarray(time, dtype=float))


def is_survival(y) -> bool:
    """True when ``y`` is a structured (event, time) array."""
    return isinstance(y, np.ndarray) and y.dtype.names is not None and len(y.dtype.names) == 2


def survival_arrays(y) -> tuple[np.ndarray, np.ndarray]:
    """(time, event) float / int arrays from a structured survival target."""
    event_field, time_field = y.dtype.names
    return np.asarray(y[time_field], dtype=float), np.asarray(y[event_field]).astype(int)


def binary_array(y) -> np.ndarray:
    """0/1 integer array; ValueError naming the values when ``y`` is not binary."""
    values = np.asarray(y.to_numpy() if isinstance(y, pd.Series) else y)
    distinct = set(pd.unique(values).tolist())
    if not distinct <= {0, 1, True, False}:
        raise ValueError(f"A binary target must hold 0/1 values only, got {sorted(map(str, distinct))}")
    return values.astype(int)


def n_events(y) -> int:
    """Number of events (survival) or of the smaller outcome class (binary), for EPV."""
    if is_survival(y):
        return int(survival_arrays(y)[1].sum())
    values = binary_array(y)
    return int(min(values.sum(), len(values) - values.sum()))

