"""Where an extraction's time goes: seconds per stage, filter (image type) and feature class.

:func:`stage_timer` wraps, for the duration of a ``with`` block in this process, the
functions a case passes through: hccdash's image and mask reading, pyradiomics'
``loadImage`` (label check, normalisation, resampling and cropping), ``checkMask``, the
shape features, each image type's filter (the time spent producing each filtered image,
``imageoperations.get<Type>Image``), the crop per filtered image and each feature class
(its matrices and features: ``__init__`` plus ``execute``). A filter's time excludes the
feature classes run on its output (they run between two steps of the filter's
generator); ``checkMask`` and ``cropToTumorMask`` also run inside ``loadImage``, so those
rows overlap it.
"""

from __future__ import annotations

import contextlib
import inspect
import time
from collections import defaultdict
from collections.abc import Iterator


@contextlib.contextmanager
def stage_timer() -> Iterator[dict[str, float]]:
    """Yields a dict (stage -> seconds) filled while the block runs."""
    import radiomics
    from radiomics import featureextractor, imageoperations

    from hccdash.extraction import case

    seconds: dict[str, float] = defaultdict(float)
    patched: list[tuple[object, str, object]] = []

    def patch(owner, name: str, stage: str) -> None:
        static = isinstance(inspect.getattr_static(owner, name), staticmethod)
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                seconds[stage] += time.perf_counter() - start

        patched.append((owner, name, staticmethod(original) if static else original))
        setattr(owner, name, staticmethod(timed) if static else timed)

    def patch_generator(owner, name: str, stage: str) -> None:
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            iterator = original(*args, **kwargs)
            while True:
                start = time.perf_counter()
                try:
                    item = next(iterator)
                except StopIteration:
                    seconds[stage] += time.perf_counter() - start
                    return
                seconds[stage] += time.perf_counter() - start
                yield item

        patched.append((owner, name, original))
        setattr(owner, name, timed)

    patch(case, "read_image", "read image")
    patch(case, "read_mask", "read mask")
    patch(featureextractor.RadiomicsFeatureExtractor, "loadImage", "load: label check, resample, crop")
    patch(imageoperations, "checkMask", "check mask")
    patch(featureextractor.RadiomicsFeatureExtractor, "computeShape", "feature class shape")
    patch(imageoperations, "cropToTumorMask", "crop per filtered image")
    for image_type in radiomics.getImageTypes():
        patch_generator(imageoperations, f"get{image_type}Image", f"filter {image_type}")
    for name, feature_class in radiomics.getFeatureClasses().items():
        if not name.startswith("shape"):
            patch(feature_class, "__init__", f"feature class {name}")
            patch(feature_class, "execute", f"feature class {name}")
    try:
        yield seconds
    finally:
        for owner, name, original in reversed(patched):
            setattr(owner, name, original)


def stage_table(seconds: dict[str, float], total: float) -> str:
    """The stages, longest first, with their share of ``total``."""
    rows = sorted(seconds.items(), key=lambda item: -item[1])
    lines = [f"  {stage:<40} {value:8.2f} s  {100 * value / total:5.1f}%" for stage, value in rows]
    rest = total - sum(seconds.values())
    lines.append(f"  {'(untimed glue)':<40} {rest:8.2f} s  {100 * rest / total:5.1f}%")
    return "\n".join(lines)
