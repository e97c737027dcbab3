"""CSV leaving hccdash (hccdash.spreadsheet): cells that a spreadsheet would run as a formula get an
apostrophe, numbers stay numbers, the index is written too and neutralised like any cell."""

from __future__ import annotations

import io

import pandas as pd

from hccdash.cohort.validate import Problem, Report
from hccdash.extraction.features_io import to_csv_bytes, write_table
from hccdash.spreadsheet import csv_text, is_formula_like

EVIL = '=HYPERLINK("http://evil.example","click")'


def _read_back(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def _matrix() -> pd.DataFrame:
    index = pd.Index(["P1", "=cmd|' /C calc'!A0"], name="patient_id")
    return pd.DataFrame({"portal.original_firstorder_Mean": [1.5, -2.0]}, index=index)


def test_index_is_a_neutralised_column():
    back = pd.read_csv(io.StringIO(csv_text(_matrix(), index=True)))
    assert back.columns.tolist() == ["patient_id", "portal.original_firstorder_Mean"]
    assert back["patient_id"].tolist() == ["P1", "'=cmd|' /C calc'!A0"]
    assert back["portal.original_firstorder_Mean"].tolist() == [1.5, -2.0]


def test_feature_exports_go_through_csv_text(tmp_path):
    expected = csv_text(_matrix(), index=True)
    assert to_csv_bytes(_matrix()).decode() == expected
    written = write_table(_matrix(), tmp_path / "features.csv", index=True)
    assert written.read_bytes().decode() == expected


def test_formula_like_cells_get_an_apostrophe_numbers_stay_numbers():
    frame = pd.DataFrame({"text": [EVIL, "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx", "-1.5", "+3", "plain", None],
                          "number": [-1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, float("nan")],
                          "@col": ["a"] * 10})
    back = _read_back(csv_text(frame))
    assert back["text"].tolist() == [f"'{EVIL}", "'+cmd", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx", "-1.5", "+3", "plain", ""]
    assert back["number"].tolist()[:2] == ["-1.0", "2.0"] and back["number"].iloc[-1] == ""
    assert list(back.columns) == ["text", "number", "'@col"]
    assert not is_formula_like(-1.0) and not is_formula_like("1-2") and is_formula_like("=1")


def test_validation_report_csv_is_neutralised():
    report = Report((Problem("warning", "formula_text", "value starts with =", "stored as text", file="c.csv", row=3,
                             column="stage", value=EVIL, patient_id="=1+1"),))
    back = _read_back(csv_text(report.to_frame()))
    assert back.loc[0, "value"] == f"'{EVIL}" and back.loc[0, "patient_id"] == "'=1+1" and back.loc[0, "row"] == "3"
