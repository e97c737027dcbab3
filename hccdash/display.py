"""Tables as the pages show them: p-values the way clinical papers print them.

Downloads keep the raw numbers; only the on-screen copy is formatted."""

from __future__ import annotations

import re

import pandas as pd

P_COLUMN = re.compile(r"^p($|[_ (])|_p$", re.IGNORECASE)  # p, p_logrank, p (variable), interaction_p
P_FLOOR = 0.001


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


def for_display(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every p-value column (``p``, ``p_*``, ``p (...)``, ``*_p``)
    formatted by :func:`format_p`; other columns untouched."""
    shown = frame.copy()
    for column in shown.columns:
        if P_COLUMN.search(str(column)):
            shown[column] = shown[column].map(format_p)
    return shown
