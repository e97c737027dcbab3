"""``python -m hccdash calculator-html --model NAME --out C.html``: a registered model's standalone
calculator (:mod:`hccdash.calculator.standalone`), one HTML file that works offline in any browser."""

from __future__ import annotations

import argparse
from pathlib import Path

from hccdash.atomic import atomic_file
from hccdash.calculator.standalone import standalone_html
from hccdash.registry.registry import json_model
from hccdash.settings import CalculatorSettings

HELP = "Write a registered model's standalone calculator: one offline HTML file, no patient data inside"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="registered model name")
    parser.add_argument("--out", required=True, type=Path, help="HTML file to write")
    parser.add_argument("--level", type=float, default=CalculatorSettings().ci_level,
                        help="confidence level of the intervals (default %(default)s)")


def run(args: argparse.Namespace) -> int:
    if not 0 < args.level < 1:
        raise ValueError(f"--level must lie between 0 and 1, got {args.level}")
    text = standalone_html(json_model(args.model), args.level)
    with atomic_file(args.out) as handle:
        handle.write(text)
    print(f"Wrote {args.out}")
    return 0
