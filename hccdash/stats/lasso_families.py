"""Loss, gradient and Hessian of the two LASSO families, on the linear predictor ``eta``.

Both losses are glmnet's: minus the log-likelihood divided by the number of rows n.

- Cox (:class:`CoxFamily`): Breslow partial likelihood. Rows are sorted by time once;
  the risk set of an event at time t is every row with time >= t, and tied events all use
  the same risk-set sum, so each risk-set sum is a reverse cumulative sum read at the
  first row of the tie group.
- Binomial (:class:`BinomialFamily`): Bernoulli log-likelihood of 0/1 outcomes.

The solver (``lasso_solver``) only calls ``loss``, ``parts``, ``gradient`` and ``hessian`` (the
last two take the ``parts`` they share, computed once per linear predictor); the
cross-validation (``lasso_cv``) calls ``deviance`` on many linear predictors at once.
"""

from __future__ import annotations

import numpy as np


def _reverse_cumsum(values: np.ndarray) -> np.ndarray:
    return values[::-1].cumsum(axis=0)[::-1]


class CoxFamily:
    """Breslow partial likelihood of right-censored data already sorted by time."""

    name = "cox"

    def __init__(self, time: np.ndarray, event: np.ndarray):
        time = np.asarray(time, dtype=float)
        if np.any(np.diff(time) < 0):
            raise ValueError("CoxFamily needs rows sorted by time")
        self.n = time.size
        self.time = time
        self.event = np.asarray(event, dtype=float)
        starts = np.flatnonzero(np.r_[True, time[1:] != time[:-1]])
        sizes = np.diff(np.r_[starts, self.n])
        # index of the first / last row of each row's tie group
        self.first = np.repeat(starts, sizes)
        self.last = np.repeat(starts + sizes - 1, sizes)
        self.events = np.flatnonzero(self.event > 0)
        tied_deaths = np.add.reduceat(self.event, starts)
        tied_deaths = tied_deaths[tied_deaths > 0]
        self.log_saturated = -float(np.sum(tied_deaths * np.log(tied_deaths)))

    def subset(self, rows: np.ndarray) -> "CoxFamily":
        """The family of a subset of rows (``rows`` increasing keeps the time order)."""
        return CoxFamily(self.time[rows], self.event[rows])

    def _risk(self, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """exp(eta - shift), risk-set sums at each row's tie group, and the shift."""
        shift = eta.max(axis=0)
        e = np.exp(eta - shift)
        return e, _reverse_cumsum(e)[self.first], shift

    def loglik(self, eta: np.ndarray) -> np.ndarray | float:
        """Breslow log partial likelihood (one value per column if ``eta`` is n x L)."""
        _, risk, shift = self._risk(eta)
        ev = self.events
        return (eta[ev] - np.log(risk[ev]) - shift).sum(axis=0)

    def loss(self, eta: np.ndarray) -> float:
        return -float(self.loglik(eta)) / self.n

    def deviance(self, eta: np.ndarray) -> np.ndarray | float:
        """2 (saturated - model) log-likelihood, as glmnet's ``coxnet.deviance``."""
        return 2.0 * (self.log_saturated - self.loglik(eta))

    def parts(self, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """What the gradient and the Hessian at ``eta`` share: exp(eta - shift), the risk-set
        sums and the cumulative Breslow hazard at each row."""
        e, risk, _ = self._risk(eta)
        inv = np.zeros(self.n)
        inv[self.events] = 1.0 / risk[self.events]
        return e, risk, inv.cumsum()[self.last]

    def gradient(self, eta: np.ndarray, parts: tuple | None = None) -> np.ndarray:
        """d loss / d eta: -(event - exp(eta) x cumulative Breslow hazard) / n
        (``parts``: :meth:`parts` of eta, if known)."""
        e, _, cumhaz = self.parts(eta) if parts is None else parts
        return (e * cumhaz - self.event) / self.n

    def hessian(self, eta: np.ndarray, XW: np.ndarray, parts: tuple | None = None) -> np.ndarray:
        """XW' (d2 loss / d eta2) XW: weighted risk-set covariances summed over events."""
        e, risk, cumhaz = self.parts(eta) if parts is None else parts
        ev = self.events
        first = XW.T @ (XW * (e * cumhaz)[:, None])
        means = _reverse_cumsum(XW * e[:, None])[self.first[ev]] / risk[ev][:, None]
        return (first - means.T @ means) / self.n


class BinomialFamily:
    """Bernoulli log-likelihood of 0/1 outcomes (the intercept is a column of the design)."""

    name = "binomial"

    def __init__(self, y: np.ndarray):
        self.y = np.asarray(y, dtype=float)
        self.n = self.y.size

    def subset(self, rows: np.ndarray) -> "BinomialFamily":
        return BinomialFamily(self.y[rows])

    def loglik(self, eta: np.ndarray) -> np.ndarray | float:
        y = self.y if eta.ndim == 1 else self.y[:, None]
        return np.sum(y * eta - np.logaddexp(0.0, eta), axis=0)

    def loss(self, eta: np.ndarray) -> float:
        return -float(self.loglik(eta)) / self.n

    def deviance(self, eta: np.ndarray) -> np.ndarray | float:
        """-2 log-likelihood (the saturated model of 0/1 outcomes has log-likelihood 0)."""
        return -2.0 * self.loglik(eta)

    def parts(self, eta: np.ndarray) -> np.ndarray:
        """The probabilities at ``eta`` (what the gradient and the Hessian share)."""
        return _expit(eta)

    def gradient(self, eta: np.ndarray, parts: np.ndarray | None = None) -> np.ndarray:
        return ((_expit(eta) if parts is None else parts) - self.y) / self.n

    def hessian(self, eta: np.ndarray, XW: np.ndarray, parts: np.ndarray | None = None) -> np.ndarray:
        p = _expit(eta) if parts is None else parts
        return XW.T @ (XW * (p * (1.0 - p) / self.n)[:, None])


def _expit(eta: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * eta))
