"""Speed of the LASSO-Cox path and its 10-fold cross-validation (issue 5, cv_path_s).

Synthetic cohort (seeded): 300 patients x 4000 z-scored Gaussian features, the log
hazard driven by 10 of them, uniform censoring (about half are events). Prints the
median wall time of a single glmnet-style path and of ``cv_lasso`` (10 folds, 100
lambdas, ``--n-jobs`` workers), the machine's load average (timings on a shared machine
are only comparable at similar load), then one summary line.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sksurv.util import Surv

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from hccdash.stats import cv_lasso, lasso_path  # noqa: E402


def synthetic_cohort(n: int = 300, p: int = 4000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    X = (X - X.mean(axis=0)) / X.std(axis=0, ddof=1)
    beta = np.zeros(p)
    beta[:10] = rng.choice([-1.0, 1.0], 10) * rng.uniform(0.3, 0.8, 10)
    event_time = rng.exponential(np.exp(-X @ beta))
    censor_time = rng.uniform(0, 3 * np.median(event_time), n)
    y = Surv.from_arrays(event=event_time <= censor_time, time=np.minimum(event_time, censor_time))
    return pd.DataFrame(X, columns=[f"portal.f{j}" for j in range(p)]), y


def _median_time(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    X, y = synthetic_cohort(seed=args.seed)
    print(f"data: {X.shape[0]} patients x {X.shape[1]} features, {int(y['event'].sum())} events")
    path_s, path = _median_time(lambda: lasso_path(X, y, "cox"), args.repeats)
    print(f"single path: {path_s:.3f} s, {path.lambdas.size} lambdas, up to {path.n_nonzero.max()} features")
    cv_s, cv = _median_time(lambda: cv_lasso(X, y, "cox", n_folds=10, seed=0, n_jobs=args.n_jobs), args.repeats)
    print(
        f"10-fold CV: {cv_s:.3f} s (n_jobs={args.n_jobs}), lambda.min={cv.lambda_min:.4g} "
        f"({len(cv.path.selected(cv.lambda_min))} features), lambda.1se={cv.lambda_1se:.4g}"
    )
    print(f"load average: {os.getloadavg()[0]:.2f}")
    print(f"path_s={path_s:.3f} cv_path_s={cv_s:.3f}")


if __name__ == "__main__":
    main()
