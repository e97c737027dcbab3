"""The synthetic sample cohort (``python -m hccdash.sample``): reproducible from its seed,
bit-for-bit images, consistent tables, and a truth that a model can find."""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk
from scipy.spatial import ConvexHull
from scipy.spatial.distance import pdist
from scipy.stats import spearmanr

from hccdash import paths
from hccdash.sample import build as sample
from hccdash.sample.cohort import CLINICAL_COLUMNS, build_cohort
from hccdash.sample.images import render_patient
from hccdash.sample.patients import PHASES
from hccdash.sample.tumour import grid_for, mask

SEED = sample.DEFAULT_SEED
COMMITTED = paths.SAMPLE_DIR


def harrell_c(time: np.ndarray, event: np.ndarray, risk: np.ndarray) -> float:
    """Plain Harrell C (higher risk = earlier event; tied risks count 1/2)."""
    num = den = 0.0
    for i in np.flatnonzero(event == 1):
        later = (time > time[i]) | ((time == time[i]) & (event == 0))
        den += later.sum()
        num += (risk[i] > risk[later]).sum() + 0.5 * (risk[i] == risk[later]).sum()
    return num / den


@pytest.fixture(scope="module")
def cohort():
    return build_cohort(SEED)


@pytest.fixture(scope="module")
def chosen(cohort) -> list[str]:
    """A repeat patient, a Centre B patient and the smallest tumour."""
    smallest = cohort.clinical.sort_values("tumour_diameter_mm")["patient_id"].iloc[0]
    return sorted({cohort.repeat_ids[0], "HCC101", smallest})


@pytest.fixture(scope="module")
def generated(cohort, chosen, tmp_path_factory):
    """The chosen patients' files, written to a temporary folder."""
    out = tmp_path_factory.mktemp("sample")
    for patient in cohort.patients:
        if patient.patient_id in chosen:
            sample.write_patient_images(cohort, patient, out)
    return out


def _csv(frame: pd.DataFrame) -> str:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue()


def test_committed_tables_are_reproduced_from_the_seed(cohort):
    assert _csv(cohort.clinical) == (COMMITTED / sample.CLINICAL_FILE).read_text()
    assert _csv(sample.manifest(cohort)) == (COMMITTED / sample.MANIFEST_FILE).read_text()
    assert sample.truth_markdown(cohort) == (COMMITTED / sample.TRUTH_FILE).read_text()


def test_another_seed_gives_another_cohort(cohort):
    other = build_cohort(SEED + 1)
    assert _csv(other.clinical) != _csv(cohort.clinical)
    assert other.repeat_ids != cohort.repeat_ids


def test_images_match_the_committed_hashes(cohort, chosen, generated):
    """Rebuilt on this machine, the files are byte-identical to the recorded ones."""
    committed = sample.read_hashes(COMMITTED / sample.HASH_FILE)
    files = sorted(p.relative_to(generated).as_posix() for p in generated.rglob("*.nii.gz"))
    repeats = sum(pid in cohort.repeat_ids for pid in chosen)
    assert len(files) == 3 * (2 * len(chosen) + repeats)  # image + mask(s) per phase
    for name in files:
        assert sample.sha256_file(generated / name) == committed[name], name


def test_same_seed_same_bytes_other_seed_other_bytes(cohort, chosen, generated, tmp_path):
    patient = next(p for p in cohort.patients if p.patient_id == chosen[0])
    again = sample.write_patient_images(cohort, patient, tmp_path / "again")
    for name in again:
        assert sample.sha256_file(tmp_path / "again" / name) == sample.sha256_file(generated / name)
    other = build_cohort(SEED + 1)
    changed = sample.write_patient_images(other, other.patients[patient.index], tmp_path / "other")
    for name in changed:
        assert sample.sha256_file(tmp_path / "other" / name) != sample.sha256_file(generated / name)


