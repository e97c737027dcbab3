"""A fitted :class:`~hccdash.modeling.pipeline.RadiomicsNomogram` as a model file: its parts
(clinical terms, the rad-score as one intercept plus one coefficient per z-scored feature, the
DL score as its deep features' z-scores, kept components and the networks' SHA-256, the combined
model's coefficients and covariance) handed to :func:`hccdash.registry.model_file.build_spec`,
and the file checked against the pipeline's own linear predictor before it is returned."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from hccdash.evaluation.risk_groups import RiskCutoff
from hccdash.extraction.params import spec_from_settings
from hccdash.modeling.endpoints import early_recurrence
from hccdash.registry.json_model import JsonModel
from hccdash.registry.model_file import DeepPart, ModelParts, RadScore, build_spec


def check_exportable(pipeline: Any) -> None:
    """ValueError when the pipeline cannot be written as a model file: a ComBat-harmonised model.

    A model file (JSON export, registry, calculator, ``predict``, validation) holds a rad-score
    linear in the features as extracted. ComBat makes it depend on each patient's batch, and mapping
    a batch unseen in training onto the reference needs the reference batch's training feature
    values (patient data), which a file meant for sharing must not carry; so the export is refused.
    """
    harmoniser = getattr(pipeline, "harmoniser_", None)
    if harmoniser is not None:
        batch = getattr(getattr(pipeline, "settings", None), "selection", None)
        column = getattr(batch, "combat_batch", "batch")
        raise ValueError(
            f"This model harmonises its features with ComBat across '{column}' batches, so it cannot be written as "
            "a model file (JSON export, registry, calculator, predict): the file's rad-score is linear in the "
            "features as extracted, and mapping a new centre onto the reference needs the reference centre's "
            "training feature values, patient data a shared file must not carry. Keep the fitted pipeline "
            "(python -m hccdash fit writes it as model.joblib), or refit without ComBat to save or export it.")


def spec_from_pipeline(
    pipeline: Any,
    data: pd.DataFrame,
    time: Any,
    event: Any,
    *,
    name: str,
    notes: str = "",
    cohort: str | None = None,
    metrics: dict[str, Any] | None = None,
    cutoff: RiskCutoff | None = None,
    units: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The model file of a fitted :class:`hccdash.modeling.pipeline.RadiomicsNomogram`.

    ``data``: the training rows it was fitted on (feature and clinical columns), ``time`` /
    ``event`` their outcome in months. The combined model is exported: the clinical
    model's codings and cut-offs become terms, and the rad-score (one signature, or the
    per-phase fusion, both linear in the z-scored features) is written as one intercept
    plus one coefficient per selected feature. A combined model without the rad-score (a
    cohort without radiomic features, or a null signature) is saved as the clinical model. The result is checked against the
    pipeline's own rad-score and linear predictor on ``data`` before it is returned.
    The risk-group cut-off is ``cutoff`` (the user's choice, kept as it is) or, without
    one, learned on ``data`` by the settings' ``evaluation.risk_cutoff`` method (maxstat with
    the settings' ``maxstat_minprop``), as the Evaluation page learns it
    (:func:`hccdash.evaluation.risk_groups.training_cutoff`). ``units`` /
    ``labels`` (clinical variable -> text, e.g. the training cohort's ``{"AFP": "ng/mL"}``) go
    to the model's clinical predictors (a dichotomised one is entered as the original number,
    so it keeps the unit); the rad-score has none.
    """
    check_exportable(pipeline)
    settings = pipeline.settings
    kind = "rfs" if pipeline.is_survival else "er"
    time = pd.Series(np.asarray(time, dtype=float), index=data.index)
    event = pd.Series(np.asarray(event, dtype=int), index=data.index)
    rows = data.index
    if kind == "er":
        rows = early_recurrence(time, event, settings.model.er_horizon_months).index
    design = pipeline.combined_design(data.loc[rows])
    rows = design.index[design.notna().all(axis=1).to_numpy()]
    with_rad = "rad_score" in pipeline.combined_.columns_  # not for a clinical table alone or a null signature
    rad = linear_rad_score(pipeline.radiomics_, _extraction(settings)) if with_rad else None
    deep = deep_part(pipeline.deep_) if "dl_score" in pipeline.combined_.columns_ else None
    terms, levels = _clinical_terms(pipeline.clinical_)
    if rad is not None:
        terms.append({"name": "rad_score", "predictor": rad.name, "type": "linear"})
    if deep is not None:
        terms.append({"name": "dl_score", "predictor": deep.name, "type": "linear"})
    model = pipeline.combined_.model_
    if model is None:
        raise ValueError("The combined model is the null model (no predictor kept): there is nothing to save")
    columns = list(pipeline.combined_.columns_)
    if [t["name"] for t in terms] != columns:
        raise ValueError(f"Model columns {columns} do not match the exported terms {[t['name'] for t in terms]}")
    clinical = [v for v in (pipeline.clinical_.selected_ if pipeline.clinical_ is not None else [])]
    parts = ModelParts(
        kind=kind,
        submodel="clinical" if rad is None and deep is None else "combined" if clinical else "radiomics",
        terms=terms,
        coef=model.coef_,
        covariance=model.cov_,
        intercept=float(model.intercept_) if kind == "er" else None,
        levels=levels,
        rad=rad,
        deep=deep,
        er_horizon=settings.model.er_horizon_months if kind == "er" else None,
        ties=settings.model.ties,
        cutoffs=None if cutoff is None else [float(cutoff.value)],
        cutoff_method=settings.evaluation.risk_cutoff if cutoff is None else cutoff.method,
        minprop=settings.evaluation.maxstat_minprop,
        labels={k: str(v) for k, v in (labels or {}).items() if k in clinical},
        units={k: str(v) for k, v in (units or {}).items() if k in clinical},
    )
    inputs = data.loc[rows, [*clinical, *([] if rad is None else rad.coef.index),
                             *([] if deep is None else deep.mean.index)]]
    spec = build_spec(parts, inputs, time[rows].to_numpy(), event[rows].to_numpy(), name=name, notes=notes,
                      cohort=cohort, metrics=metrics, horizons=settings.evaluation.horizons_months)
    _check_against(pipeline, spec, inputs)
    return spec


