"""The frozen test-result objects: fields by name and by key, read-only, named KeyError."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from hccdash import stats
from hccdash.stats.results import ChiSquareTest, DeLongTest, HosmerLemeshowTest, LogRankTest


def test_logrank_reads_as_the_dict_the_readme_documents():
    time, event, group = np.array([1.0, 2, 3, 4, 5, 6]), np.array([1, 1, 1, 1, 0, 1]), np.array([0, 1, 0, 1, 0, 1])
    result = stats.logrank(time, event, group)
    assert isinstance(result, LogRankTest)
    assert (result["chisq"], result["df"], result["p"]) == (result.chisq, 1, result.p)
    assert result["observed"] == {0: 2.0, 1: 3.0}
    assert sum(result.expected.values()) == pytest.approx(5.0)  # E sums to the 5 events
    assert result.to_dict()["observed"] == {0: 2.0, 1: 3.0}


def test_results_are_frozen_and_name_a_missing_key():
    result = ChiSquareTest(3.84, 1, 0.05)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.p = 0.5  # type: ignore[misc]
    with pytest.raises(KeyError, match=r"no field 'z'.*\['chisq', 'df', 'p'\]"):
        result["z"]
    assert HosmerLemeshowTest(1.0, 8, 0.99, 10).keys() == ("chisq", "df", "p", "groups")
    assert DeLongTest(0.7, 0.6, 1.5, 0.13)["z"] == 1.5
