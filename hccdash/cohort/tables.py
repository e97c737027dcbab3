"""Read a table (CSV or XLSX, path or uploaded bytes): the one reader of the tables users give
(clinical tables, manifests, ``fit``'s and ``predict``'s inputs).

Tables are read as text, exactly as the user typed them; typing happens through the
mapping (:mod:`hccdash.cohort.mapping`), checked by :mod:`hccdash.cohort.table_checks`.
The frame returned by :func:`read_table` is indexed by the spreadsheet row number
(header = row 1, first data row = row 2), so every message can point at the row the user sees.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import openpyxl
import pandas as pd

from hccdash.cohort.sheet_width import first_row_widths
from hccdash.cohort.validate import listed
from hccdash.regular_files import regular_file

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
MISSING_TEXT = ("", "na", "n/a", "nan", "null", "missing", ".", "-", "?")
DECIMAL_COMMA = re.compile(r"[+-]?(\d+(,\d*)?|,\d+)")  # 1,5 / -0,25 / 12 (a column needs one comma)
EDGES = re.compile(r"^[\s\u200b-\u200f\u2060\ufeff]+|[\s\u200b-\u200f\u2060\ufeff]+$")  # blanks, BOM, zero-width
ZERO_PADDED = re.compile(r"0{2,}")  # an XLSX number format showing leading zeros
_C_LONG_MAX = 2**31 - 1  # the largest csv.field_size_limit every platform accepts (a C long)

Source = str | Path | bytes
OLE2 = bytes.fromhex("d0cf11e0a1b11ae1")  # the container of .xls and of encrypted .xlsx files


def _is_excel(data: bytes, filename: str) -> bool:
    """True for an XLSX workbook (by suffix or zip signature); an .xls or encrypted workbook raises."""
    if data[:8] == OLE2:
        raise ValueError(f"{filename}: an old Excel .xls or a password-protected workbook; save it as .xlsx "
                         "(without password) or CSV")
    return filename.lower().endswith(EXCEL_SUFFIXES) or data[:4] == b"PK\x03\x04"


def _load(source: Source, filename: str | None) -> tuple[bytes, str]:
    if isinstance(source, (str, Path)):
        path = Path(source).expanduser()
        if path.is_dir():
            raise ValueError(f"{path} is a folder; a CSV or XLSX file is needed")
        return regular_file(path).read_bytes(), filename or path.name  # never a FIFO or a device
    return bytes(source), filename or "uploaded table"


def sheet_names(source: Source, filename: str | None = None, max_columns: int | None = None) -> list[str]:
    """Sheets of an XLSX workbook; ``[]`` for a CSV. A sheet wider than ``max_columns`` is refused
    as by :func:`read_table` (before openpyxl reads it to its end)."""
    data, name = _load(source, filename)
    if not _is_excel(data, name):
        return []
    _check_sheet_widths(data, name, max_columns)
    book = _open_workbook(data, name)
    names = list(book.sheetnames)
    book.close()
    return names


def _open_workbook(data: bytes, name: str, data_only: bool = False):
    """The workbook, read-only; any parser failure on a damaged file becomes a ValueError naming it."""
    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds (zip, XML, attribute) on damaged files
        raise ValueError(f"{name}: not a readable XLSX workbook: {exc or type(exc).__name__}") from exc


def read_table(source: Source, filename: str | None = None, sheet: str | int | None = None,
               max_columns: int | None = None) -> pd.DataFrame:
    """The table as text cells (missing = NaN), indexed by spreadsheet row number.

    ``max_columns`` (clinical tables and manifests: ``CohortSettings.max_columns``; None: no
    limit): a table with more columns is refused naming the file and the count, from its header
    alone (the CSV's first line, the sheet's first row) before the rest is parsed, so a hostile
    100,000-column file costs a second, not minutes and gigabytes.

    CSV: the separator (``,`` ``;`` tab) is sniffed; UTF-8 (with or without BOM), UTF-16
    (with BOM), else Latin-1; a row with more cells than the header is refused. In a ``;``
    or tab separated file (European spreadsheet exports) a column whose every value is a
    number with a decimal comma (``1,5``) or a whole number is read with decimal points.
    XLSX: ``sheet`` (default the first); cached formula results are read, error cells keep
    their text (``#DIV/0!``). Column names are stripped and must differ in more than case
    and blanks. Cells are stripped; blank cells and the usual missing spellings (NA, N/A,
    null, ``-``, ...) become NaN, except ``-`` in a column that also holds ``+``; fully empty
    rows and unnamed empty columns are dropped (row numbers of the others stay as in the file).
    """
    data, name = _load(source, filename)
    where, others = f"{name}: the table", ""  # others: the other sheets, for the 'empty' message
    if _is_excel(data, name):
        frame, chosen, sheets = _read_xlsx(data, name, sheet, max_columns)
        where = f"{name}: sheet '{chosen}'"
        if len(sheets) > 1:
            others = f"; other sheets: {listed(s for s in sheets if s != chosen)} (choose one)"
        if frame is None:
            raise ValueError(f"{where} is empty{others}")
    else:
        if sheet is not None:
            raise ValueError(f"{name}: a sheet ({sheet!r}) was chosen but the file is not an XLSX workbook")
        frame = _read_csv(data, name, max_columns)
    frame.columns = [EDGES.sub("", str(c)) for c in frame.columns]
    duplicated = frame.columns[frame.columns.duplicated()].tolist()
    if duplicated:
        raise ValueError(f"{name}: column name(s) {duplicated} occur more than once in the header (row 1)")
    folded: dict[str, list[str]] = {}
    for column in frame.columns:
        folded.setdefault(fold(column), []).append(column)
    clashes = [names for names in folded.values() if len(names) > 1]
    if clashes:
        shown = "; ".join(" and ".join(f"'{n}'" for n in names) for names in clashes)
        raise ValueError(f"{name}: column names {shown} differ only in upper / lower case or spaces (header, row 1); "
                         "rename one of them")
    frame = frame.apply(lambda col: col.str.replace(EDGES, "", regex=True) if col.dtype == object else col)
    frame = frame.mask(frame.apply(_missing))
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="row")
    frame = frame.dropna(how="all")
    empty_unnamed = [c for c in frame.columns if c.startswith("Unnamed:") and frame[c].isna().all()]
    frame = frame.drop(columns=empty_unnamed)
    if frame.empty:
        raise ValueError(f"{where} has no data rows (only a header in row 1){others}")
    return frame


def _missing(column: pd.Series) -> pd.Series:
    """Cells meaning 'missing'; in a column of signs (HBsAg + / -) a '-' is a value, not a blank."""
    if column.dtype != object:
        return column.isna()
    missing = column.str.lower().isin(MISSING_TEXT)
    return missing & (column != "-") if (column == "+").any() else missing


def fold(text: str) -> str:
    """The form in which two names or ids count as the same: case, runs of blanks and invisible
    characters (zero-width space, BOM, ...) ignored."""
    visible = "".join(c for c in str(text) if unicodedata.category(c) != "Cf")
    return " ".join(visible.split()).casefold()


def _cell_text(cell) -> object:
    """An XLSX cell as read_table keeps it: text, integral numbers without '.0', None for empty.
    A whole number shown with leading zeros (number format ``000``: 7 shown as 007) keeps them;
    error cells (#DIV/0!, #N/A, ...) keep their text so messages can quote them."""
    value = cell.value
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer():
        digits = str(int(value))
        zeros = getattr(cell, "number_format", "") or ""
        return digits.zfill(len(zeros)) if ZERO_PADDED.fullmatch(zeros) and value >= 0 else digits
    return str(value)


def _check_width(name: str, where: str, count: int, max_columns: int | None) -> None:
    """ValueError naming the file and the column count when it is above ``max_columns``."""
    if max_columns is not None and count > max_columns:
        raise ValueError(f"{name}: {where} has {count:,} columns; at most {max_columns:,} are read (setting "
                         "cohort.max_columns). Keep the columns the cohort needs (id, time, event, predictors) "
                         "and import again")


def _check_sheet_widths(data: bytes, name: str, max_columns: int | None) -> None:
    """Every sheet's first row within ``max_columns``, checked before openpyxl opens the workbook
    (it reads a sheet that does not declare its size to its end)."""
    if max_columns is not None:
        for sheet_name, width in first_row_widths(data).items():
            _check_width(name, f"sheet '{sheet_name}'", width, max_columns)


def _read_xlsx(data: bytes, name: str, sheet: str | int | None,
               max_columns: int | None = None) -> tuple[pd.DataFrame | None, str, list[str]]:
    """(frame or None when the sheet is empty, sheet name, all sheet names); header = row 1 as written.
    A workbook with a sheet whose first row is wider than ``max_columns`` is refused before openpyxl
    opens it (:func:`first_row_widths`), and so is a read sheet with any wider row."""
    _check_sheet_widths(data, name, max_columns)
    book = _open_workbook(data, name, data_only=True)
    try:
        sheets = list(book.sheetnames)
        if sheet is None:
            chosen = sheets[0]
        elif isinstance(sheet, int) and not isinstance(sheet, bool) and 0 <= sheet < len(sheets):
            chosen = sheets[sheet]
        elif str(sheet) in sheets:
            chosen = str(sheet)
        else:
            raise ValueError(f"{name}: no sheet {sheet!r}; sheets: {listed(sheets)}")
        worksheet = book[chosen]
        if not hasattr(worksheet, "iter_rows"):
            raise ValueError(f"{name}: sheet '{chosen}' is a chart, not a table; sheets: {listed(sheets)}")
        worksheet.reset_dimensions()  # some writers store a wrong sheet size
        rows = [[_cell_text(c) for c in row] for row in worksheet.iter_rows()]
    finally:
        book.close()
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    width = max((max((i + 1 for i, v in enumerate(r) if v is not None), default=0) for r in rows), default=0)
    _check_width(name, f"sheet '{chosen}'", width, max_columns)
    if not rows or not width:
        return None, chosen, sheets
    rows = [(r + [None] * width)[:width] for r in rows]
    header = [f"Unnamed: {i}" if h is None else h for i, h in enumerate(rows[0])]  # a repeated name stays repeated
    return pd.DataFrame(rows[1:], columns=header, dtype=object), chosen, sheets


def _decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252 (Excel's 'CSV' on Western
    Windows: Latin-1 plus curly quotes, euro sign, ...), else Latin-1; a binary file is refused."""
    bom16 = data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    encodings = ("utf-16",) if bom16 else ("utf-8-sig", "cp1252", "latin-1")
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


@contextmanager
def _field_limit(size: int) -> Iterator[None]:
    """``csv`` accepts cells up to ``size`` characters (no cell can be longer than the file)
    inside the block; the process-wide limit is restored after it."""
    previous = csv.field_size_limit(max(csv.field_size_limit(), size))
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _read_csv(data: bytes, name: str, max_columns: int | None = None) -> pd.DataFrame:
    """Every record as text cells (``csv`` module: quoted separators and line breaks kept); the
    separator is the one of ``,`` ``;`` tab ``|`` splitting the header into the most names. A header
    of more than ``max_columns`` names is refused before the records are parsed."""
    text = _decode(data, name).lstrip("\r\n")
    if not text.strip():
        raise ValueError(f"{name}: the file is empty")
    with _field_limit(min(len(text) + 1, _C_LONG_MAX)):  # wide headers (thousands of feature names) read too
        separator, header_width = _separator(text, name)
        _check_width(name, "the header (row 1)", header_width, max_columns)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
        try:
            records = list(reader)
        except csv.Error as exc:
            raise ValueError(f"{name}, line {reader.line_num}: not a readable CSV table: {exc}") from exc
    header = records[0]
    width = len(header)
    for row, record in enumerate(records[1:], start=2):
        if any(cell.strip() for cell in record[width:]):
            title = "; is row 1 a title above the header? Column names must be in row 1" if row == 2 else ""
            raise ValueError(f"{name}, row {row}: {len(record)} cells but the header (row 1) names {width} "
                             f"columns; surplus values {record[width:]}{title}")
    columns = [h if h.strip() else f"Unnamed: {i}" for i, h in enumerate(header)]
    rows = [(record + [""] * width)[:width] for record in records[1:]]
    frame = pd.DataFrame(rows, columns=columns, dtype=object) if rows else pd.DataFrame(columns=columns, dtype=object)
    return _decimal_commas(frame) if separator != "," else frame


def _separator(text: str, name: str) -> tuple[str, int]:
    """The separator splitting the header line into the most names (``,`` when none splits it),
    and the number of names it gives."""
    first = text[:text.find("\n")] if "\n" in text else text
    first = first.splitlines()[0]
    try:
        counts = {sep: len(next(csv.reader([first], delimiter=sep))) for sep in (",", ";", "\t", "|")}
    except csv.Error as exc:
        raise ValueError(f"{name}, line 1: not a readable CSV header: {exc}") from exc
    separator = max(counts, key=lambda sep: counts[sep])  # ties: the first, ','
    return separator, counts[separator]


def _decimal_commas(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns of numbers written with a decimal comma (and whole numbers), read with a decimal point."""
    for i in range(frame.shape[1]):  # by position: a repeated name is reported later
        cells = frame.iloc[:, i].str.strip()
        present = cells[~cells.str.lower().isin(MISSING_TEXT)]
        if len(present) and present.str.contains(",", regex=False).any() and present.str.fullmatch(DECIMAL_COMMA).all():
            frame.iloc[:, i] = cells.str.replace(",", ".", regex=False)
    return frame
