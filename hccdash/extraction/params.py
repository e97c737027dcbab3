"""Extraction settings -> validated pyradiomics parameters, and the settings hash.

An :class:`ExtractionSpec` is everything that decides a case's feature values apart
from its image and mask: the pyradiomics parameter dict (``imageType``,
``featureClass``, ``setting``) and hccdash's own preprocessing (N4 bias-field
correction, 3D mask or largest axial cross-section). It is built either from
:class:`hccdash.settings.ExtractionSettings` (METHODS.md defaults) or from the user's
own pyradiomics parameter YAML. Parameters are checked against pyradiomics' own
schema (``radiomics/schemas/paramSchema.yaml``, with pykwalify and pyradiomics'
``schemaFuncs.py``, as its extractor does) before any work starts; a bad key or
value raises ``ValueError`` naming it and what is allowed. Beyond the schema, hccdash
refuses what would fail or mislead in every case: a number written as text (YAML reads
``1e-6`` as text), NaN or infinite numbers, and a ``resampledPixelSpacing`` outside
:data:`RESAMPLED_SPACING_MM`.

Z-score normalisation is pyradiomics' ``normalize`` setting (``(x - mean) / sd``
over the whole image, times ``normalizeScale``), applied before resampling.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import math
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from hccdash.messages import shorten
from hccdash.safe_yaml import load_yaml, read_yaml_file
from hccdash.settings import ExtractionSettings

ROI_CHOICES = ("3d", "2d")
# resampledPixelSpacing entries allowed besides 0 (keep the image's spacing), in mm: finer
# grids multiply memory (a 10 cm tumour at 0.1 mm is 10^9 voxels per filtered image), and
# coarser ones leave a liver tumour a handful of voxels
RESAMPLED_SPACING_MM = (0.25, 10.0)


@dataclass(frozen=True)
class ExtractionSpec:
    """pyradiomics parameters plus hccdash preprocessing: what a settings hash covers."""

    params: dict[str, Any] = field(hash=False)
    n4_bias_correction: bool = False
    roi: str = "3d"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (the form stored in ``extraction_settings`` and job specs)."""
        return {"params": self.params, "n4_bias_correction": self.n4_bias_correction, "roi": self.roi}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ExtractionSpec":
        """Inverse of :meth:`to_dict`; validates the parameters."""
        unknown = set(data) - {"params", "n4_bias_correction", "roi"}
        if unknown:
            raise ValueError(f"Unknown extraction spec key(s) {sorted(unknown)}")
        roi = data.get("roi", "3d")
        if roi not in ROI_CHOICES:
            raise ValueError(f"Extraction roi {roi!r} is not one of {list(ROI_CHOICES)}")
        params = data.get("params") or {}
        validate_params(params)
        return cls(params=params, n4_bias_correction=bool(data.get("n4_bias_correction", False)), roi=roi)

    @property
    def settings_hash(self) -> str:
        """SHA-256 of the canonical JSON of :meth:`to_dict` (numbers compared as floats)."""
        return settings_hash(self.to_dict())


INTERPOLATORS = (
    "sitkBSpline", "sitkLinear", "sitkNearestNeighbor", "sitkGaussian", "sitkLanczosWindowedSinc",
)


def available_image_types() -> list[str]:
    """pyradiomics' image types (filters)."""
    import radiomics

    return list(radiomics.getImageTypes())


def available_feature_classes() -> list[str]:
    """pyradiomics' feature classes."""
    import radiomics

    return list(radiomics.getFeatureClasses())


def parse_numbers(text: str, name: str) -> tuple[float, ...]:
    """``"1, 2.5, 3"`` -> ``(1.0, 2.5, 3.0)``; ``ValueError`` naming ``name`` and the bad entry."""
    values = []
    for part in text.replace(";", ",").split(","):
        if not part.strip():
            continue
        try:
            values.append(float(part))
        except ValueError:
            raise ValueError(f"{name}: {part.strip()!r} is not a number") from None
    if not values:
        raise ValueError(f"{name}: give at least one number")
    return tuple(values)


def to_yaml(spec: ExtractionSpec) -> str:
    """The spec's pyradiomics parameters as a YAML file (for download and reuse)."""
    return yaml.safe_dump(spec.params, sort_keys=False)


