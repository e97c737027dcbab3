"""The Validation page and ``python -m hccdash validate`` show the same numbers, which are the
library's: the combined model fitted on Centre A of the sample, validated on Centre B."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.cli import main
from hccdash.registry import registry
from hccdash.stats import delong_ci, hosmer_lemeshow
from hccdash.stats.roc import auc
from hccdash.validation.inputs import plan_validation
from hccdash.validation.report import run_validation

from validation_fixtures import CENTRES, COMBINED, ER_MODEL, validated_on_page

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning")


def _metrics(path: Path) -> pd.DataFrame:
    return pd.DataFrame(json.loads((path / "validation.json").read_text())["metrics"]).astype(
        {"horizon": float, "value": float, "lower": float, "upper": float})


def test_cli_writes_the_library_numbers(home, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["validate", "--model", COMBINED, "--cohort", CENTRES, "--set", "external", "--out", str(out)]) == 0
    written = _metrics(out)
    plan = plan_validation(registry.json_model(COMBINED), CENTRES, "external")
    data, report = run_validation(plan, registry.get(COMBINED).sha256)
    pd.testing.assert_frame_equal(written, report.metrics.astype({"horizon": float}), check_exact=False, rtol=1e-12)
    summary = json.loads((out / "validation.json").read_text())
    excluded = pd.read_csv(out / "excluded.csv")
    assert summary["set"] == "external" and summary["n"] + summary["excluded"] == 50  # Centre B: 50 patients
    assert summary["excluded"] == len(excluded) == len(data.excluded) >= 1  # a missing AFP or ALB (sample: MCAR)
    assert excluded["reason"].str.match(r"missing (AFP|ALB)").all()
    assert summary["events"] == int(data.outcome["event"].sum()) == int(report.value("observed_events"))
    assert summary["case_mix"]["development"].endswith("fingerprint verified)")
    for table in ("metrics", "horizons", "calibration", "decision_curves", "risk_group_counts", "km_curves", "case_mix",
                  "predictions", "mapping"):
        assert (out / f"{table}.csv").is_file()
    assert pd.read_csv(out / "predictions.csv")["patient_id"].str.startswith("HCC").all()
    assert json.loads((out / "mapping.json").read_text())["inputs"]["AFP"]["column"] == "AFP"
    printed = capsys.readouterr().out
    assert f"harrell_c: {report.value('harrell_c'):.4g}" in printed


def test_external_set_is_centre_b_and_the_development_rows_are_centre_a(home):
    model = registry.json_model(COMBINED)
    external = plan_validation(model, CENTRES, "external")
    validation = plan_validation(model, CENTRES, "validation")
    assert list(external.outcome.index) == list(validation.outcome.index)
    assert set(external.patients["centre"]) == {"Centre B"}
    _, report = run_validation(external)
    mix = report.tables["case_mix"].set_index("cohort")
    assert mix.loc["development", "n"] == model.spec["training"]["n"]  # the fingerprinted training rows
    lp = report.tables["lp_values"]
    assert np.isclose(mix.loc["validation", "mean"], lp.loc[lp["cohort"] == "validation", "lp"].mean())
    # glm(member ~ lp) is monotone in lp: its C is the AUC of lp itself (or 1 - AUC for a negative slope)
    member = (lp["cohort"] == "validation").astype(int)
    c = auc(member, lp["lp"])
    assert report.value("membership_c") == pytest.approx(max(c, 1 - c), rel=1e-9)
    assert report.value("membership_c") > 0.7  # Centre B's tumours are larger: a different case mix


def test_logistic_model_report(home):
    """The ER model (imported JSON): AUC with DeLong CI, calibration intercept and slope, Brier,
    deciles with CIs, Hosmer-Lemeshow and the decision curve."""
    plan = plan_validation(registry.json_model(ER_MODEL), CENTRES, "external")
    data, report = run_validation(plan)
    y = data.outcome["y"].to_numpy(float)
    prob = data.model.predict_proba(data.inputs)
    value, lower, upper = delong_ci(y, prob)
    row = report.metrics.set_index("metric").loc["auc"]
    assert (row["value"], row["lower"], row["upper"]) == pytest.approx((value, lower, upper), rel=1e-12)
    assert report.value("brier") == pytest.approx(np.mean((y - prob) ** 2), rel=1e-12)
    hl = hosmer_lemeshow(y, prob)
    chisq, p = hl.chisq, hl.p
    assert report.value("hosmer_lemeshow_chisq") == pytest.approx(chisq) and report.value("hosmer_lemeshow_p") == \
        pytest.approx(p)
    assert {"mean_predicted", "observed", "lower", "upper"} <= set(report.tables["calibration"].columns)
    assert report.tables["decision_curves"]["net_benefit"].notna().all()
    assert report.summary["case_mix"]["development"].endswith("fingerprint verified)")  # ER rows of Centre A


def test_page_shows_the_cli_numbers(home, tmp_path):
    out = tmp_path / "out"
    assert main(["validate", "--model", COMBINED, "--cohort", CENTRES, "--set", "external", "--out", str(out)]) == 0
    at = validated_on_page(COMBINED, CENTRES, "external")
    assert not at.exception and not at.error
    shown = next(d.value for d in at.dataframe if "metric" in d.value.columns)
    pd.testing.assert_frame_equal(shown.reset_index(drop=True).astype({"horizon": float}), _metrics(out),
                                  check_exact=False, rtol=1e-12)
