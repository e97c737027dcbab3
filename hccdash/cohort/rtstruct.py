"""DICOM RTSTRUCT masks: an ROI's contours rasterised onto the image series they were drawn on.

An RTSTRUCT (RT Structure Set) holds each ROI (``StructureSetROISequence``: number and
name) as closed planar contours in patient coordinates (``ROIContourSequence``). Read with
pydicom; :func:`read_rtstruct` turns one ROI into a label map on the grid of the image
(voxels = the ROI number, so the ROI number is the mask label everywhere downstream):

- each contour's points are mapped to continuous voxel indices of the image
  (``index = D^-1 (p - origin) / spacing``, D the direction matrix); a contour must lie
  on one image slice (within :data:`SLICE_TOLERANCE` of a slice index) and inside the
  image (within half a voxel of its outer voxel centres);
- a voxel belongs to a contour when its centre lies inside the polygon or on its edge
  (scan-line even-odd fill, edges included, so a contour traced through the centres of a
  mask's border voxels gives that mask back); contours on one slice combine by XOR, so a
  contour inside another is a hole (DICOM's convention for separate inner contours).

Every problem is a ``ValueError`` naming the file, the ROI and the slice: an ROI name or
number not in the file (with the list of its ROIs), a contour off the slices or outside
the image, an ROI without contours, a series other than the image's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
import SimpleITK as sitk

from hccdash.cohort.dicomseries import sop_class

RTSTRUCT_SOP_CLASS_UID = "1.2.840.10008.5.1.4.1.1.481.3"
SLICE_TOLERANCE = 0.1  # voxel fraction a contour may lie off a slice centre (rounding in the file)
EDGE_TOLERANCE = 1e-6  # voxel fraction within which a voxel centre counts as on a contour edge


@dataclass(frozen=True)
class Roi:
    """One ROI of a structure set: its number, name and number of contours."""

    number: int
    name: str
    contours: int


def is_rtstruct(path: str | Path) -> bool:
    """True for a DICOM file whose SOP class is RT Structure Set Storage."""
    return sop_class(path) == RTSTRUCT_SOP_CLASS_UID


def _read(path: str | Path) -> pydicom.Dataset:
    try:
        return pydicom.dcmread(path)
    except (pydicom.errors.InvalidDicomError, OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable RTSTRUCT ({exc})") from None


def rois(path: str | Path, dataset: pydicom.Dataset | None = None) -> list[Roi]:
    """The ROIs of the RTSTRUCT at ``path``, in file order."""
    ds = dataset or _read(path)
    counts = {int(item.ReferencedROINumber): len(item.get("ContourSequence") or [])
              for item in ds.get("ROIContourSequence") or []}
    return [Roi(int(item.ROINumber), str(item.get("ROIName", "")).strip(), counts.get(int(item.ROINumber), 0))
            for item in ds.get("StructureSetROISequence") or []]


def roi_list(found: list[Roi]) -> str:
    """The ROIs as users read them: ``1 'Liver' (40 contours), 2 'GTV' (12 contours)``."""
    return ", ".join(f"{r.number} '{r.name}' ({r.contours} contours)" for r in found) or "none"


def roi_number(path: str | Path, name: str) -> int:
    """The number of the ROI called ``name`` (case and surrounding blanks ignored); ValueError naming
    the file and listing its ROIs when there is no such ROI, or several."""
    found = rois(path)
    matches = [r for r in found if r.name.casefold() == name.strip().casefold()]
    if len(matches) != 1:
        what = "no ROI" if not matches else f"{len(matches)} ROIs"
        raise ValueError(f"RTSTRUCT {path} has {what} named '{name}'; its ROIs: {roi_list(found)}")
    return matches[0].number


def referenced_series(path: str | Path, dataset: pydicom.Dataset | None = None) -> set[str]:
    """SeriesInstanceUIDs of the image series the structure set refers to (empty if it names none)."""
    ds = dataset or _read(path)
    return {str(series.SeriesInstanceUID)
            for frame in ds.get("ReferencedFrameOfReferenceSequence") or []
            for study in frame.get("RTReferencedStudySequence") or []
            for series in study.get("RTReferencedSeriesSequence") or [] if "SeriesInstanceUID" in series}


def read_rtstruct(path: str | Path, reference: sitk.Image, roi: int, series_uid: str | None = None) -> sitk.Image:
    """ROI number ``roi`` of the RTSTRUCT at ``path`` as a UInt16 label map on the grid of ``reference``.

    ``series_uid``: the image's SeriesInstanceUID; when given, an RTSTRUCT referring to other
    series only is refused. See the module docstring for the rasterisation and the checks.
    """
    ds = _read(path)
    found = rois(path, ds)
    if roi not in {r.number for r in found}:
        raise ValueError(f"RTSTRUCT {path} has no ROI number {roi}; its ROIs: {roi_list(found)}")
    name = next(r.name for r in found if r.number == roi)
    series = referenced_series(path, ds)
    if series_uid and series and series_uid not in series:
        raise ValueError(f"RTSTRUCT {path} was drawn on series {', '.join(sorted(series))}, not on this row's image "
                         f"(series {series_uid}): give the image series it refers to")
    contours = next((item.get("ContourSequence") or [] for item in ds.get("ROIContourSequence") or []
                     if int(item.ReferencedROINumber) == roi), [])
    if not contours:
        raise ValueError(f"RTSTRUCT {path}: ROI '{name}' (number {roi}) has no contours")
    size = np.array(reference.GetSize())  # x, y, z
    labels = np.zeros(size[::-1], np.uint16)  # z, y, x
    for k, contour in enumerate(contours, start=1):
        where = f"RTSTRUCT {path}, ROI '{name}', contour {k}"
        points = np.asarray(contour.ContourData, float).reshape(-1, 3)
        index = _continuous_index(reference, points)
        plane = _slice_of(index, size, where, points)
        filled = polygon_mask(index[:, 0], index[:, 1], (int(size[1]), int(size[0])))
        labels[plane] ^= filled.astype(np.uint16)  # XOR: a contour inside another is a hole
    out = sitk.GetImageFromArray(labels * np.uint16(roi))
    out.CopyInformation(reference)
    return out


def _continuous_index(reference: sitk.Image, points: np.ndarray) -> np.ndarray:
    """Continuous (x, y, z) voxel indices of patient-coordinate ``points`` (n x 3, mm)."""
    direction = np.asarray(reference.GetDirection(), float).reshape(3, 3)
    relative = points - np.asarray(reference.GetOrigin(), float)
    return np.linalg.solve(direction, relative.T).T / np.asarray(reference.GetSpacing(), float)


def _slice_of(index: np.ndarray, size: np.ndarray, where: str, points: np.ndarray) -> int:
    """The slice a contour lies on; ValueError when it lies between slices or outside the image."""
    z = index[:, 2]
    plane = int(round(float(np.median(z))))
    mm = f"z = {float(np.median(points[:, 2])):.2f} mm"
    if np.any(np.abs(z - plane) > SLICE_TOLERANCE):
        raise ValueError(f"{where} ({mm}) does not lie on one image slice (slice positions {z.min():.2f} to "
                         f"{z.max():.2f} in voxels): not drawn on this series?")
    low, high = -0.5 - EDGE_TOLERANCE, size - 0.5 + EDGE_TOLERANCE
    outside = np.any((index < low) | (index > high), axis=1)
    if outside.any():
        first = points[np.argmax(outside)]
        raise ValueError(f"{where} (slice {plane + 1} of {size[2]}, {mm}) lies outside the image: point "
                         f"({first[0]:.1f}, {first[1]:.1f}, {first[2]:.1f}) mm is beyond its "
                         f"{size[0]} x {size[1]} x {size[2]} voxels")
    return plane


def polygon_mask(x: np.ndarray, y: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Pixels (rows = y, columns = x) whose centre lies inside the closed polygon (x, y) or on its edge.

    Even-odd scan lines at each pixel row: an edge counts for rows ``min(y0, y1) <= row <
    max(y0, y1)`` (half-open, so a vertex on a row is crossed once), the pixels between each
    pair of crossings are inside (both ends included); horizontal edges and vertices on a
    pixel centre add their pixels.
    """
    rows, cols = shape
    mask = np.zeros(shape, bool)
    x0, y0 = np.asarray(x, float), np.asarray(y, float)
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    first = max(int(np.ceil(y0.min() - EDGE_TOLERANCE)), 0)
    last = min(int(np.floor(y0.max() + EDGE_TOLERANCE)), rows - 1)
    slanted = y0 != y1
    for row in range(first, last + 1):
        crossing = slanted & (np.minimum(y0, y1) <= row) & (row < np.maximum(y0, y1))
        xs = np.sort(x0[crossing] + (row - y0[crossing]) * (x1[crossing] - x0[crossing]) / (y1[crossing] - y0[crossing]))
        for left, right in zip(xs[0::2], xs[1::2]):
            _fill(mask[row], left, right, cols)
        flat = ~slanted & (np.abs(y0 - row) <= EDGE_TOLERANCE)
        for left, right in zip(np.minimum(x0[flat], x1[flat]), np.maximum(x0[flat], x1[flat])):
            _fill(mask[row], left, right, cols)
    on_centre = (np.abs(x0 - np.round(x0)) <= EDGE_TOLERANCE) & (np.abs(y0 - np.round(y0)) <= EDGE_TOLERANCE)
    for column, row in zip(np.round(x0[on_centre]).astype(int), np.round(y0[on_centre]).astype(int)):
        if 0 <= row < rows and 0 <= column < cols:
            mask[row, column] = True
    return mask


def _fill(row: np.ndarray, left: float, right: float, cols: int) -> None:
    start = max(int(np.ceil(left - EDGE_TOLERANCE)), 0)
    stop = min(int(np.floor(right + EDGE_TOLERANCE)), cols - 1)
    if start <= stop:
        row[start:stop + 1] = True

