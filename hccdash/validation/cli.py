"""``python -m hccdash validate --model NAME --cohort COHORT [--set all|train|validation|external] --out DIR``.

External validation of a registered model (saved here or imported from JSON) on a stored
cohort: nothing is refit. Radiomic features come from the store, extracted with the model's own
settings when missing (cached cases are reused; progress on stderr), or from an imported
feature table (``--source``). Clinical inputs are matched by name; ``--mapping FILE.json``
maps other names, units and levels (the format is in :mod:`hccdash.validation.mapping`; the
mapping used is written to ``DIR/mapping.json`` to edit and reuse).

Writes ``DIR/validation.json`` (every number, the settings and the mapping) and one CSV per
table (metrics, horizons, calibration, decision_curves, risk_group_counts, km_curves, at_risk,
case_mix, predictions, excluded, warnings, mapping; logistic: hosmer_lemeshow). With
``--update METHOD --save-as NAME`` the model is also updated on these patients
(recalibration_in_the_large, logistic_recalibration or refit), saved as a new registry model
with its lineage, and ``DIR/comparison.csv`` compares the original and the updated model.

Bad input (a model input the cohort lacks, a unit that does not convert, a feature that cannot
be had, a set without events, a horizon beyond the follow-up) stops with one message naming
it, exit code 2, before anything is extracted, written or stored.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hccdash.extraction.cli import ProgressPrinter
from hccdash.extraction.params import parse_numbers
from hccdash.registry import registry
from hccdash.validation.features import extract_pending
from hccdash.validation.inputs import SETS, plan_validation
from hccdash.validation.mapping import read_mapping
from hccdash.validation.report import run_validation
from hccdash.validation.updating import METHODS, fit_options, save_update, update_and_compare

HELP = "Validate a registered model on a stored cohort (nothing refit); optionally update it"
MAPPING_FILE = "mapping.json"
COMPARISON_FILE = "comparison.csv"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = __doc__.split("\n\n", 1)[1]
    parser.add_argument("--model", required=True, help="registered model name")
    parser.add_argument("--cohort", required=True, help="stored cohort name")
    parser.add_argument("--set", default="all", choices=SETS, dest="subset",
                        help="patients: all, the cohort's train or validation set, or external (the held-out "
                             "centres of a three-cohort split, or the validation set of a centre split); default all")
    parser.add_argument("--source", help="imported feature table of the cohort to read the radiomic features from "
                                         "(default: extraction with the model's settings)")
    parser.add_argument("--mapping", type=Path, help="JSON mapping of model inputs to cohort variables, units, levels")
    parser.add_argument("--horizons", help="comma-separated horizons in months (default: the model's)")
    parser.add_argument("--no-extract", action="store_true", help="refuse instead of extracting missing features")
    parser.add_argument("--jobs", type=int, help="extraction workers (default: every core)")
    parser.add_argument("--update", choices=list(METHODS), help="also update the model on these patients")
    parser.add_argument("--save-as", help="registry name of the updated model (with --update)")
    parser.add_argument("--notes", default="", help="notes of the updated model")
    parser.add_argument("--out", required=True, type=Path, help="output folder")


def run(args: argparse.Namespace) -> int:
    if args.out.exists() and not args.out.is_dir():
        raise ValueError(f"--out {args.out} is a file; give a folder")
    if bool(args.update) != bool(args.save_as):
        raise ValueError("--update and --save-as go together: the method and the updated model's name")
    if args.save_as:
        registry.check_name(args.save_as)
        registry.check_notes(args.notes)
        if args.save_as in set(registry.list_models()["name"]):
            raise ValueError(f"--save-as: a model named {args.save_as!r} already exists; choose another name")
    overrides = None
    if args.mapping is not None:
        if not args.mapping.is_file():
            raise FileNotFoundError(f"--mapping {args.mapping} does not exist")
        overrides = read_mapping(args.mapping.read_bytes(), str(args.mapping))
    record = registry.get(args.model)
    model = registry.json_model(args.model)
    plan = plan_validation(model, args.cohort, args.subset, mapping=overrides, source=args.source,
                           horizons=parse_numbers(args.horizons, "--horizons") if args.horizons else None)
    pending = plan.features.pending
    if len(pending):
        if args.no_extract:
            raise ValueError(f"{len(pending)} case(s) of cohort {args.cohort!r} are not extracted with the model's "
                             "settings (--no-extract given)")
        print(f"extracting {len(pending)} case(s) with model {args.model}'s settings (cached cases are reused)",
              file=sys.stderr)
        extract_pending(plan.features, n_jobs=args.jobs, on_progress=ProgressPrinter())
        plan = plan_validation(model, args.cohort, args.subset, mapping=plan.mapping, source=args.source,
                               horizons=plan.horizons)
    data, report = run_validation(plan, record.sha256)
    comparison = spec = None
    if args.update:
        spec, comparison = update_and_compare(data, args.update, name=args.save_as, notes=args.notes,
                                              parent_sha256=record.sha256, **fit_options(record), original=report)
    written = report.write(args.out)
    (args.out / MAPPING_FILE).write_text(json.dumps(plan.mapping.to_dict(), indent=1))
    print(f"{model.name} on {plan.where}: {len(data.inputs)} patients, {data.n_events} events, "
          f"{len(data.excluded)} left out (missing inputs)")
    for row in report.metrics.itertuples(index=False):
        at = "" if row.horizon != row.horizon else f" at {row.horizon:g} months"
        ci = "" if row.lower != row.lower else f" ({row.lower:.3f} to {row.upper:.3f})"
        print(f"  {row.metric}{at}: {row.value:.4g}{ci}")
    if spec is not None:
        comparison.to_csv(args.out / COMPARISON_FILE, index=False)
        saved = save_update(spec, args.notes)
        print(f"saved the updated model ({args.update}) as {saved.name!r}; comparison in {args.out / COMPARISON_FILE}")
    print(f"wrote {len(written) + 1} files to {args.out}")
    return 0
