"""Known conversions between clinical units, used when a cohort's variable is mapped onto a
model input (:mod:`hccdash.validation.mapping`).

:func:`conversion_factor` gives the factor ``f`` with ``value in the model's unit = f x value
in the cohort's unit``. Units are compared after :func:`normalise_unit` (case, spaces, ``µ`` /
``mc`` for micro, ``x10^9/L`` / ``10E9/L`` spellings). Two units convert when both belong to
one of these families (factor to the family's base unit in brackets):

- mass concentration (g/L): ``g/L`` 1, ``g/dL`` 10, ``mg/dL`` 0.01, ``mg/L`` = ``ug/mL`` 1e-3,
  ``ug/L`` = ``ng/mL`` 1e-6, ``ng/L`` = ``pg/mL`` 1e-9 (so AFP ng/mL = ug/L, albumin g/dL x 10 = g/L);
- cell count (10^9/L): ``10^9/L`` = ``10^3/uL`` = ``10^3/mm3`` 1, ``/uL`` = ``/mm3`` 1e-3
  (platelets);
- enzyme activity: ``U/L`` = ``IU/L``; length: ``mm`` 1, ``cm`` 10; time: ``days``, ``weeks``,
  ``months``, ``years`` (as the cohort import converts follow-up);
- analyte-specific, when the model input's name or label says which analyte it is:
  alpha-fetoprotein ``IU/mL`` = ``kIU/L`` = 1.21 ng/mL (WHO standard 72/225);
  bilirubin ``umol/L`` = 1 / 17.1 mg/dL; creatinine ``umol/L`` = 1 / 88.4 mg/dL.

Any other pair is refused, naming both units and the ones that would convert. A unit left
blank on either side is taken as it is (factor 1), with a note saying it was not checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hccdash.settings import TIME_UNITS_IN_MONTHS


@dataclass(frozen=True)
class UnitFamily:
    """Units of one quantity with their factor to the family's base unit; ``analyte`` (a regular
    expression on the input's name or label) restricts the family to one analyte."""

    quantity: str
    factors: dict[str, float]
    analyte: str | None = None


_MASS = {"g/l": 1.0, "g/dl": 10.0, "mg/dl": 1e-2, "mg/l": 1e-3, "ug/ml": 1e-3, "ug/l": 1e-6, "ng/ml": 1e-6,
         "ng/l": 1e-9, "pg/ml": 1e-9}
FAMILIES: tuple[UnitFamily, ...] = (
    UnitFamily("mass concentration", _MASS),
    UnitFamily("cell count", {"10^9/l": 1.0, "10^3/ul": 1.0, "10^3/mm3": 1.0, "/ul": 1e-3,
                              "/mm3": 1e-3}),
    UnitFamily("enzyme activity", {"u/l": 1.0, "iu/l": 1.0}),
    UnitFamily("length", {"mm": 1.0, "cm": 10.0}),
    UnitFamily("time", {unit: factor for unit, factor in TIME_UNITS_IN_MONTHS.items()}),
    UnitFamily("alpha-fetoprotein", {**_MASS, "iu/ml": 1.21e-6, "kiu/l": 1.21e-6}, r"afp|alpha.?feto"),
    UnitFamily("bilirubin", {**_MASS, "umol/l": 1e-2 / 17.1}, r"bil"),
    UnitFamily("creatinine", {**_MASS, "umol/l": 1e-2 / 88.4}, r"creat|\bcr\b|\bscr\b"),
)

_SPELLINGS = (
    (r"[µμ]", "u"), (r"mc(?=g)", "u"), (r"\s+", ""), (r"^(x|\*)", ""),
    (r"10(\*\*|\^|e|\*)?(9|⁹)/l", "10^9/l"), (r"10(\*\*|\^|e|\*)?(3|³)/(ul|mm3|mm³)", r"10^3/\3"), (r"mm³", "mm3"),
    (r"^(cells)?/(ul|mm3)$", r"/\2"), (r"^(day|week|month|year)$", r"\1s"),
)


def normalise_unit(unit: str | None) -> str:
    """The comparable spelling of ``unit``: lower case, no spaces, ``u`` for micro, ``10^9/l``."""
    text = (unit or "").strip().lower()
    for pattern, replacement in _SPELLINGS:
        text = re.sub(pattern, replacement, text)
    return text


def _families(variable: str) -> list[UnitFamily]:
    """The families that apply to an input named (or labelled) ``variable``: analyte-specific ones first."""
    specific = [f for f in FAMILIES if f.analyte and re.search(f.analyte, variable, re.IGNORECASE)]
    return specific + [f for f in FAMILIES if not f.analyte]


def known_units(variable: str, unit: str) -> list[str]:
    """Units that convert to ``unit`` for input ``variable`` (normalised spellings), for messages."""
    target = normalise_unit(unit)
    return sorted({u for f in _families(variable) if target in f.factors for u in f.factors} - {target})


def conversion_factor(from_unit: str | None, to_unit: str | None, variable: str = "") -> float:
    """Factor taking values in ``from_unit`` (the cohort's) to ``to_unit`` (the model's) for the
    input ``variable`` (its name and label, which pick analyte-specific conversions); 1.0 when
    either unit is blank or both are the same. ValueError naming both units when no conversion
    is known (module docstring)."""
    source, target = normalise_unit(from_unit), normalise_unit(to_unit)
    if not source or not target or source == target:
        return 1.0
    for family in _families(variable):
        if source in family.factors and target in family.factors:
            return family.factors[source] / family.factors[target]
    others = known_units(variable, to_unit or "")
    hint = f"; units that convert to {to_unit!r}: {', '.join(others)}" if others else ""
    raise ValueError(f"{variable or 'input'}: no known conversion from the cohort's unit {from_unit!r} to the "
                     f"model's unit {to_unit!r}{hint}")
