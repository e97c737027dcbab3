"""Stored cohorts as typed frames: what every later step reads."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pandas as pd

from hccdash.cohort.mapping import ColumnMapping
from hccdash.cohort.table_checks import ClinicalData
from hccdash.cohort.validate import Report
from hccdash.store import Store


@dataclass(frozen=True)
class Cohort:
    """One stored cohort.

    - ``patients``: indexed by ``patient_id``; ``time`` (months), ``event`` (0/1),
      ``centre``, ``split`` ('train' / 'validation' / 'external' / None);
    - ``clinical``: indexed by ``patient_id``; the predictor columns, continuous as float,
      categorical / ordinal as pandas Categorical with the stored level order (ordinal ones
      ordered);
    - ``variables``: name, kind, predictor, levels (list) of every stored variable;
    - ``images``: patient_id, phase, reader, image_path (absolute), mask_path, label,
      image_sha256, mask_sha256.
    """

    name: str
    time_unit: str
    patients: pd.DataFrame
    clinical: pd.DataFrame
    variables: pd.DataFrame
    images: pd.DataFrame
    fingerprint: str = ""
    split_spec: dict = field(default_factory=dict)


def list_cohorts(store: Store | None = None) -> list[str]:
    """Names of the stored cohorts, oldest first."""
    store = store or Store()
    return store.query("SELECT name FROM cohorts ORDER BY created_at, name")["name"].tolist()


def typed_values(values: pd.DataFrame, variables: pd.DataFrame) -> pd.DataFrame:
    """Text values (patients x variables) typed by kind and level order."""
    typed = {}
    for var in variables.itertuples(index=False):
        column = values[var.name] if var.name in values else pd.Series(None, index=values.index, dtype=object)
        if var.kind == "continuous":
            typed[var.name] = pd.to_numeric(column, errors="coerce").astype(float)
        else:
            typed[var.name] = pd.Categorical(column, categories=list(var.levels), ordered=var.kind == "ordinal")
    return pd.DataFrame(typed, index=values.index)


def checked_frames(data: ClinicalData) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A checked clinical table (:func:`hccdash.cohort.table_checks.check_clinical`) as a stored
    cohort reads back: ``patients`` (time in months, event, centre) and ``clinical`` (the
    predictors, typed by :func:`typed_values`), both indexed by ``patient_id``."""
    variables = pd.DataFrame([{"name": v.name, "kind": v.kind, "levels": list(v.levels)}
                              for v in data.variables if v.predictor], columns=["name", "kind", "levels"])
    return data.patients[["time", "event", "centre"]].copy(), typed_values(data.values, variables)


def load_cohort(name: str, store: Store | None = None, *, predictors_only: bool = True) -> Cohort:
    """The stored cohort ``name``; ValueError naming the stored cohorts when absent.
    ``predictors_only=False``: ``clinical`` holds every stored variable, not only the predictors."""
    store = store or Store()
    meta = store.query("SELECT time_unit, fingerprint, split FROM cohorts WHERE name = ?", [name])
    if meta.empty:
        raise ValueError(f"No cohort named '{name}'; stored cohorts: {list_cohorts(store) or 'none'}")
    patients = store.query(
        "SELECT patient_id, time, event, centre, split FROM patients WHERE cohort = ? ORDER BY patient_id", [name]
    ).set_index("patient_id")
    patients["event"] = patients["event"].astype(int)
    patients["centre"] = patients["centre"].astype(object).where(patients["centre"].notna(), None)
    patients["split"] = patients["split"].astype(object).where(patients["split"].notna(), None)
    variables = store.query(
        "SELECT name, kind, predictor, levels FROM variables WHERE cohort = ? ORDER BY position", [name]
    )
    variables["levels"] = [json.loads(v) if isinstance(v, str) else [] for v in variables["levels"]]
    predictors = (variables[variables["predictor"]] if predictors_only else variables).reset_index(drop=True)
    long = store.query(
        "SELECT c.patient_id, c.variable, c.value FROM clinical c JOIN variables v "
        "ON v.cohort = c.cohort AND v.name = c.variable WHERE c.cohort = ? AND (v.predictor OR NOT ?)",
        [name, predictors_only],
    )
    wide = long.pivot(index="patient_id", columns="variable", values="value").reindex(patients.index)
    clinical = typed_values(wide, predictors)
    images = store.query(
        "SELECT patient_id, phase, reader, image_path, mask_path, label, image_sha256, mask_sha256 "
        "FROM images WHERE cohort = ? ORDER BY patient_id, phase, reader", [name]
    )
    split = meta["split"].iloc[0]
    return Cohort(
        name=name,
        time_unit=str(meta["time_unit"].iloc[0]),
        patients=patients,
        clinical=clinical,
        variables=variables,
        images=images,
        fingerprint=str(meta["fingerprint"].iloc[0]),
        split_spec=json.loads(split) if isinstance(split, str) else {},
    )


def load_mapping(name: str, store: Store | None = None) -> ColumnMapping:
    """The column mapping stored with cohort ``name`` (its variables' kinds, levels, units, labels)."""
    store = store or Store()
    rows = store.query("SELECT mapping FROM cohorts WHERE name = ?", [name])
    if rows.empty:
        raise ValueError(f"No cohort named '{name}'; stored cohorts: {list_cohorts(store) or 'none'}")
    return ColumnMapping.from_dict(json.loads(rows["mapping"].iloc[0]))


def units_and_labels(name: str | None, store: Store | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """Units and display labels of cohort ``name``'s variables (what a model saved from it
    shows); both empty for a cohort without them, and when no cohort ``name`` is stored."""
    store = store or Store()
    if not name or store.query("SELECT 1 FROM cohorts WHERE name = ?", [name]).empty:
        return {}, {}
    mapping = load_mapping(name, store)
    return mapping.units, mapping.labels


def load_report(name: str, store: Store | None = None) -> Report:
    """The validation report stored with cohort ``name`` at its import."""
    store = store or Store()
    rows = store.query("SELECT report FROM cohorts WHERE name = ?", [name])
    if rows.empty:
        raise ValueError(f"No cohort named '{name}'; stored cohorts: {list_cohorts(store) or 'none'}")
    return Report.from_records(json.loads(rows["report"].iloc[0] or "[]"))
