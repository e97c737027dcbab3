"""`python -m hccdash fit` end to end on a synthetic CSV pair."""

from __future__ import annotations

import json

import joblib
import pandas as pd
import pytest

from hccdash.cli import main

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
    assert 0.5 < summary["c_index"]["train"] <= 1 and 0 < summary["c_index"]["validation"] <= 1
    assert summary["n_train"] + summary["n_validation"] == 110
    model = joblib.load(out / "model.joblib")
    X = pd.read_csv(features, index_col="ID").join(pd.read_csv(clinical, index_col="ID")[["AFP"]])
    X["BCLC"] = pd.Categorical(pd.read_csv(clinical, index_col="ID")["BCLC"].astype(str))
    assert model.predict(X).shape == (110,)
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
