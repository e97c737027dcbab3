"""R's ``pretty()``: about n+1 equally spaced round values covering a range.

A port of R 4.2's ``pretty.default`` (base R) and the C routine ``R_pretty``
(src/appl/pretty.c) with their defaults, including the ``seq.int(l, u, length.out)``
arithmetic and the zapping of near-zero values, so axis ticks equal R's.
"""

from __future__ import annotations

import math
import sys

import numpy as np

_EPS = sys.float_info.epsilon
_ROUNDING_EPS = 1e-10


def pretty(x, n: int = 5, min_n: int | None = None, shrink_sml: float = 0.75,
           high_u_bias: float = 1.5, u5_bias: float | None = None,
           f_min: float = 2.0**-20) -> np.ndarray:
    """``pretty(x, n)`` of R over the finite values of ``x`` (base R defaults)."""
    values = np.asarray(x, dtype=float).ravel()
    values = values[np.isfinite(values)]
    if values.size == 0:
        return values
    min_n = n // 3 if min_n is None else min_n
    u5_bias = 0.5 + 1.5 * high_u_bias if u5_bias is None else u5_bias
    lo, up, ndiv = _r_pretty(float(values.min()), float(values.max()), n, min_n, shrink_sml,
                             high_u_bias, u5_bias, f_min)
    s = _seq_length_out(lo, up, ndiv + 1)
    if ndiv:
        delta = (max(lo, up) - min(lo, up)) / ndiv
        s[np.abs(s) < 1e-14 * delta] = 0.0
    return s


def _r_pretty(lo: float, up: float, ndiv: int, min_n: int, shrink_sml: float,
              h: float, h5: float, f_min: float) -> tuple[float, float, int]:
    """R_pretty with return_bounds = TRUE and eps_correction = 0: (lo, up, ndiv)."""
    dx = up - lo
    if dx == 0 and up == 0:
        cell, i_small = 1.0, True
    else:
        cell = max(abs(lo), abs(up))
        u = 1 + (1 / (1 + h) if h5 >= 1.5 * h + 0.5 else 1.5 / (1 + h5))
        u *= max(1, ndiv) * _EPS
        i_small = dx < cell * u * 3
    if i_small:
        if cell > 10:
            cell = 9 + cell / 10
        cell *= shrink_sml
        if min_n > 1:
            cell /= min_n
    else:
        cell = dx
        if ndiv > 1:
            cell /= ndiv
    subsmall = f_min * sys.float_info.min or sys.float_info.min
    cell = max(cell, subsmall)
    base = 10.0 ** math.floor(math.log10(cell))
    unit = base
    if 2 * base - cell < h * (cell - unit):
        unit = 2 * base
        if 5 * base - cell < h5 * (cell - unit):
            unit = 5 * base
            if 10 * base - cell < h * (cell - unit):
                unit = 10 * base
    ns = math.floor(lo / unit + _ROUNDING_EPS)
    nu = math.ceil(up / unit - _ROUNDING_EPS)
    while ns * unit > lo + _ROUNDING_EPS * unit:
        ns -= 1
    while nu * unit < up - _ROUNDING_EPS * unit:
        nu += 1
    k = int(0.5 + nu - ns)
    if k < min_n:
        k = min_n - k
        if ns >= 0:
            nu += k // 2
            ns -= k // 2 + k % 2
        else:
            ns -= k // 2
            nu += k // 2 + k % 2
        ndiv = min_n
    else:
        ndiv = k
    if ns * unit < lo:
        lo = ns * unit
    if nu * unit > up:
        up = nu * unit
    return lo, up, ndiv


def _seq_length_out(start: float, end: float, length: int) -> np.ndarray:
    """R's ``seq.int(from, to, length.out)``: from + i * by, the last value exactly ``to``."""
    out = start + np.arange(length) * ((end - start) / (length - 1) if length > 1 else 0.0)
    out[-1] = end
    return out