def test_geometry_labels_and_margins(cohort, chosen, generated):
    manifest = pd.read_csv(COMMITTED / sample.MANIFEST_FILE, dtype=str)
    rows = manifest[manifest["patient_id"].isin(chosen)]
    assert set(rows["reader"]) == {"1", "2"}
    for row in rows.itertuples():
        image = sitk.ReadImage(str(generated / row.image))
        roi = sitk.ReadImage(str(generated / row.mask))
        assert image.GetPixelID() == sitk.sitkInt16
        for attribute in ("GetSize", "GetSpacing", "GetOrigin", "GetDirection"):
            assert getattr(image, attribute)() == getattr(roi, attribute)(), (row.mask, attribute)
        sx, sy, sz = image.GetSpacing()
        assert sx == sy < 1.0 and sz == 5.0
        assert min(image.GetSize()[:2]) >= 64 and image.GetSize()[2] >= 12
        labels = sitk.GetArrayFromImage(roi)
        assert set(np.unique(labels)) == {0, 1}, row.mask
        zs, ys, xs = np.nonzero(labels)
        ny, nx = labels.shape[1:]
        margin = min(xs.min(), ys.min(), nx - 1 - xs.max(), ny - 1 - ys.max()) * sx
        assert margin >= 15.0, (row.mask, margin)
        assert zs.min() >= 1 and zs.max() <= labels.shape[0] - 2
        hu = sitk.GetArrayFromImage(image)
        liver = np.median(hu[labels == 0])
        assert 55 <= liver <= 130, (row.image, liver)


def test_second_reader_differs_like_a_second_radiologist(cohort, generated):
    pid = cohort.repeat_ids[0]
    for phase in PHASES:
        files = sample.image_files(pid, phase)
        one = sitk.GetArrayFromImage(sitk.ReadImage(str(generated / files["1"]))).astype(bool)
        two = sitk.GetArrayFromImage(sitk.ReadImage(str(generated / files["2"]))).astype(bool)
        dice = 2 * (one & two).sum() / (one.sum() + two.sum())
        assert 0.6 < dice < 0.99, (phase, dice)


def test_diameter_in_table_is_measured_on_the_portal_mask(cohort, chosen, generated):
    """Longest axial diameter, recomputed independently (convex hull of the voxel corners)."""
    table = cohort.clinical.set_index("patient_id")["tumour_diameter_mm"]
    for pid in chosen:
        roi = sitk.ReadImage(str(generated / sample.image_files(pid, "portal")["1"]))
        labels = sitk.GetArrayFromImage(roi)
        spacing = roi.GetSpacing()[0]
        longest = 0.0
        for plane in labels:
            ys, xs = np.nonzero(plane)
            if len(ys) == 0:
                continue
            corners = np.concatenate([np.c_[xs + dx, ys + dy] for dx in (-0.5, 0.5)
                                      for dy in (-0.5, 0.5)]) * spacing
            hull = corners[ConvexHull(corners).vertices]
            longest = max(longest, pdist(hull).max())
        # edge to edge through voxel corners is at most one voxel diagonal longer
        assert table[pid] - 1.0 <= longest <= table[pid] + 1.0 + spacing, (pid, longest)


def test_every_patient_has_a_tumour_of_the_tabulated_size(cohort):
    sizes = cohort.truth.set_index("patient_id")["size_mm"]
    diameters = cohort.clinical.set_index("patient_id")["tumour_diameter_mm"]
    ratio = diameters / sizes
    assert ratio.between(0.85, 1.5).all(), ratio.describe()
    assert 10 <= diameters.min() and diameters.max() <= 100


def test_phase_contrast_follows_the_appearance(cohort):
    """Tumour minus liver HU: arterial tracks APHE, portal tracks washout."""
    patients = cohort.patients[:12]
    measured = {"arterial": [], "portal": []}
    for p in patients:
        grid = grid_for(p)
        volumes = render_patient(SEED, p, grid)
        for phase in measured:
            index = PHASES.index(phase)
            roi = mask(p, grid, index).astype(bool)
            hu = volumes[index].astype(float)
            measured[phase].append(np.median(hu[roi]) - np.median(hu[~roi]))
    aphe = [p.aphe_hu for p in patients]
    washout = [p.washout_portal_hu for p in patients]
    assert spearmanr(measured["arterial"], aphe)[0] > 0.6
    assert spearmanr(measured["portal"], np.negative(washout))[0] > 0.6
    assert np.mean(measured["arterial"]) > 15 and np.mean(measured["portal"]) < -5


def test_true_linear_predictor_is_hidden_and_predictive(cohort):
    clinical, truth = cohort.clinical, cohort.truth
    assert tuple(clinical.columns) == CLINICAL_COLUMNS
    lp = truth["linear_predictor"].to_numpy()
    c = harrell_c(clinical["rfs_months"].to_numpy(), clinical["recurrence"].to_numpy(), lp)
    assert c >= 0.75
    assert f"**{c:.3f}**" in (COMMITTED / sample.TRUTH_FILE).read_text()
    for column in clinical.select_dtypes("number").columns:
        values = clinical[column].astype(float)
        keep = values.notna()
        assert abs(spearmanr(values[keep], lp[keep])[0]) < 0.8, column


