"""``python -m hccdash fit``: fit the whole pipeline from a feature CSV and a clinical CSV.

Writes ``DIR/model.joblib`` (the fitted :class:`RadiomicsNomogram`) and ``DIR/summary.json``
(``selected_features``, ``rad_score_coefficients`` on the z-scored features, ``c_index``
of the combined model on ``train``, ``validation`` and, with ``--split three``, ``external``,
and more). The same library call
as the model-building page (:class:`~hccdash.modeling.builder.ModelBuilder`). The command
runs the flow from the input files to the registry (``--save-as``), so it sits with the
registry, the last step it reaches.

Feature CSV: one row per patient, the id column, then feature columns (named
``"{phase}.{feature}"``, or plain names); a long table with a ``phase`` column (one row
per patient and phase, as ``extract`` writes) is widened to ``"{phase}.{feature}"``. With a
``reader`` column, reader 1's rows are the features and readers 2, ... repeat segmentations
for the ICC filter (as the app uses a cohort's repeat masks).
Non-numeric columns and pyradiomics ``diagnostics_*`` columns are ignored.
Clinical CSV: the id, time and event (0/1) columns and the predictors named in
``--clinical-vars`` (text columns are categorical, first level sorted = reference).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import yaml

from hccdash.cohort.split import METHODS, split_patients
from hccdash.modeling.builder import ModelBuilder, ModelInputs
from hccdash.registry import registry
from hccdash.registry.pipelines import save_build
from hccdash.settings import TIME_UNITS_IN_MONTHS, CohortSettings, Settings

HELP = "Fit the radiomics nomogram (filters, LASSO, clinical and combined models) from CSV files."
MODEL_FILE = "model.joblib"
SUMMARY_FILE = "summary.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``fit`` options."""
    parser.add_argument("--features", required=True, type=Path, help="feature CSV (one row per patient)")
    parser.add_argument("--clinical", required=True, type=Path, help="clinical CSV with id, time, event")
    parser.add_argument("--id-col", required=True, help="patient id column (in both files)")
    parser.add_argument("--time-col", required=True, help="follow-up time column")
    parser.add_argument("--time-unit", default="months", choices=sorted(TIME_UNITS_IN_MONTHS),
                        help="unit of the time column (default months)")
    parser.add_argument("--event-col", required=True, help="event column (1 = recurrence, 0 = censored)")
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
    try:
        data = yaml.safe_load(path.read_bytes().decode("utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ValueError(f"Settings file {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"Settings file {path} must hold a mapping of sections")
    return Settings.from_dict(data)


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


def _read_csv(path: Path, id_col: str) -> pd.DataFrame:
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found")
    try:  # ids as text: '007' and '7' are different patients
        frame = pd.read_csv(path, dtype={id_col: str})
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not a readable CSV table: {exc}") from None
    if id_col not in frame.columns:
        raise ValueError(f"{path}: no id column '{id_col}' (columns: {list(frame.columns)[:10]})")
    frame[id_col] = frame[id_col].str.strip()
    blank = frame.index[frame[id_col].isna() | (frame[id_col] == "")]
    if len(blank):
        raise ValueError(f"{path}: column '{id_col}' is empty in row(s) {[int(r) + 2 for r in blank[:5]]} "
                         "(row 1 = header)")
    return frame


def read_features(path: Path, id_col: str) -> tuple[pd.DataFrame, tuple[pd.DataFrame, ...] | None]:
    """(reader 1's wide matrix indexed by patient id, repeat matrices for the ICC or None).

    With a ``reader`` column, reader 1's rows are the features and readers 2, ... the repeat
    segmentations: the repeats are reader 1 then each other reader, aligned on the patients
    all of them have and on shared columns (as :func:`hccdash.extraction.matrices.repeat_pairs`), or
    None when fewer than 2 patients have every reader. See the module docstring.
    """
    frame = _read_csv(path, id_col)
    if "reader" not in frame.columns:
        return _complete(_widen(frame, path, id_col), path), None
    reader = frame["reader"].astype(str).str.strip().str.replace(r"\.0$", "", regex=True)
    if not (reader == "1").any():
        raise ValueError(f"{path}: column 'reader' has no reader 1 rows (readers {sorted(set(reader))}); "
                         "reader 1 is the primary segmentation")
    features = _complete(_widen(frame[reader == "1"].drop(columns="reader"), path, id_col), path)
    matrices = [features] + [_widen(frame[reader == r].drop(columns="reader"), path, id_col).dropna(how="all")
                             for r in sorted(set(reader) - {"1"})]  # all-NaN rows: no repeat mask
    if len(matrices) == 1:
        return features, None
    patients, columns = features.index, features.columns
    for matrix in matrices[1:]:
        patients, columns = patients.intersection(matrix.index), columns.intersection(matrix.columns)
    repeats = tuple(matrix.loc[patients, columns] for matrix in matrices)
    return features, repeats if len(patients) >= 2 else None


def _widen(frame: pd.DataFrame, path: Path, id_col: str) -> pd.DataFrame:
    """One reader's rows -> numeric matrix indexed by patient id (long tables widened by phase)."""
    if "phase" in frame.columns:
        repeated = frame[frame.duplicated([id_col, "phase"])]
        if len(repeated):
            raise ValueError(f"{path}: patient '{repeated[id_col].iloc[0]}', phase '{repeated['phase'].iloc[0]}' "
                             f"occurs more than once (row {int(repeated.index[0]) + 2}); keep one row per "
                             "patient and phase")
        frame = frame.pivot(index=id_col, columns="phase")
        frame.columns = [f"{phase}.{feature}" for feature, phase in frame.columns]
    else:
        if frame[id_col].duplicated().any():
            raise ValueError(f"{path}: duplicated patient id(s) {list(frame[id_col][frame[id_col].duplicated()][:5])}")
        frame = frame.set_index(id_col)
    features = [c for c in frame.columns if not str(c).split(".")[-1].startswith("diagnostics_")]
    for column in features:  # a number column with a stray text cell is an error, not a text column
        numbers = pd.to_numeric(frame[column], errors="coerce")
        if numbers.notna().any() and not pd.api.types.is_numeric_dtype(frame[column]):
            patient = numbers.index[numbers.isna() & frame[column].notna()][0]
            raise ValueError(f"{path}: feature column '{column}' holds numbers and text; patient '{patient}' has "
                             f"{frame.at[patient, column]!r}")
    keep = [c for c in features if pd.api.types.is_numeric_dtype(frame[c])]
    frame = frame[keep].astype(float)
    frame.index.name = "patient_id"
    if frame.empty or not keep:
        raise ValueError(f"{path}: no numeric feature column found")
    return frame


def _complete(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """``frame`` if every value is finite (the modelling features must be)."""
    incomplete = frame.columns[(~np.isfinite(frame)).any()]
    if len(incomplete):
        raise ValueError(f"{path}: feature(s) {list(incomplete[:5])} have missing or infinite values "
                         f"(e.g. patient '{frame.index[~np.isfinite(frame[incomplete[0]])][0]}')")
    return frame


def read_clinical(path: Path, id_col: str, time_col: str, time_unit: str, event_col: str,
                  variables: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(patients: time in months, event, centre; clinical predictors) indexed by patient id."""
    frame = _read_csv(path, id_col)
    repeated = sorted({v for v in variables if variables.count(v) > 1})
    roles = [v for v in variables if v in (id_col, time_col, event_col)]
    faults = ([f"repeated {repeated}"] if repeated else []) + \
        ([f"{roles} are the id, time or event column, not predictors"] if roles else [])
    if faults:
        raise ValueError("--clinical-vars: " + "; ".join(faults))
    missing = [c for c in (time_col, event_col, *variables) if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}")
    if frame[id_col].duplicated().any():
        raise ValueError(f"{path}: duplicated patient id(s) {list(frame[id_col][frame[id_col].duplicated()][:5])}")
    frame = frame.set_index(id_col)
    frame.index.name = "patient_id"
    time = pd.to_numeric(frame[time_col], errors="coerce")
    most = CohortSettings().max_time_months
    limit = most / TIME_UNITS_IN_MONTHS[time_unit]
    bad = time.index[~np.isfinite(time) | (time <= 0) | (time > limit)]
    if len(bad):
        raise ValueError(f"{path}: column '{time_col}' needs positive numbers up to {limit:.6g} {time_unit} "
                         f"({most / 12:g} years); patient '{bad[0]}' has '{frame.loc[bad[0], time_col]}'")
    event = pd.to_numeric(frame[event_col], errors="coerce")
    bad = event.index[~event.isin([0, 1])]
    if len(bad):
        raise ValueError(f"{path}: column '{event_col}' must be 0/1; patient '{bad[0]}' has "
                         f"{frame.loc[bad[0], event_col]!r}")
    patients = pd.DataFrame({"time": time * TIME_UNITS_IN_MONTHS[time_unit], "event": event.astype(int)})
    patients["centre"] = frame["centre"].astype(str) if "centre" in frame.columns else None
    clinical = frame[variables].copy()
    for column in variables:
        if not pd.api.types.is_numeric_dtype(clinical[column]):
            clinical[column] = pd.Categorical(clinical[column])
    return patients, clinical


def make_inputs(args: argparse.Namespace, settings: Settings) -> ModelInputs:
    """ModelInputs from the two CSV files, split as the settings say."""
    variables = [v.strip() for v in args.clinical_vars.split(",") if v.strip()]
    features, repeats = read_features(args.features, args.id_col)
    patients, clinical = read_clinical(args.clinical, args.id_col, args.time_col, args.time_unit,
                                       args.event_col, variables)
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
    if args.save_as:  # checked before fitting, not after
        registry.check_name(args.save_as)
        if args.save_as in set(registry.list_models()["name"]):
            raise ValueError(f"--save-as: a model named '{args.save_as}' already exists; choose another name")
    settings = apply_options(read_settings(args.settings), args)
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
    c = summary["c_index"]
    per_set = ", ".join(f"{split} {value}" for split, value in c.items())
    print(f"selected {len(summary['selected_features'])} feature(s); C-index {per_set}; "
          f"wrote {args.out / MODEL_FILE} and {args.out / SUMMARY_FILE}")
    if args.save_as:
        print(f"saved in the registry as '{save_build(builder, result, args.save_as)}'")
    return 0
