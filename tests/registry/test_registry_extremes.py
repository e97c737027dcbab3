"""Extreme and training-like patients: CIs without NaN, range and Mahalanobis warnings that do
not fire on the training data itself."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hccdash.registry import calculator
from hccdash.registry.json_model import JsonModel


def test_an_extreme_patient_gets_a_survival_ci_without_nan(cox_standin, synthetic_data):
    """S(t) underflows to 0 (risk exp(b'(x - c)) ~ e^200, even overflowing to inf): survfit's log CI
    on the log scale gives lower 0 and upper min(1, exp(log S + z se)), never 0 * inf = NaN."""
    model = JsonModel(cox_standin[1])
    patients = synthetic_data.iloc[:3].copy()
    patients["rad_score"] = [1e3, 1e4, 1e6]  # b'(x - c) from ~10^2 to ~10^6
    surv, lower, upper = model.predict_survival(patients, model.horizons, level=0.95)
    for values in (surv, lower, upper):
        assert not np.isnan(values).any()
    assert (surv == 0).all() and (lower == 0).all()
    assert ((upper >= 0) & (upper <= 1)).all()
    curve = model.survival_curve(patients, level=0.95)
    assert not curve[["surv", "lower", "upper"]].isna().any().any()
    assert (curve.loc[curve["time"] == 0, ["surv", "lower", "upper"]] == 1).all().all()  # before any event


def test_log_scale_ci_equals_the_product_form_for_ordinary_patients(cox_standin, synthetic_data):
    """For a patient with a moderate risk the log-scale computation equals S exp(-/+ z se)."""
    model = JsonModel(cox_standin[1])
    patients = synthetic_data.iloc[:5].copy()
    surv, lower, upper = model.predict_survival(patients, model.horizons, level=0.95)
    assert 0 < surv.min() and surv.max() < 1
    spread = np.log(surv) - np.log(lower)  # z se
    assert np.allclose(np.minimum(surv * np.exp(spread), 1), upper, rtol=1e-12)