def linear_rad_score(radiomics: Any, extraction: dict[str, Any]) -> RadScore:
    """The rad-score of a fitted signature or per-phase fusion as intercept + sum coef z."""
    if hasattr(radiomics, "signatures_"):  # PhaseFusion: weights on per-phase rad-scores
        if radiomics.model_ is None:
            raise ValueError("The model's rad-score is 0 for everyone (no phase keeps a feature)")
        weights = radiomics.model_.coef_
        parts = [(weights[f"rad_score.{phase}"], signature) for phase, signature in radiomics.signatures_.items()
                 if f"rad_score.{phase}" in weights.index]
        intercept = float(getattr(radiomics.model_, "intercept_", 0.0))
    else:
        parts = [(1.0, radiomics)]
        intercept = 0.0
    coef, mean, sd = [], [], []
    for weight, signature in parts:
        if signature.lasso_ is None or signature.coefficients_.empty:
            raise ValueError("The model's rad-score keeps no feature: nothing to export")
        selected = signature.coefficients_
        intercept += float(weight) * float(signature.lasso_.intercept_)
        coef.append(float(weight) * selected)
        mean.append(signature.standardizer_.mean_[selected.index])
        sd.append(signature.standardizer_.scale_[selected.index])
    return RadScore(coef=pd.concat(coef), mean=pd.concat(mean), sd=pd.concat(sd), intercept=intercept,
                    extraction=extraction)


def deep_part(deep: Any) -> DeepPart:
    """The DL score of a fitted :class:`~hccdash.modeling.deep_score.DeepScore` for a model file:
    refused when a network's file SHA-256 is not known (the file would not name what it needs)."""
    unknown = [name for name, sha256 in deep.networks_.items() if not sha256]
    if unknown:
        raise ValueError(f"The DL score's network(s) {unknown} have no recorded file SHA-256, so a saved model could "
                         "not check the network it needs: extract the deep features from a registered network")
    extraction = getattr(deep, "extraction_", {}) or {}
    coef = deep.coefficients_
    return DeepPart(
        networks=tuple({"name": name, "sha256": sha256, "extraction": extraction.get(name)}
                       for name, sha256 in deep.networks_.items()),
        mean=deep.standardizer_.mean_.astype(float), sd=deep.standardizer_.scale_.astype(float),
        loadings=deep.pca_.rotation_[coef.index].astype(float),
        component_sd=deep.component_scaler_.scale_[coef.index].astype(float),
        coef=coef.astype(float), intercept=float(deep.lasso_.intercept_))


def _extraction(settings: Any) -> dict[str, Any]:
    return spec_from_settings(settings.extraction).to_dict()


def _clinical_terms(clinical: Any) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """Model terms and categorical levels of a fitted clinical model's final variables."""
    terms: list[dict[str, Any]] = []
    levels: dict[str, list[str]] = {}
    if clinical is None:
        return terms, levels
    for variable in clinical.selected_:
        term = clinical.terms_[variable]
        if term.kind == "categorical":
            levels[variable] = [str(level) for level in term.levels]
            terms += [{"name": column, "predictor": variable, "type": "indicator", "level": str(level)}
                      for column, level in zip(term.columns, term.levels[1:])]
        elif term.kind == "dichotomised":
            terms.append({"name": term.columns[0], "predictor": variable,
                          "type": "at_least" if term.inclusive else "above", "cutoff": float(term.cutoff)})
        elif term.knots:
            terms += [{"name": column, "predictor": variable, "type": "spline", "log": term.log,
                       "knots": list(term.knots), "basis": j} for j, column in enumerate(term.columns)]
        elif term.log:
            terms.append({"name": term.columns[0], "predictor": variable, "type": "linear", "log": True})
        else:
            terms.append({"name": term.columns[0], "predictor": variable, "type": "linear"})
    return terms, levels


def _check_against(pipeline: Any, spec: dict[str, Any], inputs: pd.DataFrame) -> None:
    """Refuse an export whose rad-score or linear predictor differs from the pipeline's."""
    model = JsonModel(spec, validated=True)
    model.accept_network_hashes(model.networks)  # the pipeline's own networks: nothing to check
    mine = model.linear_predictor(inputs)
    theirs = pipeline.predict(inputs)
    if not np.allclose(mine, theirs, rtol=1e-9, atol=1e-9):
        worst = float(np.max(np.abs(mine - theirs)))
        raise ValueError(f"The exported model does not reproduce the pipeline (linear predictor off by {worst:.3g})")
