"""Cohort QC: one row per image x reader with its acquisition facts, a per-centre summary, flags.

Facts per image (read once per image, whatever the number of readers): matrix size,
voxel spacing, slice thickness (DICOM SliceThickness, else the z spacing), intensity
range (minimum, 1st and 99th percentile, maximum) and, for DICOM, modality, manufacturer,
model, kVp or magnetic field strength and acquisition date / time (first file of the
series). Per mask: voxels and volume (mL) of its label, the ROI's median intensity,
connected components (26-connected, ``scipy.ndimage.label``), whether it touches a face
of the image, and the Dice of every other reader's mask with reader 1's.

Flags, each with its reason (thresholds: :class:`hccdash.settings.QCSettings`):

- ``flag_hu``: a CT image whose ROI median lies outside ``ct_roi_median_hu`` or whose
  maximum exceeds ``ct_max_hu`` (stored values not rescaled to HU?); the modality is the
  DICOM Modality, else ``QCSettings.modality``;
- ``flag_spacing``: in-plane spacing or slice thickness more than ``spacing_ratio`` times
  off (either way) the cohort median;
- ``flag_volume``: mask volume outlier: robust z = 0.6745 (log v - median) / MAD of log
  volumes (Iglewicz and Hoaglin's modified z-score) beyond ``volume_z`` in absolute value;
- ``flag_border``: the ROI touches a face of the image (cut off?);
- ``flag_components``: the ROI has several connected components;
- ``flag_grid``: the patient's phases (one reader's images) are not all on one grid
  (size, spacing, origin, direction; ``CohortSettings.geometry_tolerance``);
- ``flag_dice``: Dice with reader 1's mask below ``min_dice``.

Facts are kept per content hash in ``cache_dir()/qc/`` (JSON), so a second QC of a
cohort reads no image.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pydicom
import SimpleITK as sitk
from scipy import ndimage

from hccdash import paths
from hccdash.cohort.images import Geometry, read_image, read_mask
from hccdash.imaging.overlap import dice
from hccdash.settings import CohortSettings, QCSettings

Progress = Callable[[int, int, str], None]
FACTS_VERSION = "1"  # bump when the facts computed change
PRIMARY_READER = "1"
FLAGS: dict[str, str] = {
    "flag_hu": "CT intensities implausible",
    "flag_spacing": "spacing far from the cohort's",
    "flag_volume": "mask volume outlier",
    "flag_border": "mask touches the image border",
    "flag_components": "mask of several components",
    "flag_grid": "phases on different grids",
    "flag_dice": "reader Dice low",
}
DICOM_TAGS = {  # column -> DICOM keyword
    "modality": "Modality", "manufacturer": "Manufacturer", "model": "ManufacturerModelName", "kvp": "KVP",
    "field_strength_t": "MagneticFieldStrength", "slice_thickness_tag": "SliceThickness",
}
FACES = ("x-min", "x-max", "y-min", "y-max", "z-min", "z-max")


@dataclass(frozen=True)
class QCResult:
    """The QC table (one row per image x reader) and its per-centre summary."""

    table: pd.DataFrame
    centres: pd.DataFrame

    @property
    def flagged(self) -> pd.DataFrame:
        """Rows with at least one flag, most flags first."""
        return self.table[self.table["n_flags"] > 0].sort_values("n_flags", ascending=False, kind="stable")


# ---- facts of one image and of one mask ------------------------------------------------------

def dicom_header(image_path: str | Path) -> dict[str, Any]:
    """Acquisition facts from the first DICOM file of a series folder (or a DICOM file); {} for others."""
    path = Path(image_path)
    first = _first_dicom(path) if path.is_dir() else path
    if first is None:
        return {}
    try:
        header = pydicom.dcmread(first, stop_before_pixels=True)
    except (pydicom.errors.InvalidDicomError, OSError, ValueError):
        return {}
    facts = {column: _plain(header.get(keyword)) for column, keyword in DICOM_TAGS.items()}
    facts["acquisition_time"] = _acquired(header)
    return {k: v for k, v in facts.items() if v not in (None, "")}


def _first_dicom(folder: Path) -> Path | None:
    series = sitk.ImageSeriesReader.GetGDCMSeriesIDs(str(folder))
    if not series:
        return None
    files = sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(folder), series[0])
    return Path(files[0]) if files else None


def _plain(element: Any) -> Any:
    value = getattr(element, "value", element)
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) or hasattr(value, "real"):
        try:
            return float(value)
        except (TypeError, ValueError):
            pass
    return str(value).strip() or None


def _acquired(header: pydicom.Dataset) -> str | None:
    for date_key, time_key in (("AcquisitionDate", "AcquisitionTime"), ("SeriesDate", "SeriesTime"),
                               ("StudyDate", "StudyTime")):
        date, clock = str(header.get(date_key, "") or ""), str(header.get(time_key, "") or "")
        if len(date) == 8 and date.isdigit():
            text = f"{date[:4]}-{date[4:6]}-{date[6:]}"
            if len(clock) >= 4 and clock[:4].isdigit():
                text += f" {clock[:2]}:{clock[2:4]}" + (f":{clock[4:6]}" if clock[4:6].isdigit() else "")
            return text
    return None


def image_facts(image: sitk.Image, image_path: str | Path) -> dict[str, Any]:
    """Grid, intensity range and DICOM acquisition facts of one image."""
    values = sitk.GetArrayViewFromImage(image)
    finite = values[np.isfinite(values)] if values.dtype.kind == "f" else values.reshape(-1)
    low, p01, p99, high = (np.percentile(finite, [0, 1, 99, 100]) if finite.size else [math.nan] * 4)
    geometry = Geometry.of(image)
    facts = {
        "size": list(geometry.size), "spacing": list(geometry.spacing), "origin": list(geometry.origin),
        "direction": list(geometry.direction), "intensity_min": float(low), "intensity_p01": float(p01),
        "intensity_p99": float(p99), "intensity_max": float(high),
    }
    facts.update(dicom_header(image_path))
    return facts


def mask_facts(image: sitk.Image, roi: np.ndarray) -> dict[str, Any]:
    """Volume, ROI median, connected components and border contact of a boolean ROI (z, y, x) on ``image``."""
    voxels = int(np.count_nonzero(roi))
    spacing = image.GetSpacing()
    facts: dict[str, Any] = {"mask_voxels": voxels, "mask_ml": voxels * float(np.prod(spacing)) / 1000.0}
    if not voxels:
        return {**facts, "roi_median": math.nan, "components": 0, "border_faces": []}
    values = sitk.GetArrayViewFromImage(image)[roi]
    facts["roi_median"] = float(np.median(values))
    box = ndimage.find_objects(roi.astype(np.uint8))[0]
    _, count = ndimage.label(roi[box], structure=np.ones((3, 3, 3), bool))
    facts["components"] = int(count)
    z, y, x = roi.shape
    touching = {"x-min": roi[:, :, 0], "x-max": roi[:, :, x - 1], "y-min": roi[:, 0, :], "y-max": roi[:, y - 1, :],
                "z-min": roi[0], "z-max": roi[z - 1]}
    facts["border_faces"] = [face for face in FACES if touching[face].any()]
    return facts


# ---- remembered per content hash --------------------------------------------------------------

def _cache_path(*parts: Any) -> Path:
    key = hashlib.sha256("\n".join(map(str, (FACTS_VERSION, *parts))).encode()).hexdigest()
    folder = paths.cache_dir() / "qc"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{key}.json"


def _remembered(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _remember(path: Path, facts: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".qc.", suffix=".tmp")
    with os.fdopen(fd, "w") as handle:
        handle.write(json.dumps(facts))
    os.replace(tmp, path)


def _image_group_facts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Facts of each row (one image, its readers' masks): image facts, mask facts, Dice with reader 1."""
    image_sha = rows[0]["image_sha256"]
    image_file = _cache_path("image", image_sha)
    mask_files = [_cache_path("mask", image_sha, r["mask_sha256"], int(r["label"])) for r in rows]
    primary = next((i for i, r in enumerate(rows) if str(r["reader"]) == PRIMARY_READER), None)
    dice_files = [None if primary is None or i == primary else
                  _cache_path("dice", image_sha, rows[primary]["mask_sha256"], int(rows[primary]["label"]),
                              r["mask_sha256"], int(r["label"])) for i, r in enumerate(rows)]
    image_known, dice_known = _remembered(image_file), [d and _remembered(d) for d in dice_files]
    masks_known = [_remembered(f) for f in mask_files]
    if image_known is not None and all(m is not None for m in masks_known) and \
            all(k is not None for k, d in zip(dice_known, dice_files) if d):
        return [{**image_known, **mask, "dice": known["dice"] if known else math.nan}
                for mask, known in zip(masks_known, dice_known)]
    image = read_image(rows[0]["image_path"])
    facts = image_facts(image, rows[0]["image_path"])
    _remember(image_file, facts)
    rois, out = [], []
    for row, mask_file in zip(rows, mask_files):
        mask = read_mask(row["mask_path"], image, int(row["label"]))
        if mask.GetSize() != image.GetSize():
            raise ValueError(f"the mask {row['mask_path']} ({mask.GetSize()}) is not on the grid of the image "
                             f"{row['image_path']} ({image.GetSize()})")
        roi = sitk.GetArrayViewFromImage(mask) == int(row["label"])
        rois.append(roi)
        found = mask_facts(image, roi)
        _remember(mask_file, found)
        out.append({**facts, **found})
    for i, dice_file in enumerate(dice_files):
        out[i]["dice"] = math.nan
        if dice_file is not None:
            out[i]["dice"] = dice(rois[primary], rois[i])
            _remember(dice_file, {"dice": out[i]["dice"]})
    return out


