"""Helpers of the extraction tests: small distinct cases built from pyradiomics' test data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import SimpleITK as sitk

from hccdash.digest import remembered_sha256s
from hccdash.store import Store

TINY_PARAMS = {"imageType": {"Original": {}}, "featureClass": {"firstorder": []}, "setting": {"binWidth": 25}}


def write_variants(pyrad_data: Path, folder: Path, n: int, case: str = "breast1") -> pd.DataFrame:
    """``n`` distinct cases (the test image shifted by i) as a manifest-like frame with hashes."""
    folder.mkdir(parents=True, exist_ok=True)
    image = sitk.ReadImage(str(pyrad_data / f"{case}_image.nrrd"))
    mask_path = folder / f"{case}_mask.nrrd"
    sitk.WriteImage(sitk.ReadImage(str(pyrad_data / f"{case}_label.nrrd")), str(mask_path))
    rows = []
    for i in range(n):
        path = folder / f"{case}_{i}.nrrd"
        sitk.WriteImage(sitk.Cast(image, sitk.sitkInt16) + 7 * i, str(path))
        rows.append({"patient_id": f"P{i:03d}", "phase": "portal", "reader": "1", "image": str(path), "mask": str(mask_path)})
    return pd.DataFrame(rows)


def with_hashes(frame: pd.DataFrame) -> pd.DataFrame:
    """Manifest-like rows plus ``label`` (default 1), ``image_path`` / ``mask_path`` and their content hashes."""
    hashes = remembered_sha256s([*frame["image"], *frame["mask"]])
    n = len(frame)
    return frame.assign(
        label=frame["label"] if "label" in frame else 1,
        image_path=frame["image"],
        mask_path=frame["mask"],
        image_sha256=hashes[:n],
        mask_sha256=hashes[n:],
    )


def store_images(frame: pd.DataFrame, cohort: str = "test", store: Store | None = None) -> None:
    """Insert manifest-like rows (patient_id, phase, reader, image, mask[, label]) into ``images``."""
    store = store or Store()
    rows = with_hashes(frame).assign(cohort=cohort)[
        ["cohort", "patient_id", "phase", "reader", "image", "mask", "label", "image_sha256", "mask_sha256"]
    ]
    with store.transaction() as con:
        con.register("rows", rows)
        con.execute("INSERT INTO images SELECT * FROM rows")
