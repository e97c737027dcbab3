"""The pipeline: fitted on training rows only, cached refits equal plain fits, predictions."""

from __future__ import annotations

import dataclasses

import joblib
import numpy as np
import pandas as pd
import pytest

from hccdash.modeling.builder import ModelBuilder, ModelInputs
from hccdash.modeling.controls import with_lambda
from hccdash.modeling.fusion import PhaseFusion
from hccdash.modeling.pipeline import RadiomicsNomogram
from hccdash.settings import ModelSettings, SelectionSettings, Settings
from hccdash.stats import harrell_c

from synthetic_cohort import synthetic_inputs

CLINICAL = ("AFP", "BCLC", "sex")
SETTINGS = Settings(
    selection=SelectionSettings(mrmr_k=10, lasso_folds=5),
    model=ModelSettings(clinical_variables=CLINICAL, clinical_dichotomise=("AFP",)),
)


@pytest.fixture(scope="module")
def inputs() -> ModelInputs:
    return synthetic_inputs(n=160, p=120, seed=2, n_latent=20)


@pytest.fixture(scope="module")
def result(inputs):
    return ModelBuilder(inputs).build(SETTINGS)


def _state(model: RadiomicsNomogram) -> dict:
    """Everything learned: features, z-score means / sds, coefficients, cut-offs, baseline."""
    signature = model.radiomics_
    return {
        "funnel": signature.funnel_["features"].tolist(),
        "selected": signature.selected_features_,
        "coef": signature.coefficients_.round(12).to_dict(),
        "mean": signature.standardizer_.mean_.round(12).to_dict(),
        "sd": signature.standardizer_.sd_.round(12).to_dict(),
        "cutoffs": model.clinical_.cutoffs_,
        "clinical": model.clinical_.selected_,
        "combined": model.combined_.model_.coef_.round(12).to_dict(),
        "baseline": model.baseline_survival_["survival"].round(12).tolist(),
    }


def test_validation_rows_never_influence_the_fit(inputs, result):
    """Perturbing every validation row (features, clinical values, outcome) leaves the fitted
    state identical: means, sds, selection, coefficients, cut-offs and baseline survival."""
    validation = inputs.patients.index[inputs.patients["split"] == "validation"]
    rng = np.random.default_rng(9)
    features = inputs.features.copy()
    features.loc[validation] = features.loc[validation] * 3 + rng.normal(size=(len(validation), features.shape[1]))
    clinical = inputs.clinical.copy()
    clinical.loc[validation, "AFP"] = clinical.loc[validation, "AFP"] * 50
    patients = inputs.patients.copy()
    patients.loc[validation, "event"] = 1 - patients.loc[validation, "event"]
    patients.loc[validation, "time"] = patients.loc[validation, "time"] / 3
    perturbed = dataclasses.replace(inputs, features=features, clinical=clinical, patients=patients)
    again = ModelBuilder(perturbed).build(SETTINGS)
    assert _state(again.model) == _state(result.model)
    assert again.discrimination.loc["combined", "train"] == result.discrimination.loc["combined", "train"]
    assert again.discrimination.loc["combined", "validation"] != result.discrimination.loc["combined", "validation"]


def test_cached_build_equals_a_plain_fit(inputs, result):
    """The builder's cached stages give the same model as RadiomicsNomogram.fit on the training rows."""
    train = result.train_index
    X = pd.concat([inputs.features.loc[train], inputs.clinical.loc[train, list(CLINICAL)]], axis=1)
    y = ModelBuilder.target(ModelBuilder(inputs).data(result.endpoint)[0], train)
    icc = ModelBuilder(inputs).icc(SETTINGS.selection.icc_kind, train)
    plain = RadiomicsNomogram(SETTINGS, CLINICAL, icc=icc).fit(X, y)
    assert _state(plain) == _state(result.model)


def test_lambda_change_reuses_the_path_and_equals_a_fresh_fit(inputs):
    builder = ModelBuilder(inputs)
    first = builder.build(SETTINGS)
    lam = float(first.lasso.cv_.lambdas[5])
    misses = builder.data(first.endpoint)[3].misses
    moved = builder.build(with_lambda(SETTINGS, lam))
    assert builder.data(first.endpoint)[3].misses == misses  # nothing recomputed
    assert moved.lasso.cv_ is first.lasso.cv_
    fresh = ModelBuilder(inputs).build(with_lambda(SETTINGS, lam))
    assert _state(moved.model) == _state(fresh.model)


