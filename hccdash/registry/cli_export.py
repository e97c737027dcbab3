"""``python -m hccdash export --model NAME --out M.json``: a pickle-free JSON model file."""

from __future__ import annotations

import argparse
from pathlib import Path

from hccdash.registry.registry import export_json

HELP = "Export a registered model as a pickle-free JSON model file (to share between sites)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="registered model name")
    parser.add_argument("--out", required=True, type=Path, help="JSON file to write")


def run(args: argparse.Namespace) -> int:
    args.out.write_text(export_json(args.model))
    print(f"Wrote {args.out}")
    return 0
