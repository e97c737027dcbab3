"""Case mix: how different the validation patients are from the development patients, so a
poor validation can be read as a transportability problem (other patients) or a
reproducibility one (similar patients, the model does not hold), as Debray et al. propose
(J Clin Epidemiol 2015;68:279-89).

- The distribution of the model's linear predictor in both cohorts (n, mean, SD, quantiles):
  a wider spread in validation means more heterogeneous patients (a higher C can be expected),
  a shifted mean other baseline risks.
- A **membership model**: logistic regression of "is a validation patient" (1) versus "is a
  development patient" (0) on the linear predictor alone, ``glm(member ~ lp, family =
  binomial)``, and its C-statistic (ROC AUC of the fitted probabilities, DeLong 95% CI, as
  ``pROC::ci.auc``). Debray et al. fit it on the predictors and the outcome; here it is on the
  linear predictor only, so it measures the difference along the model's own risk axis
  (C = 0.5: the same case mix; near 1: the cohorts barely overlap).

The development patients are the model's training rows when its training cohort is stored
here and its training split reproduces the model file's training fingerprint (same patients,
times and events: :func:`development_lp`); otherwise only the validation side and the model
file's development mean of the linear predictor (from the term means) are shown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hccdash.registry.model_file import training_fingerprint
from hccdash.registry.json_model import JsonModel
from hccdash.stats.logistic import logistic_fit
from hccdash.stats.roc import delong_ci
from hccdash.store import Store

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


@dataclass(frozen=True)
class Development:
    """The development patients' linear predictor, or why it is not available."""

    lp: pd.Series | None
    note: str


def development_lp(model: JsonModel, store: Store | None = None) -> Development:
    """The linear predictor of the model's own training rows (see the module docstring)."""
    from hccdash.cohort.load import list_cohorts, load_cohort
    from hccdash.validation.inputs import assemble, plan_validation

    store = store or Store()
    cohort = model.spec["training"]["cohort"]
    if not cohort or cohort not in list_cohorts(store):
        return Development(None, f"the development cohort ({cohort or 'not named'}) is not stored here")
    split = load_cohort(cohort, store).patients["split"]
    subset = "train" if (split == "train").any() else "all"
    try:
        plan = plan_validation(model, cohort, subset, store=store)
        if not plan.features.pending.empty:
            return Development(None, f"the development cohort {cohort!r} lacks extracted features for the model")
        data = assemble(plan, store)
    except ValueError as exc:
        return Development(None, f"the development rows cannot be rebuilt: {exc}")
    outcome = data.outcome
    if training_fingerprint(outcome.index, outcome["time"], outcome["event"]) != model.spec["training"]["fingerprint"]:
        return Development(None, f"the {subset} set of the stored cohort {cohort!r} is not the model's training data "
                                 "(fingerprints differ)")
    lp = pd.Series(model.linear_predictor(data.inputs), index=data.inputs.index, name="lp")
    return Development(lp, f"the {subset} set of cohort {cohort!r} ({len(lp)} patients, fingerprint verified)")


def lp_summary(lp: pd.Series | np.ndarray, cohort: str) -> dict[str, float | str]:
    """n, mean, SD (n - 1) and the :data:`QUANTILES` of a linear predictor."""
    values = np.asarray(lp, dtype=float)
    row = {"cohort": cohort, "n": int(values.size), "mean": float(values.mean()),
           "sd": float(values.std(ddof=1)) if values.size > 1 else float("nan")}
    row.update({f"q{round(q * 100):02d}": float(np.quantile(values, q)) for q in QUANTILES})
    return row


def development_mean(model: JsonModel) -> float:
    """The development mean of the linear predictor from the model file: a + sum b_j mean_j."""
    terms = model.terms
    return float((model.spec["model"]["intercept"] or 0.0) + terms["coef"].astype(float) @ terms["mean"].astype(float))


@dataclass(frozen=True)
class MembershipModel:
    """``glm(member ~ lp, binomial)``: slope of the lp, C-statistic with DeLong CI."""

    slope: float
    c: float
    lower: float
    upper: float


def membership_model(development: pd.Series | np.ndarray, validation: pd.Series | np.ndarray,
                     level: float = 0.95) -> MembershipModel:
    """The membership model (module docstring) of validation (1) against development (0) patients."""
    lp = np.concatenate([np.asarray(development, float), np.asarray(validation, float)])
    member = np.concatenate([np.zeros(len(development)), np.ones(len(validation))])
    fit = logistic_fit(pd.DataFrame({"lp": lp}), member)
    c, lower, upper = delong_ci(member, fit.predict_proba(pd.DataFrame({"lp": lp})), level)
    return MembershipModel(float(fit.coef_["lp"]), c, lower, upper)


def case_mix_table(model: JsonModel, validation_lp: pd.Series, development: Development) -> pd.DataFrame:
    """One row per cohort (development, validation): n, mean, SD and quantiles of the linear
    predictor; without development rows, the development row holds the model file's mean only."""
    rows = [lp_summary(validation_lp, "validation")]
    if development.lp is not None:
        rows.insert(0, lp_summary(development.lp, "development"))
    else:
        rows.insert(0, {"cohort": "development", "n": model.spec["training"]["n"], "mean": development_mean(model)})
    return pd.DataFrame(rows)
