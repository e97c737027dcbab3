"""One case (patient x phase x reader): read, check, preprocess, run pyradiomics, never raise.

:func:`extract_cases` is what a worker process runs: the cases of one image (its
readers' masks, its labels; :func:`image_groups`), the image read and corrected once
(:class:`ImageSource`). It receives paths and a picklable
:class:`~hccdash.extraction.params.ExtractionSpec` (never open images), limits SimpleITK
to one thread (the workers already use every core; see TRAPS.md), and returns a
:class:`CaseResult` per case whose status is ``done`` with the numeric features, or
``failed`` with the error message. It never touches the store. pyradiomics receives the
image cut to what it reads (:mod:`hccdash.extraction.precrop`): at clinical size that
saves most of the resampling, and the features are the same.

:func:`compute_features` raises :class:`CaseError` for every problem, with a message
that says in plain words what is wrong and names the image or mask file: a file that
does not exist or is not an image; a file that is damaged, cut short, not a regular
file or declares more voxels than the setting ``cohort.max_voxels`` (:mod:`hccdash.cohort.integrity`,
checked before its voxels are read); a mask off the image's voxel grid (size, spacing and
origin of both); NaN or infinite image voxels inside the ROI (float images only: an
integer image cannot hold them, and is not looked at); a label absent from the mask
(with the labels it has); an ROI too small after resampling; any other pyradiomics
error, prefixed with the case's files. Before pyradiomics only the headers are
compared (and a float image's voxels scanned for NaN); the mask's labels are counted
only once pyradiomics has failed, so a good int16 CT case costs what it did.

(About 435 lines, one module: the checks, the one-read image source and pyradiomics' call share
the case's opened images, which must not be read twice at clinical size.)
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import SimpleITK as sitk

from hccdash.cohort.images import Geometry, read_image, read_mask
from hccdash.cohort.dicomseries import SliceGapError
from hccdash.cohort.integrity import ImageFileError
from hccdash.extraction import cache, preprocess
from hccdash.extraction.params import ExtractionSpec
from hccdash.extraction.precrop import crop_for_pyradiomics
from hccdash.settings import CohortSettings

MAX_ERROR_CHARS = 800
MAX_LABELS_NAMED = 10  # labels listed when the wanted one is absent
ITK_DETAIL_CHARS = 160  # of SimpleITK's own reason, quoted after the plain explanation
_local = threading.local()  # Dask workers may run cases in threads
_build_lock = threading.Lock()
_FLOAT_PIXELS = (sitk.sitkFloat32, sitk.sitkFloat64)
# pyradiomics' (and hccdash's 2D ROI's) words for "this label is not in the mask"
_LABEL_ABSENT = re.compile(r"not present in mask|No labels found|has no voxel with label")
# ... for "the ROI is too small", after resampling or resegmentation
_ROI_TOO_SMALL = re.compile(r"only contains 1 segmented voxel|too few dimensions|ROI is too small|excluded too many voxels")
# ... for "image and mask do not share a grid"
_GEOMETRY = re.compile(r"geometry mismatch|size mismatch|does not match the primary input")
# SimpleITK's exception text before ITK's own message: "Exception thrown in SimpleITK X: file.cxx:99: sitk::ERROR: "
_ITK_NOISE = re.compile(
    r"Exception thrown in SimpleITK \w+:\s*\S+:\d+:\s*|(?:sitk|itk)::ERROR:\s*(?:\w+\(0x[0-9a-f]+\):\s*)?"
)


class CaseError(ValueError):
    """A case that cannot be extracted, explained in plain words naming its files."""


@dataclass(frozen=True)
class Case:
    """One image + mask + label to extract, with its content hashes and cache key."""

    case_key: str
    image_path: str
    mask_path: str
    label: int
    image_sha256: str
    mask_sha256: str


@dataclass
class CaseResult:
    """The outcome of one case: ``done`` with features, or ``failed`` with a message."""

    case_key: str
    image_sha256: str
    mask_sha256: str
    label: int
    settings_hash: str
    versions: str
    status: str
    error: str | None = None
    seconds: float = 0.0
    features: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the per-case cache file)."""
        return dict(self.__dict__)

    @classmethod
    def of(cls, case: Case, spec: ExtractionSpec, status: str = "done", error: str | None = None) -> "CaseResult":
        """A result of ``case`` under ``spec`` with these library versions (features and time still to come)."""
        return cls(case.case_key, case.image_sha256, case.mask_sha256, int(case.label), spec.settings_hash,
                   cache.versions(), status, error)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CaseResult":
        """Inverse of :meth:`to_dict`."""
        return cls(**data)


