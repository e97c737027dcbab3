"""Extreme and training-like patients: CIs without NaN, range and Mahalanobis warnings that do
not fire on the training data itself."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hccdash import calculator
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


def _normal_rad_model(n: int = 105, p: int = 13, seed: int = 5):
    """A Cox model on a rad-score of ``p`` multivariate-normal features of ``n`` training patients."""
    from hccdash import stats
    from hccdash.registry.model_file import ModelParts, RadScore, build_spec

    rng = np.random.default_rng(seed)
    names = [f"portal.original_firstorder_F{j:02d}" for j in range(p)]
    mixing = rng.normal(size=(p, p)) / np.sqrt(p) + np.eye(p)
    data = pd.DataFrame(rng.normal(size=(n, p)) @ mixing * 10 + 50, columns=names,
                        index=pd.Index([f"HCC{i:03d}" for i in range(n)], name="patient_id"))
    rad = RadScore(coef=pd.Series(rng.normal(0, 0.3, p), index=names), mean=data.mean(), sd=data.std())
    time = rng.exponential(30, n).round(1) + 0.1
    event = (rng.random(n) < 0.7).astype(int)
    x = pd.DataFrame({"rad_score": rad.score(data)})
    fit = stats.cox_fit(x, time, event)
    parts = ModelParts(kind="rfs", submodel="radiomics", terms=[{"name": "rad_score", "predictor": "rad_score",
                       "type": "linear"}], coef=fit.coef_, covariance=fit.cov_, rad=rad)
    return JsonModel(build_spec(parts, data, time, event, name="normal")), data


def test_training_patients_are_not_far_from_their_own_training_data():
    """n = 105 training patients, p = 13 features (the HCC-TACE-Seg shape): the new-patient 0.999
    F region (squared distance ~46 here, not the chi-square(13) 34.5) flags at most ~0.1% of them,
    and a patient 12 sd away on one feature is flagged."""
    model, data = _normal_rad_model()
    assert calculator.mahalanobis_threshold(model) == pytest.approx(
        calculator.mahalanobis_limit(13, 105, 0.999), rel=1e-12)
    checked = calculator.check_inputs(model, data)
    far = checked.warnings[checked.warnings["column"] == "radiomic features"]
    assert len(far) <= 1
    assert checked.warnings.empty  # no range warning either: every training value is inside its own range
    one = data.iloc[[0]].copy()
    one.iloc[0, 0] += 12 * data.iloc[:, 0].std()
    warned = calculator.check_inputs(model, one).warnings
    assert "far from the training data" in " ".join(warned["problem"])


def test_mahalanobis_limit_is_the_new_patient_prediction_region():
    """Simulated normal data, n = 105, p = 13, 400 training sets with 50 new patients each: a new
    patient is beyond the 0.999 limit in ~0.1% of draws (the chi-square(13) 0.999 quantile 34.53,
    which ignores that mean and covariance are estimated, in ~1%); a training patient, whose
    distance is from estimates including it, is beyond it even less often."""
    n, p, reps, fresh = 105, 13, 400, 50
    rng = np.random.default_rng(11)
    limit = calculator.mahalanobis_limit(p, n, 0.999)
    inside, new = [], []
    for _ in range(reps):
        x = rng.normal(size=(n + fresh, p))
        train, others = x[:n], x[n:]
        centre, precision = train.mean(0), np.linalg.inv(np.cov(train, rowvar=False))
        for rows, out in ((train, inside), (others, new)):
            d = rows - centre
            out.append(np.einsum("ij,jk,ik->i", d, precision, d))
    inside, new = np.concatenate(inside), np.concatenate(new)
    assert 0.0004 < (new > limit).mean() < 0.002
    assert (new > 34.53).mean() > 0.006  # chi-square: ~10 times the nominal rate
    assert (inside > limit).mean() <= 0.001
    assert calculator.mahalanobis_limit(13, 13, 0.999) == np.inf


def test_range_checks_tolerate_rounding_of_the_bounds(cox_standin, synthetic_data):
    """A value equal to a training bound up to 1e-12 relative (another order of operations) is not
    outside the training range; one 1e-6 beyond is."""
    spec = cox_standin[1]
    model = JsonModel(spec)
    lp = model.linear_predictor(synthetic_data)
    top = synthetic_data.iloc[[int(np.argmax(lp))]]
    low, high = spec["model"]["lp_range"]
    assert high == pytest.approx(lp.max(), rel=1e-15)
    shifted = JsonModel({**spec, "model": {**spec["model"], "lp_range": [low, high * (1 - 1e-12)]}})
    assert "linear predictor" not in set(calculator.check_inputs(shifted, top).warnings["column"])
    shifted = JsonModel({**spec, "model": {**spec["model"], "lp_range": [low, high - 1e-6 * abs(high)]}})
    assert "linear predictor" in set(calculator.check_inputs(shifted, top).warnings["column"])
    assert not calculator.outside(2.722 * (1 + 1e-12), -1.5, 2.722)
    assert calculator.outside(2.7223, -1.5, 2.722)
