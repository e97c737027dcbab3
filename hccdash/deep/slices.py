"""A case as network input: ROI slices cropped, intensity-normalised, resized, three channels.

The image and mask are turned to LPS (:func:`hccdash.imaging.volumes.oriented`, axes permuted and
flipped, never resampled), so slice ``z`` of this module is the Case viewer's axial slice ``z``.
For each axial slice whose ROI has at least ``min_area`` pixels, the ROI's bounding box grows by
``margin`` pixels on each side (clipped to the image) and that part of the slice is cut out.
Grey levels go to 0..1: CT through the window (``level - width / 2 .. level + width / 2``,
clipped), MR between two percentiles of the voxels of all the case's crops together (numpy's
linear interpolation; clipped). Each crop is then resized to the network's H x W by bilinear
interpolation with pixel centres aligned (as PIL / ``torch.nn.functional.interpolate`` with
``align_corners=False``, no antialiasing), normalised per channel ``(x - mean) / sd``, and
repeated on every input channel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk

from hccdash.deep.network import Network
from hccdash.deep.settings import DeepSettings
from hccdash.extraction.case import CaseError
from hccdash.imaging.volumes import oriented


@dataclass(frozen=True)
class SliceCrop:
    """One ROI slice kept: its index, ROI pixel count and the box (rows y0:y1, columns x0:x1) cut out."""

    z: int
    area: int
    y0: int
    y1: int
    x0: int
    x1: int


@dataclass(frozen=True, eq=False)
class CaseSlices:
    """The kept slices of a case and their network input (n, C, H, W) float32."""

    crops: tuple[SliceCrop, ...]
    batch: np.ndarray

    @property
    def largest(self) -> int:
        """Position (in ``crops``) of the slice with the largest ROI (the first when several tie)."""
        return int(np.argmax([c.area for c in self.crops]))


def lps_arrays(image: sitk.Image, mask: sitk.Image, label: int | None, margin: int | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """(z, y, x) float image and boolean ROI (``label``, or any non-zero voxel when None), in LPS.

    With ``margin``, only the ROI's bounding box grown by ``margin`` voxels along every axis (clipped to
    the image) is turned into arrays: every crop of :func:`slice_crops` with that margin lies inside it,
    so the crops, and the features, are the same as from the whole image, at a fraction of the cost.
    """
    if image.GetDimension() != 3 or mask.GetDimension() != 3:
        raise CaseError(f"Deep features need 3D images and masks (image {image.GetDimension()}D, "
                        f"mask {mask.GetDimension()}D)")
    if image.GetSize() != mask.GetSize():
        raise CaseError(f"The mask ({' x '.join(map(str, mask.GetSize()))}) is not on the image grid "
                        f"({' x '.join(map(str, image.GetSize()))})")
    if image.GetNumberOfComponentsPerPixel() != 1:
        raise CaseError("Deep features need a grey-level image (this one has several components per voxel)")
    roi = (mask != 0) if label is None else (mask == int(label))
    if margin is not None:
        image, roi = _around_roi(image, roi, margin)
    return (sitk.GetArrayFromImage(oriented(image)).astype(np.float32),
            sitk.GetArrayFromImage(oriented(roi)).astype(bool))


def _around_roi(image: sitk.Image, roi: sitk.Image, margin: int) -> tuple[sitk.Image, sitk.Image]:
    """``image`` and ``roi`` cut to the ROI's bounding box grown by ``margin`` voxels (both whole when it is empty)."""
    inside = sitk.GetArrayViewFromImage(roi)
    low, high = [], []
    for axis in (2, 1, 0):  # SimpleITK index order x, y, z = array axes 2, 1, 0
        hit = np.flatnonzero(inside.any(axis=tuple(a for a in range(3) if a != axis)))
        if not hit.size:
            return image, roi
        low.append(max(0, int(hit[0]) - margin))
        high.append(min(inside.shape[axis], int(hit[-1]) + 1 + margin))
    size = [h - l for l, h in zip(low, high)]
    return sitk.RegionOfInterest(image, size, low), sitk.RegionOfInterest(roi, size, low)


