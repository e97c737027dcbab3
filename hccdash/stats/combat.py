"""Empirical-Bayes ComBat harmonisation of features across batches (centres, scanners, settings).

R: ``sva::ComBat(dat = t(X), batch, mod = NULL, par.prior = TRUE, ref.batch = ref_batch)``
(sva 3.46), without covariates. ``X`` is patients x features. Model, per feature ``g`` and
batch ``i``: ``x = alpha_g + sigma_g (gamma_ig + sqrt(delta_ig) e)``.

- Standardisation: ``alpha`` is the pooled mean (batch means weighted by batch size) and
  ``sigma^2`` the pooled within-batch variance with divisor n (residuals from the batch means).
  With ``ref_batch``: the reference batch's mean and variance (divisor n of that batch).
- Estimates: ``gamma_hat`` = batch means of the standardised data (with ``ref_batch``, minus the
  reference batch's mean, as sva's design with the reference column set to 1); ``delta_hat`` =
  within-batch variances (n - 1). Priors per batch across features: normal(gamma_bar, tau^2)
  for gamma, inverse gamma(a, b) for delta by the method of moments (sva's ``aprior``/``bprior``).
- Posterior: sva's ``it.sol`` iteration of the posterior mean of gamma and of delta, stopped when
  ``max(abs(new - old) / old) <= 1e-4`` over both vectors (``old`` not in absolute value, as sva).
- Adjusted: ``(x - alpha) / sigma`` minus ``gamma_star``, divided by ``sqrt(delta_star)``, back to
  ``sigma`` and ``alpha``. With ``ref_batch`` the reference batch is returned unchanged.
- A batch with a single patient makes sva use its mean-only model for every batch
  (``delta_star = 1``, ``gamma_star`` = posterior mean with n = 1, delta = 1).
- A feature constant within any batch of two or more patients is left unadjusted for everyone
  (as sva); :attr:`CombatFit.unadjusted` names them.

Refused with a message where sva would fail or return NaN: fewer than two batches, a reference
batch of one patient, every batch a single patient, fewer than two features left to adjust, equal
within-batch variances of every feature (no inverse-gamma prior), missing values (sva's NA path
is not ported), and no convergence after ``max_iter`` iterations (sva has no limit).

:func:`combat` is ``combat_fit(X, batch, ref_batch).transform(X, batch)``; the fitted
:class:`CombatFit` applies the same location / scale to other patients of the seen batches.
:class:`hccdash.selection.ComBatHarmonizer` wraps it as a scikit-learn step.

Why hand-written (``bench/hand_code.py``): to match R. On the simulated fixture (75 patients,
60 features, 3 batches) this is within 1e-13 sd of ``sva::ComBat``; neuroCombat 0.2.12 (it runs
on numpy 2.4) is up to 1.6 sd of a feature away (a whole batch of one feature; 0.2 sd on others).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hccdash.columns import check_columns

CONV = 1e-4  # sva's it.sol default
MAX_ITER = 10_000


@dataclass(frozen=True, eq=False)
class CombatFit:
    """ComBat estimates: apply them with :meth:`transform`.

    ``grand_mean`` / ``var_pooled``: per adjusted feature (alpha and sigma^2 above);
    ``gamma_star`` / ``delta_star``: batches x adjusted features; ``unadjusted``: features left as
    they are; ``iterations``: it.sol iterations per batch (0: mean-only model or the reference)."""

    features: tuple[str, ...]
    batches: tuple[Hashable, ...]
    batch_sizes: tuple[int, ...]
    ref_batch: Hashable | None
    grand_mean: pd.Series
    var_pooled: pd.Series
    gamma_star: pd.DataFrame
    delta_star: pd.DataFrame
    unadjusted: tuple[str, ...]
    mean_only: bool
    iterations: tuple[int, ...]

    def transform(self, X: pd.DataFrame, batch) -> pd.DataFrame:
        """``X`` (same index and columns) with each row's batch effect removed; rows of the
        reference batch and the :attr:`unadjusted` features unchanged. Every batch must be one
        of :attr:`batches`."""
        X = _check_matrix(X, "ComBat transform")
        check_columns(X, self.features, what="fitted feature", needed_by="ComBat transform")
        labels = check_batch(batch, X.index, "ComBat transform")
        known = {b: i for i, b in enumerate(self.batches)}
        unseen = [(row, b) for row, b in zip(X.index, labels) if b not in known]
        if unseen:
            row, value = unseen[0]
            raise ValueError(f"ComBat transform: batch {value!r} of patient {row!r} was not seen in the fit "
                             f"(fitted batches: {list(self.batches)})")
        codes = np.array([known[b] for b in labels], dtype=int)
        columns = list(self.grand_mean.index)
        values = X[columns].to_numpy(dtype=float)
        mean, sd = self.grand_mean.to_numpy(), np.sqrt(self.var_pooled.to_numpy())
        gamma, delta = self.gamma_star.to_numpy(), self.delta_star.to_numpy()
        adjusted = ((values - mean) / sd - gamma[codes]) / np.sqrt(delta[codes]) * sd + mean
        if self.ref_batch is not None:
            is_ref = codes == known[self.ref_batch]
            adjusted[is_ref] = values[is_ref]
        values = X.to_numpy(dtype=float, copy=True)  # one block: setting thousands of columns one by one is slow
        values[:, X.columns.get_indexer(columns)] = adjusted
        return pd.DataFrame(values, index=X.index, columns=X.columns)


def combat(X: pd.DataFrame, batch, ref_batch: Hashable | None = None) -> pd.DataFrame:
    """ComBat-adjusted ``X`` (patients x features; same index and columns); see the module
    docstring. R: ``t(sva::ComBat(t(X), batch, mod = NULL, par.prior = TRUE, ref.batch = ref_batch))``."""
    return combat_fit(X, batch, ref_batch).transform(X, batch)


def combat_fit(X: pd.DataFrame, batch, ref_batch: Hashable | None = None,
               max_iter: int = MAX_ITER) -> CombatFit:
    """Estimate ComBat's standardisation and batch effects on ``X`` (patients x features) with
    ``batch`` one label per row (array-like, or a Series indexed like ``X``); see the module
    docstring. :func:`combat` applies it to the same rows."""
    X = _check_matrix(X, "ComBat")
    labels = check_batch(batch, X.index, "ComBat")
    levels = _levels(labels)
    if len(levels) < 2:
        raise ValueError(f"ComBat needs at least two batches, got {levels}")
    ref = _reference_index(levels, ref_batch)
    codes = np.array([levels.index(b) for b in labels], dtype=int)
    sizes = np.bincount(codes, minlength=len(levels))
    if ref is not None and sizes[ref] < 2:
        raise ValueError(f"ComBat: the reference batch {ref_batch!r} has one patient; its variance "
                         "(used to standardise every batch) needs at least two")
    if ref is None and sizes.max() < 2:
        raise ValueError("ComBat: every batch has a single patient, so no within-batch variance exists")

    values = X.to_numpy(dtype=float)
    constant = _constant_within_batch(values, codes, sizes, list(X.columns), levels)
    keep = [c for c in X.columns if c not in constant]
    if len(keep) < 2:
        detail = "; ".join(f"'{f}' in batch {b!r}" for f, b in list(constant.items())[:5])
        raise ValueError(f"ComBat needs at least two features that vary within every batch; "
                         f"{len(keep)} left (constant: {detail})")
    values = values[:, [X.columns.get_loc(c) for c in keep]]
    mean_only = bool((sizes == 1).any())

    grand_mean, var_pooled = _standardisation(values, codes, sizes, ref)
    s = (values - grand_mean) / np.sqrt(var_pooled)
    gamma_hat = np.vstack([s[codes == i].mean(axis=0) for i in range(len(levels))])
    if ref is not None:
        gamma_hat[np.arange(len(levels)) != ref] -= gamma_hat[ref]
    gamma_star = np.ones_like(gamma_hat)
    delta_star = np.ones_like(gamma_hat)
    iterations = [0] * len(levels)
    for i, name in enumerate(levels):
        if i == ref:  # sva estimates it, then sets gamma_star = 0, delta_star = 1
            gamma_star[i] = 0.0
            continue
        g_bar, t2 = gamma_hat[i].mean(), gamma_hat[i].var(ddof=1)
        if mean_only:
            gamma_star[i] = _postmean(gamma_hat[i], g_bar, 1, 1.0, t2)
            continue
        rows = s[codes == i]
        delta_hat = rows.var(axis=0, ddof=1)
        m, v = delta_hat.mean(), delta_hat.var(ddof=1)
        if not v > 0:
            raise ValueError(f"ComBat: in batch {name!r} every feature has the same within-batch "
                             "variance, so the inverse-gamma prior of sva is undefined")
        a, b = (2 * v + m**2) / v, (m * v + m**3) / v
        gamma_star[i], delta_star[i], iterations[i] = _it_sol(
            rows, gamma_hat[i], delta_hat, g_bar, t2, a, b, max_iter, name)

    return CombatFit(
        features=tuple(str(c) for c in X.columns), batches=tuple(levels),
        batch_sizes=tuple(int(n) for n in sizes), ref_batch=None if ref is None else levels[ref],
        grand_mean=pd.Series(grand_mean, index=keep, name="grand_mean"),
        var_pooled=pd.Series(var_pooled, index=keep, name="var_pooled"),
        gamma_star=pd.DataFrame(gamma_star, index=levels, columns=keep),
        delta_star=pd.DataFrame(delta_star, index=levels, columns=keep),
        unadjusted=tuple(constant), mean_only=mean_only, iterations=tuple(iterations))


def _standardisation(values: np.ndarray, codes: np.ndarray, sizes: np.ndarray,
                     ref: int | None) -> tuple[np.ndarray, np.ndarray]:
    """sva's grand.mean and var.pooled (divisor n) per feature."""
    means = np.vstack([values[codes == i].mean(axis=0) for i in range(len(sizes))])
    if ref is not None:
        rows = values[codes == ref]
        return means[ref], ((rows - means[ref]) ** 2).mean(axis=0)
    grand = (sizes / sizes.sum()) @ means
    return grand, ((values - means[codes]) ** 2).mean(axis=0)


