"""What an external validation shows, as numbers (``validation.json``) and tables (CSV).

Cox models (:func:`hccdash.stats.validation.validate_cox` on the model file, see
:mod:`hccdash.validation.fitted`): Harrell's C with a percentile bootstrap CI
(``EvaluationSettings.n_bootstrap`` resamples, seeded), Uno's C truncated at the last horizon,
the time-dependent AUC at each horizon; the calibration slope (``coxph(Surv ~ lp)`` on the new
patients) with its SE and Wald CI; observed / expected events with the Poisson CI; calibration
at each horizon (predicted S(t) vs Kaplan-Meier S(t) by quantile groups of the prediction, with
the KM log CI); the IPCW Brier score at each horizon, the Kaplan-Meier null model's and the
scaled Brier (IPA = 1 - Brier / null); Kaplan-Meier curves of the model's **saved** risk groups
(its cut-off, unchanged) with the log-rank test and the high vs low hazard ratio; decision
curves at each horizon.

Logistic models (:func:`~hccdash.stats.validation.validate_logistic`): ROC AUC with DeLong CI,
calibration intercept (slope fixed at 1) and slope, Brier score, calibration by deciles with
Clopper-Pearson CIs, Hosmer-Lemeshow (deciles, df = groups - 2), decision curve.

Both: the case mix (:mod:`hccdash.validation.case_mix`). Every number sits in the ``metrics``
table (metric, horizon, value, lower, upper), which the page shows and ``validation.json``
holds unchanged, so the page and the CLI show the same figures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from hccdash import stats
from hccdash.evaluation import calibration, decision, risk_groups
from hccdash.evaluation.predictions import Prediction
from hccdash.spreadsheet import csv_text
from hccdash.settings import EvaluationSettings
from hccdash.stats.validation import validate_cox, validate_logistic
from hccdash.store import Store
from hccdash.validation.case_mix import Development, case_mix_table, development_lp, membership_model
from hccdash.validation.fitted import ModelFileCox, ModelFileLogistic
from hccdash.validation.inputs import ValidationData, ValidationPlan, assemble
from hccdash.stats.results import LogRankTest

JSON_FILE = "validation.json"
METRIC_COLUMNS = ["metric", "horizon", "value", "lower", "upper"]


@dataclass(frozen=True)
class ValidationReport:
    """The numbers (``summary``, JSON-ready) and tables of one validation."""

    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame]

    @property
    def metrics(self) -> pd.DataFrame:
        """metric, horizon (months; NaN when none), value, lower, upper (NaN when no CI)."""
        return self.tables["metrics"]

    def value(self, metric: str, horizon: float | None = None) -> float:
        """One metric's value (at ``horizon`` for the per-horizon ones)."""
        table = self.metrics[self.metrics["metric"] == metric]
        if horizon is not None:
            table = table[np.isclose(table["horizon"].astype(float), horizon)]
        if len(table) != 1:
            raise KeyError(f"No single metric {metric!r} at horizon {horizon}")
        return float(table["value"].iloc[0])

    def to_json(self) -> str:
        return json.dumps(_plain(self.summary), indent=1, allow_nan=False)

    def write(self, folder: str | Path) -> list[Path]:
        """``validation.json`` and one CSV per table into ``folder`` (created); the paths written."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written = [folder / JSON_FILE]
        written[0].write_text(self.to_json())
        for name, table in self.tables.items():
            path = folder / f"{name}.csv"
            path.write_text(csv_text(table), newline="")
            written.append(path)
        return written


def _plain(value: Any) -> Any:
    """JSON-ready: numpy scalars as Python numbers, NaN as None, frames as records."""
    if isinstance(value, pd.DataFrame):
        return _plain(value.to_dict(orient="records"))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _row(metric: str, value: float, lower: float = np.nan, upper: float = np.nan,
         horizon: float = np.nan) -> dict[str, Any]:
    """One metric; an infinite number (a CI that does not close) is NaN, as JSON has no infinity."""
    finite = [float(v) if np.isfinite(v) else np.nan for v in (horizon, value, lower, upper)]
    return dict(zip(METRIC_COLUMNS, [metric, *finite]))


def _cox_metrics(data: ValidationData, lp: np.ndarray, settings: EvaluationSettings) -> tuple[list[dict], pd.DataFrame]:
    """Metric rows and the per-horizon table of a Cox model."""
    time, event = data.outcome["time"].to_numpy(float), data.outcome["event"].to_numpy(int)
    horizons = list(data.plan.horizons)
    result = validate_cox(ModelFileCox(data.model), data.inputs, time, event, horizons)
    _, lower, upper = stats.bootstrap_c(time, event, lp, settings.n_bootstrap, settings.seed, settings.ci_level)
    z = sps.norm.ppf(0.5 + settings.ci_level / 2)
    slope, se = result["calibration_slope"], result["calibration_slope_se"]
    rows = [
        _row("harrell_c", result["c_index"], lower, upper),
        _row("uno_c", stats.uno_c(time, event, lp, max(horizons))),
        _row("calibration_slope", slope, slope - z * se, slope + z * se),
        _row("calibration_slope_se", se),
        _row("observed_events", result["observed"]),
        _row("expected_events", result["expected"]),
        _row("oe_ratio", result["oe_ratio"], result["oe_lower"], result["oe_upper"]),
    ]
    per_horizon = pd.DataFrame({
        "horizon": result["times"], "td_auc": result["td_auc"], "brier": result["brier"],
        "brier_null": result["brier_null"], "scaled_brier": result["ipa"],
        "at_risk": stats.number_at_risk(time, result["times"]),
    })
    for row in per_horizon.itertuples(index=False):
        rows += [_row(name, getattr(row, name), horizon=row.horizon)
                 for name in ("td_auc", "brier", "brier_null", "scaled_brier")]
    return rows, per_horizon


def _logistic_metrics(data: ValidationData, settings: EvaluationSettings) -> list[dict]:
    result = validate_logistic(ModelFileLogistic(data.model), data.inputs, data.outcome["y"].to_numpy(float))
    return [
        _row("auc", result["auc"], result["auc_lower"], result["auc_upper"]),
        _row("calibration_intercept", result["calibration_intercept"]),
        _row("calibration_slope", result["calibration_slope"]),
        _row("brier", result["brier"]),
    ]


def prediction_of(data: ValidationData, label: str) -> Prediction:
    """The model's predictions on the validation patients, in the form the evaluation tables take."""
    model = data.model
    lp = model.linear_predictor(data.inputs)
    outcome = data.outcome
    common = dict(model=label, split=data.plan.subset, ids=outcome.index, time=outcome["time"].to_numpy(float),
                  event=outcome["event"].to_numpy(int), lp=lp, horizons=tuple(data.plan.horizons))
    if model.family == "cox":
        return Prediction(family="cox", y=None, surv=model.predict_survival(data.inputs, list(data.plan.horizons)),
                          prob=None, **common)
    return Prediction(family="logistic", y=outcome["y"].to_numpy(float), surv=None,
                      prob=model.predict_proba(data.inputs), **common)


