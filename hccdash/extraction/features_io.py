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
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import IO

import pandas as pd

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
