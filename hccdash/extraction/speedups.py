"""Exact speed-ups of pyradiomics in hccdash's extraction: the same features, less time.

pyradiomics' ``imageoperations.getBinEdges`` (called by ``binImage`` for every image
type x feature class, 84 times per case at the default settings) finds the grey-level
range of the ROI with Python's builtin ``min`` and ``max``, which loop over every voxel in
Python: about 15% of a case's time. With a fixed bin width the edges depend on nothing
but that minimum and maximum, so :func:`bin_edges` computes them with numpy and hands
pyradiomics' own function a two-value array holding them: identical edges, computed by
pyradiomics' code. Values it cannot vouch for go to the original unchanged: a fixed bin
count (edges from the whole histogram), no values, NaN or infinite values (builtin
``min`` depends on where a NaN sits), and a zero minimum or maximum (builtin ``min``
returns the first of 0.0 and -0.0, numpy either one).

pyradiomics' ``imageoperations.getMask`` casts the mask to UInt32 and lists its labels
with ``numpy.unique`` over every voxel, only to check that the label is there: for a
512 x 512 x 60 mask about as long as resampling the image. :func:`mask_of` returns the
same cast mask when one comparison finds the label (a label other than 0 in a scalar
mask); anything else (a vector-valued segmentation, label 0, an absent label) goes to
pyradiomics' function, which raises its own error.

:func:`exact_speedups` installs both for the duration of a ``with`` block (reference
counted, so threads of one Dask worker can nest it); a plain ``RadiomicsFeatureExtractor``
outside such a block runs pyradiomics' code as shipped.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import SimpleITK as sitk
from radiomics import imageoperations

_ORIGINAL = imageoperations.getBinEdges
_ORIGINAL_MASK = imageoperations.getMask
_lock = threading.Lock()
_users = 0


def bin_edges(parameterValues, **kwargs):  # noqa: N803 (pyradiomics' signature)
    """``imageoperations.getBinEdges`` with the minimum and maximum taken by numpy; see the
    module docstring for when it defers to pyradiomics' function on the whole array."""
    if kwargs.get("binCount") is None:
        values = np.asarray(parameterValues)
        if values.size and values.dtype.kind in "iuf":
            low, high = values.min(), values.max()
            if np.isfinite(low) and np.isfinite(high) and low != 0 and high != 0:
                return _ORIGINAL(np.array([low, high], dtype=values.dtype), **kwargs)
    return _ORIGINAL(parameterValues, **kwargs)


def mask_of(mask: sitk.Image, **kwargs) -> sitk.Image:
    """``imageoperations.getMask`` without listing every label when the wanted one is present; see
    the module docstring for when it defers to pyradiomics' function."""
    label = kwargs.get("label", 1)
    if label != 0 and mask.GetNumberOfComponentsPerPixel() == 1:
        cast = sitk.Cast(mask, sitk.sitkUInt32)
        if np.any(sitk.GetArrayViewFromImage(cast) == label):
            return cast
    return _ORIGINAL_MASK(mask, **kwargs)


@contextmanager
def exact_speedups() -> Iterator[None]:
    """pyradiomics' binning uses :func:`bin_edges` and its mask check :func:`mask_of` inside the block."""
    global _users
    with _lock:
        if _users == 0:
            imageoperations.getBinEdges = bin_edges
            imageoperations.getMask = mask_of
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                imageoperations.getBinEdges = _ORIGINAL
                imageoperations.getMask = _ORIGINAL_MASK
