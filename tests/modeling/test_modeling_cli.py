"""`python -m hccdash fit`: end to end on a synthetic CSV pair, and hostile CSV and settings files
(exit 2, a message naming file / column / patient, nothing written)."""

from __future__ import annotations

import json

import joblib
import numpy as np
import pandas as pd
import pytest

from hccdash.cli import main
from hccdash.cohort.split import split_patients
from hccdash.settings import SplitSettings
from hccdash.stats import harrell_c

from synthetic_cohort import synthetic_inputs


@pytest.fixture
def csv_pair(tmp_path):
    inputs = synthetic_inputs(n=110, p=60, seed=8, n_latent=12)
    features = tmp_path / "features.csv"
    clinical = tmp_path / "clinical.csv"
    inputs.features.rename_axis("ID").to_csv(features)
    table = inputs.clinical.join(inputs.patients[["time", "event"]])
    table["time"] = table["time"] * 30.4375  # days
    table.rename_axis("ID").to_csv(clinical)
    return features, clinical


def _args(features, clinical, out, *extra):
    return ["fit", "--features", str(features), "--clinical", str(clinical), "--id-col", "ID",
            "--time-col", "time", "--time-unit", "days", "--event-col", "event", "--out", str(out), *extra]


def test_fit_writes_model_and_summary(csv_pair, tmp_path, capsys):
    features, clinical = csv_pair
    out = tmp_path / "out"
    assert main(_args(features, clinical, out, "--clinical-vars", "AFP,BCLC")) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["selected_features"]
    assert set(summary["rad_score_coefficients"]) == set(summary["selected_features"])
    assert set(summary["c_index"]) == {"train", "validation"}
    assert summary["n_train"] + summary["n_validation"] == 110
    model = joblib.load(out / "model.joblib")
    table = pd.read_csv(clinical, index_col="ID")
    X = pd.read_csv(features, index_col="ID").join(table[["AFP"]])
    X["BCLC"] = pd.Categorical(table["BCLC"].astype(str))
    lp = pd.Series(model.predict(X), index=X.index)
    assert lp.shape == (110,)
    # the C-index of the saved model on each set of the settings' split (random 7:3 by event, seed 42)
    patients = pd.DataFrame({"time": table["time"] / 30.4375, "event": table["event"]})
    split, _ = split_patients(patients, SplitSettings())
    for name in ("train", "validation"):
        ids = split.index[split == name]
        assert len(ids) == summary[f"n_{name}"]
        expected = harrell_c(patients.loc[ids, "time"], patients.loc[ids, "event"], lp[ids])
        assert summary["c_index"][name] == pytest.approx(expected, abs=1e-12)
    assert "selected" in capsys.readouterr().out


def test_no_filters_and_fixed_lambda(csv_pair, tmp_path):
    features, clinical = csv_pair
    out = tmp_path / "out"
    assert main(_args(features, clinical, out, "--no-filters", "--lasso-lambda", "0.05", "--split", "none")) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["funnel"] == {"input": 60, "lasso": len(summary["selected_features"])}
    assert summary["lambda"] == pytest.approx(0.05)
    assert summary["n_validation"] == 0 and summary["c_index"]["validation"] is None


def test_bad_input_names_the_problem(csv_pair, tmp_path, capsys):
    features, clinical = csv_pair
    bad = tmp_path / "bad.csv"
    table = pd.read_csv(clinical)
    table["event"] = table["event"].astype(object)
    table.loc[3, "event"] = "maybe"  # 'yes' is an event code, as on the import page; 'maybe' is none
    table.to_csv(bad, index=False)
    assert main(_args(features, bad, tmp_path / "out")) == 2
    err = capsys.readouterr().err
    assert "column 'event'" in err and "unknown event code (coding: event = 1; censored = 0)" in err and "'maybe'" in err
    assert main(_args(features, clinical, tmp_path / "out", "--clinical-vars", "nope")) == 2
    assert "nope" in capsys.readouterr().err


