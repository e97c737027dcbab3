"""``python -m hccdash models``: the registered models (``--json`` for a machine-readable list)."""

from __future__ import annotations

import argparse

from hccdash.listing import print_listing
from hccdash.registry.registry import list_models

HELP = "List the registered models (name, endpoint, model, cohort, features, risk cut-off, kind, notes, SHA-256)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print a JSON list of objects")


def run(args: argparse.Namespace) -> int:
    table = list_models()
    print_listing(table if args.json else table.drop(columns=["sha256"]), args.json, "No models registered.")
    return 0
