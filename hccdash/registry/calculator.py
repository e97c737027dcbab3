"""One patient's (or a table of patients') prediction from a registered model.

The same code serves the calculator page and ``python -m hccdash predict``:

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
- :func:`check_columns`: a table lacking an input column is refused as a whole;
- :func:`predict_patient`: lp, risk group and cut-off, S(t) at 1/2/3 years with the
  95% CI of ``survfit(coxph, newdata)`` (or the ER probability), each term's contribution
  b (x - training mean), nomogram points, the survival curve;
- :func:`what_if`: the same patient with one input changed, new beside old;
- :func:`rad_score_from_images`: the rad-score from image + mask per phase, extracted
  with the model's own settings.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from hccdash import stats
from hccdash.registry.json_model import JsonModel, horizon_column
from hccdash.settings import CalculatorSettings
from hccdash.stats.nomogram import MAX_POINTS, NINT, Nomogram, nomogram_axes, probability_axis, survival_axis
from hccdash.stats.pretty import pretty

_SETTINGS = CalculatorSettings()


@dataclass(frozen=True)
class Field:
    """One input of the form: how to ask for it and what is allowed."""

    name: str
    label: str
    kind: str  # continuous | categorical | rad_score
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


def with_unit(label: str, unit: str) -> str:
    """``"AFP (ng/mL)"`` from ``"AFP"`` and ``"ng/mL"``; the label alone without a unit."""
    return f"{label} ({unit})" if unit else label


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
    return sorted(fields, key=lambda f: f.kind == "rad_score")


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
    """Every column ``model`` reads: its predictors, the rad-score and the rad-score's features."""
    return list(dict.fromkeys([*(p["name"] for p in model.spec["predictors"]), *model.features.index]))


def check_columns(model: JsonModel, columns: Sequence[str]) -> list[str]:
    """The columns of a table of patients that ``model`` does not use (to report as ignored);
    ``ValueError`` naming every input the table lacks (a predictor column, or both the
    rad-score and some of its features), with a same-name-but-case hint."""
    present = [str(c) for c in columns]
    by_lower = {c.lower(): c for c in present}
    missing = [p["name"] for p in model.spec["predictors"] if p["kind"] != "rad_score" and p["name"] not in present]
    name = model.rad_score_name
    if name is not None and name not in present:
        absent = [f for f in model.features.index if f not in present]
        if absent:
            missing.append(f"{name} (or all {len(model.features)} of its features; missing: {', '.join(absent)})")
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
        if p["kind"] == "rad_score":
            continue
        if p["name"] not in frame.columns:
            errors += [_problem(r, p["name"], None, "missing column") for r in frame.index]
            continue
        if p["kind"] == "categorical":
            clean[p["name"]] = _check_categorical(frame[p["name"]], p, errors)
        else:
            clean[p["name"]] = _check_number(frame[p["name"]], p, errors, warnings)
    distance = pd.Series(np.nan, index=frame.index, name="mahalanobis")
    name = model.rad_score_name
    if name is not None:
        clean[name], distance = _check_rad_score(model, frame, errors, warnings)
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


def _check_number(values: pd.Series, p: dict[str, Any], errors: list, warnings: list) -> pd.Series:
    out = pd.Series(np.nan, index=values.index, dtype=float)
    for row, value in values.items():
        number = _to_number(value)
        if number is None:
            errors.append(_problem(row, p["name"], value, _not_number(value)))
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


@dataclass(frozen=True)
class PatientResult:
    """Everything the calculator shows for one patient."""

    inputs: pd.Series  # the clean inputs, rad-score included
    lp: float
    risk_group: str
    cutoffs: list[float]
    cutoff_method: str
    group_labels: list[str]
    estimates: pd.DataFrame  # Cox: horizon, surv, lower, upper; logistic: horizon, prob, lower, upper
    contributions: pd.DataFrame  # term, value, mean, coef, contribution
    points: pd.DataFrame  # term, points (and the total row)
    curve: pd.DataFrame | None  # time, surv, lower, upper (Cox)
    warnings: pd.DataFrame  # row, column, value, problem
    mahalanobis: float | None


