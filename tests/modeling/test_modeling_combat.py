"""ComBat inside the pipeline: fitted on the training rows before every filter, equal to
harmonising by hand (hccdash.stats.combat, checked against sva) and fitting without it; its own
stage-cache branch; unseen centres mapped onto the reference; no model file for it."""

from __future__ import annotations

import dataclasses

import joblib
import numpy as np
import pandas as pd
import pytest

from hccdash.modeling.builder import ModelBuilder
from hccdash.modeling.harmonisation import harmonisation_view
from hccdash.modeling.pipeline import RadiomicsNomogram
from hccdash.registry import pipelines
from hccdash.registry.from_pipeline import spec_from_pipeline
from hccdash.settings import SelectionSettings, Settings
from hccdash.stats import combat, combat_fit

from synthetic_cohort import synthetic_inputs

CLINICAL = ("AFP", "BCLC")
OFF = Settings(selection=SelectionSettings(icc_threshold=None, univariate_p=0.2, correlation_threshold=0.9,
                                           mrmr_k=None, lasso_folds=5))
ON = dataclasses.replace(OFF, selection=dataclasses.replace(OFF.selection, combat=True))


@pytest.fixture(scope="module")
def inputs():
    """Three centres (A, B, C by turns) with scanner effects: B shifted and stretched, C shifted."""
    base = synthetic_inputs(n=180, p=36, seed=11, n_latent=9)
    centre = pd.Series(np.array(["A", "B", "C"])[np.arange(180) % 3], index=base.features.index)
    features = base.features.copy()
    features[centre == "B"] = features[centre == "B"] * 1.8 + 1.5
    features[centre == "C"] = features[centre == "C"] - 1.0
    return dataclasses.replace(base, features=features, patients=base.patients.assign(centre=centre))


def _rows(inputs, ids, harmonised=None, centre=True):
    parts = [inputs.features.loc[ids] if harmonised is None else harmonised.loc[ids],
             inputs.clinical.loc[ids, list(CLINICAL)]]
    if centre:
        parts.append(inputs.patients.loc[ids, ["centre"]])
    return pd.concat(parts, axis=1)


