"""Known unit conversions of the mapping step, and the refusal of an unknown pair."""

from __future__ import annotations

import pytest

from hccdash.validation.units import conversion_factor, normalise_unit


@pytest.mark.parametrize(("source", "target", "variable", "factor"), [
    ("ug/L", "ng/mL", "AFP", 1.0),
    ("µg/L", "ng/mL", "AFP", 1.0),
    ("IU/mL", "ng/mL", "AFP", 1.21),
    ("ng/mL", "IU/mL", "alpha-fetoprotein", 1 / 1.21),
    ("mg/dL", "µmol/L", "TBIL", 17.1),
    ("umol/L", "mg/dL", "total bilirubin", 1 / 17.1),
    ("mg/dL", "umol/L", "creatinine", 88.4),
    ("g/dL", "g/L", "ALB", 10.0),
    ("10^3/uL", "10^9/L", "PLT", 1.0),
    ("x10^9/L", "10^9/L", "PLT", 1.0),
    ("10E9/L", "10^3/mm3", "platelets", 1.0),
    ("cm", "mm", "tumour_diameter_mm", 10.0),
    ("years", "months", "follow-up", 12.0),
    ("U/L", "IU/L", "ALT", 1.0),
])
def test_known_conversions(source, target, variable, factor):
    assert conversion_factor(source, target, variable) == pytest.approx(factor, rel=1e-12)


def test_blank_or_equal_units_are_taken_as_they_are():
    assert conversion_factor("", "ng/mL", "AFP") == 1.0
    assert conversion_factor("NG/ML", "ng/mL", "AFP") == 1.0
    assert normalise_unit(" µmol / L ") == "umol/l"


@pytest.mark.parametrize(("source", "target", "variable"), [
    ("kU/L", "ng/mL", "AFP"),  # not in the table
    ("IU/mL", "ng/mL", "CEA"),  # the AFP standard does not hold for another analyte
    ("umol/L", "mg/dL", "ALB"),  # molar only for bilirubin and creatinine
    ("mm", "g/L", "size"),
])
def test_unknown_pair_is_refused_naming_both_units(source, target, variable):
    with pytest.raises(ValueError) as error:
        conversion_factor(source, target, variable)
    message = str(error.value)
    assert repr(source) in message and repr(target) in message and variable in message
