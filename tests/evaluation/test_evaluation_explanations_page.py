"""The Explanations tab of Evaluation on a model with a DL score: beeswarm and waterfall of the
combined model, the rad-score and the DL score, with their downloads."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from synthetic_cohort import app_on_page, import_deep_cohort


@pytest.fixture
def page(hccdash_home, tmp_path) -> AppTest:
    return app_on_page(import_deep_cohort(tmp_path), "pages/4_evaluation.py", 300)


def _titles(at: AppTest) -> list[str]:
    """The first title line of every chart on the page."""
    import json

    titles = []
    for element in at.get("vega_lite_chart"):
        title = json.loads(element.proto.spec).get("title", "")
        text = title.get("text", "") if isinstance(title, dict) else title
        titles.append(str(text[0] if isinstance(text, list) else text))
    return titles


@pytest.mark.slow
def test_explanations_tab(page):
    """The combined model's beeswarm holds dl_score and rad_score rows; switching to the DL score shows its
    components; a patient's waterfall ends at their linear predictor; figures come with PNG / SVG / CSV."""
    from hccdash.evaluation import figures

    (evaluation,) = page.session_state["ev_results"].values()
    assert set(evaluation.explanations) == {"combined", "radiomics", "deep"}
    assert "Contributions to the combined model (training, validation)" in _titles(page)
    assert {"dl_score", "rad_score"} <= set(figures.beeswarm(evaluation, "combined")[1]["term"])
    page.radio(key="ev_explain_kind").set_value("deep").run()
    assert not page.exception, page.exception
    assert "Contributions to the DL score (training, validation)" in _titles(page)
    assert all(t.startswith("dl_pc") for t in figures.beeswarm(evaluation, "deep")[1]["term"])
    explanation = evaluation.explanations["deep"]
    patient = str(explanation.contributions.index[5])
    page.selectbox(key="ev_explain_patient").set_value(patient).run()
    assert not page.exception, page.exception
    assert f"Patient {patient}: DL score" in _titles(page)
    table = figures.waterfall(evaluation, "deep", patient)[1]
    assert table["end"].iloc[-1] == pytest.approx(float(explanation.lp[patient]))
    page.multiselect(key="ev_explain_sets").set_value(["validation"]).run()
    assert not page.exception, page.exception
    assert "Contributions to the DL score (validation)" in _titles(page)
    labels = [d.proto.label for d in page.get("download_button")]
    assert labels.count("PNG") >= 2
