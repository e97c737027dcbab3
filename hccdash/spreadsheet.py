"""Tables leaving hccdash: CSV downloads safe to open in a spreadsheet, screen copies without "None".

A text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return is run as a
formula by Excel / LibreOffice (CSV injection, e.g. ``=HYPERLINK(...)``); such cells get a
leading apostrophe, which the spreadsheet shows as text. Numbers stay numbers: numeric
columns are left alone, and so is text that is a plain number (``-1.5``, ``+3``).
"""

from __future__ import annotations

import re

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ACTIVE = re.compile(r"[A-Za-z_]\w*\s*\(|[|!]")  # a function call, a DDE pipe or a sheet reference


def is_formula_like(value: object) -> bool:
    """True for text a spreadsheet would run as a formula (see module docs)."""
    if not isinstance(value, str) or not value.startswith(FORMULA_START):
        return False
    try:
        float(value)
    except ValueError:
        return True
    return False


def looks_like_formula(value: object) -> bool:
    """Formula-like text that is more than a sign (``+``, ``-ve``): it starts with ``=`` or ``@``,
    or calls a function or another program (``+HYPERLINK(``, ``-2+3+cmd|' /C calc'!A0``).
    Worth a warning at import; :func:`neutralise` still treats every formula-like cell."""
    return is_formula_like(value) and (value[0] in "=@" or ACTIVE.search(value) is not None)


def neutralise(value: object) -> object:
    """``value`` with a leading apostrophe when it is formula-like, else unchanged."""
    return f"'{value}" if is_formula_like(value) else value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every formula-like text cell and column name neutralised; numeric columns untouched."""
    safe = frame.copy()
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]) and not pd.api.types.is_bool_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise)
    safe.columns = [neutralise(c) for c in safe.columns]
    return safe


def csv_text(frame: pd.DataFrame, index: bool = False) -> str:
    """``frame`` as CSV text for a download or file: formula-like cells (index included)
    neutralised, missing cells empty, CRLF line ends (RFC 4180; a cell holding a line break
    is quoted)."""
    if index:
        frame = frame.reset_index()
    return safe_frame(frame).to_csv(index=False, na_rep="", lineterminator="\r\n")


def blank_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy for the screen with missing cells as empty text (``st.dataframe`` prints them as "None");
    columns without missing cells keep their type."""
    shown = frame.copy()
    for column in shown.columns:
        if shown[column].isna().any():
            shown[column] = shown[column].astype(object).map(lambda v: "" if pd.isna(v) else str(v))
    return shown
