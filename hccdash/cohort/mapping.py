"""Column mapping of a clinical table: id, time, unit, event coding, centre, variables.

:func:`guess_mapping` proposes a mapping from column names and values; the page shows it
in editable widgets, the CLI overrides it with its options. Every column that is not
id / time / event / centre becomes a *variable* (stored with the cohort); the ones
flagged ``predictor`` are offered to modelling, each with its kind:

- ``continuous``: a number (stored as read, typed as float);
- ``categorical``: unordered levels;
- ``ordinal``: ordered levels (stage, grade, Child-Pugh class, small counts).

A variable may carry a unit (``ng/mL``) and a display label; both are kept in the stored
mapping and reach the model files saved from the cohort (the calculator shows
"AFP (ng/mL)"). They are limited as the model file limits them (``hccdash.text_limits``).

(About 410 lines, one module: the guesses, the explicit roles of the CLI options and the
page's editable variables table all read and write the same kinds and level orders.)
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import pandas as pd

from hccdash.cohort.events import EventCoding, guess_event_coding, normalise_code
from hccdash.settings import TIME_UNITS_IN_MONTHS, CohortSettings
from hccdash.text_limits import MAX_LABEL, MAX_UNIT, check_display_text

KINDS = ("continuous", "categorical", "ordinal")
LEVEL_SEPARATOR = " | "

_ID_NAMES = ("patient_id", "patientid", "tcia_id", "case_id", "subject_id", "study_id", "record_id",
             "id", "mrn", "patient", "case", "subject")
_TIME_KEYS = {"rfs": 4, "ttr": 4, "dfs": 4, "ttp": 4, "pfs": 4, "recurrence_time": 4,
              "time": 2, "follow": 2, "fu": 1, "duration": 1, "os": 1, "survival": 1,
              "months": 1, "days": 1, "weeks": 1}
_EVENT_KEYS = {"recurrence": 4, "recur": 4, "relapse": 4, "progress": 4, "event": 3, "status": 3,
               "censor": 3, "death": 1, "dead": 1, "died": 1, "vital": 1, "alive": 1}
_OUTCOME_TIME_KEYS = {k: 1 for k in ("rfs", "ttr", "dfs", "ttp", "pfs", "os", "survival", "recurrence_time")}
_CENTRE_NAMES = ("centre", "center", "site", "hospital", "institution", "centre_id", "center_id",
                 "cohort", "source")
_ORDINAL_NAME_HINTS = ("stage", "grade", "bclc", "child", "cps", "tnm", "okuda", "clip", "ecog",
                       "score", "class", "number", "count")
_ORDINAL_VALUE = re.compile(
    r"^(stage|grade|class|g|t|n|m)?[\s_-]*([0-4]|[ivx]+[a-c]?|[a-d]\d?)([\s_-].*)?$", re.IGNORECASE
)
_AFTER_TOKENS = {"fu", "followup", "after", "post", "postop", "postoperative", "posttreatment", "posttace", "response",
                 "resp", "recist", "mrecist", "easl", "choi"}
_BASELINE_TOKENS = {"bl", "baseline", "pre", "before"}
MAX_ORDINAL_INTEGERS = 5  # integers with at most this many distinct values are ordinal
MAX_LEVELS = 20  # text columns with more distinct values are not offered as predictors
MAX_EVENT_SPELLINGS = 100  # an event column has a few codes, however spelled (1, 1.0, Yes, yes, ...)


@dataclass(frozen=True)
class VariableSpec:
    """One clinical column kept with the cohort; empty ``levels`` = the observed values, sorted."""

    name: str
    kind: str
    predictor: bool = True
    levels: tuple[str, ...] = ()
    unit: str = ""  # "ng/mL"; empty: none (shown as "AFP (ng/mL)" on the calculator)
    label: str = ""  # display label; empty: the column name

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Variable '{self.name}': kind must be one of {KINDS}, got {self.kind!r}")
        if self.kind == "continuous" and self.levels:
            object.__setattr__(self, "levels", ())
        object.__setattr__(self, "unit", check_display_text(self.unit, MAX_UNIT, f"Unit of variable '{self.name}'"))
        object.__setattr__(self, "label", check_display_text(self.label, MAX_LABEL, f"Label of variable '{self.name}'"))

    def to_dict(self) -> dict:
        """The stored form; unit and label only when set (older cohorts keep their fingerprint)."""
        extra = {k: getattr(self, k) for k in ("unit", "label") if getattr(self, k)}
        return {"name": self.name, "kind": self.kind, "predictor": self.predictor, "levels": list(self.levels), **extra}


@dataclass(frozen=True)
class ColumnMapping:
    """Which column is what, and how the time and event are coded."""

    id_col: str
    time_col: str
    time_unit: str
    event_col: str
    event_coding: EventCoding | None
    centre_col: str | None = None
    variables: tuple[VariableSpec, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.time_unit not in TIME_UNITS_IN_MONTHS:
            raise ValueError(f"time unit must be one of {list(TIME_UNITS_IN_MONTHS)}, got {self.time_unit!r}")
        used = [c for c in (self.id_col, self.time_col, self.event_col, self.centre_col) if c]
        if len(set(used)) != len(used):
            raise ValueError(f"id, time, event and centre need different columns, got {used}")
        clash = sorted({v.name for v in self.variables} & set(used))
        if clash:
            raise ValueError(f"Column(s) {clash} are mapped as id / time / event / centre and cannot also be variables")

    @property
    def predictors(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables if v.predictor)

    @property
    def units(self) -> dict[str, str]:
        """Variable -> unit, for the variables that have one."""
        return {v.name: v.unit for v in self.variables if v.unit}

    @property
    def labels(self) -> dict[str, str]:
        """Variable -> display label, for the variables that have one."""
        return {v.name: v.label for v in self.variables if v.label}

    def with_units(self, units: Mapping[str, str], labels: Mapping[str, str] | None = None) -> "ColumnMapping":
        """The same mapping with the given variables' units (and display labels) set; the others
        keep theirs. Unknown variable names and text a model file would refuse raise ValueError
        naming them."""
        labels = labels or {}
        known = {v.name for v in self.variables}
        unknown = [n for n in [*units, *labels] if n not in known]
        if unknown:
            raise ValueError(f"Unit / label given for unknown variable(s) {unknown}; variables: {sorted(known)}")
        return replace(self, variables=tuple(
            replace(v, unit=units.get(v.name, v.unit), label=labels.get(v.name, v.label)) for v in self.variables))

    def with_predictors(self, names: list[str] | tuple[str, ...]) -> "ColumnMapping":
        """The same mapping with exactly ``names`` flagged as predictors (unknown names raise)."""
        known = {v.name for v in self.variables}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ValueError(f"Predictor column(s) {unknown} are not variables of the table; variables: {sorted(known)}")
        return replace(self, variables=tuple(replace(v, predictor=v.name in names) for v in self.variables))

    def to_dict(self) -> dict:
        return {
            "id_col": self.id_col, "time_col": self.time_col, "time_unit": self.time_unit,
            "event_col": self.event_col,
            "event_coding": self.event_coding.to_dict() if self.event_coding else None,
            "centre_col": self.centre_col,
            "variables": [v.to_dict() for v in self.variables],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "ColumnMapping":
        coding = data.get("event_coding")
        return cls(
            id_col=data["id_col"], time_col=data["time_col"], time_unit=data["time_unit"],
            event_col=data["event_col"],
            event_coding=EventCoding.from_dict(coding) if coding else None,
            centre_col=data.get("centre_col"),
            variables=tuple(
                VariableSpec(v["name"], v["kind"], bool(v.get("predictor", True)), tuple(v.get("levels") or ()),
                             v.get("unit", ""), v.get("label", ""))
                for v in data.get("variables", [])
            ),
        )


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).lower()).strip("_")


def _numeric(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce")


def _numeric_share(series: pd.Series) -> float:
    present = series.dropna()
    return float(_numeric(present).notna().mean()) if len(present) else 0.0


def canonical(value: object) -> str | None:
    """A cell as stored: None when missing, numbers in one spelling (``197.0`` -> ``197``)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return f"{number:.15g}" if math.isfinite(number) else text


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def natural_key(text: str) -> tuple:
    """Sort key comparing numbers and digit runs as numbers: ``-1 < 2 < 10``, ``Stage_2 < Stage_10``."""
    if _is_number(text):
        return ((0, float(text), ""),)
    return tuple((0, float(p), "") if p.replace(".", "", 1).isdigit() else (1, 0.0, re.sub(r"[\W_]+", "", p.lower()))
                 for p in re.findall(r"\d+(?:\.\d+)?|\D+", str(text)))


