"""Benchmark: how long Model building takes to answer a control, in a real browser.

    python bench/sliders.py [--moves N] [--sessions N]

Starts ``streamlit run app.py`` on a free localhost port with a fresh ``HCCDASH_HOME``
(the sample cohort is imported and its shipped features loaded on first start), opens
Model building in headless Chromium (Debian's ``chromium`` through Playwright) and waits
for the first fit. Then each slider (ICC, correlation, mRMR k, LASSO lambda) is moved
``--moves`` times one step with the keyboard, always in one direction, so every move asks
for a value not seen before in the server (a fresh ``HCCDASH_HOME`` and stage cache);
then the endpoint is switched to early recurrence and back twice, and each study preset
button is clicked once. A move is timed from the key press or click until the page's
server has answered (a script or fragment run started, or its websocket messages arrived),
the app shows no run under way (Streamlit's ``data-test-script-state``), and no message or state
change follows within 0.3 s: what the user waits for, until the last of them, read from the
page's own clock (a MutationObserver and a websocket listener record each input, state change
and message; the bench reads that record every 50 ms instead of polling the page every few ms). Beside it, the
CPU time the server process and its workers used meanwhile (``/proc``), which a loaded
machine does not inflate as it does the wait.

Prints every move (wall and server CPU ms), the median server CPU per control, and, last,
``<control>_ms=<median>`` per control and ``slowest_ms=<largest median>``. Targets (Chromium, sample cohort, quiet 2-core
machine): lambda < 300 ms, every other slider < 1000 ms, a preset < 2000 ms.

With ``--sessions N`` the sliders are timed in one session alone, then in N sessions
moving them at once (each in its own browser context). Before timing, every session
picks its own ICC kind / features-without-repeat-data / variance-filter combination
(untimed), so no two sessions ever ask for the same stage result and the server does
N times the work. Last lines: the single session's ``<control>_ms`` and then
``sessions=N <control>_ms=<median over all sessions' moves> ... slowest_ms=...
ratio=<largest ratio of a control's median to its single-session median>`` (target: < 3).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import sys
import time
from pathlib import Path

from app_server import serve_app, server_cpu

from hccdash.modeling.presets import TITLES
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

SLIDERS = {  # control -> (slider label, key pressed for each move)
    "icc": ("ICC threshold", "ArrowLeft"),  # 0.75 -> 0.70 -> ... (1.0 would leave no feature)
    "correlation": ("Correlation threshold", "ArrowLeft"),  # 0.90 -> 0.89 -> ...
    "mrmr_k": ("mRMR k", "ArrowRight"),  # 20 -> 21 -> ...
    "lambda": ("LASSO lambda", None),  # away from lambda.min, towards the end with more room
}
ENDPOINTS = ["Early recurrence (logistic)", "RFS (Cox)"] * 2
COMBOS = list(itertools.product(["ICC2_1", "ICC3_1"], ["keep", "drop"], [True, False]))  # kind, missing, variance
STATE = """() => document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state')"""
QUIET_MS = 300
TIMEOUT_MS = 300_000


# Installed once per page: the page's own clock (performance.now) at each user input (key press, click)
# and at each change of the app's script-run state, so waits are read from the page's timeline and the
# bench polls it only every POLL_MS (polling the state every few ms was itself a load on the machine).
TIMELINE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (window.__timelineApp === app) return;
  window.__timelineApp = app;
  window.__timeline = window.__timeline || [];
  const log = what => window.__timeline.push([performance.now(), what]);
  // every state the attribute took, also when two changes (a run that started and ended within a few ms)
  // reach one callback: each record holds the value before it, so the values after are the next record's
  // old value and, last, the current one
  new MutationObserver(records => {
    const after = records.slice(1).map(r => r.oldValue);
    after.push(app.getAttribute('data-test-script-state'));
    after.forEach(log);
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state'], attributeOldValue: true});
  if (!window.__inputsLogged) {
    window.__inputsLogged = true;
    for (const kind of ['keydown', 'pointerdown']) document.addEventListener(kind, () => log('input'), true);
  }
}"""
POLL_MS = 50
# Installed before the app loads: the arrival of every message of the app's websocket on the same
# timeline. A run so short that React commits its start and end together changes no script-run state
# in the page, so a state change alone does not show that the server answered; its messages do.
MESSAGES = """(() => {
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', () => (window.__timeline = window.__timeline || []).push([performance.now(), 'message']));
    }
  };
})();"""


async def _settle(page) -> float:
    """Seconds (page clock) from the last user input until the server has answered (a script run
    started, or its messages arrived), the app shows no run under way, and neither a message nor a
    state change has followed within QUIET_MS: until the last of them."""
    started, deadline = time.monotonic(), time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        await page.wait_for_timeout(POLL_MS)
        timeline, now, state = await page.evaluate(f"() => [window.__timeline, performance.now(), ({STATE})()]")
        inputs = [i for i, (_, what) in enumerate(timeline) if what == "input"]
        after = timeline[inputs[-1] + 1:] if inputs else []
        events = [what for _, what in after]
        if not {"running", "message"} & set(events) and time.monotonic() - started > 30:
            raise TimeoutError(f"no answer from the server within 30 s of the input (the app shows {state!r})")
        if {"running", "message"} & set(events) and state == "notRunning" and now - after[-1][0] >= QUIET_MS:
            shown = page.locator('[data-testid="stException"]')
            if await shown.count():
                raise RuntimeError((await shown.first.inner_text())[:300])
            await page.evaluate("() => { window.__timeline = []; }")
            return (after[-1][0] - timeline[inputs[-1]][0]) / 1000
    raise TimeoutError(f"no script run answered the input within {TIMEOUT_MS / 1000:.0f} s")


async def _idle(page) -> None:
    """Wait until no script run is under way and none follows within a second."""
    while True:
        await page.wait_for_function(f"() => ({STATE})() === 'notRunning'", timeout=TIMEOUT_MS)
        try:
            await page.wait_for_function(f"() => ({STATE})() !== 'notRunning'", timeout=1000)
        except Exception:
            return


async def press(page, label: str, key: str | None) -> float:
    """Seconds until the page has answered one press of ``key`` on the slider ``label``."""
    slider = page.locator('[data-testid="stSlider"]', has_text=label).first
    thumb = slider.locator('input[type="range"]').first
    if key is None:  # the lambda slider: the direction with more room from where it stands
        now, low, high = [float(await thumb.get_attribute(a)) for a in ("value", "min", "max")]
        key = "ArrowLeft" if now - low > high - now else "ArrowRight"
    await thumb.focus()
    await page.evaluate(TIMELINE)
    await page.keyboard.press(key)
    return await _settle(page)


async def click(page, locator) -> float:
    """Seconds until the page has answered a click on ``locator``."""
    await locator.scroll_into_view_if_needed()
    await page.evaluate(TIMELINE)
    await locator.click()
    return await _settle(page)


async def choose(page, key: str, option: str) -> None:
    """Pick ``option`` in the selectbox of widget ``key`` (untimed)."""
    box = page.locator(f".st-key-{key}").first.get_by_role("combobox")
    if await box.input_value() == option:
        return
    await box.click(timeout=TIMEOUT_MS)
    await box.fill(option)  # typed and entered: the opened list's options are not always in the page's tree
    await box.press("Enter")
    await _idle(page)


async def open_model_building(browser, url: str):
    """A new session on Model building, its first fit finished; returns (context, page, seconds)."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    await context.add_init_script(MESSAGES)
    page = await context.new_page()
    start = time.perf_counter()
    await page.goto(url)
    await _idle(page)
    await page.locator('[data-testid="stSidebarNavLink"]', has_text="Model building").first.click()
    await page.get_by_text("Features left after each step").first.wait_for(timeout=TIMEOUT_MS)
    await _idle(page)
    return context, page, time.perf_counter() - start


