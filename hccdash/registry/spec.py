"""The pickle-free model file: its JSON Schema, its limits, and the checks run on import.

A model file (format ``hccdash-model``, version 1) holds everything needed to apply a
fitted model without the code that fitted it: the terms of the linear predictor with
their coefficients and training means, the coefficient covariance, the rad-score's
features (training mean, sd, LASSO coefficient) with the extraction settings that
produced them, the Cox baseline (cumulative hazard, its variance term and covariate
means, as survival's ``agsurv`` computes them, so the 95% CI of S(t) survives the
round trip), the risk-group cut-offs with the groups' Kaplan-Meier curves, and the
training ranges of every input (for warnings on out-of-range patients), and for a model
updated on another cohort its ``lineage`` (see :mod:`hccdash.validation.updating`), and for a
model holding a DL score its ``deep`` section: the networks (name, file SHA-256, how features
were extracted), the deep features' training mean and sd, and the LASSO-kept principal components
(loadings, training sd, coefficient), so ``dl_score = intercept + sum_k coef_k t_k / sd_k`` with
``t_k = sum_j loading_jk (x_j - mean_j) / sd_j`` (:class:`hccdash.registry.model_file.DeepPart`).

:func:`validate` refuses, naming the reason, anything that is not such a file: wrong
types, unknown keys, strings that are not plain names, oversize arrays, non-finite
numbers, negative variances, an asymmetric covariance, a baseline that is not a
survival curve. It runs before anything is stored.

(About 450 lines, one module on purpose: the JSON Schema and the checks it cannot express
(finite numbers, a symmetric covariance, a baseline that is a survival curve) are one contract
of the file format; apart, a rule could change without its partner.)
"""

from __future__ import annotations

import json
import math
from typing import Any

import jsonschema
import numpy as np

from hccdash.text_limits import MAX_LABEL, MAX_NOTES, MAX_UNIT, NO_MARKUP, TEXT_PATTERN, shorten

FORMAT = "hccdash-model"
FORMAT_VERSION = 1

MAX_BYTES = 5_000_000
MAX_TERMS = 50
MAX_FEATURES = 200
MAX_PREDICTORS = 60
MAX_LEVELS = 50
MAX_BASELINE = 20_000
MAX_GROUPS = 10
MAX_HORIZONS = 10
MAX_LINEAGE = 20  # updates of an updated model
MAX_DEEP_FEATURES = 8192  # deep features of a DL score (DenseNet-169's pooling layer: 1664 per phase)
MAX_COMPONENTS = 100  # principal components a DL score keeps
MAX_NETWORKS = 8
MAX_INT_DIGITS = 18  # a longer integer literal is refused before Python converts it

# Model names (also file names): letters, digits, "_.-". Predictor, term and level names:
# printable text that starts with a letter or digit (predictors, terms), never ".." (no
# path), never markup. Radiomic features are "{phase}.{pyradiomics name}", or a plain name
# ("X201288_at") for a model fitted on a bring-your-own feature table.
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"
PREDICTOR_PATTERN = NO_MARKUP + r"(?!.*\.\.)[A-Za-z0-9][^\x00-\x1f\\]{0,63}$"  # "AFP (ng/mL)"; no "..", no markup
TERM_PATTERN = NO_MARKUP + r"(?!.*\.\.)[A-Za-z0-9][^\x00-\x1f\\]{0,127}$"  # "sex[M]", "afp > 400"
FEATURE_PATTERN = r"^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9_\-.]{0,159}$"
LEVEL_PATTERN = NO_MARKUP + r"[^\x00-\x1f]{1,64}$"

_number = {"type": "number"}
_text = {"type": "string", "maxLength": MAX_LABEL, "pattern": TEXT_PATTERN}


def _array(items: dict, max_items: int, min_items: int = 0) -> dict:
    return {"type": "array", "items": items, "minItems": min_items, "maxItems": max_items}


def _object(properties: dict, required: list[str] | None = None) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": required if required is not None else list(properties),
        "additionalProperties": False,
    }


