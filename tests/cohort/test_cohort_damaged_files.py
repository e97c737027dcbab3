"""Damaged and strange image files at import: cut-short NIfTI and DICOM, broken gzip streams, FIFOs,
devices, link loops and images declaring more voxels than the limit are refused naming the file."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk
from cohort_data import cube_mask, make_cohort, write_ct_series, write_volume

from hccdash.cohort import import_cohort, load_cohort
from hccdash.cohort.images import check_images, read_image
from hccdash.cohort.integrity import ImageFileError, check_image_file
from hccdash.cohort.manifest import read_manifest
from hccdash.settings import CohortSettings

PROJECT = Path(__file__).resolve().parents[2]


pytestmark = pytest.mark.usefixtures("no_hang")


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    return make_cohort(tmp_path_factory.mktemp("damaged"), n=4, repeat=0)


def _cut(path: Path, keep: float = 0.5) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def _problems(cohort, change) -> tuple[pd.DataFrame, list]:
    entries = read_manifest(cohort["manifest"])
    entries = change(entries.copy())
    return check_images(entries, pd.read_csv(cohort["clinical"], dtype=str)["patient_id"])


@pytest.mark.parametrize("suffix", [".nii.gz", ".nii"])
@pytest.mark.parametrize("column", ["image", "mask"])
def test_a_cut_short_nifti_is_refused_naming_the_file(cohort, tmp_path, suffix, column):
    volume = np.random.default_rng(1).integers(0, 2 if column == "mask" else 1000, (16, 32, 32)).astype(np.int16)
    path = _cut(write_volume(tmp_path / f"cut{suffix}", volume))
    read = sitk.GetArrayFromImage(sitk.ReadImage(str(path)))  # SimpleITK itself reads it, zeros for the rest
    assert read.shape == volume.shape and (read[-1] == 0).all() and not (volume[-1] == 0).all()
    images, problems = _problems(cohort, lambda e: e.assign(**{column: e[column].where(e.index > 0, str(path))}))
    bad = [p for p in problems if p.check == "unreadable_file"]
    assert [(p.row, p.column, p.value) for p in bad] == [(2, column, str(path))]
    assert f"{path} is incomplete (cut short?)" in bad[0].message
    assert len(images) == 7  # the row is skipped, the others kept


def test_a_cut_short_nifti_says_what_its_header_declares(tmp_path):
    path = _cut(write_volume(tmp_path / "a.nii", np.ones((4, 8, 8), np.int16)), keep=0.9)
    with pytest.raises(ImageFileError, match=r"a.nii is incomplete \(cut short\?\): its header declares 8 x 8 x 4 "
                       r"voxels of 2 byte\(s\), 864 bytes with the header, but the file has 777; copy it again"):
        read_image(path)


def test_a_damaged_gzip_stream_is_refused(tmp_path):
    path = write_volume(tmp_path / "a.nii.gz", np.random.default_rng(0).normal(0, 50, (4, 8, 8)).astype(np.int16))
    data = bytearray(path.read_bytes())
    data[-6] ^= 0xFF  # a byte of the CRC: SimpleITK reads the file as if nothing were wrong
    path.write_bytes(bytes(data))
    with pytest.raises(ImageFileError, match=r"a.nii.gz is damaged: its gzip stream fails its check"):
        read_image(path)


def test_a_cut_short_dicom_slice_is_refused_naming_the_slice(cohort, tmp_path):
    write_ct_series(tmp_path / "series", np.full((4, 8, 8), 40))
    _cut(tmp_path / "series" / "slice002.dcm", keep=0.97)  # inside the pixel data
    mask = write_volume(tmp_path / "mask.nii.gz", cube_mask())
    images, problems = _problems(
        cohort, lambda e: e.assign(image=e["image"].where(e.index > 0, str(tmp_path / "series")),
                                   mask=e["mask"].where(e.index > 0, str(mask))))
    bad = next(p for p in problems if p.check == "unreadable_file")
    assert (bad.row, bad.column, bad.value) == (2, "image", str(tmp_path / "series"))
    assert f"{tmp_path / 'series' / 'slice002.dcm'} is incomplete (cut short?): its pixel data holds" in bad.message
    assert "8 x 8 x 1 frame(s) x 1 sample(s) x 16 bits need 128" in bad.message


def test_fifos_devices_and_link_loops_in_a_manifest_are_named_not_read(cohort, strange_files, store):
    strange = {2: ("image", strange_files["fifo"]), 3: ("mask", strange_files["zero"]), 4: ("image", strange_files["loop"])}
    table = pd.read_csv(cohort["manifest"], dtype=str)
    for row, (column, path) in strange.items():
        table.loc[row - 2, column] = str(path)
    manifest = cohort["folder"] / "strange.csv"
    table.to_csv(manifest, index=False)
    result = import_cohort("strange", cohort["clinical"], images=manifest, store=store)
    assert result.status == "imported" and result.n_images == len(table) - 3
    found = {p.row: (p.column, p.value, p.message) for p in result.report.problems if p.check == "unreadable_file"}
    assert {row: found[row][:2] for row in found} == {row: (c, str(p)) for row, (c, p) in strange.items()}
    assert "is a named pipe (FIFO)" in found[2][2]
    assert "is a character device (it leads to /dev/zero)" in found[3][2]
    assert "is a symbolic link loop" in found[4][2]
    assert len(load_cohort("strange", store).images) == len(table) - 3


def test_a_fifo_inside_a_dicom_folder_is_named(tmp_path):
    write_ct_series(tmp_path / "series", np.full((3, 8, 8), 40))
    os.mkfifo(tmp_path / "series" / "slice999.dcm")
    with pytest.raises(ImageFileError, match=r"series/slice999.dcm is a named pipe"):
        read_image(tmp_path / "series")


def _bomb(path: Path, dims: tuple[int, int, int], zeros_mib: int) -> Path:
    """A NIfTI whose header declares ``dims`` int16 voxels, followed by ``zeros_mib`` MiB of zeros, gzipped."""
    small = path.with_name("small.nii")
    sitk.WriteImage(sitk.Image([4, 4, 4], sitk.sitkInt16), str(small))
    header = bytearray(small.read_bytes()[:352])
    struct.pack_into("<8h", header, 40, 3, *dims, 1, 1, 1, 1)
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [deflate.compress(bytes(header))] + [deflate.compress(bytes(1 << 20)) for _ in range(zeros_mib)]
    path.write_bytes(b"".join([*parts, deflate.flush()]))
    return path


def test_an_image_declaring_more_voxels_than_the_limit_is_refused_before_decompression(tmp_path):
    """A 264 KB file declaring 1024 x 1024 x 1100 int16 voxels: SimpleITK took 2.7 GB reading it."""
    bomb = _bomb(tmp_path / "bomb.nii.gz", (1024, 1024, 1100), zeros_mib=256)
    assert bomb.stat().st_size < 300_000
    script = ("import resource, sys\nfrom hccdash.cohort.images import read_image\n"
              "try:\n    read_image(sys.argv[1])\nexcept ValueError as exc:\n    print(exc)\n"
              "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)\n")
    run = subprocess.run([sys.executable, "-c", script, str(bomb)], capture_output=True, text=True, cwd=PROJECT,
                         env=os.environ, timeout=300)
    message, peak_mib = run.stdout.strip().splitlines()
    assert message == (f"{bomb} declares 1024 x 1024 x 1100 = 1,153,433,600 voxels, more than the limit of "
                       "262,144,000 (setting cohort.max_voxels, sized for this machine's memory); crop or resample "
                       "the image, or raise the limit on a machine with more memory")
    assert int(peak_mib) < 1000, run.stdout


def test_the_voxel_limit_is_a_setting_for_every_format(cohort, tmp_path):
    nrrd = tmp_path / "a.nrrd"
    sitk.WriteImage(sitk.Image([8, 8, 4], sitk.sitkInt16), str(nrrd))
    with pytest.raises(ImageFileError, match=r"a.nrrd declares 8 x 8 x 4 = 256 voxels, more than the limit of 255"):
        read_image(nrrd, max_voxels=255)
    assert read_image(nrrd, max_voxels=256).GetSize() == (8, 8, 4)
    write_ct_series(tmp_path / "series", np.full((3, 8, 8), 40))
    with pytest.raises(ImageFileError, match=r"series is a DICOM folder of more than 191 voxels"):
        check_image_file(tmp_path / "series", max_voxels=191)
    check_image_file(tmp_path / "series", max_voxels=192)
    # the cohort setting reaches the import's checks: 8 x 8 x 4 voxels per image here
    images, problems = check_images(read_manifest(cohort["manifest"]),
                                    pd.read_csv(cohort["clinical"], dtype=str)["patient_id"],
                                    settings=CohortSettings(max_voxels=255))
    assert images.empty and {p.check for p in problems if p.column == "image"} == {"unreadable_file"}
    with pytest.raises(ValueError, match=r"Setting cohort.max_voxels must be a whole number >= 1"):
        from hccdash.settings import Settings

        Settings.from_dict({"cohort": {"max_voxels": 0}})
