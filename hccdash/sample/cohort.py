"""The clinical table of the synthetic cohort: stage, treatment, outcome, missing values.

``build_cohort(seed)`` draws every patient (``hccdash.sample.patients``), measures the
tumour diameter on its portal-phase mask (``hccdash.sample.tumour``), stages it (BCLC),
chooses the treatment as the centre would, simulates the outcome
(``hccdash.sample.survival``) and blanks a few laboratory values at random. The true
linear predictor and the latent appearance stay in ``Cohort.truth``, never in the table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hccdash.sample.patients import (
    STREAM_COHORT,
    Patient,
    draw_patient,
    n_patients,
    patient_rng,
)
from hccdash.sample.survival import simulate_outcome
from hccdash.sample.tumour import measured_diameter_mm

STREAM_TREATMENT = 3
N_REPEAT = 30  # patients segmented again by a second reader
# share of missing values per laboratory column (missing completely at random)
MISSING_RATES: dict[str, float] = {"AFP": 0.03, "TBIL": 0.02, "ALT": 0.02, "AST": 0.03,
                                   "PLT": 0.01, "NLR": 0.07}
COLUMN_MEANINGS: dict[str, str] = {
    "patient_id": "HCC001 ... HCC150",
    "centre": "Centre A / Centre B",
    "age": "years",
    "sex": "M / F",
    "AFP": "alpha-fetoprotein, ng/mL",
    "ALB": "albumin, g/L",
    "TBIL": "total bilirubin, umol/L",
    "ALT": "alanine aminotransferase, U/L",
    "AST": "aspartate aminotransferase, U/L",
    "PLT": "platelets, 10^9/L",
    "NLR": "neutrophil-to-lymphocyte ratio",
    "tumour_diameter_mm": "longest axial diameter of the (largest) tumour, mm",
    "tumour_number": "number of tumours, 1-3",
    "BCLC": "Barcelona Clinic Liver Cancer stage 0 / A / B",
    "child_pugh": "Child-Pugh class A / B",
    "cirrhosis": "1 = cirrhosis, 0 = none",
    "HBV": "1 = hepatitis B related, 0 = other aetiology",
    "treatment": "RFA / MWA / resection / TACE",
    "rfs_months": "recurrence-free survival time, months from treatment",
    "recurrence": "1 = recurrence, 0 = censored",
}
CLINICAL_COLUMNS: tuple[str, ...] = tuple(COLUMN_MEANINGS)
# units of the numeric clinical columns as drawn by ``hccdash.sample.patients`` (stored with the cohort)
COLUMN_UNITS: dict[str, str] = {
    "age": "years",
    "AFP": "ng/mL",
    "ALB": "g/L",
    "TBIL": "µmol/L",
    "ALT": "U/L",
    "AST": "U/L",
    "PLT": "10^9/L",
    "NLR": "ratio",
    "tumour_diameter_mm": "mm",
    "tumour_number": "count",
}


@dataclass(frozen=True)
class Cohort:
    """The simulated cohort: the clinical table, the hidden truth, the repeat subset."""

    seed: int
    patients: tuple[Patient, ...]
    clinical: pd.DataFrame  # what a study would record (columns CLINICAL_COLUMNS)
    truth: pd.DataFrame  # per patient: linear predictor, latent appearance, uncensored times
    repeat_ids: tuple[str, ...]  # patients with a second reader's masks


def bclc_stage(diameter_mm: float, number: int, child_pugh_b: bool) -> str:
    """BCLC 0 (single <= 2 cm, Child-Pugh A), A (single, or up to 3 nodules <= 3 cm), else B."""
    if number == 1 and diameter_mm <= 20.0 and not child_pugh_b:
        return "0"
    if number == 1 or (number <= 3 and diameter_mm <= 30.0):
        return "A"
    return "B"


def choose_treatment(seed: int, patient: Patient, diameter_mm: float, bclc: str) -> str:
    """Treatment as a multidisciplinary board would choose it, with the centre's habits."""
    rng = patient_rng(seed, patient.index, STREAM_TREATMENT)
    rfa, mwa, resection = patient.centre.ablation
    if bclc == "B":
        options, probs = ("TACE", "resection"), (0.85, 0.15)
    elif diameter_mm <= 30.0 and patient.tumour_number == 1:
        options, probs = ("RFA", "MWA", "resection"), (rfa, mwa, resection)
    elif diameter_mm <= 50.0:
        options, probs = ("resection", "MWA", "TACE"), (0.6, 0.25, 0.15)
    else:
        options, probs = ("resection", "TACE"), (0.75, 0.25)
    if patient.child_pugh_b and "resection" in options:  # poor liver function: no resection
        keep = [o != "resection" for o in options]
        options = tuple(o for o, k in zip(options, keep) if k)
        probs = tuple(p for p, k in zip(probs, keep) if k)
    probs = np.asarray(probs) / sum(probs)
    return str(options[int(rng.choice(len(options), p=probs))])


def build_cohort(seed: int) -> Cohort:
    """The whole cohort of ``n_patients()`` patients from ``seed``."""
    patients = tuple(draw_patient(seed, i) for i in range(n_patients()))
    rows, truth = [], []
    for p in patients:
        diameter = measured_diameter_mm(p)
        bclc = bclc_stage(diameter, p.tumour_number, p.child_pugh_b)
        treatment = choose_treatment(seed, p, diameter, bclc)
        outcome = simulate_outcome(seed, p, diameter, treatment)
        rows.append({
            "patient_id": p.patient_id, "centre": p.centre.name, "age": p.age,
            "sex": "M" if p.male else "F", "AFP": round(p.afp, 1), "ALB": round(p.alb, 1),
            "TBIL": round(p.tbil, 1), "ALT": round(p.alt), "AST": round(p.ast),
            "PLT": round(p.plt), "NLR": round(p.nlr, 2), "tumour_diameter_mm": int(diameter),
            "tumour_number": p.tumour_number, "BCLC": bclc,
            "child_pugh": "B" if p.child_pugh_b else "A", "cirrhosis": int(p.cirrhosis),
            "HBV": int(p.hbv), "treatment": treatment,
            "rfs_months": max(0.1, round(outcome.time, 1)), "recurrence": outcome.event,
        })
        truth.append({
            "patient_id": p.patient_id, "linear_predictor": outcome.linear_predictor,
            "recurrence_months": outcome.recurrence_months,
            "admin_censoring_months": outcome.admin_censoring_months,
            "loss_months": outcome.loss_months, "size_mm": p.size_mm,
            "heterogeneity": p.heterogeneity, "necrosis": p.necrosis, "aphe_hu": p.aphe_hu,
            "washout_portal_hu": p.washout_portal_hu,
            "washout_delayed_hu": p.washout_delayed_hu, "capsule": int(p.capsule),
            "afp_true": p.afp, "alb_true": p.alb,
        })
    clinical = pd.DataFrame(rows, columns=list(CLINICAL_COLUMNS))
    rng = np.random.default_rng([seed, STREAM_COHORT])
    for column, rate in MISSING_RATES.items():
        blank = rng.random(len(clinical)) < rate
        kind = "Int64" if pd.api.types.is_integer_dtype(clinical[column]) else "Float64"
        clinical[column] = clinical[column].astype(kind).mask(blank)
    repeat = np.sort(rng.choice(len(patients), size=N_REPEAT, replace=False))
    return Cohort(seed, patients, clinical, pd.DataFrame(truth),
                  tuple(patients[i].patient_id for i in repeat))
