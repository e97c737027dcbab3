"""A registered model whose artifact changed or went missing: the CLI prints one clear line
and exits 2 (no traceback); nothing is written."""

from __future__ import annotations

import pytest

from hccdash import cli
from hccdash.registry import registry


def _tamper(path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage, message", [
    (_tamper, "has changed since it was saved"),
    (lambda path: path.unlink(), "is missing"),
])
def test_predict_and_export_exit_2_with_a_message(cox_standin, tmp_path, capsys, damage, message):
    fitted, spec = cox_standin
    damage(registry.save(fitted, "m1", spec=spec).path)
    (tmp_path / "in.csv").write_text("patient_id,age,afp,child_pugh,rad_score\nP1,60,10,A,0.1\n")
    commands = [["predict", "--model", "m1", "--input", str(tmp_path / "in.csv"), "--out", str(tmp_path / "out.csv")],
                ["export", "--model", "m1", "--out", str(tmp_path / "m1.json")]]
    for argv in commands:
        assert cli.main(argv) == 2
        error = capsys.readouterr().err
        assert error.startswith("error: Model 'm1': ") and message in error
        assert "Traceback" not in error and len(error.splitlines()) == 1
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "m1.json").exists()
