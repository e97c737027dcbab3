"""An image or a mask as a read-only (z, y, x) array in LPS orientation, remembered per file.

Images are read with :func:`hccdash.cohort.images.read_image` and masks with
:func:`~hccdash.cohort.images.read_mask` (DICOM-SEG and RTSTRUCT rasterised onto the
image grid), so the viewer shows the voxels the extraction uses. Both are turned to the
DICOM LPS orientation (``sitk.DICOMOrient``: axes permuted and flipped, never
resampled): array axis 0 runs inferior -> superior, axis 1 anterior -> posterior, axis 2
right -> left, whatever order the file stores them in.

Arrays are kept in a process-wide memo keyed by path, file stamp (size and mtime of
each file) and label, least recently used dropped first beyond :data:`MEMO_BYTES`: a
slider that moves through a 512 x 512 x 100 series reads the files once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import SimpleITK as sitk

from hccdash.cohort.images import image_geometry, read_image, read_mask
from hccdash.digest import stamp

ORIENTATION = "LPS"
MEMO_BYTES = 1536 * 1024**2  # arrays kept in memory by this process


@dataclass(frozen=True, eq=False)
class Volume:
    """A 3D image as a read-only array (z, y, x) in LPS orientation and its voxel size."""

    array: np.ndarray
    spacing: tuple[float, float, float]  # mm along x, y, z (array axes 2, 1, 0)
    origin: tuple[float, float, float] = (0.0, 0.0, 0.0)  # LPS position (mm) of voxel (0, 0, 0)

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.array.shape)

    def position(self, axis: int, index: float) -> float:
        """Position in mm along array ``axis`` (0: z, 1: y, 2: x) of slice ``index`` (axes taken as LPS-aligned)."""
        return self.origin[2 - axis] + index * self.spacing[2 - axis]

    def index_at(self, axis: int, position: float) -> int | None:
        """The slice along ``axis`` nearest to ``position`` (mm), or None when it lies outside the volume."""
        index = round((position - self.origin[2 - axis]) / self.spacing[2 - axis])
        return index if 0 <= index < self.array.shape[axis] else None


def oriented(image: sitk.Image) -> sitk.Image:
    """``image`` with its axes permuted and flipped to LPS (no resampling)."""
    if image.GetDimension() != 3:
        raise ValueError(f"a 3D image is needed, this one has {image.GetDimension()} dimensions")
    return sitk.DICOMOrient(image, ORIENTATION)


def as_volume(image: sitk.Image) -> Volume:
    """A SimpleITK image as a :class:`Volume` (grey-level images only)."""
    if image.GetNumberOfComponentsPerPixel() != 1:
        raise ValueError(f"a grey-level image is needed, this one has {image.GetNumberOfComponentsPerPixel()} "
                         "components per voxel (colour?)")
    image = oriented(image)
    array = sitk.GetArrayFromImage(image)
    array.flags.writeable = False
    return Volume(array, tuple(float(s) for s in image.GetSpacing()), tuple(float(o) for o in image.GetOrigin()))


def as_roi(mask: sitk.Image, label: int) -> np.ndarray:
    """The voxels of ``mask`` equal to ``label``, as a read-only boolean (z, y, x) array in LPS."""
    roi = sitk.GetArrayFromImage(oriented(mask == int(label))).astype(bool)
    roi.flags.writeable = False
    return roi


class _Memo:
    """Values by key, least recently used dropped first beyond ``limit`` bytes (thread-safe)."""

    def __init__(self, limit: int):
        self.limit = limit
        self._items: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any, make: Callable[[], Any], size: Callable[[Any], int]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key][0]
        value = make()  # outside the lock: another key may be read meanwhile
        with self._lock:
            self._items[key] = (value, size(value))
            while sum(n for _, n in self._items.values()) > self.limit and len(self._items) > 1:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_memo = _Memo(MEMO_BYTES)


def remember(key: Any, make: Callable[[], Any], size: Callable[[Any], int]) -> Any:
    """``make()``, remembered under ``key`` with the arrays (``size(value)`` bytes counted)."""
    return _memo.get(key, make, size)


def clear_memo() -> None:
    """Forget every remembered array (tests, memory pressure)."""
    _memo.clear()


def load_volume(path: str | Path) -> Volume:
    """The image at ``path`` (file or DICOM series folder) as a :class:`Volume`, remembered per file stamp."""
    path = Path(path)
    return _memo.get(("image", str(path), stamp(path)), lambda: as_volume(read_image(path)),
                     lambda v: v.array.nbytes)


def load_roi(mask_path: str | Path, image_path: str | Path, label: int) -> np.ndarray:
    """Label ``label`` of the mask at ``mask_path`` on the grid of the image at ``image_path``, as a
    boolean array shaped like :func:`load_volume`'s; ValueError when the grids differ."""
    mask_path, image_path = Path(mask_path), Path(image_path)
    key = ("roi", str(mask_path), stamp(mask_path), str(image_path), stamp(image_path), int(label))

    def make() -> np.ndarray:
        geometry = image_geometry(image_path)
        mask = read_mask(mask_path, geometry.blank(), label)
        if tuple(mask.GetSize()) != geometry.size:
            raise ValueError(f"The mask {mask_path} ({mask.GetSize()}) is not on the grid of the image {image_path} "
                             f"({geometry.size})")
        return as_roi(mask, label)

    return _memo.get(key, make, lambda a: a.nbytes)
