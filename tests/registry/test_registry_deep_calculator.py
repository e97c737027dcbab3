"""The calculator on a model with a DL score made from a real (small) ONNX network: deep features
from an uploaded image and mask through ``hccdash.deep.case_features``, the network found registered
by its SHA-256, the prediction equal to the pipeline's; a changed or unregistered network refused."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "deep"))

from deep_helpers import small_cnn  # noqa: E402
from synthetic_cohort import write_deep_cases  # noqa: E402

from hccdash import calculator  # noqa: E402
from hccdash.modeling.builder import ModelBuilder, ModelInputs  # noqa: E402
from hccdash.registry.from_pipeline import spec_from_pipeline  # noqa: E402
from hccdash.registry.json_model import JsonModel  # noqa: E402
from hccdash.settings import ModelSettings, SelectionSettings, Settings  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:Only .* events per model term:UserWarning")
N = 40


@pytest.fixture
def fitted(hccdash_home, tmp_path):
    """40 synthetic cases' deep features from the registered small CNN, an outcome that follows the first
    feature, and the pipeline's model file."""
    from hccdash.deep import DeepSettings, case_features, register_network
    import SimpleITK as sitk

    network = register_network(small_cnn(tmp_path / "small.onnx"), "small")
    cases = write_deep_cases(tmp_path / "cases", [f"P{i:03d}" for i in range(N)]).set_index("patient_id")
    settings = DeepSettings(margin=3, min_area=10)
    rows = {pid: case_features(sitk.ReadImage(c["image"]), sitk.ReadImage(c["mask"]), network, settings, label=1)
            for pid, c in cases.iterrows()}
    features = pd.DataFrame(rows).T.add_prefix("portal.").rename_axis("patient_id")
    rng = np.random.default_rng(3)
    signal = (features.iloc[:, 0] - features.iloc[:, 0].mean()) / features.iloc[:, 0].std()
    time = rng.exponential(30 * np.exp(-1.5 * signal.to_numpy()))
    censor = rng.uniform(10, 60, N)
    patients = pd.DataFrame({"time": np.minimum(time, censor), "event": (time <= censor).astype(int),
                             "split": np.where(np.arange(N) < 30, "train", "validation")}, index=features.index)
    clinical = pd.DataFrame({"AFP": rng.lognormal(3, 1, N).round(1)}, index=features.index)
    inputs = ModelInputs(features, clinical, patients, name="deep", networks={"small": network.sha256},
                         deep_extraction={"small": {"settings": settings.to_dict()}})
    result = ModelBuilder(inputs).build(Settings(
        selection=SelectionSettings(lasso_folds=5, deep_pca_components=2, deep_lasso_lambda=0.01),
        model=ModelSettings(clinical_variables=("AFP",), clinical_p_in=1.0, clinical_p_out=1.0,
                            clinical_force_in=("AFP",))))
    assert "dl_score" in result.model.combined_.columns_
    train = pd.concat([features, clinical], axis=1).loc[result.train_index]
    spec = spec_from_pipeline(result.model, train, patients.loc[train.index, "time"],
                              patients.loc[train.index, "event"], name="dl-calculator")
    return spec, result.model, cases, pd.concat([features, clinical], axis=1), network


def test_prediction_from_image_and_mask_equals_the_pipeline(fitted):
    spec, pipeline, cases, frame, network = fitted
    model = JsonModel(spec)
    with pytest.raises(ValueError, match="same network file"):
        calculator.predict_patient(model, {"AFP": 20.0, "dl_score": 0.1})
    patient = cases.index[35]  # a validation patient
    values = calculator.deep_features_from_images(model, {"portal": (cases.at[patient, "image"],
                                                                     cases.at[patient, "mask"])})
    assert model.networks == {"small": network.sha256} and calculator.deep_phases_needed(model) == ["portal"]
    np.testing.assert_allclose(pd.Series(values)[frame.filter(like=".dl.").columns], frame.loc[patient].filter(
        like=".dl.").astype(float), rtol=1e-6)
    result = calculator.predict_patient(model, {"AFP": frame.at[patient, "AFP"], **values})
    assert result.lp == pytest.approx(float(pipeline.predict(frame.loc[[patient]])[0]), abs=1e-6)
    explained = calculator.explanation(model, result)
    assert explained.contributions.sum(axis=1).iloc[0] + explained.base == pytest.approx(result.lp, abs=1e-9)
    assert "<svg" in __import__("hccdash.charts.render", fromlist=["chart_svg"]).chart_svg(
        calculator.waterfall_figure(model, result))


def test_a_changed_or_unregistered_network_is_refused(fitted, tmp_path):
    spec, _, cases, _, network = fitted
    model = JsonModel(spec)
    Path(network.path).write_bytes(Path(network.path).read_bytes() + b"\x00")  # the kept file changed
    with pytest.raises(ValueError, match="needs the network 'small'.*has changed since"):
        model.attach_registered()
    images = {"portal": (cases.iloc[0]["image"], cases.iloc[0]["mask"])}
    with pytest.raises(ValueError, match="needs the network 'small'"):
        calculator.deep_features_from_images(model, images)
    other = dict(spec, deep={**spec["deep"], "networks": [{**spec["deep"]["networks"][0], "sha256": "1" * 64}]})
    with pytest.raises(ValueError, match="No network is registered"):
        JsonModel(other).attach_registered()


def test_calculator_page_with_a_dl_score(fitted):
    """The page names the network (its registered file checked), predicts from typed inputs and draws the
    patient's waterfall; with the network file changed it refuses, saying what to register."""
    import json

    from streamlit.testing.v1 import AppTest

    from hccdash.registry import registry

    spec, _, _, frame, network = fitted
    registry.save_model_file(spec, "dl-calculator")
    app = str(Path(__file__).resolve().parents[2] / "app.py")
    at = AppTest.from_file(app, default_timeout=120).run()
    at.switch_page("pages/6_patient_calculator.py").run()
    assert not at.exception, at.exception
    assert any(c.value.startswith("DL score network(s): small (SHA-256 " + network.sha256[:12]) for c in at.caption)
    at.number_input(key="calculator_in_AFP").set_value(25.0)
    at.number_input(key="calculator_in_dl_score").set_value(0.2)
    at.button(key="FormSubmitter:calculator_form-Predict").click().run()
    assert not at.exception and not at.error, at.error
    model = JsonModel(spec).accept_network_hashes({"small": network.sha256})
    expected = calculator.predict_patient(model, {"AFP": 25.0, "dl_score": 0.2})
    assert {m.label: m.value for m in at.metric}["Risk group"] == expected.risk_group
    titles = [json.loads(c.proto.spec).get("title") for c in at.get("vega_lite_chart")]
    assert {"text": ["Contributions of the model's terms", "b x (x - training mean), from the training mean"]} in [
        t if isinstance(t, dict) else {"text": t} for t in titles]

    Path(network.path).write_bytes(Path(network.path).read_bytes() + b"\x00")
    at = AppTest.from_file(app, default_timeout=120).run()
    at.switch_page("pages/6_patient_calculator.py").run()
    assert not at.exception, at.exception
    assert any("needs the network 'small'" in e.value and "has changed" in e.value for e in at.error)
    assert not at.metric