_TERM_REQUIRED = ["name", "predictor", "type", "level", "cutoff", "coef", "mean", "axis"]
# A continuous predictor may enter transformed: "log": true gives log(x); type "spline" is column
# "basis" (0 = x itself, j = the j-th nonlinear column) of rms::rcs's restricted cubic spline with
# these "knots" (of log(x) with "log"). The three keys are optional (files written before have none).
_term = _object(
    {
        "name": {"type": "string", "pattern": TERM_PATTERN},
        "predictor": {"type": "string", "pattern": PREDICTOR_PATTERN},
        "type": {"enum": ["linear", "indicator", "above", "at_least", "spline"]},
        "level": {"type": ["string", "null"], "pattern": LEVEL_PATTERN},
        "cutoff": {"type": ["number", "null"]},
        "coef": _number,
        "mean": _number,
        "axis": _array(_number, 200, 2),
        "log": {"type": "boolean"},
        "knots": _array(_number, 7, 3),
        "basis": {"type": "integer", "minimum": 0, "maximum": 5},
    },
    _TERM_REQUIRED,
)

_predictor = _object(
    {
        "name": {"type": "string", "pattern": PREDICTOR_PATTERN},
        "label": _text,
        "kind": {"enum": ["continuous", "categorical", "rad_score", "dl_score"]},
        "unit": {"type": "string", "maxLength": MAX_UNIT, "pattern": TEXT_PATTERN},
        "levels": _array({"type": "string", "pattern": LEVEL_PATTERN}, MAX_LEVELS),
        "min": {"type": ["number", "null"]},
        "max": {"type": ["number", "null"]},
        "mean": {"type": ["number", "null"]},
        "hard_min": {"type": ["number", "null"]},
        "hard_max": {"type": ["number", "null"]},
    }
)

_feature = _object(
    {
        "name": {"type": "string", "pattern": FEATURE_PATTERN},
        "coef": _number,
        "mean": _number,
        "sd": {"type": "number", "exclusiveMinimum": 0},
        "min": _number,
        "max": _number,
    }
)

_network = _object(
    {
        "name": {"type": "string", "pattern": NAME_PATTERN},
        "sha256": {"type": "string", "pattern": r"^[0-9a-f]{64}$"},
        # how the features were extracted (hccdash.deep's spec without the file path); null: not known
        "extraction": {"type": ["object", "null"], "maxProperties": 20},
    }
)

_deep = _object(
    {
        "networks": _array(_network, MAX_NETWORKS, 1),
        "intercept": _number,
        "features": _array(_object({"name": {"type": "string", "pattern": FEATURE_PATTERN}, "mean": _number,
                                    "sd": {"type": "number", "exclusiveMinimum": 0}}), MAX_DEEP_FEATURES, 1),
        "components": _array(_object({"name": {"type": "string", "pattern": NAME_PATTERN}, "coef": _number,
                                      "sd": {"type": "number", "exclusiveMinimum": 0},
                                      "loadings": _array(_number, MAX_DEEP_FEATURES, 1)}), MAX_COMPONENTS, 1),
    }
)

_km = _object(
    {
        "label": {"type": "string", "pattern": NAME_PATTERN},
        "time": _array(_number, MAX_BASELINE, 1),
        "surv": _array({"type": "number", "minimum": 0, "maximum": 1}, MAX_BASELINE, 1),
        "n": {"type": "integer", "minimum": 0},
    }
)

_lineage_step = _object(
    {
        "parent": {"type": "string", "pattern": NAME_PATTERN},
        "parent_sha256": {"type": ["string", "null"], "pattern": r"^[0-9a-f]{64}$"},
        "method": {"enum": ["recalibration_in_the_large", "logistic_recalibration", "refit"]},
        "cohort": _text,
        "set": {"enum": ["all", "train", "validation", "external"]},
        "n": {"type": "integer", "minimum": 1},
        "events": {"type": "integer", "minimum": 0},
        "slope": {"type": ["number", "null"]},
        "intercept_shift": {"type": ["number", "null"]},
        "created_at": {"type": "string", "pattern": r"^[0-9T:.+\- Z]{10,40}$"},
    }
)

