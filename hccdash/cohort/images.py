"""Read images and masks, and check each image / mask pair of a cohort.

Formats: NIfTI, NRRD, MHA (any file SimpleITK reads), DICOM series folders (SimpleITK /
GDCM, the first series in the folder; refused with a missing or unevenly spaced slice:
:mod:`hccdash.cohort.dicomseries`), DICOM-SEG masks (highdicom, resampled onto the image:
:mod:`hccdash.cohort.dicomseg`) and RTSTRUCT masks (an ROI's contours rasterised onto the
image; its ROI number is the label: :mod:`hccdash.cohort.rtstruct`). Use :func:`read_image` and
``read_mask(mask_path, image, label)`` wherever a stored ``image_path`` / ``mask_path``
is opened, so every step sees the same voxels.

(About 440 lines, one module: reading and the pair checks share the header-only reads that
keep a check from decompressing a volume; the format-specific readers are their own modules.)
"""

from __future__ import annotations

import errno
import os
import re
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import SimpleITK as sitk

from hccdash.cohort import rtstruct
from hccdash.cohort.dicomseg import is_dicom_seg, read_seg, seg_label_counts
from hccdash.cohort.dicomseries import SliceGapError, check_slices, series_files, series_uid
from hccdash.cohort.integrity import ImageFileError, check_image_file
from hccdash.cohort.rtstruct import is_rtstruct
from hccdash.cohort.tables import fold
from hccdash.cohort.validate import ERROR, WARNING, Problem, listed
from hccdash.digest import stamp
from hccdash.settings import CohortSettings

Progress = Callable[[int, int, str], None]
PHASE = re.compile(r"[\w-]+")  # letters (any script), digits, '_', '-'


def read_image(path: str | Path, max_voxels: int | None = None) -> sitk.Image:
    """An image file, or the DICOM series in a folder, once :func:`check_image_file` has found it whole
    and within ``max_voxels`` (default: setting ``cohort.max_voxels``)."""
    check_image_file(path, max_voxels)
    path = Path(path)
    if path.is_dir():
        files = series_files(path)
        check_slices(path, files)  # GDCM would read a series with a gap as an evenly spaced volume
        reader = sitk.ImageSeriesReader()
        reader.SetFileNames(files)
        return reader.Execute()
    return sitk.ReadImage(str(path))


def read_mask(path: str | Path, image: sitk.Image, label: int | None = None, max_voxels: int | None = None,
              image_path: str | Path | None = None) -> sitk.Image:
    """A mask as an integer label map on the grid of ``image``.

    A DICOM-SEG is resampled onto ``image``; with ``label`` only that segment is read
    (segments may overlap). An RTSTRUCT's ROI number ``label`` is rasterised onto ``image``
    (refused when it was drawn on another series than the one at ``image_path``). Other
    masks are returned as stored (all labels). Checked as :func:`read_image` checks images.
    """
    check_image_file(path, max_voxels)
    if is_dicom_seg(path):
        return read_seg(path, image, label)
    if is_rtstruct(path):
        if label is None:
            raise ValueError(f"RTSTRUCT {path}: which ROI? Its ROIs: {rtstruct.roi_list(rtstruct.rois(path))}")
        return rtstruct.read_rtstruct(path, image, int(label), series_uid(image_path) if image_path else None)
    mask = read_image(path, max_voxels)
    values = sitk.GetArrayViewFromImage(mask)
    if np.issubdtype(values.dtype, np.floating):
        if not np.all(np.isfinite(values)) or not np.all(values == np.round(values)):
            raise ValueError(f"{path}: mask has non-integer values")
        mask = sitk.Cast(mask, sitk.sitkInt32)
    return mask


