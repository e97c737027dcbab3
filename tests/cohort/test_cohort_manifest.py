"""Hostile manifests (second audit): files outside the folder, folders, conflicting duplicate rows,
phase names with slashes, blanks or two spellings; a refused import leaves the store untouched."""

from __future__ import annotations

import pandas as pd
import pytest
from cohort_data import dump, make_cohort

from hccdash.cli import main
from hccdash.cohort.images import check_images
from hccdash.cohort.manifest import read_manifest


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    return make_cohort(tmp_path_factory.mktemp("hostile_manifest"), n=8, repeat=0)


def _manifest(cohort, name: str, change) -> str:
    frame = pd.read_csv(cohort["manifest"], dtype=str)
    frame = change(frame)
    path = cohort["folder"] / name
    frame.to_csv(path, index=False)
    return str(path)


def _checked(cohort, name: str, change):
    entries = read_manifest(_manifest(cohort, name, change))
    ids = pd.read_csv(cohort["clinical"], dtype=str)["patient_id"]
    return check_images(entries, ids)


def _import(cohort, manifest: str, name: str = "c") -> int:
    return main(["import", "--clinical", str(cohort["clinical"]), "--name", name, "--id-col", "patient_id",
                 "--time-col", "rfs_months", "--time-unit", "months", "--event-col", "recurrence",
                 "--manifest", manifest, "--replace"])


def test_unreadable_mask_or_folder_is_named_in_the_mask_column(cohort, tmp_path):
    garbage = tmp_path / "garbage.nii.gz"
    garbage.write_bytes(b"not an image")

    def change(frame):
        frame.loc[0, "mask"] = str(garbage)  # outside the manifest's folder, unreadable
        frame.loc[1, "mask"] = "images"  # a folder without a DICOM series
        frame.loc[2, "image"] = str(garbage)
        return frame

    _, problems = _checked(cohort, "m_unreadable.csv", change)
    found = {(p.row, p.column, p.value) for p in problems if p.check == "unreadable_file"}
    assert found == {(2, "mask", str(garbage)), (3, "mask", str(cohort["folder"] / "images")), (4, "image", str(garbage))}
    for p in problems:
        assert "sitk::ERROR" not in p.message and ".cxx" not in p.message
    folder = next(p for p in problems if p.row == 3)
    assert folder.message == f"cannot read the mask: {cohort['folder'] / 'images'}: no DICOM series in this folder"


def test_duplicate_rows_with_different_files_refuse_the_import(cohort, capsys):
    def change(frame):
        repeat = frame.iloc[[0]].assign(mask=frame.loc[2, "mask"])  # P001 arterial with P002's mask
        return pd.concat([frame, repeat, frame.iloc[[1]]], ignore_index=True)  # and an exact repeat of row 3

    images, problems = _checked(cohort, "m_dup.csv", change)
    errors = {(p.check, p.row) for p in problems if p.severity == "error"}
    last = len(pd.read_csv(cohort["manifest"])) + 2
    assert errors == {("duplicate_image", 2), ("duplicate_image", last)}
    assert "rows 2, 18 give different files for phase 'arterial', reader '1'" in problems[0].message
    repeat = next(p for p in problems if p.severity == "warning" and p.check == "duplicate_image")
    assert repeat.row == last + 1 and len(images) == 15


def test_phase_names_with_slash_blank_or_two_spellings_are_errors(cohort):
    def change(frame):
        frame.loc[0, "phase"] = "art/v2"
        frame.loc[1, "phase"] = "portal venous"
        frame.loc[2, "phase"] = "Arterial"
        frame.loc[3, "phase"] = "portal_venous-2"  # allowed
        return frame

    images, problems = _checked(cohort, "m_phase.csv", change)
    errors = {(p.check, p.row, p.value) for p in problems if p.severity == "error"}
    assert {("bad_phase", 2, "art/v2"), ("bad_phase", 3, "portal venous"), ("phase_spelling", 4, "Arterial")} <= errors
    assert {p.check for p in problems if p.severity == "error"} == {"bad_phase", "phase_spelling"}
    spelling = next(p for p in problems if p.check == "phase_spelling" and p.value == "Arterial")
    assert "phases 'Arterial' and 'arterial' differ only in upper / lower case or blanks (rows 4)" in spelling.message
    assert "portal_venous-2" in set(images["phase"])


def test_manifest_id_in_another_case_points_at_the_table_id(cohort):
    _, problems = _checked(cohort, "m_case.csv", lambda f: f.assign(patient_id=f["patient_id"].where(f.index > 0, "p001")))
    stranger = next(p for p in problems if p.check == "image_without_patient")
    assert stranger.row == 2 and "(the table has 'P001': ids differ in upper / lower case or blanks)" in stranger.message


def test_refused_manifest_leaves_the_stored_cohort_untouched(cohort, store, capsys):
    assert _import(cohort, str(cohort["manifest"])) == 0
    before = dump(store)
    bad = _manifest(cohort, "m_bad.csv", lambda f: f.assign(phase=f["phase"].where(f.index > 0, "a.b")))
    assert _import(cohort, bad) == 1
    assert "bad_phase: m_bad.csv, row 2, column 'phase', value 'a.b'" in capsys.readouterr().out
    assert dump(store) == before


def test_a_path_too_long_to_look_up_is_a_missing_file_not_a_crash(cohort):
    long = "x" * 5000 + ".nii.gz"  # the system refuses to look it up (ENAMETOOLONG)
    _, problems = _checked(cohort, "m_long.csv", lambda f: f.assign(mask=f["mask"].where(f.index > 0, long)))
    missing = next(p for p in problems if p.check == "missing_file")
    assert (missing.row, missing.column, missing.message) == (2, "mask", "mask file not found")
