"""End to end: `streamlit run app.py` on a free port, every page opened in headless Chromium.

The test fails on any exception Streamlit shows on a page. Fixtures: ``conftest.py``.
"""

from __future__ import annotations

import pytest

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