def _quiet_radiomics() -> None:
    import radiomics  # importing it resets its logger, so import first

    radiomics.setVerbosity(logging.ERROR)


def _extractor(spec: ExtractionSpec) -> Any:
    """This thread's extractor for ``spec`` (built under a lock: pyradiomics' schema check is
    not thread-safe). Its ``diagnostics_*`` entries are switched off: they are not stored
    (see :func:`numeric_features`), and hashing the image and mask for them costs time.
    Its ``normalize`` is off: :class:`ImageSource` normalises the whole image, as
    pyradiomics would, before the image is cut to what pyradiomics reads."""
    extractors = _local.__dict__.setdefault("extractors", {})
    key = spec.settings_hash
    if key not in extractors:
        from radiomics.featureextractor import RadiomicsFeatureExtractor

        params = spec.params
        if (params.get("setting") or {}).get("normalize"):
            params = {**params, "setting": {**params["setting"], "normalize": False}}
        with _build_lock:
            extractor = RadiomicsFeatureExtractor(params)
        extractor.addProvenance(False)
        extractors[key] = extractor
    return extractors[key]


def numeric_features(result: dict[str, Any]) -> dict[str, float]:
    """pyradiomics output without ``diagnostics_*`` entries and non-numeric values, as floats."""
    features = {}
    for name, value in result.items():
        if name.startswith("diagnostics_"):
            continue
        array = np.asarray(value)
        if array.shape == () and np.issubdtype(array.dtype, np.number):
            features[name] = float(array)
    return features


class ImageSource:
    """One image, read (and N4-corrected, normalised) once for every case drawn on it.

    A worker runs the cases of one image together (:func:`extract_cases`): the second
    reader's mask, or another label, reuses the image as read instead of reading and
    correcting it again. Failures are raised as :class:`CaseError` each time they are asked for.
    """

    def __init__(self, image_path: str | Path, spec: ExtractionSpec):
        self.path, self.spec = image_path, spec
        self._done: dict[str, sitk.Image | BaseException] = {}

    def _once(self, step: str, make: Callable[[], sitk.Image]) -> sitk.Image:
        if step not in self._done:
            try:
                self._done[step] = make()
            except Exception as exc:  # remembered, raised again for each case
                self._done[step] = exc
        value = self._done[step]
        if isinstance(value, BaseException):
            raise value
        return value

    def image(self) -> sitk.Image:
        """The image as read."""
        return self._once("read", lambda: _read("image", self.path, lambda: read_image(self.path)))

    def prepared(self) -> sitk.Image:
        """The image after N4 (when set) and pyradiomics' whole-image normalisation (when set)."""
        def make() -> sitk.Image:
            image = preprocess.n4_bias_correction(self.image()) if self.spec.n4_bias_correction else self.image()
            settings = pyradiomics_settings(self.spec)
            if settings.get("normalize"):
                from radiomics import imageoperations

                image = imageoperations.normalizeImage(image, **settings)
            return image

        return self._once("prepared", make)


_settings: dict[str, dict[str, Any]] = {}


def pyradiomics_settings(spec: ExtractionSpec) -> dict[str, Any]:
    """pyradiomics' settings for ``spec`` with its defaults filled in (its extractor's ``settings``)."""
    if spec.settings_hash not in _settings:
        from radiomics.featureextractor import RadiomicsFeatureExtractor

        with _build_lock:
            _settings[spec.settings_hash] = dict(RadiomicsFeatureExtractor(spec.params).settings)
    return _settings[spec.settings_hash]


