"""The rules of :mod:`hccdash.settings` as a JSON Schema, checked by ``jsonschema``.

One property per setting (``section.key``): its type, its allowed choices (``enum``) and its
range (``minimum`` / ``exclusiveMinimum`` / ``maximum`` / ``exclusiveMaximum``; on ``items``
for lists: every element). "number" is a finite int or float and "integer" an int (``True``
is neither, ``2.0`` is no integer), as the settings' type hints mean them; lists may be
tuples. A ``description`` replaces the wording derived from the rules in messages.

:func:`first_error` returns the first setting (in the order of the dataclasses) that breaks
the schema and whether its type or only its value is wrong; :func:`allowed` words what a
setting accepts ("a number > 0 and < 1 or null (off)"). :meth:`hccdash.settings.Settings.validated`
turns both into its messages. Rules that tie several values together stay there in code.
"""

from __future__ import annotations

import math
from typing import Any

import jsonschema


def _number(**bounds: float) -> dict[str, Any]:
    return {"type": "number", **bounds}


def _integer(**bounds: float) -> dict[str, Any]:
    return {"type": "integer", **bounds}


def _choice(*values: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


def _or_null(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "type": [schema["type"], "null"]}


def _list(items: dict[str, Any], length: int | None = None) -> dict[str, Any]:
    sized = {"minItems": length, "maxItems": length} if length is not None else {}
    return {"type": "array", "items": items, **sized}


_STRING = {"type": "string"}
_BOOL = {"type": "boolean"}
_PROBABILITY_OPEN = _number(exclusiveMinimum=0, exclusiveMaximum=1)
_POSITIVE = _number(exclusiveMinimum=0)
_SEED = _integer(minimum=0)
_COUNT = _integer(minimum=1)

SECTIONS: dict[str, dict[str, Any]] = {
    "split": {
        "method": _choice("random", "centre", "three", "none"),
        "train_fraction": _PROBABILITY_OPEN,
        "seed": _SEED,
        "validation_centres": _list(_STRING),
        "resplit": _BOOL,
    },
    "cohort": {
        "geometry_tolerance": _number(minimum=0),
        "image_pattern": _STRING,
        "mask_pattern": _STRING,
        "label": _integer(minimum=1),
        "max_voxels": _COUNT,
        "max_columns": _COUNT,
        "max_time_months": _POSITIVE,
        "median_time_months": _list(_POSITIVE, 2),
        "longest_time_months": _POSITIVE,
        "typical_longest_months": _POSITIVE,
        "normality_alpha": _PROBABILITY_OPEN,
        "min_expected_count": _number(minimum=0),
        "fisher_resamples": _COUNT,
        "seed": _SEED,
    },
    "qc": {
        "modality": _choice("CT", "MR"),
        "ct_roi_median_hu": _list(_number(), 2),
        "ct_max_hu": _POSITIVE,
        "spacing_ratio": _number(exclusiveMinimum=1),
        "volume_z": _POSITIVE,
        "min_dice": _number(minimum=0, maximum=1),
    },
    "extraction": {
        "resampled_spacing": _or_null(_list(_POSITIVE, 3)),
        "interpolator": _STRING,
        "bin_width": _POSITIVE,
        "normalize": _BOOL,
        "normalize_scale": _POSITIVE,
        "n4_bias_correction": _BOOL,
        "roi": _choice("3d", "2d"),
        "image_types": _list(_STRING),
        "log_sigma": _list(_POSITIVE),
        "feature_classes": _list(_STRING),
        "pre_crop": _BOOL,
        "params_yaml": _or_null(_STRING),
        "label": _or_null(_integer(minimum=1)),
    },
    "selection": {
        "icc_threshold": _or_null(_number(minimum=0, maximum=1)),
        "icc_kind": _choice("ICC2_1", "ICC3_1"),
        "icc_missing": _choice("keep", "drop"),
        "variance_filter": _BOOL,
        "freq_cut": _number(minimum=1),
        "unique_cut": _number(minimum=0, maximum=100),
        "univariate_p": _or_null(_number(exclusiveMinimum=0, maximum=1)),
        "univariate_test": _choice("auto", "mannwhitney", "anova"),
        "correlation_threshold": _or_null(_number(exclusiveMinimum=0, maximum=1)),
        "correlation_method": _choice("spearman", "pearson"),
        "mrmr_k": _or_null(_COUNT),
        "rf_k": _or_null(_COUNT),
        # K folds, or "loo"; a number on the path, or one of glmnet's two choices
        "lasso_folds": {"type": ["integer", "string"], "minimum": 2,
                        "if": {"type": "string"}, "then": {"enum": ["loo"]}},
        "lasso_lambda": {"type": ["string", "number"], "exclusiveMinimum": 0,
                         "if": {"type": "string"}, "then": {"enum": ["lambda.min", "lambda.1se"]}},
        "seed": _SEED,
        "phases": _list(_STRING),
        "fusion": _choice("lasso", "scores"),
        "stability_resamples": _COUNT,
        "combat": _BOOL,
        "combat_batch": _STRING,
        "combat_ref_batch": _or_null(_STRING),
        "deep_score": _BOOL,
        "deep_pca_components": _or_null(_COUNT),
        "deep_pca_variance": _number(exclusiveMinimum=0, maximum=1),
        "deep_lasso_lambda": {"type": ["string", "number"], "exclusiveMinimum": 0,
                              "if": {"type": "string"}, "then": {"enum": ["lambda.min", "lambda.1se"]}},
    },
    "model": {
        "endpoint": _choice("rfs", "er"),
        "er_horizon_months": _POSITIVE,
        "ties": _choice("efron", "breslow"),
        "clinical_p_in": _number(exclusiveMinimum=0, maximum=1),
        "clinical_p_out": _number(exclusiveMinimum=0, maximum=1),
        "clinical_force_in": _list(_STRING),
        "clinical_force_out": _list(_STRING),
        "clinical_variables": _or_null(_list(_STRING)),
        "clinical_dichotomise": _list(_STRING),
        "clinical_log": _list(_STRING),
        "clinical_splines": {**_list({"type": "array", "prefixItems": [_STRING, _integer(minimum=3, maximum=7)],
                                      "minItems": 2, "maxItems": 2}),
                             "description": "a list of [variable, knots] pairs with 3 to 7 knots"},
        "epv_warning": _number(minimum=0),
    },
    "evaluation": {
        "horizons_months": _list(_POSITIVE),
        "n_bootstrap": _COUNT,
        "ci_level": _PROBABILITY_OPEN,
        "seed": _SEED,
        "risk_cutoff": _choice("median", "maxstat"),
        "maxstat_minprop": _number(exclusiveMinimum=0, exclusiveMaximum=0.5),
        "min_at_risk": _integer(minimum=0),
        "calibration_groups": _integer(minimum=2),
        "hl_groups": _integer(minimum=2),
        "uno_c": _BOOL,
        "dca_thresholds": _list(_PROBABILITY_OPEN, 3),
        "at_risk_step_months": _POSITIVE,
        "optimism_resamples": _COUNT,
        "n_jobs": {**_integer(minimum=-1), "not": {"const": 0},
                   "description": "-1 (every core) or a whole number >= 1"},
        "dask_scheduler": _or_null(_STRING),
    },
    "calculator": {
        "ci_level": _PROBABILITY_OPEN,
        "mahalanobis_quantile": _PROBABILITY_OPEN,
        # (name pattern, lowest, highest): None = no limit on that side
        "hard_limits": _list({"type": "array", "minItems": 3, "maxItems": 3,
                              "prefixItems": [_STRING, _or_null(_number()), _or_null(_number())]}),
    },
}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        section: {"type": "object", "additionalProperties": False, "properties": properties}
        for section, properties in SECTIONS.items()
    },
}

