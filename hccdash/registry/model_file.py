"""Pickle-free JSON export and import of a model (format in :mod:`hccdash.registry.spec`).

:func:`build_spec` assembles a model file from the parts of a fitted model and its
training data (ranges, axes, the Cox baseline table, the risk groups' Kaplan-Meier
curves); :func:`hccdash.registry.from_pipeline.spec_from_pipeline` reads those parts from a
fitted ``hccdash.modeling.pipeline`` object. :func:`parse_model` is the only way in from a
file: size limit, strict JSON (no NaN / Infinity, no repeated keys), JSON Schema and
semantic checks, all before anything is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import numpy as np
import pandas as pd

from hccdash import stats
from hccdash.columns import require_columns
from hccdash.evaluation.risk_groups import training_cutoff
from hccdash.extraction.params import spec_from_settings
from hccdash.modeling.endpoints import early_recurrences
from hccdash.registry import spec as spec_module
from hccdash.registry.json_model import DL_SCORE, RAD_SCORE, design_matrix
from hccdash.settings import CalculatorSettings, EvaluationSettings
from hccdash.stats.cox import cox_baseline
from hccdash.stats.nomogram import N_UNIQUE
from hccdash.stats.survival import kaplan_meier

PACKAGES = ("numpy", "scipy", "pandas", "scikit-learn", "scikit-survival",
            "pyradiomics-bhklab", "SimpleITK", "duckdb", "joblib")


@dataclass(frozen=True)
class RadScore:
    """A rad-score: intercept + sum coef_j (f_j - mean_j) / sd_j over the selected features."""

    coef: pd.Series  # feature name -> coefficient on the z-scored feature
    mean: pd.Series
    sd: pd.Series
    intercept: float = 0.0
    extraction: dict[str, Any] | None = None  # ExtractionSpec.to_dict() of the features
    name: str = RAD_SCORE

    def score(self, features: pd.DataFrame) -> pd.Series:
        names = list(self.coef.index)
        z = (features[names] - self.mean[names]) / self.sd[names]
        return pd.Series(self.intercept + z.to_numpy(float) @ self.coef.to_numpy(float), index=features.index)


@dataclass(frozen=True)
class DeepPart:
    """A DL score: intercept + sum_k coef_k t_k / sd_k over the kept principal components, with
    t_k = sum_j loadings_jk (x_j - mean_j) / sd_j over the deep features (see :mod:`hccdash.modeling.deep_score`)."""

    networks: tuple[dict[str, Any], ...]  # name, sha256, extraction (hccdash.deep's spec without the path, or None)
    mean: pd.Series  # deep feature -> training mean
    sd: pd.Series  # deep feature -> training sd (scale: 1 for a constant feature)
    loadings: pd.DataFrame  # deep features x kept components
    component_sd: pd.Series  # component -> training sd of its scores
    coef: pd.Series  # component -> LASSO coefficient on the z-scored component
    intercept: float = 0.0
    name: str = DL_SCORE

    def components(self, features: pd.DataFrame) -> pd.DataFrame:
        """The z-scored kept components of each row (``features``: the deep feature columns)."""
        names = list(self.mean.index)
        values = require_columns(features, names, what="deep feature", table="The feature table",
                                 needed_by="the DL score").apply(pd.to_numeric, errors="coerce").to_numpy(float)
        bad = ~np.isfinite(values)
        if bad.any():
            row, column = np.argwhere(bad)[0]
            raise ValueError(f"Row {features.index[row]}, column {names[column]}: deep feature value is missing or "
                             "not a number")
        z = (values - self.mean.to_numpy(float)) / self.sd.to_numpy(float)
        t = z @ self.loadings[self.coef.index].to_numpy(float) / self.component_sd[self.coef.index].to_numpy(float)
        return pd.DataFrame(t, index=features.index, columns=self.coef.index)

    def score(self, features: pd.DataFrame) -> pd.Series:
        t = self.components(features).to_numpy(float)
        return pd.Series(self.intercept + t @ self.coef.to_numpy(float), index=features.index, name=self.name)

    def to_dict(self) -> dict[str, Any]:
        """The model file's ``deep`` section."""
        return {
            "networks": [dict(n) for n in self.networks],
            "intercept": float(self.intercept),
            "features": [{"name": n, "mean": float(self.mean[n]), "sd": float(self.sd[n])} for n in self.mean.index],
            "components": [{"name": c, "coef": float(self.coef[c]), "sd": float(self.component_sd[c]),
                            "loadings": [float(v) for v in self.loadings[c].reindex(self.mean.index)]}
                           for c in self.coef.index],
        }

    @classmethod
    def from_dict(cls, deep: dict[str, Any], name: str = DL_SCORE) -> "DeepPart":
        """Inverse of :meth:`to_dict` (a validated model file's ``deep`` section)."""
        features = [f["name"] for f in deep["features"]]
        components = [c["name"] for c in deep["components"]]
        return cls(
            networks=tuple(dict(n) for n in deep["networks"]),
            mean=pd.Series([f["mean"] for f in deep["features"]], index=features, dtype=float),
            sd=pd.Series([f["sd"] for f in deep["features"]], index=features, dtype=float),
            loadings=pd.DataFrame({c["name"]: c["loadings"] for c in deep["components"]}, index=features, dtype=float),
            component_sd=pd.Series([c["sd"] for c in deep["components"]], index=components, dtype=float),
            coef=pd.Series([c["coef"] for c in deep["components"]], index=components, dtype=float),
            intercept=float(deep["intercept"]),
            name=name,
        )