def compute_features(
    image_path: str | Path, mask_path: str | Path, label: int, spec: ExtractionSpec, source: ImageSource | None = None
) -> dict[str, float]:
    """The numeric pyradiomics features of one case under ``spec``; :class:`CaseError` on any problem.

    ``source``: the image already read for another case on it. pyradiomics runs on the
    image normalised here when ``normalize`` is set (its own normalisation then off) and
    cut to what it reads (:mod:`hccdash.extraction.precrop`): the features are the same.
    """
    label = int(label)
    source = source or ImageSource(image_path, spec)
    image = source.image()
    mask = read_case_mask(mask_path, image, label, image_path)
    if not (_setting(spec, "correctMask") or _setting(spec, "resampledPixelSpacing")):
        check_geometry(image, mask, image_path, mask_path)  # pyradiomics would refuse it, in ITK's words
    try:
        roi = preprocess.largest_axial_section(mask, label) if spec.roi == "2d" else mask
        bad = nonfinite_voxels(image, roi, label)
        if bad:
            raise CaseError(
                f"The image {image_path} has {bad} NaN or infinite voxel(s) inside label {label} of the mask "
                f"{mask_path}; pyradiomics would silently leave them out. Fix the image or the mask."
            )
        prepared = source.prepared()
        settings = pyradiomics_settings(spec)
        cropped, roi = crop_for_pyradiomics(prepared, roi, label, {**settings, "normalize": False})
        from hccdash.extraction.speedups import exact_speedups  # imports pyradiomics: only in workers

        with exact_speedups():
            result = _extractor(spec).execute(cropped, roi, label=label)
    except CaseError:
        raise
    except Exception as exc:  # explained below, with the case's files
        raise explain_failure(exc, image, mask, image_path, mask_path, label, spec) from exc
    features = numeric_features(result)
    if not features:
        raise CaseError(
            f"pyradiomics returned no features for the image {image_path} with the mask {mask_path} "
            "(no feature class enabled?)"
        )
    return features


def read_case_mask(mask_path: str | Path, image: sitk.Image, label: int, image_path: str | Path) -> sitk.Image:
    """The mask of a case (a DICOM-SEG or RTSTRUCT on the image's grid); :class:`CaseError` explaining a failure."""
    return _read("mask", mask_path, lambda: read_mask(mask_path, image, label, image_path=image_path))


def _setting(spec: ExtractionSpec, name: str) -> Any:
    return (spec.params.get("setting") or {}).get(name)


def _read(kind: str, path: str | Path, read: Callable[[], sitk.Image]) -> sitk.Image:
    """``read()``, with its failure explained: the file is missing, not an image, or not a DICOM series."""
    try:
        return read()
    except FileNotFoundError:
        raise CaseError(f"The {kind} file {path} does not exist (moved or deleted since it was listed?)") from None
    except ImageFileError as exc:  # damaged, cut short, not a regular file, or too large: it says which file
        raise CaseError(f"The {kind} {_flat(exc)}") from None
    except SliceGapError as exc:  # a DICOM series with a missing or misplaced slice: it names the slices
        raise CaseError(_flat(exc)) from None
    except RuntimeError as exc:  # SimpleITK / ITK
        raise CaseError(
            f"The {kind} {path} cannot be read: SimpleITK does not recognise it as an image (damaged, "
            f"truncated, or not an image file) [{_itk_text(exc)[:ITK_DETAIL_CHARS]}]"
        ) from exc
    except ValueError as exc:
        if Path(path).is_dir():
            raise CaseError(f"The {kind} folder {path} holds no DICOM series (SimpleITK/GDCM found none)") from exc
        raise CaseError(_flat(exc) if str(path) in str(exc) else f"The {kind} {path}: {_flat(exc)}") from exc
    except Exception as exc:  # e.g. a DICOM-SEG highdicom cannot parse
        raise CaseError(f"The {kind} {path} cannot be read: {type(exc).__name__}: {_flat(exc)}") from exc


