"""`predict`: patients' ids carried to the output, spreadsheet row numbers, and hostile input files.

The id column (patient_id, or --id-col) is copied without being told, so a clinician can match
risks.csv to the input. Whole file unusable (empty, no rows, repeated or missing input column):
exit 2, nothing written. Bad cells (text, blank, unseen level, decimal comma, absurd value) or a
patient id repeated with different inputs: that row refused, named by row / column / value, exit 1.
Far outside the training range, an id repeated with the same inputs, extra columns: predicted (or
ignored) with a message."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

from hccdash import cli
from hccdash.registry import registry


@pytest.fixture
def patients(combined):
    frame = combined.copy()
    frame["patient_id"] = [f"HCC-{i:03d}" for i in range(3)]
    frame.insert(1, "mrn", ["m1", "m2", "m3"])
    return frame


def _predict(tmp_path, text: bytes, out: str = "risks.csv", *extra: str) -> int:
    (tmp_path / "in.csv").write_bytes(text)
    return cli.main(["predict", "--model", "combined", "--input", str(tmp_path / "in.csv"),
                     "--out", str(tmp_path / out), *extra])


def _predicted(tmp_path, frame: pd.DataFrame, *extra: str) -> pd.DataFrame:
    """The output of a successful ``predict`` on ``frame``."""
    assert _predict(tmp_path, frame.to_csv(index=False).encode(), "risks.csv", *extra) == 0
    return pd.read_csv(tmp_path / "risks.csv")


@pytest.mark.parametrize("text, message", [
    (b"", "in.csv: the file is empty"),
    (b"patient_id,AFP\n", "in.csv: the table has no data rows"),
    (b"patient_id,AFP,AFP\nA,1,2\n", "in.csv: column name(s) ['AFP'] occur more than once"),
])
def test_unusable_input_files_are_named(combined, tmp_path, capsys, text, message):
    assert _predict(tmp_path, text) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "risks.csv").exists()


def test_semicolon_file_with_blank_line_keeps_file_row_numbers(combined, tmp_path, capsys):
    text = combined.to_csv(index=False, sep=";")
    lines = text.splitlines()
    lines.insert(2, "")  # a blank line after the first patient
    assert _predict(tmp_path, "\n".join(lines).encode()) == 0
    out = (tmp_path / "risks.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in out] == ["row", "2", "4", "5"]  # spreadsheet lines: header 1, blank line 3


def test_output_may_not_overwrite_the_input(combined, tmp_path, capsys):
    (tmp_path / "in.csv").write_text(combined.to_csv(index=False))
    before = (tmp_path / "in.csv").read_bytes()
    assert _predict(tmp_path, before, out="in.csv") == 2
    assert "is the input file" in capsys.readouterr().err
    assert (tmp_path / "in.csv").read_bytes() == before
    assert _predict(tmp_path, before, out="missing/risks.csv") == 2
    assert "folder" in capsys.readouterr().err


def _rows(cox_pipeline, n: int = 5) -> pd.DataFrame:
    patients = cox_pipeline.validation.iloc[:n].copy().astype({"AFP": object, "BCLC": object})
    patients.insert(0, "patient_id", [f"H{i}" for i in range(n)])
    return patients


@pytest.mark.parametrize("change, message", [
    (lambda p: p.drop(columns="AFP"), r"in\.csv: the model needs the column\(s\) AFP\. Columns found: \['patient_id'"),
    (lambda p: p.rename(columns={"AFP": "afp"}), r"needs the column\(s\) AFP; column names are case-sensitive: found 'afp'"),
    (lambda p: p.drop(columns=[c for c in p.columns if "." in c]),
     r"needs the column\(s\) rad_score \(or all \d+ of its features; missing: \w+\.original_feature_\d+"),
])
def test_missing_input_column_refuses_the_whole_file(combined, tmp_path, capsys, change, message):
    assert _predict(tmp_path, change(combined).to_csv(index=False).encode()) == 2
    assert re.search(message, capsys.readouterr().err)
    assert not (tmp_path / "risks.csv").exists()


def test_extra_columns_are_named_and_ignored(combined, tmp_path, capsys):
    assert _predict(tmp_path, combined.to_csv(index=False).encode(), out="plain.csv") == 0
    assert _predict(tmp_path, combined.assign(comment="x; y", visit=3).to_csv(index=False).encode()) == 0
    err = capsys.readouterr().err
    assert re.search(r"in\.csv: column\(s\) not used by model combined ignored: \[.*'comment', 'visit'\]", err)
    assert "'patient_id'" not in err and "'AFP'" not in err
    plain, extra = pd.read_csv(tmp_path / "plain.csv"), pd.read_csv(tmp_path / "risks.csv")
    pd.testing.assert_frame_equal(plain, extra)


def test_bad_cells_refuse_only_their_rows_naming_row_column_value(cox_pipeline, combined, tmp_path, capsys):
    patients = _rows(cox_pipeline)
    patients.iloc[1, patients.columns.get_loc("AFP")] = "abc"
    patients.iloc[2, patients.columns.get_loc("AFP")] = np.nan
    patients.iloc[3, patients.columns.get_loc("BCLC")] = "Z"
    patients.iloc[4, patients.columns.get_loc("AFP")] = "12,5"
    assert _predict(tmp_path, patients.to_csv(index=False).encode()) == 1
    err = capsys.readouterr().err
    assert "row 3, column AFP: not a finite number (got 'abc')" in err  # spreadsheet line 3: the 2nd patient
    assert "row 4, column AFP: missing value" in err
    assert ("row 5, column BCLC: not one of the levels ['0', 'A', 'B'] (a level never seen in training) (got 'Z')"
            in err)
    assert "row 6, column AFP: not a number: use a dot as the decimal separator" in err
    out = pd.read_csv(tmp_path / "risks.csv")
    assert out["lp"].notna().tolist() == [True, False, False, False, False]
    assert out["problems"].tolist()[1:] == ["AFP: not a finite number", "AFP: missing value",
                                            "BCLC: not one of the levels ['0', 'A', 'B'] (a level never seen in training)",
                                            "AFP: not a number: use a dot as the decimal separator and no thousands "
                                            "separator"]


def test_far_outside_the_training_range_predicts_with_a_warning(cox_pipeline, combined, tmp_path, capsys):
    afp = {p["name"]: p for p in registry.json_model("combined").spec["predictors"]}["AFP"]
    patients = _rows(cox_pipeline, 2)
    patients.iloc[0, patients.columns.get_loc("AFP")] = 50 * afp["max"]
    feature = next(c for c in patients.columns if c in registry.json_model("combined").features.index)
    patients.iloc[1, patients.columns.get_loc(feature)] = 1e308  # absurd: the rad-score overflows
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no numpy overflow noise
        assert _predict(tmp_path, patients.to_csv(index=False).encode()) == 1
    err = capsys.readouterr().err
    assert (f"row 2, column AFP: warning: outside the training range [{afp['min']:.4g}, {afp['max']:.4g}] "
            f"(got '{50 * afp['max']}'); predicted anyway") in err
    assert "row 2, column linear predictor: warning: outside the training range" in err
    assert "row 3, column rad_score: not finite: a radiomic feature value is absurdly large" in err
    out = pd.read_csv(tmp_path / "risks.csv")
    assert out.loc[0, "risk_group"] == "high" and out.loc[0, "rfs_12m"] < 0.5 and pd.isna(out.loc[1, "lp"])
    assert out.loc[0, "warnings"].startswith(f"AFP: outside the training range [{afp['min']:.4g}, {afp['max']:.4g}]")


def test_repeated_patient_ids(cox_pipeline, combined, tmp_path, capsys):
    patients = _rows(cox_pipeline)
    patients["patient_id"] = ["A", "A", "B", "B", None]
    patients.iloc[3] = patients.iloc[2].to_numpy()  # B twice with the same inputs
    assert _predict(tmp_path, patients.to_csv(index=False).encode()) == 1
    err = capsys.readouterr().err
    assert "row 2, column patient_id: repeated patient id with different inputs (rows 2, 3)" in err
    assert "row 3, column patient_id: repeated patient id with different inputs (rows 2, 3)" in err
    assert "row 4, column patient_id: warning: repeated patient id (rows 4, 5, same inputs)" in err
    assert "row 6, column patient_id: warning: blank patient id" in err
    out = pd.read_csv(tmp_path / "risks.csv")
    assert out["lp"].notna().tolist() == [False, False, True, True, True]
    assert out.loc[2, "lp"] == out.loc[3, "lp"]


def test_a_wide_file_joined_with_a_feature_matrix_predicts(combined, tmp_path, capsys):
    """~4,000 columns (header > 131,072 characters, the csv module's default field limit): read,
    predicted, and the unused feature columns counted on stderr rather than listed."""
    extra = pd.DataFrame(0.5, index=combined.index,
                         columns=[f"arterial.original_glszm_feature_number_{i:04d}_long_name" for i in range(3900)])
    wide = pd.concat([combined, extra], axis=1)
    assert _predict(tmp_path, wide.to_csv(index=False).encode(), out="wide.csv") == 0
    assert _predict(tmp_path, combined.to_csv(index=False).encode()) == 0
    err = capsys.readouterr().err
    assert re.search(r"ignored: \[.*\] and 39\d\d feature column\(s\) \(phase\.feature\)", err)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "wide.csv"), pd.read_csv(tmp_path / "risks.csv"))


def test_patient_id_is_copied_by_default(patients, tmp_path):
    out = _predicted(tmp_path, patients)
    assert out["patient_id"].tolist() == ["HCC-000", "HCC-001", "HCC-002"]
    assert "mrn" not in out


def test_id_col_chooses_another_column(patients, tmp_path):
    out = _predicted(tmp_path, patients, "--id-col", "mrn")
    assert out["mrn"].tolist() == ["m1", "m2", "m3"] and "patient_id" not in out


def test_formula_like_ids_are_neutralised_in_the_output(patients, tmp_path):
    """An id a spreadsheet would run (=HYPERLINK(...)) is written as text, predictions as numbers."""
    patients["patient_id"] = ['=HYPERLINK("http://x","y")', "@SUM(1)", "-7"]
    out = _predicted(tmp_path, patients)
    assert out["patient_id"].tolist() == ['\'=HYPERLINK("http://x","y")', "'@SUM(1)", "-7"]  # a plain number stays
    assert out["lp"].dtype.kind == "f"


def test_rows_are_numbered_as_spreadsheet_lines_like_the_cohort_import(patients, tmp_path, capsys):
    """Header = line 1, first patient = line 2: the numbers ``read_table`` (the cohort import
    report) gives; stderr and the output's row column use them too."""
    from hccdash.cohort.tables import read_table

    frame = patients.copy()
    frame["AFP"] = frame["AFP"].astype(object)
    frame.iloc[1, frame.columns.get_loc("AFP")] = "abc"  # the second patient: spreadsheet line 3
    frame.to_csv(tmp_path / "in.csv", index=False)
    assert cli.main(["predict", "--model", "combined", "--input", str(tmp_path / "in.csv"),
                     "--out", str(tmp_path / "risks.csv")]) == 1
    assert "row 3, column AFP: not a finite number (got 'abc')" in capsys.readouterr().err
    out = pd.read_csv(tmp_path / "risks.csv")
    table = read_table(tmp_path / "in.csv")
    assert out["row"].tolist() == [2, 3, 4] == table.index.tolist()
    assert table.loc[3, "patient_id"] == out.loc[out["row"] == 3, "patient_id"].item() == "HCC-001"


def test_help_documents_row_numbers_and_the_uncentred_linear_predictor(capsys):
    with pytest.raises(SystemExit):
        cli.main(["predict", "--help"])
    text = capsys.readouterr().out
    assert "header = line 1, first patient = line 2" in text
    assert "linear predictor b'x of a Cox model, NOT centred" in text and "predict(coxph" in text
