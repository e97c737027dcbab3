"""How wide the first row of each sheet of an XLSX workbook is, without opening it with openpyxl.

``openpyxl.load_workbook(read_only=True)`` parses every sheet to its end when the sheet does
not declare its size (``<dimension>``, absent in hand-made or hostile files): a 100,000-column
sheet of 20 rows took 90 s before the first cell could be looked at. Here each sheet's XML is
streamed (``xml.etree.ElementTree.iterparse``) only up to the end of its first ``<row>``, so a
table too wide to import is refused in about a second (:func:`hccdash.cohort.tables.read_table`).
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import xml.etree.ElementTree as ET

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_COLUMN = re.compile(r"[A-Z]+")
_VALUE_TAGS = {f"{_MAIN}v", f"{_MAIN}is", f"{_MAIN}f"}


def first_row_widths(data: bytes) -> dict[str, int]:
    """Sheet name -> position of the last cell holding a value in the sheet's first row (0 for an
    empty sheet). Sheets that cannot be located, and every sheet of a file that is no zip, are left
    out: openpyxl names those problems."""
    try:
        return _widths(data)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError, ValueError):
        return {}


def _widths(data: bytes) -> dict[str, int]:
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        try:
            workbook = ET.fromstring(book.read("xl/workbook.xml"))
            rels = ET.fromstring(book.read("xl/_rels/workbook.xml.rels"))
        except (KeyError, ET.ParseError):
            return {}
        targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_RELS}Relationship")}
        widths = {}
        for sheet in workbook.iter(f"{_MAIN}sheet"):
            target = targets.get(sheet.get(_R_ID), "")
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            if part in book.namelist():
                with book.open(part) as stream:
                    widths[sheet.get("name", "")] = _first_row_width(stream)
        return widths


def _first_row_width(stream) -> int:
    """Width of the first ``<row>`` of a worksheet's XML stream; stops reading at its end."""
    column = width = 0
    try:
        for _, element in ET.iterparse(stream, events=("end",)):
            if element.tag == f"{_MAIN}c":
                reference = _COLUMN.match(element.get("r", ""))
                column = _column_number(reference.group()) if reference else column + 1
                if any(child.tag in _VALUE_TAGS for child in element):
                    width = column
                element.clear()
            elif element.tag == f"{_MAIN}row":
                return width
    except ET.ParseError:
        return width  # damaged XML: openpyxl's own reader reports it
    return width


def _column_number(letters: str) -> int:
    """``A`` -> 1, ``Z`` -> 26, ``AA`` -> 27 (any number of letters)."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number
