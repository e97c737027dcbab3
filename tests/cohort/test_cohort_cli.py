"""``python -m hccdash import`` and ``cohorts``: reports, exit codes, JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest
from cohort_data import dump

from hccdash.cli import main
from hccdash.cohort import load_cohort
from hccdash.paths import PROJECT_DIR

HCC_CSV = "hcc/HCC-TACE-Seg_clinical_data-V2_data_table.csv"
HCC_ARGS = ["--id-col", "TCIA_ID", "--time-col", "TTP", "--time-unit", "weeks", "--event-col", "Censored_0_progressed_1"]


def _tiny_args(tiny, name="tiny"):
    return ["import", "--clinical", str(tiny["clinical"]), "--name", name, "--id-col", "patient_id",
            "--time-col", "rfs_months", "--time-unit", "months", "--event-col", "recurrence"]


def test_import_with_manifest_and_centre_split(tiny, capsys):
    code = main(_tiny_args(tiny) + ["--manifest", str(tiny["manifest"]), "--centre-col", "centre", "--split", "centre",
                                    "--validation-centres", "B", "--predictors", "age,BCLC"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Validation: 0 error(s), 0 warning(s): import allowed." in out
    assert "Cohort 'tiny' imported: 24 patients, 12 events, 56 images (train 16, validation 8)." in out
    assert main(["cohorts", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(c["name"], c["patients"], c["events"], c["train"], c["validation"], c["images"]) for c in listed] == [
        ("tiny", 24, 12, 16, 8, 56)]


def test_import_with_three_cohort_split(tiny, capsys):
    code = main(_tiny_args(tiny) + ["--centre-col", "centre", "--split", "three", "--validation-centres", "B",
                                    "--train-fraction", "0.7", "--seed", "5", "--predictors", "age,BCLC"])
    assert code == 0
    assert "24 patients, 12 events, 0 images (train 11, validation 5, external 8)." in capsys.readouterr().out
    patients = load_cohort("tiny").patients
    assert (patients.loc[patients["centre"] == "B", "split"] == "external").all()
    assert set(patients.loc[patients["centre"] == "A", "split"]) == {"train", "validation"}
    assert load_cohort("tiny").split_spec == {"method": "three", "seed": 5, "train_fraction": 0.7,
                                              "stratified_by": "event", "validation_centres": ["B"]}
    assert main(["cohorts", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(c["train"], c["validation"], c["external"]) for c in listed] == [(11, 5, 8)]


def test_refused_import_exits_1_and_names_ids_rows_columns(tiny, capsys, store):
    table = pd.read_csv(tiny["clinical"], dtype=str)
    table.loc[3, "patient_id"] = "P001"  # row 5 duplicates row 2
    table.loc[5, "rfs_months"] = "-2"  # row 7
    table.loc[6, "recurrence"] = "maybe"  # row 8
    table.to_csv(tiny["clinical"], index=False)
    before = dump(store)
    assert main(_tiny_args(tiny) + ["--event-values", "1,0"]) == 1
    out = capsys.readouterr().out
    assert "import refused" in out
    assert "clinical.csv, row 5, column 'patient_id', value 'P001', patient 'P001': patient id occurs 2 times (rows 2, 5)" in out
    assert "row 7, column 'rfs_months', value '-2', patient 'P006': time is negative" in out
    assert "row 8, column 'recurrence', value 'maybe', patient 'P007': unknown event code" in out
    assert dump(store) == before


def test_folder_scan_and_label_options(tiny, capsys):
    code = main(_tiny_args(tiny) + ["--image-folder", str(tiny["folder"] / "images"),
                                    "--mask-pattern", "{patient_id}_{phase}_mask{reader}.nii.gz", "--split", "none"])
    assert code == 0
    assert "56 images (no split)" in capsys.readouterr().out


def test_unknown_predictor_is_an_error_naming_it(tiny, capsys):
    assert main(_tiny_args(tiny) + ["--predictors", "age,weight"]) == 2
    assert "['weight']" in capsys.readouterr().err


@pytest.mark.slow
def test_hcc_tace_through_the_command_line(reference, hccdash_home):
    """The real table, as a user runs it: a separate process, then `cohorts --json`."""
    env = {**os.environ, "HCCDASH_HOME": str(hccdash_home)}
    run = subprocess.run([sys.executable, "-m", "hccdash", "import", "--clinical", str(reference / HCC_CSV),
                          "--name", "tace", *HCC_ARGS], capture_output=True, text=True, env=env, cwd=PROJECT_DIR)
    assert run.returncode == 0, run.stderr
    assert "Cohort 'tace' imported: 105 patients, 45 events" in run.stdout
    assert "column 'Tr_Size': 52 of 105 values missing" in run.stdout
    listed = subprocess.run([sys.executable, "-m", "hccdash", "cohorts", "--json"], capture_output=True, text=True,
                            env=env, cwd=PROJECT_DIR)
    assert [(c["name"], c["patients"], c["events"]) for c in json.loads(listed.stdout)] == [("tace", 105, 45)]