_NUMBER = r"[+-]?\d+(?:\.\d+)?"
_UNIT = r"\s*[a-zA-Z%/]*\s*"
_BELOW = re.compile(rf"^\s*(?:<=?|=<|\u2264|<\s*or\s*=)\s*({_NUMBER}){_UNIT}$", re.IGNORECASE)
_ABOVE = re.compile(rf"^\s*(?:>=?|=>|\u2265|>\s*or\s*=)\s*({_NUMBER}){_UNIT}$|^\s*({_NUMBER}){_UNIT}\+\s*$",
                    re.IGNORECASE)
_BETWEEN = re.compile(rf"^\s*({_NUMBER}){_UNIT}(?:-|\u2013|to){_UNIT}({_NUMBER}){_UNIT}$", re.IGNORECASE)
_ROMAN = re.compile(r"(?<![A-Za-z])(X{0,3}(?:IX|IV|V?I{0,3}))(?=[A-Da-d]?(?![A-Za-z]))")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10}
# words of one graded scale, lowest first (a level with two words, "well-moderately", sits between them)
SCALES = (("well", "moderately", "poorly"), ("low", "intermediate", "high"), ("low", "medium", "high"),
          ("mild", "moderate", "severe"), ("none", "minimal", "partial", "complete"))


def range_bounds(text: str) -> tuple[float, float] | None:
    """(lowest, highest) of a level written as a range: ``<=40`` -> (-inf, 40), ``41-50`` -> (41, 50),
    ``>70`` / ``70+`` -> (70, inf), ``12`` -> (12, 12); None for other text."""
    if _is_number(text):
        return float(text), float(text)
    if m := _BELOW.match(text):
        return -math.inf, float(m.group(1))
    if m := _ABOVE.match(text):
        return float(m.group(1) or m.group(2)), math.inf
    if m := _BETWEEN.match(text):
        return float(m.group(1)), float(m.group(2))
    return None


