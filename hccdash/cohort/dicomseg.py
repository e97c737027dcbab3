"""DICOM-SEG masks (the format TCIA ships, e.g. HCC-TACE-Seg), read with highdicom.

A SEG holds frames only where a segment is present, often on a sub-grid of the series
it annotates. :func:`read_seg` builds the SEG's own volume (highdicom
``Segmentation.get_volume``; labels are the segment numbers) and resamples it by nearest
neighbour onto the geometry of the referenced image (size, spacing, origin, direction),
so the mask lines up voxel by voxel with the image that pyradiomics reads. Segments may
overlap (liver and tumour), so each is counted and read on its own when a label is given.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import SimpleITK as sitk

from hccdash.cohort.dicomseries import sop_class

SEG_SOP_CLASS_UID = "1.2.840.10008.5.1.4.1.1.66.4"


def is_dicom_seg(path: str | Path) -> bool:
    """True for a DICOM file whose SOP class is Segmentation Storage."""
    return sop_class(path) == SEG_SOP_CLASS_UID


def _open(path: str | Path):
    import highdicom as hd

    return hd.seg.segread(str(path))


def _on_grid(seg, reference: sitk.Image, segments: list[int] | None, path: str | Path) -> sitk.Image:
    try:
        volume = seg.get_volume(segment_numbers=segments, combine_segments=True, relabel=False, dtype="uint16")
    except (ValueError, RuntimeError) as exc:
        hint = " (segments overlap: choose one label)" if segments is None and "overlap" in str(exc).lower() else ""
        raise ValueError(f"{path}: DICOM-SEG cannot be read as one label volume{hint}: {exc}") from exc
    return sitk.Resample(volume.to_simpleitk(), reference, sitk.Transform(), sitk.sitkNearestNeighbor, 0, sitk.sitkUInt16)


def read_seg(path: str | Path, reference: sitk.Image, segment: int | None = None) -> sitk.Image:
    """The SEG at ``path`` as a UInt16 label map on the grid of ``reference``.

    With ``segment`` only that segment (voxels = its number); without, all segments
    combined, which raises ValueError when they overlap (a liver segment containing the
    tumour, as in HCC-TACE-Seg): then choose the label.
    """
    seg = _open(path)
    numbers = list(seg.segment_numbers)
    if segment is not None and segment not in numbers:
        raise ValueError(f"{path}: segment {segment} is not in this DICOM-SEG (segments: {numbers})")
    return _on_grid(seg, reference, None if segment is None else [segment], path)


def seg_label_counts(path: str | Path, reference: sitk.Image) -> dict[int, int]:
    """Voxels of each segment on the grid of ``reference`` (segments may overlap); empty ones left out."""
    seg = _open(path)
    counts = {}
    for number in seg.segment_numbers:
        mask = _on_grid(seg, reference, [number], path)  # keep the image alive while its array view is read
        voxels = int(np.count_nonzero(sitk.GetArrayViewFromImage(mask)))
        if voxels:
            counts[int(number)] = voxels
    return counts