def test_save_as_registers_the_model(csv_pair, tmp_path, capsys):
    """--save-as stores the fitted pipeline in the registry (hccdash.registry)."""
    from hccdash.registry import registry

    features, clinical = csv_pair
    assert main(_args(features, clinical, tmp_path / "out", "--clinical-vars", "AFP", "--save-as", "cli_model")) == 0
    assert "cli_model" in capsys.readouterr().out
    assert "cli_model" in registry.list_models()["name"].tolist()
    assert main(_args(features, clinical, tmp_path / "out", "--save-as", "cli_model")) == 2  # name taken


def test_fit_reads_what_the_cohort_import_reads(csv_pair, tmp_path, capsys):
    """The clinical table as a European spreadsheet exports it (';' separator, decimal commas,
    event words) and the features as XLSX give the model of the plain CSV pair; event codes
    that cannot be guessed are given with --event-values, as for ``import``."""
    features, clinical = csv_pair
    plain = tmp_path / "plain"
    assert main(_args(features, clinical, plain, "--clinical-vars", "AFP,BCLC", "--split", "none")) == 0
    table = pd.read_csv(clinical)
    table["event"] = table["event"].map({1: "recurrence", 0: "censored"})
    european = tmp_path / "clinical_eu.csv"
    european.write_text(table.to_csv(sep=";", index=False, decimal=","))
    workbook = tmp_path / "features.xlsx"
    pd.read_csv(features, dtype={"ID": str}).to_excel(workbook, index=False)
    other = tmp_path / "other"
    assert main(_args(workbook, european, other, "--clinical-vars", "AFP,BCLC", "--split", "none")) == 0
    first, second = (json.loads((folder / "summary.json").read_text()) for folder in (plain, other))
    assert second["selected_features"] == first["selected_features"]
    assert second["c_index"]["train"] == pytest.approx(first["c_index"]["train"], abs=1e-12)
    table["event"] = table["event"].map({"recurrence": "R", "censored": "C"})
    table.to_csv(european, sep=";", index=False, decimal=",")
    third = [features, european, tmp_path / "third", "--clinical-vars", "AFP,BCLC", "--split", "none"]
    assert main(_args(*third)) == 2
    assert "cannot tell which codes mean event and censored (values: C, R)" in capsys.readouterr().err
    assert main(_args(*third, "--event-values", "R,C")) == 0
    assert json.loads((tmp_path / "third" / "summary.json").read_text())["selected_features"] == \
        first["selected_features"]


@pytest.fixture
def pair(tmp_path):
    rng = np.random.default_rng(1)
    ids = [f"P{i:03d}" for i in range(40)]
    features = pd.DataFrame(rng.normal(size=(40, 5)), columns=[f"portal.f{i}" for i in range(5)], index=ids)
    clinical = pd.DataFrame({"t": rng.exponential(30, 40).round(1) + 0.5, "e": np.arange(40) % 2}, index=ids)
    return features.rename_axis("id"), clinical.rename_axis("id")


def _fit(tmp_path, features, clinical, *extra) -> int:
    paths = []
    for name, table in (("features.csv", features), ("clinical.csv", clinical)):
        if isinstance(table, pd.DataFrame):
            table.to_csv(tmp_path / name)
        else:
            (tmp_path / name).write_bytes(table)
        paths.append(str(tmp_path / name))
    return main(["fit", "--features", paths[0], "--clinical", paths[1], "--id-col", "id", "--time-col", "t",
                 "--event-col", "e", "--out", str(tmp_path / "out"), *extra])


def test_a_text_cell_in_a_feature_column_is_named_not_dropped(tmp_path, pair, capsys):
    features, clinical = pair
    features = features.astype(object)
    features.loc["P003", "portal.f1"] = "1,5"
    assert _fit(tmp_path, features, clinical) == 2
    assert "features.csv: feature column 'portal.f1' holds numbers and text; patient 'P003' has '1,5'" in \
        capsys.readouterr().err


