"""Applying a registry model to a stored cohort's patients: which patients, their model inputs
and their outcome. Nothing is refit and nothing is stored.

Two steps, so that extraction can run between them:

1. :func:`plan_validation` chooses the patients (``all``, the cohort's ``train`` or
   ``validation`` set, or ``external``: the held-out centres of a three-cohort split, or the
   validation set of a cohort split by centre),
   maps the clinical inputs (:mod:`hccdash.validation.mapping`: names, units, levels), plans the
   radiomic features (:mod:`hccdash.validation.features`) and checks the outcome (events in the
   set; each horizon within the set's follow-up and the model's). Every problem is a
   ValueError naming the patient, variable or horizon. Nothing is read from images or written.
2. :func:`assemble` reads the features, checks every value as the calculator does
   (:func:`hccdash.calculator.inputs.check_inputs`: physical limits, levels, the rad-score) and
   returns :class:`ValidationData`: complete cases only; a patient with a missing input is
   left out and listed in ``excluded`` with the reason. An impossible value refuses the whole
   run, naming patient, variable and value.

Endpoint: Cox models are validated on (time, event) in months; logistic (early recurrence)
models on ER within the model's horizon, patients censored before it left out (as in
training, :func:`hccdash.modeling.endpoints.early_recurrence`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from hccdash.cohort.load import Cohort, load_cohort, load_mapping
from hccdash.cohort.mapping import VariableSpec
from hccdash.modeling.endpoints import early_recurrence
from hccdash.calculator.inputs import check_inputs
from hccdash.registry.json_model import JsonModel
from hccdash.store import Store
from hccdash.validation.features import FeaturePlan, feature_values, plan_features
from hccdash.validation.mapping import InputMapping, check_mapping, map_values, propose_mapping

SETS = ("all", "train", "validation", "external")
SET_LABELS = {"all": "all patients", "train": "training set", "validation": "validation set",
              "external": "external validation (held-out centres)"}
EXTRACTED = "extraction with the model's settings"  # the features choice besides a cohort's imported tables


def cohort_variables(cohort: Cohort, store: Store | None = None) -> list[VariableSpec]:
    """Every stored variable of ``cohort`` with its kind, levels (as stored), unit and label."""
    stored = {v.name: v for v in load_mapping(cohort.name, store).variables}
    out = []
    for row in cohort.variables.itertuples(index=False):
        spec = stored.get(row.name) or VariableSpec(row.name, row.kind)
        out.append(replace(spec, kind=row.kind, levels=tuple(row.levels or ())))
    return out


def select_patients(cohort: Cohort, subset: str) -> pd.DataFrame:
    """The patients (time, event, centre, split) of ``subset``: see the module docstring."""
    if subset not in SETS:
        raise ValueError(f"Set must be one of {list(SETS)}, got {subset!r}")
    patients = cohort.patients
    method = cohort.split_spec.get("method", "none")
    if subset == "all":
        return patients
    code = subset
    if subset == "external" and not (patients["split"] == "external").any():
        if method != "centre":
            raise ValueError(f"Cohort {cohort.name!r} was split {method!r}, not by centre: it has no external set "
                             "(its validation set, if any, is internal); use the set 'validation' or 'all'")
        code = "validation"  # a centre split: the validation centre(s) are external
    chosen = patients[patients["split"] == code]
    if chosen.empty:
        raise ValueError(f"Cohort {cohort.name!r} has no {subset} patients (split method {method!r}); "
                         "use the set 'all'")
    return chosen


def check_horizons(model: JsonModel, time: pd.Series, horizons: Sequence[float], where: str) -> list[float]:
    """``horizons`` (months) if each lies within the longest follow-up of ``time`` and, for a Cox
    model, of the model's development data; ValueError naming the horizon otherwise."""
    horizons = [float(h) for h in horizons]
    if not horizons or any(not np.isfinite(h) or h <= 0 for h in horizons):
        raise ValueError(f"Horizons must be positive numbers of months, got {horizons}")
    longest = float(time.max())
    for h in horizons:
        if h > longest:
            raise ValueError(f"Horizon {h:g} months is beyond the follow-up of {where} (longest {longest:g} months, "
                             f"patient {time.idxmax()}): choose horizons up to {longest:g} months")
        if model.family == "cox" and h > model.spec["baseline"]["max_time"]:
            raise ValueError(f"Horizon {h:g} months is beyond the follow-up of model {model.name}'s development data "
                             f"({model.spec['baseline']['max_time']:g} months): it predicts no survival there")
    return horizons


def outcome_of(model: JsonModel, patients: pd.DataFrame) -> pd.DataFrame:
    """time, event (and ``y`` = ER within the model's horizon for a logistic model, rows censored
    before it dropped) of ``patients``."""
    outcome = patients[["time", "event"]].astype({"time": float, "event": int})
    if model.family == "cox":
        return outcome
    er = early_recurrence(outcome["time"], outcome["event"], model.spec["endpoint"]["er_horizon"])
    return outcome.loc[er.index].assign(y=er)


def check_outcome(model: JsonModel, outcome: pd.DataFrame, where: str) -> None:
    """ValueError when ``outcome`` cannot validate the model: no event (Cox), no ER case or no
    control (logistic)."""
    if model.family == "cox":
        if int(outcome["event"].sum()) == 0:
            raise ValueError(f"{where} ({len(outcome)} patients) has no recurrence: the C-index, calibration slope "
                             "and observed / expected events are undefined; choose another set")
        return
    cases = int(outcome["y"].sum())
    if cases in (0, len(outcome)):
        what = "no early recurrence" if cases == 0 else "no patient free of recurrence"
        raise ValueError(f"{where} ({len(outcome)} patients evaluable at {model.spec['endpoint']['er_horizon']:g} "
                         f"months) has {what}: the AUC and calibration are undefined; choose another set")


