"""SHAP-style explanations: exact linear contributions, their charts, and the model file's agreement."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from hccdash.charts.explanations import beeswarm_chart, swarm_offsets, waterfall_chart
from hccdash.charts.render import chart_svg, vega_spec
from hccdash.evaluation.explanations import (combined_explanation, linear_contributions, model_explanations,
                                             score_explanation)
from hccdash.modeling.builder import ModelBuilder
from hccdash.settings import ModelSettings, SelectionSettings, Settings

from synthetic_cohort import synthetic_inputs, with_deep_features

pytestmark = pytest.mark.filterwarnings("ignore:Only .* events per model term:UserWarning")


@pytest.fixture(scope="module")
def built():
    inputs = dataclasses.replace(with_deep_features(synthetic_inputs(n=150, p=50, seed=6, n_latent=10), p=30),
                                 networks={"tinynet": "0" * 64})
    settings = Settings(selection=SelectionSettings(mrmr_k=6, lasso_folds=5, deep_pca_variance=0.8),
                        model=ModelSettings(clinical_variables=("AFP", "BCLC"), clinical_p_in=0.5, clinical_p_out=0.5))
    builder = ModelBuilder(inputs)
    result = builder.build(settings)
    frames = {name: builder.frame(ids, result.clinical_vars) for name, ids in result.set_indices.items() if len(ids)}
    return result, frames, inputs.patients, builder


def test_closed_form_on_a_small_example():
    """b (x - mean) by hand: lp = 1 + 2 a - 3 b, means (a, b) = (1, 2) -> base 1 + 2 - 6 = -3."""
    design = pd.DataFrame({"a": [0.0, 2.0], "b": [2.0, 5.0]}, index=["p1", "p2"])
    e = linear_contributions(design, pd.Series({"a": 2.0, "b": -3.0}), pd.Series({"a": 1.0, "b": 2.0}), 1.0)
    assert e.base == -3.0
    assert e.contributions.loc["p1"].to_dict() == {"a": -2.0, "b": 0.0}
    assert e.contributions.loc["p2"].to_dict() == {"a": 2.0, "b": -9.0}
    assert list(e.contributions.columns) == ["b", "a"]  # by mean absolute contribution
    table = e.patient("p2")
    assert table["term"].tolist() == ["b", "a"] and table["end"].iloc[-1] == e.lp["p2"] == -10.0


def test_contributions_sum_to_the_lp_minus_its_training_mean(built):
    """For every patient: sum of the combined model's contributions = lp - mean training lp, with the
    pipeline's own linear predictor; the rad-score's and DL score's inner contributions sum to the score
    minus its intercept (z-scores and components are centred in training)."""
    result, frames, _, builder = built
    model = result.model
    explanations = model_explanations(model, frames)
    assert set(explanations) == {"combined", "radiomics", "deep"}
    combined = explanations["combined"]
    assert {"rad_score", "dl_score"} <= set(combined.contributions.columns)
    X = pd.concat(list(frames.values())).loc[combined.contributions.index]
    train_lp = model.predict(frames["train"])
    np.testing.assert_allclose(combined.base, np.nanmean(train_lp), atol=1e-10)
    np.testing.assert_allclose(combined.contributions.sum(axis=1), model.predict(X) - np.nanmean(train_lp),
                               atol=1e-10)
    rad = explanations["radiomics"]
    np.testing.assert_allclose(rad.contributions.sum(axis=1) + rad.base, model.rad_score(X), atol=1e-10)
    deep = explanations["deep"]
    np.testing.assert_allclose(deep.contributions.sum(axis=1) + deep.base, model.dl_score(X), atol=1e-10)
    assert deep.contributions.loc[frames["train"].index].mean().abs().max() < 1e-10
    assert set(combined.long(["validation"])["set"]) == {"validation"}


def test_model_file_gives_the_same_contributions(built):
    """The JSON model's contributions (terms' training means) equal the pipeline's explanation."""
    from hccdash.registry.from_pipeline import spec_from_pipeline
    from hccdash.registry.json_model import JsonModel

    result, frames, patients, _ = built
    train = frames["train"]
    rows = result.model.combined_design(train).dropna().index
    spec = spec_from_pipeline(result.model, train.loc[rows], patients.loc[rows, "time"], patients.loc[rows, "event"],
                              name="explained")
    model = JsonModel(spec).accept_network_hashes({"tinynet": "0" * 64})
    validation = frames["validation"]
    mine = combined_explanation(result.model, validation, train.loc[rows]).contributions
    theirs = model.contributions(validation)[mine.columns]
    np.testing.assert_allclose(theirs.loc[mine.index].to_numpy(), mine.to_numpy(), atol=1e-9)


def test_charts(built):
    """Beeswarm and waterfall render (SVG) with every term and patient; swarm offsets stay within a row."""
    result, frames, _, builder = built
    e = model_explanations(result.model, frames)["combined"]
    long = e.long()
    offsets = swarm_offsets(long)
    assert np.abs(offsets).max() <= 0.45 and len(np.unique(offsets)) > 1
    spec = vega_spec(beeswarm_chart(long, "Combined model"))
    assert sorted(len(rows) for rows in spec["datasets"].values()) == [1, e.contributions.size]  # rule at 0, dots
    assert "<svg" in chart_svg(beeswarm_chart(long, "Combined model"))
    patient = e.contributions.index[0]
    table = e.patient(patient)
    chart = waterfall_chart(table, e.base, f"Patient {patient}")
    data = chart.layer[0].data
    assert len(data) == len(table) + 2 and data["end"].iloc[-1] == pytest.approx(e.lp[patient])
    assert "<svg" in chart_svg(chart)


def test_without_a_dl_score_there_is_no_deep_explanation(built):
    result, frames, _, builder = built
    settings = dataclasses.replace(result.settings, selection=dataclasses.replace(result.settings.selection,
                                                                                  deep_score=False))
    model = builder.build(settings).model
    assert set(model_explanations(model, frames)) == {"combined", "radiomics"}
    assert score_explanation(model, frames["train"], "deep") is None
    with pytest.raises(ValueError, match="Unknown explanation"):
        score_explanation(result.model, frames["train"], "clinical")


def test_methods_text_describes_the_dl_score():
    """The methods paragraph names the network and its hash, the PCA rule, the components kept and the lambda."""
    from hccdash.evaluation.methods_text import methods_paragraph

    found = {"deep": {"funnel": {"input": 1664, "pca": 31, "lasso": 5}, "selected": ["dl_pc1", "dl_pc2", "dl_pc4",
                                                                                     "dl_pc6", "dl_pc9"],
                      "lambda": 0.0123, "networks": {"densenet169": "ab" * 32}, "formula": ""}}
    settings = Settings(selection=SelectionSettings(deep_pca_variance=0.85), model=ModelSettings(endpoint="er"))
    text = methods_paragraph(settings, found)
    assert ("Deep features of densenet169 (ONNX file SHA-256 abababababab) formed their own block" in text
            and "the principal components explaining 85% of their variance" in text
            and "31 of 1664 kept" in text and "LASSO logistic" in text and "lambda = 0.0123" in text
            and "from 5 component(s)" in text)
    assert "Deep features" not in methods_paragraph(settings, {"deep": None})