def _roman(numeral: str) -> int:
    values = [_ROMAN_VALUES[c] for c in numeral]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


def _roman_as_numbers(text: str) -> str:
    """Stand-alone upper-case Roman numerals (``Stage IIIA``, ``IV``) as digits, for sorting only."""
    return _ROMAN.sub(lambda m: str(_roman(m.group(1))) if m.group(1) else "", text)


def _scale_rank(levels: list[str]) -> dict[str, float] | None:
    """Each level's mean rank on the graded scale most of them use (None when fewer than 2 use one)."""
    words = {level: re.findall(r"[a-z]+", level.lower()) for level in levels}
    best: dict[str, float] = {}
    for scale in SCALES:
        ranks = {level: [scale.index(w) for w in ws if w in scale] for level, ws in words.items()}
        found = {level: sum(r) / len(r) for level, r in ranks.items() if r}
        if len(found) > len(best):
            best = found
    return best if len(best) >= 2 else None


def order_levels(levels) -> tuple[str, ...]:
    """Levels in their natural order.

    Ranges (every level ``<=40``, ``41-50``, ``>70``, ``< or = 50%``, a number) by their bounds;
    else, when at least two levels use one graded scale (well / moderately / poorly differentiated,
    low / high, mild / severe), by their rank on it (the others after them); else by
    :func:`natural_key` with stand-alone Roman numerals read as numbers (stage I < II < IV < IX),
    which keeps Child-Pugh A / B / C and BCLC 0 / A / B / C / D in order."""
    levels = list(dict.fromkeys(levels))
    bounds = {level: range_bounds(level) for level in levels}
    if levels and all(b is not None for b in bounds.values()):
        return tuple(sorted(levels, key=lambda v: (*bounds[v], v)))
    ranks = _scale_rank(levels) or {}
    return tuple(sorted(levels, key=lambda v: (v not in ranks, ranks.get(v, 0.0),
                                               natural_key(_roman_as_numbers(v)), v)))


