"""Start the app: ``python serve.py [streamlit run options]`` (what ``make run`` does).

It is ``streamlit run app.py`` with two process-wide guards installed before the server takes
its first request. ``app.py`` installs them too, so a plain ``streamlit run app.py`` has them
from its first session on.

- Nothing leaves the machine. When a websocket comes from a foreign origin, Streamlit compares
  that origin with the machine's external IP address, which it asks an outside service for
  (``get_external_ip`` in ``streamlit/net_util.py``: checkip.amazonaws.com). Here the
  external address is unknown, so the origin is refused without asking anyone.
- Deep links: ``st.navigation`` from the first request on (see :mod:`app_frame`), so a page's
  own address opens inside ``app.py`` at once.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit.net_util
from streamlit.runtime.pages_manager import PagesManager

APP = Path(__file__).resolve().with_name("app.py")


def _unknown_external_ip() -> None:
    """The machine's external IP address, never looked up: unknown."""
    return None


def install_guards() -> None:
    """No external IP lookup; no automatic ``pages/`` mode before the first session. Idempotent."""
    streamlit.net_util.get_external_ip = _unknown_external_ip
    if PagesManager.uses_pages_directory is None:  # no session yet: app.py's st.navigation decides
        PagesManager.uses_pages_directory = False


def main(argv: list[str] | None = None) -> None:
    """``streamlit run app.py ARGV`` in this process, after :func:`install_guards`."""
    from streamlit.web import cli

    install_guards()
    sys.argv = ["streamlit", "run", str(APP), *(sys.argv[1:] if argv is None else argv)]
    cli.main()


if __name__ == "__main__":
    main()
