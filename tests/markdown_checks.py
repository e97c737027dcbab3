"""Hostile names for the Markdown tests, and what an AppTest run renders as Markdown.

Streamlit renders Markdown in titles, captions, alerts, widget / metric / expander / tab /
status labels, radio options and ``st.table`` cells; selectbox options and dataframes are
plain text (TRAPS.md)."""

from __future__ import annotations

import re

IMAGE = "![x](http://127.0.0.1:9/t.png)"
LINK = "[link](http://x)"
COLOUR = ":red[x]"
HOSTILE = (IMAGE, LINK, COLOUR)
# Markdown that would render: an image or a link ("[...](" with unescaped brackets), or
# Streamlit's ":red" directive (which colours even without its "[...]")
LIVE = re.compile(r"(?<!\\)\[[^\]]*(?<!\\)\]\(|:red")


def rendered_markdown(at) -> list[str]:
    """Every string of the last AppTest run that Streamlit renders as Markdown."""
    texts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "error", "warning", "info", "success",
                 "toast"):
        texts += [e.value for e in getattr(at, kind)]
    for kind in ("checkbox", "selectbox", "multiselect", "number_input", "text_input", "text_area", "radio",
                 "button", "toggle", "slider", "select_slider", "metric", "expander", "tabs", "status",
                 "download_button"):
        texts += [e.label for e in getattr(at, kind)]
    texts += [str(option) for radio in at.radio for option in radio.options]
    for table in at.table:
        frame = table.value
        texts += [str(v) for v in frame.to_numpy().ravel()] + [str(v) for v in frame.columns]
        texts += [str(v) for v in frame.index]
    return texts


def live_markdown(at) -> list[str]:
    """The rendered strings holding an image, a link or a colour directive."""
    return [text for text in rendered_markdown(at) if LIVE.search(text)]


def shown(markdown: str) -> str:
    """What a user reads of a Markdown string the pages escaped with ``hccdash.display.as_text``:
    each backslash escape is its character, the invisible word joiners are gone."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u2060", "")


def shown_table(frame):
    """What a user reads of an ``st.table`` the pages escaped with ``hccdash.display.table_as_text``."""
    table = frame.map(shown)
    table.index = [shown(v) for v in frame.index]
    table.columns = [shown(v) for v in frame.columns]
    return table
