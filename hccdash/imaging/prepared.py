"""The image and ROI as pyradiomics sees them after a case's settings.

:func:`prepare_case` runs the same steps as :func:`hccdash.extraction.case.compute_features`
up to the point where pyradiomics computes features: the image and mask read as the
extraction reads them, the largest axial cross-section (2D ROI) and N4 bias-field
correction when the settings ask for them, then pyradiomics' own
``RadiomicsFeatureExtractor.loadImage`` (label selection, ``normalize``, resampling to
``resampledPixelSpacing`` with the chosen interpolator and cropping to the ROI plus
``padDistance``, or ``preCrop``), ``imageoperations.checkMask`` and, with a
``resegmentRange``, ``imageoperations.resegmentMask``. What is shown is therefore what
the Original image type's feature classes receive (before their crop without padding).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from hccdash.cohort.images import read_image, read_mask
from hccdash.extraction import preprocess
from hccdash.extraction.case import CaseError, explain_failure
from hccdash.extraction.params import ExtractionSpec
from hccdash.imaging.volumes import Volume, as_roi, as_volume


@dataclass(frozen=True, eq=False)
class PreparedCase:
    """The prepared image (a :class:`Volume`), its ROI (boolean, same grid) and the steps taken, in words."""

    volume: Volume
    roi: np.ndarray
    steps: tuple[str, ...]
    voxels: int  # ROI voxels after the steps

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.volume.shape


def prepare_case(image_path: str | Path, mask_path: str | Path, label: int, spec: ExtractionSpec) -> PreparedCase:
    """The case's image and ROI after ``spec``'s preprocessing (see the module docstring).

    Raises :class:`~hccdash.extraction.case.CaseError` with the extraction's own explanation
    when pyradiomics refuses the case.
    """
    from radiomics import imageoperations
    from radiomics.featureextractor import RadiomicsFeatureExtractor

    label = int(label)
    image = read_image(image_path)
    mask = read_mask(mask_path, image, label)
    original_image, original_mask = image, mask
    settings = dict(RadiomicsFeatureExtractor(spec.params).settings, label=label)
    steps = []
    try:
        if spec.roi == "2d":
            mask = preprocess.largest_axial_section(mask, label)
            steps.append("ROI reduced to its largest axial cross-section")
        if spec.n4_bias_correction:
            image = preprocess.n4_bias_correction(image)
            steps.append("N4 bias-field correction")
        image, mask = RadiomicsFeatureExtractor.loadImage(image, mask, None, **settings)
        _, corrected = imageoperations.checkMask(image, mask, **settings)
        mask = corrected if corrected is not None else mask
        if settings.get("resegmentRange") is not None:
            mask = imageoperations.resegmentMask(image, mask, **settings)
            steps.append(f"resegmented to {settings['resegmentRange']}")
    except CaseError:
        raise
    except Exception as exc:  # explained as the extraction explains it
        raise explain_failure(exc, original_image, original_mask, image_path, mask_path, label, spec) from exc
    steps += _described(settings, original_image, image)
    roi = as_roi(mask, label)
    return PreparedCase(as_volume(sitk.Cast(image, sitk.sitkFloat32)), roi, tuple(steps), int(np.count_nonzero(roi)))


def _described(settings: dict, before: sitk.Image, after: sitk.Image) -> list[str]:
    steps = []
    if settings.get("normalize"):
        steps.append(f"normalised: (x - mean) / sd x {settings.get('normalizeScale', 1):g}")
    if settings.get("resampledPixelSpacing") is not None:
        steps.append(f"resampled ({settings.get('interpolator')}) from {_mm(before.GetSpacing())} to "
                     f"{_mm(after.GetSpacing())} mm and cropped to the ROI + {settings.get('padDistance', 5)} voxels")
    elif settings.get("preCrop"):
        steps.append(f"cropped to the ROI + {settings.get('padDistance', 5)} voxels")
    steps.append(f"{' x '.join(str(n) for n in after.GetSize())} voxels")
    return steps


def _mm(spacing) -> str:
    return " x ".join(f"{s:.3g}" for s in spacing)
