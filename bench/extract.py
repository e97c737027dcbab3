"""Benchmark: hccdash extraction on all cores vs a plain sequential pyradiomics loop, then cached.

    python bench/extract.py [--size {sample,clinical}] [--cases N] [--patients P] [--jobs J] [--profile]

``--size sample`` (default): ``--cases`` sample cases (``sample_data/manifest.csv``;
images built if missing), small crops around the tumour. ``--size clinical``:
``--patients`` synthetic patients at clinical CT size (``bench/clinical_cases.py``: 512 x 512
at 0.70 mm, 5 mm slices, a 3-6 cm tumour, three phases), each phase with reader 1's and
reader 2's tumour masks: two cases per image.

1. With the default settings, a plain ``RadiomicsFeatureExtractor.execute`` loop, one
   case after another, and hccdash (``run_extraction``, all cores) in a fresh
   ``HCCDASH_HOME``, alternating in rounds of ``--chunk`` cases so that both meet the
   same background load; both give the same features (checked: the largest relative
   difference is printed). hccdash's workers run pyradiomics with one SimpleITK thread
   each, its bin edges from numpy's min / max, no diagnostics
   (``hccdash.extraction.speedups``), the image cut to what pyradiomics reads
   (``hccdash.extraction.precrop``) and read once for all the masks drawn on it
   (``extract_cases``).
2. hccdash again over every case, all already stored (for the sample, the shipped
   ``sample_data/features.parquet`` fills in the cases not extracted in step 1):
   hashing from the remembered (path, size, mtime) table, keys and one store query.
3. The machine's own ceiling: the same CPU-bound task on one process, then on as many
   worker processes as hccdash used.
4. With ``--profile``: hccdash's stages (reading, resampling, each filter, each feature
   class) on the first image's cases, in this process (``bench/profile_stages.py``).

Prints the load average before and after, seconds per case, CPU seconds per case (which
the machine's load does not change: with Linux's autogroup scheduling, a session's
processes share one slice of the CPUs, so on a busy shared machine two workers get little
more than one), peak memory, and as its last line
``speedup=<plain / hccdash> cached_seconds=<rerun of every case>``.
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
sys.path.insert(0, str(PROJECT / "bench"))


def _peak_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def _cpu(who: int) -> float:
    """User + system CPU seconds of this process (``RUSAGE_SELF``) or of its reaped children."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _load() -> str:
    return "load average " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


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