def lineage_text(lineage: list[dict[str, Any]]) -> str:
    """A model's updates in words, oldest first, e.g. ``m1 -> recalibration_in_the_large on
    'centres' (external set, 50 patients, 30 events)``; "" for a model never updated."""
    return "; ".join(f"{step['parent']} -> {step['method']} on {step['cohort']!r} ({step['set']} set, {step['n']} "
                     f"patients, {step['events']} events)" for step in lineage)


@dataclass(frozen=True)
class ModelParts:
    """Everything :func:`build_spec` needs besides the training data."""

    kind: str  # rfs | er
    submodel: str  # clinical | radiomics | combined
    terms: list[dict[str, Any]]  # name, predictor, type, level, cutoff (see spec._term)
    coef: pd.Series  # by term name
    covariance: pd.DataFrame  # terms (logistic: "intercept" first)
    intercept: float | None = None
    levels: dict[str, list[str]] = field(default_factory=dict)  # categorical predictor -> levels, reference first
    rad: RadScore | None = None
    deep: DeepPart | None = None
    er_horizon: float | None = None
    ties: str = "efron"
    cutoffs: list[float] | None = None  # on the linear predictor; None: learned from the training data
    cutoff_method: str = EvaluationSettings().risk_cutoff  # how ``cutoffs`` were found, or how to learn them
    minprop: float = EvaluationSettings().maxstat_minprop  # maxstat's minprop when it learns the cut-off
    labels: dict[str, str] = field(default_factory=dict)  # predictor -> display label
    units: dict[str, str] = field(default_factory=dict)  # predictor -> unit


