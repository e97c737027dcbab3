"""Occlusion sensitivity of deep features: which part of a slice the features depend on.

A stand-in for Grad-CAM that needs forward passes only (onnxruntime runs no gradients): the
slice's network input (:mod:`hccdash.deep.slices`, the case's intensity range) is shown to the
network again with a square patch of ``occlusion_patch`` input pixels set to 0 (the network's
mean grey after normalisation), the patch moved by ``occlusion_stride`` pixels over the whole
input (the last row and column of patches touching the far edges). Each occluded input's change
is the Euclidean distance of its features from the unoccluded ones, or, given ``weights`` (e.g.
a DL score's coefficients on the features), the absolute change of ``weights . features``. An
input pixel's sensitivity is the mean change of the patches covering it. The map is resized back
onto the crop (bilinear), placed on the image slice (0 outside the crop) and divided by its
maximum; ``peak`` keeps that maximum in feature units (Zeiler & Fergus 2014, "Visualizing and
understanding convolutional networks", section 4.2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hccdash.deep.network import Network, run_network
from hccdash.deep.spec import DeepSpec
from hccdash.deep.settings import DeepSettings
from hccdash.deep.slices import SliceCrop, resize_bilinear, slice_crops, to_input, unit_range
from hccdash.extraction.case import CaseError
from hccdash.imaging.render import Overlay, Window, percentile_window, png, render_heat
from hccdash.imaging.volumes import Volume, load_roi, load_volume


@dataclass(frozen=True, eq=False)
class OcclusionMap:
    """Sensitivity of one axial slice: ``heat`` (the slice's rows x columns, 0..1, 0 outside the crop)."""

    z: int
    crop: SliceCrop
    heat: np.ndarray
    peak: float  # the largest sensitivity, in feature units (distance, or score change)
    n_passes: int  # forward passes made (occluded inputs + the original)


def patch_starts(size: int, patch: int, stride: int) -> list[int]:
    """First pixels of the patches along an axis of ``size`` pixels, the last one ending at the edge."""
    patch = min(patch, size)
    starts = list(range(0, size - patch + 1, stride))
    return starts if starts[-1] == size - patch else [*starts, size - patch]


def occlusion_map(image: np.ndarray, roi: np.ndarray, z: int | None, network: Network, settings: DeepSettings,
                  weights: np.ndarray | None = None) -> OcclusionMap:
    """The occlusion map of slice ``z`` (None: the largest ROI slice) of a case given as LPS (z, y, x)
    arrays; CaseError when ``z`` is not one of the slices deep features are taken from."""
    crops = slice_crops(roi, settings)
    if z is None:
        crop = crops[int(np.argmax([c.area for c in crops]))]
    else:
        found = [c for c in crops if c.z == int(z)]
        if not found:
            raise CaseError(f"Slice {z} is not one deep features are taken from (slices with at least "
                            f"{settings.min_area} ROI pixels: {', '.join(str(c.z) for c in crops)})")
        crop = found[0]
    low, high = unit_range(image, crops, settings)
    original = to_input(image[crop.z, crop.y0:crop.y1, crop.x0:crop.x1], low, high, network)
    height, width = network.input_size
    patch = settings.occlusion_patch
    boxes = [(top, left) for top in patch_starts(height, patch, settings.occlusion_stride)
             for left in patch_starts(width, patch, settings.occlusion_stride)]
    batch = np.repeat(original[None], len(boxes) + 1, axis=0)
    for k, (top, left) in enumerate(boxes, start=1):
        batch[k, :, top:top + patch, left:left + patch] = 0.0
    features = run_network(network, batch, batch_size=settings.batch_size)
    change = features[1:] - features[0]
    if weights is not None:
        weights = np.asarray(weights, np.float64)
        if weights.shape != (features.shape[1],):
            raise ValueError(f"Occlusion weights need {features.shape[1]} values (one per feature), got {weights.shape}")
        scores = np.abs(change @ weights)
    else:
        scores = np.linalg.norm(change, axis=1)
    total, count = np.zeros((height, width)), np.zeros((height, width))
    for score, (top, left) in zip(scores, boxes):
        total[top:top + patch, left:left + patch] += score
        count[top:top + patch, left:left + patch] += 1
    sensitivity = total / np.maximum(count, 1)
    on_crop = resize_bilinear(sensitivity, crop.y1 - crop.y0, crop.x1 - crop.x0)
    heat = np.zeros(image.shape[1:])
    heat[crop.y0:crop.y1, crop.x0:crop.x1] = on_crop
    peak = float(heat.max())
    return OcclusionMap(crop.z, crop, heat / peak if peak > 0 else heat, peak, len(batch))


def occlusion_png(volume: Volume, occlusion: OcclusionMap, window: Window, overlays: list[Overlay] | tuple = ()) -> bytes:
    """The map over its axial slice of ``volume`` (grey levels through ``window``, masks outlined), as PNG."""
    return png(render_heat(volume, "axial", occlusion.z, window, occlusion.heat, overlays))


def case_occlusion(image_path: str, mask_path: str, label: int, z: int | None, spec: DeepSpec,
                   weights: np.ndarray | None = None) -> OcclusionMap:
    """:func:`occlusion_map` of a stored case's files (read as the Case viewer reads them, remembered)."""
    return occlusion_map(load_volume(image_path).array, load_roi(mask_path, image_path, int(label)), z, spec.network,
                         spec.settings, weights)


def map_window(volume: Volume, settings: DeepSettings) -> Window:
    """The grey-level window a map is drawn with: the CT window of ``settings``, or the MR image's 1st to 99th
    percentiles."""
    if settings.modality == "CT":
        return Window(*settings.ct_window)
    return percentile_window(volume.array)
