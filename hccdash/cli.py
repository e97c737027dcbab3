"""``python -m hccdash COMMAND``: one face of the library, beside the pages.

Each command lives in the package of the last step of the flow it reaches (``fit`` saves to
the registry: ``registry/cli_fit.py``; ``predict`` is the calculator's), as a module that exposes
``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``. This module only
routes (it is imported by no step); it holds no statistics, SQL or data wrangling.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from hccdash import leftovers
from hccdash.store import StoreBusyError

# command name -> module implementing it
COMMANDS: dict[str, str] = {
    "import": "hccdash.cohort.cli_import",
    "cohorts": "hccdash.cohort.cli_cohorts",
    "extract": "hccdash.deep.cli_extract",  # pyradiomics, or deep features with --deep
    "fit": "hccdash.registry.cli_fit",
    "predict": "hccdash.calculator.cli_predict",
    "calculator-html": "hccdash.calculator.cli_standalone",
    "models": "hccdash.registry.cli_models",
    "sign-models": "hccdash.registry.cli_sign",
    "export": "hccdash.registry.cli_export",
    "import-model": "hccdash.registry.cli_import_model",
    "validate": "hccdash.validation.cli",
    "run-job": "hccdash.jobs",
}


def _modules(argv: list[str]) -> dict[str, object]:
    """The command modules to load: only the one named in ``argv``, or all (for help)."""
    chosen = [argv[0]] if argv and argv[0] in COMMANDS else list(COMMANDS)
    return {name: importlib.import_module(COMMANDS[name]) for name in chosen}


def build_parser(modules: dict[str, object]) -> argparse.ArgumentParser:
    """The argument parser with one sub-command per available command module."""
    parser = argparse.ArgumentParser(prog="python -m hccdash", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, module in modules.items():
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen command; returns the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(format="hccdash: %(message)s", level=logging.WARNING)  # e.g. "waiting for the store"
    parser = build_parser(_modules(argv))
    args = parser.parse_args(argv)
    try:
        leftovers.clean()  # what a killed run or a full disk left behind
        return int(args._run(args) or 0)
    except (ValueError, OSError, StoreBusyError) as exc:  # bad input, a file that cannot be read or written
        print(f"error: {exc}", file=sys.stderr)
        return 2
