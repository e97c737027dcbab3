"""Shared pieces of the headless-browser tests: a fresh `streamlit run app.py` per test,
Debian's ``chromium`` through Playwright's ``executable_path`` (Playwright cannot download a
browser here), and a wait for the end of a script run."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator

import pytest
from e2e_servers import running_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def app_url(hccdash_home) -> Iterator[str]:
    """``streamlit run app.py`` freshly started over the test's HCCDASH_HOME."""
    with running_server(hccdash_home) as url:
        yield url


@pytest.fixture
def browser():
    """Headless Debian chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _wait_for_script(page, timeout_ms: int = 180_000) -> None:
    """Wait until the app's script run has finished and stays finished for a second."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    finished = """() => document.querySelector('[data-testid="stApp"]')
                     .getAttribute('data-test-script-state') === 'notRunning'"""
    for _ in range(2):
        page.wait_for_function(finished, timeout=timeout_ms)
        page.wait_for_timeout(1000)
    page.wait_for_function(finished, timeout=timeout_ms)


@pytest.fixture
def wait_for_script() -> Callable:
    """:func:`_wait_for_script`, for the tests."""
    return _wait_for_script


def nav_titles(page) -> list[str]:
    """The sidebar's page names (the text after each icon)."""
    links = page.locator('[data-testid="stSidebarNavLink"]')
    return [links.nth(i).inner_text().strip().splitlines()[-1] for i in range(links.count())]


@pytest.fixture
def sidebar_titles() -> Callable:
    """:func:`nav_titles`, for the tests."""
    return nav_titles
