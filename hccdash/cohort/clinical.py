"""Read a clinical table (CSV or XLSX, path or uploaded bytes) and check it against a mapping.

Tables are read as text, exactly as the user typed them; typing happens through the
mapping (:mod:`hccdash.cohort.mapping`). The frame returned by :func:`read_table` is
indexed by the spreadsheet row number (header = row 1, first data row = row 2), so
every message can point at the row the user sees.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
import warnings
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from hccdash.cohort.mapping import ColumnMapping, VariableSpec, canonical, natural_levels
from hccdash.cohort.validate import ERROR, WARNING, Problem, listed
from hccdash.settings import TIME_UNITS_IN_MONTHS, CohortSettings

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
MAX_TIME_MONTHS = CohortSettings().max_time_months
MISSING_TEXT = ("", "na", "n/a", "nan", "null", "missing", ".", "-", "?")

Source = str | Path | bytes
BAD_WORKBOOK = (zipfile.BadZipFile, KeyError, OSError)  # what openpyxl raises on a damaged file


def _is_excel(data: bytes, filename: str) -> bool:
    return filename.lower().endswith(EXCEL_SUFFIXES) or data[:4] == b"PK\x03\x04"


def _load(source: Source, filename: str | None) -> tuple[bytes, str]:
    if isinstance(source, (str, Path)):
        path = Path(source).expanduser()
        if path.is_dir():
            raise ValueError(f"{path} is a folder; a CSV or XLSX file is needed")
        if not path.is_file():
            raise FileNotFoundError(f"{path} does not exist")
        return path.read_bytes(), filename or path.name
    return bytes(source), filename or "uploaded table"


def sheet_names(source: Source, filename: str | None = None) -> list[str]:
    """Sheets of an XLSX workbook; ``[]`` for a CSV."""
    data, name = _load(source, filename)
    if not _is_excel(data, name):
        return []
    try:
        return list(pd.ExcelFile(io.BytesIO(data), engine="openpyxl").sheet_names)
    except BAD_WORKBOOK as exc:
        raise ValueError(f"{name}: not a readable XLSX workbook: {exc}") from exc


def read_table(source: Source, filename: str | None = None, sheet: str | int | None = None) -> pd.DataFrame:
    """The table as text cells (missing = NaN), indexed by spreadsheet row number.

    CSV: the separator (``,`` ``;`` tab) is sniffed; UTF-8 (with or without BOM), UTF-16
    (with BOM), else Latin-1; a row with more cells than the header is refused. XLSX: ``sheet`` (default the first). Cells are stripped; blank cells and
    the usual missing spellings (NA, N/A, null, ...) become NaN; fully empty rows and
    unnamed empty columns are dropped (row numbers of the others stay as in the file).
    """
    data, name = _load(source, filename)
    if _is_excel(data, name):
        try:
            raw = pd.read_excel(io.BytesIO(data), sheet_name=0 if sheet is None else sheet, dtype=str,
                                engine="openpyxl", header=None)
        except ValueError as exc:
            raise ValueError(f"{name}: cannot read sheet {sheet!r}: {exc}") from exc
        except BAD_WORKBOOK as exc:
            raise ValueError(f"{name}: not a readable XLSX workbook: {exc}") from exc
        if raw.empty:
            raise ValueError(f"{name}: " + (f"sheet {sheet!r} is empty" if sheet is not None else "the first sheet is empty"))
        # header read as a row: pandas would rename a repeated name 'x' to 'x.1'
        header = [f"Unnamed: {i}" if pd.isna(h) else h for i, h in enumerate(raw.iloc[0])]
        frame = raw.iloc[1:].set_axis(header, axis=1).reset_index(drop=True)
    else:
        if sheet is not None:
            raise ValueError(f"{name}: a sheet ({sheet!r}) was chosen but the file is not an XLSX workbook")
        frame = _read_csv(data, name)
    frame.columns = [str(c).strip() for c in frame.columns]
    duplicated = frame.columns[frame.columns.duplicated()].tolist()
    if duplicated:
        raise ValueError(f"{name}: column name(s) {duplicated} occur more than once in the header (row 1)")
    frame = frame.apply(lambda col: col.str.strip() if col.dtype == object else col)
    frame = frame.mask(frame.apply(lambda col: col.str.lower().isin(MISSING_TEXT) if col.dtype == object else col.isna()))
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="row")
    frame = frame.dropna(how="all")
    empty_unnamed = [c for c in frame.columns if c.startswith("Unnamed:") and frame[c].isna().all()]
    frame = frame.drop(columns=empty_unnamed)
    if frame.empty:
        raise ValueError(f"{name}: the table has no data rows")
    return frame


def _decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Latin-1; a binary file is refused."""
    encodings = ("utf-16",) if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else ("utf-8-sig", "latin-1")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValueError(f"{name}: not a readable text file (encoding {encodings[0]} fails)")
    if "\x00" in text:
        raise ValueError(f"{name}: a binary file (NUL bytes), not a CSV table")
    return text