SCHEMA: dict[str, Any] = _object(
    {
        "format": {"const": FORMAT},
        "format_version": {"const": FORMAT_VERSION},
        "name": {"type": "string", "pattern": NAME_PATTERN},
        "created_at": {"type": "string", "pattern": r"^[0-9T:.+\- Z]{10,40}$"},
        "notes": {"type": "string", "maxLength": MAX_NOTES, "pattern": TEXT_PATTERN},
        "endpoint": _object(
            {
                "kind": {"enum": ["rfs", "er"]},
                "time_unit": {"const": "months"},
                "horizons": _array({"type": "number", "exclusiveMinimum": 0, "maximum": 1200}, MAX_HORIZONS, 1),
                "er_horizon": {"type": ["number", "null"], "exclusiveMinimum": 0, "maximum": 1200},
            }
        ),
        "model": _object(
            {
                "family": {"enum": ["cox", "logistic"]},
                "submodel": {"enum": ["clinical", "radiomics", "combined"]},
                "intercept": {"type": ["number", "null"]},
                "terms": _array(_term, MAX_TERMS, 1),
                "lp_range": _array(_number, 2, 2),
                "covariance": _array(_array(_number, MAX_TERMS + 1), MAX_TERMS + 1),
            }
        ),
        "predictors": _array(_predictor, MAX_PREDICTORS, 1),
        "radiomics": {
            "oneOf": [
                {"type": "null"},
                _object(
                    {
                        "intercept": _number,
                        "features": _array(_feature, MAX_FEATURES, 1),
                        "correlation": _array(_array(_number, MAX_FEATURES), MAX_FEATURES),
                        "extraction": {
                            "type": "object",
                            "properties": {
                                "params": {"type": "object"},
                                "n4_bias_correction": {"type": "boolean"},
                                "roi": {"enum": ["3d", "2d"]},
                            },
                            "required": ["params"],
                            "additionalProperties": False,
                        },
                    }
                ),
            ]
        },
        "baseline": {
            "oneOf": [
                {"type": "null"},
                _object(
                    {
                        "time": _array({"type": "number", "minimum": 0}, MAX_BASELINE, 1),
                        "cumhaz": _array({"type": "number", "minimum": 0}, MAX_BASELINE, 1),
                        "varhaz": _array({"type": "number", "minimum": 0}, MAX_BASELINE, 1),
                        "xbar": _array(_array(_number, MAX_TERMS, 1), MAX_BASELINE, 1),
                        "max_time": {"type": "number", "exclusiveMinimum": 0},
                    }
                ),
            ]
        },
        "risk_groups": _object(
            {
                "method": {"type": "string", "pattern": NAME_PATTERN},
                "cutoffs": _array(_number, MAX_GROUPS - 1, 1),
                "labels": _array({"type": "string", "pattern": NAME_PATTERN}, MAX_GROUPS, 2),
                "km": _array(_km, MAX_GROUPS),
            }
        ),
        "training": _object(
            {
                "cohort": {"type": ["string", "null"], "pattern": NAME_PATTERN},
                "fingerprint": {"type": ["string", "null"], "pattern": r"^[0-9a-f]{8,128}$"},
                "n": {"type": "integer", "minimum": 1},
                "events": {"type": "integer", "minimum": 0},
            }
        ),
        "metrics": {
            "type": "object",
            "maxProperties": 40,
            "propertyNames": {"pattern": NAME_PATTERN},
            "additionalProperties": {
                "oneOf": [
                    {"type": ["number", "null"]},
                    {
                        "type": "object",
                        "maxProperties": 20,
                        "propertyNames": {"pattern": NAME_PATTERN},
                        "additionalProperties": {"type": ["number", "null"]},
                    },
                ]
            },
        },
        "versions": {
            "type": "object",
            "maxProperties": 40,
            "propertyNames": {"pattern": NAME_PATTERN},
            "additionalProperties": {"type": "string", "maxLength": 40, "pattern": r"^[A-Za-z0-9_.+\-]*$"},
        },
        # an updated model (hccdash.validation.updating): each update, oldest first; absent otherwise
        "lineage": _array(_lineage_step, MAX_LINEAGE),
        # a model with a DL score: its networks and the score's parts; absent otherwise
        "deep": _deep,
    },
    required=["format", "format_version", "name", "created_at", "notes", "endpoint", "model", "predictors",
              "radiomics", "baseline", "risk_groups", "training", "metrics", "versions"],
)

