"""Benchmark of model building: page refits after each slider move, and the CV LASSO-Cox path.

300 synthetic patients x 4000 features (seeded, ``tests/synthetic_cohort.py``) with 30
repeat segmentations and 5 clinical variables. After one warm-up build (what the page does
on first opening: ICC, correlation matrix, univariable Cox, ...), each slider is moved
through values not seen before and the library call the page makes
(``ModelBuilder.build``: refit + C-index on both splits) is timed; the median per slider
is printed. Then the 10-fold cross-validated LASSO-Cox path on all 4000 z-scored
features (the pipeline with every pre-filter off) is timed once.

Last line: ``lambda_ms=<median> other_ms=<slowest other slider median> cv_path_s=<seconds>``
(targets on 2 cores: lambda_ms < 100, other_ms < 1000, cv_path_s < 5).
"""

from __future__ import annotations

import dataclasses
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # synthetic_cohort (test data)

from hccdash.modeling.builder import ModelBuilder  # noqa: E402
from hccdash.modeling.controls import with_lambda  # noqa: E402
from hccdash.selection import LassoSelector, Standardizer  # noqa: E402
from hccdash.settings import Settings  # noqa: E402
from synthetic_cohort import synthetic_inputs  # noqa: E402

N_PATIENTS, N_FEATURES, SEED = 300, 4000, 0
SLIDERS = {
    "icc_threshold": [0.7, 0.8, 0.85, 0.9, 0.65, 0.6, 0.95],
    "correlation_threshold": [0.85, 0.8, 0.95, 0.75, 0.7, 0.88, 0.92],
    "mrmr_k": [15, 25, 10, 30, 18, 22, 12],
}


def _timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main() -> None:
    warnings.simplefilter("ignore")  # guardrail messages (null model at the top of the path, EPV) are expected
    inputs = synthetic_inputs(N_PATIENTS, N_FEATURES, SEED)
    builder = ModelBuilder(inputs)
    settings = Settings()
    warm = _timed(lambda: builder.build(settings))
    base = builder.build(settings)
    print(f"data: {N_PATIENTS} patients x {N_FEATURES} features; first build (cold caches) {warm:.2f} s; "
          f"funnel: {base.funnel_text()}")
    medians = {}
    for name, values in SLIDERS.items():
        times = []
        for value in values:
            moved = dataclasses.replace(settings, selection=dataclasses.replace(settings.selection, **{name: value}))
            times.append(_timed(lambda: builder.build(moved)))
        medians[name] = statistics.median(times)
        print(f"{name}: median {1000 * medians[name]:.0f} ms over {len(values)} new values "
              f"(min {1000 * min(times):.0f}, max {1000 * max(times):.0f})")
    lambdas = base.lasso.cv_.lambdas
    picks = [float(lambdas[i]) for i in range(0, len(lambdas), max(1, len(lambdas) // 9))]
    lambda_times = [_timed(lambda: builder.build(with_lambda(settings, lam))) for lam in picks]
    lambda_ms = 1000 * statistics.median(lambda_times)
    print(f"lasso_lambda: median {lambda_ms:.0f} ms over {len(picks)} lambdas of the path")

    train = base.train_index
    Z = Standardizer().fit(inputs.features.loc[train]).transform(inputs.features.loc[train])
    y = builder.target(builder.data(base.endpoint)[0], train)
    cv_path_s = _timed(lambda: LassoSelector(folds=10, seed=SEED).fit(Z, y))
    print(f"10-fold CV LASSO-Cox path on {Z.shape[1]} features x {Z.shape[0]} training patients: {cv_path_s:.2f} s")
    other_ms = 1000 * max(medians.values())
    print(f"lambda_ms={lambda_ms:.0f} other_ms={other_ms:.0f} cv_path_s={cv_path_s:.2f}")


if __name__ == "__main__":
    main()
