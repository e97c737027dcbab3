"""Time the import of a very wide clinical table (CSV and XLSX), refused or not.

Prints one line per format::

    format=csv columns=100000 rows=150 seconds=0.6 max_rss_mb=160 outcome=refused: wide.csv: the header ...

Each import runs ``import_cohort`` in a fresh process with a fresh ``HCCDASH_HOME``, so
``max_rss_mb`` is that import's peak memory. ``--project DIR`` times another checkout (e.g. one
before ``cohort.max_columns``: there a 100,000 x 150 CSV took 465 s and 5 GB); ``--timeout``
stops an import that runs longer.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT / "tests" / "cohort"))

from cohort_data import write_wide_table  # noqa: E402

IMPORT = """
import re, sys, time
from hccdash.cohort.importer import import_cohort
start = time.perf_counter()
try:
    result = import_cohort("wide", sys.argv[1])
    outcome = result.status + ": " + result.summary()
except ValueError as exc:
    outcome = "refused: " + str(exc)
seconds = time.perf_counter() - start
rss = int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1)) / 1024  # peak of this process
print(f"seconds={seconds:.1f} max_rss_mb={rss:.0f} outcome={outcome[:160]}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=150)
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument("--project", type=Path, default=PROJECT, help="checkout whose hccdash is timed")
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hccdash-wide-") as folder:
        for fmt in args.formats.split(","):
            path = write_wide_table(Path(folder) / f"wide.{fmt}", args.columns, rows=args.rows)
            home = tempfile.mkdtemp(prefix="home-", dir=folder)
            env = {"PYTHONPATH": str(args.project), "HCCDASH_HOME": home, "PATH": "/usr/bin:/bin"}
            try:
                done = subprocess.run([sys.executable, "-c", IMPORT, str(path)], env=env, capture_output=True,
                                      text=True, timeout=args.timeout, cwd=args.project)
                line = done.stdout.strip() or f"failed: {done.stderr.strip().splitlines()[-1:]}"
            except subprocess.TimeoutExpired:
                line = f"seconds>{args.timeout:.0f} outcome=stopped at the timeout"
            print(f"format={fmt} columns={args.columns} rows={args.rows} {line}", flush=True)


if __name__ == "__main__":
    main()
