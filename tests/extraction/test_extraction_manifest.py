"""Hostile manifests and parameter files: ``extract`` refuses them naming file and row / key / value,
exits non-zero, and leaves the store as it was."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk
import yaml

from hccdash.cli import main
from hccdash.extraction import ingest
from hccdash.extraction.case import CaseResult
from hccdash.cohort.manifest import read_manifest as read_cohort_manifest
from hccdash.extraction.manifest import manifest_images
from hccdash.extraction.params import ExtractionSpec
from hccdash.store import Store

from extraction_helpers import TINY_PARAMS

PROJECT = Path(__file__).resolve().parents[2]
SNAPSHOT = {
    "cases": "SELECT * EXCLUDE (computed_at) FROM cases ORDER BY case_key",
    "features": "SELECT * FROM features ORDER BY case_key, feature",
    "settings": "SELECT settings_hash FROM extraction_settings ORDER BY 1",
}


def _snapshot() -> dict[str, pd.DataFrame]:
    store = Store()
    return {name: store.query(sql) for name, sql in SNAPSHOT.items()}


@pytest.fixture
def files(pyrad_data, tmp_path):
    """A store holding one case, a good parameter file, an image and a mask under tmp_path/img."""
    spec = ExtractionSpec.from_dict({"params": TINY_PARAMS})
    done = CaseResult("k" * 64, "i" * 64, "m" * 64, 1, spec.settings_hash, "v", "done", features={"f": 1.5})
    ingest.ingest_results(Store(), [done], spec)
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "i.nrrd").write_bytes((pyrad_data / "breast1_image.nrrd").read_bytes())
    (tmp_path / "img" / "m.nrrd").write_bytes((pyrad_data / "breast1_label.nrrd").read_bytes())
    (tmp_path / "img" / "not_dicom").mkdir()
    (tmp_path / "img" / "not_dicom" / "a.txt").write_text("not DICOM")
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump(TINY_PARAMS))
    return tmp_path, params


GOOD = "patient_id,phase,image,mask\nA,portal,img/i.nrrd,img/m.nrrd\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("patient_id,phase,image\nA,portal,img/i.nrrd\n",
         ": manifest column(s) ['mask'] missing in the header (row 1); found ['patient_id', 'phase', 'image']"),
        ("patient_id,phase,image,mask,lable\nA,portal,img/i.nrrd,img/m.nrrd,2\n", ": unknown manifest column(s) ['lable']"),
        ("Patient_ID, Phase ,IMAGE,mask,notes\nA,portal,img/i.nrrd,img/m.nrrd,x\n", ": unknown manifest column(s) ['notes']"),
        ("patient_id,phase,image,mask,image\nA,portal,img/i.nrrd,img/m.nrrd,x\n",
         ": column name(s) ['image'] occur more than once in the header (row 1)"),
        ("", ": the file is empty"),
        ("\n  \n", ": the file is empty"),
        ("patient_id,phase,image,mask\n", ": the table has no data rows (only a header in row 1)"),
        (GOOD + "B,portal,img/i.nrrd,img/m.nrrd,extra\n", ", row 3: 5 cells but the header (row 1) names 4 columns"),
        ("patient_id,phase,image,mask,label\nA,portal,img/i.nrrd,img/m.nrrd,0\n",
         ", row 2, column 'label': a mask label is a whole number above 0, got '0'"),
        ("patient_id,phase,image,mask,label\nA,portal,img/i.nrrd,img/m.nrrd,1.5\n",
         ", row 2, column 'label': a mask label is a whole number above 0, got '1.5'"),
        (GOOD + "\nA,portal,img/i.nrrd,img/m.nrrd\n", ": duplicate (patient_id, phase, reader) in row(s) [2, 4]"),
        (GOOD + "B,portal,img/nope.nrrd,img/m.nrrd\n", ": image file(s) not found: row 3: '{tmp}/img/nope.nrrd'"),
        (GOOD + "B,portal,img/i.nrrd,\n", ": mask file(s) not found: row 3: ''"),
        (GOOD + "B,portal,img/not_dicom,img/m.nrrd\n", ": image folder(s) that hold no DICOM series: row 3: '{tmp}/img/not_dicom'"),
        (GOOD + "B,arterial.late,img/i.nrrd,img/m.nrrd\n", ": phase names may not contain '.' in row(s) [3]"),
        (GOOD + " ,portal,img/i.nrrd,img/m.nrrd\n", ": column 'patient_id' is empty in row(s) [3]"),
        (b"patient_id,phase,image,mask\n\xff\xfeA,portal,i,m\n", ": image file(s) not found: row 2: '{tmp}/i'"),  # Latin-1
        ('patient_id,phase,image,mask\n"' + "x" * 200_000, ": column 'phase' is empty in row(s) [2]"),
    ],
)
def test_bad_manifest_is_refused_and_the_store_kept(files, capsys, content, message):
    tmp, params = files
    before = _snapshot()
    manifest = tmp / "m.csv"
    manifest.write_bytes(content if isinstance(content, bytes) else content.encode())
    code = main(["extract", "--manifest", str(manifest), "--params", str(params), "--out", str(tmp / "o.csv")])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {manifest}{message.format(tmp=tmp)}")
    assert not (tmp / "o.csv").exists()
    for name, frame in _snapshot().items():
        pd.testing.assert_frame_equal(frame, before[name])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("setting: [1, 2\n", "is not valid YAML (line 2, column 1): expected ',' or ']'"),
        ("- binWidth: 25\n", "must hold a mapping at the top level, got list"),
        ("setting:\n  binwidth: 25\n", "Unknown key 'setting.binwidth'; allowed keys here: ['additionalInfo'"),
        ('setting:\n  binWidth: "abc"\n', "setting.binWidth must be of type float, got 'abc'"),
        ('setting:\n  binWidth: "25"\n', "setting.binWidth must be a number, got the text '25': write it without quotes"),
        ("setting:\n  geometryTolerance: 1e-6\n", "setting.geometryTolerance must be a number, got the text '1e-6'"),
        ("setting:\n  binWidth: -5\n", "setting.binWidth = -5 is out of range: must be > 0"),
        ("setting:\n  binWidth: .inf\n", "setting.binWidth must be a finite number, got inf"),
        ("imageType:\n  Wavelets: {}\n", "imageType: Image Type Wavelets is not recognized"),
        ("featureClass:\n  texture: []\n", "featureClass: Feature Class texture is not recognized"),
        ("setting:\n  resampledPixelSpacing: [1, 1, 500]\n",
         "setting.resampledPixelSpacing[2] = 500 is out of range: give 0 (keep the image's spacing) or 0.25 to 10 mm"),
        ("setting:\n  resampledPixelSpacing: [0.01, 0.01, 0]\n", "setting.resampledPixelSpacing[0] = 0.01 is out of range"),
        (b"setting:\n  binWidth: \xff\n", "is not a YAML text file (not UTF-8 at byte 21)"),
    ],
)
def test_bad_parameter_file_is_refused_and_the_store_kept(files, capsys, content, message):
    tmp, _ = files
    before = _snapshot()
    (tmp / "m.csv").write_text(GOOD)
    params = tmp / "bad.yaml"
    params.write_bytes(content if isinstance(content, bytes) else content.encode())
    code = main(["extract", "--manifest", str(tmp / "m.csv"), "--params", str(params), "--out", str(tmp / "o.csv")])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {params}") and message in err
    for name, frame in _snapshot().items():
        pd.testing.assert_frame_equal(frame, before[name])


def test_relative_paths_are_relative_to_the_manifest_folder(files, monkeypatch):
    tmp, _ = files
    (tmp / "lists").mkdir()
    manifest = tmp / "lists" / "m.csv"
    manifest.write_text("patient_id,phase,image,mask\nA,portal,../img/i.nrrd,../img/m.nrrd\n")
    monkeypatch.chdir(tmp / "img")  # the working directory plays no part
    assert manifest_images(manifest)["image_path"].tolist() == [str((tmp / "img" / "i.nrrd").resolve())]
    manifest.write_text("patient_id,phase,image,mask\nA,portal,i.nrrd,m.nrrd\n")  # relative to the working directory
    with pytest.raises(ValueError, match=r"image file\(s\) not found: row 2: '.*/lists/i.nrrd'"):
        manifest_images(manifest)


def test_blank_label_and_reader_cells_take_the_defaults(files):
    tmp, _ = files
    manifest = tmp / "m.csv"
    manifest.write_text("patient_id,phase,image,mask,reader,label\nA,portal,img/i.nrrd,img/m.nrrd,,\n"
                        " B , portal , img/i.nrrd , img/m.nrrd ,2, 07\n")
    frame = manifest_images(manifest, default_label=3)
    assert frame[["patient_id", "phase", "reader", "label"]].values.tolist() == [["A", "portal", "1", 3], ["B", "portal", "2", 7]]


def test_out_folder_is_refused_before_extraction(files, capsys):
    tmp, params = files
    (tmp / "m.csv").write_text(GOOD)
    code = main(["extract", "--manifest", str(tmp / "m.csv"), "--params", str(params), "--out", str(tmp / "img")])
    assert code == 2
    assert f"--out {tmp / 'img'} is a folder" in capsys.readouterr().err


def test_the_command_line_itself(files):
    """``python -m hccdash extract`` as a user runs it: exit codes and messages on stderr."""
    tmp, params = files
    before = _snapshot()
    manifest = tmp / "m.csv"

    def extract(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "hccdash", "extract", "--manifest", str(manifest), *args,
                               "--out", str(tmp / "o.csv")], cwd=PROJECT, env=os.environ, capture_output=True, text=True)

    manifest.write_text(GOOD.replace("image,mask", "image,mask,Notes").replace(".nrrd\n", ".nrrd,x\n"))
    run = extract("--params", str(params))
    assert (run.returncode, run.stderr.strip()) == (2, f"error: {manifest}: unknown manifest column(s) ['Notes'] in "
            "the header (row 1); allowed: patient_id, phase, image, mask, reader, label, roi. Remove them: a misspelt "
            "'reader', 'label' or 'roi' column would otherwise be ignored")
    manifest.write_text(GOOD)
    (tmp / "bad.yaml").write_text("setting:\n  binWidth: abc\n")
    run = extract("--params", str(tmp / "bad.yaml"))
    expected = f"error: {tmp / 'bad.yaml'}: setting.binWidth must be of type float, got 'abc'"
    assert (run.returncode, run.stderr.strip()) == (2, expected)
    for name, frame in _snapshot().items():
        pd.testing.assert_frame_equal(frame, before[name])
    manifest.write_text(GOOD.replace("img/m.nrrd", "img/i.nrrd"))  # the image as its own mask: no voxel of label 1
    run = extract("--params", str(params))
    assert run.returncode == 1
    image = (tmp / "img" / "i.nrrd").resolve()
    assert f"failed: A portal reader 1: The mask {image} has no voxel with label 1: its labels are 6 (" in run.stderr
    assert "more (is it a mask?)" in run.stderr


def test_a_dicom_series_folder_is_accepted(files):
    tmp, _ = files
    series = tmp / "img" / "series"
    series.mkdir()
    (series / "notes.txt").write_text("scanner notes beside the slices")
    slice_ = sitk.GetImageFromArray(np.arange(64, dtype=np.int16).reshape(8, 8))
    sitk.WriteImage(slice_, str(series / "slice1.dcm"))
    manifest = tmp / "m.csv"
    manifest.write_text("patient_id,phase,image,mask\nA,portal,img/series,img/m.nrrd\n")
    assert manifest_images(manifest)["image_path"].tolist() == [str(series.resolve())]
    (series / "slice1.dcm").unlink()
    with pytest.raises(ValueError, match=r"image folder\(s\) that hold no DICOM series: row 2: '.*/img/series'"):
        manifest_images(manifest)


def test_extract_and_import_read_a_manifest_alike(files):
    """One manifest reader: an XLSX manifest extracts as the import reads it, and a misspelt column is
    refused by both (the import used to read 'readr' as no reader column: every row reader 1)."""
    tmp, _ = files
    table = pd.DataFrame({"patient_id": ["A", "B"], "phase": ["portal"] * 2, "image": ["img/i.nrrd"] * 2,
                          "mask": ["img/m.nrrd"] * 2, "reader": ["1", "2"], "label": [None, 3]})
    table.to_excel(tmp / "m.xlsx", index=False)
    images = manifest_images(tmp / "m.xlsx")
    entries = read_cohort_manifest(tmp / "m.xlsx")
    assert images[["patient_id", "reader", "label"]].values.tolist() == [["A", "1", 1], ["B", "2", 3]]
    assert images["image_path"].tolist() == entries["image"].tolist() == [str((tmp / "img" / "i.nrrd").resolve())] * 2
    table.rename(columns={"reader": "readr"}).to_csv(tmp / "misspelt.csv", index=False)
    for read in (manifest_images, read_cohort_manifest):
        with pytest.raises(ValueError, match=r"misspelt.csv: unknown manifest column\(s\) \['readr'\]"):
            read(tmp / "misspelt.csv")
