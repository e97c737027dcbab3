"""``python -m hccdash import-model M.json --name NAME``: register a shared JSON model file.

The file is checked (size, strict JSON, schema, limits) before anything is stored; a
refused file leaves the registry unchanged and the reason is printed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hccdash.registry import spec
from hccdash.registry.registry import import_json

HELP = "Register a JSON model file (validated; a malformed or hostile file is refused)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="JSON model file")
    parser.add_argument("--name", required=True, help="name to register it under")
    parser.add_argument("--notes", default="", help="notes kept with the model")


def run(args: argparse.Namespace) -> int:
    if not args.path.is_file():
        raise FileNotFoundError(f"{args.path} does not exist")
    if args.path.stat().st_size > spec.MAX_BYTES:
        raise ValueError(f"{args.path} is {args.path.stat().st_size} bytes; the limit is {spec.MAX_BYTES}")
    try:
        record = import_json(args.path.read_bytes(), args.name, args.notes)
    except ValueError as exc:
        raise ValueError(f"{args.path}: {exc}") from exc
    print(f"Registered {record.name} ({record.endpoint}, SHA-256 {record.sha256[:12]}...)")
    return 0
