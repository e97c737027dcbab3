"""Constants and helpers of the validation tests (the store they build is in conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from hccdash import paths

CENTRES = "centres"
RENAMED = "renamed"
COMBINED = "combined"
ER_MODEL = "er_clinical"
CLINICAL = ["AFP", "ALB", "sex", "tumour_diameter_mm"]


def renamed_table() -> pd.DataFrame:
    """The sample's clinical table with AFP as ``afp`` in IU/mL, ALB as ``albumin`` in g/dL and
    sex as ``gender`` (Male / Female): the same patients, as another site might record them."""
    from hccdash.cohort import read_table

    table = read_table(paths.SAMPLE_DIR / "clinical.csv")
    afp = pd.to_numeric(table["AFP"]) / 1.21
    albumin = pd.to_numeric(table["ALB"]) / 10
    table["AFP"] = afp.map(lambda v: None if pd.isna(v) else repr(float(v)))
    table["ALB"] = albumin.map(lambda v: None if pd.isna(v) else repr(float(v)))
    table["sex"] = table["sex"].map({"M": "Male", "F": "Female"})
    return table.rename(columns={"AFP": "afp", "ALB": "albumin", "sex": "gender"})


def import_variant(name: str, table: pd.DataFrame, units: dict[str, str] | None = None, images: bool = True) -> None:
    """Store ``table`` (a variant of the sample's clinical table) as cohort ``name``, split by centre
    (Centre B = validation), with the sample's images unless ``images`` is False."""
    from hccdash.cohort import import_cohort, read_manifest
    from hccdash.cohort.sample_cohort import sample_mapping
    from hccdash.settings import SplitSettings

    mapping = sample_mapping(table)
    if units:
        mapping = mapping.with_units(units)
    result = import_cohort(name, table, mapping, images=read_manifest(paths.SAMPLE_DIR / "manifest.csv") if images
                           else None, split=SplitSettings(method="centre", validation_centres=("Centre B",)))
    assert result.ok, result.report.to_text()


def er_model() -> str:
    """The JSON model file of a logistic model of ER within 24 months on AFP and tumour diameter,
    fitted on Centre A's complete cases."""
    from hccdash.cohort import load_cohort
    from hccdash.modeling.endpoints import early_recurrence
    from hccdash.registry.model_file import ModelParts, build_spec
    from hccdash.stats import logistic_fit

    cohort = load_cohort(CENTRES)
    train = cohort.patients[cohort.patients["split"] == "train"]
    er = early_recurrence(train["time"], train["event"], 24.0)
    X = cohort.clinical.loc[er.index, ["AFP", "tumour_diameter_mm"]].dropna()
    fit = logistic_fit(X, er[X.index])
    parts = ModelParts(kind="er", submodel="clinical", coef=fit.coef_, covariance=fit.cov_,
                       intercept=float(fit.intercept_), er_horizon=24.0,
                       terms=[{"name": c, "predictor": c, "type": "linear"} for c in X.columns],
                       units={"AFP": "ng/mL", "tumour_diameter_mm": "mm"})
    spec = build_spec(parts, X, train.loc[X.index, "time"].to_numpy(), train.loc[X.index, "event"].to_numpy(),
                      name=ER_MODEL, cohort=CENTRES)
    return json.dumps(spec)


def validated_on_page(model: str, cohort: str, subset: str):
    """An AppTest of the app on the Validation page after validating ``model`` on ``cohort``'s ``subset``."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=300).run()
    at.switch_page("pages/8_validation.py").run()
    at.selectbox(key="val_model").set_value(model).run()
    at.selectbox(key="val_cohort").set_value(cohort).run()
    at.selectbox(key="val_set").set_value(subset).run()
    return at.button(key="val_run").click().run()
