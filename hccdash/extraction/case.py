"""One case (patient x phase x reader): read, preprocess, run pyradiomics, never raise.

:func:`extract_case` is what a worker process runs, one case per task. It receives
paths and a picklable :class:`~hccdash.extraction.params.ExtractionSpec` (never open
images), limits SimpleITK to one thread (the workers already use every core; see
TRAPS.md), and returns a :class:`CaseResult` whose status is ``done`` with the numeric
features, or ``failed`` with the error message. It never touches the store.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import SimpleITK as sitk

from hccdash.cohort.images import read_image, read_mask
from hccdash.extraction import cache, preprocess
from hccdash.extraction.params import ExtractionSpec

MAX_ERROR_CHARS = 800
_local = threading.local()  # Dask workers may run cases in threads
_build_lock = threading.Lock()


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
    def from_dict(cls, data: dict[str, Any]) -> "CaseResult":
        """Inverse of :meth:`to_dict`."""
        return cls(**data)


def _quiet_radiomics() -> None:
    import radiomics  # importing it resets its logger, so import first

    radiomics.setVerbosity(logging.ERROR)


def _extractor(spec: ExtractionSpec) -> Any:
    """This thread's extractor for ``spec`` (built under a lock: pyradiomics' schema check is
    not thread-safe). Its ``diagnostics_*`` entries are switched off: they are not stored
    (see :func:`numeric_features`), and hashing the image and mask for them costs time."""
    extractors = _local.__dict__.setdefault("extractors", {})
    key = spec.settings_hash
    if key not in extractors:
        from radiomics.featureextractor import RadiomicsFeatureExtractor

        with _build_lock:
            extractor = RadiomicsFeatureExtractor(spec.params)
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


def compute_features(image_path: str | Path, mask_path: str | Path, label: int, spec: ExtractionSpec) -> dict[str, float]:
    """The numeric pyradiomics features of one case under ``spec`` (raises on any problem)."""
    image = read_image(image_path)
    mask = read_mask(mask_path, image, int(label))  # DICOM-SEG resampled onto the image grid
    if spec.n4_bias_correction:
        image = preprocess.n4_bias_correction(image)
    if spec.roi == "2d":
        mask = preprocess.largest_axial_section(mask, label)
    from hccdash.extraction.speedups import exact_bin_edges

    with exact_bin_edges():
        result = _extractor(spec).execute(image, mask, label=int(label))
    return numeric_features(result)


def _message(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:MAX_ERROR_CHARS]


def extract_case(case: Case, spec: ExtractionSpec) -> CaseResult:
    """Run one case in a worker; any error becomes a ``failed`` result with its message."""
    sitk.ProcessObject_SetGlobalDefaultNumberOfThreads(1)
    _quiet_radiomics()
    start = time.perf_counter()
    result = CaseResult(
        case_key=case.case_key,
        image_sha256=case.image_sha256,
        mask_sha256=case.mask_sha256,
        label=int(case.label),
        settings_hash=spec.settings_hash,
        versions=cache.versions(),
        status="done",
    )
    try:
        result.features = compute_features(case.image_path, case.mask_path, case.label, spec)
        if not result.features:
            raise ValueError("pyradiomics returned no features (no feature class enabled?)")
    except Exception as exc:  # recorded per case; the run goes on
        result.status, result.error = "failed", _message(exc)
    result.seconds = time.perf_counter() - start
    return result
