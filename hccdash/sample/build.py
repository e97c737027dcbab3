"""Writes the synthetic HCC sample cohort's folder: ``python -m hccdash.sample [--out DIR] [--if-missing]``.

150 patients from two centres, three CT phases (arterial, portal, delayed) as NIfTI with
0.7-0.78 x 0.7-0.78 x 5 mm voxels cropped around the tumour, a tumour mask per patient and
phase, a second reader's masks for 30 patients, a clinical table with recurrence-free
survival, and the true model in ``TRUTH.md``. Everything follows from the seed; the
voxel values are the same on every machine, and ``images.sha256`` records the files'
SHA-256 (the .nii.gz bytes also depend on SimpleITK's bundled zlib-ng, 2.1.6 in
SimpleITK 2.5.7, which picks its match-hash function by CPU: expected to agree across
x86-64 CPUs with SSE4.2, not guaranteed on other architectures).

Options: ``--seed N`` (default 42), ``--truth FILE.csv`` (the hidden truth, not for git).

Files written to ``--out`` (default ``sample_data/``):

* ``clinical.csv``, ``manifest.csv`` (``patient_id, phase, image, mask, reader``, paths
  relative to the folder), ``TRUTH.md``, ``images.sha256`` (``sha256sum`` format);
* ``images/<id>_<phase>.nii.gz``, ``images/<id>_<phase>_mask.nii.gz`` (reader 1) and
  ``images/<id>_<phase>_mask_r2.nii.gz`` (reader 2).

The other modules of :mod:`hccdash.sample` draw what is written here.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from hccdash.digest import sha256_file
from hccdash import paths
from hccdash.sample.cohort import Cohort, build_cohort
from hccdash.sample.images import render_patient, write_nifti
from hccdash.sample.patients import PHASES, Patient
from hccdash.sample.truth import truth_markdown
from hccdash.sample.tumour import grid_for, mask, reader2_outline

DEFAULT_SEED = 42
CLINICAL_FILE = "clinical.csv"
MANIFEST_FILE = "manifest.csv"
TRUTH_FILE = "TRUTH.md"
HASH_FILE = "images.sha256"
IMAGE_DIR = "images"


def image_files(patient_id: str, phase: str) -> dict[str, str]:
    """Paths (relative to the sample folder) of one phase's image and readers' masks."""
    stem = f"{IMAGE_DIR}/{patient_id}_{phase}"
    return {"image": f"{stem}.nii.gz", "1": f"{stem}_mask.nii.gz", "2": f"{stem}_mask_r2.nii.gz"}


def manifest(cohort: Cohort) -> pd.DataFrame:
    """One row per patient x phase x reader; reader '2' rows only for the repeat patients."""
    rows = []
    for p in cohort.patients:
        readers = ("1", "2") if p.patient_id in cohort.repeat_ids else ("1",)
        for phase in PHASES:
            files = image_files(p.patient_id, phase)
            rows.extend({"patient_id": p.patient_id, "phase": phase, "image": files["image"],
                         "mask": files[reader], "reader": reader} for reader in readers)
    return pd.DataFrame(rows, columns=["patient_id", "phase", "image", "mask", "reader"])


def write_patient_images(cohort: Cohort, patient: Patient, out: Path) -> list[str]:
    """Render and write one patient's phases and masks; returns the relative paths written."""
    grid = grid_for(patient)
    volumes = render_patient(cohort.seed, patient, grid)
    written = []
    for phase_index, phase in enumerate(PHASES):
        files = image_files(patient.patient_id, phase)
        write_nifti(volumes[phase_index], grid, out / files["image"])
        write_nifti(mask(patient, grid, phase_index), grid, out / files["1"])
        written += [files["image"], files["1"]]
        if patient.patient_id in cohort.repeat_ids:
            outline = reader2_outline(cohort.seed, patient, phase_index)
            write_nifti(mask(patient, grid, phase_index, outline), grid, out / files["2"])
            written.append(files["2"])
    return written


