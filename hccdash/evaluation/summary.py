"""One call, every evaluation of a fitted pipeline: :func:`evaluate`.

For the clinical, radiomics and combined models side by side and the training, validation
and (three-cohort design) external validation sets side by side: discrimination, time-dependent AUC/ROC (at the horizons
that pass the at-risk rule), ROC / DeLong / Youden metrics (ER), risk groups per model,
calibration, decision curves, the hazard-ratio table, the nomogram, the rad-score's
Spearman correlations and (when the cohort has centres) every discrimination metric per
centre. Leave-one-centre-out and the optimism bootstrap refit the pipeline many times
and are separate calls (:mod:`~hccdash.evaluation.centres`, :mod:`~hccdash.evaluation.optimism`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hccdash.cohort.split import set_names
from hccdash.evaluation import calibration, correlation, decision, discrimination, forest_plot, horizons, risk_groups
from hccdash.evaluation import comparisons
from hccdash.evaluation import proportional_hazards as ph
from hccdash.evaluation.centres import metrics_by_centre
from hccdash.evaluation.data import EvaluationInput, prepare
from hccdash.evaluation.explanations import Explanation, model_explanations
from hccdash.evaluation.nomogram import CHECK_COLUMNS, nomogram_check, nomogram_ticks
from hccdash.evaluation.predictions import Prediction, all_predictions
from hccdash.modeling.builder import BuildResult, ModelBuilder
from hccdash.modeling.endpoints import Endpoint
from hccdash.modeling.pipeline import RadiomicsNomogram
from hccdash.settings import EvaluationSettings, Settings

STEPS = ("predictions", "discrimination", "proportional hazards", "risk groups", "calibration", "decision curves",
         "nomogram", "forest and correlation", "explanations", "centres")


@dataclass(frozen=True)
class Evaluation:
    """Every table of an evaluation (long format: model, split, ... columns)."""

    endpoint: Endpoint
    settings: Settings
    clinical_vars: tuple[str, ...]
    model_summary: dict
    horizon_checks: list[horizons.HorizonCheck]
    notes: list[str]
    predictions: dict[tuple[str, str], Prediction]
    discrimination: pd.DataFrame  # per model and split: c_index (Cox) or auc (logistic) with CI
    time_auc: pd.DataFrame
    time_roc: pd.DataFrame
    roc: pd.DataFrame
    delong: pd.DataFrame
    youden: pd.DataFrame
    risk_groups: dict[str, risk_groups.RiskGroups]
    calibration: pd.DataFrame
    hosmer_lemeshow: pd.DataFrame
    decision: pd.DataFrame
    forest: pd.DataFrame
    nomogram: pd.DataFrame
    correlation: pd.DataFrame
    by_centre: pd.DataFrame | None
    nomogram_check: pd.DataFrame = dataclasses.field(default_factory=lambda: pd.DataFrame(columns=CHECK_COLUMNS))
    proportional_hazards: ph.PHCheck = dataclasses.field(default_factory=ph.empty)  # Cox: cox.zph on training
    # SHAP-style contributions (combined model, inside the rad-score and the DL score), every set's patients
    explanations: dict[str, Explanation] = dataclasses.field(default_factory=dict)
    c_differences: pd.DataFrame = dataclasses.field(default_factory=lambda: pd.DataFrame(columns=comparisons.C_COLUMNS))
    reclassification: pd.DataFrame = dataclasses.field(
        default_factory=lambda: pd.DataFrame(columns=comparisons.NRI_COLUMNS))
    # the cohort's display labels and units of its variables, for the figures (nomogram axes, forest rows)
    labels: dict[str, str] = dataclasses.field(default_factory=dict)
    units: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def horizons(self) -> tuple[float, ...]:
        """Horizons offered for time-dependent metrics (Cox); empty for ER."""
        return horizons.offered(self.horizon_checks) if self.endpoint.survival else ()

    @property
    def models(self) -> list[str]:
        return list(dict.fromkeys(m for m, _ in self.predictions))

    @property
    def splits(self) -> list[str]:
        return list(dict.fromkeys(s for _, s in self.predictions))

    @property
    def set_names(self) -> dict[str, str]:
        """The name readers see for each split code ("training", "internal validation", ...)."""
        return set_names(self.splits)

    def set_name(self, split: str) -> str:
        """The name readers see for one split code."""
        return self.set_names.get(split, split)

    def named(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with its ``split`` codes replaced by the sets' names (what pages, CSV
        downloads and the report show); other columns untouched."""
        if "split" not in frame.columns:
            return frame
        return frame.assign(split=frame["split"].map(lambda s: self.set_names.get(s, s)))

    @property
    def metric_name(self) -> str:
        return "C-index" if self.endpoint.survival else "AUC"

    @property
    def metric_column(self) -> str:
        return discrimination.metric_column(self.endpoint.survival)

    def risk_group_table(self) -> pd.DataFrame:
        """Cut-off, log-rank and HR per model and split."""
        return pd.concat([rg.comparisons.assign(model=m, cutoff=rg.cutoff, method=rg.method)
                          for m, rg in self.risk_groups.items()], ignore_index=True)

    def horizon_table(self) -> pd.DataFrame:
        return horizons.horizon_table(self.horizon_checks)


