"""Deep features extracted into the store (hccdash.deep, the small ONNX network) join a cohort's model
inputs as their own block, with the network's SHA-256 and extraction spec recorded for the model file."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "deep"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "extraction"))

from deep_helpers import small_cnn  # noqa: E402
from extraction_helpers import store_images  # noqa: E402
from synthetic_cohort import import_synthetic_cohort, write_deep_cases  # noqa: E402

from hccdash.deep import DeepSettings, DeepSpec, register_network  # noqa: E402
from hccdash.deep.feature_sets import cohort_deep_sets  # noqa: E402
from hccdash.extraction.engine import cases_from_images, run_extraction  # noqa: E402
from hccdash.extraction.matrices import cohort_images  # noqa: E402
from hccdash.modeling.builder import (ModelBuilder, deep_set_from_key, deep_set_key, load_model_inputs,  # noqa: E402
                                      shared_builder)
from hccdash.registry.from_pipeline import spec_from_pipeline  # noqa: E402
from hccdash.settings import ModelSettings, SelectionSettings, Settings  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:Only .* events per model term:UserWarning")
COHORT, SOURCE = "dlstore", "radiomics.csv"
SETTINGS = DeepSettings(min_area=10, margin=3)


def test_extracted_deep_features_join_the_model_inputs(hccdash_home, tmp_path):
    inputs = import_synthetic_cohort(COHORT, SOURCE, tmp_path, n=40, p=20, seed=5, n_latent=6)
    network = register_network(small_cnn(tmp_path / "small.onnx"), "small")
    store_images(write_deep_cases(tmp_path / "img", inputs.patients.index), cohort=COHORT)
    spec = DeepSpec(network, SETTINGS)
    summary = run_extraction(cases_from_images(cohort_images(COHORT), spec), spec, n_jobs=1)
    assert summary.n_failed == 0 and summary.n_computed == 40
    [deep_set] = cohort_deep_sets(COHORT)
    assert deep_set_from_key(COHORT, deep_set_key(deep_set)) == deep_set

    loaded = load_model_inputs(COHORT, source=SOURCE, deep=deep_set)
    assert loaded.deep_columns == [f"portal.dl.small.{i:04d}" for i in range(4)]
    assert len(loaded.features.columns) == 20 + 4 and set(loaded.phases) == {"arterial", "portal", "delayed"}
    assert loaded.networks == {"small": network.sha256}
    assert loaded.deep_extraction["small"]["network"]["sha256"] == network.sha256
    assert "path" not in loaded.deep_extraction["small"]
    assert shared_builder(COHORT, SOURCE, deep=deep_set).inputs.deep_columns == loaded.deep_columns
    assert shared_builder(COHORT, SOURCE).inputs.deep_columns == []

    result = ModelBuilder(loaded).build(Settings(
        selection=SelectionSettings(lasso_folds=5, mrmr_k=5, icc_threshold=None, deep_pca_components=2,
                                    deep_lasso_lambda=0.01),
        model=ModelSettings(clinical_variables=("AFP",), clinical_force_in=("AFP",))))
    assert result.model.deep_.networks_ == {"small": network.sha256}
    train = ModelBuilder(loaded).frame(result.train_index, ("AFP",))
    model_file = spec_from_pipeline(result.model, train, loaded.patients.loc[train.index, "time"],
                                    loaded.patients.loc[train.index, "event"], name="dlstore")
    [entry] = model_file["deep"]["networks"]
    assert entry["sha256"] == network.sha256 and entry["extraction"]["settings"] == SETTINGS.to_dict()

    with pytest.raises(ValueError, match="no longer has the deep features"):
        deep_set_from_key(COHORT, {"settings_hash": "f" * 64, "label": None})
