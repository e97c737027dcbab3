"""Benchmark: N browser sessions opening Model building at once, against one session alone.

    python bench/sessions.py [--sessions 8]

Starts the app on the sample cohort (``app_server.serve_app``), warms it with one session
(the first fit of the cohort), then times one more session alone and ``--sessions``
sessions at once, each in its own headless Chromium context (Debian's ``chromium``
through Playwright): from opening the app until Model building's script run has
finished with its funnel drawn. A session that shows Streamlit's exception box, an
error element or times out counts as an error. Last line:
``sessions=<N> errors=<count> p95_s=<95th percentile of the N> single_s=<one alone>``
(target: no error, p95 within 3x a single session).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time

from app_server import browser_cpu, serve_app, server_cpu

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

FINISHED = """() => document.querySelector('[data-testid="stApp"]')
                 ?.getAttribute('data-test-script-state') === 'notRunning'"""
FUNNEL = "Features left after each step"


async def open_model_building(browser, url: str, timeout_ms: int = 300_000) -> tuple[float, str | None]:
    """Seconds until Model building is drawn in a new session, and the error it showed (or None)."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    start = time.perf_counter()
    try:
        await page.goto(url)
        await page.wait_for_function(FINISHED, timeout=timeout_ms)
        await page.locator('[data-testid="stSidebarNavLink"]', has_text="Model building").first.click()
        await page.get_by_text(FUNNEL).first.wait_for(timeout=timeout_ms)
        for _ in range(2):  # the run that drew the funnel has ended and no other follows
            await page.wait_for_function(FINISHED, timeout=timeout_ms)
            await page.wait_for_timeout(300)
        elapsed = time.perf_counter() - start - 0.6
        shown = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]')
        error = (await shown.first.inner_text())[:200] if await shown.count() else None
        return elapsed, error
    except Exception as exc:  # a timeout or a closed page is an error of that session
        return time.perf_counter() - start, f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    finally:
        await context.close()


def cpu_since(used: tuple[float, float]) -> str:
    """CPU seconds the server and the browser have used since ``used`` (their earlier totals)."""
    return f"server CPU {server_cpu() - used[0]:.2f} s, browser CPU {browser_cpu() - used[1]:.2f} s"


async def run(url: str, n: int) -> tuple[float, list[tuple[float, str | None]]]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        warm, error = await open_model_building(browser, url)
        print(f"first session (cold: first fit of the sample cohort): {warm:.1f} s" + (f" ERROR {error}" if error else ""))
        used = server_cpu(), browser_cpu()
        single, error = await open_model_building(browser, url)
        print(f"one session alone: {single:.2f} s, {cpu_since(used)}" + (f" ERROR {error}" if error else ""))
        used = server_cpu(), browser_cpu()
        results = await asyncio.gather(*(open_model_building(browser, url) for _ in range(n)))
        print(f"{n} sessions at once: {cpu_since(used)}")
        await browser.close()
    return single, list(results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=8, help="sessions at once (default 8)")
    args = parser.parse_args()
    with serve_app("sessions") as url:
        single, results = asyncio.run(run(url, args.sessions))
    for i, (seconds, error) in enumerate(results, 1):
        print(f"session {i}: {seconds:.2f} s" + (f" ERROR {error}" if error else ""))
    times = sorted(seconds for seconds, _ in results)
    p95 = statistics.quantiles(times, n=20, method="inclusive")[-1] if len(times) > 1 else times[0]
    errors = sum(error is not None for _, error in results)
    print(f"sessions={args.sessions} errors={errors} p95_s={p95:.2f} single_s={single:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
