"""DICOM-SEG masks (the format TCIA ships, e.g. HCC-TACE-Seg), read with highdicom.

A SEG holds frames only where a segment is present, often on a sub-grid of the series
it annotates. :func:`read_seg` builds the SEG's own volume (highdicom
``Segmentation.get_volume``, segments combined into one label map whose labels are the
segment numbers) and resamples it by nearest neighbour onto the geometry of the
referenced image (size, spacing, origin, direction), so the mask lines up voxel by
voxel with the image that pyradiomics reads.
"""

from __future__ import annotations

from pathlib import Path

import pydicom
import SimpleITK as sitk

SEG_SOP_CLASS_UID = "1.2.840.10008.5.1.4.1.1.66.4"


def is_dicom_seg(path: str | Path) -> bool:
    """True for a DICOM file whose SOP class is Segmentation Storage."""
    path = Path(path)
    if not path.is_file():
        return False
    try:
        header = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["SOPClassUID"])
    except (pydicom.errors.InvalidDicomError, OSError):
        return False
    return str(header.get("SOPClassUID", "")) == SEG_SOP_CLASS_UID


def read_seg(path: str | Path, reference: sitk.Image) -> sitk.Image:
    """The SEG at ``path`` as a UInt16 label map on the grid of ``reference``.

    Overlapping segments cannot form one label map and raise ValueError, as does a
    SEG whose frames do not form a regular volume.
    """
    import highdicom as hd

    seg = hd.seg.segread(str(path))
    try:
        volume = seg.get_volume(combine_segments=True, relabel=False, dtype="uint16")
    except (ValueError, RuntimeError) as exc:
        raise ValueError(f"{path}: DICOM-SEG cannot be read as one label volume: {exc}") from exc
    image = volume.to_simpleitk()
    return sitk.Resample(image, reference, sitk.Transform(), sitk.sitkNearestNeighbor, 0, sitk.sitkUInt16)
