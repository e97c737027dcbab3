"""``python -m hccdash import`` and ``cohorts``: reports, exit codes, JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest
from cohort_data import dump, write_file

from hccdash.cli import main
from hccdash.cohort import load_cohort, read_table
from hccdash.paths import PROJECT_DIR
from hccdash.store import Store

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


def test_too_small_cohort_is_refused_with_a_report_not_a_crash(tmp_path, capsys):
    store = Store()
    path = write_file(tmp_path, "one.csv", b"id,t,e\nA,1,1\n")
    before = dump(store)
    code = main(["import", "--clinical", path, "--name", "one", "--id-col", "id", "--time-col", "t",
                 "--time-unit", "months", "--event-col", "e", "--event-values", "1,0"])
    out = capsys.readouterr().out
    assert code == 1
    assert "split_too_small" in out and "1 patient(s) cannot be split with train fraction 0.7" in out
    assert dump(store) == before


def _cli_import(path: str, *extra: str) -> int:
    return main(["import", "--clinical", path, "--name", "c", "--id-col", "id", "--time-col", "t",
                 "--time-unit", "months", "--event-col", "e", "--event-values", "1,0", *extra])


def test_bad_import_options_are_named(tmp_path, capsys):
    store = Store()
    path = write_file(tmp_path, "c.csv", b"id,t,e,centre\n" + b"".join(b"P%d,%d,%d,A\n" % (i, i + 1, i % 2) for i in range(20)))
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
    path = write_file(tmp_path, "c.csv", b"id,t,e\nA,1,1\nB,2,0\n")
    assert _cli_import(path, "--manifest", str(tmp_path)) == 2
    assert f"{tmp_path} is a folder" in capsys.readouterr().err


def test_a_numeric_status_column_is_refused_until_coded(tmp_path, capsys):
    path = write_file(tmp_path, "r.csv", b"id,t,status\n" + b"".join(b"P%d,%d,%d\n" % (i, i + 1, 1 + i % 2) for i in range(20)))
    code = main(["import", "--clinical", path, "--name", "r", "--id-col", "id", "--time-col", "t",
                 "--time-unit", "months", "--event-col", "status"])
    assert code == 1
    assert "cannot tell which codes mean event and censored (values: 1, 2)" in capsys.readouterr().out


def test_decimal_comma_times_are_refused_with_the_fix_named(tmp_path, capsys):
    # comma-separated: a quoted "1,5" is ambiguous (1.5 or 15), so it is refused with the fix named
    path = write_file(tmp_path, "us.csv", b"id,t,e\n" + b"".join(b'P%d,"%d,5",%d\n' % (i, i + 1, i % 2) for i in range(6)))
    assert _cli_import(path, "--split", "none") == 1
    out = capsys.readouterr().out
    assert "us.csv, row 2, column 't', value '1,5', patient 'P0': time is not a number (decimal comma; write 1.5)" in out