# ---- the cohort -------------------------------------------------------------------------------

def cohort_qc(
    images: pd.DataFrame,
    centres: pd.Series | None = None,
    settings: QCSettings | None = None,
    cohort_settings: CohortSettings | None = None,
    progress: Progress | None = None,
) -> QCResult:
    """QC of a cohort's image rows (``hccdash.extraction.matrices.cohort_images`` columns).

    ``centres``: the patients' centres (indexed by patient_id), for the summary. A row whose
    files cannot be read keeps its place with the reason in ``error`` and no flag.
    """
    settings = settings or QCSettings()
    cohort_settings = cohort_settings or CohortSettings()
    records = []
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in images.to_dict("records"):
        groups.setdefault(str(row["image_path"]), []).append(row)
    for done, rows in enumerate(groups.values()):
        if progress:
            progress(done, len(groups), f"QC of {rows[0]['patient_id']} {rows[0]['phase']}")
        try:
            facts = _image_group_facts(rows)
        except Exception as exc:  # noqa: BLE001 - an unreadable file is reported in its row, the QC goes on
            message = " ".join(str(exc).split())[:300] or type(exc).__name__
            facts = [{"error": message}] * len(rows)
        records += [{**row, **fact} for row, fact in zip(rows, facts)]
    if progress:
        progress(len(groups), len(groups), "QC done")
    table = _table(records, centres)
    table = _flag(table, settings, cohort_settings)
    return QCResult(table, centre_summary(table))


