"""The real pipeline through the registry: save, load, JSON round trip, calculator, CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from hccdash import cli
from hccdash import calculator
from hccdash.registry import registry
from hccdash.registry.json_model import horizon_column

pytestmark = pytest.mark.filterwarnings("ignore:Only .* events per model term:UserWarning")
HORIZONS = [12.0, 24.0, 36.0]


def _assert_same_survival(model, pipeline, data):
    for mine, theirs in zip(model.predict_survival(data, HORIZONS, level=0.95),
                            pipeline.predict_survival(data, HORIZONS, level=0.95)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("fixture", ["cox_pipeline", "fusion_pipeline"])
def test_saved_loaded_and_json_models_predict_as_the_pipeline(fixture, request):
    fitted = request.getfixturevalue(fixture)
    pipeline = fitted.result.model
    registry.save(pipeline, "combined", "synthetic", **fitted.save_kwargs())
    loaded = registry.load("combined")
    assert sorted(loaded.record.meta["selected_features"]) == sorted(pipeline.radiomics_.selected_features_)
    np.testing.assert_array_equal(loaded.pipeline.predict(fitted.validation), pipeline.predict(fitted.validation))
    _assert_same_survival(loaded.json_model, pipeline, fitted.validation)
    np.testing.assert_allclose(loaded.json_model.linear_predictor(fitted.validation),
                               pipeline.predict(fitted.validation), rtol=1e-12, atol=1e-12)
    registry.import_json(registry.export_json("combined"), "combined-json")
    shared = registry.json_model("combined-json")
    _assert_same_survival(shared, pipeline, fitted.validation)
    for a, b in zip(shared.predict_survival(fitted.validation, HORIZONS, level=0.95),
                    loaded.json_model.predict_survival(fitted.validation, HORIZONS, level=0.95)):
        np.testing.assert_array_equal(a, b)  # the JSON round trip is exact


def test_er_model_probability_equals_the_pipeline(er_pipeline):
    pipeline = er_pipeline.result.model
    registry.save(pipeline, "er", **er_pipeline.save_kwargs())
    model = registry.json_model("er")
    prob, lower, upper = model.predict_proba(er_pipeline.validation, level=0.95)
    np.testing.assert_allclose(prob, pipeline.predict_proba(er_pipeline.validation)[:, 1], rtol=1e-12)
    assert np.all((lower < prob) & (prob < upper))
    patient = er_pipeline.validation.iloc[0]
    result = calculator.predict_patient(model, _inputs(model, patient))
    assert result.estimates["prob"].iloc[0] == pytest.approx(prob[0], rel=1e-12)


def _inputs(model, row: pd.Series) -> dict:
    """One patient's form values: clinical predictors and the selected features."""
    names = [p["name"] for p in model.spec["predictors"] if p["kind"] != "rad_score"] + list(model.features.index)
    return {name: row[name] for name in names}


def test_calculator_equals_the_pipeline_and_what_if_changes_afp(cox_pipeline):
    pipeline = cox_pipeline.result.model
    registry.save(pipeline, "combined", **cox_pipeline.save_kwargs())
    model = registry.json_model("combined")
    patient = cox_pipeline.validation.iloc[[3]]
    values = _inputs(model, patient.iloc[0])
    result = calculator.predict_patient(model, values)
    surv, lower, upper = pipeline.predict_survival(patient, HORIZONS, level=0.95)
    np.testing.assert_allclose(result.estimates[["surv", "lower", "upper"]].to_numpy().T,
                               np.vstack([surv, lower, upper]), rtol=1e-10)
    assert result.lp == pytest.approx(pipeline.predict(patient)[0], rel=1e-12)
    assert result.inputs["rad_score"] == pytest.approx(pipeline.rad_score(patient).iloc[0], rel=1e-12)
    # contributions are b (x - training mean) and sum to lp - b'mean
    assert result.contributions["contribution"].sum() == pytest.approx(
        result.lp - float(model.terms["mean"] @ model.coef), rel=1e-9)
    points = result.points.set_index("term")["points"]
    assert points["total"] == pytest.approx(points.drop("total").sum())
    changed = calculator.what_if(model, values, {"AFP": values["AFP"] * 20})
    afp_coef = model.coef["AFP"]
    row = changed.set_index("quantity")
    assert row.at["linear predictor", "change"] == pytest.approx(afp_coef * values["AFP"] * 19, rel=1e-9)
    assert np.sign(row.at["RFS at 24 months", "change"]) == -np.sign(afp_coef)


