"""Where the evaluation page gets a fitted model: the current model of the model-building
page or a study preset (or the defaults) fitted on a stored cohort; the cohort's centres; and
the risk-group cut-off chosen on the page for saving the evaluated model. Saved pipelines are
read from and written to the registry by :mod:`hccdash.registry.pipelines`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from hccdash.evaluation import risk_groups
from hccdash.evaluation.risk_groups import RiskCutoff
from hccdash.modeling.builder import BuildResult, ModelBuilder, deep_set_key
from hccdash.modeling.presets import TITLES, preset
from hccdash.settings import Settings

if TYPE_CHECKING:
    from hccdash.evaluation.summary import Evaluation

DEFAULTS = "defaults"
SAVED_MODEL = "combined"  # the registry saves the pipeline's combined model


@dataclass(frozen=True)
class CurrentModel:
    """The build result on screen on Model building, handed to Evaluation."""

    cohort: str
    source: str | None  # imported feature source, None for the extracted features
    result: BuildResult
    builder: ModelBuilder  # the inputs it was fitted on (evaluated on the same ones)
    mask_label: int | None = None  # mask label of the extracted features (None: each image's label from import)
    deep: Any = None  # the deep feature set joined (hccdash.deep.feature_sets.DeepFeatureSet), None without

    @property
    def key(self) -> str:
        """Identifies the fit: every setting (the chosen lambda included) and the clinical variables."""
        return str((self.result.settings.to_dict(), self.result.clinical_vars))

    @property
    def label(self) -> str:
        """One line for the user: endpoint, rad-score size and lambda, clinical terms kept."""
        result = self.result
        lasso = result.lasso
        lam = f"lambda {lasso.lambda_value_:.4g}" if lasso is not None else str(result.settings.selection.lasso_lambda)
        clinical = result.model.clinical_
        kept = ", ".join(clinical.selected_) if clinical is not None else ""
        return (f"{result.endpoint.label}; rad-score of {len(result.model.radiomics_.selected_features_)} features "
                f"({lam}); clinical terms kept: {kept or 'none'}")

    def matches(self, cohort: str, source: str | None, label: int | None = None, deep: Any = None) -> bool:
        """True when the model was fitted on this cohort and feature source (and extracted label, and
        deep feature set)."""
        return ((self.cohort, self.source, self.mask_label, deep_set_key(self.deep))
                == (cohort, source, label, deep_set_key(deep)))


def preset_choices() -> dict[str, str]:
    """Preset key -> title, the defaults first."""
    return {DEFAULTS: "Default settings (METHODS.md)", **TITLES}


def fit_preset(builder: ModelBuilder, name: str) -> BuildResult:
    """The build result of a preset (restricted to the cohort's phases and variables; a
    three-cohort preset re-splits the cohort with the external centres it names)."""
    inputs = builder.inputs
    settings = Settings() if name == DEFAULTS else preset(name, inputs.phases, inputs.clinical_variables,
                                                            inputs.patients.get("centre"))
    return builder.build(settings)


def stored_centres(cohort: str) -> pd.Series | None:
    """Centre of each patient of a stored cohort (None when it records no centre)."""
    from hccdash.cohort import load_cohort

    centre = load_cohort(cohort).patients["centre"]
    return None if centre.isna().all() else centre.astype(object)


def chosen_cutoff(evaluation: Evaluation, *, value: float | None = None, percentile: float | None = None) -> RiskCutoff:
    """The saved model's risk-group cut-off: the combined model's cut-off of the evaluation
    (its method, learned on the training split), a ``percentile`` (0-100) of the training
    linear predictor, or a ``value`` typed by the user ("given")."""
    if value is not None:
        return RiskCutoff("given", float(value))
    if percentile is not None:
        train = evaluation.predictions[(SAVED_MODEL, "train")].lp
        return RiskCutoff(f"percentile_{percentile:g}", risk_groups.percentile_cutoff(train, percentile))
    groups = evaluation.risk_groups[SAVED_MODEL]
    return RiskCutoff(groups.method, float(groups.cutoff))
