"""Speed of Model building's proportional-hazards check: ``ph_check(prepare(result, builder))``,
which every slider move runs (the lambda slider's whole server budget is about 100 ms).

    python bench/ph_check.py [--repeats R] [--baseline REV | --no-baseline]

On the sample cohort (a fresh ``HCCDASH_HOME``, the sample imported) with the default
settings, one fit every tenth lambda of the LASSO path (as the lambda slider moves), each fit's
``prepare`` + ``ph_check`` is timed ``--repeats`` times; a fit's time is its fastest run, the
figure the median over the fits (wall ms, and CPU ms of the process, less sensitive to a busy
machine). The same is run, in turn, for the code of ``--baseline`` (default: the commit before
the speed-up), unpacked from git into a temporary folder, and the ratio printed, with whether
both gave the same test tables (every value equal) and their largest relative difference (code
changed since the baseline elsewhere, e.g. the LASSO, can move the fits themselves).

Last line: ``ph_check_ms=<ms> baseline_ms=<ms> speedup=<baseline / now> same_tests=<bool> max_rel_diff=<x>``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parent.parent
BASELINE = "8e2c33f"  # main just before prepare + ph_check were made faster
EVERY = 10  # one fit per this many lambdas of the path


def measure(repeats: int) -> dict:
    """Time prepare + ph_check on the sample fits with the hccdash first on ``sys.path``."""
    import warnings

    warnings.simplefilter("ignore")  # the fits' guardrail messages (EPV, a constant rad-score) are expected
    from hccdash import startup
    from hccdash.evaluation.data import prepare
    from hccdash.evaluation.proportional_hazards import ph_check
    from hccdash.modeling.builder import shared_builder
    from hccdash.modeling.controls import control_state, settings_from_controls, with_lambda
    from hccdash.settings import Settings

    startup.prepare()
    builder = shared_builder("sample")
    settings = settings_from_controls(control_state(Settings(), builder.inputs.phases,
                                                    builder.inputs.clinical_variables), Settings())
    path = builder.build(with_lambda(settings, "lambda.min")).lasso.cv_.lambdas
    results = [builder.build(with_lambda(settings, float(lam))) for lam in path[::EVERY]]
    wall, cpu, tests = [], [], []
    for result in results:
        runs = []
        for _ in range(repeats):
            start, start_cpu = time.perf_counter(), time.process_time()
            checked = ph_check(prepare(result, builder))
            runs.append((time.perf_counter() - start, time.process_time() - start_cpu))
        wall.append(min(w for w, _ in runs))
        cpu.append(min(c for _, c in runs))
        tests.append(checked.tests.to_dict("list"))
    return {"wall_ms": 1000 * statistics.median(wall), "cpu_ms": 1000 * statistics.median(cpu),
            "fits": len(results), "tests": tests, "root": str(Path(startup.__file__).parents[1])}


def run(root: Path, repeats: int, home: str) -> dict:
    """:func:`measure` in a fresh process importing the hccdash under ``root``."""
    env = {**os.environ, "HCCDASH_HOME": home, "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, __file__, "--measure", str(root), "--repeats", str(repeats)],
                          env=env, cwd=PROJECT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def compare(old: list[dict], new: list[dict]) -> tuple[bool, float]:
    """(every value of the fits' test tables equal, the largest relative difference of chisq and p;
    inf when the tables differ in their models, terms or df)."""
    if [[t[k] for k in ("model", "term", "df")] for t in old] != [[t[k] for k in ("model", "term", "df")] for t in new]:
        return False, float("inf")
    a = np.array([v for t in old for k in ("chisq", "p") for v in t[k]])
    b = np.array([v for t in new for k in ("chisq", "p") for v in t[k]])
    return old == new, float(np.max(np.abs(a - b) / np.maximum(np.abs(a), 1e-300), initial=0.0))


def unpack(rev: str, into: Path) -> Path | None:
    """The ``hccdash`` package of commit ``rev`` under ``into``, beside this project's sample data (None,
    saying why, when git cannot give it)."""
    try:
        archive = subprocess.run(["git", "archive", rev, "hccdash"], cwd=PROJECT, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        print(f"baseline {rev}: not available ({exc}; {detail.decode(errors='replace').strip()})")
        return None
    (into / "sample_data").symlink_to(PROJECT / "sample_data")  # where that code looks for the sample's files
    return into


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20, help="runs per fit; its fastest counts (default 20)")
    parser.add_argument("--baseline", default=BASELINE, help=f"git revision compared with (default {BASELINE})")
    parser.add_argument("--no-baseline", action="store_true", help="time this code only")
    parser.add_argument("--measure", metavar="ROOT", help=argparse.SUPPRESS)  # the worker: print measure() as JSON
    args = parser.parse_args()
    if args.measure:
        sys.path.insert(0, args.measure)
        print(json.dumps(measure(args.repeats)))
        return 0
    subprocess.run([sys.executable, "-m", "hccdash.sample", "--if-missing"], cwd=PROJECT, check=True,
                   env={**os.environ, "PYTHONPATH": str(PROJECT)})
    with tempfile.TemporaryDirectory(prefix="hccdash-bench-ph-") as folder:
        home = str(Path(folder) / "home")
        now = run(PROJECT, args.repeats, home)
        print(f"now ({now['root']}): prepare + ph_check {now['wall_ms']:.2f} ms wall, {now['cpu_ms']:.2f} ms CPU "
              f"(median over {now['fits']} fits of the lambda path, fastest of {args.repeats} runs each)")
        old = None if args.no_baseline else unpack(args.baseline, Path(folder))
        if old is None:
            print(f"load average: {os.getloadavg()[0]:.2f}")
            print(f"ph_check_ms={now['wall_ms']:.2f}")
            return 0
        base = run(old, args.repeats, home)
        same, difference = compare(base["tests"], now["tests"])
        print(f"baseline {args.baseline}: {base['wall_ms']:.2f} ms wall, {base['cpu_ms']:.2f} ms CPU; "
              f"speedup {base['wall_ms'] / now['wall_ms']:.1f}x wall, {base['cpu_ms'] / now['cpu_ms']:.1f}x CPU; "
              f"test tables {'identical' if same else 'DIFFERENT'} (largest relative difference of chisq and p "
              f"{difference:.1e}; other code changed since the baseline, e.g. the LASSO, can move the fits)")
        print(f"load average: {os.getloadavg()[0]:.2f}")
        print(f"ph_check_ms={now['wall_ms']:.2f} baseline_ms={base['wall_ms']:.2f} "
              f"speedup={base['wall_ms'] / now['wall_ms']:.1f} same_tests={same} max_rel_diff={difference:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
