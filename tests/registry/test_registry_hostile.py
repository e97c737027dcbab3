"""`predict` and `import-model` with hostile files: clear messages, no row lost, registry unchanged.

Whole file unusable (empty, no rows, repeated or missing input column): exit 2, nothing
written. Bad cells (text, blank, unseen level, decimal comma, absurd value) or a patient id
repeated with different inputs: that row refused, named by row / column / value, exit 1.
Far outside the training range, an id repeated with the same inputs, extra columns:
predicted (or ignored) with a message."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from markdown_checks import shown

from hccdash import cli
from hccdash import calculator
from hccdash.registry import registry
from hccdash.registry import spec as spec_module
from hccdash.store import Store


@pytest.fixture
def combined(cox_pipeline):
    registry.save(cox_pipeline.result.model, "combined", **cox_pipeline.save_kwargs())
    patients = cox_pipeline.validation.iloc[:3].copy()
    patients.insert(0, "patient_id", patients.index)
    return patients


def _predict(tmp_path, text: bytes, out: str = "risks.csv") -> int:
    (tmp_path / "in.csv").write_bytes(text)
    return cli.main(["predict", "--model", "combined", "--input", str(tmp_path / "in.csv"),
                     "--out", str(tmp_path / out)])


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


def test_refused_model_files_leave_the_registry_unchanged(combined, tmp_path, capsys):
    store = Store()
    before = store.query("SELECT * FROM models ORDER BY name").astype(str).values.tolist()
    for name, text in [("deep.json", b"[" * 100000 + b"]" * 100000), ("nan.json", b'{"format": NaN}'),
                       ("big.json", b'{"format": 1' + b"0" * 5000 + b"}"), ("bin.json", b"\xff\xfe\x00")]:
        (tmp_path / name).write_bytes(text)
        assert cli.main(["import-model", str(tmp_path / name), "--name", "x"]) == 2
        assert name in capsys.readouterr().err
    assert store.query("SELECT * FROM models ORDER BY name").astype(str).values.tolist() == before


def test_schema_messages_name_the_deepest_reason_briefly(combined):
    model = registry.json_model("combined").spec
    hostile = {**model, "radiomics": {**model["radiomics"], "features": [
        {**model["radiomics"]["features"][0], "name": "x'); DROP TABLE models;--"}]}}
    with pytest.raises(ValueError, match=r"at radiomics/features/0/name: \"x'\); DROP TABLE models;--\" does not match"):
        spec_module.validate(hostile)
    long_levels = {**model, "predictors": [{**model["predictors"][0], "levels": ["a"] * 10000}, *model["predictors"][1:]]}
    with pytest.raises(ValueError, match=r"at predictors/0/levels: \['a', .*\.\.\. \(50000 characters\) is too long"):
        spec_module.validate(long_levels)
    with pytest.raises(ValueError, match=r"an integer of 5001 digits \(at most 18 allowed\)"):
        spec_module.parse(b'{"format": 1' + b"0" * 5000 + b"}")


def test_export_to_a_folder_is_an_error_message_not_a_traceback(combined, tmp_path, capsys):
    assert cli.main(["export", "--model", "combined", "--out", str(tmp_path)]) == 2
    assert "Is a directory" in capsys.readouterr().err


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


def test_calculator_form_warns_far_outside_the_training_range(cox_pipeline, combined):
    from streamlit.testing.v1 import AppTest

    model = registry.json_model("combined")
    afp = model.predictors.loc["AFP"]
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=120).run()
    at.switch_page("pages/6_patient_calculator.py").run()
    at.number_input(key="calculator_in_AFP").set_value(50 * afp["max"])
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert any(shown(w.value).startswith(f"**AFP**: outside the training range [{afp['min']:.4g}, {afp['max']:.4g}]")
               for w in at.warning)
    assert {m.label for m in at.metric} >= {"Risk group"}


def test_typed_rad_score_that_disagrees_with_its_features_is_warned(cox_pipeline, combined):
    model = registry.json_model("combined")
    rows = combined.iloc[:2].copy()
    computed = model.rad_score(rows)
    rows["rad_score"] = [computed.iloc[0], computed.iloc[1] + 1.0]  # row 2: another model's rad-score?
    checked = calculator.check_inputs(model, rows)
    disagree = checked.warnings[checked.warnings["problem"].str.startswith("differs from the rad-score")]
    assert disagree["row"].tolist() == [rows.index[1]]
    assert f"({computed.iloc[1]:.4g}); the typed value is used" in disagree["problem"].iloc[0]
    assert checked.clean["rad_score"].tolist() == rows["rad_score"].tolist()


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
