"""Speed of the LASSO-Cox path and its 10-fold cross-validation (issue 5, cv_path_s).

Synthetic cohort (seeded): 300 patients x 4000 z-scored Gaussian features, the log
hazard driven by 10 of them, uniform censoring (about half are events). Prints the
median wall time of a single glmnet-style path and of ``cv_lasso`` (10 folds, 100
lambdas, ``--n-jobs`` workers), the machine's load average (timings on a shared machine
are only comparable at similar load), then one summary line.

Then the sample cohort's size (what one "Correlation threshold" or "mRMR k" move of Model
building refits: 105 patients x 20 features, about 40 events): the 11 path fits of the
10-fold CV (``lasso_cv.fit_paths``) serially and in ``--n-jobs`` processes, each timed
against the same fits by the solver of git revision ``--baseline`` (its four ``lasso_*``
modules loaded beside this one, runs interleaved), as ratios baseline / now (> 1: faster).
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sksurv.util import Surv

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from hccdash.stats import cv_lasso, lasso_cv, lasso_path  # noqa: E402
from hccdash.stats.lasso import _problem  # noqa: E402

SAMPLE_CENSORING = 1.2  # about 40 events of 105, as the sample cohort's training set (39)
SOLVER_MODULES = ("lasso_cv", "lasso_solver", "lasso_families", "lasso_qp")
BASELINE = "d87d85b"  # main before the solver's speed-up (warm-start prediction, fresh Hessians, LAPACK)


def synthetic_cohort(n: int = 300, p: int = 4000, seed: int = 0, censoring: float = 3.0) -> tuple[pd.DataFrame, np.ndarray]:
    """Censoring times uniform on (0, ``censoring`` x the median event time)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    X = (X - X.mean(axis=0)) / X.std(axis=0, ddof=1)
    beta = np.zeros(p)
    beta[:10] = rng.choice([-1.0, 1.0], 10) * rng.uniform(0.3, 0.8, 10)
    event_time = rng.exponential(np.exp(-X @ beta))
    censor_time = rng.uniform(0, censoring * np.median(event_time), n)
    y = Surv.from_arrays(event=event_time <= censor_time, time=np.minimum(event_time, censor_time))
    return pd.DataFrame(X, columns=[f"portal.f{j}" for j in range(p)]), y


def _median_time(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def baseline_solver(revision: str, folder: Path):
    """``lasso_cv`` of git ``revision``, importable (also by worker processes) as ``lasso_baseline.lasso_cv``."""
    package = folder / "lasso_baseline"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in SOLVER_MODULES:
        text = subprocess.run(["git", "-C", str(ROOT), "show", f"{revision}:hccdash/stats/{name}.py"],
                              capture_output=True, text=True, check=True).stdout
        (package / f"{name}.py").write_text(text.replace("hccdash.stats.lasso_", "lasso_baseline.lasso_"))
    sys.path.insert(0, str(folder))
    os.environ["PYTHONPATH"] = os.pathsep.join([str(folder), str(ROOT), os.environ.get("PYTHONPATH", "")])
    return importlib.import_module("lasso_baseline.lasso_cv")


def sample_sized(cv_module, seed: int):
    """``fit_paths`` arguments of a sample-cohort-sized CV, built with ``cv_module``'s classes."""
    X, y = synthetic_cohort(n=105, p=20, seed=seed, censoring=SAMPLE_CENSORING)
    _, problem = _problem(X, y, "cox", 1e-10)
    families = sys.modules[cv_module.__name__.replace("lasso_cv", "lasso_families")]
    solver = sys.modules[cv_module.__name__.replace("lasso_cv", "lasso_solver")]
    family = families.CoxFamily(problem.family.time, problem.family.event)
    foldid = lasso_cv.fold_ids(105, 10, 0)[np.argsort(np.asarray(y["time"]), kind="stable")]
    return solver.Problem(problem.X, family, problem.penalty, problem.tol), foldid


def compare_sample_sized(before, revision: str, repeats: int, n_jobs: int, seed: int) -> None:
    """Print the sample-sized timings of this solver and of ``before`` (a baseline ``lasso_cv``)."""
    if before is None:
        print(f"sample-sized CV: no baseline (git show {revision} failed); --baseline names a git revision")
        return
    cases = {"now": (lasso_cv, sample_sized(lasso_cv, seed)), "baseline": (before, sample_sized(before, seed))}
    times = {(name, jobs): [] for name in cases for jobs in (1, n_jobs)}
    fits = {}
    for _ in range(repeats + 1):  # the first round warms the worker processes up, untimed
        for jobs in (1, n_jobs):
            for name, (module, (problem, foldid)) in cases.items():
                start = time.perf_counter()
                fits[name] = module.fit_paths(problem, foldid, None, (100, None), jobs)
                times[name, jobs].append(time.perf_counter() - start)
    median = {key: statistics.median(values[1:]) for key, values in times.items()}
    now, old = fits["now"], fits["baseline"]
    gap = max(np.abs(now[0].coefs - old[0].coefs).max(), *(np.abs(a - b).max() for a, b in zip(now[1], old[1])))
    serial = median["baseline", 1] / median["now", 1]
    parallel = median["baseline", n_jobs] / median["now", n_jobs]
    events = int(cases["now"][1][0].family.event.sum())
    print(f"sample-sized CV (105 x 20, {events} events, {now[0].lambdas.size} lambdas, "
          f"11 path fits): serial {median['now', 1]:.3f} s (baseline {median['baseline', 1]:.3f} s), "
          f"{n_jobs} processes {median['now', n_jobs]:.3f} s (baseline {median['baseline', n_jobs]:.3f} s); "
          f"largest coefficient difference {gap:.1e}")
    print(f"sample_serial_s={median['now', 1]:.3f} sample_parallel_s={median['now', n_jobs]:.3f} "
          f"sample_serial_ratio={serial:.2f} sample_parallel_ratio={parallel:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--baseline", default=BASELINE, help="git revision whose LASSO solver the sample-sized case is timed against")
    parser.add_argument("--sample-only", action="store_true", help="only the sample-sized comparison")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:  # before any worker process starts: they import it too
        try:
            before = baseline_solver(args.baseline, Path(folder))
        except (subprocess.CalledProcessError, OSError):
            before = None
        if not args.sample_only:
            time_the_large_case(args)
        compare_sample_sized(before, args.baseline, max(args.repeats, 5), args.n_jobs, args.seed)


def time_the_large_case(args: argparse.Namespace) -> None:
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
