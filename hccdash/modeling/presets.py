"""One preset per study recipe of METHODS.md (000..004), as :class:`~hccdash.settings.Settings`.

Each preset changes only what its study specifies; everything else keeps the defaults
of :mod:`hccdash.settings`. Phases are named as in the sample cohort (arterial, portal,
delayed); :func:`preset` drops phases and clinical variables a cohort does not have, and
names the external centres of a three-cohort design from the cohort's centres.

- 000 (CT, 3 phases, RFS): ICC(2,1) >= 0.75 -> mRMR top 20 -> LASSO-Cox with
  leave-one-out CV (lambda.min); per-phase rad-scores fused by a Cox model on them;
  clinical univariable p < 0.10 -> backward p < 0.05.
- 001 (CT portal venous, RFS): zero / near-zero variance -> Spearman |rho| > 0.9 ->
  z-score -> LASSO-Cox (10-fold); KM cut-off by maximally selected log-rank.
- 002 (MRI, ER within 2 years, logistic): ICC > 0.75 (inter-observer) -> ANOVA p < 0.05
  -> Spearman > 0.9 -> random-forest importance top 25 -> LASSO-logistic.
- 003 (MRI, ER within 6 months, logistic): Mann-Whitney p < 0.05 -> correlation > 0.9
  -> z-score -> LASSO-logistic at lambda.min (the rad-score alone: deep features left out).
- 003dl (the same study's DL + radiomics + clinical nomogram): the 003 radiomics recipe, plus the
  deep features (``dl.<network>.<NNNN>``: DenseNet-169's final pooling layer in the study) as
  their own block: PCA (components explaining ``deep_pca_variance`` of the variance; the study
  gives no number, the default 90% is kept) then LASSO-logistic at lambda.min into the DL score;
  the combined logistic model holds the clinical terms, the rad-score and the DL score.

The radiomics presets (000 to 003, 004) leave deep features out (``deep_score`` off): their studies
had none.
- 004 (MRI, RFS): ICC > 0.75 (intra/inter-observer) -> z-score -> LASSO-Cox with 10-fold
  CV; clinical Cox with NLR and tumour size dichotomised at log-rank cut-offs; three
  cohorts: internal validation by a random 7:3 split (stratified by event, seed 42) of the
  development centre, external validation on the second centre. The cohort is re-split so
  (``split.resplit``): the largest centre (the first in sorted order on a tie) develops, every
  other centre validates externally. A cohort with fewer than two centres keeps its stored
  split (internal validation only).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pandas as pd

from hccdash.settings import EvaluationSettings, ModelSettings, SelectionSettings, Settings, SplitSettings

_OFF = {"variance_filter": False, "univariate_p": None, "correlation_threshold": None, "mrmr_k": None,
        "rf_k": None, "deep_score": False}
_STUDY_003 = {**_OFF, "icc_threshold": None, "univariate_p": 0.05, "univariate_test": "mannwhitney",
              "correlation_threshold": 0.9, "lasso_lambda": "lambda.min"}

PRESETS: dict[str, Settings] = {
    "000": Settings(
        selection=SelectionSettings(**{**_OFF, "icc_threshold": 0.75, "mrmr_k": 20, "lasso_folds": "loo",
                                       "lasso_lambda": "lambda.min", "fusion": "scores",
                                       "phases": ("arterial", "portal", "delayed")}),
        model=ModelSettings(endpoint="rfs", clinical_p_in=0.10, clinical_p_out=0.05),
    ),
    "001": Settings(
        selection=SelectionSettings(**{**_OFF, "icc_threshold": None, "variance_filter": True,
                                       "correlation_threshold": 0.9, "correlation_method": "spearman",
                                       "lasso_folds": 10, "phases": ("portal",)}),
        model=ModelSettings(endpoint="rfs"),
        evaluation=EvaluationSettings(risk_cutoff="maxstat"),
    ),
    "002": Settings(
        selection=SelectionSettings(**{**_OFF, "icc_threshold": 0.75, "univariate_p": 0.05,
                                       "univariate_test": "anova", "correlation_threshold": 0.9,
                                       "correlation_method": "spearman", "rf_k": 25}),
        model=ModelSettings(endpoint="er", er_horizon_months=24.0),
    ),
    "003": Settings(
        selection=SelectionSettings(**_STUDY_003),
        model=ModelSettings(endpoint="er", er_horizon_months=6.0),
    ),
    "003dl": Settings(
        selection=SelectionSettings(**{**_STUDY_003, "deep_score": True, "deep_lasso_lambda": "lambda.min"}),
        model=ModelSettings(endpoint="er", er_horizon_months=6.0),
    ),
    "004": Settings(
        split=SplitSettings(method="three", train_fraction=0.7, resplit=True),
        selection=SelectionSettings(**{**_OFF, "icc_threshold": 0.75, "lasso_folds": 10}),
        model=ModelSettings(endpoint="rfs", clinical_dichotomise=("NLR", "tumour_diameter_mm")),
    ),
}

TITLES = {
    "000": "000 - CT 3-phase, mRMR + LASSO-Cox (LOO), phase fusion",
    "001": "001 - CT portal, variance + Spearman + LASSO-Cox",
    "002": "002 - MRI, ANOVA + Spearman + RF top 25 + LASSO-logistic, ER 2 y",
    "003": "003 - MRI, Mann-Whitney + correlation + LASSO-logistic, ER 6 mo",
    "003dl": "003 DL - the same + deep features (PCA + LASSO DL score), DL + radiomics + clinical",
    "004": "004 - MRI, ICC + LASSO-Cox (10-fold), log-rank cut-offs, three cohorts",
}

IMAGING = {"000": "CT 3-phase", "001": "CT portal", "002": "MRI", "003": "MRI", "003dl": "MRI",
           "004": "MRI"}  # METHODS.md studies


def endpoint_label(model: ModelSettings) -> str:
    """``RFS`` (Cox) or ``ER 6 mo`` (logistic, early recurrence within the horizon)."""
    return "RFS" if model.endpoint == "rfs" else f"ER {model.er_horizon_months:g} mo"


def preset_label(name: str) -> str:
    """A preset named by what it is: study, imaging and endpoint (``002 · MRI · ER 24 mo``), deep
    features when it uses them, three cohorts when it re-splits the cohort."""
    settings = PRESETS[name]
    deep = " · deep features" if settings.selection.deep_score else ""
    design = " · 3 cohorts" if settings.split.resplit else ""
    return f"{name} · {IMAGING[name]} · {endpoint_label(settings.model)}{deep}{design}"


def external_centres(centres: pd.Series | Sequence[str]) -> tuple[str, ...]:
    """Every centre but the largest (the first in sorted order on a tie), sorted; ``centres``
    holds one centre per patient (missing ones ignored)."""
    counts = pd.Series(centres, dtype=object).dropna().astype(str).value_counts()
    if len(counts) < 2:
        return ()
    development = min(counts.index, key=lambda c: (-counts[c], c))
    return tuple(sorted(c for c in counts.index if c != development))


def preset(name: str, phases: Sequence[str] | None = None, variables: Sequence[str] | None = None,
           centres: pd.Series | Sequence[str] | None = None) -> Settings:
    """The settings of study ``name``, restricted to the ``phases`` and clinical ``variables``
    a cohort has (None: no restriction). An empty phase list afterwards means all phases.
    ``centres`` (one per patient) name the external centres of a three-cohort preset
    (:func:`external_centres`); with fewer than two centres it keeps the stored split."""
    if name not in PRESETS:
        raise ValueError(f"Unknown preset {name!r}; allowed: {sorted(PRESETS)}")
    settings = PRESETS[name]
    selection, model, split = settings.selection, settings.model, settings.split
    if split.method == "three" and centres is not None:
        external = external_centres(centres)
        split = dataclasses.replace(split, validation_centres=external) if external else SplitSettings()
    if phases is not None:
        selection = dataclasses.replace(selection, phases=tuple(p for p in selection.phases if p in set(phases)))
    if variables is not None:
        keep = set(variables)
        model = dataclasses.replace(
            model,
            clinical_dichotomise=tuple(v for v in model.clinical_dichotomise if v in keep),
            clinical_force_in=tuple(v for v in model.clinical_force_in if v in keep),
            clinical_force_out=tuple(v for v in model.clinical_force_out if v in keep),
        )
    return dataclasses.replace(settings, selection=selection, model=model, split=split)
