"""Updating a registry model on a new cohort, in Steyerberg's order (Clinical Prediction Models,
2nd ed., 2019, ch. 20; Vergouwe et al., Stat Med 2017;36:4529-39), each step re-estimating more:

1. ``recalibration_in_the_large``: the coefficients are kept. Cox: the baseline hazard is
   re-estimated on the new patients with the linear predictor as an offset, the Efron-adjusted
   baseline of R ``survfit(coxph(Surv(time, event) ~ offset(lp)))`` (Breslow's with Breslow
   ties). Logistic: a new intercept a + alpha, alpha from ``glm(y ~ offset(lp), binomial)``, so
   the mean predicted risk equals the observed proportion on the new patients.
2. ``logistic_recalibration``: slope and baseline. Cox: s from ``coxph(Surv ~ lp)``, coefficients
   s b, then the baseline as in 1. Logistic: (alpha, s) from ``glm(y ~ lp, binomial)``, intercept
   alpha + s a, coefficients s b.
3. ``refit``: every coefficient re-estimated on the new patients' terms (the same codings,
   cut-offs and rad-score: the rad-score's feature weights stay inside it), ``coxph`` / ``glm``.

Covariance of the updated coefficients (it gives the calculator's CIs): refit, the fit's own;
otherwise the delta method with the development (a, b, covariance V) and the update (alpha, s,
covariance W) taken as independent: recalibration in the large keeps V and adds var(alpha) to the
intercept's variance; logistic recalibration gives s^2 V + J W J' with J the derivative of
(alpha + s a, s b) by (alpha, s) (Cox: s^2 V + b b' var(s)).

With tied event times the Efron baseline gives an expected count a little above the observed one
on the updating patients (O / E = 1 exactly without ties, or with Breslow ties).

Risk groups: recalibration in the large keeps the cut-off (the linear predictor is unchanged);
logistic recalibration maps it as the linear predictor (c -> alpha + s c), so the same patients
stay in each group (re-learned when s <= 0); refitting learns it again on the new patients by the
model's method (median, maxstat or percentile; median for a typed cut-off). A cut-off outside
the new patients' range is re-learned by the median.

The updated model is a new model file (:func:`update_model`) whose ``training`` is the
updating patients and whose ``lineage`` lists each update (parent model and its SHA-256,
method, cohort, set, patients, events); :func:`save_update` registers it as a new registry
model, so predictions, the calculator and the JSON export use it like any other.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
import pandas as pd

from hccdash import stats
from hccdash.evaluation.risk_groups import PERCENTILE_RE, percentile_cutoff, training_cutoff
from hccdash.metric_names import discrimination_metric
from hccdash.registry import registry
from hccdash.registry.model_file import ModelParts, RadScore, build_spec
from hccdash.registry.json_model import JsonModel, design_matrix
from hccdash.registry.registry import ModelRecord
from hccdash.registry.spec import NAME_PATTERN, validate
from hccdash.settings import EvaluationSettings
from hccdash.stats.logistic import INTERCEPT
from hccdash.stats.validation import validate_logistic
from hccdash.validation.fitted import ModelFileLogistic
from hccdash.validation.inputs import ValidationData
from hccdash.validation.report import ValidationReport, validation_report

METHODS = {
    "recalibration_in_the_large": "recalibration in the large (new baseline / intercept, coefficients kept)",
    "logistic_recalibration": "logistic recalibration (slope and baseline / intercept)",
    "refit": "refitting (every coefficient re-estimated)",
}
SHORT = {"recalibration_in_the_large": "recal", "logistic_recalibration": "slope", "refit": "refit"}


def default_name(parent: str, method: str, cohort: str) -> str:
    """A registry name for an update: ``<parent>-<recal|slope|refit>-<cohort>`` (at most 64
    characters, characters a model name may not hold replaced by ``_``)."""
    cohort = re.sub(r"[^A-Za-z0-9_.\-]+", "_", cohort).strip("_.-") or "cohort"
    suffix = f"-{SHORT[method]}-{cohort}"[:40]
    return f"{parent[:64 - len(suffix)]}{suffix}"


def fit_options(record: ModelRecord) -> dict[str, Any]:
    """How the registered model was fitted, for its updates: ``ties`` of its Cox fits and the
    ``minprop`` of its maxstat cut-off (its saved settings; Efron and the default when a model
    imported from JSON does not record them)."""
    settings = record.meta.get("settings", {})
    return {"ties": str(settings.get("model", {}).get("ties", "efron")),
            "minprop": float(settings.get("evaluation", {}).get("maxstat_minprop",
                                                                 EvaluationSettings().maxstat_minprop))}


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"Update method must be one of {list(METHODS)}, got {method!r}")


def _rad_score(model: JsonModel) -> RadScore | None:
    rad = model.spec["radiomics"]
    if rad is None:
        return None
    f = model.features
    return RadScore(coef=f["coef"].astype(float), mean=f["mean"].astype(float), sd=f["sd"].astype(float),
                    intercept=float(rad["intercept"]), extraction=rad["extraction"], name=model.rad_score_name)


def _parts(model: JsonModel, coef: pd.Series, covariance: pd.DataFrame, intercept: float | None,
           cutoffs: list[float] | None, cutoff_method: str, ties: str) -> ModelParts:
    """The model's parts (terms, levels, rad-score, labels, units) with new estimates."""
    spec = model.spec
    predictors = spec["predictors"]
    return ModelParts(
        kind=spec["endpoint"]["kind"], submodel=spec["model"]["submodel"],
        terms=[{k: t[k] for k in ("name", "predictor", "type", "level", "cutoff", "log", "knots", "basis") if k in t}
               for t in spec["model"]["terms"]],  # the same codings (log and spline terms too)
        coef=coef, covariance=covariance, intercept=intercept,
        levels={p["name"]: list(p["levels"]) for p in predictors if p["kind"] == "categorical"},
        rad=_rad_score(model), er_horizon=spec["endpoint"]["er_horizon"], ties=ties, cutoffs=cutoffs,
        cutoff_method=cutoff_method, labels={p["name"]: p["label"] for p in predictors},
        units={p["name"]: p["unit"] for p in predictors},
    )


