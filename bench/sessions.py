"""Benchmark: N browser sessions opening Model building at once, against one session alone.

    python bench/sessions.py [--sessions 8] [--control]

Starts the app on the sample cohort (``app_server.serve_app``), warms it with one session
(the first fit of the cohort), then times one more session alone and ``--sessions``
sessions at once, each in its own headless Chromium context (Debian's ``chromium``
through Playwright): from opening the app until Model building's script run has
finished with its funnel drawn. A session that shows Streamlit's exception box, an
error element or times out counts as an error. Beside each, the CPU seconds the server
and the browser used (the browsers run on the same cores as the server here).

With ``--control`` the same is measured, in the same run, on a one-line Streamlit app
(``st.write("hello")``, the project's Streamlit configuration): what N sessions at once
cost on this machine when the app itself costs next to nothing. Its line
``control: sessions=<N> errors=<count> p95_s=<...> single_s=<...> ratio=<p95/single>`` comes
before the last line.

Last line: ``sessions=<N> errors=<count> p95_s=<95th percentile of the N> single_s=<one alone>``
(target: no error, p95 within 3x a single session).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from app_server import browser_cpu, serve_app, server_cpu

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.e2e_servers import running_server

FINISHED = """() => document.querySelector('[data-testid="stApp"]')
                 ?.getAttribute('data-test-script-state') === 'notRunning'"""
FUNNEL = "Features left after each step"
HELLO = "hello from the control app"


async def open_session(browser, url: str, page_link: str | None, shown: str,
                       timeout_ms: int = 300_000) -> tuple[float, str | None]:
    """Seconds until a new session has drawn ``shown`` (after following the sidebar link
    ``page_link``, if given) and its script run has ended, and the error it showed (or None)."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    start = time.perf_counter()
    try:
        await page.goto(url)
        await page.wait_for_function(FINISHED, timeout=timeout_ms)
        if page_link is not None:
            await page.locator('[data-testid="stSidebarNavLink"]', has_text=page_link).first.click()
        await page.get_by_text(shown).first.wait_for(timeout=timeout_ms)
        for _ in range(2):  # the run that drew it has ended and no other follows
            await page.wait_for_function(FINISHED, timeout=timeout_ms)
            await page.wait_for_timeout(300)
        elapsed = time.perf_counter() - start - 0.6
        errors = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]')
        error = (await errors.first.inner_text())[:200] if await errors.count() else None
        return elapsed, error
    except Exception as exc:  # a timeout or a closed page is an error of that session
        return time.perf_counter() - start, f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    finally:
        await context.close()


def cpu_since(used: tuple[float, float]) -> str:
    """CPU seconds the server and the browser have used since ``used`` (their earlier totals)."""
    return f"server CPU {server_cpu() - used[0]:.2f} s, browser CPU {browser_cpu() - used[1]:.2f} s"


async def run(url: str, n: int, page_link: str | None, shown: str, tag: str = ""
              ) -> tuple[float, list[tuple[float, str | None]]]:
    """(one session alone, the N sessions at once) on the app at ``url``, after a warm-up session."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        warm, error = await open_session(browser, url, page_link, shown)
        print(f"{tag}first session (cold: the app's first run): {warm:.1f} s" + (f" ERROR {error}" if error else ""))
        used = server_cpu(), browser_cpu()
        single, error = await open_session(browser, url, page_link, shown)
        print(f"{tag}one session alone: {single:.2f} s, {cpu_since(used)}" + (f" ERROR {error}" if error else ""))
        used = server_cpu(), browser_cpu()
        results = await asyncio.gather(*(open_session(browser, url, page_link, shown) for _ in range(n)))
        print(f"{tag}{n} sessions at once: {cpu_since(used)}")
        await browser.close()
    return single, list(results)


def p95(results: list[tuple[float, str | None]]) -> float:
    """The 95th percentile of the sessions' seconds."""
    times = sorted(seconds for seconds, _ in results)
    return statistics.quantiles(times, n=20, method="inclusive")[-1] if len(times) > 1 else times[0]


def summary(single: float, results: list[tuple[float, str | None]]) -> str:
    """``sessions=<N> errors=<count> p95_s=<...> single_s=<...>``."""
    errors = sum(error is not None for _, error in results)
    return f"sessions={len(results)} errors={errors} p95_s={p95(results):.2f} single_s={single:.2f}"


@contextlib.contextmanager
def control_app() -> Iterator[str]:
    """A one-line Streamlit app served like the app (same configuration, fresh folder); yields its URL."""
    with tempfile.TemporaryDirectory(prefix="hccdash-control-") as folder:
        script = Path(folder) / "hello.py"
        script.write_text(f"import streamlit as st\n\nst.write({HELLO!r})\n")
        with running_server(Path(folder), script=str(script), env={"HCCDASH_SAMPLE": "0"}) as url:
            yield url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=8, help="sessions at once (default 8)")
    parser.add_argument("--control", action="store_true",
                        help="also measure a one-line Streamlit app the same way (what this machine allows)")
    args = parser.parse_args()
    with serve_app("sessions") as url:
        single, results = asyncio.run(run(url, args.sessions, "Model building", FUNNEL))
    for i, (seconds, error) in enumerate(results, 1):
        print(f"session {i}: {seconds:.2f} s" + (f" ERROR {error}" if error else ""))
    if args.control:
        with control_app() as url:
            control_single, control = asyncio.run(run(url, args.sessions, None, HELLO, tag="control: "))
        print(f"control: {summary(control_single, control)} ratio={p95(control) / control_single:.1f}")
    print(summary(single, results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
