"""Validate, split and store a cohort in one call, all or nothing.

:func:`validate_cohort` checks everything (clinical table, images, split) without
touching the store; :func:`import_cohort` does the same, then hashes the images and
writes the cohort in ONE transaction. A report with any error refuses the import and
leaves the store exactly as it was. The cohort's fingerprint is the SHA-256 of what is
stored (mapping, split, survival data, variable values, image rows with their content
hashes): importing identical data under the same name again changes nothing; different
content under an existing name needs ``replace=True``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from hccdash.cohort.images import check_images
from hccdash.cohort.manifest import read_manifest
from hccdash.cohort.mapping import ColumnMapping, guess_mapping
from hccdash.cohort.split import SETS, check_split_settings, split_patients, split_spec
from hccdash.cohort.table_checks import ClinicalData, check_clinical
from hccdash.cohort.tables import Source, read_table
from hccdash.cohort.validate import ERROR, Problem, Report
from hccdash.digest import remembered_sha256s
from hccdash.settings import CohortSettings, SplitSettings
from hccdash.store import Store

Progress = Callable[[int, int, str], None]
MAX_NAME = 100
IMAGE_COLUMNS = ["patient_id", "phase", "reader", "image_path", "mask_path", "label", "image_sha256", "mask_sha256"]


@dataclass(frozen=True)
class Validation:
    """A checked cohort: the data as it would be stored, and the report."""

    file: str
    mapping: ColumnMapping  # with the level orders actually used
    clinical: ClinicalData
    images: pd.DataFrame  # usable rows: patient_id, phase, reader, image_path, mask_path, label
    split: pd.Series  # 'train' / 'validation' / 'external' / None per patient
    split_settings: SplitSettings
    report: Report

    @property
    def n_patients(self) -> int:
        return len(self.clinical.patients)

    @property
    def n_events(self) -> int:
        return int(self.clinical.patients["event"].sum()) if self.n_patients else 0


@dataclass(frozen=True)
class ImportResult:
    """What :func:`import_cohort` did: imported, replaced, unchanged or refused."""

    name: str
    status: str
    report: Report
    fingerprint: str | None = None
    n_patients: int = 0
    n_events: int = 0
    n_images: int = 0
    split_counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status != "refused"

    def summary(self) -> str:
        """One line for the CLI and the page."""
        if not self.ok:
            return f"Cohort '{self.name}': import refused ({len(self.report.errors)} error(s)); the store is unchanged."
        splits = ", ".join(f"{k} {v}" for k, v in self.split_counts.items()) or "no split"
        return (f"Cohort '{self.name}' {self.status}: {self.n_patients} patients, {self.n_events} events, "
                f"{self.n_images} images ({splits}).")


def as_table(clinical: pd.DataFrame | Source, source: str | None = None, sheet: str | int | None = None,
             settings: CohortSettings | None = None) -> tuple[pd.DataFrame, str]:
    """A clinical table from a frame, a path or uploaded bytes (at most ``settings.max_columns``
    columns), and its name for messages."""
    if isinstance(clinical, pd.DataFrame):
        return clinical, source or "clinical table"
    name = source or (Path(clinical).name if isinstance(clinical, (str, Path)) else "uploaded table")
    max_columns = (settings or CohortSettings()).max_columns
    return read_table(clinical, filename=name, sheet=sheet, max_columns=max_columns), name


def validate_cohort(
    clinical: pd.DataFrame | Source,
    mapping: ColumnMapping | None = None,
    *,
    images: pd.DataFrame | str | Path | None = None,
    split: SplitSettings | None = None,
    label: int | None = None,
    source: str | None = None,
    sheet: str | int | None = None,
    settings: CohortSettings | None = None,
    progress: Progress | None = None,
    roi: str | None = None,
) -> Validation:
    """Check a cohort without storing it.

    ``clinical``: a frame from :func:`read_table` (indexed by spreadsheet row, which the
    messages quote), or a CSV / XLSX path or bytes; ``mapping``: guessed when None;
    ``images``: a frame from ``read_manifest`` / ``scan_folder``, or a manifest path;
    ``label``: the mask label to use (None: label 1, else the only / largest); ``roi``:
    the ROI name of RTSTRUCT masks (a manifest's ``roi`` column overrides it per row).
    """
    split = split or SplitSettings()
    check_split_settings(split)
    if label is not None and label < 1:
        raise ValueError(f"A mask label is a whole number above 0, got {label}")
    table, file = as_table(clinical, source, sheet, settings)
    mapping = mapping or guess_mapping(table)
    data, problems = check_clinical(table, mapping, file, settings)
    mapping = dataclasses.replace(mapping, variables=data.variables) if data.variables else mapping
    if isinstance(images, (str, Path)):
        images = read_manifest(images)
    if images is not None:
        usable, image_problems = check_images(images, data.patients.index, label, settings, progress, roi=roi)
        problems += image_problems
    else:
        usable = pd.DataFrame(columns=IMAGE_COLUMNS[:6])
    assignment, split_problems = split_patients(data.patients, split) if len(data.patients) else (pd.Series(dtype=object), [])
    problems += split_problems
    if not len(data.patients) and not any(p.severity == ERROR for p in problems):
        problems.append(Problem(ERROR, "no_patients", "no usable patient rows", "import refused", file=file))
    return Validation(file, mapping, data, usable, assignment, split, Report(tuple(problems)))


def _hash_images(images: pd.DataFrame, progress: Progress | None) -> pd.DataFrame:
    images = images.copy()
    hashes = remembered_sha256s([*images["image_path"], *images["mask_path"]], progress)
    images["image_sha256"] = hashes[: len(images)]
    images["mask_sha256"] = hashes[len(images):]
    return images[IMAGE_COLUMNS].sort_values(["patient_id", "phase", "reader"]).reset_index(drop=True)


def _frames(name: str, v: Validation, images: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The rows of each store table."""
    patients = v.clinical.patients
    frames = {
        "patients": pd.DataFrame({
            "cohort": name, "patient_id": patients.index.astype(str), "time": patients["time"].astype(float),
            "event": patients["event"].astype(int), "centre": patients["centre"].astype(object),
            "split": v.split.reindex(patients.index).astype(object),
        }).reset_index(drop=True).sort_values("patient_id"),
        "variables": pd.DataFrame({
            "cohort": name, "name": [s.name for s in v.mapping.variables], "kind": [s.kind for s in v.mapping.variables],
            "predictor": [s.predictor for s in v.mapping.variables],
            "levels": [json.dumps(list(s.levels)) if s.kind != "continuous" else None for s in v.mapping.variables],
            "position": range(len(v.mapping.variables)),
        }, columns=["cohort", "name", "kind", "predictor", "levels", "position"]),
        "clinical": (
            v.clinical.values.rename_axis("patient_id").reset_index()
            .melt(id_vars="patient_id", var_name="variable", value_name="value")
            .assign(cohort=name)[["cohort", "patient_id", "variable", "value"]]
            .sort_values(["patient_id", "variable"])
        ),
        "images": images.assign(cohort=name)[["cohort", *IMAGE_COLUMNS]],
    }
    for frame in frames.values():
        frame.reset_index(drop=True, inplace=True)
    frames["clinical"]["value"] = frames["clinical"]["value"].astype(object).where(frames["clinical"]["value"].notna(), None)
    frames["patients"]["centre"] = frames["patients"]["centre"].where(frames["patients"]["centre"].notna(), None)
    return frames


def fingerprint(v: Validation, frames: dict[str, pd.DataFrame]) -> str:
    """SHA-256 of the mapping, the split and every stored row (the cohort name excluded)."""
    content = {
        "mapping": v.mapping.to_dict(),
        "split": split_spec(v.split_settings),
        **{k: frame.drop(columns="cohort").to_json(orient="values", double_precision=15) for k, frame in frames.items()},
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        shown = name if len(name) <= 40 else f"{name[:40]}... ({len(name)} characters)"
        raise ValueError(f"A cohort name must have 1 to {MAX_NAME} characters, got {shown!r}")
    hidden = sorted({f"U+{ord(c):04X}" for c in name if unicodedata.category(c) in ("Cc", "Cf")})
    if hidden:
        raise ValueError(f"A cohort name must not hold control or invisible characters ({', '.join(hidden)}), "
                         f"got {name!r}")
    return name


def import_cohort(
    name: str,
    clinical: pd.DataFrame | Source,
    mapping: ColumnMapping | None = None,
    *,
    images: pd.DataFrame | str | Path | None = None,
    split: SplitSettings | None = None,
    label: int | None = None,
    replace: bool = False,
    source: str | None = None,
    sheet: str | int | None = None,
    store: Store | None = None,
    settings: CohortSettings | None = None,
    progress: Progress | None = None,
    roi: str | None = None,
) -> ImportResult:
    """Validate, split, hash and store a cohort under ``name`` (see module docs).

    ``progress(done, total, message)`` is called while images are checked and hashed.
    Returns the result with status ``imported``, ``replaced``, ``unchanged`` or
    ``refused`` (the report says why); a refused import writes nothing.
    """
    name = _check_name(name)
    store = store or Store()
    v = validate_cohort(clinical, mapping, images=images, split=split, label=label, source=source, sheet=sheet,
                        settings=settings, progress=progress, roi=roi)
    if not v.report.ok:
        return ImportResult(name, "refused", v.report)
    frames = _frames(name, v, _hash_images(v.images, progress))
    digest = fingerprint(v, frames)
    counts = frames["patients"]["split"].value_counts().to_dict()
    result = dict(fingerprint=digest, n_patients=v.n_patients, n_events=v.n_events, n_images=len(frames["images"]),
                  split_counts={k: int(counts[k]) for k in SETS if k in counts})
    with store.transaction() as con:
        existing = con.execute("SELECT fingerprint FROM cohorts WHERE name = ?", [name]).fetchall()
        if existing and existing[0][0] == digest:
            return ImportResult(name, "unchanged", v.report, **result)
        if existing and not replace:
            conflict = Problem(ERROR, "name_taken", f"a different cohort named '{name}' is already stored",
                               "import refused; choose another name or replace it", value=name)
            return ImportResult(name, "refused", v.report + Report((conflict,)))
        for table in ("cohorts", "patients", "variables", "clinical", "images", "configurations"):
            con.execute(f"DELETE FROM {table} WHERE {'name' if table == 'cohorts' else 'cohort'} = ?", [name])
        con.execute(
            "INSERT INTO cohorts VALUES (?, current_timestamp, ?, ?, ?, ?, ?, ?, ?, ?)",
            [name, v.file, digest, v.mapping.time_unit, json.dumps({"source": v.file, **v.mapping.to_dict()}),
             json.dumps(split_spec(v.split_settings)), json.dumps(v.report.to_records()), v.n_patients, v.n_events],
        )
        for table, frame in frames.items():
            con.register("incoming", frame)
            con.execute(f"INSERT INTO {table} ({', '.join(frame.columns)}) SELECT * FROM incoming")
            con.unregister("incoming")
    return ImportResult(name, "replaced" if existing else "imported", v.report, **result)


def delete_cohort(name: str, store: Store | None = None) -> bool:
    """Remove a cohort and its patients, variables, values, images and remembered Model building
    configurations; False when absent."""
    store = store or Store()
    with store.transaction() as con:
        if not con.execute("SELECT 1 FROM cohorts WHERE name = ?", [name]).fetchall():
            return False
        for table in ("cohorts", "patients", "variables", "clinical", "images", "configurations"):
            con.execute(f"DELETE FROM {table} WHERE {'name' if table == 'cohorts' else 'cohort'} = ?", [name])
    return True
