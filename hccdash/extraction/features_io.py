"""Feature tables in and out: import external tables, export matrices as CSV / Parquet.

Three import formats, detected from the columns (or named with ``kind``):

* ``pyradiomics``: pyradiomics batch output (``pyradiomics cases.csv -o out.csv -f csv``):
  one row per case, the input columns (``Image``, ``Mask``, an id column, ...), then
  ``diagnostics_*`` and feature columns named ``<imageType>_<class>_<feature>``.
* ``slicer``: a 3D Slicer SlicerRadiomics results table (saved as CSV/TSV): columns
  ``Image type``, ``Feature Class``, ``Feature Name`` and either one value column per
  segment (the segment name is the patient id unless ``patient_id`` is given) or
  ``Label`` + ``Value`` (older versions).
* ``wide``: any patient x feature table: an id column, optionally ``phase`` / ``reader``
  columns, and numeric feature columns; columns named ``"{phase}.{feature}"`` (the
  export format below) are split into phase and feature.

Every reader returns the long form ``patient_id, phase, reader, feature, value``
(diagnostics and non-numeric columns dropped), which :func:`store_imported` writes to
``imported_features`` under a source name, replacing an earlier import of that name.

``python -m hccdash fit`` reads its feature table as a wide matrix (reader 1) with the repeat
readers for the ICC filter: :func:`read_feature_matrix`.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from hccdash.cohort.tables import EXCEL_SUFFIXES, read_table
from hccdash.spreadsheet import csv_text
from hccdash.store import Store

KINDS = ("auto", "pyradiomics", "slicer", "wide")
ID_CANDIDATES = ("patient_id", "PatientID", "patient", "Patient", "ID", "id", "case", "Case", "subject")
SLICER_KEYS = ("Image type", "Feature Class", "Feature Name")
LONG_COLUMNS = ["patient_id", "phase", "reader", "feature", "value"]
_PYRADIOMICS_NAME = re.compile(r"^[A-Za-z0-9\-]+_[A-Za-z0-9]+_[A-Za-z0-9]+$")


def _read_csv(source: str | Path | IO, name: str) -> pd.DataFrame:
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"Feature table {path} does not exist")
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path)
        text = path.read_bytes()
    else:
        text = source.read()
    if isinstance(text, str):
        text = text.encode()
    if text[:4] == b"PAR1":
        return pd.read_parquet(io.BytesIO(text))
    try:
        return pd.read_csv(io.BytesIO(text), sep=None, engine="python", encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"Feature table {name} cannot be read as CSV/TSV: {exc}") from exc


def detect_kind(frame: pd.DataFrame) -> str:
    """``slicer``, ``pyradiomics`` or ``wide``, from the columns."""
    columns = set(map(str, frame.columns))
    if set(SLICER_KEYS) <= columns:
        return "slicer"
    if {"Image", "Mask"} <= columns or any(c.startswith("diagnostics_") for c in columns):
        return "pyradiomics"
    return "wide"


def read_feature_table(
    source: str | Path | IO,
    kind: str = "auto",
    *,
    id_column: str | None = None,
    phase: str | None = None,
    reader: str = "1",
    patient_id: str | None = None,
    name: str | None = None,
) -> pd.DataFrame:
    """An external feature table in long form ``patient_id, phase, reader, feature, value``.

    ``phase`` (and ``reader``) apply where the table has no such column and its feature
    names carry no ``phase.`` prefix; ``patient_id`` names the case of a single-case
    Slicer table. Problems raise ``ValueError`` naming the table and column.
    """
    name = name or (str(source) if isinstance(source, (str, Path)) else "uploaded table")
    if kind not in KINDS:
        raise ValueError(f"Feature table kind {kind!r} is not one of {list(KINDS)}")
    frame = _read_csv(source, name)
    if frame.empty:
        raise ValueError(f"Feature table {name} has no rows")
    frame.columns = [str(c).strip() for c in frame.columns]
    kind = detect_kind(frame) if kind == "auto" else kind
    if kind == "slicer":
        long = _from_slicer(frame, name, patient_id)
    else:
        long = _from_wide(frame, name, id_column, pyradiomics_only=kind == "pyradiomics")
    return _finish(long, name, phase, reader)


def _id_column(frame: pd.DataFrame, name: str, id_column: str | None) -> str:
    if id_column is not None:
        if id_column not in frame.columns:
            raise ValueError(f"Feature table {name} has no id column {id_column!r}; columns: {list(frame.columns)[:20]}")
        return id_column
    for candidate in ID_CANDIDATES:
        if candidate in frame.columns:
            return candidate
    raise ValueError(
        f"Feature table {name}: no patient id column found (looked for {list(ID_CANDIDATES)}); name it with id_column"
    )


def _from_wide(frame: pd.DataFrame, name: str, id_column: str | None, pyradiomics_only: bool) -> pd.DataFrame:
    id_col = _id_column(frame, name, id_column)
    keys = [id_col] + [c for c in ("phase", "reader") if c in frame.columns and c != id_col]
    candidates = [
        c
        for c in frame.columns
        if c not in keys
        and not c.startswith("diagnostics_")
        and (not pyradiomics_only or _PYRADIOMICS_NAME.match(c))
    ]
    values = frame[candidates].apply(pd.to_numeric, errors="coerce")
    numeric = [c for c in candidates if values[c].notna().any() or frame[c].isna().all()]
    if not numeric:
        raise ValueError(f"Feature table {name} has no numeric feature columns")
    wide = pd.concat([frame[keys].astype(str), values[numeric]], axis=1)
    long = wide.melt(id_vars=keys, var_name="feature", value_name="value")
    return long.rename(columns={id_col: "patient_id"})


def _from_slicer(frame: pd.DataFrame, name: str, patient_id: str | None) -> pd.DataFrame:
    image_type, klass, feature = (frame[c].astype(str).str.strip() for c in SLICER_KEYS)
    frame = frame.assign(feature=image_type + "_" + klass + "_" + feature)
    frame = frame[image_type.str.lower() != "diagnostics"]
    if "Value" in frame.columns:
        case_col = "Label" if "Label" in frame.columns else None
        cases = frame[case_col].astype(str) if case_col else pd.Series(patient_id, index=frame.index)
        long = pd.DataFrame({"patient_id": cases, "feature": frame["feature"], "value": frame["Value"]})
    else:
        segments = [c for c in frame.columns if c not in (*SLICER_KEYS, "feature")]
        if not segments:
            raise ValueError(f"Slicer table {name} has no value column")
        if patient_id is not None and len(segments) > 1:
            raise ValueError(f"Slicer table {name} holds {len(segments)} segments {segments}; patient_id fits one")
        long = frame.melt(id_vars=["feature"], value_vars=segments, var_name="patient_id", value_name="value")
        if patient_id is not None:
            long["patient_id"] = patient_id
    if long["patient_id"].isna().any():
        raise ValueError(f"Slicer table {name}: give patient_id (the table does not name its case)")
    long["value"] = pd.to_numeric(long["value"], errors="coerce")
    return long


def _finish(long: pd.DataFrame, name: str, phase: str | None, reader: str) -> pd.DataFrame:
    long = long.copy()
    if "phase" not in long.columns:
        prefixed = long["feature"].str.contains(".", regex=False)
        if phase is None and prefixed.all():
            split = long["feature"].str.split(".", n=1, expand=True)
            long["phase"], long["feature"] = split[0], split[1]
        elif phase is None:
            raise ValueError(f"Feature table {name} has no phase column and no 'phase.' prefixes: give the phase")
        else:
            long["phase"] = phase
    if "reader" not in long.columns:
        long["reader"] = str(reader)
    long = long[LONG_COLUMNS].astype({"patient_id": str, "phase": str, "reader": str, "feature": str})
    long["value"] = long["value"].astype(float)
    duplicated = long.duplicated(["patient_id", "phase", "reader", "feature"])
    if duplicated.any():
        first = long[duplicated].iloc[0]
        raise ValueError(
            f"Feature table {name}: patient {first.patient_id!r} phase {first.phase!r} has feature "
            f"{first.feature!r} more than once"
        )
    return long.reset_index(drop=True)


def store_imported(long: pd.DataFrame, cohort: str, source: str, store: Store | None = None) -> int:
    """Write an imported table (long form) as ``source`` of ``cohort``, replacing it; returns rows."""
    if not source.strip():
        raise ValueError("An imported feature table needs a source name")
    frame = long[LONG_COLUMNS].assign(cohort=cohort, source=source)
    frame = frame[["cohort", "source", "patient_id", "phase", "reader", "feature", "value"]]
    with (store or Store()).transaction() as con:
        con.register("incoming", frame)
        con.execute("DELETE FROM imported_features WHERE cohort = ? AND source = ?", [cohort, source])
        con.execute("INSERT INTO imported_features SELECT * FROM incoming")
        con.unregister("incoming")
    return len(frame)


def imported_sources(cohort: str, store: Store | None = None) -> list[str]:
    """Names of the feature tables imported for ``cohort``."""
    frame = (store or Store()).query(
        "SELECT DISTINCT source FROM imported_features WHERE cohort = ? ORDER BY source", [cohort]
    )
    return frame["source"].tolist()


def case_table(long: pd.DataFrame) -> pd.DataFrame:
    """Long features -> one row per case: ``patient_id, phase, reader`` then one column per feature.

    Only the cases present in ``long`` become rows (not every patient x phase x reader
    combination); feature columns that are all NaN are kept.
    """
    keys = ["patient_id", "phase", "reader"]
    if long.empty:
        return pd.DataFrame(columns=keys)
    wide = long.groupby([*keys, "feature"], sort=True)["value"].first().unstack("feature")
    wide.columns.name = None
    return wide.reset_index()


def to_csv_bytes(matrix: pd.DataFrame, index: bool = True) -> bytes:
    """A matrix as CSV bytes for downloads (:func:`hccdash.spreadsheet.csv_text`: formula-like text neutralised)."""
    return csv_text(matrix, index=index).encode()


def to_parquet_bytes(matrix: pd.DataFrame, index: bool = True) -> bytes:
    """A matrix as Parquet bytes (for downloads)."""
    buffer = io.BytesIO()
    matrix.to_parquet(buffer, index=index)
    return buffer.getvalue()


def write_table(frame: pd.DataFrame, path: str | Path, index: bool = False) -> Path:
    """Write ``frame`` as Parquet (``.parquet``) or CSV (anything else; as :func:`hccdash.spreadsheet.csv_text`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".parquet":
        frame.to_parquet(path, index=index)
    else:
        path.write_text(csv_text(frame, index=index), newline="")
    return path


def read_feature_matrix(path: Path, id_col: str) -> tuple[pd.DataFrame, tuple[pd.DataFrame, ...] | None]:
    """The feature table of ``python -m hccdash fit``: (reader 1's wide matrix indexed by patient
    id, repeat matrices for the ICC or None), read by the cohort import's reader
    (:func:`hccdash.cohort.tables.read_table`: CSV with any separator, or XLSX).

    One row per patient: the id column, then feature columns (``"{phase}.{feature}"`` or plain
    names); a long table with a ``phase`` column (one row per patient and phase, as ``extract``
    writes) is widened to ``"{phase}.{feature}"``. With a ``reader`` column, reader 1's rows are
    the features and readers 2, ... the repeat segmentations: the repeats are reader 1 then each
    other reader, aligned on the patients all of them have and on shared columns (as
    :func:`hccdash.extraction.matrices.repeat_pairs`), or None when fewer than 2 patients have
    every reader. Text columns and pyradiomics ``diagnostics_*`` columns are ignored; a column of
    numbers with a text cell, a blank id, a repeated patient and a missing or infinite reader-1
    value are errors naming the file, the column and the patient (or spreadsheet row).
    """
    frame = _read_table(path)
    if id_col not in frame.columns:
        raise ValueError(f"{path}: no id column '{id_col}' (columns: {list(frame.columns)[:10]})")
    blank = frame.index[frame[id_col].isna()]
    if len(blank):
        raise ValueError(f"{path}: column '{id_col}' is empty in row(s) {[int(r) for r in blank[:5]]} "
                         "(row 1 = header)")
    if "reader" not in frame.columns:
        return _complete(_widen(frame, path, id_col), path), None
    reader = frame["reader"].astype(str).str.strip().str.replace(r"\.0$", "", regex=True)
    if not (reader == "1").any():
        raise ValueError(f"{path}: column 'reader' has no reader 1 rows (readers {sorted(set(reader))}); "
                         "reader 1 is the primary segmentation")
    features = _complete(_widen(frame[reader == "1"].drop(columns="reader"), path, id_col), path)
    matrices = [features] + [_widen(frame[reader == r].drop(columns="reader"), path, id_col).dropna(how="all")
                             for r in sorted(set(reader) - {"1"})]  # all-NaN rows: no repeat mask
    if len(matrices) == 1:
        return features, None
    patients, columns = features.index, features.columns
    for matrix in matrices[1:]:
        patients, columns = patients.intersection(matrix.index), columns.intersection(matrix.columns)
    repeats = tuple(matrix.loc[patients, columns] for matrix in matrices)
    return features, repeats if len(patients) >= 2 else None


def _read_table(path: Path) -> pd.DataFrame:
    """``read_table(path)``, a file it cannot read named as such."""
    try:
        return read_table(path)
    except ValueError as exc:
        kind = "XLSX workbook" if Path(path).suffix.lower() in EXCEL_SUFFIXES else "CSV table"
        raise ValueError(f"{path}: not a readable {kind}: {str(exc).removeprefix(f'{Path(path).name}: ')}") from None


def _widen(frame: pd.DataFrame, path: Path, id_col: str) -> pd.DataFrame:
    """One reader's rows (text cells, indexed by spreadsheet row) -> numeric matrix indexed by
    patient id (long tables widened by phase)."""
    if "phase" in frame.columns:
        repeated = frame[frame.duplicated([id_col, "phase"])]
        if len(repeated):
            raise ValueError(f"{path}: patient '{repeated[id_col].iloc[0]}', phase '{repeated['phase'].iloc[0]}' "
                             f"occurs more than once (row {int(repeated.index[0])}); keep one row per "
                             "patient and phase")
        frame = frame.pivot(index=id_col, columns="phase")
        frame.columns = [f"{phase}.{feature}" for feature, phase in frame.columns]
    else:
        if frame[id_col].duplicated().any():
            raise ValueError(f"{path}: duplicated patient id(s) {list(frame[id_col][frame[id_col].duplicated()][:5])}")
        frame = frame.set_index(id_col)
    keep, numbers = [], {}
    for column in [c for c in frame.columns if not str(c).split(".")[-1].startswith("diagnostics_")]:
        values = pd.to_numeric(frame[column], errors="coerce")
        if values.isna().all():
            continue  # a text (or empty) column: not a feature
        text = values.isna() & frame[column].notna()
        if text.any():  # a number column with a stray text cell is an error, not a text column
            patient = text.index[text][0]
            raise ValueError(f"{path}: feature column '{column}' holds numbers and text; patient '{patient}' has "
                             f"{frame.at[patient, column]!r}")
        keep.append(column)
        numbers[column] = values.astype(float)
    if not keep:
        raise ValueError(f"{path}: no numeric feature column found")
    matrix = pd.DataFrame(numbers, index=frame.index)
    matrix.index.name = "patient_id"
    return matrix


def _complete(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """``frame`` if every value is finite (the modelling features must be)."""
    incomplete = frame.columns[(~np.isfinite(frame)).any()]
    if len(incomplete):
        raise ValueError(f"{path}: feature(s) {list(incomplete[:5])} have missing or infinite values "
                         f"(e.g. patient '{frame.index[~np.isfinite(frame[incomplete[0]])][0]}')")
    return frame
