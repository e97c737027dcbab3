"""Event codes: which values of the event column mean recurrence (1) and which censored (0).

Codes are compared after :func:`normalise_code` (case, surrounding blanks, ``_`` and
numeric spelling do not matter: ``"1.0"``, ``" 1 "`` and ``1`` are the same code).
The coding is guessed from the column name (``Censored_0_progressed_1``) or from the
values (1/0, yes/no, true/false, recurrence/censored, progressed/..., dead/alive), and
can always be given explicitly (``--event-values EVENT,CENSOR``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

EVENT_WORDS = frozenset(
    {"1", "yes", "y", "true", "t", "event", "recurrence", "recurred", "recurrent", "relapse",
     "relapsed", "progressed", "progression", "progressive", "pd", "dead", "died", "death",
     "deceased", "positive"}
)
CENSOR_WORDS = frozenset(
    {"0", "no", "n", "false", "f", "censored", "censor", "no event", "no recurrence",
     "recurrence free", "recurrence-free", "disease free", "disease-free", "no progression",
     "not progressed", "non progressed", "stable", "alive", "lost to follow-up",
     "lost to follow up", "negative"}
)
_EVENT_STEMS = ("recur", "relaps", "progress", "death", "dead", "died", "event")
_CENSOR_STEMS = ("censor", "alive", "lost", "free", "still")


def normalise_code(value: object) -> str | None:
    """The comparable form of one event code; None for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    text = re.sub(r"\s+", " ", str(value).replace("_", " ")).strip().lower()
    if text in ("", "nan", "na", "n/a", "null"):
        return None
    try:
        number = float(text)
    except ValueError:
        return text
    return f"{number:.15g}" if math.isfinite(number) else text


@dataclass(frozen=True)
class EventCoding:
    """Values meaning event (recurrence) and censored, in normalised form."""

    event: tuple[str, ...]
    censor: tuple[str, ...]

    def __post_init__(self) -> None:
        event = tuple(dict.fromkeys(c for c in map(normalise_code, self.event) if c is not None))
        censor = tuple(dict.fromkeys(c for c in map(normalise_code, self.censor) if c is not None))
        if not event or not censor:
            raise ValueError(f"An event coding needs at least one event and one censor value, got {self.event!r} / {self.censor!r}")
        both = set(event) & set(censor)
        if both:
            raise ValueError(f"Event value(s) {sorted(both)} are given both as event and as censored")
        object.__setattr__(self, "event", event)
        object.__setattr__(self, "censor", censor)

    def code(self, value: object) -> int | None:
        """1 for an event value, 0 for a censor value, None for missing or unknown."""
        text = normalise_code(value)
        if text in self.event:
            return 1
        if text in self.censor:
            return 0
        return None

    def encode(self, values: pd.Series) -> pd.Series:
        """The 0/1 codes of ``values`` as a nullable Int64 series (NA = missing or unknown)."""
        codes = {v: self.code(v) for v in _distinct(values)}  # once per distinct value
        return pd.Series([codes.get(v) for v in values], index=values.index, dtype="Int64")

    def describe(self) -> str:
        """E.g. ``event = 1; censored = 0``."""
        return f"event = {'|'.join(self.event)}; censored = {'|'.join(self.censor)}"

    def to_dict(self) -> dict[str, list[str]]:
        return {"event": list(self.event), "censor": list(self.censor)}

    @classmethod
    def from_dict(cls, data: dict) -> "EventCoding":
        return cls(tuple(data["event"]), tuple(data["censor"]))


def distinct_codes(values: Iterable[object]) -> list[str]:
    """The distinct normalised codes of an event column, sorted (for pickers)."""
    return sorted({c for c in map(normalise_code, _distinct(values)) if c is not None})


def parse_event_values(text: str) -> EventCoding:
    """``"EVENT,CENSOR"`` (alternatives within a side separated by ``|``), e.g. ``"yes|y,no|n"``."""
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != 2 or not all(parts):
        raise ValueError(
            f"--event-values must be EVENT,CENSOR (e.g. 1,0 or progressed,censored), got {text!r}"
        )
    return EventCoding(tuple(parts[0].split("|")), tuple(parts[1].split("|")))


def _coding_from_name(column: str) -> EventCoding | None:
    """Codes spelled in the column name, e.g. ``Censored_0_progressed_1``."""
    pairs = re.findall(r"([A-Za-z][A-Za-z-]*?)_?(\d+)(?=_|$)", column)
    event, censor = [], []
    for word, digit in pairs:
        word = word.lower()
        if any(s in word for s in _CENSOR_STEMS):
            censor.append(digit)
        elif any(s in word for s in _EVENT_STEMS):
            event.append(digit)
    if event and censor and not set(event) & set(censor):
        return EventCoding(tuple(event), tuple(censor))
    return None


def guess_event_coding(values: Iterable[object], column: str | None = None) -> EventCoding | None:
    """The likely coding of an event column, or None when it cannot be told.

    Order of evidence: codes spelled in the column name (``Censored_0_progressed_1``);
    a column named for censoring (``censored``) with values 0/1 means 1 = censored;
    otherwise known words (1/0, yes/no, true/false, recurrence/censored, ...). A known
    code beside an unknown number (1/2, as R's ``Surv`` codes censored/event) is not guessed.
    """
    seen = {c for c in map(normalise_code, _distinct(values)) if c is not None}
    if column:
        named = _coding_from_name(column)
        if named is not None:
            return named
        if "censor" in column.lower() and seen <= {"0", "1"}:
            return EventCoding(("0",), ("1",))
    event = tuple(sorted(seen & EVENT_WORDS))
    censor = tuple(sorted(seen & CENSOR_WORDS))
    if event and censor:
        return EventCoding(event, censor)
    if len(seen) == 2 and (event or censor):  # e.g. progressed / stable-disease
        other = tuple(sorted(seen - set(event or censor)))
        if any(_is_number(code) for code in other):  # 1/2 is R's censored/event, -1/1 anyone's: ask
            return None
        return EventCoding(event, other) if event else EventCoding(other, censor)
    return None


def _distinct(values: Iterable[object]) -> list:
    """The distinct values (a column may hold 100 000s of cells but a few codes)."""
    return list(pd.unique(pd.Series(list(values) if not isinstance(values, pd.Series) else values, dtype=object)))


def _is_number(code: str) -> bool:
    try:
        float(code)
    except ValueError:
        return False
    return True