def test_upstream_change_recomputes_only_downstream(inputs):
    builder = ModelBuilder(inputs)
    first = builder.build(SETTINGS)
    cache = builder.data(first.endpoint)[3]
    before = cache.misses
    changed = dataclasses.replace(SETTINGS, selection=dataclasses.replace(SETTINGS.selection, mrmr_k=6))
    result = builder.build(changed)
    assert cache.misses - before <= 3  # the signature, its mRMR step and (maybe) one new LASSO path
    assert result.model.radiomics_.funnel_.set_index("step").loc["mrmr", "features"] == 6
    old_steps, new_steps = dict(first.model.radiomics_.steps_), dict(result.model.radiomics_.steps_)
    assert new_steps["correlation"] is old_steps["correlation"]  # the chain before mRMR is reused
    assert new_steps["mrmr"] is not old_steps["mrmr"]


def test_predictions(inputs, result, tmp_path):
    model = result.model
    rows = inputs.features.index[:5]
    X = pd.concat([inputs.features.loc[rows], inputs.clinical.loc[rows, list(CLINICAL)]], axis=1)
    surv = model.predict_survival(X, [6, 12, 24])
    assert surv.shape == (5, 3)
    assert ((surv > 0) & (surv < 1)).all() and (np.diff(surv, axis=1) <= 0).all()
    lp = model.predict(X)
    assert np.argsort(lp).tolist() == np.argsort(-surv[:, 1]).tolist()  # higher risk, lower S(12)
    X_missing = X.copy()
    X_missing.iloc[0, X.columns.get_loc("AFP")] = np.nan
    assert np.isnan(model.predict_survival(X_missing, [12])[0, 0])
    with pytest.raises(ValueError, match="ER"):
        model.predict_proba(X)
    joblib.dump(model, tmp_path / "m.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "m.joblib").predict(X), lp)


def test_early_recurrence_endpoint(inputs):
    settings = dataclasses.replace(SETTINGS, model=dataclasses.replace(SETTINGS.model, endpoint="er",
                                                                        er_horizon_months=12.0))
    result = ModelBuilder(inputs).build(settings)
    assert result.model.family_ == "logistic"
    censored_early = inputs.patients.query("event == 0 and time < 12").index
    assert set(result.excluded) == set(censored_early)
    assert not set(result.train_index) & set(censored_early)
    X = pd.concat([inputs.features, inputs.clinical[list(CLINICAL)]], axis=1).iloc[:4]
    proba = result.model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="RFS"):
        result.model.predict_survival(X, [12])


def test_phase_fusion_scores(inputs):
    """Fusion 'scores': the rad-score is the Cox linear predictor of the per-phase rad-scores."""
    settings = dataclasses.replace(SETTINGS, selection=dataclasses.replace(SETTINGS.selection, fusion="scores"))
    result = ModelBuilder(inputs).build(settings)
    fusion = result.model.radiomics_
    assert isinstance(fusion, PhaseFusion)
    assert set(fusion.signatures_) == set(inputs.phases)
    X = inputs.features.iloc[:6]
    scores = fusion.phase_scores(X)[fusion.score_columns_]
    np.testing.assert_allclose(fusion.rad_score(X), scores.to_numpy() @ fusion.model_.coef_.to_numpy())
    for phase, signature in fusion.signatures_.items():
        assert all(f.startswith(f"{phase}.") for f in signature.selected_features_)


def test_summary_has_the_required_keys(inputs, result):
    summary = result.summary()
    assert summary["selected_features"] == result.model.radiomics_.selected_features_
    assert set(summary["rad_score_coefficients"]) == set(summary["selected_features"])
    assert set(summary["c_index"]) == {"train", "validation"}
    # the combined model's Harrell C on the training patients, recomputed from its predictions
    builder = ModelBuilder(inputs)
    train = result.train_index
    lp = result.model.predict(builder.frame(train, result.clinical_vars, None))
    patients = inputs.patients.loc[train]
    expected = harrell_c(patients["time"], patients["event"], lp)
    assert summary["c_index"]["train"] == pytest.approx(expected, abs=1e-12) and expected > 0.6