def slice_crops(roi: np.ndarray, settings: DeepSettings, what: str = "The mask") -> list[SliceCrop]:
    """The slices of the boolean (z, y, x) ``roi`` with at least ``min_area`` pixels, each with its box;
    :class:`CaseError` naming ``what`` when none is left."""
    areas = roi.sum(axis=(1, 2))
    kept = np.flatnonzero(areas >= max(settings.min_area, 1))
    if not kept.size:
        largest = int(areas.max()) if areas.size else 0
        raise CaseError(f"{what} has no axial slice with at least {settings.min_area} ROI pixels (the largest has "
                        f"{largest}): no slice to take deep features from. Lower the minimum area or check the mask.")
    rows, cols = roi.shape[1:]
    crops = []
    for z in kept:
        ys, xs = np.flatnonzero(roi[z].any(axis=1)), np.flatnonzero(roi[z].any(axis=0))
        m = settings.margin
        crops.append(SliceCrop(int(z), int(areas[z]), max(0, ys[0] - m), min(rows, ys[-1] + 1 + m),
                               max(0, xs[0] - m), min(cols, xs[-1] + 1 + m)))
    return crops


def unit_range(image: np.ndarray, crops: list[SliceCrop], settings: DeepSettings) -> tuple[float, float]:
    """The grey levels mapped to 0 and 1: the CT window's ends, or the MR percentiles of the crops' voxels."""
    if settings.modality == "CT":
        width, level = settings.ct_window
        return level - width / 2, level + width / 2
    values = np.concatenate([image[c.z, c.y0:c.y1, c.x0:c.x1].ravel() for c in crops]).astype(np.float64)
    values = values[np.isfinite(values)]
    if not values.size:
        raise CaseError("The image has no finite grey level inside the ROI crops")
    low, high = np.percentile(values, settings.mr_percentiles)
    return float(low), float(high) if high > low else float(low) + 1.0


def resize_bilinear(array: np.ndarray, height: int, width: int) -> np.ndarray:
    """``array`` (h, w) resized to (height, width): bilinear, pixel centres aligned, edges repeated."""
    def axis(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        position = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
        low = np.floor(position).astype(int)
        return low, np.minimum(low + 1, n_in - 1), position - low

    y0, y1, wy = axis(array.shape[0], height)
    x0, x1, wx = axis(array.shape[1], width)
    top = array[y0][:, x0] * (1 - wx) + array[y0][:, x1] * wx
    bottom = array[y1][:, x0] * (1 - wx) + array[y1][:, x1] * wx
    return top * (1 - wy)[:, None] + bottom * wy[:, None]


def to_input(crop: np.ndarray, low: float, high: float, network: Network) -> np.ndarray:
    """One crop (h, w) in grey levels as network input (C, H, W): 0..1, resized, mean / sd, channels."""
    unit = np.clip((crop.astype(np.float64) - low) / (high - low), 0.0, 1.0)
    unit = np.nan_to_num(unit, nan=0.0)
    resized = resize_bilinear(unit, *network.input_size)
    mean = np.asarray(network.mean)[:, None, None]
    sd = np.asarray(network.sd)[:, None, None]
    return ((resized[None] - mean) / sd).astype(np.float32)


def case_slices(image: np.ndarray, roi: np.ndarray, network: Network, settings: DeepSettings,
                what: str = "The mask") -> CaseSlices:
    """The network input of a case given as LPS (z, y, x) arrays (see the module docstring)."""
    crops = slice_crops(roi, settings, what)
    low, high = unit_range(image, crops, settings)
    batch = np.stack([to_input(image[c.z, c.y0:c.y1, c.x0:c.x1], low, high, network) for c in crops])
    return CaseSlices(tuple(crops), batch)
