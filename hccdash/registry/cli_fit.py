"""``python -m hccdash fit``: fit the whole pipeline from a feature CSV and a clinical CSV.

Writes ``DIR/model.joblib`` (the fitted :class:`RadiomicsNomogram`) and ``DIR/summary.json``
(``selected_features``, ``rad_score_coefficients`` on the z-scored features, ``c_index``
(``auc`` for an ER model) of the combined model on ``train``, ``validation`` and, with ``--split three``, ``external``,
and more). The same library call
as the model-building page (:class:`~hccdash.modeling.builder.ModelBuilder`). The command
runs the flow from the input files to the registry (``--save-as``), so it sits with the
registry, the last step it reaches.

Both tables are read by the cohort import's reader (:func:`hccdash.cohort.tables.read_table`:
CSV with any separator, decimal commas in ``;`` files, or XLSX). Feature table: see
:func:`hccdash.extraction.features_io.read_feature_matrix`. Clinical table: the id, time and
event columns and the predictors named in ``--clinical-vars``, checked as the import checks
it (:func:`read_clinical`): event codes guessed or given with ``--event-values``, times up to
the settings' ``cohort.max_time_months``, the predictors' kinds guessed as on the import page
(text categorical, first level in natural order = reference).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import joblib
import pandas as pd

from hccdash.cohort.events import parse_event_values
from hccdash.cohort.load import checked_frames
from hccdash.cohort.mapping import mapping_with_roles
from hccdash.cohort.split import METHODS, split_patients
from hccdash.cohort.table_checks import check_clinical
from hccdash.cohort.tables import read_table
from hccdash.cohort.validate import ERROR
from hccdash.extraction.features_io import read_feature_matrix
from hccdash.metric_names import discrimination_metric
from hccdash.modeling.builder import ModelBuilder, ModelInputs
from hccdash.modeling.configurations import settings_from_data
from hccdash.registry import registry
from hccdash.registry.pipelines import save_build
from hccdash.safe_yaml import read_yaml_file
from hccdash.settings import TIME_UNITS_IN_MONTHS, CohortSettings, Settings

HELP = "Fit the radiomics nomogram (filters, LASSO, clinical and combined models) from CSV files."
MODEL_FILE = "model.joblib"
SUMMARY_FILE = "summary.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``fit`` options."""
    parser.add_argument("--features", required=True, type=Path, help="feature CSV or XLSX (one row per patient)")
    parser.add_argument("--clinical", required=True, type=Path, help="clinical CSV or XLSX with id, time, event")
    parser.add_argument("--id-col", required=True, help="patient id column (in both files)")
    parser.add_argument("--time-col", required=True, help="follow-up time column")
    parser.add_argument("--time-unit", default="months", choices=sorted(TIME_UNITS_IN_MONTHS),
                        help="unit of the time column (default months)")
    parser.add_argument("--event-col", required=True, help="event column (e.g. 1 = recurrence, 0 = censored)")
    parser.add_argument("--event-values", help="EVENT,CENSOR codes, e.g. 1,0 or progressed,censored "
                        "(alternatives with |); default: guessed, as the cohort import")
    parser.add_argument("--clinical-vars", default="", help="comma-separated clinical predictors (default none)")
    parser.add_argument("--lasso-lambda", help="lambda.min, lambda.1se or a number (default from settings)")
    parser.add_argument("--no-filters", action="store_true", help="switch every pre-filter off (LASSO on all features)")
    parser.add_argument("--split", choices=METHODS,
                        help="training / validation split (default from settings: random 7:3 by event); three: "
                             "--validation-centres form the external validation set, the other centres are split "
                             "at random into training and internal validation")
    parser.add_argument("--validation-centres",
                        help="comma-separated centres forming the validation set of --split centre or the external "
                             "validation set of --split three (values of the clinical CSV's 'centre' column)")
    parser.add_argument("--settings", type=Path, help="settings YAML (sections split, selection, model, ...)")
    parser.add_argument("--save-as", help="also save the model in the registry under this name")
    parser.add_argument("--out", required=True, type=Path, help="output folder")


def read_settings(path: Path | None) -> Settings:
    """Settings from a YAML file (defaults when None)."""
    if path is None:
        return Settings()
    if not path.is_file():
        raise FileNotFoundError(f"Settings file {path} not found")
    return settings_from_data(read_yaml_file(path, f"Settings file {path}"), f"Settings file {path}")


def apply_options(settings: Settings, args: argparse.Namespace) -> Settings:
    """Settings with the command-line overrides."""
    selection = settings.selection
    if args.no_filters:
        selection = dataclasses.replace(selection, icc_threshold=None, variance_filter=False, univariate_p=None,
                                        correlation_threshold=None, mrmr_k=None, rf_k=None)
    if args.lasso_lambda:
        value = args.lasso_lambda
        if value not in ("lambda.min", "lambda.1se"):
            try:
                value = float(value)
            except ValueError:
                raise ValueError(f"--lasso-lambda must be lambda.min, lambda.1se or a number, got {value!r}") from None
        selection = dataclasses.replace(selection, lasso_lambda=value)
    split = settings.split if args.split is None else dataclasses.replace(settings.split, method=args.split)
    if args.validation_centres:
        centres = tuple(c.strip() for c in args.validation_centres.split(",") if c.strip())
        split = dataclasses.replace(split, validation_centres=centres)
    return dataclasses.replace(settings, selection=selection, split=split).validated()


