"""Damaged and strange files at extraction: a cut-short image fails its case naming the file (no
silently zero-filled features); FIFOs, devices and link loops in a manifest are refused, never read."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk
import yaml

from hccdash.cli import main
from hccdash.store import Store

from extraction_helpers import TINY_PARAMS


pytestmark = pytest.mark.usefixtures("no_hang")


@pytest.fixture
def case_files(pyrad_data, tmp_path):
    """A good image and mask as .nii.gz and .nii, and a parameter file."""
    image = sitk.ReadImage(str(pyrad_data / "breast1_image.nrrd"))
    mask = sitk.ReadImage(str(pyrad_data / "breast1_label.nrrd"))
    for suffix in (".nii.gz", ".nii"):
        sitk.WriteImage(image, str(tmp_path / f"image{suffix}"))
        sitk.WriteImage(mask, str(tmp_path / f"mask{suffix}"))
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump(TINY_PARAMS))
    return tmp_path, params


def _extract(tmp_path, params, rows: list[tuple[str, str, str]]) -> int:
    manifest = tmp_path / "m.csv"
    pd.DataFrame(rows, columns=["patient_id", "image", "mask"]).assign(phase="portal").to_csv(manifest, index=False)
    return main(["extract", "--manifest", str(manifest), "--params", str(params), "--out", str(tmp_path / "o.csv")])


@pytest.mark.parametrize("suffix", [".nii.gz", ".nii"])
def test_a_cut_short_image_fails_its_case_naming_the_file(case_files, capsys, suffix):
    tmp_path, params = case_files
    cut = tmp_path / f"cut{suffix}"
    data = (tmp_path / f"image{suffix}").read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    assert sitk.GetArrayFromImage(sitk.ReadImage(str(cut))).shape  # SimpleITK reads it, zero-filled
    assert _extract(tmp_path, params, [("GOOD", f"image{suffix}", f"mask{suffix}"), ("CUT", cut.name, f"mask{suffix}")]) == 1
    err = capsys.readouterr().err
    assert f"failed: CUT portal reader 1: The image {cut} is incomplete (cut short?): " in err
    table = pd.read_csv(tmp_path / "o.csv")
    assert table["patient_id"].tolist() == ["GOOD"]  # no features for the cut image
    stored = Store().query("SELECT status, count(*) AS n FROM cases GROUP BY status ORDER BY status")
    assert stored.values.tolist() == [["done", 1], ["failed", 1]]


def test_a_truncated_stored_image_fails_at_extraction_even_if_it_was_whole_at_import(case_files, capsys):
    """The check runs where the voxels are read, not only where the manifest is read."""
    tmp_path, params = case_files
    assert _extract(tmp_path, params, [("A", "image.nii", "mask.nii")]) == 0
    capsys.readouterr()
    image = tmp_path / "image.nii"
    image.write_bytes(image.read_bytes()[:-1000])  # cut after listing: a new hash, a new case
    assert _extract(tmp_path, params, [("A", "image.nii", "mask.nii")]) == 1
    assert f"The image {image} is incomplete (cut short?)" in capsys.readouterr().err


def test_fifos_devices_and_link_loops_in_a_manifest_are_refused_naming_row_and_file(case_files, strange_files, capsys):
    tmp_path, params = case_files
    before = Store().query("SELECT count(*) AS n FROM cases")["n"].iloc[0]
    rows = [("A", "image.nii.gz", "mask.nii.gz"), ("B", "pipe.nii.gz", "mask.nii.gz"),
            ("C", "image.nii.gz", "zero.nii.gz"), ("D", "loop.nii.gz", "mask.nii.gz")]
    assert _extract(tmp_path, params, rows) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {tmp_path / 'm.csv'}: image / mask path(s) that are neither a regular file nor a folder")
    assert f"row 3: {tmp_path / 'pipe.nii.gz'} is a named pipe (FIFO)" in err
    assert f"row 4: {tmp_path / 'zero.nii.gz'} is a character device (it leads to /dev/zero)" in err
    assert f"row 5: {tmp_path / 'loop.nii.gz'} is a symbolic link loop" in err
    assert "Traceback" not in err and not (tmp_path / "o.csv").exists()
    assert Store().query("SELECT count(*) AS n FROM cases")["n"].iloc[0] == before


def test_a_gzip_bomb_within_the_manifest_fails_its_case_unread(case_files, capsys):
    """The voxel limit also holds at extraction (the setting's default: 512 x 512 x 1000)."""
    tmp_path, params = case_files
    header = bytearray((tmp_path / "image.nii").read_bytes()[:352])
    header[40:56] = np.array([3, 2048, 2048, 2048, 1, 1, 1, 1], "<i2").tobytes()
    import gzip

    (tmp_path / "bomb.nii.gz").write_bytes(gzip.compress(bytes(header) + bytes(1 << 20)))
    assert _extract(tmp_path, params, [("A", "bomb.nii.gz", "mask.nii.gz")]) == 1
    assert (f"The image {tmp_path / 'bomb.nii.gz'} declares 2048 x 2048 x 2048 = 8,589,934,592 voxels, more than "
            "the limit of 262,144,000") in capsys.readouterr().err
