"""What ComBat did to a fitted model's features: every patient's features as extracted and as
the model harmonises them, with the batch, for the before / after chart
(:func:`hccdash.charts.harmonisation.harmonisation_chart`)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from hccdash.modeling.builder import BuildResult, ModelBuilder
from hccdash.modeling.pipeline import batch_column


@dataclass(frozen=True)
class HarmonisationView:
    """Features before and after ComBat (same patients and columns), each patient's batch and
    the features to offer (the model's selected ones first)."""

    before: pd.DataFrame
    after: pd.DataFrame
    batch: pd.Series
    features: list[str]


def harmonisation_view(builder: ModelBuilder, result: BuildResult) -> HarmonisationView:
    """The view of ``result`` on every patient of its sets (training, validation, external): the
    training batches with the fitted numbers, batches unseen in training mapped onto the reference."""
    model = result.model
    harmoniser = getattr(model, "harmoniser_", None)
    if harmoniser is None:
        raise ValueError("This model does not harmonise its features (ComBat is off)")
    ids = pd.Index([i for part in result.set_indices.values() for i in part])
    column = batch_column(result.settings)
    frame = builder.frame(ids, (), column)
    features = [str(f) for f in harmoniser.feature_names_in_]
    selected = [f for f in model.radiomics_.selected_features_ if f in set(features)]
    return HarmonisationView(frame[features], model.harmonised(frame)[features], frame[column],
                             selected + [f for f in features if f not in set(selected)])
