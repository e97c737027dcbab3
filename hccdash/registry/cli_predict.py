"""``python -m hccdash predict --model NAME --input patients.csv --out risks.csv``.

Writes, per input row, the linear predictor, the risk group and S(t) at the model's
horizons with the 95% CI (or the ER probability). A row with an invalid input is not
dropped silently: it stays in the output with empty predictions and its problems in
the ``problems`` column, and every problem is printed by row (1 = first data row) and column.
Warnings (outside the training range, a repeated patient id with the same inputs) are kept
in the ``warnings`` column and printed too. Columns the model does not use are named and
ignored. The exit code is 0 when every row was predicted, 1 when any row was refused and
2 (nothing written) when the file is unusable: empty, no data rows, or a model input
column missing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from hccdash.cohort.clinical import read_table
from hccdash.export import csv_text
from hccdash.registry.calculator import check_columns, estimate_columns, predict_table
from hccdash.registry.json_export import cutoff_description
from hccdash.registry.registry import json_model

HELP = "Predict risks for a CSV of patients with a registered model"
DEFAULT_ID_COL = "patient_id"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="registered model name")
    parser.add_argument("--input", required=True, type=Path, help="CSV with one row per patient")
    parser.add_argument("--out", required=True, type=Path, help="CSV to write")
    parser.add_argument("--id-col", default=None,
                        help=f"patient id column copied to the output (default: {DEFAULT_ID_COL} when present)")


def _summaries(problems: pd.DataFrame, index: pd.Index) -> pd.Series:
    text = problems.assign(text=problems["column"] + ": " + problems["problem"]).groupby("row")["text"].agg("; ".join)
    return text.reindex(index).fillna("")


def run(args: argparse.Namespace) -> int:
    if not args.input.is_file():
        raise FileNotFoundError(f"{args.input} does not exist")
    if args.out.resolve() == args.input.resolve():
        raise ValueError(f"--out {args.out} is the input file; choose another file")
    if not args.out.parent.is_dir():
        raise FileNotFoundError(f"--out {args.out}: folder {args.out.parent} does not exist")
    model = json_model(args.model)
    data = read_table(args.input)  # separator, encoding, repeated names, blank and NA cells handled
    if args.id_col and args.id_col not in data.columns:
        raise ValueError(f"{args.input}: no column {args.id_col!r} (columns: {list(data.columns)})")
    id_col = args.id_col or (DEFAULT_ID_COL if DEFAULT_ID_COL in data.columns else None)
    try:
        ignored = [c for c in check_columns(model, data.columns) if c != id_col]
    except ValueError as exc:
        raise ValueError(f"{args.input}: {exc}") from exc
    if ignored:
        print(f"{args.input}: column(s) not used by model {args.model} ignored: {ignored}", file=sys.stderr)
    data.index = pd.Index(data.index - 1, name="row")  # spreadsheet row 2 = data row 1
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
          f"on the linear predictor ({cutoff_description(groups['method'])})")
    return 1 if n_bad else 0
