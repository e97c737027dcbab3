"""DICOM series folders: their files in slice order, their series UID, and evenly spaced slices.

GDCM (SimpleITK's ``ImageSeriesReader``) reads a series with a missing slice or uneven
slice positions without an error: it takes one spacing for the whole volume, so every
slice beyond the gap sits at the wrong position and shape and texture features are
computed on a distorted volume. :func:`check_slices` refuses such a series first, from
the slice positions along the slice normal (``ImagePositionPatient`` projected on
``ImageOrientationPatient``'s normal, pydicom headers only): every step between
neighbouring slices must equal the usual step (the one most steps agree with, the smaller
on a tie) within :data:`STEP_TOLERANCE` (a fraction of it, at least
:data:`STEP_TOLERANCE_MM`). The message names the folder, the
two slices around the gap (file, instance number, position) and how many slices are
missing when the gap is a whole number of steps. Results are remembered per folder stamp.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pydicom
import SimpleITK as sitk

from hccdash.digest import stamp

STEP_TOLERANCE = 0.01  # fraction of the median slice step
STEP_TOLERANCE_MM = 0.01
_checked: set[tuple[str, str]] = set()


class SliceGapError(ValueError):
    """A DICOM series with a missing slice, two slices at one position, or uneven slice spacing."""
_lock = threading.Lock()


def series_files(folder: str | Path) -> list[str]:
    """The files of the first DICOM series in ``folder``, in GDCM's slice order; ValueError if there is none."""
    series = sitk.ImageSeriesReader.GetGDCMSeriesIDs(str(folder))
    if not series:
        raise ValueError(f"{folder}: no DICOM series in this folder")
    return list(sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(folder), series[0]))


def sop_class(path: str | Path) -> str:
    """The SOP class UID of the DICOM file at ``path`` (header only); '' for a folder or a non-DICOM file."""
    path = Path(path)
    if not path.is_file():
        return ""
    try:
        header = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["SOPClassUID"])
    except (pydicom.errors.InvalidDicomError, OSError, ValueError):
        return ""
    return str(header.get("SOPClassUID", ""))


def series_uid(image_path: str | Path) -> str | None:
    """SeriesInstanceUID of a DICOM series folder (its first series) or DICOM file; None for other images."""
    path = Path(image_path)
    try:
        first = series_files(path)[0] if path.is_dir() else path
        header = pydicom.dcmread(first, stop_before_pixels=True, specific_tags=["SeriesInstanceUID"])
    except (ValueError, OSError, pydicom.errors.InvalidDicomError):
        return None
    uid = header.get("SeriesInstanceUID")
    return str(uid) if uid else None


def check_slices(folder: str | Path, files: list[str] | None = None) -> None:
    """:class:`SliceGapError` naming the gap when the series' slices are missing or unevenly spaced (module docstring)."""
    folder = Path(folder)
    key = (str(folder), stamp(folder))
    with _lock:
        if key in _checked:
            return
    files = files if files is not None else series_files(folder)
    slices = []
    for file in files:
        header = pydicom.dcmread(file, stop_before_pixels=True,
                                 specific_tags=["ImagePositionPatient", "ImageOrientationPatient", "InstanceNumber"])
        if "ImagePositionPatient" not in header or "ImageOrientationPatient" not in header:
            return  # no geometry per slice (a single multi-frame file, a secondary capture): nothing to compare
        orientation = np.asarray(header.ImageOrientationPatient, float)
        normal = np.cross(orientation[:3], orientation[3:])
        position = float(np.dot(np.asarray(header.ImagePositionPatient, float), normal))
        slices.append((position, Path(file).name, header.get("InstanceNumber")))
    if len(slices) >= 3:
        _check_steps(folder, sorted(slices))
    with _lock:
        _checked.add(key)


def _usual_step(steps: np.ndarray) -> float:
    """The step most neighbouring slices agree with (within the tolerance); the smaller one on a tie."""
    best, agreeing = float(steps[0]), -1
    for candidate in np.sort(steps):
        tolerance = max(STEP_TOLERANCE * abs(candidate), STEP_TOLERANCE_MM)
        count = int(np.count_nonzero(np.abs(steps - candidate) <= tolerance))
        if count > agreeing:
            best, agreeing = float(candidate), count
    return best


def _check_steps(folder: Path, slices: list[tuple[float, str, object]]) -> None:
    positions = np.array([s[0] for s in slices])
    steps = np.diff(positions)
    step = _usual_step(steps)
    tolerance = max(STEP_TOLERANCE * abs(step), STEP_TOLERANCE_MM)
    bad = np.flatnonzero(np.abs(steps - step) > tolerance)
    if not len(bad):
        return
    i = int(bad[0])

    def named(k: int) -> str:
        position, name, number = slices[k]
        return f"{name} (instance {number}, at {position:.2f} mm)"

    gap = float(steps[i])
    if step > 0 and gap > step and abs(gap / step - round(gap / step)) * step <= tolerance:
        what = f"{round(gap / step) - 1} slice(s) missing"
    elif gap <= tolerance:
        what = "two slices at the same position"
    else:
        what = "uneven slice spacing"
    more = f" ({len(bad)} such steps in all)" if len(bad) > 1 else ""
    raise SliceGapError(
        f"DICOM series {folder}: {what} between {named(i)} and {named(i + 1)}: {gap:.2f} mm apart where the "
        f"other slices are {step:.2f} mm apart{more}; the volume would be distorted. Export the complete series."
    )