def test_infinite_feature_and_time_name_the_file(tmp_path, pair, capsys):
    features, clinical = pair
    features.loc["P004", "portal.f2"] = np.inf
    assert _fit(tmp_path, features, clinical) == 2
    assert "features.csv: feature(s) ['portal.f2'] have missing or infinite values (e.g. patient 'P004')" in \
        capsys.readouterr().err
    features.loc["P004", "portal.f2"] = 0.0
    clinical.loc["P002", "t"] = np.inf
    assert _fit(tmp_path, features, clinical) == 2
    assert "clinical.csv, row 4, column 't', value 'inf', patient 'P002': time is not a number" \
        in capsys.readouterr().err
    clinical.loc["P002", "t"] = 3650
    assert _fit(tmp_path, features, clinical) == 2
    assert ("value '3650.0', patient 'P002': time of 3650 months is above the possible 1200 (100 years)"
            in capsys.readouterr().err)


def test_empty_feature_file_and_broken_yaml(tmp_path, pair, capsys):
    features, clinical = pair
    assert _fit(tmp_path, b"", clinical) == 2
    assert "features.csv: not a readable CSV table" in capsys.readouterr().err
    (tmp_path / "s.yaml").write_bytes(b"selection:\n  mrmr_k: [unclosed\n")
    assert _fit(tmp_path, features, clinical, "--settings", str(tmp_path / "s.yaml")) == 2
    assert "s.yaml is not valid YAML" in capsys.readouterr().err


def test_out_of_range_settings_and_lambda_are_refused(tmp_path, pair, capsys):
    features, clinical = pair
    (tmp_path / "s.yaml").write_text("selection:\n  icc_threshold: 1.5\n")
    assert _fit(tmp_path, features, clinical, "--settings", str(tmp_path / "s.yaml")) == 2
    assert "selection.icc_threshold must be a number >= 0 and <= 1" in capsys.readouterr().err
    assert _fit(tmp_path, features, clinical, "--lasso-lambda=-1") == 2
    assert "selection.lasso_lambda must be one of ['lambda.min', 'lambda.1se'] or a number > 0, got -1.0" in \
        capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_single_event_is_refused_naming_the_training_set(tmp_path, pair, capsys):
    features, clinical = pair
    clinical["e"] = 0
    clinical.loc["P000", "e"] = 1
    assert _fit(tmp_path, features, clinical, "--split", "none") == 2
    assert "clinical.csv: the training set has 1 event(s) among 40 patients; at least 2 are needed" in \
        capsys.readouterr().err


def test_blank_ids_are_refused_and_leading_zeros_kept(tmp_path, pair, capsys):
    features, clinical = pair
    text = features.to_csv().replace("\nP005,", "\n,")
    assert _fit(tmp_path, text.encode(), clinical) == 2
    assert "features.csv: column 'id' is empty in row(s) [7]" in capsys.readouterr().err
    zeros = [f"{i:03d}" for i in range(40)]
    assert _fit(tmp_path, features.set_axis(zeros).rename_axis("id"),
                clinical.set_axis([str(i) for i in range(40)]).rename_axis("id")) == 2
    assert "Only 0 patients are in both" in capsys.readouterr().err  # '007' is not patient '7'


def test_long_table_repeats_name_the_patient_and_reader_2_is_not_a_duplicate(tmp_path, pair, capsys):
    features, clinical = pair
    long = features.set_axis([c.split(".")[1] for c in features.columns], axis=1).assign(phase="portal")
    repeat = long.iloc[:2].assign(reader=2)
    table = pd.concat([long.assign(reader=1), repeat]).reset_index()
    # a reader-2 repeat is not a duplicate: fitting goes past reading the features
    assert _fit(tmp_path, table.to_csv(index=False).encode(), clinical, "--lasso-lambda=-1") == 2
    assert "lasso_lambda" in capsys.readouterr().err
    table = pd.concat([long, long.iloc[[3]]]).reset_index()
    assert _fit(tmp_path, table.to_csv(index=False).encode(), clinical) == 2
    assert "features.csv: patient 'P003', phase 'portal' occurs more than once (row 42)" in capsys.readouterr().err


