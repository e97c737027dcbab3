"""Hostile clinical tables: clear messages naming file / row / column, store untouched."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from hccdash.cli import main
from hccdash.cohort.events import guess_event_coding, parse_event_values
from hccdash.cohort.importer import import_cohort
from hccdash.cohort.load import list_cohorts, load_cohort
from hccdash.cohort.mapping import guess_mapping, remap
from hccdash.cohort.tables import read_table, sheet_names
from hccdash.settings import SplitSettings
from hccdash.store import Store

TABLES = ("cohorts", "patients", "variables", "clinical", "images")


def dump(store: Store) -> dict[str, list]:
    return {t: store.query(f"SELECT * EXCLUDE (created_at) FROM {t}" if t == "cohorts" else f"SELECT * FROM {t}")
            .astype(str).values.tolist() for t in TABLES}


def write(tmp_path, name: str, text: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(text)
    return str(path)


def test_duplicate_csv_header_is_named(tmp_path):
    path = write(tmp_path, "dup.csv", b"id,t,t\nA,1,1\n")
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
    table = read_table(write(tmp_path, "trail.csv", b"id,t,e,,\nA,1,1,,\n"))
    assert list(table.columns) == ["id", "t", "e"]


def test_empty_file_and_fake_workbook(tmp_path):
    with pytest.raises(ValueError, match=r"empty\.csv: the file is empty"):
        read_table(write(tmp_path, "empty.csv", b"\n \n"))
    with pytest.raises(ValueError, match=r"fake\.xlsx: not a readable XLSX workbook"):
        read_table(write(tmp_path, "fake.xlsx", b"PK\x03\x04garbage" * 10))


def test_too_small_cohort_is_refused_with_a_report_not_a_crash(tmp_path, capsys):
    store = Store()
    path = write(tmp_path, "one.csv", b"id,t,e\nA,1,1\n")
    before = dump(store)
    code = main(["import", "--clinical", path, "--name", "one", "--id-col", "id", "--time-col", "t",
                 "--time-unit", "months", "--event-col", "e", "--event-values", "1,0"])
    out = capsys.readouterr().out
    assert code == 1
    assert "split_too_small" in out and "1 patient(s) cannot be split with train fraction 0.7" in out
    assert dump(store) == before


def test_refused_table_leaves_a_stored_cohort_untouched(tmp_path):
    store = Store()
    good = read_table(write(tmp_path, "good.csv", b"id,t,e\n" + b"".join(b"P%d,%d,%d\n" % (i, i + 1, i % 2) for i in range(20))))
    assert import_cohort("c", good, guess_mapping(good), store=store).ok
    before = dump(store)
    bad = read_table(write(tmp_path, "bad.csv", b"id,t,e\nA,-1,1\nB,inf,0\nC,2,maybe\nD,1e308,1\nE,1201,0\n"))
    mapping = remap(bad, guess_mapping(bad), id_col="id", time_col="t", time_unit="months", event_col="e",
                    event_coding=parse_event_values("1,0"))
    result = import_cohort("c", bad, mapping, replace=True, store=store)
    assert not result.ok
    checks = {(p.check, p.row) for p in result.report.errors}
    assert {("negative_time", 2), ("non_numeric_time", 3), ("unknown_event", 4), ("impossible_time", 5),
            ("impossible_time", 6)} <= checks
    assert dump(store) == before


@pytest.mark.parametrize("name, message", [
    ("a\nb", r"control or invisible characters \(U\+000A\)"),
    ("nul\x00x", r"U\+0000"),
    ("\u202eevil", r"U\+202E"),
    ("x" * 10000, r"1 to 100 characters, got 'x{40}\.\.\. \(10000 characters\)'$"),
])
def test_cohort_names_with_hidden_characters_or_huge_are_refused(tmp_path, name, message):
    table = read_table(write(tmp_path, "c.csv", b"id,t,e\nA,1,1\nB,2,0\n"))
    store = Store()
    before = dump(store)
    with pytest.raises(ValueError, match=message):
        import_cohort(name, table, guess_mapping(table), store=store)
    assert dump(store) == before


def test_quotes_slashes_and_unicode_names_round_trip(tmp_path):
    table = read_table(write(tmp_path, "c.csv", b"id,t,e\nA,1,1\nB,2,0\nC,3,1\nD,4,0\n"))
    mapping = remap(table, guess_mapping(table), id_col="id", time_col="t", time_unit="months", event_col="e",
                    event_coding=parse_event_values("1,0"))
    names = ["q'\"x", "../../etc", "ünï 😀", "x'); DROP TABLE cohorts;--"]
    for name in names:
        assert import_cohort(name, table, mapping, split=SplitSettings(method="none")).ok
    assert sorted(list_cohorts()) == sorted(names)
    assert all(len(load_cohort(n).patients) == 4 for n in names)


def _cli_import(path: str, *extra: str) -> int:
    return main(["import", "--clinical", path, "--name", "c", "--id-col", "id", "--time-col", "t",
                 "--time-unit", "months", "--event-col", "e", "--event-values", "1,0", *extra])


def test_bad_import_options_are_named(tmp_path, capsys):
    store = Store()
    path = write(tmp_path, "c.csv", b"id,t,e,centre\n" + b"".join(b"P%d,%d,%d,A\n" % (i, i + 1, i % 2) for i in range(20)))
    before = dump(store)
    # a missing centre column while a variable is called 'centre'
    assert _cli_import(path, "--centre-col", "site") == 1
    assert "centre column 'site' is not in the table" in capsys.readouterr().out
    assert _cli_import(path, "--seed", "-5") == 2
    assert "split seed must be a whole number from 0 to 4294967295, got -5" in capsys.readouterr().err
    assert _cli_import(path, "--label", "0") == 2
    assert "A mask label is a whole number above 0, got 0" in capsys.readouterr().err
    assert _cli_import(path, "--sheet", "data") == 2
    assert "c.csv: a sheet ('data') was chosen but the file is not an XLSX workbook" in capsys.readouterr().err
    assert dump(store) == before


def test_a_folder_given_as_table_or_manifest_is_named(tmp_path, capsys):
    with pytest.raises(ValueError, match=r"is a folder; a CSV or XLSX file is needed"):
        read_table(tmp_path)
    path = write(tmp_path, "c.csv", b"id,t,e\nA,1,1\nB,2,0\n")
    assert _cli_import(path, "--manifest", str(tmp_path)) == 2
    assert f"{tmp_path} is a folder" in capsys.readouterr().err


def test_sheet_names_of_a_damaged_workbook_is_a_clear_error():
    with pytest.raises(ValueError, match=r"upload\.xlsx: not a readable XLSX workbook"):
        sheet_names(b"PK\x03\x04garbage" * 10, "upload.xlsx")


def test_surplus_cells_are_refused_not_shifted_into_other_columns(tmp_path):
    # pandas would take 'A' and '1' as an index and shift 1, 5, 6 under id, t, e
    with pytest.raises(ValueError, match=r"ragged\.csv, row 3: 5 cells but the header \(row 1\) names 3 columns; "
                                         r"surplus values \['5', '6'\]"):
        read_table(write(tmp_path, "ragged.csv", b"id,t,e\nB,2,0,\nA,1,1,5,6\n"))
    table = read_table(write(tmp_path, "short.csv", b"id,t,e\nA,1,1,\nB,2\n"))
    assert table.loc[2].tolist() == ["A", "1", "1"] and table.loc[3, "id"] == "B" and pd.isna(table.loc[3, "e"])


def test_utf16_and_binary_files(tmp_path):
    table = read_table(write(tmp_path, "u16.csv", "id\tt\te\nJosé\t1\t1\n".encode("utf-16")))
    assert list(table.columns) == ["id", "t", "e"] and table.loc[2, "id"] == "José"
    with pytest.raises(ValueError, match=r"bin\.csv: a binary file \(NUL bytes\), not a CSV table"):
        read_table(write(tmp_path, "bin.csv", b"id,t\x00\x01\x02,e\n"))


@pytest.mark.parametrize("values", [["2", "1", "2"], ["-1", "1"], ["1", "9"]])
def test_event_codes_beside_an_unknown_number_are_not_guessed(values):
    # R's Surv codes 1 = censored, 2 = event: guessing 1 = event would flip every outcome
    assert guess_event_coding(pd.Series(values), "status") is None


def test_a_numeric_status_column_is_refused_until_coded(tmp_path, capsys):
    path = write(tmp_path, "r.csv", b"id,t,status\n" + b"".join(b"P%d,%d,%d\n" % (i, i + 1, 1 + i % 2) for i in range(20)))
    code = main(["import", "--clinical", path, "--name", "r", "--id-col", "id", "--time-col", "t",
                 "--time-unit", "months", "--event-col", "status"])
    assert code == 1
    assert "cannot tell which codes mean event and censored (values: 1, 2)" in capsys.readouterr().out


def test_decimal_comma_times_are_refused_with_the_fix_named(tmp_path, capsys):
    # comma-separated: a quoted "1,5" is ambiguous (1.5 or 15), so it is refused with the fix named
    path = write(tmp_path, "us.csv", b"id,t,e\n" + b"".join(b'P%d,"%d,5",%d\n' % (i, i + 1, i % 2) for i in range(6)))
    assert _cli_import(path, "--split", "none") == 1
    out = capsys.readouterr().out
    assert "us.csv, row 2, column 't', value '1,5', patient 'P0': time is not a number (decimal comma; write 1.5)" in out
