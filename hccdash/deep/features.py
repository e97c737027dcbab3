"""Deep features of one case: slices through the network, pooled per case, named ``dl.<network>.<NNNN>``.

:func:`case_features` takes images in memory (the calculator's upload); :func:`file_features` takes
a case's files as the extraction does (its image read once per image,
:class:`~hccdash.extraction.case.ImageSource`) and is what :class:`hccdash.deep.spec.DeepSpec`
gives the extraction engine. Slice features are the feature node's output for each kept slice
(:mod:`hccdash.deep.slices`); a case's features are their mean, or the largest ROI slice's
(``pooling``; then only that slice goes through the network).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import SimpleITK as sitk

from hccdash.deep.network import Network, run_network
from hccdash.deep.registered import get_network
from hccdash.deep.settings import DeepSettings
from hccdash.deep.slices import CaseSlices, case_slices, lps_arrays
from hccdash.extraction.case import ImageSource, check_geometry, read_case_mask
from hccdash.store import Store

if TYPE_CHECKING:
    from hccdash.deep.spec import DeepSpec


def pooled(network: Network, slices: CaseSlices, settings: DeepSettings) -> np.ndarray:
    """The case's feature vector from its slices (see the module docstring)."""
    if settings.pooling == "largest":
        at = slices.largest
        return run_network(network, slices.batch[at:at + 1], batch_size=settings.batch_size)[0]
    return run_network(network, slices.batch, batch_size=settings.batch_size).mean(axis=0)


def case_features(image: sitk.Image, mask: sitk.Image, network: Network | str,
                  settings: DeepSettings | None = None, *, label: int | None = None,
                  store: Store | None = None) -> pd.Series:
    """Deep features of one case from in-memory SimpleITK images, indexed ``dl.<network>.<NNNN>``.

    ``network``: a :class:`Network`, or the name or file SHA-256 of a registered one (its file checked).
    ``label``: the ROI's label in ``mask`` (None: every non-zero voxel). Raises
    :class:`~hccdash.extraction.case.CaseError` (a ValueError) naming the problem: mask off the
    image grid, no slice with ``min_area`` ROI pixels, a network file changed since registration.
    """
    network = network if isinstance(network, Network) else get_network(network, store)
    settings = settings or DeepSettings()
    check_geometry(image, mask, "(uploaded image)", "(uploaded mask)")
    array, roi = lps_arrays(image, mask, label, settings.margin)
    what = "The mask" + ("" if label is None else f" (label {label})")
    values = pooled(network, case_slices(array, roi, network, settings, what), settings)
    return pd.Series(values, index=network.feature_names(), name="value", dtype=float)


def file_features(image_path: str | Path, mask_path: str | Path, label: int, spec: "DeepSpec",
                  source: ImageSource | None = None) -> dict[str, float]:
    """Deep features of one case's files under ``spec`` (the extraction engine's call, see
    :func:`hccdash.extraction.case.features_function`); CaseError naming the files on any problem."""
    source = source or ImageSource(image_path, spec)
    image = source.image()
    mask = read_case_mask(mask_path, image, label, image_path)
    check_geometry(image, mask, image_path, mask_path)
    array, roi = lps_arrays(image, mask, int(label), spec.settings.margin)
    slices = case_slices(array, roi, spec.network, spec.settings, f"The mask {mask_path} (label {label})")
    values = pooled(spec.network, slices, spec.settings)
    return dict(zip(spec.network.feature_names(), (float(v) for v in values)))
