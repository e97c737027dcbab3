"""Where the evaluation page gets a fitted model: a study preset (or the defaults) fitted on
a stored cohort, or a saved pipeline from the model registry; and the cohort's centres."""

from __future__ import annotations

import pandas as pd

from hccdash.modeling.builder import BuildResult, ModelBuilder
from hccdash.modeling.pipeline import RadiomicsNomogram
from hccdash.modeling.presets import TITLES, preset
from hccdash.settings import Settings

DEFAULTS = "defaults"


def preset_choices() -> dict[str, str]:
    """Preset key -> title, the defaults first."""
    return {DEFAULTS: "Default settings (METHODS.md)", **TITLES}


def fit_preset(builder: ModelBuilder, name: str) -> BuildResult:
    """The build result of a preset (restricted to the cohort's phases and variables)."""
    inputs = builder.inputs
    settings = Settings() if name == DEFAULTS else preset(name, inputs.phases, inputs.clinical_variables)
    return builder.build(settings)


def saved_pipelines(cohort: str) -> list[str]:
    """Names of registry models saved as fitted pipelines from ``cohort``."""
    from hccdash.registry import registry

    return [r.name for r in registry.records() if r.kind == "pipeline" and r.cohort == cohort]


def load_saved(name: str) -> RadiomicsNomogram:
    """The fitted pipeline of a saved model (SHA-256 checked by the registry)."""
    from hccdash.registry import registry

    pipeline = registry.load(name).pipeline
    if not isinstance(pipeline, RadiomicsNomogram):
        raise ValueError(f"Model {name!r} is not a fitted radiomics nomogram pipeline")
    return pipeline


def stored_centres(cohort: str) -> pd.Series | None:
    """Centre of each patient of a stored cohort (None when it records no centre)."""
    from hccdash.cohort import load_cohort

    centre = load_cohort(cohort).patients["centre"]
    return None if centre.isna().all() else centre.astype(object)