def read_clinical(path: Path, args: argparse.Namespace, variables: list[str],
                  settings: CohortSettings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(patients: time in months, event, centre; clinical predictors typed as a stored cohort's)
    indexed by patient id, read and checked as the cohort import reads and checks a clinical table
    (:func:`hccdash.cohort.tables.read_table`, :func:`hccdash.cohort.table_checks.check_clinical`):
    CSV with any separator or XLSX, event codes given by ``--event-values`` or guessed, times up
    to ``settings.max_time_months``. Errors refuse the file (the first five named); warnings on the
    columns used are printed."""
    repeated = sorted({v for v in variables if variables.count(v) > 1})
    roles = [v for v in variables if v in (args.id_col, args.time_col, args.event_col)]
    faults = ([f"repeated {repeated}"] if repeated else []) + \
        ([f"{roles} are the id, time or event column, not predictors"] if roles else [])
    if faults:
        raise ValueError("--clinical-vars: " + "; ".join(faults))
    table = read_table(path, max_columns=settings.max_columns)
    centre = "centre" if "centre" in table.columns and "centre" not in variables else None
    mapping = mapping_with_roles(table, id_col=args.id_col, time_col=args.time_col, time_unit=args.time_unit,
                                 event_col=args.event_col, centre_col=centre,
                                 event_coding=parse_event_values(args.event_values) if args.event_values else None)
    data, problems = check_clinical(table, mapping.with_predictors(variables), str(path), settings)
    errors = [p for p in problems if p.severity == ERROR]
    if errors:
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise ValueError("; ".join(f"{p.where()}: {p.message}" for p in errors[:5]) + more)
    used = {args.id_col, args.time_col, args.event_col, centre, *variables, ""}
    for p in problems:
        if p.column in used:
            print(f"warning: {p.where()}: {p.message} ({p.action})", file=sys.stderr)
    return checked_frames(data)


def make_inputs(args: argparse.Namespace, settings: Settings) -> ModelInputs:
    """ModelInputs from the two CSV files, split as the settings say."""
    variables = [v.strip() for v in args.clinical_vars.split(",") if v.strip()]
    features, repeats = read_feature_matrix(args.features, args.id_col)
    patients, clinical = read_clinical(args.clinical, args, variables, settings.cohort)
    common = features.index.intersection(patients.index)
    if len(common) < 10:
        raise ValueError(f"Only {len(common)} patients are in both {args.features} and {args.clinical}")
    for path, ids in ((args.features, features.index), (args.clinical, patients.index)):
        unmatched = ids.difference(common)
        if len(unmatched):
            print(f"warning: {path}: {len(unmatched)} patient(s) not in the other file are left out "
                  f"(e.g. {list(unmatched[:5])})", file=sys.stderr)
    patients = patients.loc[common]
    split, problems = split_patients(patients, settings.split)
    errors = [p.message for p in problems if p.severity == "error"]
    if any(p.check == "split_centres" for p in problems):
        errors.append("give them with --validation-centres (comma-separated, e.g. --validation-centres B,C) or "
                      "split.validation_centres in --settings; centres are read from the clinical CSV's "
                      "'centre' column")
    if errors:
        raise ValueError(f"--split {settings.split.method}: {'; '.join(errors)}")
    patients["split"] = split
    training = patients[patients["split"] == "train"] if split.notna().any() else patients
    if training["event"].sum() < 2:
        raise ValueError(f"{args.clinical}: the training set has {int(training['event'].sum())} event(s) among "
                         f"{len(training)} patients; at least 2 are needed to fit a model")
    return ModelInputs(features.loc[common], clinical.loc[common], patients, repeats, args.features.stem)


def run(args: argparse.Namespace) -> int:
    """Fit, write model.joblib and summary.json, optionally register; exit code."""
    if args.out.exists() and not args.out.is_dir():
        raise ValueError(f"--out {args.out} is a file; give a folder for {MODEL_FILE} and {SUMMARY_FILE}")
    settings = apply_options(read_settings(args.settings), args)
    if args.save_as:  # checked before fitting, not after
        registry.check_name(args.save_as)
        if settings.selection.combat:
            raise ValueError("--save-as: a ComBat-harmonised model cannot be saved in the registry (its model file "
                             "cannot carry the harmonisation); use the written model.joblib, or refit without ComBat")
        if args.save_as in set(registry.list_models()["name"]):
            raise ValueError(f"--save-as: a model named '{args.save_as}' already exists; choose another name")
    inputs = make_inputs(args, settings)
    variables = list(inputs.clinical.columns)
    builder = ModelBuilder(inputs)
    result = builder.build(settings, clinical_vars=variables)
    args.out.mkdir(parents=True, exist_ok=True)
    joblib.dump(result.model, args.out / MODEL_FILE)
    summary = result.summary()
    (args.out / SUMMARY_FILE).write_text(json.dumps(summary, indent=2, default=str))
    for message in result.warnings:
        print(f"warning: {message}", file=sys.stderr)
    key, label = discrimination_metric(result.endpoint.family)
    per_set = ", ".join(f"{split} {value}" for split, value in summary[key].items())
    print(f"selected {len(summary['selected_features'])} feature(s); {label} {per_set}; "
          f"wrote {args.out / MODEL_FILE} and {args.out / SUMMARY_FILE}")
    if args.save_as:
        print(f"saved in the registry as '{save_build(builder, result, args.save_as)}'")
    return 0
