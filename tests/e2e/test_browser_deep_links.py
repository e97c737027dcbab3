"""Deep links: the first request after a server start to a page's own address opens that page
inside the app's frame (its sidebar, its start-up), not Streamlit's automatic `pages/` list."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# the app's own pages, in app.py's order (st.Page(..., title="...")), not pages/'s file names
APP_PAGES = re.findall(r'st\.Page\([^)]*title="([^"]+)"', (Path(__file__).parents[2] / "app.py").read_text())


@pytest.mark.parametrize("address, heading", [("model_building", "Model building"),
                                              ("patient_calculator", "Patient calculator"),
                                              ("validation", "Validation")])  # pages/8_validation.py
def test_first_request_to_a_page_address_opens_it_in_the_app(app_url, browser, wait_for_script, sidebar_titles,
                                                             address, heading):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{app_url}/{address}")  # the very first request this server gets
    wait_for_script(page)
    assert sidebar_titles(page) == APP_PAGES
    assert page.locator("h1").first.inner_text().strip() == heading
    assert page.url.rstrip("/").endswith(f"/{address}")
    assert page.locator('[data-testid="stException"]').count() == 0
    page.reload()  # the browser's reload button gives the same page
    wait_for_script(page)
    assert sidebar_titles(page) == APP_PAGES
    assert page.locator("h1").first.inner_text().strip() == heading


def test_deep_link_runs_the_app_start_up(app_url, browser, wait_for_script):
    """The sample cohort is imported by app.py's start-up even when the first request is a page."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{app_url}/model_building")
    wait_for_script(page)
    assert page.get_by_text("No cohort yet").count() == 0
    assert page.get_by_role("combobox", name="Cohort", exact=True).input_value() == "sample"
