"""Image manifests for the ``extract`` command: ``patient_id, phase, image, mask[, reader][, label][, roi]``.

The file is read by the one manifest reader, :func:`hccdash.cohort.manifest.read_manifest`
(CSV or XLSX; column names without regard to case; relative paths relative to the
manifest's own folder, not the working directory; any other column refused). Where the
cohort import reports a bad row and skips it, ``extract`` refuses the whole manifest with
``ValueError`` naming the file, the column and the rows, before any file is hashed or
extracted: a blank patient_id or phase, a phase with a '.', a duplicate (patient_id, phase,
reader), a path that is neither a regular file nor a folder (a FIFO, a device, a link
loop), a missing file, a folder that holds no DICOM series, a ``roi`` on a mask that is not
an RTSTRUCT or not among its ROIs. An image or mask may be a file SimpleITK reads or a folder
holding one DICOM series.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import SimpleITK as sitk

from hccdash.cohort import manifest
from hccdash.cohort.integrity import is_dicom_file
from hccdash.digest import remembered_sha256s
from hccdash.regular_files import regular_path

MAX_NAMED_ROWS = 10  # rows quoted in one message
COLUMNS = ["patient_id", "phase", "reader", "image_path", "mask_path", "label", "image_sha256", "mask_sha256"]


def manifest_images(path: str | Path, default_label: int = 1) -> pd.DataFrame:
    """The manifest's image rows, checked and with content hashes.

    Returns columns ``patient_id, phase, reader, image_path, mask_path, label,
    image_sha256, mask_sha256``, paths absolute. ``reader`` defaults to '1' and
    ``label`` (a whole number above 0) to ``default_label``, also in blank cells; a
    ``roi`` (the ROI name of an RTSTRUCT mask) gives the row's label: its ROI number. Refused
    with ``ValueError`` naming the rows: everything the reader refuses (see
    :func:`hccdash.cohort.manifest.read_manifest`), and each check of the module docstring.
    """
    path = Path(path)
    frame = manifest.read_manifest(path, filename=str(path))
    frame["label"] = [default_label if pd.isna(label) else int(label) for label in frame["label"]]
    for column in ("patient_id", "phase"):
        _refuse(path, frame, frame[column].isna(), f"column {column!r} is empty")
    _refuse(path, frame, frame["phase"].str.contains(".", regex=False), "phase names may not contain '.'")
    _refuse(
        path, frame, frame.duplicated(["patient_id", "phase", "reader"], keep=False), "duplicate (patient_id, phase, reader)"
    )
    strange = [f"row {row}: {problem}" for row, *files in frame[["row", "image", "mask"]].itertuples(index=False)
               for file in files if (problem := _strange(file))]
    if strange:
        raise ValueError(f"{path}: image / mask path(s) that are neither a regular file nor a folder: "
                         f"{'; '.join(strange[:MAX_NAMED_ROWS])}")
    for column in ("image", "mask"):
        files = [Path(value) if value else None for value in frame[column]]
        _refuse_values(path, frame, column, [file is None or not file.exists() for file in files], "file(s) not found")
        _refuse_values(
            path, frame, column, [file.is_dir() and not holds_dicom(file) for file in files],
            "folder(s) that hold no DICOM series",
        )
        frame[f"{column}_path"] = [str(file.resolve()) for file in files]
    frame["label"] = _roi_labels(path, frame)
    hashes = remembered_sha256s([*frame["image_path"], *frame["mask_path"]])
    frame["image_sha256"], frame["mask_sha256"] = hashes[: len(frame)], hashes[len(frame) :]
    return frame[COLUMNS].reset_index(drop=True)


def _roi_labels(path: Path, frame: pd.DataFrame) -> list[int]:
    """Each row's label, the ROI number of its ``roi`` name where one is given (the mask must be an RTSTRUCT)."""
    from hccdash.cohort.rtstruct import is_rtstruct, roi_number

    labels = []
    for row, name, mask, label in zip(frame["row"], frame["roi"], frame["mask_path"], frame["label"]):
        if pd.isna(name) or not name:
            labels.append(label)
            continue
        if not is_rtstruct(mask):
            raise ValueError(f"{path}, row {row}: column 'roi' names an RTSTRUCT ROI ({name!r}) but the mask "
                             f"{mask} is not a DICOM RTSTRUCT")
        try:
            labels.append(roi_number(mask, name))
        except ValueError as exc:
            raise ValueError(f"{path}, row {row}: {exc}") from None
    return labels


def _strange(file: str | None) -> str:
    """Why ``file`` is neither a regular file nor a folder (a FIFO, a device, a link loop), or ''."""
    if not file or not os.path.lexists(file):
        return ""
    try:
        regular_path(file)
    except ValueError as exc:
        return str(exc)
    except FileNotFoundError:  # a broken link: reported as not found
        return ""
    return ""


def _refuse(path: Path, frame: pd.DataFrame, bad: pd.Series, problem: str) -> None:
    """``ValueError`` naming the rows where ``bad`` holds."""
    rows = frame.loc[bad.fillna(False).to_numpy(dtype=bool), "row"].tolist()
    if rows:
        raise ValueError(f"{path}: {problem} in row(s) {rows[:MAX_NAMED_ROWS]}")


def _refuse_values(path: Path, frame: pd.DataFrame, column: str, bad: list[bool], problem: str) -> None:
    """``ValueError`` naming the rows where ``bad`` holds and their ``column`` values."""
    shown = [f"row {row}: {value or ''!r}" for row, value, b in zip(frame["row"], frame[column], bad) if b]
    if shown:
        raise ValueError(f"{path}: {column} {problem}: {', '.join(shown[:MAX_NAMED_ROWS])}")


def holds_dicom(folder: Path) -> bool:
    """Whether ``folder`` holds DICOM files SimpleITK can read as a series.

    Cheap for a DICOM folder: the first file with the DICOM preamble decides. Only a
    folder without one is handed to GDCM (which also knows preamble-less files).
    """
    if any(file.is_file() and is_dicom_file(file) for file in folder.iterdir()):
        return True
    warnings = sitk.ProcessObject_GetGlobalWarningDisplay()
    sitk.ProcessObject_SetGlobalWarningDisplay(False)  # GDCM's "No Series were found" on stderr
    try:
        return bool(sitk.ImageSeriesReader.GetGDCMSeriesIDs(str(folder)))
    finally:
        sitk.ProcessObject_SetGlobalWarningDisplay(warnings)