def test_calculator_refuses_impossible_and_warns_out_of_range(cox_pipeline):
    registry.save(cox_pipeline.result.model, "combined", **cox_pipeline.save_kwargs())
    model = registry.json_model("combined")
    values = _inputs(model, cox_pipeline.validation.iloc[0])
    with pytest.raises(calculator.InputError, match="AFP: impossible: must be >= 0"):
        calculator.predict_patient(model, {**values, "AFP": -3})
    with pytest.raises(calculator.InputError, match="BCLC: not one of the levels"):
        calculator.predict_patient(model, {**values, "BCLC": "D"})
    train_max = model.predictors.at["AFP", "max"]
    result = calculator.predict_patient(model, {**values, "AFP": train_max * 3})
    assert "AFP" in set(result.warnings["column"])
    feature = model.features.index[0]
    far = {**values, feature: model.features.at[feature, "max"] + 40 * model.features.at[feature, "sd"]}
    result = calculator.predict_patient(model, far)
    assert result.mahalanobis > calculator.mahalanobis_threshold(model)
    assert "radiomic features" in set(result.warnings["column"])
    typed = {k: v for k, v in values.items() if k not in model.features.index}
    typed["rad_score"] = 0.25
    assert calculator.predict_patient(model, typed).inputs["rad_score"] == 0.25


def test_cli_predict_equals_the_pipeline_and_reports_invalid_rows(cox_pipeline, tmp_path, capsys):
    pipeline = cox_pipeline.result.model
    registry.save(pipeline, "combined", **cox_pipeline.save_kwargs())
    patients = cox_pipeline.validation.iloc[:6].copy()
    patients.insert(0, "patient_id", patients.index)
    patients.iloc[1, patients.columns.get_loc("AFP")] = -10.0  # impossible
    patients["BCLC"] = patients["BCLC"].astype(object)
    patients.iloc[4, patients.columns.get_loc("BCLC")] = "Z"  # unknown level
    source = tmp_path / "patients.csv"
    patients.to_csv(source, index=False)
    out = tmp_path / "risks.csv"
    code = cli.main(["predict", "--model", "combined", "--input", str(source), "--out", str(out),
                     "--id-col", "patient_id"])
    assert code == 1
    stderr = capsys.readouterr().err
    assert "row 3, column AFP: impossible" in stderr and "row 6, column BCLC: not one of the levels" in stderr
    risks = pd.read_csv(out)
    assert len(risks) == 6 and risks["patient_id"].tolist() == patients["patient_id"].tolist()
    good = [0, 2, 3, 5]
    assert risks.loc[[1, 4], "lp"].isna().all() and risks.loc[good, "problems"].isna().all()
    clean = cox_pipeline.validation.iloc[good]
    np.testing.assert_allclose(risks.loc[good, "lp"], pipeline.predict(clean), rtol=1e-9)
    surv, lower, upper = pipeline.predict_survival(clean, HORIZONS, level=0.95)
    for j, h in enumerate(HORIZONS):
        np.testing.assert_allclose(risks.loc[good, horizon_column(h)], surv[:, j], rtol=1e-9)
        np.testing.assert_allclose(risks.loc[good, f"{horizon_column(h)}_lower"], lower[:, j], rtol=1e-9)
    calc = calculator.predict_patient(registry.json_model("combined"),
                                      _inputs(registry.json_model("combined"), cox_pipeline.validation.iloc[0]))
    assert calc.estimates["surv"].tolist() == pytest.approx(risks.loc[0, [horizon_column(h) for h in HORIZONS]].tolist(),
                                                            rel=1e-12)


