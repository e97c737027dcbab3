"""``python -m hccdash sign-models [--model NAME ...]``: sign saved pipelines with this machine's key.

For models saved before artifacts were signed (see :mod:`hccdash.registry.signing`): the
registry unpickles only signed artifacts. Run it only on a registry whose models you saved
yourself; an artifact that is missing or changed since it was recorded is not signed (exit 2).
"""

from __future__ import annotations

import argparse

from hccdash.registry.registry import sign
from hccdash.registry.signing import key_path

HELP = "Sign saved pipelines (made before artifacts were signed) with this machine's key, so they load again"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", action="append", metavar="NAME",
                        help="a model to sign (repeatable); default: every unsigned pipeline in the registry")


def run(args: argparse.Namespace) -> int:
    signed = sign(args.model)
    print(f"Signed with {key_path()}: {', '.join(signed)}" if signed else "Nothing to sign: every pipeline is signed.")
    return 0
