"""Synthetic CT cases at clinical size, for the extraction and viewer benchmarks.

Each patient has three phases (arterial, portal, delayed) of one 512 x 512 series at
0.703125 mm in-plane (a 36 cm field of view) and 5 mm slices, int16 HU: air outside an
elliptic body (fat rim, soft tissue), a liver ellipsoid in the right upper abdomen with
phase-typical enhancement, and one spherical HCC of 3 to 6 cm diameter (arterial
hyper-enhancement, portal / delayed washout, a mottled interior), plus 12 HU noise. Masks
(uint8 NIfTI): reader 1's tumour, reader 2's (centre shifted by 1 mm, radius 1.5 mm larger)
and a liver segmentation with labels 1 = liver, 2 = tumour (what an automatic segmenter
gives). Everything follows from the seed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import SimpleITK as sitk

SPACING = (0.703125, 0.703125, 5.0)  # x, y, z mm
PHASES = {"arterial": (75.0, 60.0), "portal": (115.0, -25.0), "delayed": (95.0, -30.0)}  # liver HU, tumour contrast


def _write(path: Path, array: np.ndarray) -> str:
    image = sitk.GetImageFromArray(array)
    image.SetSpacing(SPACING)
    image.SetOrigin((-180.0, -180.0, -0.5 * SPACING[2] * array.shape[0]))
    sitk.WriteImage(image, str(path), useCompression=True)
    return str(path)


def _ellipsoid(shape, centre_mm, axes_mm) -> np.ndarray:
    """Voxels (z, y, x) inside the ellipsoid of ``centre_mm`` / ``axes_mm`` (x, y, z), physical distances."""
    z, y, x = np.ogrid[: shape[0], : shape[1], : shape[2]]
    terms = [((index * spacing - centre) / axis) ** 2
             for index, spacing, centre, axis in zip((x, y, z), SPACING, centre_mm, axes_mm)]
    return terms[0] + terms[1] + terms[2] <= 1.0


def write_patient(folder: Path, patient: int, slices: int = 60, seed: int = 0) -> pd.DataFrame:
    """The three phases and four masks of one patient; rows ``patient_id, phase, reader, image, mask, label``
    for reader 1, reader 2 and the liver (reader 1, label 1 of the liver segmentation)."""
    rng = np.random.default_rng([seed, patient])
    folder.mkdir(parents=True, exist_ok=True)
    shape = (slices, 512, 512)
    extent = [n * s for n, s in zip(shape[::-1], SPACING)]  # x, y, z mm
    body = _ellipse_2d(shape, (extent[0] / 2, extent[1] / 2), (165.0, 125.0))
    inner = _ellipse_2d(shape, (extent[0] / 2, extent[1] / 2), (150.0, 110.0))
    liver_centre = (extent[0] / 2 - 60.0, extent[1] / 2 - 15.0, extent[2] / 2)
    liver = _ellipsoid(shape, liver_centre, (85.0, 75.0, 80.0))
    radius = rng.uniform(15.0, 30.0)
    offset = rng.uniform(-0.3, 0.3, 3) * np.array([85.0 - radius, 75.0 - radius, 80.0 - radius])
    tumour_centre = tuple(np.add(liver_centre, offset))
    tumour = _ellipsoid(shape, tumour_centre, (radius,) * 3)
    reader2 = _ellipsoid(shape, tuple(np.add(tumour_centre, (1.0, -1.0, 0.0))), (radius + 1.5,) * 3)
    mottle = rng.normal(0.0, 1.0, shape).astype(np.float32)
    mottle = (mottle + np.roll(mottle, 1, 1) + np.roll(mottle, 1, 2) + np.roll(mottle, 1, 0)) / 2.0
    rows = []
    masks = {"tumour_r1": tumour, "tumour_r2": reader2, "liver": liver.astype(np.uint8) + tumour}
    paths = {name: _write(folder / f"C{patient:03d}_{name}.nii.gz", mask.astype(np.uint8)) for name, mask in masks.items()}
    for phase, (liver_hu, contrast) in PHASES.items():
        values = np.full(shape, -1000.0, np.float32)
        values[body] = -100.0
        values[inner] = 40.0
        values[liver] = liver_hu
        values[tumour] = liver_hu + contrast + 8.0 * mottle[tumour]
        values += rng.normal(0.0, 12.0, shape).astype(np.float32)
        image = _write(folder / f"C{patient:03d}_{phase}.nii.gz", np.round(values).astype(np.int16))
        pid = f"C{patient:03d}"
        rows += [{"patient_id": pid, "phase": phase, "reader": "1", "image": image, "mask": paths["tumour_r1"], "label": 1},
                 {"patient_id": pid, "phase": phase, "reader": "2", "image": image, "mask": paths["tumour_r2"], "label": 1},
                 {"patient_id": pid, "phase": phase, "reader": "liver", "image": image, "mask": paths["liver"],
                  "label": 1}]
    return pd.DataFrame(rows)


def _ellipse_2d(shape, centre_mm, axes_mm) -> np.ndarray:
    """A cylinder along z: voxels whose (x, y) lies inside the ellipse."""
    _, y, x = np.ogrid[: shape[0], : shape[1], : shape[2]]
    inside = ((x * SPACING[0] - centre_mm[0]) / axes_mm[0]) ** 2 + ((y * SPACING[1] - centre_mm[1]) / axes_mm[1]) ** 2 <= 1
    return np.broadcast_to(inside, shape)


def write_cohort(folder: Path, patients: int, slices: int = 60, seed: int = 0) -> pd.DataFrame:
    """``patients`` patients (see :func:`write_patient`) as one manifest-like frame; files reused when present."""
    frames = []
    for patient in range(1, patients + 1):
        marker = folder / f"C{patient:03d}.csv"
        if marker.is_file():
            frames.append(pd.read_csv(marker, dtype={"reader": str}))
            continue
        frame = write_patient(folder, patient, slices, seed)
        frame.to_csv(marker, index=False)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
