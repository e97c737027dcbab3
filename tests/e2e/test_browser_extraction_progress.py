"""While an extraction runs, the page's counters of the cohort under its settings (Extracted,
Not yet extracted) follow it, not only the job panel above them (they stayed at 0 until the
job ended)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from hccdash.store import Store, close_idle

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "extraction"))
from extraction_helpers import store_images, write_variants  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]
N_CASES = 60  # long enough (about 10 s on a quiet machine) for a poll to see it half done


@pytest.fixture
def image_cohort(hccdash_home, reference, tmp_path) -> str:
    """Cohort "test" with N_CASES small images, stored before the server starts."""
    Store().execute("INSERT INTO cohorts (name, created_at, fingerprint, time_unit, mapping, n_patients, n_events) "
                    "VALUES ('test', now(), 'x', 'months', ?, ?, 0)", [json.dumps({}), N_CASES])
    store_images(write_variants(reference / "pyradiomics" / "data", tmp_path / "img", N_CASES))
    close_idle()
    return "test"


def _metrics(page) -> list[tuple[str, str]]:
    """Every metric card's (label, value), read in one step: the page reruns while it is read,
    so counting the cards and then reading the n-th one can wait for a card that is gone."""
    return [tuple(pair) for pair in page.eval_on_selector_all(
        '[data-testid="stMetric"]',
        """cards => cards.map(card => [
            (card.querySelector('[data-testid="stMetricLabel"]') || {innerText: ''}).innerText.trim(),
            (card.querySelector('[data-testid="stMetricValue"]') || {innerText: ''}).innerText.trim()])""")]


def test_cohort_counters_follow_a_running_extraction(image_cohort, app_url, browser, wait_for_script):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{app_url}/feature_extraction")
    wait_for_script(page)
    page.get_by_text("Not yet extracted").wait_for(timeout=60_000)
    assert dict(_metrics(page))["Not yet extracted"] == str(N_CASES), _metrics(page)
    workers = page.get_by_label("Workers")
    workers.fill("1")
    workers.press("Enter")
    wait_for_script(page)
    page.get_by_role("button", name="Start extraction").click()
    seen, deadline = [], time.monotonic() + 300
    while time.monotonic() < deadline:
        page.wait_for_timeout(500)
        progress = page.locator('[data-testid="stProgress"]')
        running = progress.count() > 0 and "running" in progress.first.inner_text()
        shown = dict(_metrics(page))  # the lower "Failed" wins; Done and Extracted are unique
        done, extracted = int(shown.get("Done", "0")), int(shown.get("Extracted", "0"))
        seen.append((running, done, extracted))
        if running and 0 < extracted < N_CASES:
            break
        if progress.count() > 0 and "done" in progress.first.inner_text():
            break
    assert any(running and 0 < extracted < N_CASES for running, _, extracted in seen), seen[-10:]
