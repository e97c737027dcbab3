"""Benchmark: hccdash extraction on all cores vs a plain sequential pyradiomics loop, then cached.

    python bench/extract.py [--cases N] [--jobs J]

1. ``--cases`` sample cases (``sample_data/manifest.csv``; images built if missing)
   with the default settings: a plain ``RadiomicsFeatureExtractor.execute`` loop, one
   case after another, and hccdash (``run_extraction``, all cores) in a fresh
   ``HCCDASH_HOME``, alternating in rounds of ``--chunk`` cases so that both meet the
   same background load; both give the same features (checked). hccdash's workers run
   pyradiomics with one SimpleITK thread each, its bin edges from numpy's min / max and
   no diagnostics (``hccdash.extraction.speedups``, ``case._extractor``): identical
   features, about 15% less time per case than the plain extractor.
2. hccdash again over the whole manifest (every case already stored: the shipped
   ``sample_data/features.parquet`` is loaded for the cases not extracted in step 1,
   else they are extracted first): hashing from the remembered (path, size, mtime)
   table, key computation and one store query.

3. The machine's own ceiling: the same CPU-bound task (numpy + pure Python) on one
   process, then on as many worker processes as hccdash used; on a VM whose cores do
   not scale fully, no parallel extraction can beat this ratio.

Prints seconds per case, peak memory, and as its last line
``speedup=<plain / hccdash> cached_seconds=<rerun of the whole manifest>``.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))


def _peak_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def _cpu_task(seed: int) -> float:
    import numpy as np

    matrix = np.random.default_rng(seed).random((200, 200))
    total = sum(float(np.linalg.svd(matrix, compute_uv=False).sum()) for _ in range(40))
    return total + sum(k * k % 7 for k in range(1_500_000))


def machine_scaling(workers: int, tasks: int = 8) -> float:
    """Serial time / time on ``workers`` loky processes for a fixed CPU-bound task set."""
    from joblib import Parallel, delayed

    start = time.perf_counter()
    for seed in range(tasks):
        _cpu_task(seed)
    serial = time.perf_counter() - start
    Parallel(n_jobs=workers)(delayed(_cpu_task)(seed) for seed in range(workers))  # warm the pool
    start = time.perf_counter()
    Parallel(n_jobs=workers)(delayed(_cpu_task)(seed) for seed in range(tasks))
    return serial / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=60, help="cases timed in step 1 (default 60)")
    parser.add_argument("--jobs", type=int, default=None, help="hccdash workers (default: all cores)")
    parser.add_argument("--chunk", type=int, default=20, help="cases per alternating plain / hccdash round")
    args = parser.parse_args()

    subprocess.run([sys.executable, "-m", "hccdash.sample", "--if-missing"], cwd=PROJECT, check=True)
    os.environ["HCCDASH_HOME"] = tempfile.mkdtemp(prefix="hccdash-bench-")

    import radiomics
    from joblib.externals.loky import get_reusable_executor
    from radiomics.featureextractor import RadiomicsFeatureExtractor

    from hccdash.extraction.case import numeric_features
    from hccdash.extraction.engine import cases_from_images, run_extraction
    from hccdash.extraction.ingest import read_case_file
    from hccdash.extraction.manifest import read_manifest
    from hccdash.extraction.params import spec_from_settings
    from hccdash.extraction.sample_features import ensure_sample_features
    from hccdash.store import Store

    radiomics.setVerbosity(40)  # errors only
    manifest = PROJECT / "sample_data" / "manifest.csv"
    spec = spec_from_settings()
    images = read_manifest(manifest)
    chosen = images.iloc[: args.cases]
    cores = os.cpu_count() or 1
    print(f"{len(chosen)} cases, default settings, {cores} cores, hccdash workers: {args.jobs or cores}")

    extractor = RadiomicsFeatureExtractor(spec.params)
    plain, plain_seconds, ours_seconds, cases = {}, 0.0, 0.0, []
    for first in range(0, len(chosen), args.chunk):  # alternate, so both see the same background load
        chunk = chosen.iloc[first : first + args.chunk]
        start = time.perf_counter()
        for row in chunk.itertuples(index=False):
            features = numeric_features(extractor.execute(row.image_path, row.mask_path))
            plain[(row.image_sha256, row.mask_sha256)] = features
        plain_seconds += time.perf_counter() - start
        start = time.perf_counter()
        chunk_cases = cases_from_images(read_manifest(manifest).iloc[first : first + args.chunk], spec)
        summary = run_extraction(chunk_cases, spec, n_jobs=args.jobs)
        ours_seconds += time.perf_counter() - start
        assert summary.n_computed == len(chunk_cases) and summary.n_failed == 0, summary
        cases += chunk_cases
    print(f"plain pyradiomics, sequential: {plain_seconds:.1f} s ({plain_seconds / len(chosen):.2f} s per case)")
    worst = 0.0
    for case in cases:
        ours = read_case_file(case.case_key).features
        reference = plain[(case.image_sha256, case.mask_sha256)]
        assert ours.keys() == reference.keys()
        worst = max(worst, max(abs(ours[k] - v) / max(abs(v), 1e-300) for k, v in reference.items() if v))
    print(
        f"hccdash, {args.jobs or cores} workers: {ours_seconds:.1f} s ({ours_seconds / len(cases):.2f} s per case, "
        f"incl. hashing and storing); max relative difference to plain: {worst:.1e}"
    )
    worker_seconds = Store().query("SELECT avg(seconds) AS s FROM cases")["s"].iloc[0]
    print(f"seconds per case (default settings, one worker thread): {worker_seconds:.2f}")

    Store().execute(
        "INSERT INTO cohorts (name, created_at, fingerprint, time_unit, mapping, n_patients, n_events) "
        "VALUES ('bench', now(), 'bench', 'months', '{}', 0, 0)"
    )
    with Store().transaction() as con:
        con.register("rows", images.assign(cohort="bench"))
        con.execute(
            "INSERT INTO images SELECT cohort, patient_id, phase, reader, image_path, mask_path, label, "
            "image_sha256, mask_sha256 FROM rows"
        )
    loaded = ensure_sample_features()
    prepared = run_extraction(cases_from_images(images, spec), spec, n_jobs=args.jobs)
    print(
        f"whole manifest ({prepared.n_total} cases): {loaded} loaded from the shipped feature table, "
        f"{prepared.n_computed} extracted"
    )

    start = time.perf_counter()
    rerun = run_extraction(cases_from_images(read_manifest(manifest), spec), spec, n_jobs=args.jobs)
    cached_seconds = time.perf_counter() - start
    assert rerun.n_computed == 0 and rerun.n_cached == rerun.n_total, rerun
    get_reusable_executor().shutdown(wait=True)  # reap the workers so their peak memory is counted
    own, children = _peak_mb()
    print(f"cached rerun of {rerun.n_total} cases: {cached_seconds:.3f} s")
    print(f"peak memory: {own:.0f} MB this process, {children:.0f} MB largest child process (workers)")
    workers = args.jobs or os.cpu_count()
    print(f"machine ceiling: a CPU-bound task runs {machine_scaling(workers):.2f}x faster on {workers} processes than on one")
    print(f"speedup={plain_seconds / ours_seconds:.2f} cached_seconds={cached_seconds:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