@dataclass(frozen=True)
class Geometry:
    """Voxel grid of an image (SimpleITK order: x, y, z)."""

    size: tuple[int, ...]
    spacing: tuple[float, ...]
    origin: tuple[float, ...]
    direction: tuple[float, ...]

    @classmethod
    def of(cls, image: sitk.Image) -> "Geometry":
        return cls(tuple(image.GetSize()), tuple(image.GetSpacing()), tuple(image.GetOrigin()), tuple(image.GetDirection()))

    def blank(self) -> sitk.Image:
        """An empty image on this grid (the reference a DICOM-SEG is resampled onto)."""
        image = sitk.Image(list(self.size), sitk.sitkUInt8)
        image.SetSpacing(self.spacing)
        image.SetOrigin(self.origin)
        image.SetDirection(self.direction)
        return image

    def differences(self, other: "Geometry", tolerance: float) -> list[str]:
        """What differs beyond ``tolerance`` (spacing / origin as a fraction of a voxel, direction absolute)."""
        out = []
        if self.size != other.size:
            out.append(f"size {self.size} vs {other.size}")
            return out
        voxel = np.asarray(self.spacing)
        if np.any(np.abs(np.subtract(self.spacing, other.spacing)) > tolerance * voxel):
            out.append(f"spacing {_fmt(self.spacing)} vs {_fmt(other.spacing)}")
        if np.any(np.abs(np.subtract(self.origin, other.origin)) > tolerance * voxel):
            out.append(f"origin {_fmt(self.origin)} vs {_fmt(other.origin)}")
        if np.any(np.abs(np.subtract(self.direction, other.direction)) > tolerance):
            out.append(f"direction {_fmt(self.direction)} vs {_fmt(other.direction)}")
        return out


def image_geometry(path: str | Path, max_voxels: int | None = None) -> Geometry:
    """The grid of an image file (header only, once the file is checked whole) or of a DICOM series folder."""
    check_image_file(path, max_voxels)
    path = Path(path)
    if path.is_dir():
        return Geometry.of(read_image(path, max_voxels))
    reader = sitk.ImageFileReader()
    reader.SetFileName(str(path))
    reader.ReadImageInformation()
    return Geometry(tuple(reader.GetSize()), tuple(reader.GetSpacing()), tuple(reader.GetOrigin()),
                    tuple(reader.GetDirection()))


def _fmt(values: tuple[float, ...]) -> str:
    return "(" + ", ".join(f"{v:.4g}" for v in values) + ")"


@dataclass(frozen=True)
class PairInfo:
    """What one image / mask pair holds: both geometries and the mask's voxels per label."""

    image: Geometry
    mask: Geometry
    labels: dict[int, int]  # label (not 0) -> voxel count


_pair_cache: dict[tuple, PairInfo] = {}
_pair_lock = threading.Lock()


def inspect_pair(image_path: str | Path, mask_path: str | Path, max_voxels: int | None = None) -> PairInfo:
    """Geometries and label counts (remembered per file size and modification time)."""
    image_path, mask_path = Path(image_path), Path(mask_path)
    key = (str(image_path), stamp(image_path), str(mask_path), stamp(mask_path), max_voxels)
    with _pair_lock:
        if key in _pair_cache:
            return _pair_cache[key]
    geometry = image_geometry(image_path, max_voxels)
    check_image_file(mask_path, max_voxels)
    if is_dicom_seg(mask_path):  # resampled onto the image: same grid by construction
        info = PairInfo(geometry, geometry, seg_label_counts(mask_path, geometry.blank()))
    else:
        mask = read_mask(mask_path, geometry.blank(), max_voxels=max_voxels)
        values, counts = np.unique(sitk.GetArrayViewFromImage(mask), return_counts=True)
        info = PairInfo(geometry, Geometry.of(mask), {int(v): int(c) for v, c in zip(values, counts) if v != 0})
    with _pair_lock:
        _pair_cache[key] = info
    return info


def choose_label(labels: dict[int, int], requested: int | None, preferred: int) -> tuple[int | None, str]:
    """The label to use and a note ('' when nothing needs saying).

    ``requested`` (the user's choice) must be present; otherwise ``preferred`` (label 1)
    when present, else the only label, else the largest (by voxels), with a note.
    """
    found = ", ".join(f"{k} ({v} voxels)" for k, v in sorted(labels.items()))
    if requested is not None:
        if requested in labels:
            return requested, ("" if len(labels) == 1 else f"mask has labels {found}; label {requested} used as chosen")
        return None, f"chosen label {requested} is not in the mask (labels: {found})"
    if preferred in labels:
        return preferred, ("" if len(labels) == 1 else f"mask has labels {found}; label {preferred} used")
    largest = max(labels, key=lambda k: (labels[k], -k))
    which = "the only label" if len(labels) == 1 else "the largest label"
    return largest, f"label {preferred} not in the mask (labels: {found}); {which} {largest} used"