def _model_summary(model: RadiomicsNomogram, data: EvaluationInput) -> dict:
    radiomics = model.radiomics_
    lasso = getattr(radiomics, "lasso_", None)
    return {
        "endpoint": data.endpoint.label,
        "n": {name: split.n for name, split in data.splits.items()},
        "events": {name: int(split.event.sum()) for name, split in data.splits.items()},
        "funnel": {str(s): int(n) for s, n in zip(radiomics.funnel_["step"], radiomics.funnel_["features"])},
        "selected_features": list(radiomics.selected_features_),
        "formula": radiomics.formula(),
        "lambda": None if lasso is None else float(lasso.lambda_value_),
        "clinical_selected": [] if model.clinical_ is None else list(model.clinical_.selected_),
        "combined_columns": list(model.combined_.columns_),
        "deep": None if not model.has_deep else {
            "funnel": {str(k): int(v) for k, v in zip(model.deep_.funnel_["step"], model.deep_.funnel_["features"])},
            "selected": list(model.deep_.selected_features_),
            "lambda": float(model.deep_.lasso_.lambda_value_),
            "networks": {name: sha for name, sha in model.deep_.networks_.items()},
            "formula": model.deep_.formula(),
        },
        "lr_test_vs_clinical": [float(v) for v in model.combined_.lr_test_],
        "epv": float(model.combined_.epv_),
        "warnings": list(model.warnings_),
    }