def _read_csv(data: bytes, name: str) -> pd.DataFrame:
    text = _decode(data, name)
    if not text.strip():
        raise ValueError(f"{name}: the file is empty")
    try:
        with warnings.catch_warnings():  # surplus cells are checked below
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(text), dtype=str, sep=None, engine="python", keep_default_na=False,
                                skip_blank_lines=False, index_col=False)
    except (pd.errors.ParserError, csv.Error) as exc:
        raise ValueError(f"{name}: not a readable CSV table: {exc}") from exc
    records = csv.reader(io.StringIO(text), delimiter=_separator(text, frame))
    header = next(records, [])
    if len(header) == len(frame.columns):  # pandas renames a repeated name 'x' to 'x.1'
        frame.columns = [h if h.strip() else c for h, c in zip(header, frame.columns)]
    for row, record in enumerate(records, start=2):
        if any(cell.strip() for cell in record[len(frame.columns):]):
            raise ValueError(f"{name}, row {row}: {len(record)} cells but the header (row 1) names "
                             f"{len(frame.columns)} columns; surplus values {record[len(frame.columns):]}")
    return frame


def _separator(text: str, frame: pd.DataFrame) -> str:
    """The separator pandas chose: the one splitting the header into as many names as columns."""
    first = text.splitlines()[0]
    counts = {sep: len(next(csv.reader([first], delimiter=sep))) for sep in (",", ";", "\t", "|")}
    return next((sep for sep, n in counts.items() if n == len(frame.columns)), ",")


@dataclass(frozen=True)
class ClinicalData:
    """The checked clinical table: survival data, variables and their values."""

    patients: pd.DataFrame  # index patient_id: time (months), event (0/1), centre, row
    variables: tuple[VariableSpec, ...]  # levels filled in for categorical / ordinal
    values: pd.DataFrame  # index patient_id, one text column per variable (None = missing)


