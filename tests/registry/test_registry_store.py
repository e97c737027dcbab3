"""Registry: save, load, hash check, rename, delete, compare, JSON round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hccdash import paths
from hccdash.registry import registry
from hccdash.registry.json_model import JsonModel
from hccdash.store import Store

TIMES = [6.0, 12.0, 24.0, 36.0]


def _predictions(model: JsonModel, data):
    surv, lower, upper = model.predict_survival(data, TIMES, level=0.95)
    return np.concatenate([model.linear_predictor(data), surv.ravel(), lower.ravel(), upper.ravel()])


def test_save_load_and_json_round_trip_predict_identically(cox_standin, synthetic_data):
    fitted, spec = cox_standin
    record = registry.save(fitted, "combined", "first model", spec=spec, cohort="sample",
                           metrics={"c_index": {"train": 0.71, "validation": 0.66}})
    assert record.path.is_file() and record.path.parent == paths.models_dir()
    assert record.sha256 == registry.sha256_file(record.path)
    assert record.meta["selected_features"] == [f["name"] for f in spec["radiomics"]["features"]]
    loaded = registry.load("combined")
    # the pipeline object comes back as it was saved
    np.testing.assert_array_equal(loaded.pipeline.coef_, fitted.coef_)
    expected = _predictions(JsonModel(spec), synthetic_data)
    np.testing.assert_array_equal(_predictions(loaded.json_model, synthetic_data), expected)
    text = registry.export_json("combined")
    assert json.loads(text)["metrics"]["c_index"]["validation"] == 0.66
    registry.import_json(text, "combined-shared", "from site B")
    shared = registry.json_model("combined-shared")
    np.testing.assert_array_equal(_predictions(shared, synthetic_data), expected)
    assert registry.get("combined-shared").kind == "json"


def test_tampered_artifact_is_refused(cox_standin):
    fitted, spec = cox_standin
    record = registry.save(fitted, "m1", spec=spec)
    data = bytearray(record.path.read_bytes())
    data[len(data) // 2] ^= 0x01  # one byte changed
    record.path.write_bytes(bytes(data))
    with pytest.raises(registry.ArtifactError, match="has changed since it was saved"):
        registry.load("m1")
    record.path.unlink()
    with pytest.raises(registry.ArtifactError, match="missing"):
        registry.load("m1")


def test_artifact_outside_the_models_folder_is_never_opened(cox_standin, tmp_path):
    fitted, spec = cox_standin
    registry.save(fitted, "m1", spec=spec)
    Store().execute("UPDATE models SET artifact = '../outside.joblib' WHERE name = 'm1'")
    with pytest.raises(registry.ArtifactError, match="not one this registry writes"):
        registry.load("m1")


def test_rename_delete_and_duplicate_names(cox_standin):
    fitted, spec = cox_standin
    record = registry.save(fitted, "old", spec=spec)
    with pytest.raises(ValueError, match="already exists"):
        registry.save(fitted, "old", spec=spec)
    with pytest.raises(ValueError, match="not allowed"):
        registry.save(fitted, "../evil", spec=spec)
    with pytest.raises(ValueError, match="Notes must be plain text"):
        registry.save(fitted, "other", "<script>alert(1)</script>", spec=spec)
    registry.save(fitted, "other", "AFP > 400 and age < 70\nsecond line", spec=spec)
    registry.delete("other")
    registry.rename("old", "new")
    assert registry.list_models()["name"].tolist() == ["new"]
    registry.load("new")  # same artifact, same hash
    registry.delete("new")
    assert registry.list_models().empty
    assert not record.path.exists()
    assert [p.name for p in paths.models_dir().iterdir()] == []


def test_compare_puts_metrics_side_by_side(cox_standin):
    fitted, spec = cox_standin
    registry.save(fitted, "a", spec=spec, metrics={"c_index": {"train": 0.7, "validation": 0.6}})
    registry.save(fitted, "b", spec=spec, metrics={"c_index": {"train": 0.8}})
    table = registry.compare(["a", "b"])
    assert table.loc["c_index.validation", "a"] == 0.6
    assert table.loc["c_index.train", "b"] == 0.8
    assert table.loc["meta.n_features", "a"] == 2
