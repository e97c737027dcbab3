"""The calculator's inputs: the form a model asks for, and every row of inputs checked.

- :func:`form_fields`: the model's inputs with types, units (``Field.title``: "AFP (ng/mL)"),
  training ranges and limits;
- :func:`check_inputs`: every row checked, every problem named by row and column:
  impossible values (missing, not a number, not a level, beyond a physical limit such
  as a negative AFP or an age over 120) are *errors* and the row is refused;
  values outside the training range (relative tolerance ``RANGE_RTOL``), and a rad-score
  feature vector whose squared Mahalanobis distance from the training features lies beyond
  the ``CalculatorSettings.mahalanobis_quantile`` prediction region of a new patient (an F
  quantile, see :func:`mahalanobis_limit`), and a linear predictor outside its training
  range, are *warnings*; a patient id repeated with different
  inputs is an error, with the same inputs a warning;
- :func:`check_columns`: a table lacking an input column is refused as a whole.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from hccdash.registry.details import with_unit
from hccdash.registry.json_model import JsonModel
from hccdash.settings import CalculatorSettings

_SETTINGS = CalculatorSettings()
SCORE_KINDS = ("rad_score", "dl_score")  # inputs computed from image features (or typed)


@dataclass(frozen=True)
class Field:
    """One input of the form: how to ask for it and what is allowed."""

    name: str
    label: str
    kind: str  # continuous | categorical | rad_score | dl_score
    unit: str
    levels: tuple[str, ...]
    train_min: float | None
    train_max: float | None
    default: float | str | None
    hard_min: float | None
    hard_max: float | None
    format: str = "%.4f"  # printf format of the number input

    @property
    def title(self) -> str:
        """What the form shows: the label with its unit, e.g. "AFP (ng/mL)"."""
        return with_unit(self.label, self.unit)


def form_fields(model: JsonModel) -> list[Field]:
    """The inputs of ``model`` in the order of its terms (the rad-score last)."""
    fields = []
    for p in model.spec["predictors"]:
        fields.append(
            Field(
                name=p["name"],
                label=p["label"],
                kind=p["kind"],
                unit=p["unit"],
                levels=tuple(p["levels"]),
                train_min=p["min"],
                train_max=p["max"],
                default=p["levels"][0] if p["kind"] == "categorical" else _round(p["mean"]),
                hard_min=p["hard_min"],
                hard_max=p["hard_max"],
                format=_number_format(p),
            )
        )
    return sorted(fields, key=lambda f: f.kind in SCORE_KINDS)


def _number_format(predictor: dict[str, Any]) -> str:
    """Enough decimals for the training values' magnitude: 12.3 -> %.2f, 0.0123 -> %.4f."""
    if predictor["kind"] == "categorical":
        return "%s"
    size = max(abs(predictor["min"]), abs(predictor["max"]))
    return "%.1f" if size >= 100 else "%.2f" if size >= 1 else "%.4f"


def _round(value: float) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    digits = max(0, 3 - int(math.floor(math.log10(abs(value)))))
    return round(value, digits)


@dataclass(frozen=True)
class CheckedInputs:
    """Rows that passed (``clean``, typed, with the rad-score filled in), and every problem found."""

    clean: pd.DataFrame
    errors: pd.DataFrame  # row, column, value, problem: the row is refused
    warnings: pd.DataFrame  # row, column, value, problem: predicted, with a warning
    mahalanobis: pd.Series  # squared distance of the rad-score features (rows that had them)

    @property
    def ok(self) -> bool:
        return self.errors.empty


_PROBLEM_COLUMNS = ["row", "column", "value", "problem"]


def input_columns(model: JsonModel) -> list[str]:
    """Every column ``model`` reads: its predictors, the rad-score and its features, the DL score's deep features."""
    deep = [] if model.deep is None else list(model.deep.mean.index)
    return list(dict.fromkeys([*(p["name"] for p in model.spec["predictors"]), *model.features.index, *deep]))