def _risk_groups(data: ValidationData, lp: np.ndarray, settings: EvaluationSettings) -> dict[str, pd.DataFrame]:
    """Counts per saved risk group, log-rank test and (two groups) HR of the upper group, KM curves
    and numbers at risk."""
    groups = data.model.spec["risk_groups"]
    labels = list(groups["labels"])
    assigned = data.model.group_of(lp)
    time, event = data.outcome["time"].to_numpy(float), data.outcome["event"].to_numpy(int)
    counts = pd.DataFrame([{"group": g, "n": int((assigned == g).sum()), "events": int(event[assigned == g].sum())}
                           for g in labels])
    present = counts.loc[counts["n"] > 0, "group"].tolist()
    test = (stats.logrank(time, event, assigned) if len(present) > 1
            else LogRankTest(np.nan, 0, np.nan, {}, {}))
    out = {"risk_group_counts": counts.assign(cutoffs=", ".join(f"{c:.6g}" for c in groups["cutoffs"]),
                                              logrank_chisq=test["chisq"], logrank_df=test["df"], logrank_p=test["p"])}
    if len(labels) == 2:
        high = (assigned == labels[1]).astype(int)
        table_times = np.arange(0, float(time.max()) + 1e-9, settings.at_risk_step_months)
        rename = {"low": labels[0], "high": labels[1]}
        comparison = risk_groups.compare_groups(time, event, high, data.plan.subset, settings.ci_level)
        out["km_curves"] = risk_groups.km_curves(time, event, high, data.plan.subset).replace({"group": rename})
        out["at_risk"] = risk_groups.at_risk_table(time, high, table_times, data.plan.subset).replace({"group": rename})
        out["risk_group_counts"] = out["risk_group_counts"].assign(
            hr=comparison.hr, hr_lower=comparison.hr_lower, hr_upper=comparison.hr_upper, hr_p=comparison.p_hr)
    return out