def check_geometry(image: sitk.Image, mask: sitk.Image, image_path: str | Path, mask_path: str | Path) -> None:
    """``CaseError`` unless ``mask`` lies on the voxel grid of ``image`` (the cohort import's tolerance)."""
    ours, theirs = Geometry.of(image), Geometry.of(mask)
    differences = ours.differences(theirs, CohortSettings().geometry_tolerance)
    if differences:
        names = [d.split(" ")[0] for d in differences]
        what = f"{names[0]} differs" if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]} differ"
        raise CaseError(_geometry_message(ours, theirs, image_path, mask_path, what))


def _geometry_message(image: Geometry, mask: Geometry, image_path: str | Path, mask_path: str | Path, what: str) -> str:
    return (
        f"The mask {mask_path} does not lie on the voxel grid of the image {image_path} ({what}): "
        f"image {_describe(image)}; mask {_describe(mask)}. Resample the mask onto the image "
        "(or set correctMask: true in the parameter file)."
    )


def _describe(geometry: Geometry) -> str:
    def numbers(values: tuple[float, ...]) -> str:
        return " x ".join(f"{v:.4g}" for v in values)

    origin = ", ".join(f"{v:.4g}" for v in geometry.origin)
    return f"size {numbers(geometry.size)}, spacing {numbers(geometry.spacing)} mm, origin ({origin}) mm"


def nonfinite_voxels(image: sitk.Image, mask: sitk.Image, label: int) -> int:
    """How many voxels of ``image`` inside ``label`` of ``mask`` are NaN or infinite.

    Integer images cannot hold such values: they return 0 without a look at a voxel.
    A mask on another grid (pyradiomics' ``correctMask``) is first resampled onto the image.
    """
    if image.GetPixelID() not in _FLOAT_PIXELS:
        return 0
    values = sitk.GetArrayViewFromImage(image)
    finite = np.isfinite(values)
    if finite.all():
        return 0
    if Geometry.of(mask) != Geometry.of(image):
        mask = sitk.Resample(mask, image, sitk.Transform(), sitk.sitkNearestNeighbor, 0, mask.GetPixelID())
    return int(np.count_nonzero(~finite[sitk.GetArrayViewFromImage(mask) == label]))


def label_counts(mask: sitk.Image) -> dict[int, int]:
    """Voxels per non-zero label of ``mask``."""
    values, counts = np.unique(sitk.GetArrayViewFromImage(mask), return_counts=True)
    return {int(v): int(c) for v, c in zip(values, counts) if v != 0}


def explain_failure(
    exc: BaseException,
    image: sitk.Image,
    mask: sitk.Image,
    image_path: str | Path,
    mask_path: str | Path,
    label: int,
    spec: ExtractionSpec,
) -> CaseError:
    """A :class:`CaseError` saying in plain words why pyradiomics (or preprocessing) failed on a case.

    ``image`` and ``mask`` are as read (before N4 and the 2D reduction). Label and ROI-size problems
    are told from the mask's own labels; anything else keeps pyradiomics' message,
    prefixed with the case's files.
    """
    text = _itk_text(exc)
    files = f"image {image_path}, mask {mask_path}"
    if _LABEL_ABSENT.search(text) or _ROI_TOO_SMALL.search(text):
        counts = label_counts(mask)
        if label not in counts:
            found = ", ".join(f"{k} ({v} voxels)" for k, v in sorted(counts.items())[:MAX_LABELS_NAMED])
            if len(counts) > MAX_LABELS_NAMED:
                found += f" and {len(counts) - MAX_LABELS_NAMED} more (is it a mask?)"
            has = f"its labels are {found}" if counts else "it is empty (every voxel is 0)"
            return CaseError(f"The mask {mask_path} has no voxel with label {label}: {has}.")
        roi = _roi_text(mask, mask_path, label, counts[label], spec)
        return CaseError(f"{roi} [pyradiomics: {text}]; image {image_path}")
    if "larger than image space" in text:
        return CaseError(
            f"The ROI (label {label} of the mask {mask_path}) reaches outside the image {image_path}: image "
            f"{_describe(Geometry.of(image))}; mask {_describe(Geometry.of(mask))} [pyradiomics: {text}]"
        )
    if _GEOMETRY.search(text):
        beyond = "they differ beyond pyradiomics' geometryTolerance"
        geometry = _geometry_message(Geometry.of(image), Geometry.of(mask), image_path, mask_path, beyond)
        return CaseError(f"{geometry} [pyradiomics: {text}]")
    if isinstance(exc, MemoryError) or "allocate memory" in text:
        return CaseError(
            f"Out of memory extracting the {files}: use a coarser resampledPixelSpacing or fewer workers [{text}]"
        )
    return CaseError(f"pyradiomics failed on the {files} (label {label}): {type(exc).__name__}: {text}")


