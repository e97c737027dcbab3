"""A model file's fitted model with the interface of :class:`hccdash.stats.cox.CoxModel` /
:class:`hccdash.stats.logistic.LogisticModel` that :func:`hccdash.stats.validation.validate_cox`
and :func:`~hccdash.stats.validation.validate_logistic` use, so a registry model (saved here or
imported from JSON) is validated by the same R-checked code as a model fitted in Python.

``X`` is a frame of the model's inputs (clinical inputs in the model's units and the rad-score
or its radiomic features), as :class:`~hccdash.validation.inputs.ValidationData` holds them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hccdash.registry.json_model import JsonModel


class ModelFileCox:
    """A Cox model file as ``validate_cox`` needs it: ``predict`` (lp = b'x, uncentred),
    ``expected``, ``predict_survival`` and ``max_time_``."""

    def __init__(self, model: JsonModel):
        if model.family != "cox":
            raise ValueError(f"Model {model.name} is a logistic model, not a Cox model")
        self.model = model

    @property
    def max_time_(self) -> float:
        """The development data's longest follow-up (S(t) is NaN beyond it)."""
        return float(self.model.spec["baseline"]["max_time"])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.model.linear_predictor(X)

    def predict_survival(self, X: pd.DataFrame, times) -> np.ndarray:
        return self.model.predict_survival(X, times)

    def expected(self, X: pd.DataFrame, time) -> np.ndarray:
        """Each row's cumulative hazard at its own follow-up time, H0(t_i) exp(b'(x_i - c)), with
        the model file's baseline (Efron-adjusted for Efron ties, as ``survfit(coxph)``) carried
        forward beyond its last time: R ``predict(fit, newdata, type = "expected")``."""
        base = self.model.spec["baseline"]
        t = np.asarray(time, dtype=float).ravel()
        index = np.searchsorted(np.asarray(base["time"], float), t, side="right") - 1
        cumhaz = np.where(index < 0, 0.0, np.asarray(base["cumhaz"], float)[np.clip(index, 0, None)])
        eta = (self.model.design(X) - self.model.terms["mean"].to_numpy(float)) @ self.model.coef.to_numpy()
        return cumhaz * np.exp(eta)


class ModelFileLogistic:
    """A logistic model file as ``validate_logistic`` needs it: ``predict`` (the logit a + b'x)."""

    def __init__(self, model: JsonModel):
        if model.family != "logistic":
            raise ValueError(f"Model {model.name} is a Cox model, not a logistic model")
        self.model = model

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.model.linear_predictor(X)
