"""The exact pyradiomics speed-ups: bin edges from numpy's min / max and the mask check equal pyradiomics' own."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import SimpleITK as sitk
from radiomics import imageoperations

from hccdash.extraction import speedups
from hccdash.extraction.speedups import bin_edges, exact_speedups, mask_of

ORIGINAL = imageoperations.getBinEdges
ORIGINAL_MASK = imageoperations.getMask

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
    assert imageoperations.getBinEdges is ORIGINAL and imageoperations.getMask is ORIGINAL_MASK
    inside, release = threading.Event(), threading.Event()

    def other_thread():
        with exact_speedups():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other_thread)
    thread.start()
    inside.wait(5)
    with exact_speedups():
        assert imageoperations.getBinEdges is bin_edges and imageoperations.getMask is mask_of
    assert imageoperations.getBinEdges is bin_edges  # the other thread is still inside
    release.set()
    thread.join(5)
    assert imageoperations.getBinEdges is ORIGINAL and imageoperations.getMask is ORIGINAL_MASK


def _masks():
    labels = np.zeros((4, 6, 5), np.uint8)
    labels[1:3, 2:4, 1:4] = 2
    labels[0, 0, 0] = 7
    scalar = sitk.GetImageFromArray(labels)
    vector = sitk.Compose(scalar, scalar)
    return {"uint8": scalar, "int16": sitk.Cast(scalar, sitk.sitkInt16), "float": sitk.Cast(scalar, sitk.sitkFloat32),
            "empty": sitk.GetImageFromArray(np.zeros((2, 2, 2), np.uint8)), "vector": vector}


@pytest.mark.parametrize("name", ["uint8", "int16", "float", "empty", "vector"])
@pytest.mark.parametrize("label", [2, 7, 1, 0])
def test_mask_check_equals_pyradiomics(name, label):
    mask = _masks()[name]
    expected, got = _mask_outcome(ORIGINAL_MASK, mask, label), _mask_outcome(mask_of, mask, label)
    assert got == expected


def _mask_outcome(function, mask, label):
    try:
        out = function(mask, label=label)
    except Exception as exc:  # noqa: BLE001 (the outcome compared is the error)
        return type(exc).__name__, str(exc)
    return out.GetPixelIDTypeAsString(), sitk.GetArrayFromImage(out).tolist(), out.GetSpacing()
