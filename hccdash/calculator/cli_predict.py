"""``python -m hccdash predict --model NAME --input patients.csv --out risks.csv``.

Writes, per input row, the linear predictor, the risk group and S(t) at the model's
horizons with the 95% CI (or the ER probability); the output's columns are :data:`COLUMNS_HELP`
(also printed by ``--help``). A row with an invalid input is not dropped silently: it stays in
the output with empty predictions and its problems in the ``problems`` column, and every
problem is printed by row and column. Rows are numbered as spreadsheet lines, as in the cohort
import report: the header is line 1, the first patient row 2 (XLSX: the sheet's row number).
Warnings (outside the training range, a repeated patient id with the same inputs) are kept
in the ``warnings`` column and printed too. Columns the model does not use are named and
ignored. A model holding a DL score predicts only with the network file(s) it names: ``--network
NAME=FILE.onnx`` (its SHA-256 checked), else the network registered under that hash. The exit code is 0
when every row was predicted, 1 when any row was refused and
2 (nothing written) when the file is unusable: empty, no data rows, or a model input
column missing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from hccdash.calculator.inputs import check_columns
from hccdash.calculator.prediction import estimate_columns, predict_table
from hccdash.cohort.tables import read_table
from hccdash.evaluation.risk_groups import cutoff_description
from hccdash.registry.registry import json_model
from hccdash.spreadsheet import csv_text

HELP = "Predict risks for a CSV of patients with a registered model"
DEFAULT_ID_COL = "patient_id"
COLUMNS_HELP = """\
Output columns:
  row              the input's spreadsheet line (header = line 1, first patient = line 2),
                   as in the cohort import report; messages on stderr use the same numbers
  <id column>      the patient id (--id-col, or patient_id when present)
  lp               linear predictor b'x of a Cox model, NOT centred (R's predict(coxph,
                   type = "lp") subtracts the training means: b'(x - mean)); a logistic
                   model's logit a + b'x. The risk-group cut-off is on this scale.
  risk_group       low / high (lp <= cut-off is low)
  rfs_<h>m         Cox: S(h months) with rfs_<h>m_lower / _upper, the 95% CI of
                   survfit(coxph, newdata), conf.type "log"
  er_prob          logistic: probability of early recurrence, with er_prob_lower / _upper
  problems         why the row was refused (empty predictions)
  warnings         predicted anyway: e.g. outside the training range
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = COLUMNS_HELP
    parser.add_argument("--model", required=True, help="registered model name")
    parser.add_argument("--input", required=True, type=Path, help="CSV with one row per patient")
    parser.add_argument("--out", required=True, type=Path, help="CSV to write")
    parser.add_argument("--network", action="append", default=[], metavar="NAME=FILE.onnx",
                        help="a model with a DL score: the ONNX file of each network it names (same SHA-256); "
                             "without it the network registered under that hash is used")
    parser.add_argument("--id-col", default=None,
                        help=f"patient id column copied to the output (default: {DEFAULT_ID_COL} when present)")


def _summaries(problems: pd.DataFrame, index: pd.Index) -> pd.Series:
    text = problems.assign(text=problems["column"] + ": " + problems["problem"]).groupby("row")["text"].agg("; ".join)
    return text.reindex(index).fillna("")


def _network_argument(text: str) -> tuple[str, Path]:
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        raise ValueError(f"--network {text!r}: write it as NAME=FILE.onnx")
    if not Path(path).is_file():
        raise FileNotFoundError(f"--network {name}: {path} does not exist")
    return name, Path(path)


def run(args: argparse.Namespace) -> int:
    if not args.input.is_file():
        raise FileNotFoundError(f"{args.input} does not exist")
    if args.out.resolve() == args.input.resolve():
        raise ValueError(f"--out {args.out} is the input file; choose another file")
    if not args.out.parent.is_dir():
        raise FileNotFoundError(f"--out {args.out}: folder {args.out.parent} does not exist")
    model = json_model(args.model)
    if model.networks:  # a DL score: only with the same network file(s)
        files = dict(_network_argument(text) for text in args.network)
        model.attach_networks(files)
        if set(model.networks) - set(files):
            model.attach_registered()
    data = read_table(args.input)  # separator, encoding, repeated names, blank and NA cells handled
    if args.id_col and args.id_col not in data.columns:
        raise ValueError(f"{args.input}: no column {args.id_col!r} (columns: {list(data.columns)})")
    id_col = args.id_col or (DEFAULT_ID_COL if DEFAULT_ID_COL in data.columns else None)
    try:
        ignored = [c for c in check_columns(model, data.columns) if c != id_col]
    except ValueError as exc:
        raise ValueError(f"{args.input}: {exc}") from exc
    if ignored:
        named = [c for c in ignored if "." not in c]  # feature columns ("phase.feature") are counted, not named
        counted = len(ignored) - len(named)
        features = f" and {counted} feature column(s) (phase.feature)" if counted else ""
        print(f"{args.input}: column(s) not used by model {args.model} ignored: {named}{features}", file=sys.stderr)
    data.index = pd.Index(data.index, name="row")  # spreadsheet lines (header = 1), as the cohort import
    predictions, checked = predict_table(model, data, ids=data[id_col] if id_col else None)
    out = pd.DataFrame(index=data.index)
    if id_col:
        out[id_col] = data[id_col]
    columns = ["lp", "risk_group", *estimate_columns(model)]
    out = out.join(predictions.reindex(columns=columns), how="left") if len(predictions) else out.reindex(columns=[*out.columns, *columns])
    out["problems"] = _summaries(checked.errors, data.index)
    out["warnings"] = _summaries(checked.warnings, data.index)
    Path(args.out).write_text(csv_text(out, index=True), newline="")
    for problem in checked.errors.sort_values("row", kind="stable").itertuples():
        print(f"row {problem.row}, column {problem.column}: {problem.problem} (got {problem.value!r})", file=sys.stderr)
    for problem in checked.warnings.sort_values("row", kind="stable").itertuples():
        print(f"row {problem.row}, column {problem.column}: warning: {problem.problem} (got {problem.value!r}); "
              "predicted anyway", file=sys.stderr)
    n_bad = checked.errors["row"].nunique()
    print(f"Wrote {args.out}: {len(data) - n_bad} rows predicted, {n_bad} refused (see the problems column)")
    groups = model.spec["risk_groups"]
    print(f"Risk groups {'/'.join(groups['labels'])} at the cut-off {', '.join(f'{c:.4g}' for c in groups['cutoffs'])} "
          f"on the linear predictor b'x, not centred ({cutoff_description(groups['method'])})")
    return 1 if n_bad else 0