@dataclass(frozen=True)
class ValidationPlan:
    """Step 1's result: the patients, the mapped clinical inputs, the feature plan, the horizons."""

    model: JsonModel
    cohort: str
    subset: str
    patients: pd.DataFrame
    outcome: pd.DataFrame
    mapping: InputMapping
    clinical: pd.DataFrame  # model inputs in model units (missing values kept)
    features: FeaturePlan
    horizons: tuple[float, ...]

    @property
    def where(self) -> str:
        return describe_set(self.cohort, self.subset)


def describe_set(cohort: str, subset: str) -> str:
    """``the validation set of cohort 'x'`` / ``cohort 'x' (all patients)``."""
    return f"cohort {cohort!r} (all patients)" if subset == "all" else f"the {subset} set of cohort {cohort!r}"


def plan_validation(model: JsonModel, cohort: str, subset: str = "all", *,
                    mapping: InputMapping | Mapping[str, Any] | None = None, source: str | None = None,
                    horizons: Sequence[float] | None = None, store: Store | None = None) -> ValidationPlan:
    """Step 1 (module docstring). ``mapping``: a full :class:`InputMapping`, or overrides of the
    proposed one (its JSON form); ``horizons``: months, default the model's. A model holding a DL score is
    refused: its deep features would need the network run on the cohort, which validation does not do yet."""
    if model.dl_score_name is not None:
        raise ValueError(f"Model {model.name} holds a DL score (network(s) {sorted(model.networks)}): external "
                         "validation of a model with deep features is not offered yet; validate its radiomics and "
                         "clinical terms with a model saved without the DL score (selection.deep_score off)")
    store = store or Store()
    loaded = load_cohort(cohort, store, predictors_only=False)
    patients = select_patients(loaded, subset)
    where = describe_set(cohort, subset)
    variables = cohort_variables(loaded, store)
    if not isinstance(mapping, InputMapping):
        mapping = propose_mapping(model, variables).with_overrides(mapping or {}, variables)
    check_mapping(mapping, model, cohort)
    clinical = map_values(mapping, model, loaded.clinical.loc[patients.index])
    outcome = outcome_of(model, patients)
    check_outcome(model, outcome, where[0].upper() + where[1:])
    chosen = tuple(check_horizons(model, outcome["time"], horizons or model.horizons, where)) \
        if model.family == "cox" else tuple(model.horizons)
    features = plan_features(model, cohort, outcome.index, source, store)
    features.check()
    return ValidationPlan(model, cohort, subset, patients, outcome, mapping, clinical.loc[outcome.index], features,
                          chosen)


@dataclass(frozen=True)
class ValidationData:
    """Step 2's result: the complete cases' model inputs and outcome, and who was left out why."""

    plan: ValidationPlan
    inputs: pd.DataFrame  # model inputs (clinical in model units, radiomic features), complete cases
    outcome: pd.DataFrame  # time, event (and y), same rows
    excluded: pd.DataFrame  # patient_id, reason
    warnings: pd.DataFrame  # patient_id, column, value, problem (predicted anyway)

    @property
    def model(self) -> JsonModel:
        return self.plan.model

    @property
    def n_events(self) -> int:
        return int(self.outcome["y" if self.model.family == "logistic" else "event"].sum())

    def for_model(self, model: JsonModel) -> "ValidationData":
        """The same patients and inputs for another model with the same inputs (an updated one)."""
        if [p["name"] for p in model.spec["predictors"]] != [p["name"] for p in self.model.spec["predictors"]]:
            raise ValueError(f"Model {model.name} has other inputs than {self.model.name}")
        return replace(self, plan=replace(self.plan, model=model))


def assemble(plan: ValidationPlan, store: Store | None = None) -> ValidationData:
    """Step 2 (module docstring); run after the plan's pending features were extracted."""
    features = feature_values(plan.features, store)
    frame = pd.concat([plan.clinical, features], axis=1)
    rad = plan.model.rad_score_name
    missing = frame.drop(columns=[rad], errors="ignore").isna()
    incomplete = missing.any(axis=1)
    excluded = pd.DataFrame({"patient_id": frame.index[incomplete],
                             "reason": ["missing " + ", ".join(missing.columns[missing.loc[r]]) for r in
                                        frame.index[incomplete]]})
    checked = check_inputs(plan.model, frame.loc[~incomplete])
    if not checked.errors.empty:
        shown = [f"patient {e.row}, {e.column} = {e.value!r}: {e.problem}" for e in checked.errors.head(5).itertuples()]
        more = f" (and {len(checked.errors) - 5} more)" if len(checked.errors) > 5 else ""
        raise ValueError(f"{plan.where[0].upper() + plan.where[1:]}: values model {plan.model.name} cannot use: "
                         + "; ".join(shown) + more)
    rows = checked.clean.index
    outcome = plan.outcome.loc[rows]
    check_outcome(plan.model, outcome, f"After leaving out {int(incomplete.sum())} patient(s) with a missing input, "
                                       f"{plan.where}")
    inputs = frame.loc[rows].drop(columns=[rad], errors="ignore")
    warnings = checked.warnings.rename(columns={"row": "patient_id"})
    return ValidationData(plan, inputs, outcome, excluded, warnings)
