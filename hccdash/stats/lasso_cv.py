"""Cross-validation of a LASSO path, as R's ``cv.glmnet`` (type.measure = "deviance").

- Folds: ``sample(rep(1:K, length = n))`` with a seeded numpy generator (K = n gives
  leave-one-out); a given ``foldid`` (1..K) is used as is.
- Each fold is fitted on the other folds (see :func:`fit_paths` for its lambdas).
- Cox ("grouped", glmnet's default): for fold k with coefficients b_-k fitted without it,
  ``cvraw_k = (D_full(b_-k) - D_-k(b_-k)) / e_k`` where D is the partial-likelihood
  deviance (2 (saturated - model) log-likelihood, Breslow) on all rows / on the rows
  outside fold k, and e_k the number of events in fold k.
  ``cvm`` = mean of cvraw_k weighted by e_k (folds without events get weight 0);
  ``cvsd`` = sqrt(weighted mean of (cvraw_k - cvm)^2 / (N - 1)), N = number of folds.
- Binomial: per-row deviance ``-2 [y log p + (1 - y) log(1 - p)]`` on the held-out rows,
  p clipped to [1e-5, 1 - 1e-5]; averaged within each fold, then ``cvm`` and ``cvsd`` as
  above with fold sizes as weights. With fewer than 3 rows per fold (as cv.glmnet) the
  rows themselves are the units: cvm = their mean, cvsd = their sd / sqrt(n).
- lambda.min = the largest lambda with the smallest cvm; lambda.1se = the largest
  lambda whose cvm is at most cvm + cvsd at lambda.min.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from joblib import delayed, effective_n_jobs
from joblib.parallel import get_active_backend

from hccdash.stats.lasso_families import CoxFamily
from hccdash.stats.lasso_solver import PathFit, Problem, fit_on_rows, interpolate
from hccdash.workers import process_pool

_PROB_CLIP = 1e-5
FOLD_TOL = 1e-8  # KKT residual of the fold fits: coefficients within ~1e-5, deviances within ~1e-8


def fold_ids(n: int, n_folds: int, seed: int) -> np.ndarray:
    """Fold of each row (1..n_folds), balanced and shuffled as cv.glmnet's default."""
    if not 3 <= n_folds <= n:
        raise ValueError(f"n_folds must be between 3 and the number of rows ({n}), got {n_folds}")
    return np.random.default_rng(seed).permutation(np.resize(np.arange(1, n_folds + 1), n))


def fit_paths(
    problem: Problem,
    foldid: np.ndarray,
    lambdas: np.ndarray | None,
    grid: tuple[int, float | None],
    n_jobs: int | None,
    fold_tol: float = FOLD_TOL,
) -> tuple[PathFit, list[np.ndarray]]:
    """The full-data path and, for each fold 1..K, the coefficients (m x L) fitted without
    it at the full-data lambdas; the K + 1 fits run in ``n_jobs`` joblib processes, one
    balanced batch each.
    Fold fits only feed deviances: they stop at the KKT residual ``fold_tol``.

    Given ``lambdas``: every fit uses them. Otherwise (cv.glmnet without ``lambda``) each
    fit uses its own default ``grid = (n_lambda, lambda_min_ratio)`` with glmnet's early
    stopping, and a fold's coefficients are read at the full-data lambdas by linear
    interpolation in lambda, clamped to its grid (glmnet's ``predict(fit, s = lambda)``).
    """
    folds = np.unique(foldid)
    row_sets = [None, *(np.flatnonzero(foldid != k) for k in folds)]
    loose = replace(problem, tol=max(problem.tol, fold_tol))
    tasks = [(problem if rows is None else loose, rows) for rows in row_sets]
    workers = _worker_processes(n_jobs)
    if workers <= 1:
        fits = [fit_on_rows(task, rows, lambdas, grid) for task, rows in tasks]
    else:  # one batch per worker (fewer round trips than one task per fit)
        batches = _balanced_batches(len(tasks), workers)
        done = process_pool(workers)(
            delayed(_fit_batch)([tasks[i] for i in batch], lambdas, grid) for batch in batches)
        fits = [None] * len(tasks)
        for batch, batch_fits in zip(batches, done):
            for i, fit in zip(batch, batch_fits):
                fits[i] = fit
    full = fits[0]
    if lambdas is not None:
        return full, [fit.coefs for fit in fits[1:]]
    return full, [interpolate(fit.lambdas, fit.coefs, full.lambdas) for fit in fits[1:]]


