"""Features the store lacks are extracted with the model's own settings, with progress, and
reused the next time: a model from another site (JSON) whose rad-score needs two first-order
features of the portal phase, validated on ten sample patients of a fresh store."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from hccdash import paths
from hccdash.cli import main
from hccdash.cohort import import_cohort, read_manifest, read_table
from hccdash.cohort.sample_cohort import sample_mapping
from hccdash.extraction.params import spec_from_settings
from hccdash.registry import registry
from hccdash.registry.model_file import ModelParts, RadScore, build_spec
from hccdash.settings import ExtractionSettings, SplitSettings
from hccdash.store import Store

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning")
FEATURES = ["portal.original_firstorder_Mean", "portal.original_firstorder_90Percentile"]


def _site_model() -> str:
    """A rad-score-only Cox model on two first-order portal features (Original image only)."""
    rng = np.random.default_rng(7)
    spec = spec_from_settings(ExtractionSettings(image_types=("Original",), feature_classes=("firstorder",)))
    train = pd.DataFrame(rng.normal(90, 20, size=(60, 2)), columns=FEATURES)
    rad = RadScore(coef=pd.Series([-0.6, 0.4], index=FEATURES), mean=train.mean(), sd=train.std(),
                   extraction=spec.to_dict())
    parts = ModelParts(kind="rfs", submodel="radiomics", terms=[{"name": "rad_score", "predictor": "rad_score",
                                                                  "type": "linear"}],
                       coef=pd.Series({"rad_score": 1.0}), covariance=pd.DataFrame([[0.04]], ["rad_score"],
                                                                                    ["rad_score"]), rad=rad)
    time = rng.uniform(1, 60, 60)
    return json.dumps(build_spec(parts, train, time, (rng.random(60) < 0.5).astype(int), name="site"))


@pytest.fixture
def few(hccdash_home):
    """Cohort "few": ten sample patients (three recur within a year) with their images; no features stored."""
    if not (paths.SAMPLE_DIR / "images").is_dir():
        pytest.skip("sample images not built (python -m hccdash.sample)")
    table = read_table(paths.SAMPLE_DIR / "clinical.csv")
    months = pd.to_numeric(table["rfs_months"])
    early = table[(table["recurrence"] == "1") & (months < 12)].head(3)
    later = table[months > 24].head(7)
    chosen = pd.concat([early, later])
    manifest = read_manifest(paths.SAMPLE_DIR / "manifest.csv")
    images = manifest[manifest["patient_id"].isin(chosen["patient_id"])]
    assert import_cohort("few", chosen.reset_index(drop=True), sample_mapping(chosen), images=images,
                         split=SplitSettings(method="none")).ok
    registry.import_json(_site_model(), "site")
    return chosen


def test_missing_features_are_extracted_once_with_progress(few, tmp_path, capsys):
    store = Store()
    options = ["validate", "--model", "site", "--cohort", "few", "--horizons", "12", "--jobs", "1"]
    assert main([*options, "--out", str(tmp_path / "first")]) == 0
    err = capsys.readouterr().err
    assert "extracting 10 case(s) with model site's settings (cached cases are reused)" in err
    assert "extract: 10/10 finished (10 done, 0 failed)" in err
    done = store.query("SELECT count(*) AS n FROM cases WHERE status = 'done'")["n"].iloc[0]
    assert done == 10  # the portal phase of ten patients, nothing else
    assert main([*options, "--out", str(tmp_path / "second")]) == 0
    assert "extracting" not in capsys.readouterr().err  # cached
    first, second = (json.loads((tmp_path / run / "validation.json").read_text())["metrics"] for run in ("first", "second"))
    assert first == second
    predictions = pd.read_csv(tmp_path / "first" / "predictions.csv")
    assert len(predictions) == 10 and predictions["lp"].notna().all()
