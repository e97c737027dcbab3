"""The exact pyradiomics speed-up: bin edges from numpy's min / max equal pyradiomics' own."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from radiomics import imageoperations

from hccdash.extraction import speedups
from hccdash.extraction.speedups import bin_edges, exact_bin_edges

ORIGINAL = imageoperations.getBinEdges

CASES = {
    "ct": np.random.default_rng(0).normal(60, 40, 5000),
    "negative": np.random.default_rng(1).normal(-300, 5, 800),
    "integers": np.random.default_rng(2).integers(-1000, 3000, 2000).astype(np.int16),
    "flat on an edge": np.full(50, 75.0),
    "flat inside a bin": np.full(50, 31.5),
    "with NaN": np.r_[12.0, np.nan, 80.0, -4.0],
    "NaN first": np.r_[np.nan, 12.0, 80.0],
    "signed zeros": np.r_[0.0, -0.0, 0.0, 40.0],
    "zero maximum": np.r_[-60.0, -0.0, -20.0],
    "single value": np.r_[-12.5],
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("settings", [{"binWidth": 25}, {"binWidth": 0.7}, {}, {"binCount": 16}])
def test_bin_edges_equal_pyradiomics(name, settings):
    values = CASES[name]
    expected, got = _outcome(ORIGINAL, values, settings), _outcome(bin_edges, values, settings)
    if isinstance(expected, type):  # pyradiomics fails on it (a NaN first): so must we, alike
        assert got is expected
        return
    np.testing.assert_array_equal(got, expected)
    assert np.signbit(got).tolist() == np.signbit(expected).tolist()  # even the sign of a zero edge


def _outcome(function, values, settings):
    try:
        return np.asarray(function(values, **settings))
    except Exception as exc:  # noqa: BLE001 (the outcome compared is the exception's type)
        return type(exc)


def test_empty_values_fail_as_in_pyradiomics():
    with pytest.raises(ValueError):
        ORIGINAL(np.array([]))
    with pytest.raises(ValueError):
        bin_edges(np.array([]))


def test_fast_path_hands_pyradiomics_two_values(monkeypatch):
    seen = []
    monkeypatch.setattr(speedups, "_ORIGINAL", lambda values, **kw: seen.append(np.size(values)) or ORIGINAL(values, **kw))
    bin_edges(CASES["ct"], binWidth=25)
    bin_edges(CASES["with NaN"], binWidth=25)
    bin_edges(CASES["ct"], binCount=16)
    assert seen == [2, 4, 5000]


def test_installed_only_inside_the_block_even_when_nested_across_threads():
    assert imageoperations.getBinEdges is ORIGINAL
    inside, release = threading.Event(), threading.Event()

    def other_thread():
        with exact_bin_edges():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other_thread)
    thread.start()
    inside.wait(5)
    with exact_bin_edges():
        assert imageoperations.getBinEdges is bin_edges
    assert imageoperations.getBinEdges is bin_edges  # the other thread is still inside
    release.set()
    thread.join(5)
    assert imageoperations.getBinEdges is ORIGINAL
