"""Is the follow-up time's unit plausible? The longest and the median follow-up in each unit.

A recurrence study follows its patients for months to years: read in the wrong unit the same
numbers give a longest follow-up of decades (weeks read as months: TTP of HCC-TACE-Seg, at most
228 weeks, becomes 19 years) or of days. :func:`check_time_unit` reads the times in the chosen
unit, says when the longest follow-up is above ``CohortSettings.longest_time_months`` or the
median outside ``CohortSettings.median_time_months``, and proposes the unit whose reading is
plausible and whose longest follow-up is nearest (on a log scale) to
``CohortSettings.typical_longest_months``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hccdash.settings import TIME_UNITS_IN_MONTHS, CohortSettings


def _years(months: float) -> str:
    return f"{months / 12:.3g} years" if months >= 12 else f"{months:.3g} months"


@dataclass(frozen=True)
class UnitReading:
    """The follow-up read in one unit (months)."""

    unit: str
    longest_months: float
    median_months: float

    def plausible(self, settings: CohortSettings) -> bool:
        """Longest and median follow-up both within the settings' plausible ranges."""
        low, high = settings.median_time_months
        return self.longest_months <= settings.longest_time_months and low <= self.median_months <= high

    def describe(self) -> str:
        return f"longest follow-up of {_years(self.longest_months)} (median {_years(self.median_months)})"


@dataclass(frozen=True)
class UnitCheck:
    """The chosen unit's reading, whether it is plausible, and the unit proposed instead (or None)."""

    column: str
    chosen: UnitReading
    plausible: bool
    proposed: UnitReading | None

    @property
    def message(self) -> str:
        """One sentence for the page and the import report ('' when the chosen unit is plausible)."""
        if self.plausible:
            return ""
        text = f"{self.column} read as {self.chosen.unit} gives a {self.chosen.describe()}: implausible for a follow-up"
        if self.proposed is None:
            return text + "; check the column and its unit"
        return (f"{text}; read as {self.proposed.unit} it gives a {self.proposed.describe()}: "
                f"choose {self.proposed.unit} if that is the unit")


def _times(time: pd.Series) -> np.ndarray:
    values = pd.to_numeric(pd.Series(time), errors="coerce").to_numpy(dtype=float)
    return values[np.isfinite(values) & (values > 0)]


def readings(time: pd.Series) -> dict[str, UnitReading]:
    """The follow-up read in every unit of :data:`TIME_UNITS_IN_MONTHS` (positive finite times only)."""
    values = _times(time)
    if not len(values):
        return {}
    longest, median = float(values.max()), float(np.median(values))
    return {unit: UnitReading(unit, longest * factor, median * factor) for unit, factor in TIME_UNITS_IN_MONTHS.items()}


def check_time_unit(time: pd.Series, unit: str, column: str, settings: CohortSettings | None = None) -> UnitCheck | None:
    """The plausibility of ``unit`` for the times of ``column`` (None when no time is a positive number).

    Plausible: the longest follow-up at most ``settings.longest_time_months`` and the median within
    ``settings.median_time_months``. Proposed when implausible: the plausible unit whose longest
    follow-up is nearest to ``settings.typical_longest_months`` on a log scale (None if no unit is
    plausible)."""
    settings = settings or CohortSettings()
    read = readings(time)
    if not read:
        return None
    chosen = read[unit]
    if chosen.plausible(settings):
        return UnitCheck(column, chosen, True, None)
    others = [r for r in read.values() if r.unit != unit and r.plausible(settings)]
    proposed = min(others, key=lambda r: abs(math.log(r.longest_months / settings.typical_longest_months)),
                   default=None)
    return UnitCheck(column, chosen, False, proposed)