def _order(model: JsonModel) -> list[str]:
    """The rows of the model file's covariance: the terms (a logistic model's intercept first)."""
    return list(model.terms.index) if model.family == "cox" else [INTERCEPT, *model.terms.index]


def _covariance(model: JsonModel) -> pd.DataFrame:
    order = _order(model)
    return pd.DataFrame(np.asarray(model.spec["model"]["covariance"], float), index=order, columns=order)


def _estimates(model: JsonModel, data: ValidationData, design: pd.DataFrame, method: str,
               ties: str) -> dict[str, Any]:
    """New coefficients, covariance and intercept, and the recalibration (alpha, s) when there is one."""
    b = model.coef
    V = _covariance(model)
    lp = model.linear_predictor(data.inputs)
    time, event = data.outcome["time"].to_numpy(float), data.outcome["event"].to_numpy(int)
    if model.family == "cox":
        if method == "recalibration_in_the_large":
            return {"coef": b, "cov": V, "intercept": None, "alpha": None, "slope": None}
        if method == "logistic_recalibration":
            fit = stats.cox_fit(pd.DataFrame({"lp": lp}), time, event, ties=ties)
            s, var_s = float(fit.coef_["lp"]), float(fit.cov_.iloc[0, 0])
            cov = s**2 * V + np.outer(b, b) * var_s
            return {"coef": s * b, "cov": cov, "intercept": None, "alpha": None, "slope": s}
        fit = stats.cox_fit(design, time, event, ties=ties)
        return {"coef": fit.coef_, "cov": fit.cov_, "intercept": None, "alpha": None, "slope": None}
    y = data.outcome["y"].to_numpy(float)
    a = float(model.spec["model"]["intercept"])
    if method == "recalibration_in_the_large":
        alpha = float(validate_logistic(ModelFileLogistic(model), data.inputs, y)["calibration_intercept"])
        p = 1 / (1 + np.exp(-(lp + alpha)))
        cov = V.copy()
        cov.loc[INTERCEPT, INTERCEPT] += 1 / float(np.sum(p * (1 - p)))  # var(alpha) of the offset glm
        return {"coef": b, "cov": cov, "intercept": a + alpha, "alpha": alpha, "slope": None}
    if method == "logistic_recalibration":
        fit = stats.logistic_fit(pd.DataFrame({"lp": lp}), y)
        alpha, s = float(fit.intercept_), float(fit.coef_["lp"])
        jacobian = np.column_stack([np.r_[1.0, np.zeros(len(b))], np.r_[a, b.to_numpy()]])  # by (alpha, s)
        W = fit.cov_.to_numpy()
        cov = pd.DataFrame(s**2 * V.to_numpy() + jacobian @ W @ jacobian.T, index=V.index, columns=V.columns)
        return {"coef": s * b, "cov": cov, "intercept": alpha + s * a, "alpha": alpha, "slope": s}
    fit = stats.logistic_fit(design, y)
    return {"coef": fit.coef_, "cov": fit.cov_, "intercept": float(fit.intercept_), "alpha": None, "slope": None}


