"""Image -> rad-score and DL score: the model's radiomic features computed from a patient's image and
mask per phase with the extraction settings stored in the model file, and its deep features with the
network it names (registered, its file's SHA-256 checked: ``hccdash.deep.get_network``) and the deep
settings stored with it (``hccdash.deep.case_features``)."""

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
    needed = radiomics_phases_needed(model)
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


def deep_features_from_images(
    model: JsonModel,
    images: Mapping[str, tuple[str | Path, str | Path]],
    label: int | None = 1,
    store=None,
) -> dict[str, float]:
    """The model's deep features ``{phase}.dl.<network>.<NNNN>`` from ``{phase: (image, mask)}``, each
    network found among the registered ones by its SHA-256 (a missing or changed file refused) and
    accepted by the model; the features are named with the model's network name."""
    import SimpleITK as sitk

    from hccdash.deep import DeepSettings, case_features, get_network

    if model.deep is None:
        raise ValueError(f"Model {model.name} has no DL score")
    needed = set(model.deep.mean.index)
    plain = [f for f in needed if f.startswith("dl.")]
    if plain:
        raise ValueError(f"Model {model.name}'s deep features {sorted(plain)[:3]} are named without a phase: they "
                         "came from a feature table, not from images; type the DL score or its deep features")
    missing = [phase for phase in deep_phases_needed(model) if phase not in images]
    if missing:
        raise ValueError(f"Image and mask missing for phase(s) {missing}")
    values: dict[str, float] = {}
    for entry in model.deep.networks:
        try:
            network = get_network(entry["sha256"], store)
        except ValueError as exc:
            raise ValueError(f"Model {model.name} needs the network '{entry['name']}' (ONNX file SHA-256 "
                             f"{entry['sha256']}): {exc}") from None
        model.accept_network_hashes({entry["name"]: network.sha256})
        settings = DeepSettings.from_dict(((entry.get("extraction") or {}).get("settings")) or {})
        for phase in deep_phases_needed(model):
            image_path, mask_path = images[phase]
            computed = case_features(sitk.ReadImage(str(image_path)), sitk.ReadImage(str(mask_path)), network,
                                     settings, label=label, store=store)
            for feature, value in computed.items():
                name = f"{phase}.dl.{entry['name']}.{feature.split('.', 2)[2]}"
                if name in needed:
                    values[name] = float(value)
    absent = sorted(needed - set(values))
    if absent:
        raise ValueError(f"The network gave no deep feature(s) {absent[:3]} ({len(absent)} in all)")
    return values


def deep_phases_needed(model: JsonModel) -> list[str]:
    """Imaging phases whose image and mask the DL score needs (features ``{phase}.dl.<network>.<NNNN>``)."""
    if model.deep is None:
        return []
    return list(dict.fromkeys(f.split(".", 1)[0] for f in model.deep.mean.index if not f.startswith("dl.")))


def features_from_uploads(
    model: JsonModel,
    uploads: Mapping[str, tuple[tuple[str, bytes], tuple[str, bytes]]],
    label: int = 1,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict[str, float]:
    """:func:`rad_score_from_images` (and, for a model with a DL score, :func:`deep_features_from_images`) for
    uploaded files ``{phase: ((image name, bytes), (mask name, bytes))}`` (written to a temporary folder,
    keeping their suffixes so SimpleITK knows the format)."""
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
        values = {}
        if model.extraction is not None:
            values.update(rad_score_from_images(model, images, label=label, progress=progress))
        if model.deep is not None:
            values.update(deep_features_from_images(model, images, label=label))
        return values


def radiomics_phases_needed(model: JsonModel) -> list[str]:
    """Imaging phases whose image and mask the rad-score needs."""
    return list(dict.fromkeys(f.split(".", 1)[0] for f in model.features.index if "." in f))


def phases_needed(model: JsonModel) -> list[str]:
    """Imaging phases whose image and mask the rad-score and the DL score need (features named
    ``phase.feature``; plain names from a bring-your-own table have none)."""
    return list(dict.fromkeys([*radiomics_phases_needed(model), *deep_phases_needed(model)]))