def build_spec(
    parts: ModelParts,
    data: pd.DataFrame,
    time: np.ndarray,
    event: np.ndarray,
    *,
    name: str,
    notes: str = "",
    cohort: str | None = None,
    fingerprint: str | None = None,
    metrics: dict[str, Any] | None = None,
    horizons: tuple[float, ...] = EvaluationSettings().horizons_months,
) -> dict[str, Any]:
    """The model file of a fitted model; ``data`` holds the training rows' inputs (clinical
    predictors, and the rad-score or its features), ``time`` / ``event`` their outcome
    (months; for ER the rows the logistic model was fitted on, whose events are the recurrences
    by the horizon)."""

    data = data.copy()
    if parts.rad is not None and parts.rad.name not in data.columns:
        data[parts.rad.name] = parts.rad.score(data)
    if parts.deep is not None and parts.deep.name not in data.columns:
        data[parts.deep.name] = parts.deep.score(data)
    cox = parts.kind == "rfs"
    x = design_matrix(parts.terms, data)
    coef = parts.coef[[t["name"] for t in parts.terms]].to_numpy(float)
    means = x.mean(axis=0)
    terms = [
        {
            "name": t["name"],
            "predictor": t["predictor"],
            "type": t["type"],
            "level": None if t.get("level") is None else str(t["level"]),
            "cutoff": None if t.get("cutoff") is None else float(t["cutoff"]),
            "coef": float(coef[j]),
            "mean": float(means[j]),
            # a log / spline term's nomogram axis is in the predictor's own values (one axis per predictor)
            "axis": _axis(pd.to_numeric(data[t["predictor"]]).to_numpy(float) if _transformed(t) else x[:, j]),
            **{key: t[key] for key in ("log", "knots", "basis") if key in t},
        }
        for j, t in enumerate(parts.terms)
    ]
    order = [t["name"] for t in parts.terms]
    if not cox:
        order = ["intercept", *order]
    covariance = parts.covariance.loc[order, order].to_numpy(float)
    lp = x @ coef + (parts.intercept or 0.0)
    if parts.cutoffs is None:
        cutoffs = [training_cutoff(time, event, lp, parts.cutoff_method, parts.minprop)]
    else:
        cutoffs = [float(c) for c in parts.cutoffs]
        _check_cutoffs(cutoffs, lp)
    if metrics is None:
        metrics = {"c_index": {"train": float(stats.harrell_c(time, event, lp))}} if cox else {}
    labels = ["low", "high"] if len(cutoffs) == 1 else [f"group{i + 1}" for i in range(len(cutoffs) + 1)]
    spec = {
        "format": spec_module.FORMAT,
        "format_version": spec_module.FORMAT_VERSION,
        "name": name,
        "created_at": dt.datetime.now().isoformat(timespec="seconds"),
        "notes": notes,
        "endpoint": {
            "kind": parts.kind,
            "time_unit": "months",
            "horizons": [float(h) for h in horizons],
            "er_horizon": None if cox else float(parts.er_horizon),
        },
        "model": {
            "family": "cox" if cox else "logistic",
            "submodel": parts.submodel,
            "intercept": None if cox else float(parts.intercept),
            "terms": terms,
            "lp_range": [float(lp.min()), float(lp.max())],
            "covariance": covariance.tolist(),
        },
        "predictors": _predictors(parts, data),
        "radiomics": _radiomics(parts.rad, data),
        "baseline": cox_baseline(x, time, event, coef, parts.ties, center=means).to_dict() if cox else None,
        "risk_groups": {
            "method": parts.cutoff_method,
            "cutoffs": [float(c) for c in cutoffs],
            "labels": labels,
            "km": _km_curves(lp, cutoffs, labels, time, event),
        },
        "training": {
            "cohort": cohort,
            "fingerprint": fingerprint or training_fingerprint(data.index, time, event),
            "n": int(len(data)),
            "events": int(np.sum(event)) if cox else early_recurrences(time, event, parts.er_horizon),
        },
        "metrics": metrics or {},
        "versions": package_versions(),
    }
    if parts.deep is not None:
        spec["deep"] = parts.deep.to_dict()
    spec_module.validate(spec)
    return spec


def _transformed(term: dict[str, Any]) -> bool:
    """A log or spline term (its axis holds the predictor's values, not the model column's)."""
    return term["type"] == "spline" or bool(term.get("log"))


def _axis(column: np.ndarray) -> list[float]:
    """The nomogram support of a design column: its distinct training values when there are at
    most ``N_UNIQUE`` (10) of them, else ``N_UNIQUE + 1`` equally spaced values over its training
    range. Either gives the same axis ticks as the training column in ``nomogram_axes``."""
    distinct = np.unique(column)
    if len(distinct) <= N_UNIQUE:
        values = distinct if len(distinct) > 1 else np.array([distinct[0], distinct[0] + 1.0])
        return [float(v) for v in values]
    return [float(v) for v in np.linspace(column.min(), column.max(), N_UNIQUE + 1)]


def _check_cutoffs(cutoffs: list[float], lp: np.ndarray) -> None:
    """Refuse cut-offs that leave a risk group without a training patient."""
    low, high = float(np.min(lp)), float(np.max(lp))
    for value in cutoffs:
        if not low <= value < high:
            raise ValueError(f"Risk cut-off {value:.6g} puts every training patient in one group: it must lie in "
                             f"the training linear predictor's range [{low:.6g}, {high:.6g})")


def _km_curves(lp, cutoffs, labels, time, event) -> list[dict[str, Any]]:
    groups = np.asarray(labels, dtype=object)[np.searchsorted(np.asarray(cutoffs), lp, side="left")]
    curves = []
    for label in labels:
        chosen = groups == label
        if not chosen.any():
            continue
        table = kaplan_meier(np.asarray(time)[chosen], np.asarray(event)[chosen])
        curves.append({
            "label": label,
            "time": [0.0, *table["time"].astype(float)],
            "surv": [1.0, *table["surv"].astype(float)],
            "n": int(chosen.sum()),
        })
    return curves


def _hard_limits(name: str) -> tuple[float | None, float | None]:
    for pattern, low, high in CalculatorSettings().hard_limits:
        if re.fullmatch(pattern, name, flags=re.IGNORECASE):
            return low, high
    return None, None


