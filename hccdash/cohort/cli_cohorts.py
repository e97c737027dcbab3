"""``python -m hccdash cohorts``: the stored cohorts (``--json`` for a machine-readable list)."""

from __future__ import annotations

import argparse

from hccdash.listing import print_listing
from hccdash.overview import cohort_summary

HELP = "List the stored cohorts (name, patients, events, split, images)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print a JSON list of objects")


def run(args: argparse.Namespace) -> int:
    print_listing(cohort_summary(), args.json, "No cohorts stored.")
    return 0
