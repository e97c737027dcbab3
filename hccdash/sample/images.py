"""CT phases of the synthetic cohort: liver background, tumour appearance, noise, NIfTI.

Each phase is rendered from the patient's appearance (``hccdash.sample.patients``) on the
crop grid (``hccdash.sample.tumour``):

* liver: phase-typical attenuation (arterial ~72, portal ~108, delayed ~93 HU) with a
  parenchymal texture (coarser and stronger in cirrhosis) and a few hepatic or portal vein
  branches;
* tumour: arterial hyper-enhancement (APHE) and portal / delayed washout relative to the
  liver, a mosaic of internal compartments whose contrast grows with heterogeneity (times
  a non-prognostic, patient-specific gain), a
  non-enhancing necrotic core in heterogeneous tumours, and an enhancing capsule in the
  portal and delayed phases when present;
* partial volume at the tumour edge (1 mm ramp in-plane, three sub-slices averaged across
  the 5 mm slice) and spatially correlated CT noise;
* rounded to int16 HU.

Random fields come from ``numpy.random.default_rng`` and are smoothed by repeated
[1, 2, 1] / 4 passes (additions and multiplications by powers of two only), and every voxel
value is built from +, -, *, / and sqrt, which IEEE 754 rounds identically everywhere: the
voxel values are the same bit for bit on every machine. No FFT, BLAS or threaded path is
used.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from hccdash.sample.patients import PHASES, STREAM_IMAGE, Patient, patient_rng
from hccdash.sample.tumour import Grid, tumour_box, tumour_centre, tumour_fields

EDGE_MM = 1.0  # width of the partial-volume ramp at the tumour surface
SUB_SLICES = (-1.0 / 3.0, 0.0, 1.0 / 3.0)  # sub-slice positions, in slices
NECROSIS_HU = 28.0
# per phase: (arterial, portal, delayed)
VESSEL_HU = {True: (135.0, 185.0, 135.0), False: (90.0, 165.0, 128.0)}  # portal / hepatic vein
MOSAIC_HU = ((6.0, 28.0), (4.0, 16.0), (3.0, 10.0))  # (base, per unit heterogeneity)
CAPSULE_HU = (-4.0, 14.0, 22.0)
TEXTURE_WEIGHT = (0.8, 1.0, 0.9)


def smooth(field: np.ndarray, passes_xy: int, passes_z: int) -> np.ndarray:
    """Repeated [1, 2, 1] / 4 filtering along x and y (``passes_xy``) and z, edges replicated."""
    for axis, passes in ((2, passes_xy), (1, passes_xy), (0, passes_z)):
        for _ in range(passes):
            field = _binomial_pass(field, axis)
    return field


def _binomial_pass(field: np.ndarray, axis: int) -> np.ndarray:
    n = field.shape[axis]

    def part(start: int, stop: int) -> tuple[slice, ...]:
        return (slice(None),) * axis + (slice(start, stop),)

    out = np.empty_like(field)
    mid = field[part(1, n - 1)]
    out[part(1, n - 1)] = (field[part(0, n - 2)] + field[part(2, n)]) + (mid + mid)
    first, last = field[part(0, 1)], field[part(n - 1, n)]
    out[part(0, 1)] = (first + field[part(1, 2)]) + (first + first)
    out[part(n - 1, n)] = (field[part(n - 2, n - 1)] + last) + (last + last)
    out *= 0.25
    return out


def smoothed_sd(passes_xy: int, passes_z: int) -> float:
    """Standard deviation of unit white noise after :func:`smooth` (away from the edges):
    a binomial kernel of order 2p has sum of squared weights C(4p, 2p) / 16^p."""
    def factor(p: int) -> float:
        return math.comb(4 * p, 2 * p) / 16.0**p
    return math.sqrt(factor(passes_xy) ** 2 * factor(passes_z))


def unit_field(rng: np.random.Generator, shape, passes_xy: int, passes_z: int) -> np.ndarray:
    """Smoothed Gaussian random field with unit standard deviation."""
    noise = rng.standard_normal(shape)
    return smooth(noise, passes_xy, passes_z) * (1.0 / smoothed_sd(passes_xy, passes_z))


def coarse_field(rng: np.random.Generator, shape, passes_xy: int, passes_z: int) -> np.ndarray:
    """Smooth random field drawn on a grid twice as coarse in-plane (``passes_xy`` counted
    there), then linearly interpolated to ``shape`` (even in-plane sizes): a quarter of the
    work of :func:`unit_field` for textures of several voxels. Standard deviation ~1."""
    nz, ny, nx = shape
    field = unit_field(rng, (nz, ny // 2 + 1, nx // 2 + 1), passes_xy, passes_z)
    for axis in (1, 2):
        n = field.shape[axis]
        fine = np.empty(field.shape[:axis] + (2 * n - 1,) + field.shape[axis + 1:])
        even = (slice(None),) * axis + (slice(0, None, 2),)
        odd = (slice(None),) * axis + (slice(1, None, 2),)
        head = (slice(None),) * axis + (slice(0, n - 1),)
        tail = (slice(None),) * axis + (slice(1, n),)
        fine[even] = field
        fine[odd] = (field[head] + field[tail]) * 0.5
        field = fine
    return field[:, :ny, :nx]


def render_patient(seed: int, patient: Patient, grid: Grid) -> list[np.ndarray]:
    """int16 HU volumes (z, y, x), one per phase of ``PHASES``.

    The anatomy (parenchymal texture, the tumour's compartments and necrosis) is drawn
    once and seen in every phase; enhancement, breathing shift and noise differ per phase.
    """
    rng = patient_rng(seed, patient.index, STREAM_IMAGE)
    shape = grid.shape
    liver_texture = coarse_field(rng, shape, 2, 1)
    mosaic = np.clip(1.6 * coarse_field(rng, shape, 4, 1), -1.0, 1.0)
    necrosis_jitter = coarse_field(rng, shape, 3, 1)
    xs, ys, zs = grid.axes_mm()
    x = xs[None, None, :]
    y = ys[None, :, None]
    sub_z = [(zs + sub * grid.spacing[2])[:, None, None] for sub in SUB_SLICES]
    vessels = [_vessel_weights(patient, x, y, z) for z in sub_z]
    return [
        _render_phase(patient, grid, phase, x, y, sub_z, vessels, liver_texture, mosaic,
                      necrosis_jitter, unit_field(rng, shape, 1, 0))
        for phase in range(len(PHASES))
    ]


def _render_phase(patient: Patient, grid: Grid, phase: int, x, y, sub_z, vessels,
                  liver_texture, mosaic, necrosis_jitter, noise) -> np.ndarray:
    cx, cy, cz = tumour_centre(patient, phase)
    texture = patient.liver_texture_hu * TEXTURE_WEIGHT[phase]
    liver = patient.liver_hu[phase] + texture * liver_texture
    base, per_h = MOSAIC_HU[phase]
    delta = (patient.aphe_hu, -patient.washout_portal_hu, -patient.washout_delayed_hu)[phase]
    contrast = (base + per_h * patient.heterogeneity) * patient.mosaic_gain
    tumour = (liver + delta) + contrast * mosaic
    box = tumour_box(patient, grid, phase, margin_mm=EDGE_MM + grid.spacing[2] / 2.0)
    bz, by, bx = box
    tumour = tumour[box]
    necrosis_jitter = necrosis_jitter[box]
    total = np.zeros(grid.shape)
    for z, vessel_weights in zip(sub_z, vessels):
        background = liver
        for weight, vessel in zip(vessel_weights, patient.vessels):
            background = background + (VESSEL_HU[vessel.portal][phase] - background) * weight
        # outside the box the tumour weight is exactly 0: the voxels keep the background
        fields = tumour_fields(patient, x[:, :, bx] - cx, y[:, by, :] - cy, z[bz] - cz)
        inside = np.clip(0.5 - fields.distance_mm * (1.0 / EDGE_MM), 0.0, 1.0)
        content = tumour
        if patient.necrosis > 0.0:
            core = np.clip((patient.necrosis - fields.depth - 0.12 * necrosis_jitter) * 8.0,
                           0.0, 1.0)
            content = content + (NECROSIS_HU - content) * core
        if patient.capsule:
            content = content + CAPSULE_HU[phase] * _capsule(patient, fields)
        mixed = background.copy()
        mixed[box] = mixed[box] + (content - mixed[box]) * inside
        total = total + mixed
    image = total * (1.0 / len(SUB_SLICES)) + patient.noise_hu * noise
    return np.rint(np.clip(image, -1024.0, 3071.0)).astype(np.int16)


def _vessel_weights(patient: Patient, x, y, z) -> list[np.ndarray]:
    """Partial-volume weight of each vein branch (straight tube, 0.8 mm soft edge)."""
    weights = []
    for vessel in patient.vessels:
        px, py, pz = (x - vessel.point_mm[0], y - vessel.point_mm[1], z - vessel.point_mm[2])
        dx, dy, dz = vessel.direction
        along = px * dx + py * dy + pz * dz
        ex, ey, ez = px - along * dx, py - along * dy, pz - along * dz
        dist = np.sqrt(ex * ex + ey * ey + ez * ez)
        weights.append(np.clip((vessel.radius_mm - dist) * (1.0 / 0.8) + 0.5, 0.0, 1.0))
    return weights


def _capsule(patient: Patient, fields) -> np.ndarray:
    """Weight of the capsule: a band of ``capsule_mm`` inside the surface, over the part of
    the circumference facing ``capsule_axis``."""
    band = np.clip((fields.distance_mm + patient.capsule_mm) * 2.0, 0.0, 1.0)
    ax, ay, az = patient.capsule_axis
    facing = (fields.direction[0] * ax + fields.direction[1] * ay + fields.direction[2] * az)
    cover = np.clip((facing - patient.capsule_cover) * 4.0, 0.0, 1.0)
    return band * cover


def write_nifti(array_zyx: np.ndarray, grid: Grid, path: Path) -> None:
    """Write a (z, y, x) array as NIfTI with the grid's spacing and origin (gzip if .gz)."""
    image = sitk.GetImageFromArray(array_zyx)
    image.SetSpacing(grid.spacing)
    image.SetOrigin(grid.origin)
    path.parent.mkdir(parents=True, exist_ok=True)
    sitk.WriteImage(image, str(path), useCompression=path.name.endswith(".gz"))
