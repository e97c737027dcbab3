"""Shared settings and inputs of the evaluation tests (imported by conftest and tests)."""

from __future__ import annotations

import dataclasses

import pandas as pd

from hccdash.modeling.builder import ModelInputs
from hccdash.settings import EvaluationSettings, SelectionSettings, Settings

QUICK = Settings(
    selection=SelectionSettings(icc_threshold=None, univariate_p=0.1, mrmr_k=None, lasso_folds=5),
    evaluation=EvaluationSettings(n_bootstrap=200, dca_thresholds=(0.05, 0.95, 0.05)),
)
COHORT, SOURCE = "synthetic", "synthetic_features.csv"


def with_centres(inputs: ModelInputs) -> ModelInputs:
    """The inputs with a ``centre`` column: every third patient in centre B, others in A."""
    centre = pd.Series(["B" if i % 3 == 0 else "A" for i in range(len(inputs.patients))],
                       index=inputs.patients.index, name="centre")
    return dataclasses.replace(inputs, patients=inputs.patients.assign(centre=centre))