def check_clinical(df: pd.DataFrame, mapping: ColumnMapping, file: str) -> tuple[ClinicalData, list[Problem]]:
    """Apply ``mapping`` to a table from :func:`read_table`; list every problem.

    Errors: a mapped column is missing; a missing or duplicate patient id; a missing,
    non-numeric, negative or impossibly long time; a missing or unknown event code (or no coding).
    Warnings: missing values (one line per column), missing centre, text in a continuous
    column, values outside the given levels, predictors without variation.
    """
    problems: list[Problem] = []

    def add(severity: str, check: str, message: str, action: str, **where) -> None:
        problems.append(Problem(severity, check, message, action, file=file, **where))

    required = [("id", mapping.id_col), ("time", mapping.time_col), ("event", mapping.event_col)]
    if mapping.centre_col:
        required.append(("centre", mapping.centre_col))
    for role, column in required + [(v.name, v.name) for v in mapping.variables]:  # a variable may be named 'centre'
        if column not in df.columns:
            add(ERROR, "missing_column", f"{role} column '{column}' is not in the table (columns: {listed(df.columns)})",
                "import refused", column=column)
    if problems:
        return ClinicalData(pd.DataFrame(), (), pd.DataFrame()), problems

    ids = df[mapping.id_col].map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v))
    for row in ids.index[ids.isna()]:
        add(ERROR, "missing_id", "patient id is missing", "import refused", row=int(row), column=mapping.id_col)
    for pid, rows in ids.dropna().groupby(ids.dropna()).groups.items():
        if len(rows) > 1:
            for row in rows:
                add(ERROR, "duplicate_id", f"patient id occurs {len(rows)} times (rows {listed(rows)})",
                    "import refused", row=int(row), column=mapping.id_col, value=pid, patient_id=pid)

    time_raw = df[mapping.time_col]
    time = pd.to_numeric(time_raw, errors="coerce")
    for row in df.index:
        where = {"row": int(row), "column": mapping.time_col, "patient_id": ids[row] or ""}
        if time_raw[row] is None or (isinstance(time_raw[row], float) and math.isnan(time_raw[row])):
            add(ERROR, "missing_time", "time is missing", "import refused", **where)
        elif math.isnan(time[row]) or math.isinf(time[row]):
            comma = re.fullmatch(r"[+-]?\d+,\d+", str(time_raw[row]))  # a decimal comma: say so
            add(ERROR, "non_numeric_time", "time is not a number" + (" (decimal comma; write "
                f"{str(time_raw[row]).replace(',', '.')})" if comma else ""), "import refused",
                value=str(time_raw[row]), **where)
        elif time[row] < 0:
            add(ERROR, "negative_time", "time is negative", "import refused", value=str(time_raw[row]), **where)
        elif not time[row] * TIME_UNITS_IN_MONTHS[mapping.time_unit] <= MAX_TIME_MONTHS:
            months = time[row] * TIME_UNITS_IN_MONTHS[mapping.time_unit]
            add(ERROR, "impossible_time", f"time of {months:.4g} months is above the possible {MAX_TIME_MONTHS:g} "
                f"({MAX_TIME_MONTHS / 12:g} years)", f"import refused; check the value and the time unit "
                f"({mapping.time_unit})", value=str(time_raw[row]), **where)

    coding = mapping.event_coding
    event = coding.encode(df[mapping.event_col]) if coding else pd.Series(pd.NA, index=df.index, dtype="Int64")
    if coding is None:
        seen = listed(sorted({str(v) for v in df[mapping.event_col].dropna()}))
        add(ERROR, "event_coding", f"cannot tell which codes mean event and censored (values: {seen})",
            "import refused; give the coding (--event-values EVENT,CENSOR)", column=mapping.event_col)
    else:
        for row in df.index[event.isna()]:
            raw = df.at[row, mapping.event_col]
            missing = raw is None or (isinstance(raw, float) and math.isnan(raw))
            add(ERROR, "missing_event" if missing else "unknown_event",
                "event is missing" if missing else f"unknown event code (coding: {coding.describe()})",
                "import refused", row=int(row), column=mapping.event_col, value="" if missing else str(raw),
                patient_id=ids[row] or "")

    centre = df[mapping.centre_col].map(canonical) if mapping.centre_col else pd.Series(None, index=df.index, dtype=object)
    if mapping.centre_col and centre.isna().any():
        rows = centre.index[centre.isna()]
        add(WARNING, "missing_values", f"{len(rows)} of {len(df)} centre values missing (rows {listed(rows)})",
            "centre left empty for these patients", column=mapping.centre_col)

    variables, columns = [], {}
    for spec in mapping.variables:
        values, spec = _check_variable(df[spec.name].map(canonical), spec, add)
        variables.append(spec)
        columns[spec.name] = values

    keep = ids.notna() & ~ids.duplicated(keep=False) & time.notna() & event.notna()
    patients = pd.DataFrame(
        {
            "time": (time * TIME_UNITS_IN_MONTHS[mapping.time_unit])[keep].to_numpy(),
            "event": event[keep].astype(int).to_numpy(),
            "centre": centre[keep].to_numpy(),
            "row": df.index[keep].to_numpy(),
        },
        index=pd.Index(ids[keep].to_numpy(), name="patient_id"),
    )
    values = pd.DataFrame({k: v[keep].to_numpy() for k, v in columns.items()}, index=patients.index, dtype=object)
    return ClinicalData(patients, tuple(variables), values), problems


def _check_variable(values: pd.Series, spec: VariableSpec, add) -> tuple[pd.Series, VariableSpec]:
    """Missing values, text in numbers, values outside the levels; the spec with its levels."""
    n = len(values)
    missing = values.index[values.isna()]
    if len(missing):
        add(WARNING, "missing_values", f"{len(missing)} of {n} values missing (rows {listed(missing)})",
            "kept as missing", column=spec.name)
    present = values.dropna()
    if spec.kind == "continuous":
        bad = present[pd.to_numeric(present, errors="coerce").isna()]
        if len(bad):
            shown = listed(f"row {r}: '{v}'" for r, v in bad.items())
            add(WARNING, "non_numeric", f"{len(bad)} value(s) of a continuous variable are not numbers ({shown})",
                "set missing", column=spec.name, value=str(bad.iloc[0]), row=int(bad.index[0]))
            values = values.where(~values.index.isin(bad.index), None)
    else:
        if spec.levels:
            outside = present[~present.isin(spec.levels)]
            if len(outside):
                shown = listed(sorted(set(outside)))
                add(WARNING, "unknown_level", f"{len(outside)} value(s) not among the levels {list(spec.levels)}: {shown}",
                    "set missing", column=spec.name, value=str(outside.iloc[0]), row=int(outside.index[0]))
                values = values.where(~values.index.isin(outside.index), None)
        else:
            spec = replace(spec, levels=natural_levels(present))
    if spec.predictor and values.dropna().nunique() < 2:
        add(WARNING, "constant", "predictor has fewer than 2 distinct values", "kept; it cannot enter a model",
            column=spec.name)
    return values, spec