def read_hashes(path: Path) -> dict[str, str]:
    """``{relative path: sha256}`` from a ``sha256sum``-format file."""
    hashes = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64:
            raise ValueError(f"{path}: line {number} is not '<sha256>  <path>': {line!r}")
        hashes[name] = digest
    return hashes


def write_hashes(out: Path, names: Iterable[str]) -> dict[str, str]:
    """Hash the given files (relative to ``out``) and write ``images.sha256``."""
    hashes = {name: sha256_file(out / name) for name in sorted(names)}
    (out / HASH_FILE).write_text("".join(f"{h}  {n}\n" for n, h in hashes.items()))
    return hashes


def stale_files(out: Path) -> list[str]:
    """Files listed in ``images.sha256`` that are missing or differ."""
    hash_file = out / HASH_FILE
    return [name for name, digest in read_hashes(hash_file).items()
            if not (out / name).exists() or sha256_file(out / name) != digest]


def generate(out: Path, seed: int = DEFAULT_SEED, log=print) -> Cohort:
    """Write the whole cohort for ``seed`` to ``out`` (tables, TRUTH.md, images, hashes)."""
    start = time.perf_counter()
    cohort = build_cohort(seed)
    out.mkdir(parents=True, exist_ok=True)
    cohort.clinical.to_csv(out / CLINICAL_FILE, index=False)
    manifest(cohort).to_csv(out / MANIFEST_FILE, index=False)
    (out / TRUTH_FILE).write_text(truth_markdown(cohort))
    written = []
    for number, patient in enumerate(cohort.patients, start=1):
        written += write_patient_images(cohort, patient, out)
        if number % 25 == 0:
            log(f"  {number}/{len(cohort.patients)} patients")
    write_hashes(out, written)
    log(f"sample cohort (seed {seed}): {len(cohort.patients)} patients, {len(written)} files "
        f"in {out} ({time.perf_counter() - start:.1f} s)")
    return cohort


def ensure(out: Path, seed: int = DEFAULT_SEED, log=print) -> list[str]:
    """``--if-missing``: nothing to do when the tables exist and every file matches
    ``images.sha256``; otherwise write the missing tables and regenerate only the patients
    whose files are missing or differ (everything, without ``images.sha256``). Returns the
    files that still differ afterwards (a platform that writes different bytes)."""
    if not (out / HASH_FILE).exists():
        generate(out, seed, log)
        return []
    missing_tables = [f for f in (CLINICAL_FILE, MANIFEST_FILE) if not (out / f).exists()]
    stale = stale_files(out)
    if not stale and not missing_tables:
        log(f"sample cohort complete in {out}")
        return []
    cohort = build_cohort(seed)
    for name, frame in ((CLINICAL_FILE, cohort.clinical), (MANIFEST_FILE, manifest(cohort))):
        if name in missing_tables:
            frame.to_csv(out / name, index=False)
    ids = {Path(name).name.split("_")[0] for name in stale}
    log(f"regenerating the images of {len(ids)} patient(s)")
    for patient in cohort.patients:
        if patient.patient_id in ids:
            write_patient_images(cohort, patient, out)
    return stale_files(out)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m hccdash.sample",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=paths.SAMPLE_DIR,
                        help="output folder (default: sample_data/)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--if-missing", action="store_true",
                        help="do nothing when every file is there and matches images.sha256; "
                             "otherwise rebuild only what is missing or differs")
    parser.add_argument("--truth", type=Path,
                        help="also write the hidden truth (true linear predictor, latent "
                             "appearance, uncensored times) to this CSV; keep it out of git")
    args = parser.parse_args(argv)
    if args.if_missing:
        still_stale = ensure(args.out, args.seed)
        if still_stale:
            print(f"warning: {len(still_stale)} file(s) differ from {HASH_FILE} after "
                  f"regeneration (e.g. {still_stale[0]}): this platform compresses them into "
                  f"other bytes; the images are usable, but cached features keyed on the "
                  f"recorded hashes will be recomputed", file=sys.stderr)
    else:
        generate(args.out, args.seed)
    if args.truth:
        build_cohort(args.seed).truth.to_csv(args.truth, index=False)
    return 0

