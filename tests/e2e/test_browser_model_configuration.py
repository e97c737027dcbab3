"""Model building in Chromium: a configuration is saved as YAML, survives a reload of the browser
page (a new session), is reset to the defaults and restored by loading the saved file."""

from __future__ import annotations

import pytest
import yaml
from e2e_servers import running_server
from synthetic_cohort import import_synthetic_cohort

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _toggle(page, label: str):
    return page.locator('[data-testid="stSidebar"] [data-testid="stCheckbox"]', has_text=label).locator("input")


def test_save_reload_reset_and_restore_a_configuration(hccdash_home, tmp_path, browser, wait_for_script):
    import_synthetic_cohort("synthetic", "synthetic_features.csv", tmp_path, n=120, p=40, seed=5, n_latent=12)
    with running_server(hccdash_home) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/model_building")
        page.get_by_text("Features left after each step").wait_for(timeout=300_000)
        wait_for_script(page)
        correlation = _toggle(page, "Correlation filter")
        assert correlation.is_checked()
        _toggle(page, "Correlation filter").uncheck(force=True)
        wait_for_script(page)
        assert not _toggle(page, "Correlation filter").is_checked()

        with page.expect_download() as download:
            page.get_by_role("button", name="Save this configuration (YAML)").click()
        saved = tmp_path / "model_building.yaml"
        download.value.save_as(saved)
        data = yaml.safe_load(saved.read_text())
        assert data["selection"]["correlation_threshold"] is None and set(data) == {"split", "selection", "model"}

        page.reload()  # a new session: the cohort's last configuration comes back
        page.get_by_text("Features left after each step").wait_for(timeout=300_000)
        wait_for_script(page)
        assert not _toggle(page, "Correlation filter").is_checked()

        page.get_by_text("Configuration: reset, load, history").click()
        page.get_by_role("button", name="Reset to defaults").click()
        wait_for_script(page)
        assert _toggle(page, "Correlation filter").is_checked()

        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(saved))
        page.get_by_text("Loaded model_building.yaml").wait_for(timeout=300_000)
        wait_for_script(page)
        assert not _toggle(page, "Correlation filter").is_checked()
        assert page.locator('[data-testid="stException"]').count() == 0
