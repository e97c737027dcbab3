"""Results of statistical tests: small frozen dataclasses, as lifelines' ``StatisticalResult``.

Every test returns one of these (never a bare float, tuple or dict); fields are read by name
(``result.p``) or, as the README's public API once documented dicts, by key (``result["p"]``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True)
class TestResult:
    """Base of the test results: read-only, fields also readable as ``result["name"]``."""

    __test__ = False  # not a pytest test class

    def keys(self) -> tuple[str, ...]:
        """The field names, in order."""
        return tuple(field.name for field in fields(self))

    def __getitem__(self, name: str) -> Any:
        if name not in self.keys():
            raise KeyError(f"{type(self).__name__} has no field {name!r}; it has {list(self.keys())}")
        return getattr(self, name)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (for JSON and tables)."""
        return asdict(self)


@dataclass(frozen=True)
class ChiSquareTest(TestResult):
    """A chi-square statistic, its degrees of freedom and upper-tail p-value."""

    chisq: float
    df: int
    p: float


@dataclass(frozen=True)
class LogRankTest(ChiSquareTest):
    """k-group log-rank test, with observed and expected events per group level."""

    observed: dict[Any, float]
    expected: dict[Any, float]


@dataclass(frozen=True)
class HosmerLemeshowTest(ChiSquareTest):
    """Hosmer-Lemeshow goodness of fit over ``groups`` quantile groups (df = groups - 2)."""

    groups: int


@dataclass(frozen=True)
class DeLongTest(TestResult):
    """Paired DeLong test of two AUCs on the same patients: z statistic and two-sided p."""

    auc_a: float
    auc_b: float
    z: float
    p: float


@dataclass(frozen=True)
class Reclassification(TestResult):
    """Category-free net reclassification improvement and integrated discrimination
    improvement of a new model's probabilities over an old one's (Hmisc ``improveProb``).

    ``nri`` = ``nri_events`` + ``nri_nonevents``; z and two-sided normal p for the NRI and IDI;
    ``n`` patients, ``n_events`` of them events; ``excluded``: patients left out (a survival
    horizon's censored-before-horizon patients, else 0)."""

    nri: float
    nri_se: float
    nri_z: float
    nri_p: float
    nri_events: float
    nri_events_se: float
    nri_nonevents: float
    nri_nonevents_se: float
    idi: float
    idi_se: float
    idi_z: float
    idi_p: float
    n: int
    n_events: int
    excluded: int = 0


@dataclass(frozen=True)
class CIndexDifference(TestResult):
    """Two C-indices on the same patients and the test of their difference ``c_a - c_b``:
    infinitesimal-jackknife SE, z, two-sided p and the Wald CI at ``level``."""

    c_a: float
    c_b: float
    difference: float
    se: float
    z: float
    p: float
    lower: float
    upper: float
    level: float