def test_cli_models_export_and_import(cox_pipeline, tmp_path, capsys):
    registry.save(cox_pipeline.result.model, "combined", "note", **cox_pipeline.save_kwargs())
    assert cli.main(["models", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [m["name"] for m in listed] == ["combined"] and listed[0]["endpoint"] == "rfs"
    path = tmp_path / "m.json"
    assert cli.main(["export", "--model", "combined", "--out", str(path)]) == 0
    assert cli.main(["import-model", str(path), "--name", "site-b"]) == 0
    path.write_text(path.read_text().replace('"format_version": 1', '"format_version": 1, "run": "x"'))
    assert cli.main(["import-model", str(path), "--name", "site-c"]) == 2
    assert "Additional properties" in capsys.readouterr().err
    assert registry.list_models()["name"].tolist() == ["combined", "site-b"]


def test_calculator_nomogram_equals_the_evaluation_nomogram(cox_pipeline):
    """Same axes and points as the evaluation page draws from the pipeline and its training
    rows, and the patient's total points read off the RFS axes give the predicted S(t)."""
    from hccdash.evaluation.nomogram import nomogram_ticks
    from hccdash.stats.nomogram import survival_from_points

    pipeline = cox_pipeline.result.model
    registry.save(pipeline, "combined", **cox_pipeline.save_kwargs())
    model = registry.json_model("combined")
    theirs = nomogram_ticks(pipeline, cox_pipeline.train, HORIZONS)
    mine, _ = calculator.nomogram_figure(model)
    for axis in [a for a in theirs["axis"].unique() if a in set(model.terms.index) | {"Total points"}]:
        np.testing.assert_allclose(mine.loc[mine["axis"] == axis, "x"], theirs.loc[theirs["axis"] == axis, "x"],
                                   rtol=1e-9, err_msg=axis)
    values = _inputs(model, cox_pipeline.validation.iloc[0])
    result = calculator.predict_patient(model, values)
    total = result.points.set_index("term").at["total", "points"]
    nom = calculator.nomogram(model)
    for j, h in enumerate(HORIZONS):
        s0 = calculator.baseline_at_zero(model, h)
        assert survival_from_points(nom, total, s0) == pytest.approx(result.estimates["surv"].iloc[j], rel=1e-9)


def test_an_er_model_saved_from_model_building_counts_er_events_and_reports_its_auc(er_pipeline):
    """The registry counts the ER events (recurrence by the horizon) of the rows the logistic
    model was fitted on, not their RFS events, and calls its discrimination an AUC."""
    from hccdash.modeling.builder import ModelBuilder
    from hccdash.registry.details import model_summary
    from hccdash.registry.pipelines import save_build

    result = er_pipeline.result
    save_build(ModelBuilder(er_pipeline.inputs), result, "er")
    record = registry.get("er")
    combined = result.model.combined_
    rfs_events = int(er_pipeline.inputs.patients.loc[result.train_index, "event"].sum())
    assert combined.events_used_ < rfs_events  # the two counts differ here, so the check below can fail
    assert (record.meta["n_train"], record.meta["events_train"]) == (combined.n_used_, combined.events_used_)
    summary = model_summary(registry.json_model("er"), record.metrics)
    assert "C-index" not in summary.index
    assert summary.loc["AUC", "value"].startswith(f"train {result.discrimination.loc['combined', 'train']:.3f}")
    assert f"{combined.n_used_} patients, {combined.events_used_} events" in summary.loc["Training cohort", "value"]
    assert registry.compare(["er"]).loc["auc.train", "er"] == pytest.approx(result.discrimination.loc["combined", "train"])
