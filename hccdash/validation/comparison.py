"""Choosing between saved models: the settings that differ, each model's discrimination with
its CI and optimism-corrected value, and two models compared on the same patients.

:func:`settings_differences` lists, for any number of registry models, the settings (of a
model saved from a fitted pipeline) and descriptions (endpoint, inputs, training size) whose
values are not the same for all.

:func:`compare_pair` applies two models of one endpoint to one stored cohort's patients
(:mod:`hccdash.validation.inputs`: clinical inputs mapped by name and unit, radiomic features
from the store; nothing refit) and keeps the patients both can predict. On them:

* discrimination: Cox, Harrell's C with its percentile bootstrap CI
  (:func:`~hccdash.stats.bootstrap_c`); logistic, the AUC with DeLong's CI;
* the difference test: Cox, :func:`~hccdash.stats.c_difference_test` (``survival::concordance
  (fit_a, fit_b)``, infinitesimal-jackknife covariance); logistic, the paired DeLong test
  (``pROC::roc.test``), its SE = difference / z;
* reclassification of model A over model B: logistic, :func:`~hccdash.stats.reclassification`
  on P(ER) (``Hmisc::improveProb(x1 = p_B, x2 = p_A, y)``); Cox,
  :func:`~hccdash.stats.reclassification_at` on the risk 1 - S(H) at a horizon H among the
  patients whose status at H is known.

The optimism-corrected value of a saved pipeline is the one its last finished optimism run
(Evaluation's background job, as ``rms::validate``) computed for the same cohort, settings
(the evaluation section aside) and clinical candidates: :func:`optimism_corrected`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from hccdash import jobs, stats
from hccdash.registry import registry
from hccdash.registry.json_model import JsonModel
from hccdash.settings import EvaluationSettings
from hccdash.stats.results import Reclassification
from hccdash.validation.inputs import ValidationData, assemble, plan_validation

DESCRIBED = ("endpoint", "er_horizon", "submodel", "terms", "predictors", "selected_features", "n_train",
             "events_train", "cutoff_method")


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flat(item, f"{prefix}{key}."))
        return out
    return {prefix[:-1]: value}


def _shown(value: Any) -> str:
    """A setting as one line of text (lists joined, missing as an empty cell)."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(_shown(v) for v in value)
    return value if isinstance(value, str) else json.dumps(value)


def settings_differences(names: list[str], store=None) -> pd.DataFrame:
    """One row per setting or description whose value differs between the models ``names``:
    column ``setting`` (dotted, e.g. ``selection.lasso_rule``) and one text column per model
    (empty where a model has no such setting, e.g. an imported JSON model has no pipeline
    settings)."""
    flat = {}
    for name in names:
        meta = registry.get(name, store=store).meta
        values = {key: meta.get(key) for key in DESCRIBED}
        values.update(_flat(meta.get("settings") or {}, "settings."))
        flat[name] = {key: _shown(value) for key, value in values.items()}
    keys = list(dict.fromkeys(k for values in flat.values() for k in values))
    rows = [{"setting": key, **{name: flat[name].get(key, "") for name in names}} for key in keys
            if len({flat[name].get(key, "") for name in names}) > 1]
    return pd.DataFrame(rows, columns=["setting", *names])


