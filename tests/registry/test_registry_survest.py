"""S(t) with its 95% CI from a JSON model file equals R's survfit on a coxph fit (newdata)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash import stats
from hccdash.registry.json_model import JsonModel
from hccdash.registry.model_file import ModelParts, build_spec, parse_model

REF = Path(__file__).resolve().parents[1] / "reference" / "survest"
COLUMNS = ["fin", "age", "prio", "wexp"]


@pytest.fixture(scope="module")
def rossi_model():
    data = pd.read_csv(REF / "rossi.csv")
    fit = stats.cox_fit(data[COLUMNS], data["week"], data["arrest"])
    parts = ModelParts(
        kind="rfs", submodel="clinical", terms=[{"name": c, "predictor": c, "type": "linear"} for c in COLUMNS],
        coef=fit.coef_, covariance=fit.cov_,
    )
    spec = build_spec(parts, data[COLUMNS], data["week"].to_numpy(), data["arrest"].to_numpy(), name="rossi")
    # through the JSON text, as a shared file would travel
    return fit, JsonModel(parse_model(json.dumps(spec)))


def test_survest_matches_survfit_coxph_newdata(rossi_model):
    """R (tests/reference/survest/survest.R, survival 3.5-3):

        fit <- coxph(Surv(week, arrest) ~ fin + age + prio + wexp, data = rossi, ties = "efron")
        sf <- survfit(fit, newdata = newdata, conf.type = "log", conf.int = 0.95)
        summary(sf, times = c(10, 26, 40.5, 52), extend = TRUE)

    surv, lower, upper agree to 1e-4 relative (they agree to ~2e-9, R's own convergence).
    """
    _, model = rossi_model
    newdata = pd.read_csv(REF / "newdata.csv")
    r = pd.read_csv(REF / "survest.csv")
    times = sorted(r["time"].unique())
    surv, lower, upper = model.predict_survival(newdata, times, level=0.95)
    for name, values in {"surv": surv, "lower": lower, "upper": upper}.items():
        expected = r.pivot(index="patient", columns="time", values=name).to_numpy()
        np.testing.assert_allclose(values, expected, rtol=1e-4, err_msg=name)


def test_whole_curve_matches_survfit(rossi_model):
    """R: ``sf$surv[, 1]``, ``sf$lower[, 1]``, ``sf$upper[, 1]`` at every time of the curve."""
    _, model = rossi_model
    newdata = pd.read_csv(REF / "newdata.csv").iloc[[0]]
    r = pd.read_csv(REF / "curve_patient0.csv")
    surv, lower, upper = model.predict_survival(newdata, r["time"], level=0.95)
    np.testing.assert_allclose(surv[0], r["surv"], rtol=1e-4)
    np.testing.assert_allclose(lower[0], r["lower"], rtol=1e-4)
    np.testing.assert_allclose(upper[0], r["upper"], rtol=1e-4)


def test_json_model_equals_the_fitted_cox_model(rossi_model):
    fit, model = rossi_model
    newdata = pd.read_csv(REF / "newdata.csv")
    times = [5.0, 26.0, 52.0, 60.0]  # 60 is beyond follow-up: NaN in both
    for mine, theirs in zip(model.predict_survival(newdata, times, level=0.9),
                            fit.predict_survival(newdata, times, level=0.9)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, equal_nan=True)
    assert np.isnan(model.predict_survival(newdata, [60.0])).all()
    np.testing.assert_allclose(model.linear_predictor(newdata), fit.predict(newdata), rtol=1e-12)