def predict_patient(model: JsonModel, values: Mapping[str, Any], level: float = _SETTINGS.ci_level) -> PatientResult:
    """The calculator's output for one patient (``InputError`` when an input is impossible)."""
    checked = check_inputs(model, values)
    if not checked.ok:
        raise InputError(checked.errors)
    row = checked.clean
    lp = float(model.linear_predictor(row)[0])
    if model.family == "cox":
        surv, lower, upper = model.predict_survival(row, model.horizons, level=level)
        estimates = pd.DataFrame({"horizon": model.horizons, "surv": surv[0], "lower": lower[0], "upper": upper[0]})
        curve = model.survival_curve(row, level=level).drop(columns="row")
    else:
        prob, lower, upper = model.predict_proba(row, level=level)
        estimates = pd.DataFrame({"horizon": [model.spec["endpoint"]["er_horizon"]], "prob": prob,
                                  "lower": lower, "upper": upper})
        curve = None
    distance = checked.mahalanobis.iloc[0]
    return PatientResult(
        inputs=row.iloc[0],
        lp=lp,
        risk_group=str(model.group_of(np.array([lp]))[0]),
        cutoffs=list(model.spec["risk_groups"]["cutoffs"]),
        cutoff_method=model.spec["risk_groups"]["method"],
        group_labels=list(model.spec["risk_groups"]["labels"]),
        estimates=estimates,
        contributions=contributions(model, row),
        points=nomogram_points(model, row),
        curve=curve,
        warnings=checked.warnings,
        mahalanobis=None if pd.isna(distance) else float(distance),
    )


def contributions(model: JsonModel, row: pd.DataFrame) -> pd.DataFrame:
    """Per term: the patient's design value, the training mean, b and b (x - mean)."""
    x = model.design(row)[0]
    terms = model.terms
    return pd.DataFrame({
        "term": terms.index,
        "value": x,
        "mean": terms["mean"].to_numpy(float),
        "coef": terms["coef"].to_numpy(float),
        "contribution": (x - terms["mean"].to_numpy(float)) * terms["coef"].to_numpy(float),
    })


def nomogram_data(model: JsonModel) -> pd.DataFrame:
    """A frame of each term's axis support (the values that set its nomogram axis as rms does)."""
    axes = {t["name"]: t["axis"] for t in model.spec["model"]["terms"]}
    length = max(len(a) for a in axes.values())
    return pd.DataFrame({name: list(a) + [a[-1]] * (length - len(a)) for name, a in axes.items()})


def nomogram_points(model: JsonModel, row: pd.DataFrame) -> pd.DataFrame:
    """Points per term and the total, as rms::nomogram (see ``hccdash.stats.nomogram_points``)."""
    x = model.design(row)[0]
    patient = dict(zip(model.terms.index, x))
    points = stats.nomogram_points(model.coef.to_dict(), nomogram_data(model), patient)
    return pd.DataFrame({"term": list(points), "points": [float(v) for v in points.values()]})


SURVIVAL_TICKS = (0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05)
PROBABILITY_TICKS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def nomogram(model: JsonModel) -> Nomogram:
    """The model's nomogram axes as the evaluation page draws them (rms::nomogram; a Cox
    model's linear predictor centred at the training mean, as cph), with the lp and
    total-points axes set by the training linear predictor's range, widened to cover every
    combination of the predictor axes (``hccdash.evaluation.nomogram.covering_axes``)."""
    shift = _lp_centre(model)
    intercept = -shift if model.family == "cox" else model.spec["model"]["intercept"]
    axes = nomogram_axes(model.coef.to_dict(), nomogram_data(model), intercept=intercept)
    lp_ticks = pretty(np.asarray(model.spec["model"]["lp_range"]) - shift, NINT)
    from hccdash.evaluation.nomogram import covering_axes  # the evaluation page's total-points range

    total_max = MAX_POINTS if len(model.terms) == 1 else max(MAX_POINTS, axes.scale * (lp_ticks.max() - axes.lp_at_zero))
    return covering_axes(replace(axes, lp_ticks=lp_ticks, total_points=pretty([0.0, total_max], NINT)))


def _lp_centre(model: JsonModel) -> float:
    """Mean training linear predictor b'mean of a Cox model (0 for logistic)."""
    return float(model.terms["mean"].to_numpy(float) @ model.coef.to_numpy()) if model.family == "cox" else 0.0


