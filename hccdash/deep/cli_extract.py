"""``python -m hccdash extract``: pyradiomics features of a manifest, or with ``--deep NETWORK.onnx`` deep features.

Without ``--deep`` this is :mod:`hccdash.extraction.cli` unchanged. With it, the ONNX file is
registered (under ``--network-name``, by default the file's name in lower case; the same file
again is found, another file under a taken name refused) and the manifest's cases run through
the same engine, cache and output table, features named ``dl.<network>.<NNNN>``.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from hccdash.deep.registered import register_network
from hccdash.deep.settings import MODALITIES, POOLINGS, DeepSettings
from hccdash.deep.spec import DeepSpec
from hccdash.extraction import cli as radiomics_cli

HELP = radiomics_cli.HELP[:-1] + "; with --deep NETWORK.onnx, deep features of that CNN."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``extract``: pyradiomics' and the deep ones."""
    radiomics_cli.add_arguments(parser)
    defaults = DeepSettings()
    deep = parser.add_argument_group("deep features (with --deep)")
    deep.add_argument("--deep", metavar="NETWORK.onnx", help="extract deep features of this CNN (an ONNX file)")
    deep.add_argument("--network-name", help="name to register it under (default: the file name, lower case)")
    deep.add_argument("--output-node", help="node whose output gives the features (default: the last global pooling)")
    deep.add_argument("--input-size", type=int, metavar="N",
                      help="N x N pixels, for a network whose graph leaves its image size open (default: 224; "
                           "a network with a fixed size takes only that size)")
    deep.add_argument("--margin", type=int, default=defaults.margin, help="pixels around each slice's ROI box")
    deep.add_argument("--min-area", type=int, default=defaults.min_area, help="skip slices with fewer ROI pixels")
    deep.add_argument("--modality", choices=MODALITIES, default=defaults.modality,
                      help="CT: window to 0..1; MR: percentiles to 0..1")
    deep.add_argument("--ct-window", type=float, nargs=2, metavar=("WIDTH", "LEVEL"), default=defaults.ct_window)
    deep.add_argument("--pooling", choices=POOLINGS, default=defaults.pooling,
                      help="case features: mean of the slices, or the largest ROI slice's")


def default_name(path: str | Path) -> str:
    """A network name from a file name: ``DenseNet-169.onnx`` -> ``densenet_169``."""
    name = re.sub(r"[^a-z0-9_]+", "_", Path(path).stem.lower()).strip("_")[:32]
    return name if re.match(r"[a-z]", name) else f"net_{name}"[:32]


def deep_spec(args: argparse.Namespace) -> DeepSpec:
    """The deep spec the options ask for, its network registered."""
    if args.params:
        raise ValueError("--params is a pyradiomics parameter file: it does not apply to --deep")
    settings = DeepSettings(margin=args.margin, min_area=args.min_area, modality=args.modality,
                            ct_window=tuple(args.ct_window), pooling=args.pooling)
    network = register_network(args.deep, args.network_name or default_name(args.deep), output_node=args.output_node,
                               input_size=None if args.input_size is None else (args.input_size, args.input_size))
    return DeepSpec(network, settings)


def run(args: argparse.Namespace) -> int:
    """Extract (pyradiomics, or deep features with ``--deep``) and write the table; exit code 1 if any case failed."""
    if not args.deep:
        return radiomics_cli.run(args)
    radiomics_cli.check_options(args)
    return radiomics_cli.run_spec(args, deep_spec(args))
