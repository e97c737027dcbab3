"""Training / validation splits: stratified, reproducible, by centre, none."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hccdash.cohort.split import split_patients
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