def natural_levels(values: pd.Series) -> tuple[str, ...]:
    """Distinct non-missing values (as :func:`canonical`) in natural order (:func:`order_levels`)."""
    return order_levels({canonical(v) for v in values.dropna().unique()} - {None})


def guess_kind(series: pd.Series, name: str = "") -> str:
    """``continuous``, ``categorical`` or ``ordinal`` from the values (and a name hint)."""
    present = series.dropna()
    distinct = present.unique()
    if len(present) and _numeric_share(present) >= 0.9:
        numbers = _numeric(present).dropna()
        n_distinct = numbers.nunique()
        if n_distinct <= 2:
            return "categorical"
        if n_distinct <= MAX_ORDINAL_INTEGERS and (numbers == numbers.round()).all():
            return "ordinal"
        return "continuous"
    key = _key(name)
    if len(distinct) > 2 and (
        any(h in key for h in _ORDINAL_NAME_HINTS) or all(_ORDINAL_VALUE.match(str(v)) for v in distinct)
        or all(range_bounds(str(v)) is not None for v in distinct)
    ):
        return "ordinal"
    return "categorical"


def guess_time_unit(name: str, values: pd.Series | None = None) -> str:
    """From the column name (``rfs_months``, ``TTP_days``); when it does not say, months, unless
    ``values`` read as months give a longest follow-up above ``CohortSettings.longest_time_months``
    (TTP in weeks: 19 years) and another unit reads plausibly (:func:`~hccdash.cohort.time_units.check_time_unit`)."""
    key = _key(name)
    for pattern, unit in (("day", "days"), ("week|wk", "weeks"), ("year|yr", "years"), ("month|mo", "months")):
        if re.search(pattern, key):
            return unit
    if values is not None:
        from hccdash.cohort.time_units import check_time_unit  # imports this module's settings only

        check = check_time_unit(values, "months", name)
        too_long = check is not None and check.chosen.longest_months > CohortSettings().longest_time_months
        if too_long and check.proposed is not None:
            return check.proposed.unit
    return "months"


def _score(name: str, keys: dict[str, int]) -> int:
    tokens = _key(name).split("_")
    key = _key(name)
    return max([w for k, w in keys.items() if k in tokens or (len(k) > 3 and k in key)] or [0])


def _guess_id(df: pd.DataFrame) -> str:
    """By name first (duplicates in it are then reported, not dodged), else the first unique column."""
    keys = {c: _key(c) for c in df.columns}
    for wanted in _ID_NAMES:
        for c in df.columns:
            if keys[c] == wanted:
                return c
    for c in df.columns:
        if keys[c].endswith("_id"):
            return c
    unique = [c for c in df.columns if df[c].notna().all() and df[c].is_unique]
    return unique[0] if unique else df.columns[0]


def _guess_time(df: pd.DataFrame, taken: set[str]) -> str:
    numeric = [c for c in df.columns if c not in taken and _numeric_share(df[c]) >= 0.9]
    scored = [(_score(c, _TIME_KEYS), -i, c) for i, c in enumerate(numeric)]
    scored = [s for s in scored if s[0] > 0]
    if scored:
        return max(scored)[2]
    return numeric[0] if numeric else [c for c in df.columns if c not in taken][0]


def _guess_event(df: pd.DataFrame, taken: set[str], time_col: str) -> str:
    time_prefix = _key(time_col).split("_")[0]
    candidates = []
    for i, c in enumerate(df.columns):
        if c in taken:
            continue
        distinct = df[c].dropna().unique()
        if len(distinct) > MAX_EVENT_SPELLINGS:  # a measurement, not an event column
            continue
        n_distinct = len({normalise_code(v) for v in distinct} - {None})
        if not 1 <= n_distinct <= 3:
            continue
        score = _score(c, _EVENT_KEYS)
        if guess_event_coding(df[c], c) is not None:
            score += 1
        if time_prefix and _key(c).split("_")[0] == time_prefix:
            score += 2
        candidates.append((score, -i, c))
    if candidates:
        return max(candidates)[2]
    return [c for c in df.columns if c not in taken][0]


