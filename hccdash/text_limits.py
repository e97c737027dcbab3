"""Limits and checks of the text users write that the app shows or stores (cohort variables'
units and labels, model notes): one line of plain text, no markup, no control characters,
at most so many characters. The cohort import and the model file (``hccdash.registry.spec``)
apply the same ones, so a unit accepted at import is accepted in a saved model."""

from __future__ import annotations

import re

MAX_NOTES = 2_000  # a model's notes
MAX_LABEL = 200  # a predictor's display label
MAX_UNIT = 20  # a predictor's unit ("ng/mL", "10^9/L")

NO_MARKUP = r"^(?![\s\S]*<[A-Za-z/!?])(?![\s\S]*[\x7f-\x9f\u202a-\u202e\u2066-\u2069])"  # no tag, no bidi override
TEXT_PATTERN = NO_MARKUP + r"[^\x00-\x08\x0b\x0c\x0e-\x1f]*$"  # free text: no markup, no control characters


def check_display_text(value: str, limit: int, what: str) -> str:
    """``value`` without surrounding spaces if it is one line of plain text of at most ``limit``
    characters that a model file accepts for a predictor's unit or label (no markup, no control
    characters); ValueError naming ``what`` and the value otherwise."""
    if not isinstance(value, str):
        raise ValueError(f"{what} must be text, got {value!r}")
    text = value.strip()
    if len(text) > limit:
        raise ValueError(f"{what}: {shorten(text) if len(text) > 60 else repr(text)} is longer than {limit} characters")
    if any(c in text for c in "\n\r\t") or not re.search(TEXT_PATTERN, text):
        raise ValueError(f"{what}: {text!r} is not plain one-line text: no markup such as '<tag>' and no control "
                         "characters")
    return text


def shorten(text: str) -> str:
    """The first 60 characters of a long text and its length, for messages."""
    return f"{text[:60]}... ({len(text)} characters)"
