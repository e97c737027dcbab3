"""A risk-group cut-off chosen by the user (method and value on the linear predictor, learned
on the training split) travels with the saved model: calculator, `predict`, JSON export /
import and the registry page use it; models saved without one keep the settings' method."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from hccdash import cli, stats
from hccdash import calculator
from hccdash.evaluation.risk_groups import RiskCutoff
from hccdash.registry import registry

APP = str(Path(__file__).resolve().parents[2] / "app.py")
pytestmark = pytest.mark.filterwarnings("ignore:Only .* events per model term:UserWarning")
EPS = 1e-6


@pytest.fixture(scope="module")
def chosen(cox_pipeline) -> RiskCutoff:
    """The maximally selected log-rank cut-off of the training linear predictor."""
    kwargs = cox_pipeline.save_kwargs()
    lp = cox_pipeline.result.model.predict(kwargs["data"])
    keep = np.isfinite(lp)
    value = stats.max_logrank_cutoff(kwargs["time"].to_numpy()[keep], kwargs["event"].to_numpy()[keep], lp[keep], 0.1)
    assert abs(value - np.median(lp[keep])) > 10 * EPS  # differs from the default (median) cut-off
    return RiskCutoff("maxstat", float(value))


def _patients(model, cutoff: float) -> pd.DataFrame:
    """Two copies of one validation-like patient whose typed rad-score puts the linear
    predictor EPS below and EPS above ``cutoff``."""
    base = {"AFP": 20.0, "ALB": 40.0, "BCLC": "A", "sex": "M", "rad_score": 0.0}
    lp0 = float(model.linear_predictor(calculator.check_inputs(model, base).clean)[0])
    slope = float(model.coef["rad_score"])
    rows = [{**base, "rad_score": (cutoff + sign * EPS - lp0) / slope} for sign in (-1, 1)]
    return pd.DataFrame(rows, index=pd.Index(["below", "above"], name="patient_id"))


def test_chosen_cutoff_reaches_calculator_and_predict(cox_pipeline, chosen, tmp_path, capsys):
    registry.save(cox_pipeline.result.model, "chosen", cutoff=chosen, **cox_pipeline.save_kwargs())
    registry.save(cox_pipeline.result.model, "default", **cox_pipeline.save_kwargs())
    model = registry.json_model("chosen")
    assert model.spec["risk_groups"]["method"] == "maxstat"
    assert model.spec["risk_groups"]["cutoffs"] == [chosen.value]
    patients = _patients(model, chosen.value)

    results = {pid: calculator.predict_patient(model, row.to_dict()) for pid, row in patients.iterrows()}
    assert results["below"].lp == pytest.approx(chosen.value - EPS, abs=1e-9)
    assert [results[p].risk_group for p in ("below", "above")] == ["low", "high"]
    assert results["above"].cutoffs == [chosen.value] and results["above"].cutoff_method == "maxstat"
    default = registry.json_model("default")
    assert default.spec["risk_groups"]["method"] == "median"  # today's behaviour without a choice
    assert len(set(default.group_of(np.array([r.lp for r in results.values()])))) == 1  # the median splits them not

    patients.to_csv(tmp_path / "in.csv")
    assert cli.main(["predict", "--model", "chosen", "--input", str(tmp_path / "in.csv"),
                     "--out", str(tmp_path / "risks.csv")]) == 0
    out = pd.read_csv(tmp_path / "risks.csv").set_index("patient_id")
    assert out["risk_group"].to_dict() == {"below": "low", "above": "high"}
    assert f"cut-off {chosen.value:.4g}" in capsys.readouterr().out


def test_json_round_trip_keeps_the_cutoff(cox_pipeline, chosen):
    registry.save(cox_pipeline.result.model, "chosen", cutoff=chosen, **cox_pipeline.save_kwargs())
    registry.import_json(registry.export_json("chosen"), "copy")
    original, copy = registry.json_model("chosen"), registry.json_model("copy")
    assert copy.spec["risk_groups"] == original.spec["risk_groups"]
    assert registry.get("copy").meta["cutoffs"] == [chosen.value]
    lp = np.array([chosen.value - EPS, chosen.value + EPS])
    assert copy.group_of(lp).tolist() == ["low", "high"]


def test_given_cutoff_is_kept_and_impossible_ones_are_refused(cox_pipeline):
    kwargs = cox_pipeline.save_kwargs()
    lp = cox_pipeline.result.model.predict(kwargs["data"])
    given = float(np.nanquantile(lp, 0.8))
    record = registry.save(cox_pipeline.result.model, "typed", cutoff=RiskCutoff("given", given), **kwargs)
    assert (record.meta["cutoff_method"], record.meta["cutoffs"]) == ("given", [given])
    km = {c["label"]: c["n"] for c in registry.json_model("typed").spec["risk_groups"]["km"]}
    assert km["high"] == int(np.sum(lp[np.isfinite(lp)] > given))
    with pytest.raises(ValueError, match=r"Risk cut-off 1000 puts every training patient in one group"):
        registry.save(cox_pipeline.result.model, "outside", cutoff=RiskCutoff("given", 1000.0), **kwargs)
    assert registry.list_models()["name"].tolist() == ["typed"]
    with pytest.raises(ValueError, match="Unknown risk cut-off method 'tertile'"):
        RiskCutoff("tertile", 0.0)
    with pytest.raises(ValueError, match="finite number"):
        RiskCutoff("given", float("nan"))


def test_registry_and_calculator_pages_show_the_cutoff(cox_pipeline, chosen):
    registry.save(cox_pipeline.result.model, "chosen", cutoff=chosen, **cox_pipeline.save_kwargs())
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("pages/5_model_registry.py").run()
    assert not at.exception
    assert at.dataframe[0].value["risk_cutoff"].tolist() == [f"maxstat {chosen.value:.4g}"]
    assert at.table[0].value.loc["Risk-group cut-off", "value"].startswith(
        f"{chosen.value:.4g} (maximally selected log-rank on the training split) on the linear predictor b'x")

    at.switch_page("pages/6_patient_calculator.py").run()
    above = _patients(registry.json_model("chosen"), chosen.value).loc["above"]
    for name, value in above.items():
        widget = at.selectbox(key=f"calculator_in_{name}") if name in ("BCLC", "sex") else at.number_input(
            key=f"calculator_in_{name}")
        widget.set_value(value)
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert {m.label: m.value for m in at.metric}["Risk group"] == "high"
    assert any(f"cut-off {chosen.value:.4g} (maxstat)" in c.value for c in at.caption)
