"""The model registry: saved models as files under ``HCCDASH_HOME/models``, metadata in the store.

A model saved from a fitted pipeline is one joblib file ``<name>-<timestamp>.joblib``
holding ``{"pipeline": ..., "spec": ...}`` (the pipeline object and its pickle-free model
file, see :mod:`hccdash.registry.model_file`); a model imported from a JSON model file
is that file, ``<name>-<timestamp>.json``. Either way the artifact's SHA-256 is recorded
in the ``models`` table when it is written, with the endpoint, cohort, metrics and meta
(extraction settings, selected features, training-cohort fingerprint, package versions).

Loading a joblib file runs code (scikit-learn "Model persistence"), so :func:`load`
opens only an artifact named in the registry, lying directly in the models folder,
whose SHA-256 still equals the recorded one and, since the store sits in the same
folder, whose signature made with a key kept outside it checks
(:mod:`hccdash.registry.signing`); anything else is refused with the reason and is never
unpickled.

(One module on purpose: writing an artifact, recording its SHA-256 and signature and
refusing to unpickle a file whose hash or signature does not check are one safety contract,
kept together so no path loads a file without the check. The model file itself is
:mod:`hccdash.registry.model_file`.)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import pandas as pd

from hccdash import paths
from hccdash.atomic import atomic_file
from hccdash.digest import sha256_file
from hccdash.evaluation.risk_groups import RiskCutoff, cutoff_description
from hccdash.registry import signing
from hccdash.registry import spec as spec_module
from hccdash.registry.artifacts import ARTIFACT_RE, DELETING
from hccdash.registry.json_model import JsonModel
from hccdash.store import Store
from hccdash.text_limits import MAX_NOTES, TEXT_PATTERN

NAME_RE = re.compile(spec_module.NAME_PATTERN)


class ArtifactError(ValueError):
    """A registered artifact is missing, altered, or not one this registry wrote: bad input,
    like any other file the user points at (the CLI prints it and exits 2, pages show it)."""


@dataclass(frozen=True)
class ModelRecord:
    """One row of the ``models`` table."""

    name: str
    created_at: dt.datetime
    notes: str
    cohort: str | None
    endpoint: str
    artifact: str
    sha256: str
    metrics: dict[str, Any]
    meta: dict[str, Any]

    @property
    def path(self) -> Path:
        """Where the artifact lives."""
        return paths.models_dir() / self.artifact

    @property
    def kind(self) -> str:
        """'pipeline' (saved here, joblib) or 'json' (imported model file)."""
        return "pipeline" if self.artifact.endswith(".joblib") else "json"


@dataclass(frozen=True)
class LoadedModel:
    """A verified artifact: the pipeline (None for an imported JSON model) and its model file."""

    record: ModelRecord
    pipeline: Any
    spec: dict[str, Any]

    @property
    def json_model(self) -> JsonModel:
        """The model file's predictor (validated when loaded)."""
        return JsonModel(self.spec, validated=True)


