"""What the pages show, as they show it: p-values the way clinical papers print them, text
shown as written, and a damaged or busy store told in words instead of a traceback.

Downloads keep the raw numbers; only the on-screen copy is formatted. No Streamlit here:
the pages pass their ``st`` functions in."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator

import pandas as pd

from hccdash.store import StoreBusyError, StoreOpenError

P_COLUMN = re.compile(r"^p($|[_ (])|_p$", re.IGNORECASE)  # p, p_logrank, p (variable), interaction_p
P_FLOOR = 0.001
MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:])")  # CommonMark's escapable characters, as Markdown uses them


def format_p(value) -> str:
    """"<0.001" below the floor, else 3 significant digits; "" when missing or not a number."""
    p = pd.to_numeric(value, errors="coerce")
    if pd.isna(p):
        return ""
    return f"<{P_FLOOR:g}" if p < P_FLOOR else f"{p:.3g}"


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


def as_text(text: str) -> str:
    """``text`` with every Markdown character escaped, so ``st.error`` / ``st.markdown`` show it as
    written (paths and messages hold ``_``, ``*``, ``[`` ...)."""
    return MARKDOWN.sub(r"\\\1", str(text))


@contextlib.contextmanager
def store_errors_shown(show: Callable[[str], object]) -> Iterator[None]:
    """Run a page; a store that is damaged (:class:`~hccdash.store.StoreOpenError`) or held too long by
    another process (:class:`~hccdash.store.StoreBusyError`) is told by ``show(message)`` (the app
    passes ``st.error``), naming the file and what to do, instead of a traceback."""
    try:
        yield
    except (StoreOpenError, StoreBusyError) as exc:
        show(as_text(exc))
