"""hccdash.display.as_text: Markdown escaped for the pages; hccdash.messages: values and messages cut short."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from hccdash.display import as_text, table_as_text
from hccdash.messages import MAX_MESSAGE, MAX_VALUE, brief, shorten

JOINER = "\u2060"


def _unescaped(text: str) -> str:
    """What CommonMark shows for ``text``: each backslash escape becomes its character."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


@pytest.mark.parametrize("raw", [
    "![x](http://127.0.0.1:9/t.png)", "[link](http://x)", ":red[x]", ":blue-badge[b]", "**bold** *it* `code` ~~s~~",
    "_it_ __b__", "$x^2$", "<b>tag</b> <http://h.org>", "&amp; &#91;", "a\\b", "x[^1]", "a | b",
])
def test_inline_markdown_is_escaped_and_shows_as_itself(raw):
    shown = as_text(raw)
    assert re.search(r"(?<!\\)[`*\[\]<>~$|]", shown.replace("\\\\", "")) is None  # nothing left unescaped
    assert re.search(r"(?<![\\\w])_|(?<!\\)_(?!\w)", shown) is None  # no "_" that could open or close emphasis
    assert "&" not in shown.replace("\\&", "")
    assert _unescaped(shown).replace(JOINER, "") == raw


@pytest.mark.parametrize("raw, start", [
    ("# heading", "\\#"), ("- item", "\\-"), ("+ item", "\\+"), ("* item", "\\*"), ("> quote", "\\>"),
    ("1. item", "1\\."), ("12) item", "12\\)"), ("---", "\\-"), ("  # indented", "  \\#"), ("=== x", "\\="),
    ("## two", "\\##"), ("7.", "7\\."),
])
def test_a_heading_list_or_rule_at_the_start_is_escaped(raw, start):
    assert as_text(raw).startswith(start) and _unescaped(as_text(raw)) == raw


@pytest.mark.parametrize("raw", ["rad_score", "AFP (ng/mL)", "Cohort 'tiny' imported: 24 patients (train 16).",
                                 "age 2.5 - 3", "p = 0.04; n = 10!", "BCLC_stage_B", "0.4892 (median)", "-5 mm",
                                 "#hashtag", "1.5x"])
def test_plain_text_is_left_as_it_is(raw):
    assert as_text(raw) == raw


@pytest.mark.parametrize("raw, broken", [
    ("see http://host.org/a", "http" + JOINER + ":"), ("HTTPS://host.org", "HTTPS" + JOINER),
    ("www.host.org", "www" + JOINER), ("me@host.org", "me" + JOINER + "@"), (":red[x]", ":" + JOINER + "red"),
    (":smile: :material/home:", ":" + JOINER + "smile:"), ("x :100:", ":" + JOINER + "100"),
])
def test_autolinks_directives_and_shortcodes_are_broken_by_an_invisible_joiner(raw, broken):
    shown = _unescaped(as_text(raw))
    assert broken in shown and shown.replace(JOINER, "") == raw
    assert re.search(r":[\w+-][\w+-]*:", shown) is None  # Streamlit's test for loading its emoji plugin


def test_text_stays_on_one_line():
    assert as_text("a\nb\r\nc\td") == "a b c d"
    assert as_text(None) == "None" and as_text(ValueError("bad [x]")) == "bad \\[x\\]"


def test_brief_is_short_for_huge_and_deep_values():
    huge = [["lol"] * 9] * 10**6  # a million references to one list: never walked in full
    assert len(brief(huge)) == MAX_VALUE and brief("x" * 10**6).count("x") < MAX_VALUE
    nested = [[[[[[1]]]]]]
    assert brief(nested) == "[[[[...]]]]"  # deeper levels cut
    assert brief("AFP") == "'AFP'" and brief(2.5) == "2.5"


def test_shorten_keeps_short_messages_and_cuts_long_ones():
    assert shorten("short") == "short"
    cut = shorten("y" * 10_000)
    assert len(cut) == MAX_MESSAGE and cut.endswith("... (10000 characters)")


def test_table_as_text_escapes_cells_index_and_header():
    frame = pd.DataFrame({"value [u]": ["![x](http://h.org/t.png)", np.nan]}, index=["Inputs (units)", "b"])
    shown = table_as_text(frame)
    assert list(shown.columns) == [as_text("value [u]")] and list(shown.index) == [as_text("Inputs (units)"), "b"]
    assert shown.iloc[0, 0] == as_text("![x](http://h.org/t.png)") and shown.iloc[1, 0] == ""
