"""Reading clinical tables and checking them against a mapping: rows as in a spreadsheet."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from hccdash.cohort.events import EventCoding
from hccdash.cohort.mapping import ColumnMapping, VariableSpec
from hccdash.cohort.table_checks import check_clinical
from hccdash.cohort.tables import read_table, sheet_names

HCC = "hcc/HCC-TACE-Seg_clinical_data-V2"
MAPPING = ColumnMapping("id", "time", "days", "status", EventCoding(("yes",), ("no",)), "site",
                        (VariableSpec("age", "continuous"), VariableSpec("grade", "ordinal", levels=("G1", "G2"))))


def test_csv_rows_are_spreadsheet_rows():
    text = "\ufeffid;time;status\nA;1;yes\n\nB;2;no\nC;NA;n/a\n"
    table = read_table(text.encode(), filename="x.csv")
    assert table.index.tolist() == [2, 4, 5]  # header is row 1; the blank row 3 is skipped, not renumbered
    assert table.loc[4, "id"] == "B"
    assert table.loc[5].isna().tolist() == [False, True, True]


def test_xlsx_from_bytes_and_sheet_names(tmp_path):
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        pd.DataFrame({"x": [1]}).to_excel(writer, sheet_name="first", index=False)
        pd.DataFrame({"id": ["P1", "P2"], "t": [1.5, None]}).to_excel(writer, sheet_name="data", index=False)
    data = buffer.getvalue()
    assert sheet_names(data, "book.xlsx") == ["first", "data"]
    table = read_table(data, filename="book.xlsx", sheet="data")
    assert table["id"].tolist() == ["P1", "P2"] and table.loc[2, "t"] == "1.5" and pd.isna(table.loc[3, "t"])


def test_duplicate_header_names_are_refused():
    with pytest.raises(ValueError, match=r"x.csv: column name\(s\) \['a'\] occur more than once"):
        read_table(b"a,b, a\n1,2,3\n", filename="x.csv")


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        read_table(tmp_path / "nope.csv")


def _check(csv: str):
    return check_clinical(read_table(csv.encode(), filename="c.csv"), MAPPING, "c.csv")


def test_clean_table_converts_time_and_codes_event():
    data, problems = _check("id,time,status,site,age,grade\nA,30.4375,yes,X,50,G1\nB,60.875,no,Y,61,G2\n")
    assert problems == []
    assert data.patients.loc["A", "time"] == pytest.approx(1.0, abs=1e-3)  # 30.44 days = 1 month
    assert data.patients["event"].tolist() == [1, 0]
    assert data.values.loc["B", "grade"] == "G2"


def test_every_bad_row_is_named():
    csv = ("id,time,status,site,age,grade\n"
           "A,10,yes,X,50,G1\n"      # row 2
           "A,11,no,X,51,G2\n"       # row 3: duplicate id
           "B,-4,no,X,52,G1\n"       # row 4: negative time
           "C,soon,no,X,53,G1\n"     # row 5: non-numeric time
           "D,12,maybe,X,54,G1\n"    # row 6: unknown event code
           "E,,no,,abc,G3\n")        # row 7: missing time; warnings: centre, text age, unknown level
    _, problems = _check(csv)
    errors = {(p.check, p.row, p.column, p.value) for p in problems if p.severity == "error"}
    assert errors == {
        ("duplicate_id", 2, "id", "A"), ("duplicate_id", 3, "id", "A"),
        ("negative_time", 4, "time", "-4"), ("non_numeric_time", 5, "time", "soon"),
        ("unknown_event", 6, "status", "maybe"), ("missing_time", 7, "time", ""),
    }
    warnings = {(p.check, p.column) for p in problems if p.severity == "warning"}
    assert {("missing_values", "site"), ("non_numeric", "age"), ("unknown_level", "grade")} <= warnings
    text = next(p for p in problems if p.check == "unknown_event").to_text()
    assert "c.csv, row 6, column 'status', value 'maybe', patient 'D'" in text and "import refused" in text


def test_missing_mapped_column_is_an_error():
    _, problems = _check("id,time,status,age,grade\nA,1,yes,50,G1\n")
    assert [(p.check, p.column) for p in problems] == [("missing_column", "site")]


def test_no_event_coding_is_an_error():
    table = read_table(b"id,time,status\nA,1,x\nB,2,y\n", filename="c.csv")
    mapping = ColumnMapping("id", "time", "months", "status", None)
    _, problems = check_clinical(table, mapping, "c.csv")
    assert [p.check for p in problems] == ["event_coding"]
    assert "--event-values" in problems[0].action


def test_hcc_tace_csv_and_xlsx_agree(reference):
    csv = read_table(reference / f"{HCC}_data_table.csv")
    xlsx = read_table(reference / f"{HCC}.xlsx", sheet="data table")
    assert csv.shape == xlsx.shape == (105, 57)
    mapping = ColumnMapping("TCIA_ID", "TTP", "weeks", "Censored_0_progressed_1", EventCoding(("1",), ("0",)))
    a, _ = check_clinical(csv, mapping, "csv")
    b, _ = check_clinical(xlsx, mapping, "xlsx")
    pd.testing.assert_frame_equal(a.patients.drop(columns="row"), b.patients.drop(columns="row"))
    assert a.patients["event"].sum() == 45
