"""Headless browser: the patient calculator form filled like a clinician would, in Chromium.

Streams ``streamlit run app.py`` on a free port with a registered model in HCCDASH_HOME,
types an impossible AFP (refused with a message), then a valid one, and checks that the
page shows the calculator's numbers. Debian's ``chromium`` through Playwright.
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

from hccdash import calculator
from hccdash.registry import registry
from hccdash.registry.json_model import JsonModel

PROJECT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(hccdash_home, cox_standin):
    fitted, spec = cox_standin
    registry.save(fitted, "combined", spec=spec)
    port = _free_port()
    env = dict(os.environ, HCCDASH_HOME=str(hccdash_home))
    log = open(hccdash_home / "streamlit.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                break
        except OSError:
            time.sleep(0.5)
    try:
        yield url, JsonModel(spec)
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def _set_number(page, label: str, value: float) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(str(value))
    field.press("Tab")


def test_clinician_fills_the_calculator_form(served):
    from playwright.sync_api import expect, sync_playwright

    url, model = served
    values = {"age": 61.0, "afp": 520.0, "child_pugh": "A", "rad_score": 0.4}
    expected = calculator.predict_patient(model, values)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1200})
            page.goto(url + "/patient_calculator")
            page.get_by_label("age (years)", exact=True).wait_for(timeout=120_000)
            _set_number(page, "age (years)", values["age"])
            _set_number(page, "rad_score", values["rad_score"])
            _set_number(page, "afp (ng/mL)", -5)
            page.get_by_role("button", name="Predict").click()
            expect(page.get_by_role("alert").filter(has_text="impossible: must be")).to_be_visible(timeout=60_000)
            _set_number(page, "afp (ng/mL)", values["afp"])
            page.get_by_role("button", name="Predict").click()
            shown = f"{100 * expected.estimates['surv'].iloc[1]:.1f}%"
            metric = page.locator('[data-testid="stMetric"]', has_text="RFS at 24 months")
            expect(metric).to_contain_text(shown, timeout=60_000)
            assert page.locator('[data-testid="stException"]').count() == 0
        finally:
            browser.close()