def _postmean(g_hat, g_bar, n, d_star, t2):
    return (t2 * n * g_hat + d_star * g_bar) / (t2 * n + d_star)


def _it_sol(rows: np.ndarray, g_hat: np.ndarray, d_hat: np.ndarray, g_bar: float, t2: float,
            a: float, b: float, max_iter: int, name) -> tuple[np.ndarray, np.ndarray, int]:
    """sva's it.sol: alternate the posterior means of gamma and delta until the largest relative
    change (divided by the old value, not its absolute value) is at most 1e-4."""
    n = rows.shape[0]
    g_old, d_old = g_hat, d_hat
    with np.errstate(divide="ignore", invalid="ignore"):
        for count in range(1, max_iter + 1):
            g_new = _postmean(g_hat, g_bar, n, d_old, t2)
            sum2 = ((rows - g_new) ** 2).sum(axis=0)
            d_new = (0.5 * sum2 + b) / (n / 2 + a - 1)
            change = np.max(np.concatenate([np.abs(g_new - g_old) / g_old, np.abs(d_new - d_old) / d_old]))
            g_old, d_old = g_new, d_new
            if np.isnan(change):
                raise ValueError(f"ComBat: the empirical Bayes iteration of batch {name!r} gave an undefined "
                                 "relative change (0 / 0); sva stops with an error here too")
            if not change > CONV:
                return g_new, d_new, count
    raise ValueError(f"ComBat: the empirical Bayes iteration of batch {name!r} did not converge in "
                     f"{max_iter} iterations (relative change {change:.3g} > {CONV:g})")


