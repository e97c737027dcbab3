"""The printable patient report: numbers as the calculator's, text escaped, PDF one page."""

from __future__ import annotations

import copy
import re

import pytest

from hccdash.registry import calculator, report
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
    assert text.count("data:image/png;base64,") == 2  # survival curve and nomogram


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
