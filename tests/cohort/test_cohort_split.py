"""Training / validation splits: stratified, reproducible, by centre, none."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from hccdash.cohort.split import SETS, set_names, split_patients, split_spec
from hccdash.settings import SplitSettings


def _patients(n=100, events=40, seed=0):
    rng = np.random.default_rng(seed)
    event = np.r_[np.ones(events, int), np.zeros(n - events, int)]
    rng.shuffle(event)
    return pd.DataFrame({"event": event, "centre": np.where(np.arange(n) % 4 == 0, "C2", "C1")},
                        index=pd.Index([f"P{i:03d}" for i in range(n)], name="patient_id"))


def test_random_split_is_stratified_and_reproducible():
    patients = _patients()
    split, problems = split_patients(patients, SplitSettings(seed=7))
    assert problems == []
    assert (split == "train").sum() == 70
    train_events = patients.loc[split == "train", "event"].sum()
    assert train_events == 28  # 70% of the 40 events, 70% of the 60 censored
    again, _ = split_patients(patients.sample(frac=1, random_state=3), SplitSettings(seed=7))
    pd.testing.assert_series_equal(split.sort_index(), again.sort_index())  # same seed, any row order
    other, _ = split_patients(patients, SplitSettings(seed=8))
    assert not other.equals(split)


def test_train_fraction_is_used():
    split, _ = split_patients(_patients(), SplitSettings(train_fraction=0.5))
    assert split.value_counts().to_dict() == {"train": 50, "validation": 50}


def test_split_by_centre_and_missing_centre():
    patients = _patients()
    patients.loc["P001", "centre"] = None
    split, problems = split_patients(patients, SplitSettings(method="centre", validation_centres=("C2",)))
    assert (split[patients["centre"] == "C2"] == "validation").all()
    assert (split[patients["centre"] == "C1"] == "train").all()
    assert split["P001"] is None
    assert [(p.check, p.patient_id) for p in problems] == [("split_no_centre", "P001")]


def test_unknown_validation_centre_is_an_error():
    _, problems = split_patients(_patients(), SplitSettings(method="centre", validation_centres=("C9",)))
    assert [(p.severity, p.check, p.value) for p in problems] == [("error", "split_centres", "C9")]
    assert "C1, C2" in problems[0].message or "['C1', 'C2']" in problems[0].message


def test_no_split():
    split, problems = split_patients(_patients(), SplitSettings(method="none"))
    assert split.isna().all() and problems == []


@pytest.mark.parametrize("settings", [SplitSettings(train_fraction=1.0), SplitSettings(method="kfold")])
def test_bad_settings_raise(settings):
    with pytest.raises(ValueError):
        split_patients(_patients(), settings)


def _three_centres(n=150, seed=1):
    patients = _patients(n, 60, seed)
    patients["centre"] = np.where(np.arange(n) % 5 == 0, "C3", np.where(np.arange(n) % 5 == 1, "C2", "C1"))
    return patients


def test_three_cohort_split_holds_out_the_centres_and_splits_the_rest_at_random():
    patients = _three_centres()
    settings = SplitSettings(method="three", seed=11, train_fraction=0.7, validation_centres=("C2", "C3"))
    split, problems = split_patients(patients, settings)
    assert problems == []
    held_out = patients["centre"].isin(["C2", "C3"])
    assert (split[held_out] == "external").all() and set(split[~held_out]) == {"train", "validation"}
    # 90 development patients: floor(0.7 * 90) to training as train_test_split (0.7 * 90 is 62.999... in floating point)
    assert split.value_counts().to_dict() == {"train": 62, "external": 60, "validation": 28}
    development = patients[~held_out]
    # stratified by event within the development centres: 70% of each stratum
    events = development["event"].sum()
    train_events = development.loc[split[~held_out] == "train", "event"].sum()
    assert abs(train_events - 0.7 * events) <= 1
    # exactly the random split of the development patients alone (same seed and fraction)
    alone, _ = split_patients(development, SplitSettings(seed=11, train_fraction=0.7))
    pd.testing.assert_series_equal(split[~held_out], alone)
    again, _ = split_patients(patients.sample(frac=1, random_state=5), settings)
    pd.testing.assert_series_equal(split.sort_index(), again.sort_index())
    other, _ = split_patients(patients, dataclasses.replace(settings, seed=12))
    assert not other.equals(split) and other[held_out].equals(split[held_out])


def test_three_cohort_split_refusals_and_missing_centre():
    patients = _three_centres()
    patients.loc["P002", "centre"] = None
    split, problems = split_patients(patients, SplitSettings(method="three", validation_centres=("C3",)))
    assert split["P002"] is None and ("split_no_centre", "P002") in [(p.check, p.patient_id) for p in problems]
    _, problems = split_patients(patients, SplitSettings(method="three"))
    assert [(p.severity, p.check) for p in problems] == [("error", "split_centres")]
    assert "external validation centre(s) not given" in problems[0].message
    _, problems = split_patients(_patients(), SplitSettings(method="three", validation_centres=("C1", "C2")))
    errors = [p.message for p in problems if p.severity == "error"]
    assert errors == ["the training set is empty: every centre (C1, C2) is an external validation centre; the "
                      "three-cohort design needs at least one development centre",
                      "the internal validation set is empty"]


def test_three_cohort_split_spec_is_stored():
    settings = SplitSettings(method="three", seed=3, train_fraction=0.6, validation_centres=("C2",))
    assert split_spec(settings) == {"method": "three", "seed": 3, "train_fraction": 0.6, "stratified_by": "event",
                                    "validation_centres": ["C2"]}
    assert set_names(["train", "validation"]) == {"train": "training", "validation": "validation",
                                                  "external": "external validation"}
    assert set_names(SETS)["validation"] == "internal validation"