def check_name(name: str) -> str:
    """``name`` if it is a valid model name (letters, digits, ``_.-``, at most 64), else ValueError."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ValueError(
            f"Model name {name!r} is not allowed: use 1-64 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return name


def check_notes(notes: str) -> str:
    """``notes`` if it is plain text (no markup, no control characters, at most 2000 characters)."""
    if not isinstance(notes, str) or len(notes) > MAX_NOTES or not re.search(TEXT_PATTERN, notes):
        raise ValueError(
            f"Notes must be plain text of at most {MAX_NOTES} characters, without markup "
            "such as '<tag>' or control characters"
        )
    return notes


def save(
    pipeline: Any,
    name: str,
    notes: str = "",
    *,
    data: pd.DataFrame | None = None,
    time: Any = None,
    event: Any = None,
    spec: dict[str, Any] | None = None,
    cohort: str | None = None,
    metrics: dict[str, Any] | None = None,
    meta: dict[str, Any] | None = None,
    store: Store | None = None,
    cutoff: RiskCutoff | None = None,
    units: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> ModelRecord:
    """Save a fitted pipeline under ``name``: joblib artifact + SHA-256 + metadata row.

    The artifact holds the pipeline and its pickle-free model file ``spec``; when ``spec`` is
    omitted it is built by :func:`hccdash.registry.from_pipeline.spec_from_pipeline` from the
    training rows ``data`` (feature and clinical columns) and their ``time`` / ``event``
    (months). ``cutoff`` (a :class:`~hccdash.evaluation.risk_groups.RiskCutoff`, e.g. the one
    chosen on the Evaluation page) becomes the model's risk-group cut-off; without it the
    cut-off is learned from ``data`` as before. ``units`` / ``labels`` (clinical variable ->
    text, e.g. the training cohort's ``load_mapping(cohort).units``) are shown with the model's
    inputs ("AFP (ng/mL)"). Refuses an existing name. The file is written first and removed
    again if the row cannot be stored.
    """
    from hccdash.registry import from_pipeline, model_file

    check_name(name)
    check_notes(notes)
    if spec is None:
        if data is None or time is None or event is None:
            raise ValueError("Saving a pipeline needs its training rows: data, time and event")
        spec = from_pipeline.spec_from_pipeline(pipeline, data, time, event, name=name, notes=notes,
                                                cohort=cohort, metrics=metrics, cutoff=cutoff, units=units,
                                                labels=labels)
    elif cutoff is not None or units or labels:
        raise ValueError("A ready model file carries its own cut-off, units and labels: give them to "
                         "spec_from_pipeline")
    metrics = metrics if metrics is not None else spec.get("metrics", {})
    spec = {**spec, "name": name, "notes": notes, "metrics": _json_metrics(metrics)}
    spec_module.validate(spec)
    record_meta = {**model_file.describe(spec), **(meta or {})}
    store = store or Store()
    if cohort is not None:
        found = store.query("SELECT fingerprint FROM cohorts WHERE name = ?", [cohort])
        record_meta["cohort_fingerprint"] = None if found.empty else found["fingerprint"].iloc[0]
    if hasattr(pipeline, "settings") and hasattr(pipeline.settings, "to_dict"):
        record_meta["settings"] = pipeline.settings.to_dict()
    return _register(
        name, notes, {"pipeline": pipeline, "spec": spec}, "joblib", spec, cohort, metrics, record_meta, store
    )


def import_json(text: str | bytes, name: str, notes: str = "", *, store: Store | None = None) -> ModelRecord:
    """Register a JSON model file under ``name``; a malformed or hostile file is refused and nothing is stored."""
    from hccdash.registry import model_file

    check_name(name)
    check_notes(notes)
    spec = model_file.parse_model(text)
    spec = {**spec, "name": name, "notes": notes or spec.get("notes", "")}
    spec_module.validate(spec)
    meta = {**model_file.describe(spec), "imported": True}
    return _register(name, spec["notes"], spec, "json", spec, spec["training"]["cohort"], spec["metrics"], meta, store)


def save_model_file(spec: dict[str, Any], name: str, notes: str = "", *, store: Store | None = None) -> ModelRecord:
    """Register a model file made here without a pipeline (an updated model, see
    :mod:`hccdash.validation.updating`) as a JSON artifact; its lineage is kept in the meta.
    An invalid file or a taken name is refused and nothing is stored."""
    from hccdash.registry import model_file

    check_name(name)
    check_notes(notes)
    spec = {**spec, "name": name, "notes": notes}
    spec_module.validate(spec)
    return _register(name, notes, spec, "json", spec, spec["training"]["cohort"], spec["metrics"],
                     model_file.describe(spec), store)


def _register(
    name: str,
    notes: str,
    payload: Any,
    suffix: str,
    spec: dict[str, Any],
    cohort: str | None,
    metrics: dict[str, Any] | None,
    meta: dict[str, Any],
    store: Store | None,
) -> ModelRecord:
    store = store or Store()
    if _exists(store, name):
        raise ValueError(f"A model named {name!r} already exists; choose another name or delete it first")
    created = dt.datetime.now()
    artifact = f"{name}-{created.strftime('%Y%m%dT%H%M%S%f')}.{suffix}"
    path = paths.models_dir() / artifact
    with atomic_file(path, "wb") as handle:
        if suffix == "joblib":
            joblib.dump(payload, handle)
        else:
            handle.write(json.dumps(payload, indent=1, allow_nan=False).encode())
    digest = sha256_file(path)
    metrics = _plain_json(metrics or {})
    if suffix == "joblib":  # a pickle: loaded only with this key's signature (see signing)
        meta = {**meta, "signature": signing.signature(artifact, digest)}
    try:
        with store.transaction() as con:
            con.execute(
                "INSERT INTO models (name, created_at, notes, cohort, endpoint, artifact, sha256, metrics, meta) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [name, created, notes, cohort, spec["endpoint"]["kind"], artifact, digest,
                 json.dumps(metrics, allow_nan=False, default=float), json.dumps(meta, allow_nan=False, default=str)],
            )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return get(name, store=store)


def _plain_json(value: Any) -> Any:
    """JSON-ready copy: numpy scalars as Python numbers, NaN / infinity as None."""
    if isinstance(value, dict):
        return {str(k): _plain_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_json(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and value != value or value in (float("inf"), float("-inf")):
        return None
    return value


def _exists(store: Store, name: str) -> bool:
    return not store.query("SELECT 1 FROM models WHERE name = ?", [name]).empty


def _record(row: pd.Series) -> ModelRecord:
    return ModelRecord(
        name=row["name"],
        created_at=row["created_at"],
        notes=row["notes"] or "",
        cohort=row["cohort"] if isinstance(row["cohort"], str) else None,
        endpoint=row["endpoint"],
        artifact=row["artifact"],
        sha256=row["sha256"],
        metrics=json.loads(row["metrics"]) if row["metrics"] else {},
        meta=json.loads(row["meta"]) if row["meta"] else {},
    )


def get(name: str, *, store: Store | None = None) -> ModelRecord:
    """The record of ``name``; ValueError if there is none."""
    store = store or Store()
    rows = store.query("SELECT * FROM models WHERE name = ?", [name])
    if rows.empty:
        raise ValueError(f"No model named {name!r} in the registry")
    return _record(rows.iloc[0])


def records(store: Store | None = None) -> list[ModelRecord]:
    """Every registered model, oldest first."""
    store = store or Store()
    rows = store.query("SELECT * FROM models ORDER BY created_at, name")
    return [_record(row) for _, row in rows.iterrows()]


def list_models(store: Store | None = None) -> pd.DataFrame:
    """The registry as a table: name, created, endpoint, model, cohort, features, kind, lineage (an
    updated model's updates), notes, sha256."""
    from hccdash.registry import model_file

    rows = [
        {
            "name": r.name,
            "created_at": r.created_at,
            "endpoint": r.endpoint,
            "model": r.meta.get("submodel"),
            "cohort": r.cohort,
            "n_features": len(r.meta.get("selected_features", [])),
            "predictors": ", ".join(r.meta.get("predictors", [])),
            "risk_cutoff": risk_cutoff_text(r.meta),
            "kind": r.kind,
            "lineage": model_file.lineage_text(r.meta.get("lineage", [])),
            "notes": r.notes,
            "sha256": r.sha256,
        }
        for r in records(store)
    ]
    columns = ["name", "created_at", "endpoint", "model", "cohort", "n_features", "predictors", "risk_cutoff", "kind",
               "lineage", "notes", "sha256"]
    return pd.DataFrame(rows, columns=columns)


def risk_cutoff_text(meta: dict[str, Any], long: bool = False) -> str:
    """A model's risk-group cut-off(s) on the linear predictor and how they were found, e.g.
    ``maxstat 0.1927`` (``long``: the method in words)."""
    method = meta.get("cutoff_method", "")
    values = ", ".join(f"{c:.4g}" for c in meta.get("cutoffs", []))
    return f"{values} ({cutoff_description(method)})" if long else f"{method} {values}"


def compare(names: list[str], store: Store | None = None) -> pd.DataFrame:
    """Numbers side by side: one row per metric (``c_index.validation``, ...) and per size
    (``meta.n_train``, ...), one column per model (NaN where a model lacks the metric)."""
    store = store or Store()
    columns = {}
    for name in names:
        record = get(name, store=store)
        flat = {k: v for k, v in _flatten(record.metrics).items() if _is_number(v)}
        flat.update({"meta." + k: v for k, v in _describe_counts(record.meta).items()})
        columns[name] = pd.Series(flat, dtype=float)
    return pd.DataFrame(columns)


def _flatten(metrics: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in metrics.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _describe_counts(meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "n_train": meta.get("n_train"),
        "events_train": meta.get("events_train"),
        "n_terms": len(meta.get("terms", [])),
        "n_features": len(meta.get("selected_features", [])),
    }


def rename(old: str, new: str, *, store: Store | None = None) -> ModelRecord:
    """Give model ``old`` the name ``new`` (the artifact file keeps its name and hash)."""
    store = store or Store()
    check_name(new)
    get(old, store=store)
    with store.transaction() as con:
        if con.execute("SELECT 1 FROM models WHERE name = ?", [new]).fetchone():
            raise ValueError(f"A model named {new!r} already exists")
        con.execute("UPDATE models SET name = ? WHERE name = ?", [new, old])
    return get(new, store=store)


def delete(name: str, *, store: Store | None = None) -> None:
    """Remove model ``name``: its row and its artifact file, all or nothing."""
    store = store or Store()
    record = get(name, store=store)
    path = _artifact_path(record)
    trash = path.with_name(path.name + DELETING)
    moved = False
    try:
        with store.transaction() as con:
            con.execute("DELETE FROM models WHERE name = ?", [name])
            if path.exists():
                os.replace(path, trash)
                moved = True
    except BaseException:
        if moved:
            os.replace(trash, path)
        raise
    trash.unlink(missing_ok=True)


def _artifact_path(record: ModelRecord) -> Path:
    if not ARTIFACT_RE.match(record.artifact):
        raise ArtifactError(f"Model {record.name!r}: artifact name {record.artifact!r} is not one this registry writes")
    return paths.models_dir() / record.artifact


def verify(name: str, *, store: Store | None = None) -> ModelRecord:
    """The record of ``name`` if its artifact exists, its SHA-256 matches and, for a pickled
    pipeline, its signature checks (:mod:`hccdash.registry.signing`); else ArtifactError."""
    record = _unchanged(get(name, store=store))
    try:
        signed = record.kind == "json" or signing.is_signed(record.artifact, record.sha256, record.meta.get("signature"))
    except OSError as exc:  # the key cannot be made or read
        raise ArtifactError(f"Model {name!r}: {exc}") from None
    if not signed:
        raise ArtifactError(
            f"Model {name!r}: its artifact is not signed with this machine's key ({signing.key_path()}), so it is "
            f"not unpickled (that runs code). Saved here before models were signed? Run `python -m hccdash "
            f"sign-models --model {name}` once. From elsewhere? Import its JSON model file (import-model)."
        )
    return record


def _unchanged(record: ModelRecord) -> ModelRecord:
    """``record`` if its artifact exists and still has the recorded SHA-256; else ArtifactError."""
    path = _artifact_path(record)
    if not path.is_file():
        raise ArtifactError(f"Model {record.name!r}: its artifact {path} is missing; it cannot be loaded")
    digest = sha256_file(path)
    if digest != record.sha256:
        raise ArtifactError(
            f"Model {record.name!r}: the artifact {path.name} has changed since it was saved "
            f"(SHA-256 {digest[:12]}... instead of {record.sha256[:12]}...); refusing to load it"
        )
    return record


def sign(names: list[str] | None = None, *, store: Store | None = None) -> list[str]:
    """Sign the pickled pipelines ``names`` (default: every one) with this machine's key, for
    models saved before artifacts were signed; returns the names newly signed. Only an artifact
    that exists and still has its recorded SHA-256 is signed (ArtifactError otherwise), so this
    vouches for nothing the registry did not record."""
    store = store or Store()
    chosen = [get(n, store=store) for n in names] if names is not None else records(store)
    signed = []
    for record in chosen:
        if record.kind != "pipeline" or signing.is_signed(record.artifact, record.sha256, record.meta.get("signature")):
            continue
        _unchanged(record)
        meta = {**record.meta, "signature": signing.signature(record.artifact, record.sha256)}
        with store.transaction() as con:
            con.execute("UPDATE models SET meta = ? WHERE name = ?",
                        [json.dumps(meta, allow_nan=False, default=str), record.name])
        signed.append(record.name)
    return signed


def load(name: str, *, store: Store | None = None) -> LoadedModel:
    """Load model ``name`` after checking its SHA-256 and, for a pipeline, its signature (see :func:`verify`)."""
    from hccdash.registry import model_file

    record = verify(name, store=store)
    path = _artifact_path(record)
    if record.kind == "json":
        spec = model_file.parse_model(path.read_bytes())
        return LoadedModel(record, None, spec)
    payload = joblib.load(path)
    if not isinstance(payload, dict) or set(payload) != {"pipeline", "spec"}:
        raise ArtifactError(f"Model {name!r}: {path.name} does not hold a registry payload")
    spec = payload["spec"]
    spec_module.validate(spec)
    return LoadedModel(record, payload["pipeline"], spec)


def json_model(name: str, *, store: Store | None = None) -> JsonModel:
    """The verified model ``name`` as a :class:`JsonModel` (what the calculator and CLI use)."""
    return load(name, store=store).json_model


def export_json(name: str, *, store: Store | None = None) -> str:
    """The pickle-free JSON model file of ``name`` (with its registry name and metrics)."""
    from hccdash.registry import model_file

    loaded = load(name, store=store)
    spec = {**loaded.spec, "name": loaded.record.name, "metrics": _json_metrics(loaded.record.metrics)}
    return model_file.dumps(spec)


def _json_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    """The numeric metrics that fit the model file's two-level ``metrics`` object."""
    out: dict[str, Any] = {}
    for key, value in metrics.items():
        if not NAME_RE.match(str(key)):
            continue
        if isinstance(value, dict):
            inner = {k: float(v) for k, v in value.items() if NAME_RE.match(str(k)) and _is_number(v)}
            if inner:
                out[key] = inner
        elif _is_number(value):
            out[key] = float(value)
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(float(value)) < 1e12 and value == value
