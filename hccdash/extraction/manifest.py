"""Image manifests for the ``extract`` command: ``patient_id, phase, image, mask[, reader][, label][, roi]``.

A manifest is a UTF-8 CSV file with a header row. Column names are matched without
regard to case or surrounding spaces; cells are stripped. Relative image and mask paths
are relative to the manifest's own folder (not to the working directory). An image or
mask may be a file SimpleITK reads or a folder holding one DICOM series. Rows are named
by their line in the file (the header is line 1). Anything else (an unknown column,
a row with too many or too few cells, a missing file, ...) raises ``ValueError`` naming
the file, the column and the rows, before any file is hashed or extracted.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pandas as pd
import SimpleITK as sitk

from hccdash.digest import remembered_sha256s
from hccdash.regular_files import regular_path

REQUIRED = ("patient_id", "phase", "image", "mask")
OPTIONAL = ("reader", "label", "roi")
MAX_NAMED_ROWS = 10  # rows quoted in one message
DICOM_MAGIC = b"DICM"  # bytes 128-131 of a DICOM Part 10 file


def read_manifest(path: str | Path, default_label: int = 1) -> pd.DataFrame:
    """The manifest as image rows with content hashes.

    Returns columns ``patient_id, phase, reader, image_path, mask_path, label,
    image_sha256, mask_sha256``, paths absolute. ``reader`` defaults to '1' and
    ``label`` (a whole number above 0) to ``default_label``, also in blank cells; a
    ``roi`` (the ROI name of an RTSTRUCT mask) gives the row's label: its ROI number.
    Refused with ``ValueError`` naming the rows: an empty file or one that is not UTF-8
    CSV, a missing, unknown or repeated column, a row whose cell count differs from the
    header's, a blank patient_id or phase, a phase with a '.', a bad label, a duplicate
    (patient_id, phase, reader), a missing file, a folder that holds no DICOM series.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Manifest {path} {'is a folder, not a CSV file' if path.is_dir() else 'does not exist'}")
    frame = _read_cells(path)
    if "reader" not in frame.columns:
        frame["reader"] = "1"
    frame["reader"] = frame["reader"].replace("", "1")
    frame["label"] = _labels(frame, path, default_label)
    for column in ("patient_id", "phase"):
        _refuse(path, frame, frame[column] == "", f"column {column!r} is empty")
    _refuse(path, frame, frame["phase"].str.contains(".", regex=False), "phase names may not contain '.'")
    _refuse(
        path, frame, frame.duplicated(["patient_id", "phase", "reader"], keep=False), "duplicate (patient_id, phase, reader)"
    )
    base = path.resolve().parent
    strange = [f"row {line}: {problem}" for line, *values in frame[["line", "image", "mask"]].itertuples(index=False)
               for value in values if (problem := _strange(base / value if value else None))]
    if strange:
        raise ValueError(f"Manifest {path}: image / mask path(s) that are neither a regular file nor a folder: "
                         f"{'; '.join(strange[:MAX_NAMED_ROWS])}")
    for column in ("image", "mask"):
        files = [base / value if value else None for value in frame[column]]
        _refuse_values(path, frame, column, [file is None or not file.exists() for file in files], "file(s) not found")
        frame[f"{column}_path"] = [str(file.resolve()) if file else "" for file in files]
        _refuse_values(
            path, frame, column, [file is not None and file.is_dir() and not holds_dicom(file) for file in files],
            "folder(s) that hold no DICOM series",
        )
    if "roi" in frame.columns:
        frame["label"] = _roi_labels(path, frame)
    hashes = remembered_sha256s([*frame["image_path"], *frame["mask_path"]])
    frame["image_sha256"], frame["mask_sha256"] = hashes[: len(frame)], hashes[len(frame) :]
    return frame[
        ["patient_id", "phase", "reader", "image_path", "mask_path", "label", "image_sha256", "mask_sha256"]
    ].reset_index(drop=True)


