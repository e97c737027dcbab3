"""A bring-your-own feature table with plain column names (no ``phase.`` prefix, e.g.
``X200003_at``) fits, saves to the registry, predicts, exports to JSON and validates."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from hccdash import calculator
from hccdash.cli import main
from hccdash.cohort import EventCoding, guess_mapping, import_cohort, read_table, remap
from hccdash.extraction.features_io import read_feature_table, store_imported
from hccdash.registry import registry
from synthetic_cohort import synthetic_inputs

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning")


@pytest.fixture
def files(hccdash_home, tmp_path):
    """Feature CSV (patient_id, X200000_at, ...), clinical CSV (patient_id, time, event, AFP)."""
    inputs = synthetic_inputs(n=120, p=40, seed=3, n_latent=10)
    features = inputs.features.set_axis([f"X{200000 + j}_at" for j in range(inputs.features.shape[1])], axis=1)
    features.rename_axis("patient_id").to_csv(tmp_path / "features.csv")
    clinical = inputs.patients[["time", "event"]].join(inputs.clinical[["AFP"]])
    clinical.rename_axis("patient_id").to_csv(tmp_path / "clinical.csv")
    return tmp_path, features, clinical


def test_plain_feature_names_fit_save_predict_export_and_validate(files):
    folder, features, clinical = files
    assert main(["fit", "--features", str(folder / "features.csv"), "--clinical", str(folder / "clinical.csv"),
                 "--id-col", "patient_id", "--time-col", "time", "--event-col", "event", "--clinical-vars", "AFP",
                 "--split", "none", "--save-as", "byo", "--out", str(folder / "fit")]) == 0
    model = registry.json_model("byo")
    assert len(model.features) and all("." not in name and name.startswith("X") for name in model.features.index)
    with pytest.raises(ValueError, match="named without a phase: they came from a feature table"):
        calculator.rad_score_from_images(model, {})  # no image to extract them from
    # predict from a table with the plain columns
    table = clinical[["AFP"]].join(features).rename_axis("patient_id").reset_index()
    table.to_csv(folder / "patients.csv", index=False)
    assert main(["predict", "--model", "byo", "--input", str(folder / "patients.csv"),
                 "--out", str(folder / "risks.csv")]) == 0
    lp = model.linear_predictor(table.set_index("patient_id"))
    assert np.allclose(pd.read_csv(folder / "risks.csv")["lp"], lp)
    # JSON export and import
    assert main(["export", "--model", "byo", "--out", str(folder / "byo.json")]) == 0
    assert main(["import-model", str(folder / "byo.json"), "--name", "byo-copy"]) == 0
    assert json.loads((folder / "byo.json").read_text())["radiomics"]["features"] == model.spec["radiomics"]["features"]
    # validate on a stored cohort whose imported table put the features under a phase of its own
    frame = read_table(folder / "clinical.csv")
    mapping = remap(frame, guess_mapping(frame), id_col="patient_id", time_col="time", time_unit="months",
                    event_col="event", event_coding=EventCoding(("1",), ("0",)), centre_col=None)
    assert import_cohort("byo_cohort", frame, mapping.with_predictors(["AFP"])).ok
    store_imported(read_feature_table(folder / "features.csv", phase="expression"), "byo_cohort", "arrays")
    out = folder / "validation"
    assert main(["validate", "--model", "byo-copy", "--cohort", "byo_cohort", "--source", "arrays",
                 "--out", str(out)]) == 0
    predictions = pd.read_csv(out / "predictions.csv", dtype={"patient_id": str}).set_index("patient_id")
    assert np.allclose(predictions["lp"], pd.Series(lp, index=table["patient_id"]).loc[predictions.index])
    assert json.loads((out / "validation.json").read_text())["features"] == "imported feature table 'arrays'"
