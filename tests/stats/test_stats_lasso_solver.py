"""The LASSO solver's shortcuts (their results against glmnet are in test_stats_lasso.py):
the warm start extrapolated along the path, and the quadratic subproblem solved in one linear
solve when its minimiser keeps the start's signs."""

from __future__ import annotations

import numpy as np

from hccdash.stats.lasso_qp import Curvature, _coordinate_descent, _keeping_signs, quadratic_lasso
from hccdash.stats.lasso_solver import _predicted_start


def test_the_warm_start_extrapolates_the_previous_solutions_polynomial():
    lams = np.array([0.5, 0.4, 0.3])
    path = lambda lam: np.array([0.0, 1.0 - lam ** 2, -2.0 + lam])  # noqa: E731 - quadratic in lambda
    betas = np.column_stack([path(lam) for lam in lams])
    np.testing.assert_allclose(_predicted_start(lams, betas, 0.2, betas[:, -1]), path(0.2), rtol=1e-12)
    # a feature that entered at the last lambda: only the last two columns share its support (a line)
    entered = betas.copy()
    entered[0] = [0.0, 0.1, 0.3]
    line = entered[:, 2] + (entered[:, 2] - entered[:, 1]) * (0.2 - 0.3) / (0.3 - 0.4)
    np.testing.assert_allclose(_predicted_start(lams, entered, 0.2, entered[:, -1]), line, rtol=1e-12)
    # a single solution, a support change at the last lambda, an extrapolated sign change: the last solution
    assert np.array_equal(_predicted_start(lams[:1], betas[:, :1], 0.2, betas[:, 0]), betas[:, 0])
    left = betas.copy()
    left[1, -1] = 0.0
    assert np.array_equal(_predicted_start(lams, left, 0.2, left[:, -1]), left[:, -1])
    crossing = np.array([[0.3, 0.2, 0.1]])  # the polynomial through it is 0 at 0.2 and negative below
    assert np.array_equal(_predicted_start(lams, crossing, 0.1, crossing[:, -1]), crossing[:, -1])


def test_the_sign_keeping_shortcut_gives_the_quadratic_lasso_minimiser():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((30, 6))
    curvature = Curvature(A.T @ A / 30)
    b0 = np.array([0.8, -0.6, 0.0, 0.5, 0.0, 0.0])
    l = np.r_[0.0, np.full(5, 0.05)]  # the first coefficient free, as the logistic intercept
    shortcut = 0
    for scale in (0.01, 0.05, 0.5):
        g = scale * rng.standard_normal(6)
        expected = _coordinate_descent(curvature.H, g, b0, l, b0.copy())
        got = _keeping_signs(curvature, g, b0, l)
        if got is not None:  # then it is the minimiser, with b0's support and signs
            shortcut += 1
            np.testing.assert_allclose(got, expected, atol=1e-9)
            assert np.array_equal(np.sign(got[1:]), np.sign(b0[1:]))
        np.testing.assert_allclose(quadratic_lasso(curvature, g, b0, l), expected, atol=1e-9)
    assert shortcut == 1  # the smallest gradient keeps the signs; the larger ones move zeros or flip signs