def settings_hash(data: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``data``: sorted keys, every number as a float.

    ``binWidth: 25`` and ``binWidth: 25.0`` mean the same to pyradiomics and hash the same.
    """
    text = json.dumps(_canonical(data), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    raise ValueError(f"Setting value {value!r} of type {type(value).__name__} cannot be hashed")


def spec_from_settings(settings: ExtractionSettings | None = None) -> ExtractionSpec:
    """The spec of ``settings`` (default: METHODS.md defaults); a ``params_yaml`` replaces the pyradiomics part."""
    settings = settings or ExtractionSettings()
    if settings.roi not in ROI_CHOICES:
        raise ValueError(f"Extraction roi {settings.roi!r} is not one of {list(ROI_CHOICES)}")
    if settings.params_yaml:
        params = load_params_yaml(settings.params_yaml)
    else:
        params = params_from_settings(settings)
    if settings.roi == "2d":
        params = params_for_2d(params)
    validate_params(params)
    return ExtractionSpec(params=params, n4_bias_correction=settings.n4_bias_correction, roi=settings.roi)


def spec_from_yaml(text_or_path: str | Path, *, n4_bias_correction: bool = False, roi: str = "3d") -> ExtractionSpec:
    """The spec of a user's pyradiomics parameter YAML (file path or YAML text)."""
    params = load_params_yaml(text_or_path)
    if roi == "2d":
        params = params_for_2d(params)
    return ExtractionSpec.from_dict({"params": params, "n4_bias_correction": n4_bias_correction, "roi": roi})


def params_from_settings(settings: ExtractionSettings) -> dict[str, Any]:
    """pyradiomics parameters for :class:`ExtractionSettings` (label is given per case, not here)."""
    setting: dict[str, Any] = {
        "binWidth": float(settings.bin_width),
        "interpolator": settings.interpolator,
        "preCrop": bool(settings.pre_crop),
    }
    if settings.resampled_spacing is not None:
        setting["resampledPixelSpacing"] = [float(s) for s in settings.resampled_spacing]
    if settings.normalize:
        setting["normalize"] = True
        setting["normalizeScale"] = float(settings.normalize_scale)
    image_types: dict[str, dict[str, Any]] = {}
    for name in settings.image_types:
        image_types[name] = {"sigma": [float(s) for s in settings.log_sigma]} if name == "LoG" else {}
    params = {
        "imageType": image_types,
        "featureClass": {name: [] for name in settings.feature_classes},
        "setting": setting,
    }
    validate_params(params)
    return params


def params_for_2d(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters for a single axial slice ROI: 2D texture, shape2D, no resampling along z."""
    params = copy.deepcopy(params)
    setting = params.setdefault("setting", {}) or {}
    params["setting"] = setting
    setting["force2D"] = True
    setting["force2Ddimension"] = 0
    spacing = setting.get("resampledPixelSpacing")
    if spacing:
        setting["resampledPixelSpacing"] = [float(spacing[0]), float(spacing[1]), 0.0]
    classes = params.get("featureClass")
    if classes and "shape" in classes:
        classes = dict(classes)
        classes["shape2D"] = classes.pop("shape")
        params["featureClass"] = classes
    return params


def load_params_yaml(text_or_path: str | Path) -> dict[str, Any]:
    """Read and validate a pyradiomics parameter file (a path, or the YAML text itself)."""
    source = str(text_or_path)
    is_path = isinstance(text_or_path, Path) or (
        "\n" not in source and (source.endswith((".yaml", ".yml")) or Path(source).is_file())
    )
    if is_path:
        path = Path(source)
        if not path.is_file():
            what = "is a folder, not a file" if path.is_dir() else "does not exist"
            raise FileNotFoundError(f"pyradiomics parameter file {path} {what}")
        source_name = str(path)
        params = read_yaml_file(path, source_name)
    else:
        source_name = "parameter YAML"
        params = load_yaml(source, source_name)
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise ValueError(f"{source_name} must hold a mapping at the top level, got {type(params).__name__}")
    try:
        validate_params(params)
    except ValueError as exc:
        raise ValueError(shorten(f"{source_name}: {exc}")) from None
    return params


@cache
def _schema_path() -> Path:
    import radiomics

    return Path(radiomics.__file__).parent / "schemas" / "paramSchema.yaml"


@cache
def _schema() -> dict[str, Any]:
    return yaml.safe_load(_schema_path().read_text())


def validate_params(params: dict[str, Any]) -> None:
    """Check ``params`` against pyradiomics' parameter schema with pykwalify (as pyradiomics'
    own extractor does, with its schema functions), then hccdash's checks (module docstring);
    ``ValueError`` names the bad key or value and what is allowed."""
    if not isinstance(params, dict):
        raise ValueError(f"pyradiomics parameters must be a mapping, got {type(params).__name__}")
    text = _validation_key(params)
    if text is not None and text in _valid:  # pages check the same few parameter sets on every run
        return
    _check_schema(params)
    for where, value in _floats(params, _schema(), ""):
        _check_number(value, where)
    low, high = RESAMPLED_SPACING_MM
    for i, value in enumerate((params.get("setting") or {}).get("resampledPixelSpacing") or []):
        if value != 0 and not low <= value <= high:
            raise ValueError(
                f"setting.resampledPixelSpacing[{i}] = {value!r} is out of range: give 0 (keep the image's "
                f"spacing) or {low:g} to {high:g} mm"
            )
    if text is not None:
        if len(_valid) >= 256:
            _valid.clear()
        _valid.add(text)


_valid: set[str] = set()  # the JSON of parameter sets that passed (a set's add and lookup are thread-safe)


def _validation_key(params: dict[str, Any]) -> str | None:
    """The parameters as sorted JSON, or None when their keys cannot be sorted (mixed types)."""
    try:
        return json.dumps(params, sort_keys=True, default=repr)
    except TypeError:
        return None


VOXEL_ONLY = "voxelSetting"  # pyradiomics' voxel-based settings (its exampleVoxel.yaml has initValue: nan)
_BOUNDS = {"min": ">=", "max": "<=", "min_ex": ">", "max_ex": "<"}


def _check_schema(params: dict[str, Any]) -> None:
    """pykwalify against pyradiomics' schema; its first error rewritten to name key and allowed values."""
    from pykwalify.core import Core
    from pykwalify.errors import SchemaError

    from hccdash.extraction import schema_funcs

    logging.getLogger("pykwalify.core").setLevel(logging.CRITICAL)  # its error is raised, reworded, below
    core = Core(source_data=copy.deepcopy(params), schema_data=copy.deepcopy(_schema()),
                extensions=[schema_funcs.__file__])
    try:
        core.validate(raise_exception=True)
    except SchemaError:
        error = core.errors[0]
        where, value, extra = schema_funcs.label(error.path), error.value, error.__dict__
        if "key" in extra:
            child = f"{where}.{extra['key']}" if error.path else str(extra["key"])
            allowed = sorted(k for k in _rule_at(error.path).get("mapping", {}) if not k.startswith("regex;"))
            raise ValueError(f"Unknown key {child!r}; allowed keys here: {allowed}") from None
        if "enum_values" in extra:
            raise ValueError(f"{where} = {value!r} is not allowed; allowed values: {extra['enum_values']}") from None
        if "scalar_type" in extra:
            raise ValueError(f"{where} must be of type {extra['scalar_type']}, got {value!r}") from None
        for bound, symbol in _BOUNDS.items():
            if bound in extra:
                raise ValueError(f"{where} = {value!r} is out of range: must be {symbol} {extra[bound]}") from None
        if "is not a list" in error.msg:
            raise ValueError(f"{where} must be a list, got {value!r}") from None
        raise ValueError(f"{where}: {error.msg.format(**extra)}") from None


def _rule_at(path: str) -> dict[str, Any]:
    """The schema rule of the mapping at a pykwalify path (``/setting``)."""
    rule = _schema()
    for part in str(path).strip("/").split("/"):
        if part:
            rule = rule["seq"][0] if part.isdigit() else rule["mapping"][part]
    return rule


def _floats(value: Any, rule: dict[str, Any], where: str):
    """(label, value) of every value the schema types as float (pykwalify accepts text and NaN there)."""
    if value is None or where.startswith(VOXEL_ONLY):
        return  # voxel settings are never used by hccdash's segment-based runs: pyradiomics' check is enough
    if "seq" in rule:
        for i, item in enumerate(value):
            yield from _floats(item, rule["seq"][0], f"{where}[{i}]")
    elif "mapping" in rule:
        mapping = rule["mapping"]
        for key, item in value.items():
            child_rule = mapping.get(key) or next(
                (v for k, v in mapping.items() if k.startswith("regex;") and re.fullmatch(k[6:], str(key))), {})
            yield from _floats(item, child_rule, f"{where}.{key}" if where else str(key))
    elif rule.get("type") == "float":
        yield where, value


def _check_number(value: Any, where: str) -> None:
    """hccdash's own float rule: a number (not text), and finite."""
    if isinstance(value, str):
        raise ValueError(
            f"{where} must be a number, got the text {value!r}: write it without quotes "
            "(YAML reads 1e-6 as text; write 1.0e-6)"
        )
    if not math.isfinite(float(value)):
        raise ValueError(f"{where} must be a finite number, got {value!r}")
