"""Latent patients of the synthetic HCC sample cohort (see ``hccdash.sample``).

Each patient is drawn from its own random stream, ``numpy.random.default_rng([seed, index,
stream])``, so any patient can be rebuilt alone (tests rebuild a few) and the cohort is
the same on every machine. This module draws what a patient *is*: centre, liver disease,
laboratory values and the tumour's appearance (size, shape, heterogeneity, enhancement,
washout, capsule). ``hccdash.sample.tumour`` turns the appearance into a shape,
``hccdash.sample.images`` into CT phases, ``hccdash.sample.survival`` into an outcome.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

PHASES: tuple[str, ...] = ("arterial", "portal", "delayed")

# random stream ids (third entry of the seed list)
STREAM_PATIENT = 0
STREAM_SURVIVAL = 1
STREAM_IMAGE = 2
STREAM_READER2 = 10  # + phase index
STREAM_COHORT = 99  # cohort-level draws (missing values, repeat subset): rng([seed, 99])


@dataclass(frozen=True)
class CentreProfile:
    """Case mix and scanner of one centre."""

    name: str
    n: int
    hbv: float  # share of HBV-related HCC
    male: float
    age_mean: float
    size_median_mm: float  # median base tumour diameter
    number_probs: tuple[float, float, float]  # 1, 2, 3 tumours
    afp_median: float  # ng/mL
    spacing_xy: float  # in-plane pixel spacing, mm
    noise_sd: float  # CT noise, HU
    portal_shift: float  # liver enhancement offset of this centre's portal timing, HU
    ablation: tuple[float, float, float]  # RFA, MWA, resection for small single tumours


CENTRES: tuple[CentreProfile, ...] = (
    CentreProfile("Centre A", 100, 0.70, 0.80, 58.0, 26.0, (0.78, 0.15, 0.07), 18.0,
                  0.703125, 11.0, 0.0, (0.60, 0.25, 0.15)),
    CentreProfile("Centre B", 50, 0.88, 0.85, 54.0, 33.0, (0.66, 0.22, 0.12), 35.0,
                  0.78125, 14.0, 6.0, (0.20, 0.45, 0.35)),
)
SLICE_MM = 5.0
MIN_SIZE_MM, MAX_SIZE_MM = 10.0, 80.0


@dataclass(frozen=True)
class Lobe:
    """A bulge (amplitude > 0) or notch (< 0) of the tumour surface around a direction."""

    direction: tuple[float, float, float]
    cos_width: float  # the lobe covers directions with cos(angle) > cos_width
    amplitude: float  # relative radius change at the lobe's centre


@dataclass(frozen=True)
class Vessel:
    """A straight hepatic or portal vein branch crossing the crop."""

    point_mm: tuple[float, float, float]  # relative to the image centre
    direction: tuple[float, float, float]
    radius_mm: float
    portal: bool  # portal vein branch (else hepatic vein)


@dataclass(frozen=True)
class Patient:
    """Everything drawn for one patient (clinical truth and tumour appearance)."""

    index: int
    patient_id: str
    centre: CentreProfile
    age: int
    male: bool
    hbv: bool
    cirrhosis: bool
    liver_dysfunction: float  # latent, drives ALB, TBIL, PLT and Child-Pugh
    child_pugh_b: bool
    alb: float
    tbil: float
    alt: float
    ast: float
    plt: float
    nlr: float
    afp: float
    tumour_number: int
    # tumour appearance
    size_mm: float  # base (major in-plane) diameter before lobulation
    axis_ratios: tuple[float, float]  # minor in-plane / major, cranio-caudal / major
    orientation: tuple[float, float]  # in-plane unit vector of the major axis
    lobes: tuple[Lobe, ...]
    heterogeneity: float  # 0 (homogeneous) .. 1 (mosaic, necrotic)
    mosaic_gain: float  # non-prognostic variation of the mosaic's contrast (log-normal, ~1)
    necrosis: float  # necrotic share of the tumour radius, 0 = none
    aphe_hu: float  # arterial-phase enhancement over liver
    washout_portal_hu: float  # liver minus tumour, portal phase
    washout_delayed_hu: float  # liver minus tumour, delayed phase
    capsule: bool
    capsule_mm: float
    capsule_cover: float  # cos threshold of the capsule's extent (-1 = complete)
    capsule_axis: tuple[float, float, float]
    # background and scanner
    liver_hu: tuple[float, float, float]  # per phase
    liver_texture_hu: float
    noise_hu: float
    offset_mm: tuple[float, float, float]  # tumour centre relative to the image centre
    motion_mm: tuple[tuple[float, float, float], ...]  # per phase: breathing shift (x, y, z)
    vessels: tuple[Vessel, ...]


def patient_rng(seed: int, index: int, stream: int) -> np.random.Generator:
    """The random stream ``stream`` of patient ``index`` (platform independent)."""
    return np.random.default_rng([seed, index, stream])


def centre_of(index: int) -> CentreProfile:
    """Centre of the patient at ``index`` (patients are numbered centre by centre)."""
    start = 0
    for centre in CENTRES:
        if index < start + centre.n:
            return centre
        start += centre.n
    raise ValueError(f"patient index {index} is beyond the cohort of {start} patients")


def n_patients() -> int:
    """Cohort size."""
    return sum(c.n for c in CENTRES)


def patient_id(index: int) -> str:
    """``HCC001`` for index 0."""
    return f"HCC{index + 1:03d}"


def unit_vector(rng: np.random.Generator, n: int) -> tuple[float, ...]:
    """A random direction in ``n`` dimensions (normalised Gaussian draws)."""
    v = [float(x) for x in rng.standard_normal(n)]
    norm = math.sqrt(sum(x * x for x in v))
    return tuple(x / norm for x in v)


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def draw_patient(seed: int, index: int) -> Patient:
    """Draw patient ``index`` of the cohort built from ``seed``."""
    centre = centre_of(index)
    rng = patient_rng(seed, index, STREAM_PATIENT)
    normal = rng.standard_normal
    age = int(round(min(84.0, max(28.0, centre.age_mean + 10.0 * normal()))))
    male = bool(rng.random() < centre.male)
    hbv = bool(rng.random() < centre.hbv)
    cirrhosis = bool(rng.random() < 0.62 + 0.18 * hbv)
    dysfunction = float(normal() + 0.6 * cirrhosis)
    child_pugh_b = dysfunction > 1.55
    alb = 41.5 - 2.6 * dysfunction + 2.5 * normal()
    tbil = math.exp(math.log(13.0) + 0.28 * dysfunction + 0.30 * normal())
    plt = min(420.0, max(35.0, 195.0 - 32.0 * dysfunction - 30.0 * cirrhosis + 45.0 * normal()))
    alt = math.exp(math.log(34.0) + 0.2 * hbv + 0.5 * normal())
    ast = alt * math.exp(0.1 + 0.1 * dysfunction + 0.3 * normal())

    size = centre.size_median_mm * math.exp(0.42 * normal())
    size = min(MAX_SIZE_MM, max(MIN_SIZE_MM, size))
    log_size = math.log(size / 30.0)
    number = int(rng.choice(3, p=centre.number_probs)) + 1
    heterogeneity = _logistic(-0.3 + 1.6 * log_size + 1.0 * normal())
    necrosis = max(0.0, heterogeneity - 0.45) * 1.1 if size >= 20.0 else 0.0
    hypovascular = rng.random() < 0.12
    aphe = 5.0 + 4.0 * normal() if hypovascular else 38.0 + 13.0 * normal()
    aphe = min(80.0, max(0.0, aphe))
    washout_portal = min(35.0, max(-5.0, 14.0 + 7.0 * normal()))
    washout_delayed = min(45.0, max(washout_portal, washout_portal + 6.0 + 4.0 * normal()))
    afp = math.exp(math.log(centre.afp_median) + 1.1 * log_size + 1.2 * (heterogeneity - 0.4)
                   + 1.8 * normal())
    afp = min(60000.0, max(1.0, afp))
    nlr = math.exp(math.log(2.1) + 0.15 * log_size + 0.42 * normal())

    axis_ratios = (float(rng.uniform(0.78, 1.0)), float(rng.uniform(0.8, 1.1)))
    orientation = unit_vector(rng, 2)
    irregularity = float(rng.uniform(0.0, 1.0)) * (0.5 + 0.5 * heterogeneity)
    lobes = tuple(
        Lobe(unit_vector(rng, 3), float(rng.uniform(0.55, 0.85)),
             float(irregularity * rng.uniform(0.08, 0.22) * rng.choice((-1.0, 1.0, 1.0))))
        for _ in range(int(rng.integers(3, 7)))
    )
    capsule = bool(rng.random() < 0.45 + 0.2 * (size > 20.0))
    capsule_mm = float(rng.uniform(1.0, 2.0))
    capsule_cover = float(rng.uniform(-1.0, 0.2))
    capsule_axis = unit_vector(rng, 3)

    liver = (72.0 + 5.0 * normal(),
             108.0 + centre.portal_shift - 4.0 * cirrhosis + 7.0 * normal(),
             93.0 - 2.0 * cirrhosis + 5.0 * normal())
    liver_texture = 3.0 + 4.0 * cirrhosis + float(rng.uniform(0.0, 2.0))
    noise = centre.noise_sd * float(rng.uniform(0.9, 1.15))
    offset = (float(rng.uniform(-3, 3)), float(rng.uniform(-3, 3)), float(rng.uniform(-2, 2)))
    motion = tuple((0.6 * normal(), 0.6 * normal(), 1.2 * normal()) for _ in PHASES)
    vessels = tuple(
        Vessel(tuple(float(x) for x in rng.uniform(-25.0, 25.0, 3)), unit_vector(rng, 3),
               float(rng.uniform(1.5, 3.5)), bool(rng.random() < 0.5))
        for _ in range(int(rng.integers(1, 4)))
    )
    mosaic_gain = math.exp(0.3 * normal())
    return Patient(
        index=index, patient_id=patient_id(index), centre=centre, age=age, male=male, hbv=hbv,
        cirrhosis=cirrhosis, liver_dysfunction=dysfunction, child_pugh_b=child_pugh_b,
        alb=alb, tbil=tbil, alt=alt, ast=ast, plt=plt, nlr=nlr, afp=afp,
        tumour_number=number, size_mm=size, axis_ratios=axis_ratios, orientation=orientation,
        lobes=lobes, heterogeneity=heterogeneity, mosaic_gain=mosaic_gain, necrosis=necrosis,
        aphe_hu=aphe,
        washout_portal_hu=washout_portal, washout_delayed_hu=washout_delayed,
        capsule=capsule, capsule_mm=capsule_mm, capsule_cover=capsule_cover,
        capsule_axis=capsule_axis, liver_hu=liver, liver_texture_hu=liver_texture,
        noise_hu=noise, offset_mm=offset, motion_mm=motion, vessels=vessels,
    )