def _read_cells(path: Path) -> pd.DataFrame:
    """The manifest's stripped cells as text, lower-case column names, and each row's ``line``."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"Manifest {path} is not UTF-8 text (byte {exc.start}): save it as a UTF-8 CSV file") from None
    reader = csv.reader(io.StringIO(text))
    try:
        rows = [(reader.line_num, [cell.strip() for cell in row]) for row in reader if any(c.strip() for c in row)]
    except csv.Error as exc:
        raise ValueError(f"Manifest {path}, line {reader.line_num}: not valid CSV ({exc})") from None
    expected = f"a header row with columns {', '.join(REQUIRED)}[, {'][, '.join(OPTIONAL)}]"
    if not rows:
        raise ValueError(f"Manifest {path} is empty: expected {expected}")
    header = [name.lower() for name in rows[0][1]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ValueError(f"Manifest {path} lacks column(s) {missing}; it has {rows[0][1]} (expected {expected})")
    unknown = [name for name in rows[0][1] if name.lower() not in (*REQUIRED, *OPTIONAL)]
    if unknown:
        raise ValueError(
            f"Manifest {path} has unknown column(s) {unknown} (expected {expected}); remove them: a misspelt "
            "'reader' or 'label' column would otherwise be ignored"
        )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise ValueError(f"Manifest {path} has column(s) {repeated} more than once")
    ragged = [(line, len(cells)) for line, cells in rows[1:] if len(cells) != len(header)]
    if ragged:
        shown = ", ".join(f"row {line} has {n}" for line, n in ragged[:MAX_NAMED_ROWS])
        raise ValueError(f"Manifest {path}: the header has {len(header)} cells but {shown}")
    if len(rows) == 1:
        raise ValueError(f"Manifest {path} has no rows")
    frame = pd.DataFrame([cells for _, cells in rows[1:]], columns=header, dtype=str)
    frame["line"] = [line for line, _ in rows[1:]]
    return frame


def _labels(frame: pd.DataFrame, path: Path, default_label: int) -> list[int]:
    if "label" not in frame.columns:
        return [default_label] * len(frame)
    cells = frame["label"]
    _refuse(path, frame, (cells != "") & ~cells.str.fullmatch(r"0*[1-9]\d*"), "column 'label' is not a whole number above 0")
    return [int(cell) if cell else default_label for cell in cells]


def _strange(file: Path | None) -> str:
    """Why ``file`` is neither a regular file nor a folder (a FIFO, a device, a link loop), or ''."""
    if file is None or not os.path.lexists(file):
        return ""
    try:
        regular_path(file)
    except ValueError as exc:
        return str(exc)
    except FileNotFoundError:  # a broken link: reported as not found
        return ""
    return ""


def _roi_labels(path: Path, frame: pd.DataFrame) -> list[int]:
    """Each row's label, the ROI number of its ``roi`` name where one is given (the mask must be an RTSTRUCT)."""
    from hccdash.cohort.rtstruct import is_rtstruct, roi_number

    labels = []
    for line, name, mask, label in zip(frame["line"], frame["roi"], frame["mask_path"], frame["label"]):
        if not name:
            labels.append(label)
            continue
        if not is_rtstruct(mask):
            raise ValueError(f"Manifest {path}, row {line}: column 'roi' names an RTSTRUCT ROI ({name!r}) but the mask "
                             f"{mask} is not a DICOM RTSTRUCT")
        try:
            labels.append(roi_number(mask, name))
        except ValueError as exc:
            raise ValueError(f"Manifest {path}, row {line}: {exc}") from None
    return labels


def _refuse(path: Path, frame: pd.DataFrame, bad: pd.Series, problem: str) -> None:
    """``ValueError`` naming the rows where ``bad`` holds."""
    lines = frame.loc[bad.to_numpy(), "line"].tolist()
    if lines:
        raise ValueError(f"Manifest {path}: {problem} in row(s) {lines[:MAX_NAMED_ROWS]}")


def _refuse_values(path: Path, frame: pd.DataFrame, column: str, bad: list[bool], problem: str) -> None:
    """``ValueError`` naming the rows where ``bad`` holds and their ``column`` values."""
    shown = [f"row {line}: {value!r}" for line, value, b in zip(frame["line"], frame[column], bad) if b]
    if shown:
        raise ValueError(f"Manifest {path}: {column} {problem}: {', '.join(shown[:MAX_NAMED_ROWS])}")


def holds_dicom(folder: Path) -> bool:
    """Whether ``folder`` holds DICOM files SimpleITK can read as a series.

    Cheap for a DICOM folder: the first file with the DICOM preamble decides. Only a
    folder without one is handed to GDCM (which also knows preamble-less files).
    """
    for file in folder.iterdir():
        if file.is_file():
            with file.open("rb") as handle:
                if handle.read(132)[128:] == DICOM_MAGIC:
                    return True
    warnings = sitk.ProcessObject_GetGlobalWarningDisplay()
    sitk.ProcessObject_SetGlobalWarningDisplay(False)  # GDCM's "No Series were found" on stderr
    try:
        return bool(sitk.ImageSeriesReader.GetGDCMSeriesIDs(str(folder)))
    finally:
        sitk.ProcessObject_SetGlobalWarningDisplay(warnings)
