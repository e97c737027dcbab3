"""The patients an evaluation looks at: the training, validation and (three-cohort design)
external validation rows of one cohort, with the fitted pipeline's inputs, the outcome and
(when the cohort has one) the centre.

:func:`prepare` takes a model-building result (or a fitted pipeline, e.g. one loaded from
the registry) and the :class:`~hccdash.modeling.builder.ModelBuilder` of its cohort.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hccdash.modeling.builder import SPLITS, BuildResult, ModelBuilder
from hccdash.modeling.endpoints import Endpoint
from hccdash.modeling.pipeline import RadiomicsNomogram, batch_column


@dataclass(frozen=True)
class SplitData:
    """One split: ``frame`` (features + the model's clinical columns), ``clinical`` (every
    clinical column), time (months) / event, the model's target ``y`` and ``centre``."""

    name: str
    ids: pd.Index
    frame: pd.DataFrame
    clinical: pd.DataFrame
    time: np.ndarray
    event: np.ndarray
    y: np.ndarray
    centre: pd.Series | None

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def n_events(self) -> int:
        return int(self.event.sum()) if self.y.dtype.names else int(np.asarray(self.y).sum())


@dataclass(frozen=True)
class EvaluationInput:
    """A fitted pipeline with the splits it is evaluated on (training first)."""

    model: RadiomicsNomogram
    builder: ModelBuilder
    endpoint: Endpoint
    clinical_vars: tuple[str, ...]
    splits: dict[str, SplitData]

    @property
    def survival(self) -> bool:
        return self.endpoint.survival

    @property
    def train(self) -> SplitData:
        return self.splits["train"]


def split_data(builder: ModelBuilder, name: str, ids: pd.Index, endpoint: Endpoint, clinical_vars,
           centres: pd.Series | None, batch: str | None = None) -> SplitData:
    """One set's patients with the model's inputs (``batch``: the ComBat batch column, if any)."""
    outcome = builder.data(endpoint)[0]
    rows = outcome.index.get_indexer(ids)
    if (rows < 0).any():
        raise ValueError(f"{name}: patients {list(ids[rows < 0][:5])} have no outcome for {endpoint.label}")
    centre = None if centres is None else centres.reindex(ids)
    return SplitData(name, ids, builder.frame(ids, clinical_vars, batch), builder.inputs.clinical.reindex(ids),
                     outcome.time[rows].astype(float), outcome.event[rows].astype(float),
                     builder.target(outcome, ids), centre)


def cohort_centres(builder: ModelBuilder) -> pd.Series | None:
    """The centre of each patient when the inputs carry a non-empty ``centre`` column."""
    patients = builder.inputs.patients
    if "centre" not in patients.columns or patients["centre"].isna().all():
        return None
    return patients["centre"].astype(object)


def prepare(source: BuildResult | RadiomicsNomogram, builder: ModelBuilder,
            centres: pd.Series | None = None) -> EvaluationInput:
    """The evaluation input of a build result (its own sets) or of a fitted pipeline (the
    cohort's stored split, or the re-split its settings name). ``centres`` defaults to the
    inputs' ``centre`` column."""
    centres = cohort_centres(builder) if centres is None else centres
    if isinstance(source, BuildResult):
        model, endpoint, clinical_vars = source.model, source.endpoint, source.clinical_vars
        ids = source.set_indices
    elif isinstance(source, RadiomicsNomogram):
        model = source
        endpoint = Endpoint.from_settings(model.settings.model)
        clinical_vars = tuple(model.clinical_vars)
        ids = builder.sets(endpoint, model.settings.split)
    else:
        raise ValueError(f"evaluate needs a BuildResult or a fitted RadiomicsNomogram, got {type(source).__name__}")
    splits = {name: split_data(builder, name, ids[name], endpoint, clinical_vars, centres, batch_column(model.settings))
              for name in SPLITS if len(ids[name])}
    return EvaluationInput(model, builder, endpoint, tuple(clinical_vars), splits)
