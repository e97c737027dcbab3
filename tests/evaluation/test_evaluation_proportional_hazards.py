"""The evaluation's proportional-hazards check: cox.zph of each Cox model on the training
set (the R-checked hccdash.stats.zph on the right rows and columns), its warning, the
Schoenfeld figure, the line each term's residuals scatter around, and the page's tab."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from app_pages import open_page
from hccdash import stats
from hccdash.evaluation import figures
from hccdash.evaluation import proportional_hazards as ph
from hccdash.evaluation.data import prepare
from hccdash.evaluation.predictions import FrameDesigns
from hccdash.settings import ModelSettings

from evaluation_fixtures import QUICK


def test_each_cox_model_is_tested_on_its_training_design(rfs_evaluation, rfs_result, builder):
    check = rfs_evaluation.proportional_hazards
    assert list(dict.fromkeys(check.tests["model"])) == ["clinical", "radiomics", "combined"]
    data = prepare(rfs_result, builder)
    combined = rfs_result.model.combined_
    design = combined.design(rfs_result.model.clinical_design(data.train.frame), rfs_result.model.rad_score(data.train.frame))
    # BCLC's two indicator columns are one term with df 2, as a factor in R
    terms = {"AFP": ["AFP"], "BCLC": ["BCLC[A]", "BCLC[B]"], "rad_score": ["rad_score"]}
    assert set(design.columns) == {c for cols in terms.values() for c in cols}
    expected = stats.ph_test(design, data.train.time, data.train.event, terms=terms)
    ours = check.tests[check.tests["model"] == "combined"].set_index("term")
    assert list(ours.index) == [*terms, "GLOBAL"] and ours.loc["BCLC", "df"] == 2
    np.testing.assert_allclose(ours["chisq"], expected["chisq"], rtol=1e-12)
    assert (ours["fails"] == (ours["p"] < 0.05)).all()
    # the residuals scatter around the model's own coefficients (the refit equals the pipeline's fit)
    res = check.residuals[check.residuals["model"] == "combined"]
    coefs = res.drop_duplicates("term").set_index("term")["coef"]
    assert coefs["AFP"] == pytest.approx(combined.model_.coef_["AFP"], rel=1e-8)
    assert coefs["BCLC"] == 1.0  # a term of two columns: its linear predictor, around 1
    assert len(res) == len(terms) * int(data.train.event.sum())


def test_logistic_models_have_no_check(er_evaluation):
    assert er_evaluation.proportional_hazards.tests.empty
    assert not [n for n in er_evaluation.notes if n.startswith("Proportional hazards")]


def test_a_failing_model_gets_a_note_naming_its_terms(rfs_result, builder):
    """Break PH on purpose: patients with a high rad-score either recur early or are cured
    (censored late), so the rad-score's effect fades with time: its term fails."""
    data = prepare(rfs_result, builder)
    train = data.train
    rad = rfs_result.model.rad_score(train.frame).to_numpy()
    high = rad > np.median(rad)
    rng = np.random.default_rng(0)
    cured = high & (rng.random(high.size) < 0.5)
    time = np.where(high, rng.exponential(3.0, high.size), rng.exponential(20.0, high.size))
    time = np.where(cured, 80 + rng.random(high.size), time)
    crossing = dataclasses.replace(train, time=time, event=(~cured).astype(float))
    check = ph.ph_check(dataclasses.replace(data, splits={**data.splits, "train": crossing}))
    failing = check.tests[(check.tests["model"] == "radiomics") & check.tests["fails"]]
    assert {"rad_score", "GLOBAL"} <= set(failing["term"])
    note = next(n for n in check.notes if n.startswith("Proportional hazards: the radiomics model fails"))
    assert "terms with p < 0.05: rad_score" in note