def test_out_naming_a_file_is_refused_before_fitting(tmp_path, pair, capsys):
    features, clinical = pair
    (tmp_path / "out").write_text("keep me")
    assert _fit(tmp_path, features, clinical) == 2
    assert "out is a file; give a folder for model.joblib and summary.json" in capsys.readouterr().err
    assert (tmp_path / "out").read_text() == "keep me"


@pytest.mark.parametrize("name, message", [("../x", "Model name '../x' is not allowed"),
                                           ("taken", "a model named 'taken' already exists")])
def test_save_as_name_is_checked_before_fitting(tmp_path, pair, capsys, monkeypatch, name, message):
    from hccdash.registry import cli_fit as fit_cli

    features, clinical = pair
    monkeypatch.setattr(fit_cli.registry, "list_models", lambda: pd.DataFrame({"name": ["taken"]}))
    monkeypatch.setattr(fit_cli, "ModelBuilder", None)  # fitting would fail loudly
    assert _fit(tmp_path, features, clinical, "--save-as", name) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("variables, message", [
    ("t,e", "--clinical-vars: ['t', 'e'] are the id, time or event column, not predictors"),
    ("id", "--clinical-vars: ['id'] are the id, time or event column"),
    ("age,age", "--clinical-vars: repeated ['age']"),
])
def test_clinical_vars_naming_roles_or_repeated_are_refused(tmp_path, pair, capsys, variables, message):
    features, clinical = pair
    clinical["age"] = np.arange(40) + 30
    assert _fit(tmp_path, features, clinical, "--clinical-vars", variables) == 2
    assert message in capsys.readouterr().err


def test_reader_2_rows_are_the_repeat_segmentations_of_the_icc_filter(tmp_path, pair, capsys):
    """As `extract` writes them: reader 1 rows are the features, reader 2 rows (some patients) the repeats."""
    features, clinical = pair
    rng = np.random.default_rng(5)
    long = features.set_axis([c.split(".")[1] for c in features.columns], axis=1).assign(phase="portal")
    repeat = long.iloc[:20].copy()
    repeat[["f0", "f1", "f2", "f3"]] += rng.normal(scale=0.05, size=(20, 4))  # reproducible features
    repeat["f4"] = rng.normal(size=20)  # f4 is not reproducible: ICC about 0
    table = pd.concat([long.assign(reader=1), repeat.assign(reader=2)]).reset_index()
    assert _fit(tmp_path, table.to_csv(index=False).encode(), clinical, "--split", "none") == 0
    assert "No repeat segmentations" not in capsys.readouterr().err
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["funnel"]["input"] == 5 and summary["funnel"]["icc"] == 4
    assert "portal.f4" not in summary["selected_features"]


def test_centre_split_takes_validation_centres_and_says_how_to_give_them(tmp_path, pair, capsys):
    features, clinical = pair
    clinical["centre"] = np.where(np.arange(40) < 28, "A", "B")
    assert _fit(tmp_path, features, clinical, "--split", "centre") == 2
    err = capsys.readouterr().err
    assert "validation centre(s) not given" in err and "give them with --validation-centres" in err
    assert _fit(tmp_path, features, clinical, "--split", "centre", "--validation-centres", " B ") == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert (summary["n_train"], summary["n_validation"]) == (28, 12)
    assert _fit(tmp_path, features, clinical, "--split", "centre", "--validation-centres", "B,Z") == 2
    assert "validation centre(s) ['Z']" in capsys.readouterr().err


def test_the_settings_time_limit_applies(tmp_path, pair, capsys):
    """--settings cohort.max_time_months is the limit of the clinical times (not the default 1200)."""
    features, clinical = pair
    clinical.loc["P006", "t"] = 130.0  # over 10 years
    (tmp_path / "s.yaml").write_text("cohort:\n  max_time_months: 120\n")
    assert _fit(tmp_path, features, clinical, "--settings", str(tmp_path / "s.yaml"), "--split", "none") == 2
    assert ("clinical.csv, row 8, column 't', value '130.0', patient 'P006': time of 130 months is above the "
            "possible 120 (10 years)") in capsys.readouterr().err
    assert _fit(tmp_path, features, clinical, "--split", "none", "--lasso-lambda", "0.1") == 0  # default limit
