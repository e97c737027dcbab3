"""What the pages show, as they show it: p-values the way clinical papers print them, text
shown as written, and a damaged or busy store told in words instead of a traceback.

Text shown as written: :func:`as_text` for any name, label, unit or message that reaches a
place where Streamlit renders Markdown (titles, captions, alerts, widget, metric, expander,
tab and status labels, radio options), :func:`table_as_text` for ``st.table`` (which renders
Markdown in every cell). Streamlit escapes HTML itself, not Markdown (TRAPS.md): unescaped,
``![x](http://host/t.png)`` in a cohort name makes the browser fetch that image. Selectbox and
multiselect options, ``st.dataframe`` / ``st.data_editor`` cells, ``st.code``, ``st.json``
and chart titles are plain text already and need none of this.

Downloads keep the raw numbers; only the on-screen copy is formatted. No Streamlit here:
the pages pass their ``st`` functions in."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pandas as pd

from hccdash.store import StoreBusyError, StoreOpenError

P_COLUMN = re.compile(r"^p($|[_ (])|_p$", re.IGNORECASE)  # p, p_logrank, p (variable), interaction_p
P_FLOOR = 0.001

_LINE_BREAKS = re.compile(r"[\r\n\t\v\f\u2028\u2029]+")
# Markdown that starts anywhere in a line: escapes, code, emphasis, links and images (and
# Streamlit's ":red[...]" labels), autolinks and HTML, strikethrough, math, tables.
_ALWAYS = re.compile(r"([\\`*\[\]<>~$|])")
_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")  # "_x_" is emphasis; "rad_score" is not
_ENTITY = re.compile(r"&(?=#?\w+;)")  # "&amp;" would show as "&"
# A heading, list item, quote or rule at the start ("# x", "- x", "1. x", "---"; not "-5", "0.5")
_LIST_MARKER = re.compile(r"^(\s*)(?:(#+|[+=-])(?=[\s#=-]|$)|(\d{1,9})([.)])(?=\s|$))")
# Found in the text after the escapes are resolved, so an invisible word joiner breaks them:
# GitHub's autolinks ("http://...", "www.", "name@host") and Streamlit's ":name" directives,
# ":emoji:" shortcodes and ":material/icon:" icons.
_JOIN = re.compile(r"(?i)(?<![a-z])(?:https?|ftp|mailto|xmpp)(?=:)"  # before the ":" of "http://"
                   r"|(?<![a-z0-9])www(?=\.)|(?=@)"  # before the "." of "www.", before "@"
                   r"|(?<=:)(?=[\w+-])")  # after the ":" of ":red[", ":smile:", ":material/"
_WORD_JOINER = "\u2060"


def format_p(value, trailing_zeros: bool = False) -> str:
    """"<0.001" below the floor, else 3 significant digits; "" when missing or not a number.
    ``trailing_zeros``: the three digits printed in full, as journals do ("0.0500", "1.00")."""
    p = pd.to_numeric(value, errors="coerce")
    if pd.isna(p):
        return ""
    return f"<{P_FLOOR:g}" if p < P_FLOOR else f"{p:#.3g}" if trailing_zeros else f"{p:.3g}"


def with_unit(label: str, unit: str) -> str:
    """``"AFP (ng/mL)"`` from ``"AFP"`` and ``"ng/mL"``; the label alone without a unit."""
    return f"{label} ({unit})" if unit else label


def term_label(term: str, labels: Mapping[str, str], units: Mapping[str, str]) -> str:
    """A model term (or nomogram axis) as readers see it, with its variable's display label and unit
    (the longest variable name the term starts with): ``AFP`` -> "Alpha-fetoprotein (ng/mL)",
    ``ALB > 43.4`` -> "Albumin > 43.4 g/L", ``BCLC[B]`` -> "BCLC stage [B]", ``log(AFP)`` -> "log(AFP)
    (ng/mL)", a spline's ``AFP'`` -> "AFP' (ng/mL)"; a term of a variable without label or unit
    (the rad-score) is unchanged."""
    for name in sorted(set(labels) | set(units), key=len, reverse=True):
        label, unit = labels.get(name) or name, units.get(name, "")
        if label == name and not unit:
            continue  # nothing to add: the term stays as the model names it
        if term.startswith(f"log({name})"):
            return with_unit(f"log({label}){term[len(name) + 5:]}", unit)
        if not term.startswith(name):
            continue
        rest = term[len(name):]
        if rest == "" or rest.startswith("'"):
            return with_unit(f"{label}{rest}", unit)
        if rest.startswith("["):
            return f"{label} {rest}" if label != name else term
        if rest.startswith(" "):
            return f"{label}{rest} {unit}".rstrip()
    return term


def p_text(value) -> str:
    """"p = 0.279" or "p < 0.001", for figure titles."""
    shown = format_p(value)
    return f"p < {shown[1:]}" if shown.startswith("<") else f"p = {shown or 'NA'}"


def for_display(frame: pd.DataFrame, missing: str | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with every p-value column (``p``, ``p_*``, ``p (...)``, ``*_p``)
    formatted by :func:`format_p`; other columns untouched. With ``missing`` (e.g. "–"), a
    column holding an empty cell (which the table would print as "None") is shown as text:
    that mark for the empty cells, numbers to 4 significant digits."""
    shown = frame.copy()
    for column in shown.columns:
        if P_COLUMN.search(str(column)):
            shown[column] = shown[column].map(format_p)
        elif missing is not None and shown[column].isna().any():
            shown[column] = shown[column].map(lambda v: missing if pd.isna(v) else
                                              f"{v:.4g}" if isinstance(v, float) else str(v))
    return shown


def as_text(value: Any) -> str:
    """``str(value)`` on one line, for any Streamlit call that renders Markdown: it then shows
    exactly ``str(value)`` (plus invisible word joiners that break autolinks, directives and
    shortcodes). Only what Markdown would act on is escaped, so plain names ("rad_score",
    "AFP (ng/mL)") reach the page, and screen readers' labels, unchanged."""
    text = _LINE_BREAKS.sub(" ", str(value))
    text = _JOIN.sub(lambda m: m.group(0) + _WORD_JOINER, text)
    text = _ALWAYS.sub(r"\\\1", text)
    text = _UNDERSCORE.sub(r"\\_", text)
    text = _ENTITY.sub(r"\\&", text)
    return _LIST_MARKER.sub(_escape_marker, text, count=1)


def _escape_marker(match: re.Match) -> str:
    space, sign, number, delimiter = match.groups()
    return f"{space}\\{sign}" if sign else f"{space}{number}\\{delimiter}"


def table_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` for ``st.table`` (which renders Markdown in every cell, header and
    index label) with each of them passed through :func:`as_text`; missing cells stay empty."""
    shown = frame.map(lambda v: "" if v is None or (isinstance(v, float) and v != v) else as_text(v))
    shown.index = [as_text(v) for v in frame.index]
    shown.index.name = None if frame.index.name is None else as_text(frame.index.name)
    shown.columns = [as_text(v) for v in frame.columns]
    return shown


@contextlib.contextmanager
def store_errors_shown(show: Callable[[str], object]) -> Iterator[None]:
    """Run a page; a store that is damaged (:class:`~hccdash.store.StoreOpenError`) or held too long by
    another process (:class:`~hccdash.store.StoreBusyError`) is told by ``show(message)`` (the app
    passes ``st.error``), naming the file and what to do, instead of a traceback."""
    try:
        yield
    except (StoreOpenError, StoreBusyError) as exc:
        show(as_text(exc))