def evaluate(source: BuildResult | RadiomicsNomogram, builder: ModelBuilder,
             settings: EvaluationSettings | None = None, centres: pd.Series | None = None,
             progress: Callable[[str, float], None] | None = None, *,
             labels: dict[str, str] | None = None, units: dict[str, str] | None = None) -> Evaluation:
    """Evaluate a build result (or a fitted pipeline on its cohort's stored split).

    ``settings`` default to the evaluation settings the model was built with; ``centres``
    default to the inputs' ``centre`` column. ``progress(step, fraction)`` is called
    before each step. ``labels`` and ``units`` (the cohort's, :func:`hccdash.cohort.units_and_labels`)
    name the variables on the figures.
    """
    data = prepare(source, builder, centres)
    model = data.model
    ev = settings or model.settings.evaluation
    full = dataclasses.replace(model.settings, evaluation=ev)

    def step(name: str) -> None:
        if progress is not None:
            progress(name, STEPS.index(name) / len(STEPS))

    step("predictions")
    checks = horizons.check_horizons({s: d.time for s, d in data.splits.items()}, ev.horizons_months,
                                     ev.min_at_risk)
    usable = horizons.offered(checks) if data.survival else ()
    predictions, notes = all_predictions(data, usable)
    notes += [c.reason for c in checks if c.reason and data.survival]
    step("discrimination")
    discriminating = discrimination.discrimination_table(predictions, ev, max(usable) if usable else None)
    c_diff = comparisons.c_differences(predictions, ev.ci_level)
    reclass = comparisons.reclassification_table(predictions, usable)
    step("proportional hazards")
    ph_check = ph.ph_check(data)
    notes += ph_check.notes
    step("risk groups")
    table_times = np.arange(0, max(float(d.time.max()) for d in data.splits.values()) + 1e-9,
                            ev.at_risk_step_months)
    groups = {m: risk_groups.risk_groups({s: (p.time, p.event, p.lp) for (mm, s), p in predictions.items() if mm == m},
                                         ev.risk_cutoff, ev.maxstat_minprop, table_times, ev.ci_level)
              for m in dict.fromkeys(m for m, _ in predictions)}
    step("calibration")
    calib = calibration.calibration_tables(predictions, usable, ev)
    hl = calibration.hosmer_lemeshow_table(predictions, ev.hl_groups)
    notes += [w for w in hl["warning"] if w]
    step("decision curves")
    dca = decision.decision_curves(predictions, usable, decision.thresholds(ev.dca_thresholds))
    step("nomogram")
    nomo = nomogram_ticks(model, data.train.frame, usable)
    nomo_check = nomogram_check(model, data.train.frame, {name: s.frame for name, s in data.splits.items()}, usable)
    step("forest and correlation")
    corr = pd.concat([correlation.rad_score_correlations(model.rad_score(split.frame), split.clinical).assign(split=name)
                      for name, split in data.splits.items()], ignore_index=True)
    step("explanations")
    explained = model_explanations(model, {name: split.frame for name, split in data.splits.items()})
    step("centres")
    centre_values = pd.concat([d.centre for d in data.splits.values() if d.centre is not None]) if any(
        d.centre is not None for d in data.splits.values()) else None
    by_centre = (metrics_by_centre(predictions, centre_values, full, usable)
                 if centre_values is not None and centre_values.nunique() > 1 else None)
    return Evaluation(
        endpoint=data.endpoint, settings=full, clinical_vars=data.clinical_vars,
        model_summary=_model_summary(model, data), horizon_checks=checks, notes=notes, predictions=predictions,
        discrimination=discriminating, time_auc=discrimination.time_auc_table(predictions, usable),
        time_roc=discrimination.time_roc_curves(predictions, usable), roc=discrimination.roc_curves(predictions),
        delong=discrimination.delong_comparisons(predictions), youden=discrimination.youden_metrics(predictions),
        risk_groups=groups, calibration=calib, hosmer_lemeshow=hl, decision=dca,
        forest=forest_plot.ratio_table(model, ev.ci_level), nomogram=nomo, correlation=corr, by_centre=by_centre,
        nomogram_check=nomo_check, proportional_hazards=ph_check, explanations=explained,
        c_differences=c_diff, reclassification=reclass, labels=dict(labels or {}), units=dict(units or {}),
    )


def subgroups(evaluation: Evaluation, data_clinical: pd.DataFrame, model: str, split: str,
              variable: str) -> tuple[pd.DataFrame, float]:
    """Subgroup HRs of ``model``'s risk groups (training cut-off) on ``split`` by a clinical
    variable, and the interaction p (:func:`~hccdash.evaluation.risk_groups.subgroup_analysis`)."""
    p = evaluation.predictions[(model, split)]
    rg = evaluation.risk_groups[model]
    high = risk_groups.assign(p.lp, rg.cutoff)
    return risk_groups.subgroup_analysis(p.time, p.event, high, data_clinical.reindex(p.ids)[variable],
                                         evaluation.settings.evaluation.ci_level)