def _cutoffs(model: JsonModel, method: str, estimates: dict[str, Any], new_lp: np.ndarray,
             data: ValidationData, minprop: float) -> tuple[list[float], str]:
    """The updated model's risk-group cut-offs and how they were found (module docstring)."""
    groups = model.spec["risk_groups"]
    old, how = [float(c) for c in groups["cutoffs"]], groups["method"]
    if method == "recalibration_in_the_large":
        cutoffs = old
    elif method == "logistic_recalibration" and estimates["slope"] > 0:
        shift = estimates["alpha"] or 0.0
        cutoffs = [shift + estimates["slope"] * c for c in old]
    else:
        time, event = data.outcome["time"].to_numpy(float), data.outcome["event"].to_numpy(int)
        percentile = PERCENTILE_RE.match(how)
        if percentile:
            cutoffs = [percentile_cutoff(new_lp, float(percentile[1]))]
        else:
            how = how if how == "maxstat" else "median"
            cutoffs = [training_cutoff(time, event, new_lp, how, minprop)]
    if any(not new_lp.min() <= c < new_lp.max() for c in cutoffs):
        cutoffs, how = [float(np.median(new_lp))], "median"
    return cutoffs, how


def update_model(model: JsonModel, data: ValidationData, method: str, *, name: str, notes: str = "",
                 parent_sha256: str | None = None, ties: str = "efron",
                 minprop: float = EvaluationSettings().maxstat_minprop) -> dict[str, Any]:
    """The model file of ``model`` updated by ``method`` on ``data``'s patients (module
    docstring), named ``name``, with its lineage. ``ties`` / ``minprop``: how the model was
    fitted (:func:`fit_options`). Nothing is stored (see :func:`save_update`)."""
    _check_method(method)
    if data.model is not model and data.model.spec is not model.spec:
        raise ValueError("The validation data were prepared for another model")
    design = pd.DataFrame(design_matrix(model.spec["model"]["terms"], model.complete(data.inputs)),
                          index=data.inputs.index, columns=model.terms.index)
    estimates = _estimates(model, data, design, method, ties)
    coef = pd.Series(np.asarray(estimates["coef"], float), index=model.terms.index)
    new_lp = design.to_numpy() @ coef.to_numpy() + (estimates["intercept"] or 0.0)
    cutoffs, how = _cutoffs(model, method, estimates, new_lp, data, minprop)
    cov = pd.DataFrame(np.asarray(estimates["cov"], float), index=_order(model), columns=_order(model))
    plan = data.plan
    time, event = data.outcome["time"].to_numpy(float), data.outcome["event"].to_numpy(int)
    y = data.outcome["y"].to_numpy(float) if model.family == "logistic" else None
    discrimination = stats.harrell_c(time, event, new_lp) if y is None else stats.auc(y, new_lp)
    parts = _parts(model, coef, cov, estimates["intercept"], cutoffs, how, ties)
    cohort = plan.cohort if re.fullmatch(NAME_PATTERN, plan.cohort) else None
    spec = build_spec(parts, data.inputs, time, event, name=name, notes=notes, cohort=cohort,
                      metrics={discrimination_metric(model.family)[0]: {"updating": float(discrimination)}},
                      horizons=tuple(model.horizons))
    step = {
        "parent": model.name,
        "parent_sha256": parent_sha256,
        "method": method,
        "cohort": plan.cohort,
        "set": plan.subset,
        "n": int(len(data.inputs)),
        "events": data.n_events,
        "slope": estimates["slope"],
        "intercept_shift": estimates["alpha"],
        "created_at": dt.datetime.now().isoformat(timespec="seconds"),
    }
    spec["lineage"] = [*model.spec.get("lineage", []), step]
    validate(spec)
    return spec


def save_update(spec: dict[str, Any], notes: str = "") -> ModelRecord:
    """Register an updated model file under its name (refused, nothing stored, when the name is taken)."""
    return registry.save_model_file(spec, spec["name"], notes or spec.get("notes", ""))


def comparison_table(original: ValidationReport, updated: ValidationReport) -> pd.DataFrame:
    """The original and the updated model on the same patients: metric, horizon, original,
    updated (the updated model's figures are apparent: it was fitted on these patients)."""
    keys = ["metric", "horizon"]
    left = original.metrics[keys + ["value"]].rename(columns={"value": "original"})
    right = updated.metrics[keys + ["value"]].rename(columns={"value": "updated"})
    return left.merge(right, on=keys, how="left")


def update_and_compare(data: ValidationData, method: str, *, name: str, notes: str = "",
                       parent_sha256: str | None = None, settings: EvaluationSettings | None = None,
                       original: ValidationReport | None = None,
                       **options: Any) -> tuple[dict[str, Any], pd.DataFrame]:
    """The updated model file (not stored) and the table comparing it with the original on
    ``data``'s patients; ``options``: ``ties`` and ``minprop`` of :func:`update_model`."""
    spec = update_model(data.model, data, method, name=name, notes=notes, parent_sha256=parent_sha256, **options)
    original = original or validation_report(data, settings)
    updated = validation_report(data.for_model(JsonModel(spec, validated=True)), settings)
    return spec, comparison_table(original, updated)
