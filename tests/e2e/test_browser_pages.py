"""End to end: `streamlit run app.py` on a free port, every page opened in headless Chromium.

The test fails on any exception Streamlit shows on a page. Names, labels and units holding
Markdown are shown as text on Home, Cohort import, Model registry and Patient calculator: no
image is fetched, no link is drawn. Fixtures: ``conftest.py``.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from markdown_checks import COLOUR, IMAGE, LINK

from hccdash.cohort import guess_mapping, import_cohort
from hccdash.registry import registry

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "registry"))
import registry_standin as standin  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_every_page_opens_without_exception(app_url, browser, wait_for_script, sidebar_titles):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(app_url)
    wait_for_script(page)
    titles = sidebar_titles(page)
    assert "Home" in titles and len(titles) >= 2, titles
    for title in titles:
        page.locator('[data-testid="stSidebarNavLink"]', has_text=title).first.click()
        wait_for_script(page)
        exceptions = page.locator('[data-testid="stException"]')
        assert exceptions.count() == 0, f"{title}: {exceptions.first.inner_text()}"
        assert page.locator("h1").count() >= 1, f"{title}: no page title rendered"


NAME = f"cohort {IMAGE} {LINK} {COLOUR}"
PAGES = ["Home", "Cohort import", "Model registry", "Patient calculator"]


@pytest.fixture
def hostile_store(hccdash_home) -> None:
    """A cohort and a model whose names, labels and units hold Markdown, stored before the server starts."""
    rng = np.random.default_rng(0)
    n = 24
    table = pd.DataFrame({"patient_id": [f"P{i:02d}" for i in range(n)], f"AFP {LINK}": rng.uniform(1, 500, n),
                          "sex": rng.choice(["M", "F"], n), "rfs_months": rng.uniform(1, 60, n).round(1),
                          "recurrence": [1, 0] * (n // 2)})
    mapping = guess_mapping(table).with_units({f"AFP {LINK}": COLOUR}, labels={f"AFP {LINK}": IMAGE})
    assert import_cohort(NAME, table, mapping, source="clinical.csv").ok
    fitted, spec = standin.cox_standin(standin.synthetic())
    spec = copy.deepcopy(spec)
    for predictor in spec["predictors"]:
        if predictor["name"] == "afp":
            predictor.update(label=f"AFP {IMAGE}", unit=COLOUR)
        if predictor["name"] == "age":
            predictor.update(label=f"age {LINK}", unit=LINK)
    registry.save(fitted, "hostile", spec=spec)


def test_markdown_in_names_is_shown_as_text(hostile_store, app_url, browser, wait_for_script):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    fetched = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(app_url)
    wait_for_script(page)
    for title in PAGES:
        page.locator('[data-testid="stSidebarNavLink"]', has_text=title).first.click()
        wait_for_script(page)
        if title == "Model registry":
            page.get_by_role("tab", name="Details").click()
            wait_for_script(page)
        assert page.locator('[data-testid="stException"]').count() == 0, title
        images = page.eval_on_selector_all("img", "els => els.map(e => e.getAttribute('src') || '')")
        assert not [src for src in images if "127.0.0.1:9" in src], (title, images)
        links = page.eval_on_selector_all("a", "els => els.map(e => e.getAttribute('href') || '')")
        assert not [href for href in links if href.startswith(("http://x", "http://127.0.0.1:9"))], (title, links)
        shown = page.inner_text("body").replace("\u2060", "")
        assert IMAGE in shown, title  # the Markdown is on screen, as text
    assert not [url for url in fetched if "127.0.0.1:9/" in url or url.startswith("http://x")]