def _worker_processes(n_jobs: int | None) -> int:
    """Processes for ``n_jobs``; 1 inside a joblib worker, where nested calls only get
    threads (and these fits, mostly small numpy calls, hold the GIL)."""
    if getattr(get_active_backend()[0], "nesting_level", 0):
        return 1
    return effective_n_jobs(n_jobs)


def _balanced_batches(n_tasks: int, workers: int) -> list[list[int]]:
    """Task indices per worker, greedily balanced; task 0 (the full-data fit: all rows and
    the tighter tolerance) costs about two fold fits."""
    cost = [2.0] + [1.0] * (n_tasks - 1)
    batches, loads = [[] for _ in range(min(workers, n_tasks))], [0.0] * min(workers, n_tasks)
    for i in range(n_tasks):
        lightest = loads.index(min(loads))
        batches[lightest].append(i)
        loads[lightest] += cost[i]
    return batches


def _fit_batch(batch, lambdas, grid) -> list[PathFit]:
    return [fit_on_rows(problem, rows, lambdas, grid) for problem, rows in batch]


def cv_raw(problem: Problem, foldid: np.ndarray, coefs: list[np.ndarray]):
    """Per-unit CV deviances (units x L) and their weights (see the module docstring)."""
    X, family = problem.X, problem.family
    folds = np.unique(foldid)
    if isinstance(family, CoxFamily):
        raw = np.empty((folds.size, coefs[0].shape[1]))
        weights = np.empty(folds.size)
        for i, (k, B) in enumerate(zip(folds, coefs)):
            inside = foldid == k
            eta = _linear_predictor(X, B)
            full = family.deviance(eta)
            rest = family.subset(np.flatnonzero(~inside)).deviance(eta[~inside])
            weights[i] = family.event[inside].sum()
            with np.errstate(divide="ignore", invalid="ignore"):
                raw[i] = (full - rest) / weights[i]
        return raw, weights
    y = family.y
    per_row = np.empty((y.size, coefs[0].shape[1]))
    for k, B in zip(folds, coefs):
        inside = foldid == k
        p = np.clip(1.0 / (1.0 + np.exp(-_linear_predictor(X[inside], B))), _PROB_CLIP, 1 - _PROB_CLIP)
        yk = y[inside][:, None]
        per_row[inside] = -2.0 * (yk * np.log(p) + (1 - yk) * np.log(1 - p))
    if y.size / folds.size < 3:
        return per_row, np.ones(y.size)
    raw = np.vstack([per_row[foldid == k].mean(axis=0) for k in folds])
    return raw, np.array([np.sum(foldid == k) for k in folds], dtype=float)


def _linear_predictor(X: np.ndarray, B: np.ndarray) -> np.ndarray:
    """X @ B using only the columns with a non-zero coefficient somewhere on the path."""
    used = np.flatnonzero(np.any(B != 0, axis=1))
    return X[:, used] @ B[used]


def cv_summary(raw: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """cvm and cvsd as cv.glmnet's ``cvstats`` (R's weighted.mean drops zero weights)."""
    valid = ~np.isnan(raw)
    n_units = valid.sum(axis=0)
    w = np.where(valid & (weights[:, None] > 0), weights[:, None], 0.0)
    filled = np.where(w > 0, raw, 0.0)
    cvm = (w * filled).sum(axis=0) / w.sum(axis=0)
    spread = (w * (filled - cvm) ** 2).sum(axis=0) / w.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        cvsd = np.sqrt(spread / (n_units - 1))
    return cvm, cvsd


def choose_lambdas(lambdas: np.ndarray, cvm: np.ndarray, cvsd: np.ndarray) -> tuple[int, int]:
    """Indices of lambda.min and lambda.1se (as glmnet's ``getOptcv.glmnet``)."""
    best = np.nanmin(cvm)
    i_min = int(np.flatnonzero(cvm <= best)[np.argmax(lambdas[cvm <= best])])
    within = cvm <= cvm[i_min] + cvsd[i_min]
    i_1se = int(np.flatnonzero(within)[np.argmax(lambdas[within])])
    return i_min, i_1se
