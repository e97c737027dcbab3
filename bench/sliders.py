"""Benchmark: how long the Model building page takes to answer a slider move, in a real browser.

    python bench/sliders.py [--moves N]

Starts ``streamlit run app.py`` on a free localhost port with a fresh ``HCCDASH_HOME``
(the sample cohort is imported and its shipped features loaded on first start), opens
the Model building page in headless Chromium (Debian's ``chromium`` through Playwright),
waits for the first fit, then moves each slider one step with the keyboard, ``--moves``
times back and forth. Each move is timed from the key press until the page's script
run has started and finished again (Streamlit's ``data-test-script-state``) with the
funnel caption redrawn: what the user waits for. Prints every move and, as its last
line, ``<slider>_ms=<median>`` for each slider plus ``slowest_ms=<largest median>``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from app_server import serve_app

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, _wait_for_script

SLIDERS = {"icc": "ICC threshold", "correlation": "Correlation threshold", "mrmr_k": "mRMR k"}
STATE = """() => document.querySelector('[data-testid="stApp"]').getAttribute('data-test-script-state')"""


def time_move(page, label: str, key: str) -> float:
    """Seconds from pressing ``key`` on the slider ``label`` until the rerun it causes is drawn."""
    thumb = page.locator('[data-testid="stSlider"]', has_text=label).locator('input[type="range"]')
    thumb.focus()
    caption = page.get_by_text("Features left after each step").inner_text()
    start = time.perf_counter()
    page.keyboard.press(key)
    page.wait_for_function(f"() => ({STATE})() === 'running'", timeout=30_000, polling=5)
    page.wait_for_function(f"() => ({STATE})() === 'notRunning'", timeout=60_000, polling=5)
    elapsed = time.perf_counter() - start
    if page.get_by_text("Features left after each step").inner_text() == caption and label == SLIDERS["mrmr_k"]:
        raise RuntimeError(f"moving {label!r} did not change the funnel")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=8, help="moves per slider (default 8)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    medians = {}
    with serve_app("sliders") as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        _wait_for_script(page)
        page.locator('[data-testid="stSidebarNavLink"]', has_text="Model building").first.click()
        start = time.perf_counter()
        _wait_for_script(page)
        print(f"first fit of the sample cohort (page open): {time.perf_counter() - start:.1f} s")
        for name, label in SLIDERS.items():
            times = [time_move(page, label, "ArrowRight" if i % 2 == 0 else "ArrowLeft")
                     for i in range(args.moves)]
            medians[name] = statistics.median(times) * 1000
            print(f"{label}: " + ", ".join(f"{t * 1000:.0f}" for t in times)
                  + f" ms; median {medians[name]:.0f} ms")
        browser.close()
    print(" ".join(f"{name}_ms={value:.0f}" for name, value in medians.items())
          + f" slowest_ms={max(medians.values()):.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
