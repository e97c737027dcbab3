"""Fitted pipelines in the registry: the one way a pipeline fitted in the app (Model building,
Evaluation) or by ``python -m hccdash fit`` is saved, and the saved pipelines of a cohort
read back for Evaluation.

A pipeline is saved with the rows it was trained on (features and clinical variables, time and
event, from the :class:`~hccdash.modeling.builder.ModelBuilder` inputs it was fitted on), the
stored cohort's units and labels, its discrimination per split as metrics (``c_index``, or
``auc`` for an ER model) and, from Evaluation, the risk-group cut-off chosen there; the model
file itself is built by :func:`hccdash.registry.from_pipeline.spec_from_pipeline`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from hccdash.cohort import units_and_labels
from hccdash.evaluation.risk_groups import RiskCutoff
from hccdash.evaluation.sources import SAVED_MODEL
from hccdash.evaluation.summary import Evaluation
from hccdash.modeling.builder import BuildResult, ModelBuilder
from hccdash.modeling.pipeline import RadiomicsNomogram
from hccdash.registry import registry


def save_fitted(pipeline: RadiomicsNomogram, builder: ModelBuilder, train: pd.Index, clinical_vars: Sequence[str],
                name: str, notes: str = "", *, cohort: str | None, metrics: dict[str, Any],
                cutoff: RiskCutoff | None = None) -> str:
    """Save ``pipeline``, fitted on the rows ``train`` of ``builder``'s inputs (with
    ``clinical_vars``), under ``name``; ``cohort``'s units and labels go to its inputs. Without a
    ``cutoff`` the model file learns one by the pipeline's settings. Returns the name."""
    patients = builder.inputs.patients.loc[train]
    units, labels = units_and_labels(cohort)
    record = registry.save(pipeline, name, notes, cohort=cohort or None, data=builder.frame(train, clinical_vars),
                           time=patients["time"], event=patients["event"], cutoff=cutoff, units=units,
                           labels=labels, metrics=metrics)
    return record.name


def save_build(builder: ModelBuilder, result: BuildResult, name: str, notes: str = "") -> str:
    """Save a build result of Model building (or ``fit``) with its discrimination on both splits;
    returns the name."""
    return save_fitted(result.model, builder, result.train_index, result.clinical_vars, name, notes,
                       cohort=builder.inputs.name, metrics={result.endpoint.metric: result.summary()[result.endpoint.metric]})


def save_evaluated(fitted: BuildResult | RadiomicsNomogram, evaluation: Evaluation, builder: ModelBuilder,
                   cohort: str, name: str, notes: str, cutoff: RiskCutoff) -> str:
    """Save the evaluated pipeline with ``cutoff`` as its risk-group cut-off (the evaluation's
    training rows, its discrimination per split as metrics); returns the name."""
    pipeline = fitted.model if isinstance(fitted, BuildResult) else fitted
    table = evaluation.discrimination
    table = table[table["model"] == SAVED_MODEL].set_index("split")[evaluation.metric_column]
    return save_fitted(pipeline, builder, evaluation.predictions[(SAVED_MODEL, "train")].ids, evaluation.clinical_vars,
                       name, notes, cohort=cohort, cutoff=cutoff,
                       metrics={evaluation.endpoint.metric: {split: float(c) for split, c in table.items()}})


def saved_pipelines(cohort: str) -> list[str]:
    """Names of registry models saved as fitted pipelines from ``cohort``."""
    return [r.name for r in registry.records() if r.kind == "pipeline" and r.cohort == cohort]


def load_saved(name: str) -> RadiomicsNomogram:
    """The fitted pipeline of a saved model (SHA-256 checked by the registry)."""
    pipeline = registry.load(name).pipeline
    if not isinstance(pipeline, RadiomicsNomogram):
        raise ValueError(f"Model {name!r} is not a fitted radiomics nomogram pipeline")
    return pipeline
