"""The pages' side of the app's frame (`app.py`): every page file calls :func:`in_app_frame`
first.

Streamlit 1.67 decides once per server process, when the first session opens, whether the
app uses its old automatic multipage mode: it does when a folder named ``pages/`` sits beside
the main script, until ``st.navigation`` runs (``PagesManager.uses_pages_directory``,
``streamlit/runtime/pages_manager.py``; ``_mpa_v1`` in ``scriptrunner/script_runner.py``).
So the first request after a start that goes to a page's own address (a bookmark, the reload
button) runs that page file alone: Streamlit's bare ``pages/`` list, no ``app.py`` start-up.
When a page finds itself run that way, it switches the process to ``st.navigation`` and
reruns: the same page (same address, same page hash) then runs inside ``app.py``.

``AppTest`` resets that flag before every run (it models one script run, not a server's
lifetime), so there the pages keep running on their own, as they always have in AppTest: a
rerun there would drop the clicked button of every run.
"""

from __future__ import annotations

import streamlit as st
from streamlit import config
from streamlit.runtime.pages_manager import PagesManager


def in_app_frame() -> None:
    """Rerun inside ``app.py`` when Streamlit ran this page on its own (old multipage mode)."""
    if PagesManager.uses_pages_directory and not config.get_option("global.appTest"):
        PagesManager.uses_pages_directory = False
        st.rerun()
