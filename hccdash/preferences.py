"""Choices the app remembers across browser sessions of one ``HCCDASH_HOME`` (a reload starts a
new session, which forgets ``st.session_state``): one JSON value per key in the store's
``preferences`` table. Model building's configurations have their own table
(:mod:`hccdash.modeling.configurations`)."""

from __future__ import annotations

import json
from typing import Any

from hccdash.store import Store

CALCULATOR_MODEL = "calculator.model"  # the registered model last chosen in the patient calculator


def remember(key: str, value: Any, store: Store | None = None) -> None:
    """Store ``value`` (JSON-serialisable) under ``key``, replacing what was there."""
    store = store or Store()
    with store.transaction() as con:
        con.execute("DELETE FROM preferences WHERE key = ?", [key])
        con.execute("INSERT INTO preferences VALUES (?, ?, now())", [key, json.dumps(value)])


def recall(key: str, store: Store | None = None) -> Any:
    """The value last stored under ``key`` (None when there is none)."""
    rows = (store or Store()).query("SELECT value FROM preferences WHERE key = ?", [key])
    return None if rows.empty else json.loads(rows["value"].iloc[0])