def _defining(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings that make the pipeline (all but the evaluation section)."""
    return {k: v for k, v in settings.items() if k != "evaluation"}


def optimism_corrected(name: str, store=None) -> float | None:
    """The optimism-corrected C-index (or AUC) of the saved pipeline ``name`` from the newest
    finished optimism job of its cohort with the same settings (evaluation section aside) and
    clinical candidates; None when there is none (or the model is an imported JSON file)."""
    from hccdash.evaluation import optimism
    from hccdash.evaluation.sources import SAVED_MODEL
    from hccdash.registry.pipelines import load_saved

    record = registry.get(name, store=store)
    settings = record.meta.get("settings")
    if record.kind != "pipeline" or not settings or record.cohort is None:
        return None
    candidates = None
    for job in jobs.list_jobs(kind=optimism.KIND, cohort=record.cohort, store=store):
        if job.status != "done" or not job.result or job.result.get("cancelled"):
            continue
        if _defining(job.spec.get("settings", {})) != _defining(settings):
            continue
        if candidates is None:
            candidates = list(load_saved(name).clinical_vars)
        if list(job.spec.get("clinical_vars") or []) != candidates:
            continue
        table = optimism.OptimismResult.from_json(job.result).table
        rows = table[table["model"] == SAVED_MODEL]
        if "metric" in rows:
            rows = rows[rows["metric"].isin(["C-index", "AUC"])]
        if len(rows):
            return float(rows["corrected"].iloc[0])
    return None


@dataclass(frozen=True)
class PairComparison:
    """Two registry models on the same patients (see the module docstring).

    ``discrimination``: model, metric, value, lower, upper, corrected (optimism-corrected, from
    the training cohort's optimism run; NaN when none was run); ``difference``: one row,
    test, model_a, model_b, value_a, value_b, difference, se, z, p, lower, upper;
    ``reclassification``: A over B (NRI, IDI with SE, z, p); ``n`` patients (``n_events``),
    ``left_out``: patients one of the models cannot predict; ``horizon`` (Cox) in months."""

    model_a: str
    model_b: str
    family: str
    where: str
    n: int
    n_events: int
    left_out: int
    horizon: float | None
    discrimination: pd.DataFrame
    difference: pd.DataFrame
    reclassification: Reclassification

    def reclassification_table(self) -> pd.DataFrame:
        """NRI (events, non-events, total) and IDI: estimate, SE, z, p."""
        r = self.reclassification
        rows = [("NRI, events", r.nri_events, r.nri_events_se, np.nan, np.nan),
                ("NRI, non-events", r.nri_nonevents, r.nri_nonevents_se, np.nan, np.nan),
                ("NRI (category-free)", r.nri, r.nri_se, r.nri_z, r.nri_p),
                ("IDI", r.idi, r.idi_se, r.idi_z, r.idi_p)]
        return pd.DataFrame(rows, columns=["measure", "estimate", "se", "z", "p"])


def _data(model: JsonModel, cohort: str, subset: str, source: str | None,
          horizons: list[float] | None) -> ValidationData:
    plan = plan_validation(model, cohort, subset, source=source, horizons=horizons)
    if len(plan.features.pending):
        raise ValueError(f"Model {model.name}: {len(plan.features.pending)} case(s) of {plan.where} are not extracted "
                         "with its settings yet: extract them on the Validation page first")
    return assemble(plan)


def _check_pair(a: JsonModel, b: JsonModel) -> None:
    ends = [(m.family, m.spec["endpoint"]["kind"], m.spec["endpoint"]["er_horizon"]) for m in (a, b)]
    if ends[0] != ends[1]:
        raise ValueError(f"Models {a.name} ({ends[0][0]}, {ends[0][1]}) and {b.name} ({ends[1][0]}, {ends[1][1]}) "
                         "predict different outcomes: compare two models of one endpoint")


def _difference_row(test: str, a: str, b: str, va: float, vb: float, diff: float, se: float, z: float, p: float,
                    level: float) -> pd.DataFrame:
    half = sps.norm.ppf(0.5 + level / 2) * se
    return pd.DataFrame([{"test": test, "model_a": a, "model_b": b, "value_a": va, "value_b": vb,
                          "difference": diff, "se": se, "z": z, "p": p, "lower": diff - half,
                          "upper": diff + half}])


def compare_pair(name_a: str, name_b: str, cohort: str, subset: str = "validation", *, source: str | None = None,
                 horizon: float | None = None, settings: EvaluationSettings | None = None,
                 store=None) -> PairComparison:
    """Model ``name_a`` against model ``name_b`` on the patients of ``cohort``'s ``subset``
    (``all``, ``train``, ``validation``, ``external``) that both can predict; ``source``: an
    imported feature table (default: features extracted with each model's settings);
    ``horizon`` (Cox, months): the reclassification horizon, default the middle of the
    horizons both models offer. CI level, bootstrap resamples and seed from ``settings``."""
    ev = settings or EvaluationSettings()
    a, b = registry.json_model(name_a, store=store), registry.json_model(name_b, store=store)
    _check_pair(a, b)
    survival = a.family == "cox"
    horizons = None if horizon is None or not survival else [float(horizon)]
    da, db = _data(a, cohort, subset, source, horizons), _data(b, cohort, subset, source, horizons)
    common = da.inputs.index.intersection(db.inputs.index)
    if len(common) < 10:
        raise ValueError(f"Only {len(common)} patients of {da.plan.where} can be predicted by both models: too few "
                         "to compare them")
    left_out = len(da.plan.outcome.index.union(db.plan.outcome.index)) - len(common)
    xa, xb, outcome = da.inputs.loc[common], db.inputs.loc[common], da.outcome.loc[common]
    corrected = [optimism_corrected(n, store=store) for n in (name_a, name_b)]
    if survival:
        offered = [h for h in da.plan.horizons if h in db.plan.horizons]
        if not offered:
            raise ValueError(f"No horizon is within the follow-up of {da.plan.where} for both models")
        h = float(offered[len(offered) // 2]) if horizon is None else float(horizon)
        time, event = outcome["time"].to_numpy(float), outcome["event"].to_numpy(float)
        lp_a, lp_b = a.linear_predictor(xa), b.linear_predictor(xb)
        cis = [stats.bootstrap_c(time, event, lp, ev.n_bootstrap, ev.seed, ev.ci_level) for lp in (lp_a, lp_b)]
        test = stats.c_difference_test(time, event, lp_a, lp_b, ev.ci_level)
        difference = _difference_row("C-index difference (infinitesimal jackknife)", name_a, name_b, test.c_a,
                                     test.c_b, test.difference, test.se, test.z, test.p, ev.ci_level)
        risk_a, risk_b = (1 - m.predict_survival(x, [h])[:, 0] for m, x in ((a, xa), (b, xb)))
        reclass = stats.reclassification_at(time, event, risk_b, risk_a, h)
        metric, n_events = "C-index", int(event.sum())
    else:
        h = None
        y = outcome["y"].to_numpy(float)
        p_a, p_b = a.predict_proba(xa), b.predict_proba(xb)
        cis = [stats.delong_ci(y, p, ev.ci_level) for p in (p_a, p_b)]
        test = stats.delong_test(y, p_a, p_b)
        diff = test.auc_a - test.auc_b
        se = abs(diff / test.z) if test.z else 0.0
        difference = _difference_row("AUC difference (DeLong, paired)", name_a, name_b, test.auc_a, test.auc_b,
                                     diff, se, test.z, test.p, ev.ci_level)
        reclass = stats.reclassification(y, p_b, p_a)
        metric, n_events = "AUC", int(y.sum())
    discrimination = pd.DataFrame([
        {"model": name, "metric": metric, "value": ci[0], "lower": ci[1], "upper": ci[2],
         "corrected": np.nan if corr is None else corr}
        for name, ci, corr in zip((name_a, name_b), cis, corrected)])
    return PairComparison(name_a, name_b, a.family, da.plan.where, len(common), n_events, left_out, h,
                          discrimination, difference, reclass)