def check_columns(model: JsonModel, columns: Sequence[str]) -> list[str]:
    """The columns of a table of patients that ``model`` does not use (to report as ignored);
    ``ValueError`` naming every input the table lacks (a predictor column, or both the
    rad-score and some of its features), with a same-name-but-case hint."""
    present = [str(c) for c in columns]
    by_lower = {c.lower(): c for c in present}
    missing = [p["name"] for p in model.spec["predictors"] if p["kind"] not in SCORE_KINDS and p["name"] not in present]
    name = model.rad_score_name
    if name is not None and name not in present:
        absent = [f for f in model.features.index if f not in present]
        if absent:
            missing.append(f"{name} (or all {len(model.features)} of its features; missing: {', '.join(absent)})")
    deep = model.dl_score_name
    if deep is not None and deep not in present:
        absent = [f for f in model.deep.mean.index if f not in present]
        if absent:
            missing.append(f"{deep} (or all {len(model.deep.mean)} of its deep features; missing: "
                           f"{', '.join(absent[:5])}{' ...' if len(absent) > 5 else ''})")
    if missing:
        hints = [f"{c!r} for {m!r}" for m in missing if (c := by_lower.get(m.split(" (")[0].lower())) is not None]
        hint = f"; column names are case-sensitive: found {', '.join(hints)}" if hints else ""
        shown = present if len(present) <= 20 else [*present[:20], f"... ({len(present)} in all)"]
        raise ValueError(f"the model needs the column(s) {', '.join(missing)}{hint}. Columns found: {shown}")
    used = set(input_columns(model))
    return [c for c in present if c not in used]


def check_inputs(model: JsonModel, data: pd.DataFrame | Mapping[str, Any],
                 ids: pd.Series | None = None) -> CheckedInputs:
    """Check rows of inputs (a DataFrame, or one patient as a mapping) against ``model``.

    ``ids`` (a patient id per row of ``data``): an id repeated with different inputs refuses
    those rows (which one is right?), repeated with the same inputs or blank it warns. A
    valid row whose linear predictor lies outside the training range warns; one whose
    linear predictor is not finite (absurdly large inputs) is refused.
    """
    frame = pd.DataFrame([dict(data)]) if isinstance(data, Mapping) else data
    errors: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    clean = pd.DataFrame(index=frame.index)
    for p in model.spec["predictors"]:
        if p["kind"] in SCORE_KINDS:
            continue
        if p["name"] not in frame.columns:
            errors += [_problem(r, p["name"], None, "missing column") for r in frame.index]
            continue
        if p["kind"] == "categorical":
            clean[p["name"]] = _check_categorical(frame[p["name"]], p, errors)
        else:
            logged = any(t["predictor"] == p["name"] and t.get("log") for t in model.spec["model"]["terms"])
            clean[p["name"]] = _check_number(frame[p["name"]], p, errors, warnings, logged)
    distance = pd.Series(np.nan, index=frame.index, name="mahalanobis")
    name = model.rad_score_name
    if name is not None:
        clean[name], distance = _check_rad_score(model, frame, errors, warnings)
    deep = model.dl_score_name
    if deep is not None:
        clean[deep] = _check_dl_score(model, frame, errors, warnings)
    if ids is not None:
        _check_ids(ids, frame[[c for c in input_columns(model) if c in frame.columns]], errors, warnings)
    refused = {e["row"] for e in errors}
    _check_linear_predictor(model, clean.loc[[r for r in frame.index if r not in refused]], errors, warnings)
    refused = {e["row"] for e in errors}
    return CheckedInputs(
        clean=clean.loc[[r for r in frame.index if r not in refused]],
        errors=pd.DataFrame(errors, columns=_PROBLEM_COLUMNS),
        warnings=pd.DataFrame(warnings, columns=_PROBLEM_COLUMNS),
        mahalanobis=distance,
    )


def _check_ids(ids: pd.Series, inputs: pd.DataFrame, errors: list, warnings: list) -> None:
    """Blank ids warn; a repeated id refuses its rows when their inputs differ, else warns."""
    column = str(ids.name or "id")
    text = ids.map(lambda v: "" if _blank(v) else _level_text(v))
    for row in text.index[text == ""]:
        warnings.append(_problem(row, column, ids[row], "blank patient id"))
    for value, rows in text[text != ""].groupby(text[text != ""]).groups.items():
        if len(rows) < 2:
            continue
        same = len(inputs.loc[rows].astype(str).drop_duplicates()) == 1
        where = f"rows {', '.join(map(str, rows))}"
        for row in rows:
            if same:
                warnings.append(_problem(row, column, value, f"repeated patient id ({where}, same inputs)"))
            else:
                errors.append(_problem(row, column, value, f"repeated patient id with different inputs ({where}): "
                                                           "which row is right? Fix the file"))


def _check_linear_predictor(model: JsonModel, clean: pd.DataFrame, errors: list, warnings: list) -> None:
    """Refuse rows with a non-finite linear predictor; warn outside the training range."""
    if clean.empty:
        return
    with np.errstate(over="ignore", invalid="ignore"):
        lp = pd.Series(model.linear_predictor(clean), index=clean.index)
    low, high = model.spec["model"]["lp_range"]
    for row, value in lp.items():
        if not np.isfinite(value):
            errors.append(_problem(row, "linear predictor", value, "not finite: an input is absurdly large"))
        elif outside(value, low, high):
            warnings.append(_problem(row, "linear predictor", round(float(value), 4),
                                     f"outside the training range [{low:.4g}, {high:.4g}]"))


