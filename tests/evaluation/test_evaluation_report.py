"""Methods paragraph, checklists and the HTML / PDF report carry the settings that made the model."""

from __future__ import annotations

import dataclasses
import re

import pandas as pd
import pytest

from hccdash.evaluation.checklist import AUTHOR, FILLED, clear_checklist, tripod_checklist
from hccdash.evaluation.methods_text import methods_paragraph
from hccdash.evaluation.optimism import OptimismResult
from hccdash.evaluation.report import report_content, report_html, report_pdf
from hccdash.evaluation.summary import evaluate
from hccdash.settings import EvaluationSettings, ModelSettings, SelectionSettings, Settings

from evaluation_fixtures import QUICK

REPORTED = dataclasses.replace(
    QUICK,
    selection=SelectionSettings(icc_threshold=None, univariate_p=0.07, correlation_threshold=0.85, mrmr_k=None,
                                lasso_folds=4, lasso_lambda="lambda.1se"),
    evaluation=EvaluationSettings(horizons_months=(12.0,), n_bootstrap=200, dca_thresholds=(0.1, 0.5, 0.2),
                                  risk_cutoff="maxstat", maxstat_minprop=0.15),
)


@pytest.fixture(scope="module")
def evaluation(builder):
    return evaluate(builder.build(REPORTED, ("AFP",)), builder)


def test_methods_paragraph_states_every_threshold():
    text = methods_paragraph(Settings(selection=SelectionSettings(icc_threshold=0.8, correlation_threshold=0.85,
                                                                  mrmr_k=15, lasso_folds="loo")))
    for phrase in ("below 0.8", "ICC(2,1)", "above 0.85", "top 15 features", "leave-one-out cross-validation",
                   "p >= 0.05 in univariable Cox regression", "bin width of 25", "1x1x1 mm", "at least 10 patients"):
        assert phrase in text, phrase
    er = methods_paragraph(Settings(model=ModelSettings(endpoint="er", er_horizon_months=6.0)))
    assert "early recurrence within 6 months" in er and "DeLong" in er and "Hosmer-Lemeshow" in er


def test_methods_paragraph_with_the_fit_reports_lambda_and_selection(evaluation):
    text = methods_paragraph(evaluation.settings, evaluation.model_summary)
    assert "lambda.1se by 4-fold" in text and f"lambda = {evaluation.model_summary['lambda']:.4g}" in text
    assert "p >= 0.07" in text and "above 0.85" in text
    assert "maximally selected log-rank statistic (minimum group proportion 0.15)" in text


def test_checklists_fill_known_items_and_leave_the_rest_to_the_author(evaluation):
    tripod = tripod_checklist(evaluation).set_index("number")
    assert tripod.loc["16", "status"] == FILLED
    c = evaluation.discrimination.set_index(["model", "split"]).loc[("combined", "validation"), "c_index"]
    assert f"combined validation: C-index {c:.3f}" in tripod.loc["16", "content"]
    assert tripod.loc["5a", "content"] == "centres: A, B"
    for item in ("1", "6b", "18", "22"):
        assert tripod.loc[item, "status"] == AUTHOR and tripod.loc[item, "content"] == ""
    clear = clear_checklist(evaluation)
    assert (clear["status"] == AUTHOR).any() and (clear["status"] == FILLED).any()
    assert clear.loc[clear["item"].str.startswith("Segmentation method"), "status"].iloc[0] == AUTHOR


@pytest.mark.slow
def test_html_report_is_self_contained_with_settings_methods_and_figures(evaluation):
    text = report_html(evaluation, "Report <test>")
    assert "<title>Report &lt;test&gt;</title>" in text  # escaped
    assert "<td>correlation_threshold</td><td>0.85</td>" in text
    assert "<td>univariate_p</td><td>0.07</td>" in text
    assert methods_paragraph(evaluation.settings, evaluation.model_summary).split(". ")[0] in text
    # C bars, per split KM/ROC/calibration/DCA, nomogram, forest, a contribution beeswarm per explanation
    assert set(evaluation.explanations) == {"combined", "radiomics"}
    assert text.count("<svg") == 1 + 2 * 4 + 2 + 2
    assert "Contributions to the combined model" in text and "Mean absolute contribution per term (rad-score" in text
    assert "TRIPOD checklist" in text and "CLEAR checklist" in text and AUTHOR in text
    assert not re.search(r"(src|href)=['\"]https?:", text)  # nothing fetched from outside


@pytest.mark.slow
def test_pdf_report_is_a_valid_pdf(evaluation):
    data = report_pdf(evaluation, "Report")
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    pages = re.findall(rb"/Type\s*/Page[^s]", data)
    assert len(pages) >= 3


def _optimism_run(n_boot: int) -> OptimismResult:
    table = pd.DataFrame([{"model": "combined", "metric": "C-index", "apparent": 0.8, "optimism": 0.05,
                           "corrected": 0.75, "resamples": n_boot - 1}])
    return OptimismResult(table, pd.DataFrame(), [(3, "ValueError: no feature")], n_boot, 11, 1.0)


def test_methods_and_checklists_state_the_optimism_run_not_the_setting(evaluation):
    """Setting 200 resamples, run 10: the text says 10 (and the run's seed); not run: it says so."""
    assert evaluation.settings.evaluation.optimism_resamples == 200
    run = _optimism_run(10)
    text = methods_paragraph(evaluation.settings, evaluation.model_summary, run)
    assert "Optimism was estimated by 10 bootstrap resamples (seed 11, 1 failed)" in text
    assert "200 bootstrap" not in text
    clear = clear_checklist(evaluation, run).set_index("item")
    assert "10 bootstrap resamples" in clear.loc["Internal validation (optimism) and external validation", "content"]
    assert "10 bootstrap resamples" in tripod_checklist(evaluation, run).set_index("number").loc["10d", "content"]
    never = methods_paragraph(evaluation.settings, evaluation.model_summary)
    assert "bootstrap was not run" in never and "Optimism was estimated" not in never
    clear = clear_checklist(evaluation).set_index("item")
    assert "not run" in clear.loc["Internal validation (optimism) and external validation", "content"]
    assert "200" not in clear.loc["Internal validation (optimism) and external validation", "content"]


def test_report_methods_match_the_optimism_table(evaluation):
    c = report_content(evaluation, "Report", _optimism_run(10))
    assert "Optimism was estimated by 10 bootstrap resamples" in c.methods
    assert any(heading.startswith("Optimism-corrected") and "10 bootstrap" in heading for heading, _ in c.tables)
    assert "200 bootstrap" not in c.methods and not c.tripod["content"].str.contains("200 bootstrap").any()
