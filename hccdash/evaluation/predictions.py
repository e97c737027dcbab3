"""The models compared side by side and their predictions on each split.

- ``clinical``: the clinical model of the pipeline (its Cox / logistic fit on the coded
  clinical columns); absent when no clinical variable survived selection;
- ``radiomics``: a Cox / logistic model of the rad-score alone, fitted on the TRAINING
  rows (as the rad-score nomograms of the studies); absent when the rad-score is constant;
- ``deep``: a Cox / logistic model of the DL score alone (deep features: PCA + LASSO), fitted on
  the training rows; only for a model with a DL score (the study 003 "DL score model");
- ``combined``: the pipeline's combined model (clinical columns + rad-score (+ DL score)).

Each gives the linear predictor (higher = earlier recurrence), S(t) at the horizons (Cox,
``survfit(coxph, newdata)``) or P(ER) (logistic). Patients with a missing model input are
left out of that model's evaluation only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from hccdash.evaluation.data import EvaluationInput, SplitData
from hccdash.modeling import regression
from hccdash.modeling.combined import RAD_SCORE
from hccdash.modeling.deep_score import DL_SCORE
from hccdash.modeling.pipeline import RadiomicsNomogram
from hccdash.selection.target import binary_array

MODELS = ("clinical", "radiomics", "deep", "combined")


@dataclass(frozen=True)
class SubModel:
    """One of :data:`MODELS`: its regression fit and how to build its columns from a frame."""

    name: str
    fit: object  # CoxModel | LogisticModel
    design: Callable[[pd.DataFrame], pd.DataFrame]

    @property
    def family(self) -> str:
        return "cox" if hasattr(self.fit, "predict_survival") else "logistic"


@dataclass(frozen=True)
class Prediction:
    """One model on one split (complete rows only)."""

    model: str
    split: str
    family: str
    ids: pd.Index
    time: np.ndarray
    event: np.ndarray
    y: np.ndarray | None  # logistic: 0/1 outcome
    lp: np.ndarray
    horizons: tuple[float, ...]
    surv: np.ndarray | None  # cox: n x len(horizons)
    prob: np.ndarray | None  # logistic: P(event)

    @property
    def survival(self) -> bool:
        return self.family == "cox"

    def event_probability(self, horizon: float) -> np.ndarray:
        """1 - S(horizon) (Cox; the horizon must be one of ``horizons``) or P(ER) (logistic)."""
        if not self.survival:
            return self.prob
        return 1.0 - self.surv[:, self.horizons.index(horizon)]


def rad_score_frame(model: RadiomicsNomogram, X: pd.DataFrame) -> pd.DataFrame:
    """The rad-score as a one-column design."""
    return pd.DataFrame({RAD_SCORE: model.rad_score(X).to_numpy(dtype=float)}, index=X.index)


def dl_score_frame(model: RadiomicsNomogram, X: pd.DataFrame) -> pd.DataFrame:
    """The DL score as a one-column design."""
    return pd.DataFrame({DL_SCORE: model.dl_score(X).to_numpy(dtype=float)}, index=X.index)


def _complete(design: pd.DataFrame) -> np.ndarray:
    return design.notna().all(axis=1).to_numpy()


class FrameDesigns:
    """Every model's design for the rows of one frame, sharing what they have in common: the
    clinical columns, the rad-score and the DL score are each computed once, when first needed
    (the combined design is made of them)."""

    def __init__(self, model: RadiomicsNomogram, frame: pd.DataFrame):
        self.model, self.frame = model, frame

    @cached_property
    def clinical(self) -> pd.DataFrame:
        return self.model.clinical_design(self.frame)

    @cached_property
    def radiomics(self) -> pd.DataFrame:
        return rad_score_frame(self.model, self.frame)

    @cached_property
    def deep(self) -> pd.DataFrame:
        return dl_score_frame(self.model, self.frame)

    @cached_property
    def combined(self) -> pd.DataFrame:
        """As ``RadiomicsNomogram.combined_design``."""
        deep = self.deep[DL_SCORE] if self.model.has_deep else None
        return self.model.combined_.design(self.clinical, self.radiomics[RAD_SCORE], deep)

    def of(self, name: str) -> pd.DataFrame:
        """The design of the model ``name`` (one of :data:`MODELS`)."""
        if name not in MODELS:
            raise ValueError(f"unknown model {name!r}; one of {MODELS}")
        return getattr(self, name)


def _design_of(model: RadiomicsNomogram, name: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda X: FrameDesigns(model, X).of(name)


def submodels(model: RadiomicsNomogram, train: SplitData,
              designs: FrameDesigns | None = None) -> tuple[dict[str, SubModel], dict[str, str]]:
    """(the available models, each left-out model's note saying why). ``designs``: the training
    frame's :class:`FrameDesigns` when the caller reuses them (made here otherwise)."""
    designs = FrameDesigns(model, train.frame) if designs is None else designs
    notes, found = {}, {}
    clinical = model.clinical_
    if clinical is None or clinical.model_ is None:
        notes["clinical"] = "Clinical model: no clinical variable was selected, so it is not evaluated"
    else:
        found["clinical"] = SubModel("clinical", clinical.model_, _design_of(model, "clinical"))
    scores = designs.radiomics
    rows = _complete(scores)
    if not model.has_radiomics:
        notes["radiomics"] = "Radiomics model: the cohort has no radiomic features, so there is none to evaluate"
    elif np.ptp(scores[RAD_SCORE].to_numpy()[rows]) == 0:
        notes["radiomics"] = "Radiomics model: the rad-score is constant (no feature selected), so it is not evaluated"
    else:
        fit = regression.fit(scores[rows], np.asarray(train.y)[rows], model.settings.model.ties)
        found["radiomics"] = SubModel("radiomics", fit, _design_of(model, "radiomics"))
    if model.has_deep:
        deep = designs.deep
        if np.ptp(deep[DL_SCORE].to_numpy()) == 0:
            notes["deep"] = "DL score model: the DL score is constant (no component selected), so it is not evaluated"
        else:
            fit = regression.fit(deep, np.asarray(train.y), model.settings.model.ties)
            found["deep"] = SubModel("deep", fit, _design_of(model, "deep"))
    found["combined"] = SubModel("combined", model.combined_.model_, _design_of(model, "combined"))
    return {name: found[name] for name in MODELS if name in found}, notes


def predict(sub: SubModel, split: SplitData, horizons: Sequence[float]) -> Prediction:
    """``sub``'s predictions on ``split`` at ``horizons`` (Cox)."""
    design = sub.design(split.frame)
    rows = _complete(design)
    design = design[rows]
    horizons = tuple(float(h) for h in horizons)
    survival = sub.family == "cox"
    surv = sub.fit.predict_survival(design, list(horizons)) if survival and horizons else None
    if survival and not horizons:
        surv = np.empty((int(rows.sum()), 0))
    return Prediction(
        model=sub.name, split=split.name, family=sub.family, ids=split.ids[rows],
        time=split.time[rows], event=split.event[rows],
        y=None if survival else binary_array(np.asarray(split.y)[rows]).astype(float),
        lp=np.asarray(sub.fit.predict(design), dtype=float), horizons=horizons if survival else (),
        surv=surv, prob=None if survival else sub.fit.predict_proba(design),
    )


def all_predictions(data: EvaluationInput, horizons: Sequence[float]) -> tuple[dict[tuple[str, str], Prediction], list[str]]:
    """Predictions keyed (model, split) for every available model and split, and notes."""
    subs, notes = submodels(data.model, data.train)
    out = {(name, split): predict(sub, data.splits[split], horizons) for name, sub in subs.items()
           for split in data.splits}
    return out, list(notes.values())
