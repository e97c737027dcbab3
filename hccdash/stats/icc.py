"""Intraclass correlation for feature reproducibility, as ``psych::ICC``.

Two-way ANOVA of an n subjects x k raters table (Shrout & Fleiss 1979), with
MSR = rows (subjects) mean square, MSC = columns (raters), MSE = residual:

* ``"ICC2_1"``: two-way random effects, absolute agreement, single rater
  (MSR - MSE) / (MSR + (k - 1) MSE + k (MSC - MSE) / n)
* ``"ICC3_1"``: two-way mixed effects, consistency, single rater
  (MSR - MSE) / (MSR + (k - 1) MSE)

Subjects with a missing rating are dropped, as ``psych::ICC(na.omit(x), lmer = FALSE)`` (psych
refuses missing ratings unless lmer = TRUE). A constant table
(MSR = MSE = 0) gives NaN. :func:`icc` is one table; :func:`icc_per_feature` computes the
ICC of every feature column at once from per-reader feature matrices.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

KINDS = ("ICC2_1", "ICC3_1")


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")


def _icc_columns(ratings: np.ndarray, kind: str) -> np.ndarray:
    """ICC for each feature of a (subjects x raters x features) array, NaN = missing."""
    complete = np.isfinite(ratings).all(axis=1)  # subjects x features
    n = complete.sum(axis=0).astype(float)
    k = ratings.shape[1]
    x = np.where(complete[:, None, :], ratings, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        grand = x.sum(axis=(0, 1)) / (n * k)
        row_mean = x.mean(axis=1)
        col_mean = x.sum(axis=0) / n
        resid = np.where(complete[:, None, :], x - grand, 0.0)
        ss_total = np.sum(resid**2, axis=(0, 1))
        ss_rows = k * np.sum(np.where(complete, row_mean - grand, 0.0) ** 2, axis=0)
        ss_cols = n * np.sum((col_mean - grand) ** 2, axis=0)
        ms_rows = ss_rows / (n - 1)
        ms_cols = ss_cols / (k - 1)
        ms_err = (ss_total - ss_rows - ss_cols) / ((n - 1) * (k - 1))
        if kind == "ICC2_1":
            denom = ms_rows + (k - 1) * ms_err + k * (ms_cols - ms_err) / n
        else:
            denom = ms_rows + (k - 1) * ms_err
        value = (ms_rows - ms_err) / denom
    return np.where(n >= 2, value, np.nan)


def icc(ratings, kind: str = "ICC2_1") -> float:
    """ICC of one subjects x raters table (array or DataFrame), as
    ``psych::ICC(na.omit(ratings), lmer = FALSE)$results[c("ICC2", "ICC3"), "ICC"]`` (see the
    module docstring)."""
    _check_kind(kind)
    table = np.asarray(ratings, dtype=float)
    if table.ndim != 2 or table.shape[1] < 2:
        raise ValueError(f"ratings must be subjects x raters with at least 2 raters, got {table.shape}")
    if np.isfinite(table).all(axis=1).sum() < 2:
        raise ValueError("ratings need at least 2 subjects rated by every rater")
    return float(_icc_columns(table[:, :, None], kind)[0])


def icc_per_feature(
    first: pd.DataFrame, others: pd.DataFrame | Sequence[pd.DataFrame], kind: str = "ICC2_1"
) -> pd.Series:
    """ICC of every feature (column of ``first``) across readers, vectorised over features.

    ``first`` is reader 1's feature matrix (patients x features, indexed by patient id);
    ``others`` one more reader's matrix, or a list of them. Rows are aligned by patient id
    (patients present for every reader only) and columns by name; a feature missing from a
    reader, or with fewer than 2 complete patients, gets NaN. Returns a Series named
    ``kind`` indexed by ``first``'s columns.
    """
    _check_kind(kind)
    readers = [first, *([others] if isinstance(others, pd.DataFrame) else list(others))]
    if len(readers) < 2:
        raise ValueError("icc_per_feature needs at least two readers")
    for i, frame in enumerate(readers):
        if not isinstance(frame, pd.DataFrame):
            raise ValueError(f"reader {i + 1} must be a DataFrame indexed by patient id")
        if frame.index.duplicated().any():
            raise ValueError(
                f"reader {i + 1} has duplicated patient id(s) {list(frame.index[frame.index.duplicated()][:5])}"
            )
    patients = readers[0].index
    for frame in readers[1:]:
        patients = patients.intersection(frame.index, sort=False)
    if len(patients) < 2:
        raise ValueError(f"readers share {len(patients)} patient(s); an ICC needs at least 2")
    stack = np.stack(
        [frame.reindex(index=patients, columns=first.columns).to_numpy(dtype=float) for frame in readers],
        axis=1,
    )
    return pd.Series(_icc_columns(stack, kind), index=first.columns, name=kind)