def nomogram_figure(model: JsonModel, result: PatientResult | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long frames for the nomogram chart: ticks (axis, order, label, x) and the patient's
    marks (axis, x, label), x on the 0-100 points scale (total-points based axes rescaled)."""
    nom = nomogram(model)
    total_max = float(nom.total_points.max())
    rows: list[dict[str, Any]] = []
    order = 0

    def add(axis: str, labels, xs) -> None:
        nonlocal order
        shown = _spaced(np.asarray(xs, dtype=float))
        rows.extend({"axis": axis, "order": order, "label": lab if keep else "", "x": float(x)}
                    for lab, x, keep in zip(labels, xs, shown))
        order += 1

    add("Points", [f"{v:g}" for v in pretty([0, MAX_POINTS], NINT)], pretty([0, MAX_POINTS], NINT))
    for name, axis in nom.axes.items():
        add(name, [f"{v:.4g}" for v in axis.values], axis.points)
    add("Total points", [f"{v:g}" for v in nom.total_points], nom.total_points * MAX_POINTS / total_max)
    for fa in _outcome_axes(model, nom):
        add(fa.label, [f"{v:g}" for v in fa.values], fa.points * MAX_POINTS / total_max)
    ticks = pd.DataFrame(rows, columns=["axis", "order", "label", "x"])
    marks = pd.DataFrame(columns=["axis", "x", "label"])
    if result is not None:
        per_term = result.points.set_index("term")["points"]
        marks = pd.DataFrame(
            [{"axis": name, "x": per_term[name], "label": f"{per_term[name]:.1f} pts"} for name in nom.axes]
            + [{"axis": "Total points", "x": per_term["total"] * MAX_POINTS / total_max, "label": f"{per_term['total']:.1f} pts"}]
        )
    return ticks, marks


def _spaced(xs: np.ndarray, gap: float = 4.5) -> list[bool]:
    """Which ticks get a label so that labels stay ``gap`` points apart (the others stay ticks)."""
    keep, last = [], -np.inf
    for x in xs:
        keep.append(bool(abs(x - last) >= gap))
        if keep[-1]:
            last = x
    return keep


def _outcome_axes(model: JsonModel, nom: Nomogram) -> list:
    if model.family == "logistic":
        horizon = model.spec["endpoint"]["er_horizon"]
        return [probability_axis(nom, PROBABILITY_TICKS, f"ER within {horizon:g} months")]
    axes = []
    for h in model.horizons:
        s0 = baseline_at_zero(model, h)
        if np.isfinite(s0):
            axes.append(survival_axis(nom, s0, SURVIVAL_TICKS, f"RFS at {h:g} months"))
    return axes


def baseline_at_zero(model: JsonModel, horizon: float) -> float:
    """S(horizon) at the centred linear predictor 0 (covariates at their training means)."""
    base = model.spec["baseline"]
    if horizon > base["max_time"]:
        return float("nan")
    index = np.searchsorted(base["time"], horizon, side="right") - 1
    return float(np.exp(-(0.0 if index < 0 else base["cumhaz"][index])))


def what_if(
    model: JsonModel, values: Mapping[str, Any], changes: Mapping[str, Any], level: float = _SETTINGS.ci_level
) -> pd.DataFrame:
    """Old and new predictions side by side after changing some inputs (e.g. AFP)."""
    old = predict_patient(model, values, level)
    new = predict_patient(model, {**values, **changes}, level)
    rows = [("linear predictor", old.lp, new.lp), ("risk group", old.risk_group, new.risk_group)]
    value = "surv" if model.family == "cox" else "prob"
    for (_, a), (_, b) in zip(old.estimates.iterrows(), new.estimates.iterrows()):
        label = f"RFS at {a['horizon']:g} months" if value == "surv" else f"ER within {a['horizon']:g} months"
        rows.append((label, a[value], b[value]))
    rows.append(("total points", _total(old.points), _total(new.points)))
    table = pd.DataFrame(rows, columns=["quantity", "before", "after"])
    table["change"] = [
        b - a if isinstance(a, (int, float)) and isinstance(b, (int, float)) else ("" if a == b else "changed")
        for a, b in zip(table["before"], table["after"])
    ]
    return table


def _total(points: pd.DataFrame) -> float:
    return float(points.loc[points["term"] == "total", "points"].iloc[0])


def predict_table(model: JsonModel, data: pd.DataFrame, level: float = _SETTINGS.ci_level,
                  ids: pd.Series | None = None) -> tuple[pd.DataFrame, CheckedInputs]:
    """Predictions for every valid row (``JsonModel.predict_table``) and the check of all rows
    (``ids``: see :func:`check_inputs`)."""
    checked = check_inputs(model, data, ids)
    out = model.predict_table(checked.clean, level=level) if len(checked.clean) else pd.DataFrame()
    return out, checked


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
    """Imaging phases whose image and mask the rad-score needs."""
    return list(dict.fromkeys(f.split(".", 1)[0] for f in model.features.index))


def estimate_columns(model: JsonModel) -> list[str]:
    """Output columns of ``predict_table`` besides lp and risk group."""
    if model.family == "cox":
        return [c for h in model.horizons for c in (horizon_column(h), f"{horizon_column(h)}_lower", f"{horizon_column(h)}_upper")]
    return ["er_prob", "er_prob_lower", "er_prob_upper"]