def _predictors(parts: ModelParts, data: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for name in dict.fromkeys(t["predictor"] for t in parts.terms):
        values = data[name]
        entry = {"name": name, "label": parts.labels.get(name, name), "unit": parts.units.get(name, ""),
                 "levels": [], "min": None, "max": None, "mean": None, "hard_min": None, "hard_max": None}
        if any(t["predictor"] == name and t["type"] == "indicator" for t in parts.terms):
            levels = parts.levels.get(name) or sorted(values.dropna().astype(str).unique())
            out.append({**entry, "kind": "categorical", "levels": [str(v) for v in levels]})
            continue
        numeric = pd.to_numeric(values, errors="raise").astype(float)
        kind = ("rad_score" if parts.rad is not None and name == parts.rad.name
                else "dl_score" if parts.deep is not None and name == parts.deep.name else "continuous")
        low, high = (None, None) if kind != "continuous" else _hard_limits(name)
        lo, hi = float(numeric.min()), float(numeric.max())
        if set(numeric.dropna().unique()) <= {0.0, 1.0} and low is None and high is None:
            low, high = 0.0, 1.0  # a 0/1 indicator (e.g. cirrhosis): nothing else is possible
        out.append({
            **entry,
            "kind": kind,
            "min": lo, "max": hi, "mean": float(numeric.mean()),
            "hard_min": None if low is None else min(low, lo),
            "hard_max": None if high is None else max(high, hi),
        })
    return out


def _radiomics(rad: RadScore | None, data: pd.DataFrame) -> dict[str, Any] | None:
    if rad is None:
        return None
    names = list(rad.coef.index)
    values = require_columns(data, names, what="rad-score feature", table="The training data",
                             needed_by="the rad-score").astype(float)
    correlation = np.atleast_2d(np.corrcoef(values.to_numpy(), rowvar=False)) if len(names) > 1 else np.ones((1, 1))
    return {
        "intercept": float(rad.intercept),
        "features": [
            {"name": n, "coef": float(rad.coef[n]), "mean": float(rad.mean[n]), "sd": float(rad.sd[n]),
             "min": float(values[n].min()), "max": float(values[n].max())}
            for n in names
        ],
        "correlation": correlation.tolist(),
        "extraction": rad.extraction if rad.extraction is not None else _default_extraction(),
    }


def _default_extraction() -> dict[str, Any]:
    return spec_from_settings().to_dict()


def training_fingerprint(ids: Any, time: Any, event: Any) -> str:
    """SHA-256 of the training rows' (id, time, event), sorted by id."""
    frame = pd.DataFrame({"id": [str(i) for i in ids], "time": np.asarray(time, float), "event": np.asarray(event, int)})
    text = frame.sort_values("id").to_csv(index=False, float_format="%.10g")
    return hashlib.sha256(text.encode()).hexdigest()


def package_versions() -> dict[str, str]:
    """Installed versions of the packages a model depends on."""
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return versions


def describe(spec: dict[str, Any]) -> dict[str, Any]:
    """The registry's ``meta`` of a model file: what it needs and how it was made."""
    rad = spec["radiomics"]
    return {
        "endpoint": spec["endpoint"]["kind"],
        "er_horizon": spec["endpoint"]["er_horizon"],
        "submodel": spec["model"]["submodel"],
        "terms": [t["name"] for t in spec["model"]["terms"]],
        "predictors": [p["name"] for p in spec["predictors"]],
        "selected_features": [] if rad is None else [f["name"] for f in rad["features"]],
        "extraction": None if rad is None else rad["extraction"],
        "networks": [{"name": n["name"], "sha256": n["sha256"]} for n in spec.get("deep", {}).get("networks", [])],
        "cutoffs": spec["risk_groups"]["cutoffs"],
        "cutoff_method": spec["risk_groups"]["method"],
        "training_fingerprint": spec["training"]["fingerprint"],
        "n_train": spec["training"]["n"],
        "events_train": spec["training"]["events"],
        "versions": spec["versions"],
        "format_version": spec["format_version"],
        "lineage": spec.get("lineage", []),
    }


def dumps(spec: dict[str, Any]) -> str:
    """The model file's JSON text (validated first)."""
    spec_module.validate(spec)
    return json.dumps(spec, indent=1, allow_nan=False)


def parse_model(text: str | bytes) -> dict[str, Any]:
    """A validated model file from JSON text; ``ValueError`` with the reason otherwise."""
    spec = spec_module.parse(text)
    spec_module.validate(spec)
    return spec