def _guess_centre(df: pd.DataFrame, taken: set[str]) -> str | None:
    for wanted in _CENTRE_NAMES:
        for c in df.columns:
            if c not in taken and _key(c) == wanted and df[c].nunique() < max(2, len(df) / 2):
                return c
    return None


def after_baseline(name: str) -> bool:
    """Whether a column's name says it was measured after baseline (so it would leak the outcome
    into a prediction made at baseline): a follow-up (``FU``, ``follow-up``, ``after``, ``post``)
    or a treatment response (``response``, ``RECIST``, ``mRECIST``, ``EASL``, ``Choi``) not
    marked as baseline (``BL``, ``baseline``, ``pre``, ``before``)."""
    tokens = set(re.sub(r"([a-z])([A-Z])", r"\1_\2", str(name)).lower().replace("-", "_").split("_"))
    tokens |= set(_key(name).split("_"))
    if tokens & _BASELINE_TOKENS:
        return False
    key = _key(name).replace("_", "")
    return bool(tokens & _AFTER_TOKENS) or any(word in key for word in ("followup", "response"))


def leakage_columns(mapping: "ColumnMapping") -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(predictors measured after baseline, other variables measured after baseline) by :func:`after_baseline`."""
    late = [v for v in mapping.variables if after_baseline(v.name)]
    return tuple(v.name for v in late if v.predictor), tuple(v.name for v in late if not v.predictor)


def _default_predictor(series: pd.Series, name: str, kind: str) -> bool:
    """Not an outcome (another time or event column), not measured after baseline, not constant,
    not an identifier or free text."""
    present = series.dropna()
    if present.nunique() < 2 or after_baseline(name):
        return False
    if kind == "continuous" and _score(name, _OUTCOME_TIME_KEYS):
        return False
    if present.nunique() <= 2 and _score(name, _EVENT_KEYS):
        return False
    if kind != "continuous" and (present.nunique() > MAX_LEVELS or present.is_unique):
        return False
    return True


def guess_variable(series: pd.Series, name: str) -> VariableSpec:
    """A variable spec with guessed kind, default predictor flag and natural level order."""
    kind = guess_kind(series, name)
    levels = natural_levels(series) if kind != "continuous" else ()
    return VariableSpec(name, kind, _default_predictor(series, name, kind), levels)


def guess_mapping(df: pd.DataFrame) -> ColumnMapping:
    """A proposed mapping of ``df`` (strings as read by :func:`hccdash.cohort.tables.read_table`).

    Heuristics: the id is a unique, complete column named like ``patient_id`` / ``*_id``;
    the time is the numeric column named most like a recurrence time (``rfs``, ``ttp``,
    ``dfs`` before ``time`` / ``follow-up`` before ``os``), its unit read from the name;
    the event is a column with at most 3 codes named like ``recurrence`` / ``event`` /
    ``status`` / ``censored`` (a shared prefix with the time column counts), its coding
    guessed by :func:`guess_event_coding`; the centre is a column named ``centre``,
    ``center``, ``site``, ``hospital`` or ``institution``. Everything else is a variable.
    """
    if df.empty or len(df.columns) < 3:
        raise ValueError(f"A clinical table needs at least 3 columns (id, time, event) and one row; got {df.shape}")
    id_col = _guess_id(df)
    time_col = _guess_time(df, {id_col})
    event_col = _guess_event(df, {id_col, time_col}, time_col)
    centre_col = _guess_centre(df, {id_col, time_col, event_col})
    mapped = {id_col, time_col, event_col, centre_col}
    return ColumnMapping(
        id_col=id_col,
        time_col=time_col,
        time_unit=guess_time_unit(time_col, df[time_col]),
        event_col=event_col,
        event_coding=guess_event_coding(df[event_col], event_col),
        centre_col=centre_col,
        variables=tuple(guess_variable(df[c], c) for c in df.columns if c not in mapped),
    )


def mapping_with_roles(df: pd.DataFrame, *, id_col: str, time_col: str, time_unit: str, event_col: str,
                       event_coding: EventCoding | None = None, centre_col: str | None = None) -> ColumnMapping:
    """The mapping of ``df`` with the roles named (as the ``import`` and ``fit`` options name them):
    only the event coding (when not given) and the other columns' kinds are guessed."""
    if event_coding is None and event_col in df.columns:
        event_coding = guess_event_coding(df[event_col], event_col)
    mapped = {id_col, time_col, event_col, centre_col}
    return ColumnMapping(id_col=id_col, time_col=time_col, time_unit=time_unit, event_col=event_col,
                         event_coding=event_coding, centre_col=centre_col,
                         variables=tuple(guess_variable(df[c], c) for c in df.columns if c not in mapped))