def check_images(
    entries: pd.DataFrame,
    patient_ids: Collection[str],
    label: int | None = None,
    settings: CohortSettings | None = None,
    progress: Progress | None = None,
    roi: str | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Check each entry of a manifest / scan; return the usable ones and every problem.

    ``label``: the mask label for every row (None: label 1 if present, else the only /
    largest); an entry's own ``label`` (manifest column) overrides it for that row.
    ``roi``: the ROI name of every RTSTRUCT mask (an entry's own ``roi`` overrides it); its
    ROI number becomes the row's label. Errors (import refused), naming the file, the ROI
    and the slice: an ROI name not in the RTSTRUCT, no name for an RTSTRUCT of several
    ROIs (both listing its ROIs), an RTSTRUCT drawn on another series, a contour off the
    image's slices or outside it.
    Usable rows get ``image_path``, ``mask_path`` and ``label``. Errors: a phase name with
    a dot (feature names are ``phase.feature``). Warnings, each row skipped: missing
    patient id / phase, unknown patient, duplicate (patient, phase, reader), missing or
    unreadable file, geometry mismatch, empty mask, chosen label absent. Warnings, row
    kept: several labels / label 1 absent (label chosen as stated). Also warned: patients
    without any image and patients lacking a phase others have.
    """
    settings = settings or CohortSettings()
    problems: list[Problem] = []
    known = set(patient_ids)
    folded_ids = {fold(pid): pid for pid in known}
    conflicting = _conflicting_duplicates(entries, problems)
    problems += _phase_spellings(entries)
    usable, seen = [], set()
    total = len(entries)
    for i, entry in enumerate(entries.itertuples(index=False)):
        if progress:
            progress(i, total, f"checking {entry.patient_id} {entry.phase}")
        where = {"file": entry.file or "", "row": None if pd.isna(entry.row) else int(entry.row),
                 "patient_id": entry.patient_id or ""}

        def skip(check: str, message: str, severity: str = WARNING, **extra) -> None:
            problems.append(Problem(severity, check, message, "image row skipped" if severity == WARNING else "import refused", **where, **extra))

        if not entry.patient_id or not entry.phase:
            skip("missing_field", "patient id or phase is empty", column="patient_id" if not entry.patient_id else "phase")
            continue
        if not PHASE.fullmatch(entry.phase):
            why = "'.' (features are named phase.feature)" if "." in entry.phase else "characters other than letters, " \
                "digits, '_' and '-' (phases name feature columns and files)"
            skip("bad_phase", f"phase names must not contain {why}", ERROR, column="phase", value=entry.phase)
            continue
        if entry.patient_id not in known:
            near = folded_ids.get(fold(entry.patient_id))
            skip("image_without_patient", "image of a patient who is not in the clinical table"
                 + (f" (the table has '{near}': ids differ in upper / lower case or blanks)" if near else ""),
                 column="patient_id", value=entry.patient_id)
            continue
        key = (entry.patient_id, entry.phase, entry.reader)
        if i in conflicting:
            continue
        if key in seen:
            skip("duplicate_image", f"second entry for phase '{entry.phase}', reader '{entry.reader}'", column="phase",
                 value=entry.phase)
            continue
        missing = [(col, path) for col, path in (("image", entry.image), ("mask", entry.mask))
                   if not path or not _exists(path)]
        if missing:
            for col, path in missing:
                skip("missing_file", f"{col} file {'not given' if not path else 'not found'}", column=col, value=path or "")
            continue
        if is_rtstruct(entry.mask):
            chosen = _rtstruct_roi(entry, roi, settings, skip, problems, where)
        else:
            chosen = _mask_label(entry, label, settings, skip, problems, where)
        if chosen is None:
            continue
        seen.add(key)
        usable.append({"patient_id": entry.patient_id, "phase": entry.phase, "reader": entry.reader,
                       "image_path": str(Path(entry.image).resolve()), "mask_path": str(Path(entry.mask).resolve()),
                       "label": chosen})
    if progress:
        progress(total, total, "images checked")
    images = pd.DataFrame(usable, columns=["patient_id", "phase", "reader", "image_path", "mask_path", "label"])
    problems += _coverage(images, sorted(known))
    return images, problems


def _mask_label(entry, label: int | None, settings: CohortSettings, skip, problems: list[Problem], where: dict) -> int | None:
    """The label of an image / mask file row (None, with the row skipped, when it cannot be used)."""
    try:
        info = inspect_pair(entry.image, entry.mask, settings.max_voxels)
    except Exception as exc:  # noqa: BLE001 - any reader failure is reported, the row skipped
        _reader_failure(entry, exc, skip)
        return None
    differences = info.image.differences(info.mask, settings.geometry_tolerance)
    if differences:
        skip("geometry_mismatch", "mask and image geometry differ: " + "; ".join(differences), column="mask",
             value=entry.mask)
        return None
    if not info.labels:
        skip("empty_mask", "mask has no foreground voxels", column="mask", value=entry.mask)
        return None
    row_label = getattr(entry, "label", None)
    requested = label if row_label is None or pd.isna(row_label) else int(row_label)
    chosen, note = choose_label(info.labels, requested, settings.label)
    if chosen is None:
        skip("label_absent", note, column="mask", value=entry.mask)
        return None
    if note:
        problems.append(Problem(WARNING, "several_labels" if len(info.labels) > 1 else "label_choice", note,
                                f"label {chosen} used", column="mask", value=entry.mask, **where))
    return chosen


def _reader_failure(entry, exc: Exception, skip) -> None:
    """A file that cannot be read skips its row; a DICOM series with a missing or misplaced slice
    refuses the import (its volume would be silently distorted)."""
    if isinstance(exc, SliceGapError):
        skip("dicom_slices", str(exc), ERROR, column="image", value=entry.image)
        return
    column, path, error = _unreadable(entry.image, entry.mask, exc)
    skip("unreadable_file", f"cannot read the {column}: {error}", column=column, value=path)


def _rtstruct_roi(entry, roi: str | None, settings: CohortSettings, skip, problems: list[Problem],
                  where: dict) -> int | None:
    """The ROI number of an RTSTRUCT row, checked by rasterising it onto the image (None, with an
    error, when the ROI is missing, not named among several, drawn on another series or off the image)."""
    name = getattr(entry, "roi", None)
    name = roi if name is None or pd.isna(name) or not str(name).strip() else str(name)
    try:
        geometry = image_geometry(entry.image, settings.max_voxels)
        found = rtstruct.rois(entry.mask)
    except Exception as exc:  # noqa: BLE001 - any reader failure is reported, the row skipped
        _reader_failure(entry, exc, skip)
        return None
    listing = rtstruct.roi_list(found)
    drawn = [r for r in found if r.contours]
    if name:
        matches = [r for r in found if r.name.casefold() == name.strip().casefold()]
        if len(matches) != 1:
            skip("rtstruct_roi", f"RTSTRUCT {entry.mask} has {'no ROI' if not matches else 'several ROIs'} named "
                 f"'{name}'; its ROIs: {listing}", ERROR, column="roi", value=name)
            return None
        number = matches[0].number
    elif len(drawn) == 1:
        number = drawn[0].number
        problems.append(Problem(WARNING, "rtstruct_roi", f"no ROI name given: the only ROI with contours, "
                                f"'{drawn[0].name}', used (its ROIs: {listing})", f"ROI {number} used", column="roi",
                                value=entry.mask, **where))
    else:
        skip("rtstruct_roi", f"no ROI name given for RTSTRUCT {entry.mask}, which has several ROIs: {listing}; give "
             "the ROI name (manifest column roi, or the ROI name for every row)", ERROR, column="roi", value="")
        return None
    try:
        mask = rtstruct.read_rtstruct(entry.mask, geometry.blank(), number, series_uid(entry.image))
    except ValueError as exc:
        skip("rtstruct_contour", str(exc), ERROR, column="mask", value=entry.mask)
        return None
    if not np.any(sitk.GetArrayViewFromImage(mask)):
        skip("empty_mask", f"ROI {number} of RTSTRUCT {entry.mask} covers no voxel of the image", column="mask",
             value=entry.mask)
        return None
    return number


def _exists(path: str) -> bool:
    """False also for paths the system refuses to look up (too long, NUL bytes); True for a link loop
    (the file check names it)."""
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno == errno.ELOOP
    except ValueError:
        return False
    return True


def _short(exc: Exception) -> str:
    """The last line of a reader's error, without SimpleITK's source-file preamble."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return (lines[-1] if lines else type(exc).__name__).removeprefix("sitk::ERROR: ")


def _unreadable(image: str, mask: str, exc: Exception) -> tuple[str, str, str]:
    """(column, path, error) of the file that could not be read: the one a file check names, else
    the image if it fails alone, else the mask."""
    if isinstance(exc, ImageFileError):
        return ("image", image, str(exc)) if Path(exc.path) == Path(image) else ("mask", mask, str(exc))
    try:
        image_geometry(image)
    except Exception as image_exc:  # noqa: BLE001 - the reader's own message is reported
        return "image", image, _short(image_exc)
    return "mask", mask, _short(exc)


def _key(entry) -> tuple | None:
    return (entry.patient_id, entry.phase, entry.reader) if entry.patient_id and entry.phase else None


def _conflicting_duplicates(entries: pd.DataFrame, problems: list[Problem]) -> set[int]:
    """Positions of rows that repeat a (patient, phase, reader) with different files or label: one
    error each (which row is right cannot be told). Rows repeating the same files are left to the
    loop, which skips the repeats with a warning."""
    groups: dict[tuple, list[int]] = {}
    for i, entry in enumerate(entries.itertuples(index=False)):
        if (key := _key(entry)) is not None:
            groups.setdefault(key, []).append(i)
    conflicting = set()
    for (pid, phase, reader), positions in groups.items():
        rows = entries.iloc[positions]
        content = rows.reindex(columns=["image", "mask", "label", "roi"]).astype(str).agg("|".join, axis=1)
        if len(positions) < 2 or content.nunique() < 2:
            continue
        numbers = [int(r) for r in rows["row"] if pd.notna(r)]
        for i, entry in zip(positions, rows.itertuples(index=False)):
            problems.append(Problem(
                ERROR, "duplicate_image", f"rows {listed(numbers)} give different files for phase '{phase}', reader "
                f"'{reader}'", "import refused; keep one row per patient, phase and reader", file=entry.file or "",
                row=None if pd.isna(entry.row) else int(entry.row), column="image", value=entry.image or "",
                patient_id=pid))
            conflicting.add(i)
    return conflicting


def _phase_spellings(entries: pd.DataFrame) -> list[Problem]:
    """An error per phase spelled in several ways (``Arterial`` / ``arterial``): they would be different phases."""
    spellings: dict[str, dict[str, pd.Series]] = {}
    for phase, rows in entries.dropna(subset=["phase"]).groupby("phase")["row"]:
        spellings.setdefault(fold(phase), {})[phase] = rows
    problems = []
    for variants in spellings.values():
        if len(variants) > 1:
            names = " and ".join(f"'{v}'" for v in sorted(variants))
            for phase, rows in sorted(variants.items()):
                shown = [int(r) for r in rows if pd.notna(r)]
                problems.append(Problem(ERROR, "phase_spelling", f"phases {names} differ only in upper / lower case or "
                                        f"blanks (rows {listed(shown) or 'of the folder scan'})",
                                        "import refused; spell each phase one way", file=str(entries["file"].iloc[0] or ""),
                                        row=shown[0] if shown else None, column="phase", value=phase))
    return problems


def _coverage(images: pd.DataFrame, patient_ids: list[str]) -> list[Problem]:
    """Patients without any image, and patients lacking a phase that others have."""
    problems = []
    primary = images[images["reader"] == "1"]
    phases = sorted(primary["phase"].unique())
    have = primary.groupby("patient_id")["phase"].agg(set).to_dict()
    for pid in patient_ids:
        if pid not in have:
            problems.append(Problem(WARNING, "patient_without_images", "patient has no usable image (reader 1)",
                                    "kept without images", patient_id=pid))
        elif missing := [p for p in phases if p not in have[pid]]:
            problems.append(Problem(WARNING, "missing_phase", f"no usable image for phase(s) {missing}",
                                    "kept; these phases are missing for this patient", patient_id=pid))
    return problems
