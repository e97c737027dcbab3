"""Preprocessing before pyradiomics: N4 bias-field correction and the 2D ROI.

Both work on SimpleITK images in the worker, before the images reach
``RadiomicsFeatureExtractor.execute``. (Z-score normalisation is pyradiomics' own
``normalize`` setting, see :mod:`hccdash.extraction.params`.)
"""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

N4_SHRINK_FACTOR = 4
N4_ITERATIONS = (50, 50, 50, 50)


def n4_bias_correction(image: sitk.Image) -> sitk.Image:
    """N4 bias-field correction (Tustison 2010) of an MRI volume, as float32.

    The field is fitted on the image shrunk by ``N4_SHRINK_FACTOR`` inside an Otsu
    foreground mask, then evaluated at full resolution: ``corrected = image / exp(log_field)``.
    """
    image = sitk.Cast(image, sitk.sitkFloat32)
    foreground = sitk.OtsuThreshold(image, 0, 1, 200)
    shrink = [N4_SHRINK_FACTOR if size >= 4 * N4_SHRINK_FACTOR else 1 for size in image.GetSize()]
    small_image = sitk.Shrink(image, shrink)
    small_mask = sitk.Shrink(foreground, shrink)
    corrector = sitk.N4BiasFieldCorrectionImageFilter()
    corrector.SetMaximumNumberOfIterations(list(N4_ITERATIONS))
    corrector.Execute(small_image, small_mask)
    log_field = corrector.GetLogBiasFieldAsImage(image)
    corrected = image / sitk.Exp(log_field)
    corrected.CopyInformation(image)
    return corrected


def largest_axial_section(mask: sitk.Image, label: int) -> sitk.Image:
    """The mask reduced to the one axial slice where ``label`` covers the most voxels.

    Other slices are cleared; ties go to the lowest slice index. Raises ``ValueError``
    if the label is absent.
    """
    array = sitk.GetArrayFromImage(mask)  # (z, y, x)
    counts = (array == label).reshape(array.shape[0], -1).sum(axis=1)
    if counts.max(initial=0) == 0:
        raise ValueError(f"Mask has no voxel with label {label}")
    keep = int(np.argmax(counts))
    section = np.zeros_like(array)
    section[keep] = array[keep]
    result = sitk.GetImageFromArray(section)
    result.CopyInformation(mask)
    return result
