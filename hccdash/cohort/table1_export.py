"""Table 1 as a journal prints it (:func:`table1_publication`), and its Word file (:func:`table1_docx`).

The publication table has one ``Characteristic`` column: each variable by its display label
with its unit and statistic ("Age (years), mean (SD)", "BCLC stage, n (%)"), its levels below it
indented by :data:`INDENT`; one column per group headed with its size ("Overall (n = 124)",
"Training (n = 60)"); ``p-value`` ("<0.001" below 0.001, else 3 significant digits printed in
full: 0.0500, 1.00); ``Test``; ``Missing`` (patients without the value, all groups together).
The CSV download is this table (:func:`hccdash.spreadsheet.csv_text`); the Word file holds the
same cells, a title and a note naming the statistics and tests.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping

import pandas as pd

from hccdash.cohort.split import set_names
from hccdash.cohort.table1 import FOLLOW_UP, GROUPS, OVERALL
from hccdash.display import format_p, with_unit

INDENT = "    "  # before a level, under its variable
CHARACTERISTIC, P_VALUE, TEST, MISSING = "Characteristic", "p-value", "Test", "Missing"
STATISTICS = ("mean (SD)", "median [IQR]", "n (%)")
NOTE = ("Continuous variables: mean (SD) when every group passed the Shapiro-Wilk test (p > 0.05), else "
        "median [IQR]; categorical variables: n (%) of the patients with a value. Follow-up by the reverse "
        "Kaplan-Meier method.")
_NOT_XML = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _group_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in (OVERALL, "all", *GROUPS) if c in frame.columns]


def _heading(code: str, n: str, codes: list[str]) -> str:
    names = {OVERALL: "Overall", "all": "All patients", **set_names(codes)}
    name = names[code]
    return f"{name[0].upper()}{name[1:]} (n = {n})"


FIXED_ROWS = {FOLLOW_UP: "Follow-up (months, reverse Kaplan-Meier)", "Event": "Events"}


def table1_publication(frame: pd.DataFrame, units: Mapping[str, str] | None = None,
                       labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Table 1 of :func:`hccdash.cohort.table1.table1` as a journal prints it (module docs), with
    each variable shown by its label (``labels``, else its column name) and unit (``units``)."""
    units, labels = units or {}, labels or {}
    groups = _group_columns(frame)
    patients = frame.iloc[0]
    headings = {g: _heading(g, patients[g], groups) for g in groups}
    missing_column = f"missing_{groups[0]}"
    rows: list[dict] = []
    # a variable's rows start with its summary row (the only ones with a missing count): follow-up,
    # events, then the predictors
    blocks = [block for _, block in frame.iloc[1:].groupby(frame[missing_column].notna().cumsum().iloc[1:])]
    for position, block in enumerate(blocks):
        head = block.iloc[0]
        variable = str(head["variable"])
        fixed = position < len(FIXED_ROWS)
        name = FIXED_ROWS[variable] if fixed else with_unit(labels.get(variable) or variable, units.get(variable, ""))
        missing = head[missing_column]
        common = {P_VALUE: format_p(head["p"], trailing_zeros=True), TEST: head["test"] or "",
                  MISSING: "" if pd.isna(missing) else str(int(missing))}
        if fixed and variable == "Event":  # one line: the events' n (%)
            rows.append({CHARACTERISTIC: f"{name}, n (%)", **{headings[g]: block.iloc[1][g] for g in groups}, **common})
            continue
        rows.append({CHARACTERISTIC: f"{name}, {head['level']}" if head["level"] in STATISTICS else name,
                     **{headings[g]: "" if pd.isna(head[g]) else head[g] for g in groups}, **common})
        for level in block.iloc[1:].itertuples(index=False):
            cells = level._asdict()
            rows.append({CHARACTERISTIC: f"{INDENT}{level.level}", **{headings[g]: cells[g] for g in groups},
                         P_VALUE: "", TEST: "", MISSING: ""})
    return pd.DataFrame(rows, columns=[CHARACTERISTIC, *headings.values(), P_VALUE, TEST, MISSING])


def _xml_text(value: object) -> str:
    """Text Word can hold (control characters other than tab and line breaks dropped)."""
    return _NOT_XML.sub("", "" if value is None or (isinstance(value, float) and value != value) else str(value))


def table1_docx(table: pd.DataFrame, title: str, note: str = NOTE) -> bytes:
    """The publication table (:func:`table1_publication`) as a Word document (python-docx): the
    title, one table (header row in bold, levels indented), then ``note`` and the tests used."""
    from docx import Document
    from docx.shared import Pt

    document = Document()
    document.add_paragraph(_xml_text(title), style="Heading 2")
    grid = document.add_table(rows=1 + len(table), cols=len(table.columns))
    grid.style = "Table Grid"
    for j, column in enumerate(table.columns):
        cell = grid.cell(0, j)
        cell.text = _xml_text(column)
        cell.paragraphs[0].runs[0].font.bold = True
    for i, row in enumerate(table.itertuples(index=False), start=1):
        for j, value in enumerate(row):
            text = _xml_text(value)
            cell = grid.cell(i, j)
            level = j == 0 and text.startswith(INDENT)
            cell.text = text.removeprefix(INDENT) if level else text
            if level:
                cell.paragraphs[0].paragraph_format.left_indent = Pt(12)
    tests = [t for t in dict.fromkeys(table[TEST]) if t]
    document.add_paragraph(_xml_text(f"{note} p-values: {', '.join(tests)}." if tests else note))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
