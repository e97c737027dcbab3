"""Model building with deep features: the deep block's controls, its funnel and results, and the 003 DL preset."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from synthetic_cohort import app_on_page, import_deep_cohort

PAGE = "pages/3_model_building.py"


@pytest.fixture
def page(hccdash_home, tmp_path) -> AppTest:
    """The page on a cohort whose imported table holds 40 deep feature columns dl.tinynet.<NNNN>."""
    return app_on_page(import_deep_cohort(tmp_path), PAGE)


def _dl_caption(at: AppTest) -> str:
    return next(c.value for c in at.caption if c.value.startswith("Deep features left after each step"))


def test_deep_block_controls_and_results(page):
    """The DL score section shows its funnel (40 deep features -> components -> LASSO), formula and
    components; the combined model holds dl_score; the PCA and lambda controls refit it."""
    assert any(c.value.startswith("dl_score =") for c in page.code)
    assert _dl_caption(page).startswith("Deep features left after each step: deep features 40 → principal components")
    combined = next(df.value for df in page.dataframe if "column" in df.value.columns
                    and "dl_score" in set(df.value["column"]))
    assert "rad_score" in set(combined["column"])
    assert any("deep" in set(df.value.get("model", [])) for df in page.dataframe)  # the DL score model's AUC / C
    before = _dl_caption(page)
    page.radio(key="mb_deep_by").set_value("components").run()
    page.number_input(key="mb_deep_components").set_value(3).run()
    assert not page.exception, page.exception
    assert "principal components 3 →" in _dl_caption(page) and _dl_caption(page) != before
    page.toggle(key="mb_deep_on").set_value(False).run()
    assert not page.exception, page.exception
    assert not any(c.value.startswith("dl_score =") for c in page.code)
    assert not any(c.value.startswith("Deep features left") for c in page.caption)


def test_preset_003dl(page):
    """The fourth study's DL + radiomics + clinical preset: ER at 6 months, Mann-Whitney, the DL score on."""
    page.toggle(key="mb_deep_on").set_value(False).run()
    page.button(key="mb_preset_003dl").click().run()
    assert not page.exception, page.exception
    state = page.session_state
    assert state["mb_endpoint"] == "er" and state["mb_horizon"] == 6.0 and state["mb_deep_on"] is True
    assert state["mb_univariate_test"] == "mannwhitney" and state["mb_deep_lambda"] == "lambda.min"
    assert any(c.value.startswith("dl_score =") for c in page.code)
