"""The true recurrence model of the synthetic cohort (written out in ``sample_data/TRUTH.md``).

Proportional hazards with a Weibull baseline::

    h(t | x) = (k / lambda) * (t / lambda)^(k - 1) * exp(lp),   lp = sum_j beta_j * x_j

so the recurrence time is ``T = lambda * (-ln U * exp(-lp))^(1 / k)`` with U uniform.
Censoring: patients enter uniformly over ACCRUAL_MONTHS and the study closes
STUDY_MONTHS after the first entry (administrative censoring after 36-60 months of
follow-up); independently, a patient is lost to follow-up at an exponential time with
rate LOSS_RATE per month. Observed: ``rfs_months = min(T, censoring)``, event = T first.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from hccdash.sample.patients import STREAM_SURVIVAL, Patient, patient_rng

WEIBULL_SHAPE = 0.9  # k < 1: the recurrence hazard is highest early after treatment
WEIBULL_SCALE_MONTHS = 140.0  # lambda, for lp = 0
ACCRUAL_MONTHS = 24.0
STUDY_MONTHS = 60.0
LOSS_RATE = 0.003  # per month


@dataclass(frozen=True)
class Term:
    """One term beta * x of the true linear predictor."""

    name: str
    beta: float
    meaning: str
    value: Callable[[Patient, float, str], float]  # (patient, diameter_mm, treatment) -> x


TERMS: tuple[Term, ...] = (
    Term("log_size", 1.0, "ln(tumour_diameter_mm / 30)",
         lambda p, d, t: math.log(d / 30.0)),
    Term("heterogeneity", 1.8,
         "heterogeneity - 0.4; heterogeneity from 0 (homogeneous) to 1 (mosaic, necrotic)",
         lambda p, d, t: p.heterogeneity - 0.4),
    Term("aphe", 0.25, "(arterial-phase enhancement of the tumour over the liver, HU - 35) / 10",
         lambda p, d, t: (p.aphe_hu - 35.0) / 10.0),
    Term("washout", 0.4, "(portal-phase washout, liver minus tumour, HU - 14) / 10",
         lambda p, d, t: (p.washout_portal_hu - 14.0) / 10.0),
    Term("log_afp", 0.32, "ln(AFP ng/mL) - ln(20)",
         lambda p, d, t: math.log(p.afp / 20.0)),
    Term("alb", -0.08, "ALB g/L - 40", lambda p, d, t: p.alb - 40.0),
    Term("multiple", 0.7, "1 if tumour_number >= 2", lambda p, d, t: float(p.tumour_number >= 2)),
    Term("tace", 0.55, "1 if treatment is TACE", lambda p, d, t: float(t == "TACE")),
    Term("resection", -0.35, "1 if treatment is resection",
         lambda p, d, t: float(t == "resection")),
)


@dataclass(frozen=True)
class Outcome:
    """The simulated times of one patient (months)."""

    linear_predictor: float
    recurrence_months: float
    admin_censoring_months: float
    loss_months: float

    @property
    def event(self) -> int:
        return int(self.recurrence_months <= min(self.admin_censoring_months, self.loss_months))

    @property
    def time(self) -> float:
        return min(self.recurrence_months, self.admin_censoring_months, self.loss_months)


def linear_predictor(patient: Patient, diameter_mm: float, treatment: str) -> float:
    """The true lp of a patient (unrounded laboratory values, measured diameter)."""
    return sum(term.beta * term.value(patient, diameter_mm, treatment) for term in TERMS)


def simulate_outcome(seed: int, patient: Patient, diameter_mm: float, treatment: str) -> Outcome:
    """Recurrence and censoring times of one patient, from its own random stream."""
    rng = patient_rng(seed, patient.index, STREAM_SURVIVAL)
    lp = linear_predictor(patient, diameter_mm, treatment)
    u_event, u_entry, u_loss = (float(u) for u in rng.random(3))
    cumulative_hazard = -math.log1p(-u_event) * math.exp(-lp)
    recurrence = WEIBULL_SCALE_MONTHS * cumulative_hazard ** (1.0 / WEIBULL_SHAPE)
    admin = STUDY_MONTHS - ACCRUAL_MONTHS * u_entry
    loss = -math.log1p(-u_loss) / LOSS_RATE
    return Outcome(lp, recurrence, admin, loss)
