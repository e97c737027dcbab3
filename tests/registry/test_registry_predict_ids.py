"""`predict` carries the patients' ids to the output without being told (patient_id column),
so a clinician can match risks.csv to the input; --id-col still picks another column."""

from __future__ import annotations

import pandas as pd
import pytest

from hccdash import cli
from hccdash.registry import registry


@pytest.fixture
def patients(cox_pipeline):
    registry.save(cox_pipeline.result.model, "combined", **cox_pipeline.save_kwargs())
    frame = cox_pipeline.validation.iloc[:3].copy()
    frame.insert(0, "patient_id", [f"HCC-{i:03d}" for i in range(3)])
    frame.insert(1, "mrn", ["m1", "m2", "m3"])
    return frame


def _predict(tmp_path, frame: pd.DataFrame, *extra: str) -> pd.DataFrame:
    frame.to_csv(tmp_path / "in.csv", index=False)
    assert cli.main(["predict", "--model", "combined", "--input", str(tmp_path / "in.csv"),
                     "--out", str(tmp_path / "risks.csv"), *extra]) == 0
    return pd.read_csv(tmp_path / "risks.csv")


def test_patient_id_is_copied_by_default(patients, tmp_path):
    out = _predict(tmp_path, patients)
    assert out["patient_id"].tolist() == ["HCC-000", "HCC-001", "HCC-002"]
    assert "mrn" not in out


def test_id_col_chooses_another_column(patients, tmp_path):
    out = _predict(tmp_path, patients, "--id-col", "mrn")
    assert out["mrn"].tolist() == ["m1", "m2", "m3"] and "patient_id" not in out


def test_formula_like_ids_are_neutralised_in_the_output(patients, tmp_path):
    """An id a spreadsheet would run (=HYPERLINK(...)) is written as text, predictions as numbers."""
    patients["patient_id"] = ['=HYPERLINK("http://x","y")', "@SUM(1)", "-7"]
    out = _predict(tmp_path, patients)
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
