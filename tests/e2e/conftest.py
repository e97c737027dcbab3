"""Shared pieces of the headless-browser tests: a fresh `streamlit run app.py` per test,
Debian's ``chromium`` through Playwright's ``executable_path`` (Playwright cannot download a
browser here), and a wait for the end of a script run."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
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
def app_url(hccdash_home) -> Iterator[str]:
    """A freshly started server (sample cohort on) over the test's HCCDASH_HOME; its log is
    ``HCCDASH_HOME/streamlit.log``."""
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
