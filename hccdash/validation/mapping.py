"""The mapping step: which cohort variable feeds each clinical input of a model, in which unit,
and which cohort level stands for which model level.

:func:`propose_mapping` matches every clinical input of the model (the rad-score is built from
radiomic features, see :mod:`hccdash.validation.features`) to a stored cohort variable: the same
name, else the same name ignoring case and punctuation (``afp`` for ``AFP``), else a variable
whose display label is the input's name or label. Units come from the cohort's stored mapping
and the model file; :func:`hccdash.validation.units.conversion_factor` converts between them.
Categorical levels are kept when the model knows them and matched ignoring case otherwise;
anything else is left for the user to map.

The mapping travels as JSON (``mapping.json`` of the ``validate`` command, the page's download)::

    {"inputs": {"AFP": {"column": "afp_ugl", "unit": "ug/L", "levels": {}},
                "sex": {"column": "gender", "unit": "", "levels": {"Male": "M", "Female": "F"}}}}

``column``: the cohort variable; ``unit``: the cohort variable's unit (overrides the stored
one, e.g. for a cohort imported without units); ``levels``: cohort level -> model level.
:func:`check_mapping` names every problem (an input without a variable, a unit that does not
convert, a level the model never saw) before anything is computed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from hccdash.cohort.mapping import VariableSpec, canonical
from hccdash.registry.details import with_unit
from hccdash.registry.json_model import JsonModel
from hccdash.text_limits import MAX_UNIT, check_display_text
from hccdash.validation.units import conversion_factor, normalise_unit

LEVEL_SEPARATOR = " | "
_TABLE_COLUMNS = ["input", "kind", "model_unit", "column", "cohort_unit", "factor", "levels", "note"]


@dataclass(frozen=True)
class InputMap:
    """One model input: the cohort variable feeding it, that variable's unit and level map."""

    input: str
    kind: str  # continuous | categorical (the model's)
    label: str
    model_unit: str
    column: str | None
    cohort_unit: str = ""
    levels: dict[str, str] = field(default_factory=dict)  # cohort level -> model level

    def factor(self) -> float:
        """Factor from the cohort's unit to the model's (ValueError naming both when unknown)."""
        return conversion_factor(self.cohort_unit, self.model_unit, f"{self.input} {self.label}")

    def note(self) -> str:
        """What the user should know about this row ("" when nothing)."""
        if self.column is None:
            return "no cohort variable: map one"
        if self.kind == "categorical":
            return ""
        if not normalise_unit(self.cohort_unit) or not normalise_unit(self.model_unit):
            side = "cohort" if not normalise_unit(self.cohort_unit) else "model"
            return f"unit not stated by the {side}: values used as they are"
        try:
            factor = self.factor()
        except ValueError as exc:
            return str(exc)
        return "" if factor == 1.0 else f"converted: x {factor:.6g}"


