"""A model holding a DL score: saved, exported as JSON and read back, it predicts as the pipeline
only with the network file it was made with (checked by SHA-256)."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from hccdash.modeling.builder import ModelBuilder
from hccdash.registry import registry
from hccdash.registry.from_pipeline import spec_from_pipeline
from hccdash.registry.json_model import JsonModel
from hccdash.registry.model_file import dumps, parse_model
from hccdash.settings import ModelSettings, SelectionSettings, Settings

from registry_pipelines import Fitted
from synthetic_cohort import synthetic_inputs, with_deep_features

pytestmark = pytest.mark.filterwarnings("ignore:Only .* events per model term:UserWarning")
NETWORK_FILE = b"stand-in ONNX bytes of the network tinynet"
SHA = hashlib.sha256(NETWORK_FILE).hexdigest()
HORIZONS = [12.0, 24.0]


@pytest.fixture(scope="module", params=["rfs", "er"])
def deep_pipeline(request) -> Fitted:
    inputs = dataclasses.replace(with_deep_features(synthetic_inputs(n=150, p=50, seed=4, n_latent=10), p=36),
                                 networks={"tinynet": SHA},
                                 deep_extraction={"tinynet": {"kind": "deep", "settings": {"pooling": "mean"}}})
    settings = Settings(selection=SelectionSettings(mrmr_k=6, lasso_folds=5, deep_pca_variance=0.8),
                        model=ModelSettings(endpoint=request.param, er_horizon_months=24.0))
    result = ModelBuilder(inputs).build(settings, clinical_vars=["AFP", "BCLC"])
    assert "dl_score" in result.model.combined_.columns_
    return Fitted(inputs, result)


def _json(fitted: Fitted) -> dict:
    return spec_from_pipeline(fitted.result.model, fitted.train, **{k: v for k, v in fitted.save_kwargs().items()
                                                                   if k in ("time", "event")}, name="dl")


def _predictions(model, fitted: Fitted) -> np.ndarray:
    if model.family == "cox":
        return model.predict_survival(fitted.validation, HORIZONS)
    return model.predict_proba(fitted.validation)


def test_json_round_trip_predicts_as_the_pipeline(deep_pipeline):
    """Written to JSON text and parsed back, the model gives the pipeline's linear predictor and
    S(t) / P(ER) on validation patients (1e-10), once given the network file."""
    pipeline = deep_pipeline.result.model
    spec = parse_model(dumps(_json(deep_pipeline)))
    assert spec["deep"]["networks"] == [{"name": "tinynet", "sha256": SHA,
                                         "extraction": {"kind": "deep", "settings": {"pooling": "mean"}}}]
    assert len(spec["deep"]["components"]) == len(pipeline.deep_.selected_features_)
    model = JsonModel(spec).attach_networks({"tinynet": NETWORK_FILE})
    np.testing.assert_allclose(model.linear_predictor(deep_pipeline.validation),
                               pipeline.predict(deep_pipeline.validation), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(model.dl_score(deep_pipeline.validation),
                               pipeline.dl_score(deep_pipeline.validation), rtol=1e-10, atol=1e-10)
    theirs = (pipeline.predict_survival(deep_pipeline.validation, HORIZONS) if model.family == "cox"
              else pipeline.predict_proba(deep_pipeline.validation)[:, 1])
    np.testing.assert_allclose(_predictions(model, deep_pipeline), theirs, rtol=1e-10, atol=1e-12)


def test_refuses_without_the_network_or_with_another_file(deep_pipeline, tmp_path):
    spec = _json(deep_pipeline)
    model = JsonModel(spec)
    assert model.networks == {"tinynet": SHA}
    with pytest.raises(ValueError, match=f"same network file.*'tinynet' \\(ONNX file SHA-256 {SHA}\\)"):
        model.linear_predictor(deep_pipeline.validation)
    with pytest.raises(ValueError, match="same network file"):
        _predictions(model, deep_pipeline)
    other = tmp_path / "other.onnx"
    other.write_bytes(NETWORK_FILE + b" tampered")
    with pytest.raises(ValueError, match=f"SHA-256 {hashlib.sha256(other.read_bytes()).hexdigest()}.*{SHA}"):
        model.attach_networks({"tinynet": other})
    with pytest.raises(ValueError, match="same network file"):  # still refused after the wrong file
        model.linear_predictor(deep_pipeline.validation)
    with pytest.raises(ValueError, match="needs no network 'densenet169'"):
        model.attach_networks({"densenet169": NETWORK_FILE})
    good = tmp_path / "tinynet.onnx"
    good.write_bytes(NETWORK_FILE)
    assert np.isfinite(model.attach_networks({"tinynet": good}).linear_predictor(deep_pipeline.validation)).all()


def test_registry_save_export_import(deep_pipeline):
    """Saved through the registry (pickle + model file), exported and imported: the model file names
    the network; the imported one refuses until given the file, then predicts exactly as the saved one."""
    pipeline = deep_pipeline.result.model
    registry.save(pipeline, "dl-model", "synthetic", **deep_pipeline.save_kwargs())
    assert registry.get("dl-model").meta["networks"] == [{"name": "tinynet", "sha256": SHA}]
    loaded = registry.load("dl-model")
    np.testing.assert_array_equal(loaded.pipeline.predict(deep_pipeline.validation),
                                  pipeline.predict(deep_pipeline.validation))
    registry.import_json(registry.export_json("dl-model"), "dl-model-json")
    shared = registry.json_model("dl-model-json")
    with pytest.raises(ValueError, match="same network file"):
        shared.linear_predictor(deep_pipeline.validation)
    shared.attach_networks({"tinynet": NETWORK_FILE})
    mine = loaded.json_model.attach_networks({"tinynet": NETWORK_FILE})
    np.testing.assert_array_equal(shared.linear_predictor(deep_pipeline.validation),
                                  mine.linear_predictor(deep_pipeline.validation))


def test_bad_deep_sections_are_refused(deep_pipeline):
    spec = _json(deep_pipeline)
    broken = copy.deepcopy(spec)
    broken["deep"]["networks"][0]["sha256"] = "xyz"
    with pytest.raises(ValueError, match="deep/networks/0/sha256"):
        parse_model(json.dumps(broken))
    broken = copy.deepcopy(spec)
    broken["deep"]["components"][0]["loadings"].pop()
    with pytest.raises(ValueError, match="one loading per deep feature"):
        parse_model(json.dumps(broken))
    broken = copy.deepcopy(spec)
    del broken["deep"]
    with pytest.raises(ValueError, match="dl_score predictor needs the deep section"):
        parse_model(json.dumps(broken))
    broken = copy.deepcopy(spec)
    broken["deep"]["features"][0]["name"] = "portal.original_firstorder_Mean"
    with pytest.raises(ValueError, match="not named dl.<network>.<number>"):
        parse_model(json.dumps(broken))


def test_unknown_network_hash_is_not_exported(deep_pipeline):
    """A pipeline whose network file hash was not recorded cannot be written as a model file."""
    inputs = dataclasses.replace(deep_pipeline.inputs, networks={})
    result = ModelBuilder(inputs).build(deep_pipeline.result.settings, clinical_vars=["AFP", "BCLC"])
    fitted = Fitted(inputs, result)
    with pytest.raises(ValueError, match=r"network\(s\) \['tinynet'\] have no recorded file SHA-256"):
        _json(fitted)


def test_cli_predict_needs_the_network_file(deep_pipeline, tmp_path, capsys):
    """``predict`` on a model with a DL score: refused (exit 2, nothing written) without the network file
    or with another one; with ``--network tinynet=FILE`` the pipeline's linear predictor."""
    from hccdash import cli

    pipeline = deep_pipeline.result.model
    registry.save(pipeline, "dl-cli", "synthetic", **deep_pipeline.save_kwargs())
    patients = deep_pipeline.validation.iloc[:5]
    source, out = tmp_path / "patients.csv", tmp_path / "risks.csv"
    patients.rename_axis("patient_id").reset_index().to_csv(source, index=False)
    arguments = ["predict", "--model", "dl-cli", "--input", str(source), "--out", str(out)]
    assert cli.main(arguments) == 2 and not out.exists()
    assert "No network is registered" in capsys.readouterr().err
    wrong, right = tmp_path / "wrong.onnx", tmp_path / "right.onnx"
    wrong.write_bytes(b"another network")
    right.write_bytes(NETWORK_FILE)
    assert cli.main([*arguments, "--network", f"tinynet={wrong}"]) == 2 and not out.exists()
    assert "was made with the file of SHA-256" in capsys.readouterr().err
    assert cli.main([*arguments, "--network", f"tinynet={right}"]) == 0
    risks = pd.read_csv(out)
    np.testing.assert_allclose(risks["lp"], pipeline.predict(patients), rtol=1e-9)


def test_external_validation_refuses_a_dl_model(deep_pipeline):
    from hccdash.validation.inputs import plan_validation

    model = JsonModel(_json(deep_pipeline))
    with pytest.raises(ValueError, match=r"holds a DL score \(network\(s\) \['tinynet'\]\).*not offered yet"):
        plan_validation(model, "any-cohort")


def test_standalone_calculator_refuses_a_dl_model(deep_pipeline):
    from hccdash.calculator.standalone import check_supported

    with pytest.raises(ValueError, match="holds a DL score: it predicts only with its network file \\(tinynet\\)"):
        check_supported(JsonModel(_json(deep_pipeline)))


def test_registry_details_name_the_network(deep_pipeline):
    from hccdash.registry.details import model_summary

    model = JsonModel(_json(deep_pipeline))
    text = model_summary(model).at["DL score", "value"]
    assert text.startswith(f"{len(model.deep.coef)} principal component(s) of 36 deep features")
    assert text.endswith(f"needs the network tinynet (ONNX file SHA-256 {SHA})")
