"""Image -> rad-score: the model's radiomic features computed from a patient's image and mask
per phase, with the extraction settings stored in the model file."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path

from hccdash.registry.json_model import JsonModel


def rad_score_from_images(
    model: JsonModel,
    images: Mapping[str, tuple[str | Path, str | Path]],
    label: int = 1,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict[str, float]:
    """The model's radiomic features from ``{phase: (image, mask)}`` with the model's own
    extraction settings (one pyradiomics run per phase); returns ``{feature: value}``."""
    import radiomics

    from hccdash.extraction.case import compute_features
    from hccdash.extraction.params import ExtractionSpec

    radiomics.setVerbosity(logging.ERROR)
    if model.extraction is None:
        raise ValueError(f"Model {model.name} has no rad-score")
    plain = [f for f in model.features.index if "." not in f]
    if plain:
        raise ValueError(f"Model {model.name}'s features {plain[:3]} are named without a phase: they came from a "
                         "feature table, not from images; type the rad-score or its features")
    spec = ExtractionSpec.from_dict(model.extraction)
    needed = phases_needed(model)
    missing = [phase for phase in needed if phase not in images]
    if missing:
        raise ValueError(f"Image and mask missing for phase(s) {missing}")
    values: dict[str, float] = {}
    for i, phase in enumerate(needed):
        if progress:
            progress(i, len(needed), phase)
        image, mask = images[phase]
        computed = compute_features(image, mask, label, spec)
        for feature in model.features.index:
            ph, name = feature.split(".", 1)
            if ph == phase:
                if name not in computed:
                    raise ValueError(f"Extraction of phase {phase} gave no feature {name}")
                values[feature] = computed[name]
    if progress:
        progress(len(needed), len(needed), "done")
    return values


def features_from_uploads(
    model: JsonModel,
    uploads: Mapping[str, tuple[tuple[str, bytes], tuple[str, bytes]]],
    label: int = 1,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict[str, float]:
    """:func:`rad_score_from_images` for uploaded files ``{phase: ((image name, bytes), (mask name, bytes))}``
    (written to a temporary folder, keeping their suffixes so SimpleITK knows the format)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="hccdash-upload-") as folder:
        images = {}
        for i, (phase, files) in enumerate(uploads.items()):
            saved = []
            for role, (name, data) in zip(("image", "mask"), files):
                suffix = "".join(Path(name).suffixes[-2:]) if name.endswith(".gz") else Path(name).suffix
                path = Path(folder) / f"{i}_{role}{suffix}"
                path.write_bytes(data)
                saved.append(path)
            images[phase] = (saved[0], saved[1])
        return rad_score_from_images(model, images, label=label, progress=progress)


def phases_needed(model: JsonModel) -> list[str]:
    """Imaging phases whose image and mask the rad-score needs (features named ``phase.feature``;
    plain names from a bring-your-own table have none)."""
    return list(dict.fromkeys(f.split(".", 1)[0] for f in model.features.index if "." in f))