async def timed(action) -> tuple[float, float]:
    """(seconds waited, server CPU seconds) of awaiting ``action``."""
    cpu = server_cpu()
    waited = await action
    return waited, server_cpu() - cpu


def _listed(times: list[tuple[float, float]]) -> str:
    return (", ".join(f"{1000 * wall:.0f}" for wall, _ in times) + " ms (server CPU "
            + ", ".join(f"{1000 * cpu:.0f}" for _, cpu in times) + " ms)")


async def session(browser, url: str, moves: int, combo: int, everything: bool,
                  tag: str) -> dict[str, list[tuple[float, float]]]:
    """One session's (wait, server CPU) per move of each control (sliders; with ``everything`` the
    endpoint and presets too)."""
    context, page, opened = await open_model_building(browser, url)
    print(f"{tag}opened Model building in {opened:.1f} s")
    if combo:
        kind, missing, variance = COMBOS[combo]
        await choose(page, "mb_icc_kind", kind)
        await choose(page, "mb_icc_missing", missing)
        if not variance:
            await page.locator(".st-key-mb_variance_on label").first.click(timeout=TIMEOUT_MS)
            await _idle(page)
    times: dict[str, list[tuple[float, float]]] = {}
    for name, (label, key) in SLIDERS.items():
        times[name] = [await timed(press(page, label, key)) for _ in range(moves)]
        print(f"{tag}{label}: {_listed(times[name])}", flush=True)
    if everything:
        times["endpoint"] = [await timed(click(page, page.locator(".st-key-mb_endpoint label", has_text=text).first))
                             for text in ENDPOINTS]
        print(f"{tag}endpoint switches ({' / '.join(ENDPOINTS[:2])}): {_listed(times['endpoint'])}", flush=True)
        times["preset"] = []
        for name in TITLES:
            times["preset"].append(await timed(click(page, page.locator(f".st-key-mb_preset_{name} button").first)))
            print(f"{tag}preset {name}: {_listed(times['preset'][-1:])}", flush=True)
    await context.close()
    return times


def summary(times: dict[str, list[tuple[float, float]]], column: int = 0) -> str:
    """``<control>_ms=<median>`` per control and ``slowest_ms`` (``column`` 0: waits, 1: server CPU)."""
    medians = {name: 1000 * statistics.median(v[column] for v in values) for name, values in times.items()}
    return (" ".join(f"{name}_ms={value:.0f}" for name, value in medians.items())
            + f" slowest_ms={max(medians.values()):.0f}")


async def run(url: str, moves: int, sessions: int) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        single = await session(browser, url, moves, 0, sessions == 1, "")
        if sessions == 1:
            print("server CPU: " + summary(single, 1))
            print(summary(single))
        else:
            together = await asyncio.gather(*(session(browser, url, moves, i, False, f"[session {i}] ")
                                              for i in range(1, sessions + 1)))
            pooled = {name: [t for times in together for t in times[name]] for name in single}
            ratio = max(statistics.median(t for t, _ in pooled[name]) / statistics.median(t for t, _ in single[name])
                        for name in single)
            print("single: " + summary(single))
            print(f"sessions={sessions} " + summary(pooled) + f" ratio={ratio:.2f}")
        await browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=6, help="moves per slider (default 6)")
    parser.add_argument("--sessions", type=int, default=1, choices=range(1, len(COMBOS)),
                        help="sessions moving sliders at once (default 1: one session, endpoint and presets too)")
    args = parser.parse_args()
    with serve_app("sliders") as url:
        asyncio.run(run(url, args.moves, args.sessions))
    return 0


if __name__ == "__main__":
    sys.exit(main())