def _cases(args) -> "pd.DataFrame":  # noqa: F821
    """The benchmark's image rows with content hashes (``hccdash.extraction.manifest`` columns)."""
    from hccdash.digest import remembered_sha256s

    if args.size == "sample":
        from hccdash.extraction.manifest import manifest_images

        return manifest_images(PROJECT / "sample_data" / "manifest.csv").iloc[: args.cases]
    from clinical_cases import write_cohort

    rows = write_cohort(Path(args.data), args.patients, seed=0)
    rows = rows[rows["reader"].isin(["1", "2"])].reset_index(drop=True)
    hashes = remembered_sha256s([*rows["image"], *rows["mask"]])
    return rows.assign(image_path=rows["image"], mask_path=rows["mask"], image_sha256=hashes[: len(rows)],
                       mask_sha256=hashes[len(rows):])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=["sample", "clinical"], default="sample")
    parser.add_argument("--cases", type=int, default=60, help="sample cases timed in step 1 (default 60)")
    parser.add_argument("--patients", type=int, default=2, help="clinical patients (6 cases each; default 2)")
    parser.add_argument("--data", default=str(Path(tempfile.gettempdir()) / "hccdash-bench-clinical"),
                        help="folder of the clinical cases (made once, reused)")
    parser.add_argument("--jobs", type=int, default=None, help="hccdash workers (default: all cores)")
    parser.add_argument("--chunk", type=int, default=None, help="cases per alternating plain / hccdash round "
                        "(default 20 sample cases, one clinical patient)")
    parser.add_argument("--profile", action="store_true", help="also print where hccdash's time goes")
    args = parser.parse_args()
    chunk = args.chunk or (20 if args.size == "sample" else 6)

    subprocess.run([sys.executable, "-m", "hccdash.sample", "--if-missing"], cwd=PROJECT, check=True)
    os.environ["HCCDASH_HOME"] = tempfile.mkdtemp(prefix="hccdash-bench-")
    print(f"before: {_load()}")

    import radiomics
    from joblib.externals.loky import get_reusable_executor
    from radiomics.featureextractor import RadiomicsFeatureExtractor

    from hccdash.extraction.case import numeric_features
    from hccdash.extraction.engine import cases_from_images, run_extraction
    from hccdash.extraction.ingest import read_case_file
    from hccdash.extraction.params import spec_from_settings
    from hccdash.store import Store

    radiomics.setVerbosity(40)  # errors only
    spec = spec_from_settings()
    chosen = _cases(args)
    cores = os.cpu_count() or 1
    workers = args.jobs or cores
    print(f"{len(chosen)} {args.size} cases, default settings, {cores} cores, hccdash workers: {workers}")

    extractor = RadiomicsFeatureExtractor(spec.params)
    plain, plain_seconds, ours_seconds, cases = {}, 0.0, 0.0, []
    plain_cpu = ours_cpu = 0.0
    children_before = _cpu(resource.RUSAGE_CHILDREN)  # the sample builder run above
    for first in range(0, len(chosen), chunk):  # alternate, so both see the same background load
        rows = chosen.iloc[first : first + chunk]
        start, cpu = time.perf_counter(), _cpu(resource.RUSAGE_SELF)
        for row in rows.itertuples(index=False):
            features = numeric_features(extractor.execute(row.image_path, row.mask_path, label=int(row.label)))
            plain[(row.image_sha256, row.mask_sha256, int(row.label))] = features
        plain_seconds += time.perf_counter() - start
        plain_cpu += _cpu(resource.RUSAGE_SELF) - cpu
        start, cpu = time.perf_counter(), _cpu(resource.RUSAGE_SELF)
        chunk_cases = cases_from_images(rows, spec)
        summary = run_extraction(chunk_cases, spec, n_jobs=args.jobs)
        ours_seconds += time.perf_counter() - start
        ours_cpu += _cpu(resource.RUSAGE_SELF) - cpu
        assert summary.n_computed == len(chunk_cases) and summary.n_failed == 0, summary
        cases += chunk_cases
    print(f"plain pyradiomics, sequential: {plain_seconds:.1f} s ({plain_seconds / len(chosen):.2f} s per case)")
    worst = 0.0
    for case in cases:
        ours = read_case_file(case.case_key).features
        reference = plain[(case.image_sha256, case.mask_sha256, case.label)]
        assert ours.keys() == reference.keys()
        worst = max(worst, max(abs(ours[k] - v) / max(abs(v), 1e-300) for k, v in reference.items() if v))
    print(
        f"hccdash, {workers} workers: {ours_seconds:.1f} s ({ours_seconds / len(cases):.2f} s per case, "
        f"incl. hashing and storing); max relative difference to plain: {worst:.1e}"
    )
    worker_seconds = Store().query("SELECT avg(seconds) AS s FROM cases")["s"].iloc[0]
    print(f"seconds per case in a worker (one SimpleITK thread): {worker_seconds:.2f}")

    if args.size == "sample":
        from hccdash.extraction.manifest import manifest_images
        from hccdash.extraction.sample_features import ensure_sample_features

        everything = manifest_images(PROJECT / "sample_data" / "manifest.csv")
        _store_images(everything)
        loaded = ensure_sample_features()
        prepared = run_extraction(cases_from_images(everything, spec), spec, n_jobs=args.jobs)
        print(f"whole manifest ({prepared.n_total} cases): {loaded} loaded from the shipped feature table, "
              f"{prepared.n_computed} extracted")
    else:
        everything = chosen
    start = time.perf_counter()
    rerun = run_extraction(cases_from_images(everything, spec), spec, n_jobs=args.jobs)
    cached_seconds = time.perf_counter() - start
    assert rerun.n_computed == 0 and rerun.n_cached == rerun.n_total, rerun
    get_reusable_executor().shutdown(wait=True)  # reap the workers so their peak memory and CPU are counted
    worker_cpu = _cpu(resource.RUSAGE_CHILDREN) - children_before
    own, children = _peak_mb()
    print(f"cached rerun of {rerun.n_total} cases: {cached_seconds:.3f} s")
    print(f"CPU seconds per case (what the load cannot change): plain {plain_cpu / len(chosen):.2f}, hccdash "
          f"{worker_cpu / len(cases):.2f} in its workers + {ours_cpu / len(cases):.2f} in this process")
    print(f"peak memory: {own:.0f} MB this process (plain pyradiomics ran here), {children:.0f} MB largest worker")
    print(f"machine ceiling: a CPU-bound task runs {machine_scaling(workers):.2f}x faster on {workers} processes "
          "than on one")
    if args.profile:
        _profile(cases, spec)
    print(f"after: {_load()}")
    print(f"speedup={plain_seconds / ours_seconds:.2f} cached_seconds={cached_seconds:.3f}")
    return 0


def _store_images(images) -> None:
    """The sample manifest as cohort 'bench' (for the shipped feature table)."""
    from hccdash.store import Store

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


def _profile(cases, spec) -> None:
    """hccdash's stages on the first image's cases, in this process."""
    from profile_stages import stage_table, stage_timer

    from hccdash.extraction.engine import image_groups
    from hccdash.extraction.case import extract_cases

    group = image_groups(cases)[0]
    with stage_timer() as seconds:
        start = time.perf_counter()
        extract_cases(group, spec)
        total = time.perf_counter() - start
    print(f"where hccdash's time goes ({len(group)} case(s) of one image, {total:.1f} s, one process):")
    print(stage_table(seconds, total))


if __name__ == "__main__":
    sys.exit(main())
