"""The printable patient report: numbers as the calculator's, text escaped, PDF one page."""

from __future__ import annotations

import copy
import re

import pytest

from hccdash import calculator
from hccdash.calculator import report
from hccdash.registry import details
from hccdash.registry.json_model import JsonModel
from registry_standin import FEATURES


@pytest.fixture
def patient(cox_standin):
    _, spec = cox_standin
    spec = copy.deepcopy(spec)
    spec["predictors"][0]["label"] = "Age & years"
    model = JsonModel(spec)
    values = {"age": 61, "afp": 520.0, "child_pugh": "B", FEATURES[0]: 58.0, FEATURES[1]: 6.5}
    return model, calculator.predict_patient(model, values)


def test_html_report_carries_the_estimates_and_escapes_text(patient):
    model, result = patient
    text = report.patient_report_html(model, result, patient_label="<b>P001</b>")
    for _, row in result.estimates.iterrows():
        assert f"{100 * row['surv']:.1f}% (95% CI {100 * row['lower']:.1f}-{100 * row['upper']:.1f}%)" in text
    assert "&lt;b&gt;P001&lt;/b&gt;" in text and "<b>P001</b>" not in text
    assert "<th>Age &amp; years (years)</th><td>61</td>" in text  # label (unit), value
    assert f"Risk group</th><td>{result.risk_group} (cut-off" in text
    assert text.count("data:image/png;base64,") == 3  # survival curve, nomogram and the contributions waterfall
    assert 'alt="contributions"' in text


def test_pdf_report_is_one_page(patient):
    model, result = patient
    pdf = report.patient_report_pdf(model, result, patient_label="P001")
    assert pdf.startswith(b"%PDF")
    assert re.findall(rb"/Count (\d+)", pdf) == [b"1"]


def test_what_if_text_shows_percent_and_percentage_points(patient):
    model, _ = patient
    values = {"age": 61, "afp": 520.0, "child_pugh": "B", FEATURES[0]: 58.0, FEATURES[1]: 6.5}
    table = calculator.what_if(model, values, {"afp": 20.0})
    text = report.what_if_text(table).set_index("quantity")
    row = table.set_index("quantity").loc["RFS at 24 months"]
    assert text.at["RFS at 24 months", "before"] == f"{100 * row['before']:.1f}%"
    assert text.at["RFS at 24 months", "change"] == f"{100 * row['change']:+.1f} pp"
    assert row["change"] > 0  # AFP below 400 drops the "afp > 400" term, whose HR > 1 here


def test_model_summary_and_term_table_read_the_model_file(cox_standin, logistic_standin):
    """HR = exp(b) with the Wald 95% CI exp(b -/+ 1.959964 se), se from the stored covariance;
    the summary names C-index, cut-off and the linear predictor's (uncentred) scale."""
    import numpy as np

    model = JsonModel(cox_standin[1])
    terms = details.term_table(model).set_index("term")
    cov = np.asarray(model.spec["model"]["covariance"])
    se = np.sqrt(np.diag(cov))
    assert terms["hr"].to_numpy() == pytest.approx(np.exp(model.coef.to_numpy()), rel=1e-12)
    assert terms["hr_upper"].to_numpy() == pytest.approx(np.exp(model.coef.to_numpy() + 1.959964 * se), rel=1e-6)
    assert terms.at["afp > 400", "input"] == "afp (ng/mL)"
    summary = details.model_summary(model)["value"]
    assert summary["C-index"] == "train 0.700"
    assert summary["Risk-group cut-off"].startswith(f"{model.spec['risk_groups']['cutoffs'][0]:.4g} (median")
    assert "b'x, not centred" in summary["Linear predictor"]
    b = model.coef
    assert summary["Formula"].startswith(f"h(t | x) = h0(t) exp({b['age']:.4g} * [age] + {b['afp > 400']:.4g} * [afp > 400]")
    er = JsonModel(logistic_standin[1])
    odds = details.term_table(er).set_index("term")
    se = np.sqrt(np.diag(np.asarray(er.spec["model"]["covariance"])))[1:]  # the intercept comes first
    assert odds["se"].to_numpy() == pytest.approx(se, rel=1e-12) and "or" in odds
    assert details.model_summary(er)["value"]["Linear predictor"].startswith("linear predictor a + b'x")
