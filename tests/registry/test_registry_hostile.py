"""`predict` and `import-model` with hostile files: clear messages, no row lost, registry unchanged."""

from __future__ import annotations

import pytest

from hccdash import cli
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
    assert [line.split(",")[0] for line in out] == ["row", "1", "3", "4"]


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
