"""A damaged store file is named, with what to do, on every page of a running app (the pages run
inside app.py's frame, which catches it), never as a traceback."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ADDRESSES = ["", "cohort_import", "feature_extraction", "model_building", "evaluation", "model_registry",
             "patient_calculator"]


@pytest.fixture
def cut_store(full_store):
    """The store cut to its first third, before the server starts."""
    data = full_store.read_bytes()
    full_store.write_bytes(data[: len(data) // 3])
    return full_store


def test_every_page_names_the_damaged_store(cut_store, app_url, browser, wait_for_script):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    for address in ADDRESSES:
        page.goto(f"{app_url}/{address}")
        wait_for_script(page)
        assert page.locator('[data-testid="stException"]').count() == 0, address
        alert = page.locator('[data-testid="stAlert"]').first.inner_text()
        assert alert.startswith(f"The store {cut_store} cannot be opened or read ("), (address, alert)
        assert "Restore it from a backup, or move it aside to start an empty store" in alert, address
