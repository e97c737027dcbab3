"""Image manifests for the ``extract`` command: ``patient_id, phase, image, mask[, reader][, label]``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hccdash.extraction import cache

REQUIRED = ("patient_id", "phase", "image", "mask")


def read_manifest(path: str | Path, default_label: int = 1) -> pd.DataFrame:
    """The manifest as image rows with content hashes.

    Returns columns ``patient_id, phase, reader, image_path, mask_path, label,
    image_sha256, mask_sha256``. Relative paths are relative to the manifest's folder;
    ``reader`` defaults to '1' and ``label`` to ``default_label``. A missing column, a
    missing file or a duplicate (patient_id, phase, reader) raises ``ValueError`` naming
    the rows.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Manifest {path} does not exist")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.columns = [c.strip() for c in frame.columns]
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ValueError(f"Manifest {path} lacks column(s) {missing}; it has {list(frame.columns)}")
    if frame.empty:
        raise ValueError(f"Manifest {path} has no rows")
    if "reader" not in frame.columns:
        frame["reader"] = "1"
    frame["reader"] = frame["reader"].replace("", "1")
    if "label" in frame.columns:
        bad = frame.index[~frame["label"].str.fullmatch(r"\d+")].tolist()
        if bad:
            raise ValueError(f"Manifest {path}: column 'label' is not a positive integer in row(s) {[i + 2 for i in bad]}")
        frame["label"] = frame["label"].astype(int)
    else:
        frame["label"] = default_label
    for column in ("patient_id", "phase"):
        blank = frame.index[frame[column].str.strip() == ""].tolist()
        if blank:
            raise ValueError(f"Manifest {path}: column {column!r} is empty in row(s) {[i + 2 for i in blank]}")
    bad_phase = frame.index[frame["phase"].str.contains(".", regex=False)].tolist()
    if bad_phase:
        raise ValueError(f"Manifest {path}: phase names may not contain '.' (row(s) {[i + 2 for i in bad_phase]})")
    duplicated = frame.index[frame.duplicated(["patient_id", "phase", "reader"], keep=False)].tolist()
    if duplicated:
        raise ValueError(f"Manifest {path}: duplicate (patient_id, phase, reader) in row(s) {[i + 2 for i in duplicated]}")
    base = path.resolve().parent
    for column in ("image", "mask"):
        frame[f"{column}_path"] = [str((base / value).resolve()) if value else "" for value in frame[column]]
        absent = [(i + 2, value) for i, value in enumerate(frame[column]) if not value or not (base / value).exists()]
        if absent:
            shown = ", ".join(f"row {row}: {value!r}" for row, value in absent[:10])
            raise ValueError(f"Manifest {path}: {column} file(s) not found: {shown}")
    hashes = cache.file_sha256s([*frame["image_path"], *frame["mask_path"]])
    frame["image_sha256"], frame["mask_sha256"] = hashes[: len(frame)], hashes[len(frame) :]
    return frame[
        ["patient_id", "phase", "reader", "image_path", "mask_path", "label", "image_sha256", "mask_sha256"]
    ].reset_index(drop=True)
