"""ComBatHarmonizer: fitted on training only, reused unchanged; unseen centres mapped onto a
reference centre by reference-batch ComBat (checked against sva in tests/reference/combat)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from hccdash.selection import ComBatHarmonizer, Standardizer
from hccdash.stats import combat, combat_fit

REF = Path(__file__).resolve().parents[1] / "reference" / "combat"
DATA = pd.read_csv(REF / "simulated.csv", index_col="id").drop(columns="f60")  # f60: constant within B
DATA = DATA[DATA["batch"] != "D"]
X, CENTRE = DATA.drop(columns="batch"), DATA["batch"]
TRAIN = X.index[np.arange(len(X)) % 3 != 0]  # two thirds of every centre
VALID = X.index.difference(TRAIN, sort=False)


def test_validation_rows_of_seen_centres_use_the_training_fit_unchanged():
    """The numbers fitted on training are applied to validation as they are: same as
    combat_fit(train).transform(valid), each row independent of the other validation rows, and
    not what ComBat re-estimated on the validation rows would give."""
    h = ComBatHarmonizer().fit(X.loc[TRAIN], batch=CENTRE[TRAIN])
    gamma = h.combat_.gamma_star.copy()
    out = h.transform(X.loc[VALID], batch=CENTRE[VALID])
    expected = combat_fit(X.loc[TRAIN], CENTRE[TRAIN]).transform(X.loc[VALID], CENTRE[VALID])
    pd.testing.assert_frame_equal(out, expected)
    one = h.transform(X.loc[VALID[:1]], batch=CENTRE[VALID[:1]])
    pd.testing.assert_frame_equal(one, out.iloc[:1])
    refit = combat(X.loc[VALID], CENTRE[VALID])
    assert (out - refit).abs().to_numpy().max() > 0.01
    pd.testing.assert_frame_equal(h.combat_.gamma_star, gamma)
    pd.testing.assert_frame_equal(h.transform(X.loc[TRAIN], batch=CENTRE[TRAIN]),
                                  combat(X.loc[TRAIN], CENTRE[TRAIN]))


def test_unseen_centre_is_mapped_onto_the_reference_as_sva_does():
    """Trained on centres A and B with ref_batch = "B"; centre C is new. R:
    sva::ComBat(dat = t(X[B and C rows]), batch, mod = NULL, par.prior = TRUE, ref.batch = "B")
    (fixture case simulated_BC_ref), within 1e-8 of each feature's sd; B's rows stay unchanged."""
    full = pd.read_csv(REF / "simulated.csv", index_col="id")
    features, centre = full.drop(columns="batch"), full["batch"]
    h = ComBatHarmonizer(ref_batch="B").fit(features[centre.isin(["A", "B"])], batch=centre[centre.isin(["A", "B"])])
    assert h.unseen_ref_ == "B"
    pd.testing.assert_frame_equal(h.reference_data_, features[centre == "B"])
    new = centre == "C"
    out = h.transform(features[new], batch=centre[new])
    sva = pd.read_csv(REF / "adjusted_simulated_BC_ref.csv", index_col="id").loc[out.index]
    sd = features[centre.isin(["B", "C"])].std(ddof=1)
    assert float(((out - sva).abs() / sd).max().max()) < 1e-8
    stacked = combat(features[centre.isin(["B", "C"])], centre[centre.isin(["B", "C"])], ref_batch="B")
    pd.testing.assert_frame_equal(out, stacked[new[centre.isin(["B", "C"])].to_numpy()], rtol=1e-12)


def test_unseen_centre_without_ref_batch_goes_to_the_largest_centre_harmonised():
    """No ref_batch: the reference is the largest training centre (A, 20 rows) after ComBat, so the
    new centre lands where the harmonised training data are; each unseen centre on its own."""
    train = CENTRE.isin(["A", "B"])
    h = ComBatHarmonizer().fit(X[train], batch=CENTRE[train])
    assert h.unseen_ref_ == "A"
    harmonised_a = combat(X[train], CENTRE[train])[CENTRE[train] == "A"]
    pd.testing.assert_frame_equal(h.reference_data_, harmonised_a)
    mixed = X.loc[VALID]
    labels = CENTRE[VALID].replace({"B": "C2"})  # two unseen centres, C and C2, and seen A
    out = h.transform(mixed, batch=labels)
    for new in ("C", "C2"):
        rows = labels == new
        stack = pd.concat([harmonised_a, mixed[rows]])
        batch = ["A"] * len(harmonised_a) + [new] * int(rows.sum())
        expected = combat(stack, batch, ref_batch="A").iloc[len(harmonised_a):]
        pd.testing.assert_frame_equal(out[rows.to_numpy()], expected, rtol=1e-12)
    seen = labels == "A"
    pd.testing.assert_frame_equal(out[seen.to_numpy()], h.combat_.transform(mixed[seen], labels[seen]))
    assert ComBatHarmonizer(unseen_ref="B").fit(X[train], batch=CENTRE[train]).unseen_ref_ == "B"


def test_centre_column_works_inside_a_pipeline_and_is_dropped():
    frame = X.assign(centre=CENTRE)
    pipe = Pipeline([("harmonise", ComBatHarmonizer(batch_col="centre")), ("z", Standardizer())])
    pipe.fit(frame.loc[TRAIN])
    out = pipe.transform(frame.loc[VALID])
    assert list(out.columns) == list(X.columns) == list(pipe.get_feature_names_out())
    harmonised = ComBatHarmonizer().fit(X.loc[TRAIN], batch=CENTRE[TRAIN]).transform(X.loc[VALID], batch=CENTRE[VALID])
    pd.testing.assert_frame_equal(out, pipe.named_steps["z"].transform(harmonised))
    assert clone(pipe).named_steps["harmonise"].get_params()["batch_col"] == "centre"
    fitted = ComBatHarmonizer(batch_col="centre")
    pd.testing.assert_frame_equal(fitted.fit_transform(frame), combat(X, CENTRE))


def test_warnings_name_unadjusted_features_and_the_mean_only_model():
    full = pd.read_csv(REF / "simulated.csv", index_col="id")
    h = ComBatHarmonizer(batch_col="batch").fit(full)
    assert any("f60" in w for w in h.warnings_)
    assert any("mean-only" in w and "'D'" in w for w in h.warnings_)
    assert ComBatHarmonizer().fit(X, batch=CENTRE).warnings_ == []


@pytest.mark.parametrize("step, kwargs, message", [
    (ComBatHarmonizer(), {}, "pass batch=... or set batch_col"),
    (ComBatHarmonizer(batch_col="site"), {}, "no centre column 'site'"),
    (ComBatHarmonizer(batch_col="batch"), {"batch": CENTRE}, "not both"),
    (ComBatHarmonizer(unseen_ref="Z"), {"batch": CENTRE}, "unseen_ref 'Z' is not a training centre"),
    (ComBatHarmonizer(unseen_ref="S"), {"batch": CENTRE.where(CENTRE.index != "p001", "S")}, "'S' .* one"),
    (ComBatHarmonizer(), {"batch": CENTRE.where(CENTRE.index != "p004")}, "patient 'p004' has no batch"),
])
def test_bad_input_is_refused_with_its_name(step, kwargs, message):
    frame = DATA if step.batch_col == "batch" else X
    with pytest.raises(ValueError, match=message):
        step.fit(frame, **kwargs)


def test_transform_needs_the_fitted_features():
    h = ComBatHarmonizer().fit(X, batch=CENTRE)
    with pytest.raises(ValueError, match="lacks the fitted feature"):
        h.transform(X.drop(columns="f03"), batch=CENTRE)