def test_outcome_is_realistic(cohort):
    clinical, truth = cohort.clinical, cohort.truth
    assert 0.33 <= clinical["recurrence"].mean() <= 0.47
    assert clinical["rfs_months"].between(0.1, 60.0).all()
    censored = clinical.loc[clinical["recurrence"] == 0, "rfs_months"]
    assert censored.median() > 36.0
    other_times = truth[["admin_censoring_months", "recurrence_months"]].min(axis=1)
    lost = truth["loss_months"] < other_times
    assert 3 <= lost.sum() <= 30  # some loss to follow-up before the study closed
    assert (censored < 36.0).sum() >= 3
    assert set(clinical["centre"]) == {"Centre A", "Centre B"}
    assert clinical["centre"].value_counts().to_dict() == {"Centre A": 100, "Centre B": 50}
    assert set(clinical["treatment"]) == {"RFA", "MWA", "resection", "TACE"}
    assert set(clinical["BCLC"]) == {"0", "A", "B"} and set(clinical["child_pugh"]) == {"A", "B"}


def test_some_laboratory_values_are_missing(cohort):
    missing = cohort.clinical.isna().sum()
    assert missing[["AFP", "NLR"]].gt(0).all()
    assert missing.drop(["AFP", "TBIL", "ALT", "AST", "PLT", "NLR"]).eq(0).all()
    afp = cohort.clinical["AFP"].dropna()
    assert afp.min() < 5 and afp.max() > 1000  # log-normal, wide range


def test_manifest_lists_every_case_once_with_hashed_files(cohort):
    manifest = pd.read_csv(COMMITTED / sample.MANIFEST_FILE, dtype=str)
    assert len(manifest) == 3 * (150 + 30)
    assert not manifest.duplicated(["patient_id", "phase", "reader"]).any()
    assert set(manifest.loc[manifest["reader"] == "2", "patient_id"]) == set(cohort.repeat_ids)
    hashed = set(sample.read_hashes(COMMITTED / sample.HASH_FILE))
    assert set(manifest["image"]) | set(manifest["mask"]) == hashed
    assert all(re.fullmatch(r"images/HCC\d{3}_(arterial|portal|delayed)(_mask(_r2)?)?\.nii\.gz", n)
               for n in hashed)


def test_bad_hash_file_names_the_line(tmp_path):
    (tmp_path / sample.HASH_FILE).write_text("abc  images/x.nii.gz\n")
    with pytest.raises(ValueError, match="line 1"):
        sample.read_hashes(tmp_path / sample.HASH_FILE)


@pytest.mark.slow
def test_full_build_then_if_missing_repairs_only_what_is_broken(tmp_path):
    out = tmp_path / "sample_data"
    assert sample.main(["--out", str(out)]) == 0
    committed = sample.read_hashes(COMMITTED / sample.HASH_FILE)
    assert sample.read_hashes(out / sample.HASH_FILE) == committed
    manifest = pd.read_csv(out / sample.MANIFEST_FILE, dtype=str)
    assert all((out / name).is_file() for name in pd.concat([manifest["image"], manifest["mask"]]))

    untouched = out / "images/HCC050_portal.nii.gz"
    before = untouched.stat().st_mtime_ns
    truth = tmp_path / "truth.csv"
    assert sample.main(["--out", str(out), "--if-missing", "--truth", str(truth)]) == 0
    assert untouched.stat().st_mtime_ns == before
    hidden = pd.read_csv(truth)
    assert len(hidden) == 150 and hidden["linear_predictor"].notna().all()

    (out / sample.MANIFEST_FILE).unlink()
    (out / "images/HCC007_arterial.nii.gz").unlink()
    (out / "images/HCC120_delayed_mask.nii.gz").write_bytes(b"broken")
    assert sample.stale_files(out) == ["images/HCC007_arterial.nii.gz",
                                       "images/HCC120_delayed_mask.nii.gz"]
    assert sample.main(["--out", str(out), "--if-missing"]) == 0
    assert sample.stale_files(out) == []
    assert untouched.stat().st_mtime_ns == before
    assert (out / sample.MANIFEST_FILE).read_text() == (COMMITTED / sample.MANIFEST_FILE).read_text()
