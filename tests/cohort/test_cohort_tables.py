"""The table reader (read_table, sheet_names) and the clinical-table checks at import: CSV
encodings and separators, European decimal commas, XLSX quirks, repeated or case-only-different
names and ids, ragged rows, odd times, formula text, tables too wide to read. Each is a correct
import or a message naming file / row / column / value; a refused import leaves the store as it was."""

from __future__ import annotations

import datetime

import openpyxl
import pandas as pd
import pytest
from openpyxl.chart import BarChart, Reference
from cohort_data import dump, write_file, write_wide_table

from hccdash.cli import main
from hccdash.cohort.events import parse_event_values
from hccdash.cohort.importer import import_cohort, validate_cohort
from hccdash.cohort.load import load_cohort
from hccdash.cohort.mapping import guess_mapping, remap
from hccdash.cohort import tables
from hccdash.cohort.tables import read_table, sheet_names
from hccdash.settings import CohortSettings, SplitSettings

HEADER = ["id", "time", "event", "centre", "age"]
NO_SPLIT = SplitSettings(method="none")


def _rows(n: int = 8) -> list[list[str]]:
    return [[f"P{i}", f"{i + 1}.5", str(i % 2), "AB"[i % 2], str(50 + i)] for i in range(n)]


def _csv(tmp_path, name: str, rows: list[list[str]], sep: str = ",", header=HEADER) -> str:
    path = tmp_path / name
    path.write_text("\n".join(sep.join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    return str(path)


def _xlsx(tmp_path, name: str, rows: list[list], header=HEADER, first_sheet: list | None = None) -> str:
    book = openpyxl.Workbook()
    sheet = book.active
    if first_sheet is not None:
        sheet.title = "notes"
        sheet.append(first_sheet)
        sheet = book.create_sheet("data")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return str(path)


def _mapping(table):
    return remap(table, guess_mapping(table), id_col="id", time_col="time", time_unit="months", event_col="event",
                 event_coding=parse_event_values("1,0"))


def _checks(table, file: str = "t.csv") -> dict[str, list]:
    report = validate_cohort(table, _mapping(table), split=NO_SPLIT, source=file).report
    found: dict[str, list] = {}
    for p in report.problems:
        found.setdefault(p.check, []).append(p)
    return found


def test_european_semicolon_csv_with_decimal_commas_imports_correctly(tmp_path):
    rows = [[pid, t.replace(".", ","), e, c, f"{a},25"] for pid, t, e, c, a in _rows()]
    rows[0][4] = "NA"
    path = _csv(tmp_path, "eu.csv", rows, sep=";")
    table = read_table(path)
    assert table.loc[2:3, "time"].tolist() == ["1.5", "2.5"] and table.loc[3, "age"] == "51.25"
    assert import_cohort("eu", table, _mapping(table), split=NO_SPLIT).ok
    cohort = load_cohort("eu")
    assert cohort.patients["time"].tolist()[:2] == [1.5, 2.5]
    assert cohort.clinical["age"].iloc[1] == 51.25


def test_semicolon_column_mixing_decimal_commas_and_text_is_left_as_written(tmp_path):
    rows = _rows()
    rows[0][4], rows[1][4] = "1,5", "high"
    table = read_table(_csv(tmp_path, "mixed.csv", rows, sep=";"))
    assert table.loc[2, "age"] == "1,5" and table.loc[4, "age"] == "52"


def test_ids_differing_only_in_case_or_blanks_are_refused_and_store_untouched(tmp_path, store):
    assert import_cohort("kept", read_table(_csv(tmp_path, "ok.csv", _rows())), split=NO_SPLIT).ok
    rows = _rows()
    rows[3][0] = "p0"  # row 5 vs 'P0' in row 2
    rows[4][0] = "P 1"
    rows[5][0] = "p  1"  # row 7 vs 'P 1' in row 6
    path = _csv(tmp_path, "case.csv", rows)
    before = dump(store)
    table = read_table(path)
    result = import_cohort("kept", table, _mapping(table), split=NO_SPLIT, replace=True, source="case.csv")
    assert not result.ok
    found = {(p.check, p.row, p.value) for p in result.report.errors}
    assert found == {("duplicate_id", 2, "P0"), ("duplicate_id", 5, "p0"), ("duplicate_id", 6, "P 1"),
                     ("duplicate_id", 7, "p  1")}
    message = next(p for p in result.report.errors if p.row == 5).to_text()
    assert "case.csv, row 5, column 'id', value 'p0'" in message
    assert "patient ids 'P0', 'p0' differ only in upper / lower case or blanks (rows 2, 5)" in message
    assert dump(store) == before


def test_column_names_differing_only_in_case_or_blanks_are_named(tmp_path):
    with pytest.raises(ValueError, match=r"dup\.csv: column names 'age' and 'AGE' differ only in upper / lower case"):
        read_table(_csv(tmp_path, "dup.csv", [r + ["1"] for r in _rows()], header=[*HEADER, " AGE "]))


def test_zero_time_is_warned_and_a_date_serial_time_gets_a_hint(tmp_path):
    rows = _rows()
    rows[0][1] = "0"
    rows[1][1] = "44197"
    found = _checks(read_table(_csv(tmp_path, "t.csv", rows)))
    zero = found["zero_time"][0]
    assert (zero.severity, zero.row, zero.value) == ("warning", 2, "0")
    serial = found["impossible_time"][0]
    assert serial.row == 3 and "looks like a date stored as an Excel day number (2021-01-01)" in serial.message


def test_formula_text_is_warned_per_column_and_in_the_header(tmp_path):
    rows = _rows()
    rows[0][0] = "=1+1"
    rows[2][3] = '=HYPERLINK("http://x")'
    rows[3][3] = "-5"  # a number, not a formula
    rows[4][3] = "-ve"  # a sign, not worth a warning
    rows[5][3] = "+cmd|' /C calc'!A0"
    found = _checks(read_table(_csv(tmp_path, "t.csv", [r + ["x"] for r in rows], header=[*HEADER, "@note"])))
    where = {(p.column, p.row, p.value) for p in found["formula_text"]}
    assert where == {("id", 2, "=1+1"), ("centre", 4, '=HYPERLINK("http://x")'), ("@note", 1, "")}
    centre = next(p for p in found["formula_text"] if p.column == "centre")
    assert centre.message.startswith("2 value(s) would run as formulas") and "row 7: '+cmd|" in centre.message
    assert all(p.severity == "warning" for p in found["formula_text"])


def test_a_plus_minus_column_keeps_its_minus_signs(tmp_path):
    # '-' usually means missing, but not beside '+' (HBsAg + / -)
    rows = [r + [s] for r, s in zip(_rows(), ["+", "-", "-", "", "+", "-", "+", "-"])]
    table = read_table(_csv(tmp_path, "hbv.csv", rows, header=[*HEADER, "HBsAg"]))
    assert table["HBsAg"].fillna("blank").tolist() == ["+", "-", "-", "blank", "+", "-", "+", "-"]
    assert "formula_text" not in _checks(table)


def test_single_centre_cannot_be_split_by_centre(tmp_path, capsys, store):
    rows = [r[:3] + ["A"] + r[4:] for r in _rows()]
    path = _csv(tmp_path, "one.csv", rows)
    before = dump(store)
    code = main(["import", "--clinical", path, "--name", "one", "--id-col", "id", "--time-col", "time",
                 "--time-unit", "months", "--event-col", "event", "--centre-col", "centre", "--split", "centre",
                 "--validation-centres", "A"])
    assert code == 1
    out = capsys.readouterr().out
    assert "the train set is empty: every centre (A) is a validation centre; a centre split needs at least 2 centres" in out
    assert dump(store) == before


def test_xlsx_error_cells_are_quoted_and_variables_set_missing(tmp_path, store):
    rows = [[pid, float(t), int(e), c, int(a)] for pid, t, e, c, a in _rows()]
    rows[2][1] = "#DIV/0!"  # openpyxl stores it as an error cell, as Excel does
    rows[3][4] = "#N/A"
    path = _xlsx(tmp_path, "err.xlsx", rows)
    before = dump(store)
    table = read_table(path)
    result = import_cohort("err", table, _mapping(table), split=NO_SPLIT, source="err.xlsx")
    assert not result.ok
    error = result.report.errors[0]
    assert (error.check, error.row, error.column, error.value) == ("non_numeric_time", 4, "time", "#DIV/0!")
    warning = next(p for p in result.report.warnings if p.check == "spreadsheet_error")
    assert (warning.row, warning.column, warning.value) == (5, "age", "#N/A")
    assert dump(store) == before


def test_xlsx_ids_dates_and_sheets(tmp_path):
    rows = [[pid, float(t), int(e), c, int(a)] for pid, t, e, c, a in _rows()]
    rows[0][0], rows[1][0] = "007", 7  # text keeps its zeros; a number cell reads as written
    rows[2][1] = datetime.datetime(2021, 5, 3)
    path = _xlsx(tmp_path, "book.xlsx", rows, first_sheet=["This workbook holds the cohort"])
    with pytest.raises(ValueError, match=r"book\.xlsx: sheet 'notes' has no data rows \(only a header in row 1\); "
                                         r"other sheets: data \(choose one\)"):
        read_table(path)
    with pytest.raises(ValueError, match=r"book\.xlsx: no sheet 'Data'; sheets: notes, data"):
        read_table(path, sheet="Data")
    table = read_table(path, sheet="data")
    assert table.loc[2:4, "id"].tolist() == ["007", "7", "P2"] and table.loc[2, "time"] == "1.5"
    found = _checks(table, "book.xlsx")
    date = found["non_numeric_time"][0]
    assert (date.row, date.value) == (4, "2021-05-03 00:00:00") and "(a date; give the follow-up duration)" in date.message


def test_two_row_merged_header_is_explained(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Patient", None, "Outcome", None, None])
    sheet.merge_cells("A1:B1")
    sheet.merge_cells("C1:E1")
    sheet.append(HEADER)
    for row in _rows():
        sheet.append(row)
    book.save(tmp_path / "merged.xlsx")
    table = read_table(tmp_path / "merged.xlsx")
    report = validate_cohort(table, _mapping(table), split=NO_SPLIT, source="merged.xlsx").report
    problem = report.errors[0]
    assert problem.check == "missing_column"
    assert "row 1 has 3 empty header cell(s): a merged or two-row header? Every column needs its name in row 1" \
        in problem.message


def test_windows_1252_csv_keeps_curly_quotes_and_euro_sign(tmp_path):
    # Excel's "CSV" on Western Windows; Latin-1 would turn 0x92 / 0x80 into control characters
    (tmp_path / "win.csv").write_bytes("id;note\nA;l\u2019\u00e9t\u00e9 \u20ac\nB;x\n".encode("cp1252"))
    assert read_table(tmp_path / "win.csv").loc[2, "note"] == "l\u2019\u00e9t\u00e9 \u20ac"
    (tmp_path / "latin.csv").write_bytes(b"id;note\nA;\x81\xe9\n")  # 0x81 is not cp1252: Latin-1
    assert read_table(tmp_path / "latin.csv").loc[2, "note"] == "\x81\u00e9"


def test_xlsx_number_shown_with_leading_zeros_keeps_them(tmp_path):
    path = _xlsx(tmp_path, "zeros.xlsx", [[7, 1.5, 1, "A", 50], [12, 2.0, 0, "B", 51]])
    book = openpyxl.load_workbook(path)
    book.active["A2"].number_format = "000"  # Excel shows 007
    book.save(path)
    assert read_table(path)["id"].tolist() == ["007", "12"]


def test_title_line_above_the_header_is_named_not_split_on_spaces(tmp_path):
    # the old sniffer split "Cohort export 2024" on spaces and took every line as one cell
    path = tmp_path / "title.csv"
    path.write_bytes(b"Cohort export 2024\nid,time,event\nA,1,1\nB,2,0\n")
    with pytest.raises(ValueError, match=r"title\.csv, row 2: 3 cells but the header \(row 1\) names 1 columns; "
                                         r"surplus values \['time', 'event'\]; is row 1 a title above the header\?"):
        read_table(path)


def test_invisible_characters_around_names_and_ids_do_not_split_them(tmp_path):
    # a doubled BOM before the header, a zero-width space after an id, a no-break space before one
    path = tmp_path / "zw.csv"
    path.write_bytes("\ufeff\ufeffid,time,event\u200b\nA\u200b,1,1\n\u00a0B ,2,0\nb\u200b,3,1\n".encode())
    table = read_table(path)
    assert list(table.columns) == ["id", "time", "event"] and table["id"].tolist() == ["A", "B", "b"]
    found = _checks(table)
    assert {(p.row, p.value) for p in found["duplicate_id"]} == {(3, "B"), (4, "b")}


@pytest.mark.parametrize("unit, first, median_text", [
    ("months", 250, "300 months (25 years)"),  # days typed as months
    ("days", 10, "0.493 months (0.0411 years)"),  # months typed as days
])
def test_a_median_follow_up_suggesting_the_wrong_unit_is_warned(tmp_path, unit, first, median_text):
    rows = [[f"P{i}", str(first + (10 if unit == "months" else 1) * i), str(i % 2), "A", "50"] for i in range(11)]
    table = read_table(_csv(tmp_path, "unit.csv", rows))
    report = validate_cohort(table, remap(table, _mapping(table), time_unit=unit), split=NO_SPLIT).report
    (problem,) = [p for p in report.problems if p.check == "time_unit"]
    assert problem.severity == "warning" and problem.value == unit
    assert f"median follow-up is {median_text} with the time unit '{unit}'; usual: 1 to 120 months" in problem.message
    ok = [[pid, "24", e, c, a] for pid, _, e, c, a in rows]
    assert "time_unit" not in _checks(read_table(_csv(tmp_path, "ok.csv", ok)))


def test_old_xls_or_encrypted_workbook_and_chart_sheet_are_named(tmp_path):
    (tmp_path / "old.xls").write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 600)
    with pytest.raises(ValueError, match=r"old\.xls: an old Excel \.xls or a password-protected workbook; save it as \.xlsx"):
        read_table(tmp_path / "old.xls")
    book = openpyxl.Workbook()
    book["Sheet"].append(HEADER)
    book["Sheet"].append(_rows(1)[0])
    chart = BarChart()
    chart.add_data(Reference(book["Sheet"], min_col=5, min_row=1, max_row=2), titles_from_data=True)
    book.create_chartsheet("chart", 0).add_chart(chart)
    book.save(tmp_path / "chart.xlsx")
    with pytest.raises(ValueError, match=r"chart\.xlsx: sheet 'chart' is a chart, not a table; sheets: chart, Sheet"):
        read_table(tmp_path / "chart.xlsx")


def test_a_workbook_openpyxl_chokes_on_is_a_named_error(tmp_path):
    book = openpyxl.Workbook()
    book.create_chartsheet("empty chart", 0)  # openpyxl writes it but raises AttributeError reading it back
    book.save(tmp_path / "odd.xlsx")
    with pytest.raises(ValueError, match=r"odd\.xlsx: not a readable XLSX workbook"):
        read_table(tmp_path / "odd.xlsx")


def test_a_comma_before_three_digits_names_both_readings(tmp_path):
    rows = _rows()
    rows[0][1] = "1,234"  # 1.234 months or 1234 days?
    found = _checks(read_table(_csv(tmp_path, "t.csv", [[f'"{c}"' for c in r] for r in rows])))
    assert found["non_numeric_time"][0].message == "time is not a number (write 1.234 or 1234)"


def test_a_wide_table_with_a_huge_header_reads(tmp_path):
    """A clinical table joined with a feature-matrix download: ~4,000 columns, a header of
    ~185 kB, longer than the csv module's default field limit (131,072) when read as one field."""
    features = [f"portal.original_glcm_feature_number_{i:04d}_with_a_long_name" for i in range(3963)]
    header = HEADER + features
    rows = [row + ["0.5"] * len(features) for row in _rows(3)]
    path = _csv(tmp_path, "wide.csv", rows, header=header)
    assert len(",".join(header)) > 131072
    table = read_table(path)
    assert table.shape == (3, len(header))
    assert table.loc[2, "id"] == "P0" and table.loc[4, features[-1]] == "0.5"


def test_a_csv_error_names_the_file_and_line(tmp_path, monkeypatch):
    """Whatever the csv module refuses becomes a ValueError naming the file and the line
    (here: a cell longer than a field limit the platform cannot raise)."""
    import csv

    from hccdash.cohort import tables

    previous = csv.field_size_limit(1000)
    try:
        monkeypatch.setattr(tables, "_C_LONG_MAX", 1000)
        rows = _rows(4)
        rows[2][4] = "9" * 5000
        path = _csv(tmp_path, "long.csv", rows)
        with pytest.raises(ValueError, match=r"long\.csv, line 4: not a readable CSV table: field larger"):
            read_table(path)
    finally:
        csv.field_size_limit(previous)


def test_reading_a_wide_table_leaves_the_csv_field_limit_as_it_was(tmp_path):
    import csv

    from hccdash.cohort.tables import read_table

    before = csv.field_size_limit()
    wide = tmp_path / "wide.csv"
    wide.write_text("id," + ",".join(f"feature_{i:05d}_{'x' * 40}" for i in range(4000)) + "\nP1," + ",".join(["1"] * 4000) + "\n")
    assert read_table(wide).shape[1] == 4001
    assert csv.field_size_limit() == before


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_100000_column_table_is_refused_from_its_header_and_nothing_is_stored(tmp_path, capsys, store, monkeypatch,
                                                                               suffix):
    """A 100,000-column clinical table took 465 s and 5 GB to import. Now only its header is read:
    openpyxl never opens the workbook and the CSV's records are never parsed."""
    path = write_wide_table(tmp_path / f"wide{suffix}", 100_000, rows=3)
    where = r"sheet 'data'" if suffix == ".xlsx" else r"the header \(row 1\)"
    message = (rf"wide\{suffix}: {where} has 100,000 columns; at most 5,000 are read \(setting cohort\.max_columns\)"
               r"\. Keep the columns the cohort needs")
    real_reader = tables.csv.reader

    def header_only(source, *args, **kwargs):  # _separator reads the header line (a list); records come as a stream
        assert isinstance(source, list), "the records of a too-wide CSV were parsed"
        return real_reader(source, *args, **kwargs)

    def no_workbook(*_args, **_kwargs):
        raise AssertionError("openpyxl opened a too-wide workbook")

    monkeypatch.setattr(tables.csv, "reader", header_only)
    monkeypatch.setattr(tables.openpyxl, "load_workbook", no_workbook)
    before = dump(store)
    with pytest.raises(ValueError, match=message):
        import_cohort("wide", path, store=store)
    if suffix == ".xlsx":
        with pytest.raises(ValueError, match=message):
            sheet_names(path, max_columns=CohortSettings().max_columns)  # the import page lists sheets first
    assert main(["import", "--clinical", str(path), "--name", "wide", "--id-col", "id", "--time-col", "time",
                 "--time-unit", "months", "--event-col", "event"]) == 2
    assert "has 100,000 columns; at most 5,000 are read" in capsys.readouterr().err
    assert dump(store) == before


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_column_limit_is_a_setting(tmp_path, suffix):
    """cohort.max_columns columns are read; one more is refused, counting only cells that hold a value."""
    path = write_wide_table(tmp_path / f"t{suffix}", 12, rows=4)
    assert read_table(path, max_columns=12).shape == (4, 12)
    report = validate_cohort(path, split=NO_SPLIT, settings=CohortSettings(max_columns=12)).report
    assert not report.errors
    with pytest.raises(ValueError, match=rf"t\{suffix}: .* has 12 columns; at most 11 are read"):
        validate_cohort(path, split=NO_SPLIT, settings=CohortSettings(max_columns=11))
    assert read_table(path).shape == (4, 12)  # no limit unless asked (feature tables, predict inputs)


def test_duplicate_csv_header_is_named(tmp_path):
    path = write_file(tmp_path, "dup.csv", b"id,t,t\nA,1,1\n")
    with pytest.raises(ValueError, match=r"dup\.csv: column name\(s\) \['t'\] occur more than once"):
        read_table(path)


def test_duplicate_xlsx_header_is_named_and_trailing_blank_columns_dropped(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["id", "t", "t"])
    book.active.append(["A", 1, 1])
    book.create_sheet("ok").append(["id", "t", "e", None])
    book["ok"].append(["007", 1.5, 1])
    book.create_sheet("blank")
    book.save(tmp_path / "book.xlsx")
    with pytest.raises(ValueError, match=r"book\.xlsx: column name\(s\) \['t'\]"):
        read_table(tmp_path / "book.xlsx")
    table = read_table(tmp_path / "book.xlsx", sheet="ok")
    assert list(table.columns) == ["id", "t", "e"] and table.loc[2, "id"] == "007"
    with pytest.raises(ValueError, match=r"book\.xlsx: sheet 'blank' is empty"):
        read_table(tmp_path / "book.xlsx", sheet="blank")


def test_trailing_separators_do_not_make_duplicate_names(tmp_path):
    table = read_table(write_file(tmp_path, "trail.csv", b"id,t,e,,\nA,1,1,,\n"))
    assert list(table.columns) == ["id", "t", "e"]


def test_empty_file_and_fake_workbook(tmp_path):
    with pytest.raises(ValueError, match=r"empty\.csv: the file is empty"):
        read_table(write_file(tmp_path, "empty.csv", b"\n \n"))
    fake = write_file(tmp_path, "fake.xlsx", b"PK\x03\x04garbage" * 10)
    for limit in (None, 5000):  # the column limit's look at the sheets leaves damaged files to openpyxl
        with pytest.raises(ValueError, match=r"fake\.xlsx: not a readable XLSX workbook"):
            read_table(fake, max_columns=limit)


def test_sheet_names_of_a_damaged_workbook_is_a_clear_error():
    with pytest.raises(ValueError, match=r"upload\.xlsx: not a readable XLSX workbook"):
        sheet_names(b"PK\x03\x04garbage" * 10, "upload.xlsx")


def test_surplus_cells_are_refused_not_shifted_into_other_columns(tmp_path):
    # pandas would take 'A' and '1' as an index and shift 1, 5, 6 under id, t, e
    with pytest.raises(ValueError, match=r"ragged\.csv, row 3: 5 cells but the header \(row 1\) names 3 columns; "
                                         r"surplus values \['5', '6'\]"):
        read_table(write_file(tmp_path, "ragged.csv", b"id,t,e\nB,2,0,\nA,1,1,5,6\n"))
    table = read_table(write_file(tmp_path, "short.csv", b"id,t,e\nA,1,1,\nB,2\n"))
    assert table.loc[2].tolist() == ["A", "1", "1"] and table.loc[3, "id"] == "B" and pd.isna(table.loc[3, "e"])


def test_utf16_and_binary_files(tmp_path):
    table = read_table(write_file(tmp_path, "u16.csv", "id\tt\te\nJosé\t1\t1\n".encode("utf-16")))
    assert list(table.columns) == ["id", "t", "e"] and table.loc[2, "id"] == "José"
    with pytest.raises(ValueError, match=r"bin\.csv: a binary file \(NUL bytes\), not a CSV table"):
        read_table(write_file(tmp_path, "bin.csv", b"id,t\x00\x01\x02,e\n"))
