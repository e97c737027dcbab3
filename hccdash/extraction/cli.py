"""``python -m hccdash extract``: extract a manifest's cases into the store's cache and a table."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from hccdash.extraction import features_io, ingest
from hccdash.extraction.engine import cases_from_images, run_extraction, with_case_keys
from hccdash.extraction.manifest import manifest_images
from hccdash.extraction.matrices import case_features
from hccdash.extraction.params import ROI_CHOICES, ExtractionSpec, spec_from_settings, spec_from_yaml
from hccdash.settings import ExtractionSettings
from hccdash.store import Store

HELP = "Extract pyradiomics features of a manifest (patient_id, phase, image, mask[, reader]) to CSV/Parquet."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``extract``."""
    defaults = ExtractionSettings()
    parser.add_argument(
        "--manifest",
        required=True,
        help="UTF-8 CSV with columns patient_id, phase, image, mask[, reader][, label]; "
        "relative paths are relative to the manifest's folder",
    )
    parser.add_argument("--params", help="pyradiomics parameter YAML (default: hccdash's default settings)")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    parser.add_argument("--scheduler", help="Dask scheduler address (tcp://host:port) to run on a cluster")
    parser.add_argument("--out", required=True, help="output table, .csv or .parquet: one row per case")
    parser.add_argument("--n4", action="store_true", default=defaults.n4_bias_correction, help="N4 bias-field correction (MRI)")
    parser.add_argument("--roi", choices=ROI_CHOICES, default=defaults.roi, help="3d mask or largest axial cross-section (2d)")
    parser.add_argument("--retry-failed", action="store_true", help="recompute cases stored as failed")


def spec_from_args(args: argparse.Namespace) -> ExtractionSpec:
    """The extraction spec the options ask for."""
    if args.params:
        return spec_from_yaml(Path(args.params), n4_bias_correction=args.n4, roi=args.roi)
    return spec_from_settings(ExtractionSettings(n4_bias_correction=args.n4, roi=args.roi))


class ProgressPrinter:
    """Progress lines on stderr: finished / total, failed, cases per minute, ETA."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.base: int | None = None

    def __call__(self, n_total: int, n_done: int, n_failed: int) -> None:
        finished = n_done + n_failed
        if self.base is None:
            self.base = finished
        minutes = (time.monotonic() - self.start) / 60
        rate = (finished - self.base) / minutes if minutes > 0 else 0.0
        eta = f"{(n_total - finished) / rate:.1f} min" if rate > 0 else "-"
        print(
            f"extract: {finished}/{n_total} finished ({n_done} done, {n_failed} failed), "
            f"{rate:.1f} cases/min, ETA {eta}",
            file=sys.stderr,
            flush=True,
        )


def run(args: argparse.Namespace) -> int:
    """Extract, then write the table; exit code 1 if any case failed.

    Bad options, a bad parameter file or a bad manifest raise ``ValueError`` /
    ``OSError`` (exit code 2 through :func:`hccdash.cli.main`) before the store is opened.
    """
    check_options(args)
    spec = spec_from_args(args)
    return run_spec(args, spec, int((spec.params.get("setting") or {}).get("label") or 1))


def check_options(args: argparse.Namespace) -> None:
    """ValueError naming a bad ``--jobs`` or ``--out``."""
    if args.jobs is not None and args.jobs < 1:
        raise ValueError(f"--jobs must be at least 1, got {args.jobs}")
    if Path(args.out).is_dir():
        raise ValueError(f"--out {args.out} is a folder; give a .csv or .parquet file name")


def run_spec(args: argparse.Namespace, spec: Any, default_label: int = 1) -> int:
    """Extract the manifest's cases under ``spec`` (any spec the engine takes: pyradiomics', or deep
    features' from :mod:`hccdash.deep.cli_extract`), then write the table; exit code 1 if any case failed."""
    images = manifest_images(args.manifest, default_label=default_label)
    store = Store()
    summary = run_extraction(
        cases_from_images(images, spec),
        spec,
        store=store,
        n_jobs=args.jobs,
        scheduler=args.scheduler,
        retry_failed=args.retry_failed,
        on_progress=ProgressPrinter(),
    )
    keyed = with_case_keys(images, spec.settings_hash)
    table = features_io.case_table(case_features(keyed, store))
    features_io.write_table(table, args.out)
    stored = ingest.stored_cases(store, keyed["case_key"].tolist())
    failed = keyed.merge(stored[stored["status"] == "failed"], on="case_key")
    for row in failed.itertuples(index=False):
        print(f"failed: {row.patient_id} {row.phase} reader {row.reader}: {row.error}", file=sys.stderr)
    print(
        f"extract: {summary.n_total} cases, {summary.n_cached} cached, {summary.n_recovered} recovered, "
        f"{summary.n_computed} computed, {summary.n_failed} failed in {summary.seconds:.1f} s; "
        f"wrote {len(table)} rows to {args.out}",
        file=sys.stderr,
    )
    return 1 if summary.n_failed else 0