def validation_report(data: ValidationData, settings: EvaluationSettings | None = None,
                      development: Development | None = None, model_sha256: str | None = None) -> ValidationReport:
    """Validate ``data``'s model on its patients (module docstring). ``development``: the
    development patients' linear predictor for the case mix (:func:`~hccdash.validation.case_mix.development_lp`)."""
    settings = settings or EvaluationSettings()
    model = data.model
    plan = data.plan
    lp = model.linear_predictor(data.inputs)
    cox = model.family == "cox"
    tables: dict[str, pd.DataFrame] = {}
    if cox:
        rows, tables["horizons"] = _cox_metrics(data, lp, settings)
    else:
        rows = _logistic_metrics(data, settings)
    prediction = prediction_of(data, model.name)
    key = {(model.name, plan.subset): prediction}
    tables["calibration"] = calibration.calibration_tables(key, plan.horizons, settings)
    if not cox:
        tables["hosmer_lemeshow"] = calibration.hosmer_lemeshow_table(key, settings.hl_groups)
        hl = tables["hosmer_lemeshow"].iloc[0]
        rows.append(_row("hosmer_lemeshow_chisq", hl["chisq"]))
        rows.append(_row("hosmer_lemeshow_p", hl["p"]))
    tables["decision_curves"] = decision.decision_curves(key, plan.horizons, decision.thresholds(settings.dca_thresholds))
    tables.update(_risk_groups(data, lp, settings))
    counts = tables["risk_group_counts"].iloc[0]
    rows.append(_row("logrank_p", counts["logrank_p"]))
    if "hr" in counts:  # not estimable (monotone likelihood) when a group has no event: NaN, not a huge number
        estimable = np.isfinite([counts["hr_lower"], counts["hr_upper"]]).all() and counts["hr_lower"] > 0
        rows.append(_row("risk_group_hr", *(counts[["hr", "hr_lower", "hr_upper"]] if estimable else [np.nan] * 3)))
    development = development or Development(None, "not computed")
    overlap = development.lp is not None and plan.cohort == model.spec["training"]["cohort"] and \
        len(development.lp.index.intersection(data.inputs.index)) > 0
    tables["case_mix"] = case_mix_table(model, pd.Series(lp, index=data.inputs.index), development)
    tables["lp_values"] = pd.concat([pd.DataFrame({"cohort": "development", "lp": development.lp})
                                     if development.lp is not None else None,
                                     pd.DataFrame({"cohort": "validation", "lp": lp})], ignore_index=True)
    membership_note = development.note
    if development.lp is not None and not overlap:
        member = membership_model(development.lp, lp, settings.ci_level)
        rows.append(_row("membership_c", member.c, member.lower, member.upper))
    elif overlap:
        membership_note = "the validation patients include development patients: no membership model"
    tables["metrics"] = pd.DataFrame(rows, columns=METRIC_COLUMNS)
    tables["predictions"] = _predictions(data, prediction)
    tables["excluded"] = data.excluded
    tables["warnings"] = data.warnings
    tables["mapping"] = plan.mapping.table()
    summary = {
        "model": model.name,
        "model_sha256": model_sha256,
        "family": model.family,
        "endpoint": model.spec["endpoint"],
        "cohort": plan.cohort,
        "set": plan.subset,
        "features": plan.features.description(),
        "n": len(data.inputs),
        "events": data.n_events,
        "excluded": len(data.excluded),
        "horizons": list(plan.horizons) if cox else [],
        "case_mix": {"development": development.note, "membership_model": membership_note,
                     "overlap": bool(overlap)},
        "settings": {"n_bootstrap": settings.n_bootstrap, "seed": settings.seed, "ci_level": settings.ci_level,
                     "calibration_groups": settings.calibration_groups, "hl_groups": settings.hl_groups},
        "mapping": plan.mapping.to_dict(),
        "metrics": tables["metrics"],
        "tables": sorted(tables),
    }
    return ValidationReport(summary, tables)


def _predictions(data: ValidationData, prediction: Prediction) -> pd.DataFrame:
    """Per patient: time, event (and y), lp, saved risk group, S(t) per horizon or P(ER)."""
    out = data.outcome.copy()
    out["lp"] = prediction.lp
    out["risk_group"] = data.model.group_of(prediction.lp)
    if prediction.survival:
        for j, h in enumerate(prediction.horizons):
            out[f"surv_{h:g}m"] = prediction.surv[:, j]
    else:
        out["er_prob"] = prediction.prob
    return out.rename_axis("patient_id").reset_index()


def run_validation(plan: ValidationPlan, model_sha256: str | None = None, settings: EvaluationSettings | None = None,
                   store: Store | None = None) -> tuple[ValidationData, ValidationReport]:
    """A planned validation whose features are all extracted: its data (:func:`assemble`) and its
    report, with the case mix against the model's development patients when they are stored.
    The page and the ``validate`` command both call this."""
    data = assemble(plan, store)
    return data, validation_report(data, settings, development_lp(plan.model, store), model_sha256)
