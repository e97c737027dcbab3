"""Pickled artifacts load only with a signature made with a key outside HCCDASH_HOME: write
access to HCCDASH_HOME (artifacts and store alike) is not enough to make the app run code."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import joblib
import pytest

from hccdash import cli
from hccdash.digest import sha256_file
from hccdash.registry import registry, signing
from hccdash.store import Store


class Payload:
    """Unpickling this creates ``marker``: the code a planted artifact would run."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.fixture
def saved(cox_standin) -> registry.ModelRecord:
    fitted, spec = cox_standin
    return registry.save(fitted, "m1", spec=spec)


def test_a_saved_pipeline_is_signed_with_a_private_key_outside_the_data_folder(saved, config_home, hccdash_home):
    key = config_home / "hccdash" / "artifact.key"
    assert signing.key_path() == key and key.is_file() and not key.is_relative_to(hccdash_home)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert saved.meta["signature"].startswith("hmac-sha256:")
    assert registry.load("m1").pipeline is not None


def test_a_planted_pickle_with_its_hash_in_the_store_is_never_unpickled(saved, tmp_path):
    marker = tmp_path / "code_ran"
    joblib.dump({"pipeline": Payload(marker), "spec": {}}, saved.path)  # write access to HCCDASH_HOME ...
    Store().execute("UPDATE models SET sha256 = ? WHERE name = 'm1'", [sha256_file(saved.path)])  # ... and its store
    with pytest.raises(registry.ArtifactError, match="not signed with this machine's key") as error:
        registry.load("m1")
    assert "sign-models --model m1" in str(error.value)
    assert not marker.exists()
    assert cli.main(["export", "--model", "m1", "--out", str(tmp_path / "m1.json")]) == 2
    assert not marker.exists()


def test_another_key_or_no_signature_is_refused_until_signed_here(saved, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "other_user"))
    with pytest.raises(registry.ArtifactError, match="not signed"):
        registry.load("m1")
    meta = {k: v for k, v in saved.meta.items() if k != "signature"}  # saved before signing existed
    Store().execute("UPDATE models SET meta = ? WHERE name = 'm1'", [json.dumps(meta)])
    with pytest.raises(registry.ArtifactError, match="not signed"):
        registry.load("m1")
    assert cli.main(["sign-models", "--model", "m1"]) == 0
    assert "m1" in capsys.readouterr().out
    assert registry.load("m1").pipeline is not None
    assert cli.main(["sign-models"]) == 0 and "Nothing to sign" in capsys.readouterr().out


def test_sign_models_refuses_a_changed_artifact(saved, capsys):
    Store().execute("UPDATE models SET meta = '{}' WHERE name = 'm1'")
    with saved.path.open("ab") as handle:
        handle.write(b"\0")
    assert cli.main(["sign-models"]) == 2
    assert "has changed since it was saved" in capsys.readouterr().err
    assert "signature" not in registry.get("m1").meta


def test_a_key_other_users_can_read_is_refused(saved):
    os.chmod(signing.key_path(), 0o644)
    try:
        with pytest.raises(registry.ArtifactError, match=r"chmod 600"):
            registry.load("m1")
    finally:
        os.chmod(signing.key_path(), 0o600)


def test_json_model_files_need_no_signature(saved):
    registry.import_json(registry.export_json("m1"), "shared")
    Store().execute("UPDATE models SET meta = '{}' WHERE name = 'shared'")
    assert registry.json_model("shared").coef.equals(registry.json_model("m1").coef)


def test_the_calculator_page_tells_what_to_do_with_an_unsigned_model(saved):
    from streamlit.testing.v1 import AppTest

    Store().execute("UPDATE models SET meta = '{}' WHERE name = 'm1'")
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=120).run()
    at.switch_page("pages/6_patient_calculator.py").run()
    assert not at.exception
    assert any("not signed" in e.value and "sign-models --model m1" in e.value for e in at.error)
