"""The DL score of deep features (z-score -> PCA -> LASSO) and its place in the pipeline."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from hccdash.modeling import regression
from hccdash.modeling.builder import ModelBuilder
from hccdash.modeling.deep_score import DeepScore, deep_columns, is_deep_column, network_of
from hccdash.modeling.endpoints import Endpoint, make_outcome
from hccdash.settings import ModelSettings, SelectionSettings, Settings

from synthetic_cohort import synthetic_inputs, with_deep_features

HASH = "ab" * 32
SELECTION = SelectionSettings(mrmr_k=8, lasso_folds=5, deep_pca_variance=0.8)


@pytest.fixture(scope="module")
def inputs():
    return dataclasses.replace(with_deep_features(synthetic_inputs(n=150, p=60, seed=3, n_latent=12), p=40),
                               networks={"tinynet": HASH})


@pytest.fixture(scope="module")
def train(inputs):
    ids = inputs.patients.index[inputs.patients["split"] == "train"]
    outcome = make_outcome(inputs.patients.loc[ids], Endpoint.from_settings(ModelSettings()))
    return inputs.features.loc[outcome.index, deep_columns(inputs.features.columns)], outcome.y


def test_column_names():
    assert is_deep_column("dl.densenet169.0042") and is_deep_column("portal.dl.densenet169.0042")
    assert not is_deep_column("portal.original_firstorder_Mean") and not is_deep_column("dl_score")
    assert network_of("portal.dl.densenet169.0042") == "densenet169"
    with pytest.raises(ValueError, match="not a deep feature"):
        network_of("portal.original_firstorder_Mean")


def test_dl_score_is_the_numpy_computation(train):
    """The DL score equals a plain numpy computation from the fitted parts: z = (x - mean) / sd (n - 1),
    t = z V (V from an SVD of the centred z), then sum_k b_k t_k / sd(t_k) + intercept; and it is linear in
    the features as extracted (linear_weights)."""
    X, y = train
    fitted = DeepScore(SELECTION, {"tinynet": HASH}).fit(X, y)
    values = X.to_numpy(float)
    z = (values - values.mean(0)) / values.std(0, ddof=1)
    _, _, vt = np.linalg.svd(z, full_matrices=False)
    k = fitted.pca_.n_components_
    v = vt[:k].T * np.sign(np.sum(vt[:k].T * fitted.pca_.rotation_.to_numpy(), axis=0))
    t = z @ v
    t = t / t.std(0, ddof=1)
    b = fitted.lasso_.coef_.reindex(fitted.pca_.rotation_.columns).to_numpy()
    expected = t @ b + fitted.lasso_.intercept_
    np.testing.assert_allclose(fitted.dl_score(X).to_numpy(), expected, atol=1e-9)
    weights, constant = fitted.linear_weights()
    np.testing.assert_allclose(constant + values @ weights.to_numpy(), expected, atol=1e-9)
    assert fitted.networks_ == {"tinynet": HASH}
    assert fitted.funnel_["features"].tolist() == [40, k, len(fitted.selected_features_)]
    assert 1 <= len(fitted.selected_features_) <= k


def test_dl_score_predicts_new_rows(inputs, train):
    """Fitted on training rows, the DL score ranks validation patients (C > 0.6: the synthetic deep
    features carry the hazard's signal) and at_lambda moves along the same path."""
    X, y = train
    fitted = DeepScore(SELECTION).fit(X, y)
    ids = inputs.patients.index[inputs.patients["split"] == "validation"]
    outcome = make_outcome(inputs.patients.loc[ids], Endpoint.from_settings(ModelSettings()))
    new = inputs.features.loc[outcome.index, list(X.columns)]
    assert regression.concordance(outcome.y, fitted.dl_score(new)) > 0.6
    moved = fitted.at_lambda("lambda.1se")
    assert moved.lasso_.cv_ is fitted.lasso_.cv_ and len(moved.selected_features_) <= len(fitted.selected_features_)
    assert fitted.networks_ == {"tinynet": None}  # no hash given


def test_fixed_number_of_components(train):
    X, y = train
    fitted = DeepScore(dataclasses.replace(SELECTION, deep_pca_components=3)).fit(X, y)
    assert fitted.pca_.n_components_ == 3
    assert list(fitted.component_table()["component"]) == ["dl_pc1", "dl_pc2", "dl_pc3"]


def test_radiomics_and_deep_blocks_stay_apart(inputs):
    """The pipeline keeps deep columns out of the radiomics signature and puts the DL score beside
    the rad-score and clinical terms in the combined model; the builder's cached fit equals a plain fit."""
    settings = Settings(selection=SELECTION, model=ModelSettings(clinical_variables=("AFP", "BCLC")))
    result = ModelBuilder(inputs).build(settings)
    model = result.model
    assert not any(is_deep_column(c) for c in model.radiomics_.feature_names_in_)
    assert model.has_deep and model.deep_.networks_ == {"tinynet": HASH}
    assert "dl_score" in model.combined_.columns_ and "rad_score" in model.combined_.columns_
    assert list(result.discrimination.index) == ["radiomics", "clinical", "deep", "combined"]
    summary = result.summary()["dl_score"]
    assert summary["networks"] == {"tinynet": HASH} and summary["funnel"]["input"] == 40
    assert summary["coefficients"] == {k: float(v) for k, v in model.deep_.coefficients_.items()}
    builder = ModelBuilder(inputs)
    outcome, train, _, _ = builder.data(result.endpoint, result.settings.split)
    frame = builder.frame(train, ("AFP", "BCLC"))
    plain = type(model)(result.settings, ("AFP", "BCLC"), networks={"tinynet": HASH}).fit(
        frame, builder.target(outcome, train))
    np.testing.assert_allclose(plain.predict(frame), model.predict(frame), atol=1e-9)
    design = model.combined_design(frame)
    lp = design.to_numpy(float) @ model.combined_.model_.coef_[design.columns].to_numpy()
    np.testing.assert_allclose(model.predict(frame), lp, atol=1e-9)


def test_deep_score_off(inputs):
    settings = Settings(selection=dataclasses.replace(SELECTION, deep_score=False),
                        model=ModelSettings(clinical_variables=("AFP",)))
    model = ModelBuilder(inputs).build(settings).model
    assert not model.has_deep and "dl_score" not in model.combined_.columns_
    assert not any(is_deep_column(c) for c in model.radiomics_.feature_names_in_)


def test_settings_validation():
    with pytest.raises(ValueError, match="deep_pca_variance"):
        Settings.from_dict({"selection": {"deep_pca_variance": 0}})
    with pytest.raises(ValueError, match="deep_pca_components"):
        Settings.from_dict({"selection": {"deep_pca_components": 0}})
    with pytest.raises(ValueError, match="deep_lasso_lambda"):
        Settings.from_dict({"selection": {"deep_lasso_lambda": "lambda.max"}})
    assert Settings.from_dict({"selection": {"deep_pca_components": 5}}).selection.deep_pca_components == 5
