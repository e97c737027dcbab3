"""Likelihood-ratio test of nested models, as ``anova(fit_small, fit_big)``."""

from __future__ import annotations

from scipy import stats

from hccdash.stats.cox import CoxModel
from hccdash.stats.logistic import LogisticModel
from hccdash.stats.results import ChiSquareTest


def likelihood_ratio_test(small: CoxModel | LogisticModel, big: CoxModel | LogisticModel) -> ChiSquareTest:
    """LR test of ``small`` nested in ``big``: chisq = 2 (loglik_big - loglik_small),
    df = difference in the number of coefficients, p = P(chi2_df > chisq), as
    ``anova(coxph_small, coxph_big)`` or ``anova(glm_small, glm_big, test = "Chisq")``.

    Both fits must be the same family (and Cox ties), on the same patients (same n and number
    of events), and every coefficient of ``small`` must be one of ``big``'s; otherwise
    ValueError.
    """
    if type(small) is not type(big) or not isinstance(small, (CoxModel, LogisticModel)):
        raise ValueError(
            f"both models must be Cox or both logistic fits, got {type(small).__name__} and {type(big).__name__}"
        )
    if isinstance(small, CoxModel) and small.ties != big.ties:
        raise ValueError(f"the Cox fits use different ties ({small.ties!r}, {big.ties!r})")
    if (small.n_, small.n_events_) != (big.n_, big.n_events_):
        raise ValueError(
            f"the models were fitted on different data: n = {small.n_} vs {big.n_}, "
            f"events = {small.n_events_} vs {big.n_events_}"
        )
    extra = [name for name in small.coef_.index if name not in big.coef_.index]
    if extra:
        raise ValueError(f"the small model is not nested in the big one: {extra} not in the big model")
    df = big.n_params_ - small.n_params_
    if df < 1:
        raise ValueError("the big model must have more coefficients than the small one")
    chisq = 2.0 * (big.loglik_ - small.loglik_)
    return ChiSquareTest(float(chisq), int(df), float(stats.chi2.sf(max(chisq, 0.0), df)))
