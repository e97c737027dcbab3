"""Tiny sample-like cohorts built in tmp_path: clinical CSV, NIfTI images and masks, manifest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from hccdash.store import Store

PHASES = ("arterial", "portal")
SPACING = (0.7, 0.7, 5.0)
SHAPE = (4, 8, 8)  # z, y, x


def write_volume(path: Path, array: np.ndarray, spacing=SPACING, origin=(0.0, 0.0, 0.0)) -> Path:
    image = sitk.GetImageFromArray(array)
    image.SetSpacing(spacing)
    image.SetOrigin(origin)
    path.parent.mkdir(parents=True, exist_ok=True)
    sitk.WriteImage(image, str(path))
    return path


def cube_mask(label: int = 1) -> np.ndarray:
    mask = np.zeros(SHAPE, np.uint8)
    mask[1:3, 2:6, 2:6] = label
    return mask


def make_cohort(folder: Path, n: int = 24, seed: int = 0, repeat: int = 4) -> dict[str, Path]:
    """A sample-like cohort: clinical.csv, images/*.nii.gz, manifest.csv (paths relative)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    ids = [f"P{i:03d}" for i in range(1, n + 1)]
    clinical = pd.DataFrame({
        "patient_id": ids,
        "centre": ["A" if i % 3 else "B" for i in range(n)],
        "age": rng.normal(60, 8, n).round(0).astype(int),
        "sex": rng.choice(["M", "F"], n),
        "AFP": np.exp(rng.normal(3, 2, n)).round(1),
        "BCLC": rng.choice(["0", "A", "B"], n),
        "Child-Pugh": rng.choice(["A", "B"], n),
        "tumour_number": rng.integers(1, 4, n),
        "rfs_months": rng.uniform(1, 60, n).round(2),
        "recurrence": [1, 0] * (n // 2),
    })
    clinical.to_csv(folder / "clinical.csv", index=False)
    rows = []
    for k, pid in enumerate(ids):
        for phase in PHASES:
            image = write_volume(folder / "images" / f"{pid}_{phase}.nii.gz",
                                 rng.normal(50, 10, SHAPE).astype(np.int16))
            mask = write_volume(folder / "images" / f"{pid}_{phase}_mask.nii.gz", cube_mask())
            rows.append((pid, phase, image, mask, "1"))
            if k < repeat:
                mask2 = cube_mask()
                mask2[1, 2, 2] = 0
                rows.append((pid, phase, image,
                             write_volume(folder / "images" / f"{pid}_{phase}_mask2.nii.gz", mask2), "2"))
    manifest = pd.DataFrame(
        [(pid, phase, img.relative_to(folder).as_posix(), msk.relative_to(folder).as_posix(), r)
         for pid, phase, img, msk, r in rows],
        columns=["patient_id", "phase", "image", "mask", "reader"],
    )
    manifest.to_csv(folder / "manifest.csv", index=False)
    return {"folder": folder, "clinical": folder / "clinical.csv", "manifest": folder / "manifest.csv"}


def dump(store: Store) -> dict[str, list]:
    """Every row of every table, for before / after comparisons."""
    tables = store.query("SELECT table_name FROM information_schema.tables ORDER BY table_name")["table_name"]
    return {t: store.query(f'SELECT * FROM "{t}"').astype(str).values.tolist() for t in tables}


@pytest.fixture
def tiny(tmp_path) -> dict[str, Path]:
    """A 24-patient cohort with 2 phases and 4 repeat masks."""
    return make_cohort(tmp_path / "tiny")


@pytest.fixture
def store() -> Store:
    return Store()