def _problem(row: Any, column: str, value: Any, problem: str) -> dict[str, Any]:
    return {"row": row, "column": column, "value": value, "problem": problem}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (isinstance(value, str) and not value.strip())


def _check_categorical(values: pd.Series, p: dict[str, Any], errors: list) -> pd.Series:
    out = pd.Series(None, index=values.index, dtype=object)
    for row, value in values.items():
        if _blank(value):
            errors.append(_problem(row, p["name"], value, "missing value"))
            continue
        text = _level_text(value)
        if text not in p["levels"]:
            like = [level for level in p["levels"] if level.lower() == text.lower()]
            hint = f" (levels are case-sensitive: {like[0]!r}?)" if like else " (a level never seen in training)"
            errors.append(_problem(row, p["name"], value, f"not one of the levels {p['levels']}{hint}"))
            continue
        out[row] = text
    return out


def _level_text(value: Any) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def _to_number(value: Any) -> float | None:
    if isinstance(value, bool) or _blank(value):
        return None
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _not_number(value: Any) -> str:
    """Why ``value`` is not a usable number."""
    if _blank(value):
        return "missing value"
    if isinstance(value, str) and "," in value and _to_number(value.replace(",", ".")) is not None:
        return "not a number: use a dot as the decimal separator and no thousands separator"
    return "not a finite number"


def _check_number(values: pd.Series, p: dict[str, Any], errors: list, warnings: list,
                  logged: bool = False) -> pd.Series:
    """The numbers of one predictor (``logged``: the model takes its log, so it must be > 0)."""
    out = pd.Series(np.nan, index=values.index, dtype=float)
    for row, value in values.items():
        number = _to_number(value)
        if number is None:
            errors.append(_problem(row, p["name"], value, _not_number(value)))
            continue
        if logged and number <= 0:
            errors.append(_problem(row, p["name"], value, f"must be > 0: the model uses log({p['name']})"))
            continue
        if p["hard_min"] is not None and number < p["hard_min"]:
            errors.append(_problem(row, p["name"], value, f"impossible: must be >= {p['hard_min']:g}"))
            continue
        if p["hard_max"] is not None and number > p["hard_max"]:
            errors.append(_problem(row, p["name"], value, f"impossible: must be <= {p['hard_max']:g}"))
            continue
        if outside(number, p["min"], p["max"]):
            warnings.append(_problem(row, p["name"], value, f"outside the training range [{p['min']:.4g}, {p['max']:.4g}]"))
        out[row] = number
    return out


def _check_dl_score(model: JsonModel, frame: pd.DataFrame, errors: list, warnings: list) -> pd.Series:
    """The DL score of each row: typed in its column, else computed from the deep features (the
    model's network files must have been checked: :meth:`JsonModel.check_networks` refuses otherwise)."""
    model.check_networks()
    name = model.dl_score_name
    predictor = next(p for p in model.spec["predictors"] if p["name"] == name)
    if name in frame.columns:
        return _check_number(frame[name], predictor, errors, warnings)
    names = list(model.deep.mean.index)
    scores = pd.Series(np.nan, index=frame.index, dtype=float)
    for row in frame.index:
        values = pd.to_numeric(frame.loc[row, [n for n in names if n in frame.columns]], errors="coerce")
        if len(values) < len(names) or not np.isfinite(values.to_numpy(float)).all():
            errors.append(_problem(row, name, None, f"the DL score needs all {len(names)} deep features, each a number"))
            continue
        scores[row] = float(model.dl_score(frame.loc[[row], names]).iloc[0])
    return _check_number(scores.where(scores.notna()), predictor, [], warnings)