# Keywords whose failure means the value has the wrong type or shape (not just a value out of range).
_TYPE_KEYWORDS = {"type", "minItems", "maxItems"}


def _is_number(_checker: Any, value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_integer(_checker: Any, value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_array(_checker: Any, value: Any) -> bool:
    return isinstance(value, (list, tuple))


_TYPES = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine_many(
    {"number": _is_number, "integer": _is_integer, "array": _is_array})
_Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, type_checker=_TYPES)
jsonschema.Draft202012Validator.check_schema(SCHEMA)
_VALIDATOR = _Validator(SCHEMA)
_ORDER = {(section, key): i for i, (section, key) in
          enumerate((s, k) for s, properties in SECTIONS.items() for k in properties)}


def first_error(values: dict[str, dict[str, Any]]) -> tuple[str, bool] | None:
    """The first ``section.key`` of ``values`` that breaks the schema, and whether its type is wrong
    (True) or only its value (choice, range); None when every value passes."""
    found = []
    for error in _VALIDATOR.iter_errors(values):
        path = list(error.absolute_path)
        if len(path) < 2:  # an unknown or non-mapping section or key (Settings.from_dict names these first)
            raise ValueError(f"Settings do not match their schema: {error.message}")
        wrong_type = _wrong_type(error)
        found.append((_ORDER[(path[0], path[1])], not wrong_type, f"{path[0]}.{path[1]}", wrong_type))
    if not found:
        return None
    _, _, key, wrong_type = min(found)
    return key, wrong_type


def _wrong_type(error: jsonschema.ValidationError) -> bool:
    """Whether ``error`` (or, under ``not`` / ``if``, its reason) is about type or shape."""
    if error.validator in _TYPE_KEYWORDS:
        return True
    return any(_wrong_type(e) for e in error.context or ())


def allowed(key: str, type_name: str) -> str:
    """What setting ``key`` accepts, in words: its choices, its range, null; else ``type_name``."""
    section, name = key.split(".")
    schema = SECTIONS[section][name]
    if "description" in schema:
        return schema["description"]
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    ranged = schema["items"] if "array" in types and "items" in schema else schema
    item_types = ranged["type"] if isinstance(ranged["type"], list) else [ranged["type"]]
    choices = schema.get("enum") or schema.get("then", {}).get("enum")
    words = [f"one of {list(choices)}"] if choices else []
    low = ("minimum", ">="), ("exclusiveMinimum", ">")
    high = ("maximum", "<="), ("exclusiveMaximum", "<")
    bounds = [f"{'and ' if i else ''}{sign} {ranged[word]}"
              for i, (word, sign) in enumerate([b for b in low + high if b[0] in ranged])]
    if bounds:
        words.append(("a whole number" if "integer" in item_types else "a number") + " " + " ".join(bounds))
    if "null" in types:
        words.append("null (off)")
    return " or ".join(words) or type_name
