"""Check a clinical table from :func:`hccdash.cohort.tables.read_table` against a column
mapping: every problem named by row, column, value and patient (:class:`~hccdash.cohort.validate.Problem`),
and the checked survival data and variables (:class:`ClinicalData`)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from hccdash.cohort.mapping import ColumnMapping, VariableSpec, after_baseline, canonical, natural_levels
from hccdash.cohort.tables import fold
from hccdash.cohort.time_units import check_time_unit
from hccdash.cohort.validate import ERROR, WARNING, Problem, listed
from hccdash.settings import TIME_UNITS_IN_MONTHS, CohortSettings
from hccdash.spreadsheet import looks_like_formula

EXCEL_ERRORS = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!")
EXCEL_SERIALS = (18264, 73051)  # 1950-01-01 .. 2100-01-01 as Excel day numbers


@dataclass(frozen=True)
class ClinicalData:
    """The checked clinical table: survival data, variables and their values."""

    patients: pd.DataFrame  # index patient_id: time (months), event (0/1), centre, row
    variables: tuple[VariableSpec, ...]  # levels filled in for categorical / ordinal
    values: pd.DataFrame  # index patient_id, one text column per variable (None = missing)


def _each(values: pd.Series, function) -> pd.Series:
    """``values.map(function)`` computed once per distinct value (tables may have 100 000s of rows)."""
    distinct = values.dropna().unique()
    return values.map(dict(zip(distinct, map(function, distinct))))


def _time_hint(value: float, months: float) -> str:
    """Why a time may be impossibly long: an Excel date serial, or the wrong unit."""
    if EXCEL_SERIALS[0] <= value <= EXCEL_SERIALS[1]:
        return (f"; {value:g} looks like a date stored as an Excel day number "
                f"({(pd.Timestamp('1899-12-30') + pd.Timedelta(days=value)).date()}): give the follow-up duration")
    return ""


def check_clinical(df: pd.DataFrame, mapping: ColumnMapping, file: str,
                   settings: CohortSettings | None = None) -> tuple[ClinicalData, list[Problem]]:
    """Apply ``mapping`` to a table from :func:`read_table`; list every problem.

    Errors: a mapped column is missing; a missing, duplicate (also when differing only in
    case or blanks) or spreadsheet-error patient id; a missing, non-numeric, negative or
    impossibly long time (above ``settings.max_time_months``, default the settings'); a
    missing or unknown event code (or no coding).
    Warnings: a time of 0, a median or longest time suggesting the wrong unit (with the unit that
    fits), missing values (one line per column), missing centre, text in a continuous column,
    spreadsheet error cells, values outside the given levels, predictors without variation or
    measured after baseline (by name), text a spreadsheet would run as a formula.
    """
    settings = settings or CohortSettings()
    max_months = settings.max_time_months
    problems: list[Problem] = []

    def add(severity: str, check: str, message: str, action: str, **where) -> None:
        problems.append(Problem(severity, check, message, action, file=file, **where))

    required = [("id", mapping.id_col), ("time", mapping.time_col), ("event", mapping.event_col)]
    if mapping.centre_col:
        required.append(("centre", mapping.centre_col))
    unnamed = [c for c in df.columns if str(c).startswith("Unnamed:")]
    hint = (f"; row 1 has {len(unnamed)} empty header cell(s): a merged or two-row header? Every column needs its "
            "name in row 1" if unnamed else "")
    for role, column in required + [(v.name, v.name) for v in mapping.variables]:  # a variable may be named 'centre'
        if column not in df.columns:
            add(ERROR, "missing_column", f"{role} column '{column}' is not in the table (columns: {listed(df.columns)}){hint}",
                "import refused", column=column)
    if problems:
        return ClinicalData(pd.DataFrame(), (), pd.DataFrame()), problems

    ids = df[mapping.id_col].map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v))
    for row in ids.index[ids.isna()]:
        add(ERROR, "missing_id", "patient id is missing", "import refused", row=int(row), column=mapping.id_col)
    for row in ids.index[ids.isin(EXCEL_ERRORS)]:
        add(ERROR, "spreadsheet_error", f"patient id is the spreadsheet error {ids[row]}", "import refused",
            row=int(row), column=mapping.id_col, value=ids[row])
    folded = _each(ids, fold)
    repeated = folded[folded.notna() & folded.duplicated(keep=False)]
    for _, rows in repeated.groupby(repeated).groups.items():
        spellings = sorted(set(ids[rows]))
        how = (f"patient id occurs {len(rows)} times" if len(spellings) == 1 else
               f"patient ids {', '.join(repr(s) for s in spellings)} differ only in upper / lower case or blanks")
        for row in rows:
            add(ERROR, "duplicate_id", f"{how} (rows {listed(rows)})", "import refused", row=int(row),
                column=mapping.id_col, value=ids[row], patient_id=ids[row])

    time_raw = df[mapping.time_col]
    time = pd.to_numeric(time_raw, errors="coerce")
    months = time * TIME_UNITS_IN_MONTHS[mapping.time_unit]
    with np.errstate(over="ignore", invalid="ignore"):
        flagged = time_raw.isna() | ~np.isfinite(time) | (time <= 0) | ~(months <= max_months)
    for row in df.index[flagged.to_numpy()]:
        raw = time_raw[row]
        where = {"row": int(row), "column": mapping.time_col, "patient_id": ids[row] or ""}
        if pd.isna(raw):
            add(ERROR, "missing_time", "time is missing", "import refused", **where)
        elif not math.isfinite(time[row]):
            if re.fullmatch(r"[+-]?\d+,\d{3}", str(raw)):  # 1,234: a decimal comma or a thousands separator
                hint = f" (write {str(raw).replace(',', '.')} or {str(raw).replace(',', '')})"
            elif re.fullmatch(r"[+-]?\d+,\d+", str(raw)):
                hint = f" (decimal comma; write {str(raw).replace(',', '.')})"
            elif re.search(r"\d{4}-\d\d-\d\d|\d\d?[./]\d\d?[./]\d{2,4}", str(raw)):
                hint = " (a date; give the follow-up duration)"
            else:
                hint = ""
            add(ERROR, "non_numeric_time", f"time is not a number{hint}", "import refused", value=str(raw), **where)
        elif time[row] < 0:
            add(ERROR, "negative_time", "time is negative", "import refused", value=str(raw), **where)
        elif time[row] == 0:
            add(WARNING, "zero_time", "follow-up time is 0 (event or censoring on the day of treatment)",
                "imported; check the value", value=str(raw), **where)
        else:
            add(ERROR, "impossible_time", f"time of {months[row]:.4g} months is above the possible {max_months:g} "
                f"({max_months / 12:g} years){_time_hint(time[row], months[row])}",
                f"import refused; check the value and the time unit ({mapping.time_unit})", value=str(raw), **where)
    time = time.where(np.isfinite(time) & (time >= 0) & (months <= max_months))
    median = float(months[time.notna()].median()) if time.notna().any() else math.nan
    low, high = settings.median_time_months
    unit_check = check_time_unit(time.dropna(), mapping.time_unit, mapping.time_col, settings)
    proposal = f" (read as {unit_check.proposed.unit}: {unit_check.proposed.describe()})" if (
        unit_check and unit_check.proposed) else ""
    if not math.isnan(median) and not low <= median <= high:
        add(WARNING, "time_unit", f"median follow-up is {median:.3g} months ({median / 12:.3g} years) with the time "
            f"unit '{mapping.time_unit}'; usual: {low:g} to {high:g} months{proposal}", "imported; check the time unit",
            column=mapping.time_col, value=mapping.time_unit)
    elif unit_check is not None and not unit_check.plausible:
        add(WARNING, "time_unit", unit_check.message, "imported; check the time unit", column=mapping.time_col,
            value=mapping.time_unit)

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

    centre = _each(df[mapping.centre_col], canonical) if mapping.centre_col else pd.Series(None, index=df.index, dtype=object)
    if mapping.centre_col and centre.isna().any():
        rows = centre.index[centre.isna()]
        add(WARNING, "missing_values", f"{len(rows)} of {len(df)} centre values missing (rows {listed(rows)})",
            "centre left empty for these patients", column=mapping.centre_col)

    variables, columns = [], {}
    for spec in mapping.variables:
        values, spec = _check_variable(_each(df[spec.name], canonical), spec, add)
        variables.append(spec)
        columns[spec.name] = values
    for column in [mapping.id_col, *([mapping.centre_col] if mapping.centre_col else []), *columns]:
        _check_formulas(df[column], column, add)
    for column in filter(looks_like_formula, df.columns):
        add(WARNING, "formula_text", "column name would run as a formula in a spreadsheet",
            "kept; CSV exports of this app prefix it with an apostrophe", row=1, column=column)

    keep = ids.notna() & ~folded.duplicated(keep=False) & ~ids.isin(EXCEL_ERRORS) & time.notna() & event.notna()
    patients = pd.DataFrame(
        {
            "time": months[keep].to_numpy(),
            "event": event[keep].astype(int).to_numpy(),
            "centre": centre[keep].to_numpy(),
            "row": df.index[keep].to_numpy(),
        },
        index=pd.Index(ids[keep].to_numpy(), name="patient_id"),
    )
    values = pd.DataFrame({k: v[keep].to_numpy() for k, v in columns.items()}, index=patients.index, dtype=object)
    return ClinicalData(patients, tuple(variables), values), problems


def _check_formulas(values: pd.Series, column: str, add) -> None:
    """Warn about text a spreadsheet would run as a formula (``=HYPERLINK(...)``)."""
    formulas = values[_each(values, looks_like_formula).eq(True)]
    if len(formulas):
        shown = listed(f"row {r}: '{v}'" for r, v in formulas.items())
        add(WARNING, "formula_text", f"{len(formulas)} value(s) would run as formulas in a "
            f"spreadsheet ({shown})", "stored as text; CSV exports of this app prefix them with an apostrophe",
            column=column, value=str(formulas.iloc[0]), row=int(formulas.index[0]))


def _check_variable(values: pd.Series, spec: VariableSpec, add) -> tuple[pd.Series, VariableSpec]:
    """Missing values, spreadsheet errors, text in numbers, values outside the levels; the spec with its levels."""
    n = len(values)
    missing = values.index[values.isna()]
    if len(missing):
        add(WARNING, "missing_values", f"{len(missing)} of {n} values missing (rows {listed(missing)})",
            "kept as missing", column=spec.name)
    errors = values[values.isin(EXCEL_ERRORS)]
    if len(errors):
        shown = listed(f"row {r}: '{v}'" for r, v in errors.items())
        add(WARNING, "spreadsheet_error", f"{len(errors)} spreadsheet error cell(s) ({shown})", "set missing",
            column=spec.name, value=str(errors.iloc[0]), row=int(errors.index[0]))
        values = values.where(~values.index.isin(errors.index), None)
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
    if spec.predictor and after_baseline(spec.name):
        add(WARNING, "after_baseline", "predictor looks measured after baseline (follow-up or treatment response): "
            "a model using it would use information not known at baseline (leakage)",
            "kept as predictor; untick it unless it was measured at baseline", column=spec.name)
    if spec.predictor and values.dropna().nunique() < 2:
        add(WARNING, "constant", "predictor has fewer than 2 distinct values", "kept; it cannot enter a model",
            column=spec.name)
    return values, spec