@dataclass(frozen=True)
class InputMapping:
    """The mapping of every clinical input of a model (in the model's predictor order)."""

    inputs: tuple[InputMap, ...]

    def get(self, name: str) -> InputMap:
        for item in self.inputs:
            if item.input == name:
                return item
        raise ValueError(f"The model has no clinical input {name!r}; its inputs: {[i.input for i in self.inputs]}")

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (module docstring)."""
        return {"inputs": {i.input: {"column": i.column, "unit": i.cohort_unit, "levels": dict(i.levels)}
                           for i in self.inputs}}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    def table(self) -> pd.DataFrame:
        """One row per input: input, kind, model_unit, column, cohort_unit, factor (NaN when it
        does not convert), levels (``cohort=model | ...``) and a note."""
        rows = []
        for i in self.inputs:
            try:
                factor = i.factor() if i.kind != "categorical" else np.nan
            except ValueError:
                factor = np.nan
            rows.append({"input": i.input, "kind": i.kind, "model_unit": i.model_unit, "column": i.column or "",
                         "cohort_unit": i.cohort_unit, "factor": factor,
                         "levels": LEVEL_SEPARATOR.join(f"{a}={b}" for a, b in i.levels.items()), "note": i.note()})
        return pd.DataFrame(rows, columns=_TABLE_COLUMNS)

    def with_overrides(self, overrides: Mapping[str, Any], variables: Sequence[VariableSpec]) -> "InputMapping":
        """This mapping changed by ``overrides`` (the JSON form's ``inputs`` object, or the whole
        JSON form); ValueError naming an unknown input, an unknown cohort variable or a level the
        model does not have."""
        overrides = overrides.get("inputs", overrides) if isinstance(overrides, Mapping) else overrides
        if not isinstance(overrides, Mapping):
            raise ValueError("A mapping must be a JSON object {\"inputs\": {input: {column, unit, levels}}}")
        known = {v.name for v in variables}
        items = {i.input: i for i in self.inputs}
        for name, change in overrides.items():
            if name not in items:
                raise ValueError(f"Mapping: the model has no clinical input {name!r}; its inputs: {list(items)}")
            if not isinstance(change, Mapping) or set(change) - {"column", "unit", "levels"}:
                raise ValueError(f"Mapping of {name!r} must be an object with column, unit and levels")
            item = items[name]
            column = change.get("column", item.column) or None
            if column is not None and column not in known:
                raise ValueError(f"Mapping of {name!r}: the cohort has no variable {column!r}; its variables: "
                                 f"{sorted(known)}")
            unit = change.get("unit", item.cohort_unit if column == item.column else _unit_of(column, variables))
            unit = check_display_text(unit or "", MAX_UNIT, f"Mapping of {name!r}: unit")
            levels = change.get("levels", item.levels if column == item.column else {})
            if not isinstance(levels, Mapping):
                raise ValueError(f"Mapping of {name!r}: levels must map cohort levels to model levels")
            items[name] = replace(item, column=column, cohort_unit=unit,
                                  levels={str(k): str(v) for k, v in levels.items()})
        return InputMapping(tuple(items[i.input] for i in self.inputs))

    def with_table(self, table: pd.DataFrame, variables: Sequence[VariableSpec]) -> "InputMapping":
        """This mapping with the column, cohort unit and levels of an edited :meth:`table`."""
        overrides = {}
        for row in table.itertuples(index=False):
            levels = {}
            for pair in str(row.levels or "").split(LEVEL_SEPARATOR.strip()):
                if pair.strip():
                    if "=" not in pair:
                        raise ValueError(f"Mapping of {row.input!r}: levels must read cohort=model, got {pair.strip()!r}")
                    cohort_level, model_level = pair.split("=", 1)
                    levels[cohort_level.strip()] = model_level.strip()
            overrides[row.input] = {"column": _text(row.column) or None, "unit": _text(row.cohort_unit),
                                    "levels": levels}
        return self.with_overrides(overrides, variables)


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", str(name).lower())


def _unit_of(column: str | None, variables: Sequence[VariableSpec]) -> str:
    return next((v.unit for v in variables if v.name == column), "")


def _match(predictor: dict[str, Any], variables: Sequence[VariableSpec]) -> VariableSpec | None:
    by_name = {v.name: v for v in variables}
    if predictor["name"] in by_name:
        return by_name[predictor["name"]]
    wanted = {_key(predictor["name"]), _key(predictor["label"])}
    for v in variables:
        if _key(v.name) in wanted:
            return v
    for v in variables:
        if v.label and _key(v.label) in wanted:
            return v
    return None


def _level_map(variable: VariableSpec | None, model_levels: Sequence[str]) -> dict[str, str]:
    """Cohort levels the model lacks but knows ignoring case (``male`` -> ``M`` is left to the user)."""
    if variable is None:
        return {}
    lower = {level.lower(): level for level in model_levels}
    return {level: lower[level.lower()] for level in variable.levels
            if level not in model_levels and level.lower() in lower}


def propose_mapping(model: JsonModel, variables: Sequence[VariableSpec]) -> InputMapping:
    """A first mapping of the model's clinical inputs onto the cohort's ``variables`` (module docstring)."""
    items = []
    for p in model.spec["predictors"]:
        if p["kind"] == "rad_score":
            continue
        variable = _match(p, variables)
        items.append(InputMap(
            input=p["name"], kind=p["kind"], label=p["label"], model_unit=p["unit"],
            column=None if variable is None else variable.name,
            cohort_unit="" if variable is None else variable.unit,
            levels=_level_map(variable, p["levels"]) if p["kind"] == "categorical" else {},
        ))
    return InputMapping(tuple(items))


def read_mapping(text: str | bytes, name: str = "mapping file") -> dict[str, Any]:
    """The JSON form of a mapping (module docstring) from a file's text; ValueError naming the file."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{name} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{name} must hold a JSON object {{\"inputs\": ...}}")
    return data


def check_mapping(mapping: InputMapping, model: JsonModel, cohort: str) -> None:
    """ValueError naming every input without a cohort variable and every unit that does not convert."""
    problems = []
    for item in mapping.inputs:
        if item.column is None:
            problems.append(f"the cohort has no variable for the model input {with_unit(item.input, item.model_unit)}")
        elif item.kind != "categorical":
            try:
                item.factor()
            except ValueError as exc:
                problems.append(str(exc))
    if problems:
        raise ValueError(f"Cohort {cohort!r} cannot feed model {model.name}: " + "; ".join(problems) +
                         ". Map the inputs (the page's mapping table, or validate --mapping FILE.json)")


def map_values(mapping: InputMapping, model: JsonModel, values: pd.DataFrame) -> pd.DataFrame:
    """The model's clinical inputs from the cohort's ``values`` (patients x variables): numbers
    multiplied by the unit factor, levels renamed by the level map. Levels the model never saw
    raise ValueError naming the input, the level and its patients; missing values stay missing
    (the patient is left out later, see :mod:`hccdash.validation.inputs`). Call
    :func:`check_mapping` first."""
    out = pd.DataFrame(index=values.index)
    unseen = []
    for item in mapping.inputs:
        column = values[item.column]
        if item.kind == "categorical":
            p = model.predictors.loc[item.input]
            text = column.astype(object).map(canonical).map(lambda v: item.levels.get(v, v) if v is not None else None)
            strange = text[text.notna() & ~text.isin(p["levels"])]
            for level, rows in strange.groupby(strange).groups.items():
                shown = ", ".join(map(str, list(rows)[:5])) + (f" and {len(rows) - 5} more" if len(rows) > 5 else "")
                unseen.append(f"{item.input}: level {level!r} (patient(s) {shown}) was never seen by the model "
                              f"(its levels: {', '.join(p['levels'])})")
            out[item.input] = text
        else:
            numbers = pd.to_numeric(column.astype(object), errors="coerce")
            bad = numbers.isna() & column.notna()
            if bad.any():
                row = bad.index[bad][0]
                unseen.append(f"{item.input}: cohort variable {item.column!r} is not a number for patient {row} "
                              f"({column[row]!r})")
            out[item.input] = numbers.astype(float) * item.factor()
    if unseen:
        raise ValueError("; ".join(unseen) + ". Map these levels to the model's (the mapping's levels) or leave the "
                                             "input to another variable")
    return out