def remap(df: pd.DataFrame, mapping: ColumnMapping, **changes) -> ColumnMapping:
    """``mapping`` with id / time / event / centre columns changed; variables re-derived.

    Columns leaving a role become variables (guessed), columns taking a role stop being
    variables; the event coding is guessed again when the event column changes and no
    coding is given.
    """
    new = {**{k: getattr(mapping, k) for k in ("id_col", "time_col", "time_unit", "event_col", "event_coding", "centre_col")}, **changes}
    if "event_coding" not in changes and new["event_col"] != mapping.event_col:
        column = new["event_col"]
        new["event_coding"] = guess_event_coding(df[column], column) if column in df.columns else None
    mapped = {new["id_col"], new["time_col"], new["event_col"], new["centre_col"]}
    old = {v.name: v for v in mapping.variables}
    variables = tuple(old.get(c) or guess_variable(df[c], c) for c in df.columns if c not in mapped)
    return ColumnMapping(variables=variables, **new)


def variables_table(mapping: ColumnMapping) -> pd.DataFrame:
    """The variables as an editable table: name, kind, predictor, levels (``a | b | c``), unit, label."""
    return pd.DataFrame(
        {
            "name": [v.name for v in mapping.variables],
            "kind": [v.kind for v in mapping.variables],
            "predictor": [v.predictor for v in mapping.variables],
            "levels": [LEVEL_SEPARATOR.join(v.levels) for v in mapping.variables],
            "unit": [v.unit for v in mapping.variables],
            "label": [v.label for v in mapping.variables],
        }
    )


def _cell_text(row, column: str, default: str) -> str:
    """A text cell of an edited table (``default`` when the table has no such column; "" when empty)."""
    value = getattr(row, column, default)
    return "" if not isinstance(value, str) and pd.isna(value) else str(value)


def with_variables_table(mapping: ColumnMapping, table: pd.DataFrame) -> ColumnMapping:
    """``mapping`` with kinds, predictor flags, level orders, units and labels taken from an
    edited table (a table without a unit / label column keeps the mapping's).

    A level list left empty (or emptied) means the observed values in natural order.
    Unknown variable names or kinds, and units or labels a model file would refuse, raise
    ValueError naming the row.
    """
    known = {v.name: v for v in mapping.variables}
    specs = []
    for i, row in enumerate(table.itertuples(index=False), start=1):
        if row.name not in known:
            raise ValueError(f"Variables table row {i}: '{row.name}' is not a variable of the table")
        if row.kind not in KINDS:
            raise ValueError(f"Variables table row {i} ('{row.name}'): kind must be one of {KINDS}, got {row.kind!r}")
        text = _cell_text(row, "levels", "")
        levels = tuple(x.strip() for x in text.split(LEVEL_SEPARATOR.strip()) if x.strip())
        old = known[row.name]
        try:
            specs.append(VariableSpec(row.name, row.kind, bool(row.predictor), levels,
                                      _cell_text(row, "unit", old.unit), _cell_text(row, "label", old.label)))
        except ValueError as exc:
            raise ValueError(f"Variables table row {i}: {exc}") from exc
    return replace(mapping, variables=tuple(specs))
