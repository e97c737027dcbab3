"""Which image and mask belong to which patient: a manifest table or a folder scan.

Both return the same frame, one row per image: ``patient_id, phase, reader, image,
mask, label, roi, file, row`` (``image`` / ``mask`` absolute paths; ``label`` the mask
label chosen for this row, or None for the cohort-wide choice; ``roi`` the ROI name of an
RTSTRUCT mask, or None for the cohort-wide one; ``file`` / ``row`` where the entry came
from, for messages).

**Manifest**: CSV or XLSX with columns ``patient_id, phase, image, mask`` and optionally
``reader`` (default ``1``), ``label`` (the mask label to use for that row) and ``roi``
(the ROI name when the mask is a DICOM RTSTRUCT); column names are case-insensitive, and any
other column is refused (a misspelt ``reader`` would silently be ignored). Relative paths are
relative to the manifest file's folder (or ``base_dir`` for an uploaded manifest).
:func:`read_manifest` is the one reader of manifests: the cohort import reports bad rows and
skips them (:func:`hccdash.cohort.images.check_images`), ``extract`` refuses them
(:mod:`hccdash.extraction.manifest`).

**Folder scan pattern** (matched against each file's and folder's path relative to the
scanned folder, ``/`` between folders; a matching folder is a DICOM series):

- ``{patient_id}``: one or more characters except ``/`` (takes as much as it can);
- ``{phase}``: letters, digits and ``-`` (no ``_``, ``.`` or ``/``);
- ``{reader}``: digits, possibly none (the mask pattern may carry it; none = reader ``1``);
- ``*``: any characters except ``/``;
- everything else is literal.

E.g. image ``{patient_id}_{phase}.nii.gz`` and mask ``{patient_id}_{phase}_mask.nii.gz``
find ``P001_arterial.nii.gz`` and ``P001_arterial_mask.nii.gz``; ``{patient_id}/{phase}``
with ``{patient_id}/{phase}_seg.dcm`` finds DICOM series folders with DICOM-SEG masks.
A path matching the mask pattern is never taken as an image.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from hccdash.cohort.mapping import canonical
from hccdash.cohort.tables import Source, read_table
from hccdash.settings import CohortSettings

COLUMNS = ["patient_id", "phase", "reader", "image", "mask", "label", "roi", "file", "row"]
REQUIRED = ("patient_id", "phase", "image", "mask")
OPTIONAL = ("reader", "label", "roi")
_FIELDS = {"patient_id": r"[^/]+", "phase": r"[A-Za-z0-9-]+", "reader": r"\d*"}


def compile_pattern(pattern: str, required: tuple[str, ...] = ("patient_id", "phase")) -> re.Pattern:
    """The regular expression of a scan pattern; unknown or missing fields raise ValueError."""
    fields = re.findall(r"\{([^}]*)\}", pattern)
    unknown = sorted(set(fields) - set(_FIELDS))
    if unknown:
        raise ValueError(f"Pattern {pattern!r}: unknown field(s) {unknown}; allowed: {sorted(_FIELDS)}")
    missing = [f for f in required if f not in fields]
    if missing:
        raise ValueError(f"Pattern {pattern!r} must contain {', '.join('{' + f + '}' for f in missing)}")
    if len(fields) != len(set(fields)):
        raise ValueError(f"Pattern {pattern!r}: a field occurs twice")
    regex = ""
    for part in re.split(r"(\{[^}]*\}|\*)", pattern.strip("/")):
        if part == "*":
            regex += r"[^/]*"
        elif part.startswith("{"):
            regex += f"(?P<{part[1:-1]}>{_FIELDS[part[1:-1]]})"
        else:
            regex += re.escape(part)
    return re.compile(regex + r"\Z")


def _relative_paths(folder: Path) -> list[str]:
    found = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        rel = Path(root).relative_to(folder)
        found += [(rel / name).as_posix() for name in sorted(dirs) + sorted(files)]
    return found


def scan_folder(folder: str | Path, image_pattern: str, mask_pattern: str) -> pd.DataFrame:
    """Images and masks under ``folder`` matched by the two patterns (see module docs)."""
    folder = Path(folder).expanduser().resolve()
    if not folder.is_dir():
        raise FileNotFoundError(f"Image folder {folder} does not exist")
    image_re = compile_pattern(image_pattern)
    mask_re = compile_pattern(mask_pattern)
    masks: dict[tuple[str, str], list[tuple[str, str]]] = {}
    images: dict[tuple[str, str], str] = {}
    for rel in _relative_paths(folder):
        if m := mask_re.match(rel):
            key = (m["patient_id"], m["phase"])
            masks.setdefault(key, []).append((m.groupdict().get("reader") or "1", rel))
        elif m := image_re.match(rel):
            images[(m["patient_id"], m["phase"])] = rel
    rows = []
    for key in sorted(set(images) | set(masks)):
        image = images.get(key)
        for reader, mask in masks.get(key) or [("1", None)]:
            rows.append({
                "patient_id": key[0], "phase": key[1], "reader": canonical(reader),
                "image": str(folder / image) if image else None,
                "mask": str(folder / mask) if mask else None,
                "label": None, "roi": None, "file": image or mask, "row": None,
            })
    return pd.DataFrame(rows, columns=COLUMNS)


def _label(value: object, file: str, row: int) -> int | None:
    text = canonical(value)
    if text is None:
        return None
    if not text.isdigit() or int(text) == 0:
        raise ValueError(f"{file}, row {row}, column 'label': a mask label is a whole number above 0, got {value!r}")
    return int(text)


def read_manifest(source: Source, base_dir: str | Path | None = None, filename: str | None = None) -> pd.DataFrame:
    """The manifest at a path (or uploaded bytes with ``base_dir``), paths made absolute."""
    if base_dir is None:
        if not isinstance(source, (str, Path)):
            raise ValueError("An uploaded manifest needs the folder its relative paths start from (base_dir)")
        base_dir = Path(source).expanduser().resolve().parent
    base_dir = Path(base_dir).expanduser().resolve()
    name = filename or (Path(source).name if isinstance(source, (str, Path)) else "uploaded manifest")
    table = read_table(source, filename=name, max_columns=CohortSettings().max_columns)
    columns = {c.lower().strip(): c for c in table.columns}
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise ValueError(f"{name}: manifest column(s) {missing} missing in the header (row 1); found {list(table.columns)}")
    unknown = [columns[c] for c in columns if c not in (*REQUIRED, *OPTIONAL)]
    if unknown:
        raise ValueError(f"{name}: unknown manifest column(s) {unknown} in the header (row 1); allowed: "
                         f"{', '.join((*REQUIRED, *OPTIONAL))}. Remove them: a misspelt 'reader', 'label' or 'roi' "
                         "column would otherwise be ignored")

    def absolute(value: object) -> str | None:
        text = canonical(value) if value is not None else None
        if not text:
            return None
        path = Path(str(value)).expanduser()
        return str(path if path.is_absolute() else os.path.normpath(base_dir / path))  # links kept: messages show them

    return pd.DataFrame({
        "patient_id": table[columns["patient_id"]].map(lambda v: None if pd.isna(v) else str(v)),
        "phase": table[columns["phase"]].map(lambda v: None if pd.isna(v) else str(v)),
        "reader": table[columns["reader"]].map(lambda v: canonical(v) or "1") if "reader" in columns else "1",
        "image": table[columns["image"]].map(absolute),
        "mask": table[columns["mask"]].map(absolute),
        "label": [_label(v, name, r) for r, v in table[columns["label"]].items()] if "label" in columns else None,
        "roi": table[columns["roi"]].map(lambda v: canonical(v) or None) if "roi" in columns else None,
        "file": name,
        "row": table.index.astype(int),
    }, columns=COLUMNS).reset_index(drop=True)
