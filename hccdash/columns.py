"""The one check that a table has every column a fitted step or model needs.

Every step that was fitted on named columns (a Cox or logistic model, a standardiser, ComBat, a
rad-score, a clinical model, a model file's predictors) asks the same question of a new table,
with :func:`require_columns` (which also selects the columns, in fitted order) or
:func:`check_columns` (which only checks); both raise the same ValueError, which names the table,
the first missing columns, how many are missing and what needs them.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import numpy as np
import pandas as pd

from hccdash.messages import brief

MAX_NAMED = 5  # missing columns named in the message; the rest are only counted


def missing_columns_message(missing: Iterable[Hashable], *, what: str, needed_by: str,
                            table: str = "The table") -> str:
    """``"<table> lacks the <what>(s) ['a', 'b'] (2 missing), needed by <needed_by>"``: at most
    :data:`MAX_NAMED` names are shown (each cut by :func:`hccdash.messages.brief`), the count is of all."""
    missing = list(missing)
    shown = ", ".join(brief(str(name)) for name in missing[:MAX_NAMED])
    more = ", ..." if len(missing) > MAX_NAMED else ""
    return f"{table} lacks the {what}(s) [{shown}{more}] ({len(missing)} missing), needed by {needed_by}"


def check_columns(frame: pd.DataFrame, names: Iterable[Hashable], *, what: str = "feature",
                  needed_by: str, table: str = "The table") -> list:
    """``names`` as a list, after checking that each is a column of ``frame``; else a ValueError
    (:func:`missing_columns_message`) naming the first missing ones, how many, and ``needed_by``.

    ``what`` is the kind of column ("feature", "clinical variable", "model column", ...) and
    ``table`` the table's name as the user knows it, both as the message shows them."""
    names = list(names)
    _positions(frame, names, what=what, needed_by=needed_by, table=table)
    return names


def require_columns(frame: pd.DataFrame, names: Iterable[Hashable], *, what: str = "feature",
                    needed_by: str, table: str = "The table") -> pd.DataFrame:
    """``frame``'s columns ``names``, in that (fitted) order; a ValueError as :func:`check_columns`
    when any is missing."""
    names = list(names)
    at = _positions(frame, names, what=what, needed_by=needed_by, table=table)
    return frame[names] if at is None else frame.iloc[:, at]


def _positions(frame: pd.DataFrame, names: list, *, what: str, needed_by: str, table: str) -> np.ndarray | None:
    """The positions of ``names`` among ``frame``'s columns (one vectorised look-up; None when the
    columns are not unique), after the check of :func:`check_columns`."""
    present = frame.columns
    at = present.get_indexer(names) if present.is_unique else None
    if at is None:
        missing = [name for name in names if name not in present]
    else:
        missing = [name for name, i in zip(names, at) if i < 0] if (at < 0).any() else []
    if missing:
        raise ValueError(missing_columns_message(missing, what=what, needed_by=needed_by, table=table))
    return at