def _roi_text(mask: sitk.Image, mask_path: str | Path, label: int, n_voxels: int, spec: ExtractionSpec) -> str:
    spacing = " x ".join(f"{s:.4g}" for s in mask.GetSpacing())
    steps = []
    if _setting(spec, "resampledPixelSpacing"):
        steps.append(f"resampling to {' x '.join(f'{s:g}' for s in _setting(spec, 'resampledPixelSpacing'))} mm")
    if _setting(spec, "resegmentRange") is not None:
        steps.append("resegmentation")
    if spec.roi == "2d":
        steps.append("keeping the largest axial cross-section")
    after = f" after {' and '.join(steps)}" if steps else ""
    return (
        f"The ROI (label {label} of the mask {mask_path}: {n_voxels} voxel(s) at {spacing} mm) is empty or too "
        f"small for pyradiomics{after}"
    )


def _flat(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _itk_text(exc: BaseException) -> str:
    """The exception's text without SimpleITK's source-file preamble, on one line."""
    return _ITK_NOISE.sub("", _flat(exc)).strip()


def features_function(spec: Any) -> Callable[..., dict[str, float]]:
    """What computes a case's features under ``spec``: :func:`compute_features` (pyradiomics), or the
    spec's own ``compute`` for another kind of features (deep features: :class:`hccdash.deep.spec.DeepSpec`),
    called the same way."""
    return getattr(spec, "compute", compute_features)


def extract_case(case: Case, spec: ExtractionSpec, source: ImageSource | None = None) -> CaseResult:
    """Run one case in a worker; any error becomes a ``failed`` result with its message."""
    sitk.ProcessObject_SetGlobalDefaultNumberOfThreads(1)
    _quiet_radiomics()
    start = time.perf_counter()
    result = CaseResult.of(case, spec)
    try:
        result.features = features_function(spec)(case.image_path, case.mask_path, case.label, spec, source)
    except Exception as exc:  # recorded per case; the run goes on
        text = _flat(exc) if isinstance(exc, CaseError) else f"{type(exc).__name__}: {_flat(exc)}"
        result.status, result.error = "failed", text[:MAX_ERROR_CHARS]
    result.seconds = time.perf_counter() - start
    return result


def image_groups(cases: Sequence[Case]) -> list[list[Case]]:
    """The cases in groups sharing one image (readers' masks, labels), in order of first appearance."""
    groups: dict[str, list[Case]] = {}
    for case in cases:
        groups.setdefault(case.image_path, []).append(case)
    return list(groups.values())


def extract_cases(cases: list[Case], spec: ExtractionSpec) -> list[CaseResult]:
    """Run the cases of one image in a worker, the image read (and corrected) once for all of them.

    Each case's ``seconds`` is its own time; the first case's includes reading the image.
    """
    sources = {}
    return [extract_case(case, spec, sources.setdefault(case.image_path, ImageSource(case.image_path, spec)))
            for case in cases]