def _check_rad_score(model: JsonModel, frame: pd.DataFrame, errors: list, warnings: list) -> tuple[pd.Series, pd.Series]:
    """The rad-score typed in, or computed from the features (with range and Mahalanobis checks)."""
    name = model.rad_score_name
    p = model.predictors.loc[name]
    scores = pd.Series(np.nan, index=frame.index, dtype=float)
    distance = pd.Series(np.nan, index=frame.index, name="mahalanobis")
    features = model.features
    threshold = mahalanobis_threshold(model)
    n_train = model.spec["training"]["n"]
    for row in frame.index:
        typed = frame.at[row, name] if name in frame.columns else None
        if not _blank(typed):
            number = _to_number(typed)
            if number is None:
                errors.append(_problem(row, name, typed, _not_number(typed)))
                continue
            scores[row] = number
            _compare_typed_score(model, frame, row, number, warnings)
        else:
            missing = [f for f in features.index if f not in frame.columns or _blank(frame.at[row, f])]
            if missing:
                errors.append(_problem(row, name, None, f"missing: give the rad-score or its features ({', '.join(missing)})"))
                continue
            values = {f: _to_number(frame.at[row, f]) for f in features.index}
            bad = [f for f, v in values.items() if v is None]
            if bad:
                errors += [_problem(row, f, frame.at[row, f], _not_number(frame.at[row, f])) for f in bad]
                continue
            for f, v in values.items():
                lo, hi = features.at[f, "min"], features.at[f, "max"]
                if outside(v, lo, hi):
                    warnings.append(_problem(row, f, v, f"outside the training range [{lo:.4g}, {hi:.4g}]"))
            one = pd.DataFrame([values], index=[row])
            with np.errstate(over="ignore", invalid="ignore"):  # absurd values: refused just below
                distance[row] = float(model.mahalanobis(one)[0])
                scores[row] = float(model.rad_score(one).iloc[0])
            if not np.isfinite(scores[row]) or not np.isfinite(distance[row]):
                errors.append(_problem(row, name, scores[row], "not finite: a radiomic feature value is absurdly large"))
                continue
            if distance[row] > threshold:
                warnings.append(_problem(
                    row, "radiomic features", round(float(distance[row]), 2),
                    f"far from the training data: squared Mahalanobis distance {distance[row]:.1f} > "
                    f"{threshold:.1f} (the {_SETTINGS.mahalanobis_quantile} prediction region of a new patient, "
                    f"F({len(values)}, {n_train - len(values)}) on {n_train} training patients)",
                ))
        if outside(scores[row], p["min"], p["max"]):
            warnings.append(_problem(row, name, round(float(scores[row]), 4), f"outside the training range [{p['min']:.4g}, {p['max']:.4g}]"))
    return scores, distance


def _compare_typed_score(model: JsonModel, frame: pd.DataFrame, row: Any, typed: float, warnings: list) -> None:
    """Warn when a typed rad-score disagrees with the one its features (all given) yield."""
    values = {f: _to_number(frame.at[row, f]) if f in frame.columns else None for f in model.features.index}
    if any(v is None for v in values.values()):
        return
    with np.errstate(over="ignore", invalid="ignore"):
        computed = float(model.rad_score(pd.DataFrame([values], index=[row])).iloc[0])
    if not np.isclose(typed, computed, rtol=1e-6, atol=1e-6):
        warnings.append(_problem(row, model.rad_score_name, typed, "differs from the rad-score of the radiomic "
                                 f"features in the same row ({computed:.4g}); the typed value is used"))


def mahalanobis_threshold(model: JsonModel) -> float:
    """Squared Mahalanobis distance beyond which a patient's rad-score features are warned
    (:func:`mahalanobis_limit` with the model's features and training patients)."""
    return mahalanobis_limit(max(1, len(model.features)), model.spec["training"]["n"], _SETTINGS.mahalanobis_quantile)


def mahalanobis_limit(p: int, n: int, quantile: float) -> float:
    """The ``quantile`` prediction region of a NEW patient's squared Mahalanobis distance D^2 from
    the mean and covariance (divisor n - 1) of ``n`` training patients, ``p`` features, under
    multivariate normality: ``D^2 n (n - p) / (p (n + 1) (n - 1)) ~ F(p, n - p)``, so the limit is
    ``F_quantile(p, n - p) p (n + 1) (n - 1) / (n (n - p))`` (infinite when n <= p: no warning).

    Not chi-square(p): that ignores the estimation of mean and covariance and, with n = 105 and
    p = 13, flags several percent of the training patients themselves at a nominal 0.1%. A
    training patient's own distance is smaller in distribution than a new one's
    (``n D^2 / (n - 1)^2 ~ Beta(p / 2, (n - p - 1) / 2)``), so at most a fraction ``1 - quantile``
    of them is flagged."""
    if n <= p:
        return math.inf
    return float(sps.f.ppf(quantile, p, n - p) * p * (n + 1) * (n - 1) / (n * (n - p)))


RANGE_RTOL = 1e-9  # relative tolerance of the training-range checks (rounding of the stored bounds)


def outside(value: float, low: float, high: float) -> bool:
    """``value`` outside ``[low, high]`` by more than ``RANGE_RTOL`` of the bounds' magnitude (a
    training patient whose value is recomputed in another order of operations is inside)."""
    tolerance = RANGE_RTOL * max(abs(low), abs(high), high - low)
    return not low - tolerance <= value <= high + tolerance


class InputError(ValueError):
    """Inputs that cannot be used; ``problems`` lists them (row, column, value, problem)."""

    def __init__(self, problems: pd.DataFrame):
        self.problems = problems
        text = "; ".join(f"{r.column}: {r.problem} (got {r.value!r})" for r in problems.itertuples())
        super().__init__(f"Invalid input: {text}")