_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def parse(text: str | bytes) -> dict[str, Any]:
    """JSON text -> dict, refusing oversize input, duplicate keys and NaN / Infinity."""
    size = len(text.encode() if isinstance(text, str) else text)
    if size > MAX_BYTES:
        raise ValueError(f"Model file is {size} bytes; the limit is {MAX_BYTES}")

    def no_constants(name: str) -> float:
        raise ValueError(f"Model file holds the non-finite number {name}")

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        duplicated = sorted({k for k in keys if keys.count(k) > 1})
        if duplicated:
            raise ValueError(f"Model file repeats the key(s) {duplicated}")
        return dict(pairs)

    def finite_float(literal: str) -> float:
        value = float(literal)
        if not math.isfinite(value):
            raise ValueError(f"Model file holds the non-finite number {literal}")
        return value

    def short_int(literal: str) -> int:
        if len(literal.lstrip("-")) > MAX_INT_DIGITS:
            raise ValueError(f"Model file holds an integer of {len(literal.lstrip('-'))} digits "
                             f"(at most {MAX_INT_DIGITS} allowed)")
        return int(literal)

    try:
        data = json.loads(
            text, parse_constant=no_constants, parse_float=finite_float, parse_int=short_int,
            object_pairs_hook=no_duplicates,
        )
    except json.JSONDecodeError as exc:
        raise ValueError(f"Model file is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise ValueError("Model file nests its JSON too deeply") from exc
    if not isinstance(data, dict):
        raise ValueError(f"Model file must hold a JSON object, got {type(data).__name__}")
    return data


def validate(spec: dict[str, Any]) -> None:
    """Raise ``ValueError`` naming the first problem of ``spec``; return None when it is a valid model."""
    errors = sorted(_VALIDATOR.iter_errors(spec), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        error = errors[0]
        while error.context:  # oneOf / anyOf: the deepest reason, inside the alternative that came closest
            error = max(error.context, key=lambda e: (len(e.absolute_path), e.validator != "type"))
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        shown = repr(error.instance)
        message = error.message.replace(shown, shorten(shown)) if len(shown) > 80 else error.message
        message = message if len(message) < 300 else message[:300] + "..."
        raise ValueError(f"Model file does not match the schema at {where}: {message}")
    try:
        _check_finite(spec, "")
        _check_model(spec)
        _check_predictors(spec)
        _check_radiomics(spec)
        _check_deep(spec)
        _check_baseline(spec)
        _check_risk_groups(spec)
    except (TypeError, KeyError, IndexError, ArithmeticError, np.linalg.LinAlgError) as exc:
        raise ValueError(f"Model file is inconsistent: {type(exc).__name__}: {exc}") from exc


def _check_finite(value: Any, where: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _check_finite(item, f"{where}/{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_finite(item, f"{where}/{i}")
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"Model file holds a non-finite number at {where}")
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) > 1e12:
        raise ValueError(f"Model file holds an implausibly large number {value} at {where}")


def _covariance(matrix: list[list[float]], size: int, where: str) -> None:
    if len(matrix) != size or any(len(row) != size for row in matrix):
        raise ValueError(f"{where} must be a {size} x {size} matrix")
    array = np.asarray(matrix, dtype=float)
    if not np.allclose(array, array.T, rtol=1e-8, atol=1e-12):
        raise ValueError(f"{where} is not symmetric")
    if np.any(np.diag(array) < 0):
        raise ValueError(f"{where} has a negative variance on its diagonal")
    if size and np.linalg.eigvalsh(array).min() < -1e-8 * max(1.0, np.abs(array).max()):
        raise ValueError(f"{where} is not positive semi-definite")


def _check_model(spec: dict[str, Any]) -> None:
    model = spec["model"]
    terms = model["terms"]
    names = [t["name"] for t in terms]
    if len(set(names)) != len(names):
        raise ValueError("model/terms repeats a term name")
    logistic = model["family"] == "logistic"
    if logistic != (model["intercept"] is not None):
        raise ValueError("model/intercept must be a number for logistic models and null for Cox models")
    if (model["family"] == "cox") != (spec["endpoint"]["kind"] == "rfs"):
        raise ValueError("endpoint 'rfs' needs a Cox model and 'er' a logistic model")
    _covariance(model["covariance"], len(terms) + logistic, "model/covariance")
    if model["lp_range"][0] > model["lp_range"][1]:
        raise ValueError("model/lp_range must be [min, max]")
    predictors = {p["name"]: p for p in spec["predictors"]}
    for term in terms:
        predictor = predictors.get(term["predictor"])
        if predictor is None:
            raise ValueError(f"term {term['name']} uses the undeclared predictor {term['predictor']}")
        if term["type"] == "indicator":
            if predictor["kind"] != "categorical" or term["level"] not in predictor["levels"]:
                raise ValueError(f"term {term['name']}: level {term['level']!r} is not a level of {predictor['name']}")
        elif predictor["kind"] == "categorical":
            raise ValueError(f"term {term['name']}: categorical predictor {predictor['name']} needs an indicator term")
        if term["type"] in ("above", "at_least") and term["cutoff"] is None:
            raise ValueError(f"term {term['name']}: a dichotomised term needs a cutoff")
        if sorted(term["axis"]) != term["axis"]:
            raise ValueError(f"term {term['name']}: axis values must be increasing")
        _check_transform(term, predictor)
    _check_splines(terms)
    if spec["endpoint"]["kind"] == "er" and spec["endpoint"]["er_horizon"] is None:
        raise ValueError("endpoint 'er' needs er_horizon")


def _check_transform(term: dict[str, Any], predictor: dict[str, Any]) -> None:
    """A log / spline term: a continuous predictor (positive for log), knots increasing, basis in range."""
    spline = term["type"] == "spline"
    if not (spline or term.get("log")):
        if "knots" in term or "basis" in term:
            raise ValueError(f"term {term['name']}: knots and basis belong to spline terms")
        return
    if term["type"] not in ("linear", "spline") or predictor["kind"] != "continuous":
        raise ValueError(f"term {term['name']}: log and spline apply to a continuous predictor's linear term")
    if term.get("log") and (predictor["min"] is None or predictor["min"] <= 0 or min(term["axis"]) <= 0):
        raise ValueError(f"term {term['name']}: a log term needs a predictor (and axis) above 0")
    if spline:
        knots = term.get("knots")
        if knots is None or "basis" not in term:
            raise ValueError(f"term {term['name']}: a spline term needs knots and basis")
        if any(b <= a for a, b in zip(knots, knots[1:])):
            raise ValueError(f"term {term['name']}: knots must be strictly increasing")
        if term["basis"] > len(knots) - 2:
            raise ValueError(f"term {term['name']}: basis {term['basis']} is beyond the {len(knots) - 1} spline columns")


def _check_splines(terms: list[dict[str, Any]]) -> None:
    """The spline terms of one predictor share knots and log, and hold each basis column exactly once."""
    by_predictor: dict[str, list[dict[str, Any]]] = {}
    for term in terms:
        if term["type"] == "spline":
            by_predictor.setdefault(term["predictor"], []).append(term)
    for name, group in by_predictor.items():
        knots, log = group[0]["knots"], bool(group[0].get("log"))
        if any(t["knots"] != knots or bool(t.get("log")) != log for t in group):
            raise ValueError(f"the spline terms of {name} differ in knots or log")
        if sorted(t["basis"] for t in group) != list(range(len(knots) - 1)):
            raise ValueError(f"the spline terms of {name} must hold each of its {len(knots) - 1} columns once")


def _check_predictors(spec: dict[str, Any]) -> None:
    names = [p["name"] for p in spec["predictors"]]
    if len(set(names)) != len(names):
        raise ValueError("predictors repeats a name")
    used = {t["predictor"] for t in spec["model"]["terms"]}
    for p in spec["predictors"]:
        if p["name"] not in used:
            raise ValueError(f"predictor {p['name']} is used by no term")
        if p["kind"] == "categorical":
            if len(p["levels"]) < 2 or len(set(p["levels"])) != len(p["levels"]):
                raise ValueError(f"categorical predictor {p['name']} needs two or more distinct levels")
        else:
            if p["min"] is None or p["max"] is None or p["min"] > p["max"]:
                raise ValueError(f"predictor {p['name']} needs a training range min <= max")
            lo = -math.inf if p["hard_min"] is None else p["hard_min"]
            hi = math.inf if p["hard_max"] is None else p["hard_max"]
            if not lo <= p["min"] <= p["max"] <= hi:
                raise ValueError(f"predictor {p['name']}: training range lies outside its hard limits")
    rad = [p for p in spec["predictors"] if p["kind"] == "rad_score"]
    if len(rad) > 1:
        raise ValueError("more than one rad_score predictor")
    if rad and spec["radiomics"] is None:
        raise ValueError("a rad_score predictor needs the radiomics section")
    deep = [p for p in spec["predictors"] if p["kind"] == "dl_score"]
    if len(deep) > 1:
        raise ValueError("more than one dl_score predictor")
    if bool(deep) != ("deep" in spec):
        raise ValueError("a dl_score predictor needs the deep section, and the deep section a dl_score predictor")


def _check_radiomics(spec: dict[str, Any]) -> None:
    rad = spec["radiomics"]
    if rad is None:
        return
    names = [f["name"] for f in rad["features"]]
    if len(set(names)) != len(names):
        raise ValueError("radiomics/features repeats a feature")
    for f in rad["features"]:
        if f["min"] > f["max"]:
            raise ValueError(f"radiomics feature {f['name']}: min > max")
    _covariance(rad["correlation"], len(names), "radiomics/correlation")
    correlation = np.asarray(rad["correlation"], dtype=float)
    if not np.allclose(np.diag(correlation), 1.0, atol=1e-6) or np.abs(correlation).max() > 1 + 1e-9:
        raise ValueError("radiomics/correlation is not a correlation matrix")
    from hccdash.extraction.params import ExtractionSpec

    try:
        ExtractionSpec.from_dict(rad["extraction"])
    except ValueError as exc:
        raise ValueError(f"radiomics/extraction: {exc}") from exc


def _check_deep(spec: dict[str, Any]) -> None:
    deep = spec.get("deep")
    if deep is None:
        return
    from hccdash.modeling.deep_score import is_deep_column, network_of

    names = [f["name"] for f in deep["features"]]
    if len(set(names)) != len(names):
        raise ValueError("deep/features repeats a feature")
    networks = [n["name"] for n in deep["networks"]]
    if len(set(networks)) != len(networks):
        raise ValueError("deep/networks repeats a network")
    for name in names:
        if not is_deep_column(name) or network_of(name) not in networks:
            raise ValueError(f"deep feature {name} is not named dl.<network>.<number> of a listed network {networks}")
    components = [c["name"] for c in deep["components"]]
    if len(set(components)) != len(components):
        raise ValueError("deep/components repeats a component")
    for component in deep["components"]:
        if len(component["loadings"]) != len(names):
            raise ValueError(f"deep component {component['name']} needs one loading per deep feature ({len(names)})")


def _check_baseline(spec: dict[str, Any]) -> None:
    base = spec["baseline"]
    if (base is None) != (spec["model"]["family"] == "logistic"):
        raise ValueError("a Cox model needs a baseline table and a logistic model none")
    if base is None:
        return
    n = len(base["time"])
    p = len(spec["model"]["terms"])
    if not (len(base["cumhaz"]) == len(base["varhaz"]) == len(base["xbar"]) == n):
        raise ValueError("baseline columns time, cumhaz, varhaz and xbar differ in length")
    if any(len(row) != p for row in base["xbar"]):
        raise ValueError(f"baseline/xbar rows must have one value per term ({p})")
    time = np.asarray(base["time"])
    if time[-1] > base["max_time"]:
        raise ValueError("baseline/max_time is before the last event time")
    if np.any(np.diff(time) <= 0):
        raise ValueError("baseline/time must be strictly increasing")
    for column in ("cumhaz", "varhaz"):
        if np.any(np.diff(np.asarray(base[column])) < 0):
            raise ValueError(f"baseline/{column} must not decrease (survival must not increase)")


def _check_risk_groups(spec: dict[str, Any]) -> None:
    groups = spec["risk_groups"]
    if len(groups["labels"]) != len(groups["cutoffs"]) + 1:
        raise ValueError("risk_groups needs one label more than cut-offs")
    if len(set(groups["labels"])) != len(groups["labels"]):
        raise ValueError("risk_groups repeats a label")
    if np.any(np.diff(groups["cutoffs"]) <= 0):
        raise ValueError("risk_groups/cutoffs must be increasing")
    for km in groups["km"]:
        if km["label"] not in groups["labels"]:
            raise ValueError(f"risk_groups/km curve {km['label']} is not a group")
        if len(km["time"]) != len(km["surv"]):
            raise ValueError(f"risk_groups/km curve {km['label']}: time and surv differ in length")
        if np.any(np.diff(km["time"]) < 0) or np.any(np.diff(km["surv"]) > 0):
            raise ValueError(f"risk_groups/km curve {km['label']} is not a survival curve")
