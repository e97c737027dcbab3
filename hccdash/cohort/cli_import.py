"""``python -m hccdash import``: validate, split and store a cohort; print the report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hccdash.cohort.events import parse_event_values
from hccdash.cohort.importer import import_cohort
from hccdash.cohort.manifest import read_manifest, scan_folder
from hccdash.cohort.split import METHODS
from hccdash.cohort.mapping import guess_mapping, remap
from hccdash.cohort.tables import read_table
from hccdash.settings import TIME_UNITS_IN_MONTHS, CohortSettings, SplitSettings

HELP = "Import a cohort (clinical CSV/XLSX and images); prints the validation report, exit 1 when refused"


def _names(text: str | None) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()] if text else []


def _pairs(text: str | None, option: str) -> dict[str, str]:
    """``"age=years,AFP=ng/mL"`` -> ``{"age": "years", "AFP": "ng/mL"}``; ValueError naming a bad item."""
    pairs: dict[str, str] = {}
    for item in _names(text):
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"{option}: {item!r} is not VARIABLE=TEXT")
        if name.strip() in pairs:
            raise ValueError(f"{option}: variable {name.strip()!r} is given twice")
        pairs[name.strip()] = value.strip()
    return pairs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    split, cohort = SplitSettings(), CohortSettings()
    parser.add_argument("--clinical", required=True, help="clinical table, CSV or XLSX")
    parser.add_argument("--sheet", help="XLSX sheet (default: the first)")
    parser.add_argument("--name", required=True, help="cohort name")
    parser.add_argument("--id-col", required=True)
    parser.add_argument("--time-col", required=True)
    parser.add_argument("--time-unit", required=True, choices=list(TIME_UNITS_IN_MONTHS))
    parser.add_argument("--event-col", required=True)
    parser.add_argument("--event-values", help="EVENT,CENSOR codes, e.g. 1,0 or progressed,censored "
                        "(alternatives with |); default: guessed")
    parser.add_argument("--centre-col")
    parser.add_argument("--predictors", help="comma-separated predictor columns (default: guessed)")
    parser.add_argument("--units", help='units of clinical variables, e.g. "age=years,AFP=ng/mL" '
                        "(plain text, at most 20 characters each)")
    parser.add_argument("--labels", help='display labels of clinical variables, e.g. "AFP=Alpha-fetoprotein"')
    images = parser.add_mutually_exclusive_group()
    images.add_argument("--manifest", help="CSV/XLSX with patient_id, phase, image, mask[, reader][, label][, roi]; "
                        "paths relative to its folder")
    images.add_argument("--image-folder", help="scan this folder with --image-pattern / --mask-pattern")
    parser.add_argument("--image-pattern", default=cohort.image_pattern)
    parser.add_argument("--mask-pattern", default=cohort.mask_pattern)
    parser.add_argument("--label", type=int, help=f"mask label (default: {cohort.label} if present, else the largest)")
    parser.add_argument("--roi", help="ROI name of DICOM RTSTRUCT masks (a manifest's roi column overrides it)")
    parser.add_argument("--split", choices=list(METHODS), default=split.method,
                        help="random: stratified by event; centre: --validation-centres form the validation set; "
                             "three: training and internal validation at random within the other centres, "
                             "--validation-centres form the external validation set; none")
    parser.add_argument("--seed", type=int, default=split.seed, help="seed of the random part (random, three)")
    parser.add_argument("--train-fraction", type=float, default=split.train_fraction,
                        help="training share of the randomly split patients (random, three)")
    parser.add_argument("--validation-centres", help="comma-separated centres forming the validation set (centre) "
                        "or the external validation set (three)")
    parser.add_argument("--replace", action="store_true", help="replace a stored cohort of that name")


def run(args: argparse.Namespace) -> int:
    table = read_table(args.clinical, sheet=args.sheet, max_columns=CohortSettings().max_columns)
    changes = dict(id_col=args.id_col, time_col=args.time_col, time_unit=args.time_unit,
                   event_col=args.event_col, centre_col=args.centre_col)
    if args.event_values:
        changes["event_coding"] = parse_event_values(args.event_values)
    mapping = remap(table, guess_mapping(table), **changes)
    if args.predictors:
        mapping = mapping.with_predictors(_names(args.predictors))
    if args.units or args.labels:
        mapping = mapping.with_units(_pairs(args.units, "--units"), _pairs(args.labels, "--labels"))
    if args.manifest:
        images = read_manifest(args.manifest)
    elif args.image_folder:
        images = scan_folder(args.image_folder, args.image_pattern, args.mask_pattern)
    else:
        images = None
    split = SplitSettings(method=args.split, seed=args.seed, train_fraction=args.train_fraction,
                          validation_centres=tuple(_names(args.validation_centres)))

    def progress(done: int, total: int, message: str) -> None:
        if total and (done == total or done % 50 == 0):
            print(f"  {done}/{total} {message}", file=sys.stderr)

    result = import_cohort(args.name, table, mapping, images=images, split=split, label=args.label, roi=args.roi,
                           replace=args.replace, source=Path(args.clinical).name, progress=progress)
    print(result.report.to_text())
    print(result.summary())
    return 0 if result.ok else 1
