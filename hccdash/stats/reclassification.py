"""Reclassification: category-free NRI and IDI of two models' predicted probabilities, as
``Hmisc::improveProb``, and the same at a survival horizon.

For events (y = 1) and non-events (y = 0), with d = p_new - p_old per patient:

* NRI_events = P(d > 0 | event) - P(d < 0 | event), NRI_nonevents = P(d < 0 | non-event) -
  P(d > 0 | non-event), NRI = their sum; a patient with d = 0 (a tie: not reclassified)
  counts in neither direction. Variance of each part (n_up + n_down)/m^2 - (n_up - n_down)^2/m^3
  (m = events or non-events), of the NRI the sum of both.
* IDI = mean(d | event) - mean(d | non-event), variance var(d | event)/m_1 + var(d | non-event)/m_0
  (sample variances, n - 1).

z = estimate / SE and two-sided normal p, as ``print(improveProb(...))``. Unlike R (which
drops rows with a missing value) a missing value is refused, naming its position.

Survival (:func:`reclassification_at`): the probabilities are each model's predicted risk of
an event by the horizon H, 1 - S(H | x); the outcome is the status at H where it is known,
as the app's early-recurrence endpoint: 1 = event at time <= H, 0 = followed to H or beyond
without an event (censored exactly at H included), patients censored before H excluded
(counted in ``excluded``). This is improveProb on the patients with known status, not a
Kaplan-Meier-weighted NRI (Pencina 2011), so heavy censoring before H favours the early events.
R calls matched: tests/reference/rms_parity/compare.R.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from hccdash.stats.results import Reclassification


def _vector(values, name: str, n: int | None = None) -> np.ndarray:
    arr = np.asarray(values, dtype=float).ravel()
    if n is not None and arr.size != n:
        raise ValueError(f"{name} has {arr.size} values, y has {n}")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise ValueError(f"{name} has a missing or infinite value at position {bad[0]}")
    return arr


def _two_sided(z: float) -> float:
    return float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else float("nan")


def _nri_part(up: int, down: int, m: int) -> tuple[float, float]:
    """(up - down)/m and its SE, improveProb's v.nri.ev / v.nri.ne."""
    return (up - down) / m, float(np.sqrt((up + down) / m**2 - (up - down) ** 2 / m**3))


def reclassification(y, p_old, p_new) -> Reclassification:
    """Category-free NRI and IDI of ``p_new`` over ``p_old`` (probabilities in [0, 1]) for the
    0/1 outcome ``y``, as ``Hmisc::improveProb(x1 = p_old, x2 = p_new, y = y)``; ties
    (p_new == p_old) count as not reclassified. Fields read by name or key
    (``result["nri"]``); see the module docstring for the formulas."""
    yy = _vector(y, "y")
    old, new = _vector(p_old, "p_old", yy.size), _vector(p_new, "p_new", yy.size)
    bad = np.flatnonzero(~np.isin(yy, (0.0, 1.0)))
    if bad.size:
        raise ValueError(f"y must be 0/1, got {yy[bad[0]]} at position {bad[0]}")
    for name, p in (("p_old", old), ("p_new", new)):
        out = np.flatnonzero((p < 0) | (p > 1))
        if out.size:
            raise ValueError(f"{name} must be probabilities in [0, 1], got {p[out[0]]} at position {out[0]}")
    events = yy == 1
    m1, m0 = int(events.sum()), int((~events).sum())
    if m1 < 2 or m0 < 2:
        raise ValueError(f"need at least 2 events and 2 non-events, got {m1} and {m0}")
    d = new - old
    de, dn = d[events], d[~events]
    nri_e, se_e = _nri_part(int((de > 0).sum()), int((de < 0).sum()), m1)
    nri_n, se_n = _nri_part(int((dn < 0).sum()), int((dn > 0).sum()), m0)
    nri, nri_se = nri_e + nri_n, float(np.hypot(se_e, se_n))
    idi = float(de.mean() - dn.mean())
    idi_se = float(np.sqrt(de.var(ddof=1) / m1 + dn.var(ddof=1) / m0))
    nri_z = nri / nri_se if nri_se > 0 else float("nan")
    idi_z = idi / idi_se if idi_se > 0 else float("nan")
    return Reclassification(
        nri=float(nri), nri_se=nri_se, nri_z=nri_z, nri_p=_two_sided(nri_z),
        nri_events=float(nri_e), nri_events_se=se_e, nri_nonevents=float(nri_n), nri_nonevents_se=se_n,
        idi=idi, idi_se=idi_se, idi_z=idi_z, idi_p=_two_sided(idi_z), n=int(yy.size), n_events=m1,
    )


def status_at(time, event, horizon: float) -> tuple[np.ndarray, np.ndarray]:
    """(known, status) at ``horizon``: known = event by the horizon or followed to it (time >=
    horizon), status 1 = event at time <= horizon."""
    t = _vector(time, "time")
    e = _vector(event, "event", t.size)
    if not np.isin(e, (0.0, 1.0)).all():
        raise ValueError(f"event must be 0/1, got {e[~np.isin(e, (0.0, 1.0))][0]}")
    status = (e == 1) & (t <= horizon)
    return status | (t >= horizon), status.astype(float)


def reclassification_at(time, event, p_old, p_new, horizon: float) -> Reclassification:
    """NRI and IDI of two survival models at ``horizon``: ``p_old``, ``p_new`` are each
    patient's predicted risk of an event by then (1 - S(horizon | x)); improveProb on the
    patients whose status at the horizon is known (module docstring; ``excluded`` counts the
    others), as ``improveProb(x1 = p_old[known], x2 = p_new[known], y = status[known])``."""
    known, status = status_at(time, event, horizon)
    old = _vector(p_old, "p_old", known.size)
    new = _vector(p_new, "p_new", known.size)
    result = reclassification(status[known], old[known], new[known])
    return Reclassification(**{**result.to_dict(), "excluded": int((~known).sum())})