COLUMNS = [
    "patient_id", "centre", "phase", "reader", "n_flags", "reasons", *FLAGS, "modality", "manufacturer", "model",
    "kvp", "field_strength_t", "acquisition_time", "matrix", "spacing_x", "spacing_y", "spacing_z",
    "slice_thickness", "intensity_min", "intensity_p01", "intensity_p99", "intensity_max", "roi_median",
    "mask_voxels", "mask_ml", "components", "border", "dice", "error", "image_path", "mask_path", "label",
]


def _table(records: list[dict[str, Any]], centres: pd.Series | None) -> pd.DataFrame:
    table = pd.DataFrame(records, columns=sorted({k for r in records for k in r}) or ["patient_id", "reader", "phase"])
    for column in ("size", "spacing", "origin", "direction", "border_faces", "error", "slice_thickness_tag",
                   *DICOM_TAGS, "acquisition_time", "roi_median", "mask_voxels", "mask_ml", "components", "dice",
                   "intensity_min", "intensity_p01", "intensity_p99", "intensity_max"):
        if column not in table:
            table[column] = None
    ok = table["size"].map(lambda v: isinstance(v, list))
    table["matrix"] = table["size"].map(lambda v: " x ".join(map(str, v)) if isinstance(v, list) else None)
    for axis, name in enumerate(("spacing_x", "spacing_y", "spacing_z")):
        table[name] = table["spacing"].map(lambda v, a=axis: float(v[a]) if isinstance(v, list) else math.nan)
    table["slice_thickness"] = pd.to_numeric(table["slice_thickness_tag"], errors="coerce").fillna(table["spacing_z"])
    table["border"] = table["border_faces"].map(lambda v: ", ".join(v) if isinstance(v, list) else "")
    table["centre"] = table["patient_id"].map(centres) if centres is not None else None
    table["modality"] = table["modality"].where(ok, None)
    return table


