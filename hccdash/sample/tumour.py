"""Tumour geometry of the synthetic cohort: the crop grid, the tumour surface, the masks of
both readers and the longest axial diameter a radiologist would measure.

The surface is an ellipsoid with lobes (bulges and notches around random directions),
evaluated analytically on voxel positions. Only additions, multiplications, divisions and
square roots enter voxel values, which IEEE 754 rounds identically on every machine, so
the masks are the same bit for bit everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hccdash.sample.patients import (
    PHASES,
    SLICE_MM,
    STREAM_READER2,
    Lobe,
    Patient,
    patient_rng,
    unit_vector,
)

MARGIN_XY_MM = 15.0  # liver kept around the tumour in-plane (room for LoG sigma 5 mm)
MARGIN_Z_MM = 10.0
MIN_XY_VOXELS = 64
MIN_Z_VOXELS = 12


@dataclass(frozen=True)
class Grid:
    """Voxel grid of one patient's crop; arrays are indexed (z, y, x)."""

    shape: tuple[int, int, int]
    spacing: tuple[float, float, float]  # (x, y, z) mm, as SimpleITK

    def axes_mm(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Voxel-centre coordinates (x, y, z) in mm relative to the crop centre."""
        nz, ny, nx = self.shape
        sx, sy, sz = self.spacing
        return tuple(
            (np.arange(n, dtype=float) - (n - 1) / 2.0) * s
            for n, s in ((nx, sx), (ny, sy), (nz, sz))
        )

    @property
    def origin(self) -> tuple[float, float, float]:
        """Physical position of voxel (0, 0, 0) so that the crop is centred on 0."""
        nz, ny, nx = self.shape
        return tuple(-(n - 1) / 2.0 * s for n, s in zip((nx, ny, nz), self.spacing))


@dataclass(frozen=True)
class Outline:
    """How one reader draws the tumour (reader 1 draws the true surface)."""

    shift_mm: tuple[float, float, float] = (0.0, 0.0, 0.0)
    grow_mm: float = 0.0  # > 0 dilates, < 0 erodes the contour
    lobe_scale: float = 1.0  # < 1 smooths the lobulation
    wobble: tuple[Lobe, ...] = ()  # the reader's own small bulges and notches


def grid_for(patient: Patient) -> Grid:
    """Crop holding the tumour with MARGIN_XY_MM of liver in-plane and MARGIN_Z_MM in z."""
    sxy = patient.centre.spacing_xy
    bulge = 1.0 + sum(max(0.0, lobe.amplitude) for lobe in patient.lobes)
    extent_xy = patient.size_mm * bulge + 2.0 * (MARGIN_XY_MM + 3.0 + 2.0)
    extent_z = patient.size_mm * patient.axis_ratios[1] * bulge + 2.0 * (MARGIN_Z_MM + 2.0 + 3.0)
    nxy = max(MIN_XY_VOXELS, 2 * math.ceil(extent_xy / sxy / 2.0))
    nz = max(MIN_Z_VOXELS, math.ceil(extent_z / SLICE_MM))
    return Grid((nz, nxy, nxy), (sxy, sxy, SLICE_MM))


def reader2_outline(seed: int, patient: Patient, phase_index: int) -> Outline:
    """The second reader's contour on one phase: dilated or eroded by about one voxel,
    shifted by up to a voxel, smoother or with small bulges of its own."""
    rng = patient_rng(seed, patient.index, STREAM_READER2 + phase_index)
    normal = rng.standard_normal
    shift = (0.5 * normal(), 0.5 * normal(), 1.0 * normal())
    grow = 0.3 + 0.7 * normal()
    wobble = tuple(Lobe(unit_vector(rng, 3), float(rng.uniform(0.5, 0.8)),
                        float(rng.uniform(-0.06, 0.06))) for _ in range(4))
    return Outline(shift, grow, float(rng.uniform(0.6, 1.0)), wobble)


@dataclass(frozen=True)
class Fields:
    """Geometry of the tumour at each position."""

    distance_mm: np.ndarray  # signed radial distance to the surface (< 0 inside)
    depth: np.ndarray  # 0 at the centre, 1 on the surface
    direction: tuple[np.ndarray, np.ndarray, np.ndarray]  # unit direction from the centre


def tumour_fields(patient: Patient, x: np.ndarray, y: np.ndarray, z: np.ndarray,
                  outline: Outline = Outline()) -> Fields:
    """Signed distance, depth and direction of positions (mm, relative to the tumour centre)."""
    x = x - outline.shift_mm[0]
    y = y - outline.shift_mm[1]
    z = z - outline.shift_mm[2]
    ox, oy = patient.orientation
    a = patient.size_mm / 2.0
    u = (ox * x + oy * y) / a
    v = (ox * y - oy * x) / (a * patient.axis_ratios[0])
    w = z / (a * patient.axis_ratios[1])
    rho = np.sqrt(u * u + v * v + w * w)
    safe = np.maximum(rho, 1e-9)
    direction = (u / safe, v / safe, w / safe)
    surface = 1.0 + _lobes(patient.lobes, direction, outline.lobe_scale)
    surface = surface + _lobes(outline.wobble, direction, 1.0)
    surface = np.maximum(surface, 0.4)
    radius_mm = np.sqrt(x * x + y * y + z * z)
    distance = radius_mm * (rho - surface) / safe - outline.grow_mm
    return Fields(distance, rho / surface, direction)


def _lobes(lobes: tuple[Lobe, ...], direction, scale: float):
    total = 0.0
    for lobe in lobes:
        cos = (direction[0] * lobe.direction[0] + direction[1] * lobe.direction[1]
               + direction[2] * lobe.direction[2])
        reach = np.maximum(cos - lobe.cos_width, 0.0) / (1.0 - lobe.cos_width)
        total = total + (lobe.amplitude * scale) * (reach * reach)
    return total


def tumour_centre(patient: Patient, phase_index: int) -> tuple[float, float, float]:
    """Tumour centre (mm, relative to the crop centre) in one phase, breathing included."""
    return tuple(o + m for o, m in zip(patient.offset_mm, patient.motion_mm[phase_index]))


def tumour_box(patient: Patient, grid: Grid, phase_index: int, outline: Outline = Outline(),
               margin_mm: float = 0.0) -> tuple[slice, slice, slice]:
    """(z, y, x) slices of the crop that hold every voxel within ``margin_mm`` of the tumour."""
    bulge = 1.0 + sum(max(0.0, lobe.amplitude) * outline.lobe_scale for lobe in patient.lobes)
    bulge += sum(max(0.0, lobe.amplitude) for lobe in outline.wobble)
    reach = (patient.size_mm / 2.0 * max(1.0, *patient.axis_ratios) * bulge
             + abs(outline.grow_mm) + margin_mm + 1.0)
    centre = tumour_centre(patient, phase_index)
    nz, ny, nx = grid.shape
    box = []
    for c, shift, n, s in zip(centre, outline.shift_mm, (nx, ny, nz), grid.spacing):
        mid = (n - 1) / 2.0
        lo = max(0, math.floor((c + shift - reach) / s + mid))
        hi = min(n, math.ceil((c + shift + reach) / s + mid) + 1)
        box.append(slice(lo, hi))
    return box[2], box[1], box[0]


def mask(patient: Patient, grid: Grid, phase_index: int,
         outline: Outline = Outline()) -> np.ndarray:
    """uint8 mask (z, y, x): 1 where the voxel centre lies inside the reader's contour."""
    xs, ys, zs = grid.axes_mm()
    cx, cy, cz = tumour_centre(patient, phase_index)
    bz, by, bx = tumour_box(patient, grid, phase_index, outline)
    fields = tumour_fields(patient, xs[None, None, bx] - cx, ys[None, by, None] - cy,
                           zs[bz, None, None] - cz, outline)
    out = np.zeros(grid.shape, dtype=np.uint8)
    out[bz, by, bx] = fields.distance_mm <= 0.0
    return out


def longest_axial_diameter_mm(mask_zyx: np.ndarray, spacing_xy: float) -> float:
    """Longest in-slice extent of a mask, edge to edge (max distance between the centres of
    two boundary voxels of one slice, plus one voxel), as measured on an axial CT slice."""
    best = 0.0
    for plane in mask_zyx.astype(bool):
        if not plane.any():
            continue
        padded = np.pad(plane, 1)
        interior = (padded[1:-1, 1:-1] & padded[:-2, 1:-1] & padded[2:, 1:-1]
                    & padded[1:-1, :-2] & padded[1:-1, 2:])
        iy, ix = np.nonzero(plane & ~interior)
        dy = iy[:, None] - iy[None, :]
        dx = ix[:, None] - ix[None, :]
        best = max(best, math.sqrt(float((dx * dx + dy * dy).max())))
    return (best + 1.0) * spacing_xy


def measured_diameter_mm(patient: Patient) -> float:
    """The clinical table's tumour diameter: longest axial diameter of the reader-1 portal
    mask, rounded to the millimetre."""
    grid = grid_for(patient)
    portal = PHASES.index("portal")
    return float(round(longest_axial_diameter_mm(mask(patient, grid, portal), grid.spacing[0])))
