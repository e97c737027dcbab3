"""ICC against psych::ICC (fixtures in tests/reference/icc, made by icc.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.stats import icc, icc_per_feature

REF = Path(__file__).resolve().parents[1] / "reference" / "icc"
R = json.loads((REF / "icc.json").read_text())
KINDS = ["ICC2_1", "ICC3_1"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("table", ["sf", "random", "missing"])
def test_icc_matches_psych(table, kind):
    """R: ICC(na.omit(x), lmer = FALSE)$results: "Single_random_raters" (ICC2) and
    "Single_fixed_raters" (ICC3), 1e-10; sf is Shrout & Fleiss' table (ICC2 .29, ICC3 .71)."""
    file = {"sf": "sf.csv", "random": "ratings_random.csv", "missing": "ratings_missing.csv"}[table]
    ratings = pd.read_csv(REF / file)
    assert icc(ratings, kind) == pytest.approx(R[table][kind], abs=1e-10)
    assert icc(ratings.to_numpy(), kind) == pytest.approx(R[table][kind], abs=1e-10)


@pytest.mark.parametrize("kind", KINDS)
def test_icc_per_feature_matches_psych_per_column(kind):
    """R: for each feature f, ICC(na.omit(cbind(reader1[[f]], reader2[[f]])), lmer = FALSE);
    reader 2's file lists the patients in reverse order with one extra patient (aligned by id)
    and one missing value."""
    first = pd.read_csv(REF / "features_reader1.csv", index_col="patient_id")
    second = pd.read_csv(REF / "features_reader2.csv", index_col="patient_id")
    result = icc_per_feature(first, second, kind)
    expected = pd.Series({f: v[kind] for f, v in R["features"].items()})
    assert list(result.index) == list(first.columns)
    np.testing.assert_allclose(result[expected.index], expected, atol=1e-10)


def test_icc_per_feature_equals_icc_for_three_readers():
    rng = np.random.default_rng(5)
    truth = rng.normal(size=(30, 50))
    readers = [pd.DataFrame(truth + rng.normal(0, s, size=truth.shape)) for s in (0.3, 0.5, 0.8)]
    result = icc_per_feature(readers[0], readers[1:], "ICC2_1")
    for j in (0, 17, 49):
        table = np.column_stack([r[j] for r in readers])
        assert result[j] == pytest.approx(icc(table, "ICC2_1"), abs=1e-12)


def test_icc_per_feature_missing_feature_and_constant_give_nan():
    first = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [5.0, 5, 5, 5], "c": [1.0, 3, 2, 5]}, index=list("wxyz"))
    second = first.drop(columns="c").assign(a=first.a + 0.1)
    result = icc_per_feature(first, second)
    assert np.isnan(result["b"]) and np.isnan(result["c"])
    assert result["a"] == pytest.approx(icc(np.column_stack([first.a, second.a])))


def test_absolute_agreement_penalises_a_rater_shift_consistency_does_not():
    rng = np.random.default_rng(2)
    x = rng.normal(size=50)
    shifted = np.column_stack([x, x + 3.0])
    assert icc(shifted, "ICC3_1") == pytest.approx(1.0)
    assert icc(shifted, "ICC2_1") < 0.5


def test_bad_inputs():
    with pytest.raises(ValueError, match="kind"):
        icc(np.ones((3, 2)), "ICC1")
    with pytest.raises(ValueError, match="at least 2 raters"):
        icc(np.ones((3, 1)))
    first = pd.DataFrame({"a": [1.0, 2.0]}, index=["p1", "p2"])
    with pytest.raises(ValueError, match="share 1 patient"):
        icc_per_feature(first, first.rename(index={"p2": "p3"}))