def _flag(table: pd.DataFrame, settings: QCSettings, cohort_settings: CohortSettings) -> pd.DataFrame:
    reasons: list[list[str]] = [[] for _ in range(len(table))]
    flags = {name: np.zeros(len(table), bool) for name in FLAGS}

    def add(flag: str, i: int, reason: str) -> None:
        flags[flag][i] = True
        reasons[i].append(reason)

    readable = table["error"].isna().to_numpy()
    modality = table["modality"].fillna(settings.modality).astype(str).str.upper()
    low, high = settings.ct_roi_median_hu
    in_plane = table[["spacing_x", "spacing_y"]].max(axis=1)
    median_in_plane = float(np.nanmedian(in_plane[readable])) if readable.any() else math.nan
    median_thickness = float(np.nanmedian(table["slice_thickness"][readable])) if readable.any() else math.nan
    log_ml = np.log(pd.to_numeric(table["mask_ml"], errors="coerce").where(lambda v: v > 0))
    centre, mad = float(np.nanmedian(log_ml)) if log_ml.notna().any() else math.nan, math.nan
    if log_ml.notna().any():
        mad = float(np.nanmedian(np.abs(log_ml - centre)))
    robust_z = 0.6745 * (log_ml - centre) / mad if mad and np.isfinite(mad) else log_ml * 0.0
    grids = _grid_problems(table, cohort_settings.geometry_tolerance)
    ratio = settings.spacing_ratio
    for i, row in enumerate(table.itertuples(index=False)):
        if not readable[i]:
            continue
        if modality.iloc[i] == "CT":
            if np.isfinite(row.roi_median) and not low <= row.roi_median <= high:
                add("flag_hu", i, f"CT ROI median {row.roi_median:.0f} outside {low:g}..{high:g} HU (not rescaled "
                                  "to HU, or not CT?)")
            if row.intensity_max > settings.ct_max_hu:
                add("flag_hu", i, f"CT maximum {row.intensity_max:.0f} above {settings.ct_max_hu:g} HU "
                                  "(raw stored values, not rescaled?)")
        for what, value, median in (("in-plane spacing", in_plane.iloc[i], median_in_plane),
                                    ("slice thickness", row.slice_thickness, median_thickness)):
            if np.isfinite(value) and median > 0 and not median / ratio <= value <= median * ratio:
                add("flag_spacing", i, f"{what} {value:.3g} mm vs the cohort's median {median:.3g} mm")
        if np.isfinite(robust_z.iloc[i]) and abs(robust_z.iloc[i]) > settings.volume_z:
            side = "above" if robust_z.iloc[i] > 0 else "below"
            add("flag_volume", i, f"mask volume {row.mask_ml:.3g} mL far {side} the cohort's median "
                                  f"{math.exp(centre):.3g} mL (robust z {robust_z.iloc[i]:.1f})")
        if row.border:
            add("flag_border", i, f"mask touches the image border ({row.border})")
        if row.components and row.components > 1:
            add("flag_components", i, f"mask has {int(row.components)} connected components")
        if (row.patient_id, row.reader) in grids:
            add("flag_grid", i, grids[(row.patient_id, row.reader)])
        if np.isfinite(row.dice) and row.dice < settings.min_dice:
            add("flag_dice", i, f"Dice {row.dice:.3f} with reader {PRIMARY_READER} below {settings.min_dice:g}")
    for name, values in flags.items():
        table[name] = values
    table["n_flags"] = np.sum(list(flags.values()), axis=0) if len(table) else []
    table["reasons"] = ["; ".join(r) for r in reasons]
    return table[COLUMNS].reset_index(drop=True)


