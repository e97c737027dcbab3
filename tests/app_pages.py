"""Open a page of the app in AppTest as a new browser session would (a reload starts one)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from hccdash import paths


def open_page(page: str, cohort: str | None = None, timeout: float = 180) -> AppTest:
    """A new session of the app, the app-wide cohort set to ``cohort``, switched to ``page`` (no exception)."""
    at = AppTest.from_file(str(paths.PROJECT_DIR / "app.py"), default_timeout=timeout)
    if cohort is not None:
        at.session_state["cohort"] = cohort
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at
