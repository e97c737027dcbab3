"""Benchmark of the evaluation: bootstrap C-index CI, one full evaluate(), and the
optimism-corrected bootstrap that refits the whole pipeline per resample.

    python bench/evaluation.py [--resamples B] [--jobs J]

1. ``stats.bootstrap_c`` on n = 300 with 1000 resamples (vectorised: two matrix products)
   against the same resamples done as a loop of ``harrell_c`` on resampled data
   (timed on 50 resamples, scaled to 1000); the issue's budget is 0.5 s.
2. ``evaluate`` of the default pipeline on sample-sized synthetic data (150 patients,
   300 features, 3 phases; ``tests/synthetic_cohort.py``).
3. ``validate_pipeline`` with the default settings and B resamples (default
   ``EvaluationSettings.optimism_resamples`` = 200) on all cores.

Prints each figure, and as its last line
``bootstrap_c_seconds=<s> speedup=<loop / vectorised> optimism_seconds=<s> apparent_c=<c> corrected_c=<c>``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # synthetic_cohort (test data)

from hccdash import stats  # noqa: E402
from hccdash.evaluation.optimism import validate_pipeline  # noqa: E402
from hccdash.evaluation.summary import evaluate  # noqa: E402
from hccdash.modeling.builder import ModelBuilder  # noqa: E402
from hccdash.settings import Settings  # noqa: E402
from synthetic_cohort import synthetic_inputs  # noqa: E402


def best_of(repeats: int, work) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resamples", type=int, default=Settings().evaluation.optimism_resamples)
    parser.add_argument("--jobs", type=int, default=Settings().evaluation.n_jobs)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    n = 300
    risk = rng.normal(size=n)
    time_ = rng.exponential(20 * np.exp(-risk))
    event = (rng.random(n) < 0.7).astype(float)
    stats.bootstrap_c(time_, event, risk, 10, 0)  # warm-up
    vectorised = best_of(5, lambda: stats.bootstrap_c(time_, event, risk, 1000, 0))
    draws = rng.integers(0, n, (50, n))
    loop = best_of(2, lambda: [stats.harrell_c(time_[d], event[d], risk[d]) for d in draws]) * 1000 / 50
    print(f"bootstrap_c n={n}, 1000 resamples: {vectorised:.3f} s (budget 0.5 s); "
          f"loop of harrell_c: {loop:.2f} s; speedup {loop / vectorised:.1f}x")

    builder = ModelBuilder(synthetic_inputs())
    settings = dataclasses.replace(Settings(), evaluation=dataclasses.replace(
        Settings().evaluation, n_jobs=args.jobs, optimism_resamples=args.resamples))
    start = time.perf_counter()
    result = builder.build(settings)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    evaluation = evaluate(result, builder)
    print(f"default pipeline fit: {fit_seconds:.2f} s; evaluate (3 models x 2 splits, every table): "
          f"{time.perf_counter() - start:.2f} s")
    print(evaluation.discrimination[["model", "split", "c_index", "lower", "upper"]].to_string(index=False))

    done = []
    start = time.perf_counter()
    validated = validate_pipeline(builder, settings, result.clinical_vars,
                                  progress=lambda k, failed, total: done.append(k))
    seconds = time.perf_counter() - start
    print(f"optimism bootstrap: {args.resamples} resamples of the whole default pipeline, n_jobs={args.jobs}: "
          f"{seconds:.1f} s ({seconds / args.resamples:.2f} s per resample), {len(validated.failures)} failed")
    print(validated.table.to_string(index=False))
    combined = validated.table.set_index("metric").loc["combined"]
    print(f"bootstrap_c_seconds={vectorised:.3f} speedup={loop / vectorised:.1f} optimism_seconds={seconds:.1f} "
          f"apparent_c={combined['apparent']:.3f} corrected_c={combined['corrected']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