def test_pipeline_with_combat_equals_manual_combat_then_the_pipeline_without(inputs, tmp_path):
    patients = inputs.patients
    train = patients.index[(patients["split"] == "train") & (patients["centre"] != "C")]
    seen = patients.index[(patients["split"] == "validation") & (patients["centre"] != "C")]
    new = patients.index[patients["centre"] == "C"]
    builder = ModelBuilder(inputs)
    outcome = builder.data(builder.build(OFF).endpoint)[0]
    y = builder.target(outcome, train)
    with_combat = RadiomicsNomogram(ON, CLINICAL).fit(_rows(inputs, train), y)

    batch = patients.loc[train, "centre"]
    by_hand = combat(inputs.features.loc[train], batch)
    plain = RadiomicsNomogram(OFF, CLINICAL).fit(_rows(inputs, train, by_hand, centre=False), y)
    assert with_combat.radiomics_.selected_features_ == plain.radiomics_.selected_features_
    assert len(plain.radiomics_.selected_features_) >= 2
    pd.testing.assert_series_equal(with_combat.radiomics_.coefficients_, plain.radiomics_.coefficients_, rtol=1e-9)
    np.testing.assert_allclose(with_combat.predict(_rows(inputs, train)), plain.predict(_rows(inputs, train, by_hand, False)),
                               rtol=1e-9)
    # validation patients of the training centres: the training fit, unchanged
    fit = combat_fit(inputs.features.loc[train], batch)
    seen_by_hand = fit.transform(inputs.features.loc[seen], patients.loc[seen, "centre"])
    np.testing.assert_allclose(with_combat.predict(_rows(inputs, seen)), plain.predict(_rows(inputs, seen, seen_by_hand, False)),
                               rtol=1e-9)
    # centre C, unseen in training: mapped onto the largest training centre's harmonised rows
    reference = batch.value_counts().idxmax()
    stacked = pd.concat([by_hand[batch == reference], inputs.features.loc[new]])
    labels = [reference] * int((batch == reference).sum()) + ["C"] * len(new)
    mapped = combat(stacked, labels, ref_batch=reference).iloc[-len(new):].set_axis(new)
    expected = plain.predict(_rows(inputs, new, mapped, False))
    np.testing.assert_allclose(with_combat.predict(_rows(inputs, new)), expected, rtol=1e-9)
    assert not np.allclose(plain.predict(_rows(inputs, new, centre=False)), expected)  # mapping matters
    # the saved pipeline carries the fitted harmoniser
    joblib.dump(with_combat, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(loaded.predict(_rows(inputs, new)), with_combat.predict(_rows(inputs, new)))


def test_stage_cache_keeps_combat_on_and_off_apart(inputs):
    builder = ModelBuilder(inputs)
    off = builder.build(OFF, CLINICAL)
    cache = builder.data(off.endpoint)[3]
    after_off = cache.misses
    on = builder.build(ON, CLINICAL)
    after_on = cache.misses
    assert after_on > after_off  # ComBat, its harmonised root and every filter on it computed anew
    assert not off.model.radiomics_.coefficients_.equals(on.model.radiomics_.coefficients_)
    again_off, again_on = builder.build(OFF, CLINICAL), builder.build(ON, CLINICAL)
    assert cache.misses == after_on  # both branches read from the cache
    pd.testing.assert_series_equal(again_off.model.radiomics_.coefficients_, off.model.radiomics_.coefficients_)
    pd.testing.assert_series_equal(again_on.model.radiomics_.coefficients_, on.model.radiomics_.coefficients_)
    train = on.train_index
    fresh = RadiomicsNomogram(ON, CLINICAL).fit(_rows(inputs, train), builder.target(builder.data(on.endpoint)[0], train))
    pd.testing.assert_series_equal(fresh.radiomics_.coefficients_, on.model.radiomics_.coefficients_, rtol=1e-9)
    assert on.discrimination.loc["combined", "validation"] != off.discrimination.loc["combined", "validation"]


def test_reference_batch_is_kept_and_the_view_shows_before_and_after(inputs):
    settings = dataclasses.replace(ON, selection=dataclasses.replace(ON.selection, combat_ref_batch="A"))
    builder = ModelBuilder(inputs)
    result = builder.build(settings, CLINICAL)
    view = harmonisation_view(builder, result)
    a = view.batch.index[view.batch == "A"]
    pd.testing.assert_frame_equal(view.after.loc[a], view.before.loc[a])  # the reference is left as it is
    b = view.batch.index[view.batch == "B"]
    assert abs(view.after.loc[b].mean().mean() - view.after.loc[a].mean().mean()) < 0.3 < abs(
        view.before.loc[b].mean().mean() - view.before.loc[a].mean().mean())
    assert view.features[:len(result.model.radiomics_.selected_features_)] == result.model.radiomics_.selected_features_
    assert len(view.before) == len(inputs.features)  # every set, every centre


def test_bad_batches_are_refused_naming_them(inputs):
    builder = ModelBuilder(inputs)
    scanner = dataclasses.replace(ON, selection=dataclasses.replace(ON.selection, combat_batch="scanner"))
    with pytest.raises(ValueError, match=r"ComBat batch 'scanner' .* choose one of \['centre', 'sex', 'BCLC'\]"):
        builder.build(scanner, CLINICAL)
    with pytest.raises(ValueError, match="selection.combat_batch must name the batch"):
        Settings.from_dict({"selection": {"combat": True, "combat_batch": " "}})
    missing = dataclasses.replace(ON, selection=dataclasses.replace(ON.selection, combat_ref_batch="Z"))
    with pytest.raises(ValueError, match=r"reference batch 'Z' is not one of the batches"):
        builder.build(missing, CLINICAL)
    one_centre = dataclasses.replace(inputs, patients=inputs.patients.assign(centre="A"))
    with pytest.raises(ValueError, match="ComBat needs at least two batches"):
        ModelBuilder(one_centre).build(ON, CLINICAL)


def test_a_combat_model_is_not_written_as_a_model_file(inputs):
    builder = ModelBuilder(inputs)
    result = builder.build(ON, CLINICAL)
    with pytest.raises(ValueError, match=r"harmonises its features with ComBat across 'centre' batches.*patient data"):
        pipelines.save_build(builder, result, "combat-model")
    train = result.train_index
    with pytest.raises(ValueError, match="cannot be written as a model file"):
        spec_from_pipeline(result.model, _rows(inputs, train), inputs.patients.loc[train, "time"],
                           inputs.patients.loc[train, "event"], name="x")
