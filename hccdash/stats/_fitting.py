"""Shared by the model fitters: validation of design matrices and outcomes (names kept),
Newton-Raphson with separation detection and the covariance (the Wald coefficient table is
:func:`hccdash.stats.wald.wald_table`)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg


def design_frame(X, what: str = "X") -> pd.DataFrame:
    """``X`` as a float DataFrame (columns x0, x1, ... for arrays); missing or infinite values
    raise ValueError naming the column and row."""
    if isinstance(X, pd.Series):
        X = X.to_frame(X.name if X.name is not None else "x0")
    if not isinstance(X, pd.DataFrame):
        arr = np.asarray(X, dtype=float)
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2:
            raise ValueError(f"{what} must be 2-dimensional, got shape {arr.shape}")
        X = pd.DataFrame(arr, columns=[f"x{j}" for j in range(arr.shape[1])])
    if X.shape[1] == 0:
        raise ValueError(f"{what} has no columns")
    if X.columns.duplicated().any():
        raise ValueError(f"{what} has duplicated column names: {list(X.columns[X.columns.duplicated()])}")
    try:
        values = X.to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        bad = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
        raise ValueError(f"{what} has non-numeric column(s) {bad}") from exc
    finite = np.isfinite(values)
    if not finite.all():
        row, col = np.argwhere(~finite)[0]
        raise ValueError(
            f"{what} column {X.columns[col]!r} has a missing or infinite value "
            f"({values[row, col]}) at row {X.index[row]!r}"
        )
    return pd.DataFrame(values, index=X.index, columns=X.columns)


def outcome_vector(values, name: str, X: pd.DataFrame, binary: bool = False) -> np.ndarray:
    """A finite float vector as long as X (a Series must carry X's index); 0/1 if ``binary``."""
    if isinstance(values, pd.Series) and not values.index.equals(X.index):
        if not values.index.sort_values().equals(X.index.sort_values()):
            raise ValueError(f"{name} index does not match the rows of X")
        values = values.reindex(X.index)
    arr = np.asarray(values, dtype=float).ravel()
    if arr.size != len(X):
        raise ValueError(f"{name} has {arr.size} values but X has {len(X)} rows")
    bad = np.flatnonzero(~np.isfinite(arr) | (binary & ~np.isin(arr, (0.0, 1.0))))
    if bad.size:
        kind = "0/1" if binary else "finite"
        raise ValueError(f"{name} must be {kind}: got {arr[bad[0]]} at row {X.index[bad[0]]!r}")
    return arr


def constant_columns(X: pd.DataFrame) -> list:
    """Names of the columns with zero variance."""
    values = X.to_numpy()
    return list(X.columns[np.ptp(values, axis=0) == 0]) if len(X) else list(X.columns)


def dependent_columns(values: np.ndarray, names) -> list:
    """Columns that are linear combinations of the others (with an intercept), by pivoted QR of the
    centred, unit-length columns; empty when the columns are linearly independent."""
    centred = values - values.mean(axis=0)
    scale = np.linalg.norm(centred, axis=0)
    scaled = centred / np.where(scale > 0, scale, 1.0)
    _, r, piv = linalg.qr(scaled, mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    tol = max(scaled.shape) * np.finfo(float).eps * (diag[0] if diag.size else 0.0) * 1e3
    rank = int(np.sum(diag > tol))
    return [names[j] for j in sorted(piv[rank:])]


def check_level(level: float) -> None:
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")


def covariance_from_information(info: np.ndarray) -> np.ndarray:
    """Inverse of an observed information matrix (NaN when singular). No pseudo-inverse: a
    nearly flat direction (an infinite coefficient) must show as a huge variance."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", linalg.LinAlgWarning)
            return linalg.inv(info)
    except (linalg.LinAlgError, ValueError):
        return np.full_like(info, np.nan)


def standard_errors(cov: np.ndarray) -> np.ndarray:
    """sqrt of the diagonal; NaN where rounding made a (huge) variance negative."""
    diag = np.diag(cov)
    return np.sqrt(np.where(diag >= 0, diag, np.nan))


STEP_TOL = 1e-10  # convergence: largest Newton step, in sd units of its column
FLAT_TOL = 1e-10  # relative loglik gain under which a non-shrinking step means divergence
MAX_ITER = 50


@dataclass(frozen=True)
class NewtonResult:
    beta: np.ndarray
    loglik: float
    info: np.ndarray
    loglik_start: float
    n_iter: int
    converged: bool
    diverging: np.ndarray  # per parameter: still moving when the iterations stopped


def is_flat(gain, loglik, step, previous_step):
    """Divergence test (works elementwise): the loglik no longer improves (gain below
    FLAT_TOL * (|loglik| + 0.1), glm's relative deviance rule; the loglik tends to 0 under
    complete separation) while the step does not shrink, the signature of an infinite
    coefficient (monotone likelihood); Newton steps on a regular problem shrink quadratically."""
    return (gain <= FLAT_TOL * (np.abs(loglik) + 0.1)) & (np.abs(step) >= 0.5 * np.abs(previous_step)) & (
        np.abs(step) > 1e-6
    )


def newton(derivatives: Callable[[np.ndarray], tuple], n_params: int) -> NewtonResult:
    """Maximise a concave log-likelihood from zero: Newton-Raphson with step halving.

    ``derivatives(beta) -> (loglik, score, information)``. Converged when the largest step is
    below STEP_TOL; stops early (not converged) when the loglik has flattened while a
    coefficient keeps moving (see :func:`is_flat`), as coxph and glm stop on the loglik.
    """
    beta = np.zeros(n_params)
    loglik, score, info = derivatives(beta)
    start = loglik
    step = previous = np.full(n_params, np.inf)
    for iteration in range(1, MAX_ITER + 1):
        try:
            step = linalg.solve(info, score, assume_a="pos")
        except (linalg.LinAlgError, ValueError):
            break
        for _ in range(60):
            new = derivatives(beta + step)
            if np.isfinite(new[0]) and new[0] >= loglik - 1e-12 * abs(loglik):
                break
            step = step / 2
        gain = new[0] - loglik
        beta = beta + step
        loglik, score, info = new
        if np.max(np.abs(step)) < STEP_TOL:
            return NewtonResult(beta, loglik, info, start, iteration, True, np.zeros(n_params, bool))
        if is_flat(gain, loglik, np.max(np.abs(step)), np.max(np.abs(previous))):
            break
        previous = step
    diverging = np.abs(step) > 1e-6
    return NewtonResult(beta, loglik, info, start, iteration, False, diverging)
