"""A small fitted stand-in model (Cox or logistic on synthetic data) for registry tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hccdash import stats
from hccdash.registry.model_file import ModelParts, RadScore, build_spec

FEATURES = ["portal.original_firstorder_Mean", "portal.original_glcm_Contrast"]


def synthetic(n: int = 120, seed: int = 3) -> pd.DataFrame:
    """Clinical inputs, two radiomic features and a (months) outcome."""
    rng = np.random.default_rng(seed)
    data = pd.DataFrame(
        {
            "age": rng.normal(58, 9, n).round(),
            "afp": np.exp(rng.normal(4, 2, n)).round(1),
            "child_pugh": rng.choice(["A", "B"], n, p=[0.7, 0.3]),
            FEATURES[0]: rng.normal(60, 15, n),
            FEATURES[1]: rng.gamma(2, 3, n),
        },
        index=pd.Index([f"P{i:03d}" for i in range(n)], name="patient_id"),
    )
    risk = 0.02 * (data["age"] - 58) + 0.5 * (data["afp"] > 400) + 0.05 * (data[FEATURES[1]] - 6)
    data["time"] = np.round(rng.exponential(30 * np.exp(-risk)), 1) + 0.1
    data["event"] = (rng.random(n) < 0.7).astype(int)
    return data


def rad_score(data: pd.DataFrame) -> RadScore:
    mean, sd = data[FEATURES].mean(), data[FEATURES].std()
    return RadScore(coef=pd.Series([0.3, 0.6], index=FEATURES), mean=mean, sd=sd)


TERMS = [
    {"name": "age", "predictor": "age", "type": "linear"},
    {"name": "afp > 400", "predictor": "afp", "type": "above", "cutoff": 400.0},
    {"name": "child_pugh[B]", "predictor": "child_pugh", "type": "indicator", "level": "B"},
    {"name": "rad_score", "predictor": "rad_score", "type": "linear"},
]


def design(data: pd.DataFrame, rad: RadScore) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": data["age"],
            "afp > 400": (data["afp"] > 400).astype(float),
            "child_pugh[B]": (data["child_pugh"] == "B").astype(float),
            "rad_score": rad.score(data),
        }
    )


def cox_standin(data: pd.DataFrame):
    """(fitted CoxModel, model file) of the combined stand-in model."""
    rad = rad_score(data)
    model = stats.cox_fit(design(data, rad), data["time"], data["event"])
    parts = ModelParts(
        kind="rfs", submodel="combined", terms=TERMS, coef=model.coef_, covariance=model.cov_,
        levels={"child_pugh": ["A", "B"]}, rad=rad, units={"afp": "ng/mL", "age": "years"},
    )
    spec = build_spec(parts, data, data["time"].to_numpy(), data["event"].to_numpy(), name="standin",
                      metrics={"c_index": {"train": 0.7}})
    return model, spec


def logistic_standin(data: pd.DataFrame, horizon: float = 24.0):
    """(fitted LogisticModel, model file, rows used) of an ER stand-in model."""
    rad = rad_score(data)
    known = (data["event"].eq(1) & data["time"].le(horizon)) | data["time"].ge(horizon)
    rows = data[known]
    y = (rows["event"].eq(1) & rows["time"].le(horizon)).astype(int)
    model = stats.logistic_fit(design(rows, rad), y)
    parts = ModelParts(
        kind="er", submodel="combined", terms=TERMS, coef=model.coef_, covariance=model.cov_,
        intercept=model.intercept_, levels={"child_pugh": ["A", "B"]}, rad=rad, er_horizon=horizon,
    )
    spec = build_spec(parts, rows, rows["time"].to_numpy(), rows["event"].to_numpy(), name="standin-er")
    return model, spec, rows