def _constant_within_batch(values: np.ndarray, codes: np.ndarray, sizes: np.ndarray,
                           columns: list, levels: list) -> dict[str, Hashable]:
    """{feature: first batch (of >= 2 patients) in which it is constant}, in column order."""
    found: dict[str, Hashable] = {}
    for i, name in enumerate(levels):
        if sizes[i] > 1:
            flat = values[codes == i].var(axis=0, ddof=1) == 0
            for j in np.flatnonzero(flat):
                found.setdefault(str(columns[j]), name)
    return {str(c): found[str(c)] for c in columns if str(c) in found}


def _reference_index(levels: list, ref_batch: Hashable | None) -> int | None:
    if ref_batch is None:
        return None
    if ref_batch not in levels:
        raise ValueError(f"ComBat: the reference batch {ref_batch!r} is not one of the batches {levels}")
    return levels.index(ref_batch)


def _levels(labels: np.ndarray) -> list:
    """Distinct batch labels, sorted when they can be (as R's factor levels)."""
    unique = list(pd.unique(labels))
    try:
        return sorted(unique)
    except TypeError:
        return unique


def _check_matrix(X, where: str) -> pd.DataFrame:
    """``X`` as a DataFrame of finite numbers; ValueError naming the column and patient."""
    if not isinstance(X, pd.DataFrame):
        raise ValueError(f"{where}: X must be a pandas DataFrame (patients x features), got {type(X).__name__}")
    if X.shape[1] == 0 or X.shape[0] == 0:
        raise ValueError(f"{where}: X has {X.shape[0]} patients and {X.shape[1]} features")
    text = [(c, d) for c, d in X.dtypes.items() if not pd.api.types.is_numeric_dtype(d) or pd.api.types.is_bool_dtype(d)]
    if text:
        raise ValueError(f"{where}: feature '{text[0][0]}' is not numeric (dtype {text[0][1]})")
    bad = ~np.isfinite(X.to_numpy(dtype=float))
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(f"{where}: feature '{X.columns[col]}' has a missing or infinite value for patient "
                         f"'{X.index[row]}'")
    return X


def check_batch(batch, index: pd.Index, where: str) -> np.ndarray:
    """One batch label per row of ``index`` (a Series is aligned on it); ValueError naming the
    patient without one."""
    if isinstance(batch, pd.Series):
        if not batch.index.equals(index):
            absent = index.difference(batch.index)
            if len(absent):
                raise ValueError(f"{where}: no batch given for patient {absent[0]!r}")
            batch = batch.loc[index]
        labels = batch.to_numpy(dtype=object)
    else:
        labels = np.asarray(list(batch), dtype=object)
    if len(labels) != len(index):
        raise ValueError(f"{where}: {len(labels)} batch labels for {len(index)} patients")
    missing = pd.isna(labels)
    if missing.any():
        raise ValueError(f"{where}: patient {index[np.flatnonzero(missing)[0]]!r} has no batch (missing value)")
    return labels
