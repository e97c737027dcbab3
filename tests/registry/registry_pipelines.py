"""Real fitted pipelines (RadiomicsNomogram via ModelBuilder) on small synthetic inputs."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd

from hccdash.modeling.builder import BuildResult, ModelBuilder, ModelInputs
from hccdash.settings import Settings

from synthetic_cohort import synthetic_inputs

CLINICAL = ["age", "AFP", "ALB", "sex", "BCLC"]


@dataclass(frozen=True)
class Fitted:
    inputs: ModelInputs
    result: BuildResult

    def frame(self, ids) -> pd.DataFrame:
        """Feature and clinical columns of the given patients."""
        return pd.concat([self.inputs.features.loc[ids], self.inputs.clinical.loc[ids]], axis=1)

    @property
    def train(self) -> pd.DataFrame:
        return self.frame(self.result.train_index)

    @property
    def validation(self) -> pd.DataFrame:
        return self.frame(self.result.validation_index)

    def save_kwargs(self) -> dict:
        """What the model-building page and ``fit --save-as`` hand to ``registry.save``."""
        train, metric = self.result.train_index, self.result.endpoint.metric
        return {"data": self.train, "time": self.inputs.patients.loc[train, "time"],
                "event": self.inputs.patients.loc[train, "event"],
                "metrics": {metric: self.result.summary()[metric]}, "cohort": "synthetic"}


def fit(endpoint: str = "rfs", fusion: str = "lasso", transformed: bool = False) -> Fitted:
    """A combined model with categorical (BCLC, sex), dichotomised (ALB, for RFS) and
    continuous (AFP) clinical predictors plus the rad-score (BCLC, ALB, AFP forced in);
    ``transformed``: AFP enters as log(AFP) and age (forced in too) as a 4-knot spline."""
    inputs = synthetic_inputs(n=160, p=60, seed=1)
    base = Settings()
    settings = dataclasses.replace(
        base,
        model=dataclasses.replace(base.model, endpoint=endpoint,
                                  clinical_force_in=("BCLC", "ALB", "AFP") + (("age",) if transformed else ()),
                                  clinical_dichotomise=("ALB",) if endpoint == "rfs" else (),
                                  clinical_log=("AFP",) if transformed else (),
                                  clinical_splines=(("age", 4),) if transformed else ()),
        selection=dataclasses.replace(base.selection, fusion=fusion, lasso_folds=5),
    )
    return Fitted(inputs, ModelBuilder(inputs).build(settings, clinical_vars=CLINICAL))
