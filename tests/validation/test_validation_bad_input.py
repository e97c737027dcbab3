"""Bad input stops a validation with one message naming the patient, variable or horizon, and
nothing is extracted, written or stored: a cohort lacking a model input, a unit that does not
convert, a feature the store lacks and cannot extract, a set without events, a horizon beyond
the follow-up."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from hccdash.cli import main
from hccdash.cohort import read_table
from hccdash.extraction.features_io import store_imported
from hccdash.registry import registry
from hccdash.store import Store
from hccdash import paths

from validation_fixtures import CENTRES, COMBINED, ER_MODEL, import_variant

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning")


def _state() -> tuple:
    """What must not change: the registry, the extraction cache, the stored cohorts."""
    store = Store()
    return (tuple(registry.list_models()["name"]), store.query("SELECT count(*) AS n FROM cases")["n"].iloc[0],
            tuple(store.query("SELECT name FROM cohorts ORDER BY name")["name"]))


def _refused(tmp_path, capsys, *options: str) -> str:
    """Run validate with ``options``; assert exit code 2, nothing written or stored; the message."""
    before = _state()
    out = tmp_path / "out"
    assert main(["validate", *options, "--out", str(out)]) == 2
    assert not out.exists() and _state() == before
    message = capsys.readouterr().err
    assert message.startswith("error: ") and message.count("\n") == 1  # one message
    return message


def _sample_table() -> pd.DataFrame:
    return read_table(paths.SAMPLE_DIR / "clinical.csv")


def test_cohort_missing_a_model_input(home, tmp_path, capsys):
    import_variant("no_afp", _sample_table().drop(columns="AFP"), images=False)
    message = _refused(tmp_path, capsys, "--model", COMBINED, "--cohort", "no_afp")
    assert "Cohort 'no_afp' cannot feed model combined: the cohort has no variable for the model input AFP (ng/mL)" \
        in message


def test_unit_the_model_cannot_convert(home, tmp_path, capsys):
    mapping = tmp_path / "mapping.json"
    mapping.write_text('{"inputs": {"AFP": {"unit": "kU/L"}}}')
    message = _refused(tmp_path, capsys, "--model", COMBINED, "--cohort", CENTRES, "--mapping", str(mapping))
    assert "AFP" in message and "from the cohort's unit 'kU/L' to the model's unit 'ng/mL'" in message


def test_feature_the_store_lacks_and_cannot_extract(home, tmp_path, capsys):
    """A cohort whose patient HCC101 has no delayed-phase image: its delayed features cannot be had."""
    from hccdash.cohort import import_cohort, read_manifest
    from hccdash.cohort.sample_cohort import sample_mapping
    from hccdash.settings import SplitSettings

    manifest = read_manifest(paths.SAMPLE_DIR / "manifest.csv")
    manifest = manifest[~((manifest["patient_id"] == "HCC101") & (manifest["phase"] == "delayed"))]
    table = _sample_table()
    result = import_cohort("gap", table, sample_mapping(table), images=manifest,
                           split=SplitSettings(method="centre", validation_centres=("Centre B",)))
    assert result.ok, result.report.to_text()
    message = _refused(tmp_path, capsys, "--model", COMBINED, "--cohort", "gap", "--set", "external")
    assert "patient HCC101 has no 'delayed' image (reader 1) to extract the model's delayed features from" in message


def test_imported_table_lacking_a_feature(home, tmp_path, capsys):
    model = registry.json_model(COMBINED)
    kept = model.features.index[0]
    phase, feature = kept.split(".", 1)
    long = pd.DataFrame({"patient_id": ["HCC101", "HCC102"], "phase": phase, "reader": "1", "feature": feature,
                         "value": [1.0, 2.0]})
    store_imported(long, CENTRES, "partial")
    message = _refused(tmp_path, capsys, "--model", COMBINED, "--cohort", CENTRES, "--source", "partial")
    missing = model.features.index[1]
    assert "Imported feature table 'partial' of cohort 'centres' lacks the model's feature(s)" in message
    assert missing in message


def test_set_without_events(home, tmp_path, capsys):
    table = _sample_table()
    table.loc[table["centre"] == "Centre B", "recurrence"] = "0"
    import_variant("quiet_b", table, images=False)
    message = _refused(tmp_path, capsys, "--model", COMBINED, "--cohort", "quiet_b", "--set", "external")
    assert "The external set of cohort 'quiet_b' (50 patients) has no recurrence" in message
    er = _refused(tmp_path, capsys, "--model", ER_MODEL, "--cohort", "quiet_b", "--set", "external")
    assert "has no early recurrence" in er


def test_horizon_beyond_the_follow_up(home, tmp_path, capsys):
    message = _refused(tmp_path, capsys, "--model", COMBINED, "--cohort", CENTRES, "--set", "external",
                       "--horizons", "12,70")
    longest = re.search(r"longest ([\d.]+) months, patient (HCC\d+)", message)
    assert "Horizon 70 months is beyond the follow-up of the external set of cohort 'centres'" in message
    cohort_patients = Store().query("SELECT patient_id, time FROM patients WHERE cohort = ? AND split = 'validation'",
                                    [CENTRES]).set_index("patient_id")["time"]
    assert longest and float(longest[1]) == cohort_patients.max() and longest[2] == cohort_patients.idxmax()


def test_update_name_taken_is_refused_before_anything_runs(home, tmp_path, capsys):
    message = _refused(tmp_path, capsys, "--model", COMBINED, "--cohort", CENTRES, "--update", "refit",
                       "--save-as", COMBINED)
    assert "a model named 'combined' already exists" in message
