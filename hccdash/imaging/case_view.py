"""One patient x phase of a stored cohort, with every reader's mask, for the Case viewer.

The image is the one of the first reader (readers sort as text: '1' first); each
reader's ROI (its mask at its stored label) is read onto that image's grid. A reader
whose mask cannot be shown there (another grid, unreadable) is named with the reason
instead of failing the whole view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd

from hccdash.digest import stamp
from hccdash.imaging.overlap import dice
from hccdash.imaging.render import PLANES, Window, plane_count, preset_window
from hccdash.imaging.volumes import Volume, load_roi, load_volume, remember


@dataclass(frozen=True, eq=False)
class CaseView:
    """The image of one patient x phase and each reader's ROI (boolean arrays on its grid)."""

    patient_id: str
    phase: str
    image_path: str
    volume: Volume
    rois: dict[str, np.ndarray]
    labels: dict[str, int]
    problems: dict[str, str] = field(default_factory=dict)  # reader -> why its mask is not shown

    def agreement(self) -> pd.DataFrame:
        """Dice of every pair of readers shown: ``first, second, dice`` (computed once per view)."""
        if "_agreement" not in self.__dict__:
            rows = [(a, b, dice(self.rois[a], self.rois[b])) for a, b in combinations(sorted(self.rois), 2)]
            self.__dict__["_agreement"] = pd.DataFrame(rows, columns=["first", "second", "dice"])
        return self.__dict__["_agreement"].copy()

    def start_slice(self, plane: str, reader: str | None) -> int:
        """:func:`best_slice` of ``reader``'s ROI in ``plane`` (remembered: a slider move reads no mask again)."""
        key = ("_start", plane, reader)
        if key not in self.__dict__:
            self.__dict__[key] = best_slice(self.volume.shape, plane, self.rois.get(reader))
        return self.__dict__[key]

    def window(self, preset: str) -> Window:
        """The window of ``preset`` for this image (a percentile window is computed once)."""
        key = ("_window", preset)
        if key not in self.__dict__:
            self.__dict__[key] = preset_window(preset, self.volume.array)
        return self.__dict__[key]


def case_rows(images: pd.DataFrame, patient_id: str, phase: str) -> pd.DataFrame:
    """The image rows (one per reader) of ``patient_id`` x ``phase``, readers in order; ValueError if none."""
    rows = images[(images["patient_id"] == patient_id) & (images["phase"] == phase)].sort_values("reader")
    if rows.empty:
        raise ValueError(f"The cohort has no image of patient {patient_id!r}, phase {phase!r}")
    return rows.reset_index(drop=True)


def load_case_view(images: pd.DataFrame, patient_id: str, phase: str) -> CaseView:
    """The :class:`CaseView` of ``patient_id`` x ``phase`` from a cohort's image rows (``cohort_images``),
    remembered with the arrays (:func:`hccdash.imaging.volumes.remember`) while its files are unchanged."""
    rows = case_rows(images, patient_id, phase)
    image_path = str(rows["image_path"].iloc[0])
    key = ("case view", patient_id, phase, image_path, stamp(image_path),
           tuple((str(r.reader), str(r.mask_path), int(r.label), _stamp(r.mask_path)) for r in rows.itertuples()))
    return remember(key, lambda: _view(rows, patient_id, phase, image_path),
                    lambda v: v.volume.array.nbytes + sum(r.nbytes for r in v.rois.values()))


def _stamp(path: str) -> str:
    try:
        return stamp(path)
    except (OSError, ValueError):
        return ""  # a missing mask: named by the view's problems


def _view(rows: pd.DataFrame, patient_id: str, phase: str, image_path: str) -> CaseView:
    volume = load_volume(image_path)
    rois, labels, problems = {}, {}, {}
    for row in rows.itertuples(index=False):
        reader = str(row.reader)
        labels[reader] = int(row.label)
        try:
            rois[reader] = load_roi(row.mask_path, image_path, int(row.label))
        except (ValueError, RuntimeError, OSError) as exc:
            problems[reader] = f"mask {row.mask_path}: {' '.join(str(exc).split())[:300]}"
    return CaseView(patient_id, phase, image_path, volume, rois, labels, problems)


def best_slice(shape: tuple[int, ...], plane: str, roi: np.ndarray | None = None) -> int:
    """The ``plane`` slice of a (z, y, x) volume where ``roi`` covers the most voxels (the first such);
    the middle slice without an ROI or with an empty one."""
    count = plane_count(shape, plane)
    if roi is None or not roi.any():
        return (count - 1) // 2
    axis = PLANES.index(plane)
    return int(np.argmax(roi.sum(axis=tuple(a for a in range(3) if a != axis))))
