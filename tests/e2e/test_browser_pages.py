"""End to end: `streamlit run app.py` on a free port, every page opened in headless Chromium.

Uses Debian's ``chromium`` through Playwright's ``executable_path`` (Playwright cannot
download a browser here). The test fails on any exception Streamlit shows on a page.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
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

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"streamlit did not answer at {url}")


@pytest.fixture
def app_url(hccdash_home):
    port = _free_port()
    env = dict(os.environ, HCCDASH_HOME=str(hccdash_home), HCCDASH_SAMPLE="1")
    log = open(hccdash_home / "streamlit.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _wait_for_script(page, timeout_ms: int = 180_000) -> None:
    """Wait until the app's script run has finished and stays finished for a second."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    finished = """() => document.querySelector('[data-testid="stApp"]')
                     .getAttribute('data-test-script-state') === 'notRunning'"""
    for _ in range(2):
        page.wait_for_function(finished, timeout=timeout_ms)
        page.wait_for_timeout(1000)
    page.wait_for_function(finished, timeout=timeout_ms)


def test_every_page_opens_without_exception(app_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(app_url)
            _wait_for_script(page)
            links = page.locator('[data-testid="stSidebarNavLink"]')
            titles = [links.nth(i).inner_text().strip().splitlines()[-1] for i in range(links.count())]  # after the icon
            assert "Home" in titles and len(titles) >= 2, titles
            for title in titles:
                page.locator('[data-testid="stSidebarNavLink"]', has_text=title).first.click()
                _wait_for_script(page)
                exceptions = page.locator('[data-testid="stException"]')
                assert exceptions.count() == 0, f"{title}: {exceptions.first.inner_text()}"
                assert page.locator("h1").count() >= 1, f"{title}: no page title rendered"
        finally:
            browser.close()