def test_an_untestable_model_gets_a_note_not_an_error(rfs_result, builder):
    data = prepare(rfs_result, builder)
    train = data.train
    one_time = np.where(train.event == 1, 5.0, 10.0)  # every event at one time
    check = ph.ph_check(dataclasses.replace(data, splits={**data.splits, "train": dataclasses.replace(train, time=one_time)}))
    assert check.tests.empty
    assert len(check.notes) == 3 and all("not tested" in n and "singular" in n for n in check.notes)


def test_schoenfeld_figure_has_the_terms_points_and_p(rfs_evaluation):
    check = rfs_evaluation.proportional_hazards
    term = str(check.tests[check.tests["model"] == "combined"]["term"].iloc[0])
    chart, data = figures.schoenfeld(rfs_evaluation, "combined", term)
    assert set(data["term"]) == {term} and set(data["model"]) == {"combined"}
    spec = chart.to_dict()
    p = float(check.tests.set_index(["model", "term"]).loc[("combined", term), "p"])
    assert term in str(spec["title"]) and (f"{p:.3f}"[:4] in str(spec["title"]) or "p < 0.001" in str(spec["title"]))
    assert data["x"].between(0, 1).all()


@pytest.mark.slow
def test_page_tab_shows_the_table_and_switches_term_and_the_comparisons(stored_cohort):
    at = open_page("pages/4_evaluation.py", stored_cohort, timeout=300)
    tab = next(t for t in at.tabs if t.label == "Proportional hazards")
    shown = tab.dataframe[0].value
    assert {"model", "term", "chisq", "df", "p", "fails"} <= set(shown.columns) and "GLOBAL" in set(shown["term"])
    terms = at.selectbox(key="ev_ph_term").options
    assert len(terms) >= 2
    at.selectbox(key="ev_ph_term").set_value(terms[-1]).run()
    assert not at.exception, at.exception
    assert any(b.proto.label == "PNG" and "ev_schoenfeld" in b.proto.id for b in at.get("download_button"))
    ids = " ".join(b.proto.id for b in at.get("download_button"))  # the Discrimination tab's comparisons
    assert "ev_cdiff_tcsv" in ids and "ev_nri_tcsv" in ids


@pytest.fixture(scope="module")
def transformed(builder):
    """log(AFP) (one column named unlike its term) and an age spline (three columns, one term)."""
    model = ModelSettings(clinical_force_in=("AFP", "age"), clinical_log=("AFP",), clinical_splines=(("age", 4),))
    return builder.build(dataclasses.replace(QUICK, model=model), ("AFP", "BCLC", "age"))


def test_each_terms_line_is_where_its_residuals_scatter(builder, transformed):
    """A one-column term's residuals scatter around its coefficient, whatever its column is called
    (log(AFP) for the term AFP), a term of several columns around 1 (the age spline): the mean of the
    scaled Schoenfeld residuals is that level (their sum is the score, 0 at the fit)."""
    check = ph.ph_check(prepare(transformed, builder))
    combined = transformed.model.combined_.model_
    assert {"log(AFP)", "age", "age'", "age''"} <= set(combined.coef_.index)
    for model, res in check.residuals.groupby("model", sort=False):
        levels = res.groupby("term", sort=False).agg(coef=("coef", "first"), mean=("residual", "mean"))
        np.testing.assert_allclose(levels["mean"], levels["coef"], atol=1e-6)
        if model == "combined":
            assert levels.loc["AFP", "coef"] == combined.coef_["log(AFP)"]
            assert levels.loc["age", "coef"] == 1.0


def test_the_check_reuses_the_pipelines_designs(rfs_result, builder):
    """The designs computed once per frame are the pipeline's own."""
    data = prepare(rfs_result, builder)
    model, frame = rfs_result.model, data.train.frame
    designs = FrameDesigns(model, frame)
    pd.testing.assert_frame_equal(designs.of("combined"), model.combined_design(frame))
    pd.testing.assert_frame_equal(designs.of("clinical"), model.clinical_design(frame))
    np.testing.assert_array_equal(designs.of("radiomics")["rad_score"], model.rad_score(frame))
    with pytest.raises(ValueError, match="unknown model"):
        designs.of("other")
