"""Model building in Chromium: a slider move reruns the model fragment alone, the results it will
redraw are marked "updating" at once while it runs (and nothing above them is), only the open tab's
chart is drawn, and a lambda move updates the CV curve's data in place instead of drawing it anew."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STATE = "document.querySelector('[data-testid=\"stApp\"]').getAttribute('data-test-script-state')"
# Every element container that turns stale: its key class or first test id, its opacity and "::after" text then.
WATCH = """() => {
  window.marked = [];
  new MutationObserver(changes => {
    for (const change of changes) {
      const el = change.target;
      if (el.getAttribute('data-stale') !== 'true') continue;
      const key = [...el.classList].find(c => c.startsWith('st-key-'));
      const inner = el.querySelector('[data-testid]');
      window.marked.push({what: key || (inner && inner.getAttribute('data-testid')),
                          opacity: getComputedStyle(el).opacity, label: getComputedStyle(el, '::after').content});
    }
  }).observe(document.body, {attributes: true, subtree: true, attributeFilter: ['data-stale']});
}"""
RESULTS = {"stMetric", "stCode", "stFullScreenFrame"}  # metrics, the formula, charts and tables (in full-screen frames)


def _move(page, label: str, key: str) -> list[dict]:
    """Press ``key`` on the slider ``label``; what was marked stale until its rerun ended."""
    page.evaluate(WATCH)
    page.locator('[data-testid="stSlider"]', has_text=label).locator('input[type="range"]').focus()
    page.keyboard.press(key)
    page.wait_for_function(f"() => {STATE} === 'running'", timeout=60_000, polling=5)
    page.wait_for_function(f"() => {STATE} === 'notRunning'", timeout=300_000, polling=5)
    page.wait_for_timeout(500)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-stale="true"]').count() == 0  # none left looking outdated
    return page.evaluate("() => window.marked")


def test_slider_moves_mark_their_results_and_redraw_in_place(app_url, browser, wait_for_script):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{app_url}/model_building")
    page.get_by_text("Features left after each step").wait_for(timeout=600_000)
    wait_for_script(page)

    marked = _move(page, "mRMR k", "ArrowRight")
    kinds = {m["what"] for m in marked}
    assert RESULTS <= kinds, kinds
    assert not {k for k in kinds if k and k.startswith(("st-key-mb_preset_", "st-key-mb_cohort", "st-key-mb_source"))}
    results = [m for m in marked if m["what"] in RESULTS]
    assert {m["opacity"] for m in results} == {"0.35"}  # at once, not after Streamlit's delay
    assert {m["label"] for m in results} == {'"updating…"'}

    charts = page.locator('[data-testid="stVegaLiteChart"]')
    assert charts.count() == 1  # the open tab's chart (the funnel) alone: closed tabs are not drawn
    page.get_by_role("tab", name="CV curve").click()  # opening a tab reruns the model fragment from the cache
    page.wait_for_function(f"() => {STATE} === 'notRunning'", timeout=300_000, polling=5)
    page.locator('[data-testid="stVegaLiteChart"] svg.marks').first.wait_for(timeout=60_000)
    page.wait_for_timeout(500)
    assert charts.count() == 1
    page.evaluate("() => document.querySelectorAll('[data-testid=\"stVegaLiteChart\"] svg.marks')"
                  ".forEach(c => { c.dataset.drawn = 'before'; })")
    assert charts.locator("svg.marks[data-drawn='before']").count() == 1
    marked = _move(page, "LASSO lambda", "ArrowLeft")
    assert "stCode" in {m["what"] for m in marked}  # the formula, which lambda changes, is marked while it reruns
    # the CV curve keeps its drawing (Vega's SVG root): only its chosen-lambda marker's rows changed
    assert charts.locator("svg.marks[data-drawn='before']").count() == 1