def _grid_problems(table: pd.DataFrame, tolerance: float) -> dict[tuple[str, str], str]:
    """(patient, reader) -> what differs between its phases' grids, for patients whose phases differ."""
    grids: dict[tuple[str, str], list[tuple[str, Geometry]]] = {}
    for r in table[table["error"].isna()].to_dict("records"):
        geometry = Geometry(tuple(r["size"]), tuple(r["spacing"]), tuple(r["origin"]), tuple(r["direction"]))
        grids.setdefault((r["patient_id"], r["reader"]), []).append((r["phase"], geometry))
    problems = {}
    for key, geometries in grids.items():
        first_phase, first = geometries[0]
        differing = [f"{phase}: {'; '.join(diff)}" for phase, g in geometries[1:]
                     if (diff := first.differences(g, tolerance))]
        if differing:
            problems[key] = f"phases on different grids (vs {first_phase}: {' | '.join(differing)})"
    return problems


def centre_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per centre (all images when no centre is known): images, patients, acquisition and mask facts, flags."""
    frame = table.assign(centre=table["centre"].fillna("(no centre)"))

    def span(values: pd.Series, digits: int = 3) -> str:
        values = pd.to_numeric(values, errors="coerce").dropna()
        if values.empty:
            return ""
        low, mid, high = values.min(), values.median(), values.max()
        return f"{mid:.{digits}g}" if low == high else f"{mid:.{digits}g} ({low:.{digits}g} to {high:.{digits}g})"

    def distinct(values: pd.Series) -> str:
        return ", ".join(sorted({str(v) for v in values.dropna() if str(v)}))

    rows = []
    for centre, group in frame.groupby("centre", sort=True):
        rows.append({
            "centre": centre, "images": len(group), "patients": group["patient_id"].nunique(),
            "in_plane_spacing_mm": span(group[["spacing_x", "spacing_y"]].max(axis=1)),
            "slice_thickness_mm": span(group["slice_thickness"]), "matrix": distinct(group["matrix"]),
            "manufacturer_model": distinct((group["manufacturer"].fillna("") + " " + group["model"].fillna("")).str.strip()
                                           .replace("", None)),
            "kvp": span(group["kvp"]), "field_strength_t": span(group["field_strength_t"]),
            "intensity_range": f"{span(group['intensity_min'], 4)} / {span(group['intensity_max'], 4)}",
            "mask_ml": span(group["mask_ml"]), "flagged_images": int((group["n_flags"] > 0).sum()),
        })
    return pd.DataFrame(rows)
