"""Model building configurations: saved as YAML, read back, remembered per cohort in the store.

A configuration is the part of :class:`~hccdash.settings.Settings` that Model building sets:
the sections ``split``, ``selection`` and ``model``, with the LASSO lambda chosen on the page.
Its YAML is a settings file of ``python -m hccdash fit --settings`` (same sections and keys),
read here and there by :func:`read_settings_text` (:func:`hccdash.safe_yaml.load_yaml`, then
:meth:`Settings.from_dict`, which names a bad section, key or value).

The store keeps, per cohort and feature source, every distinct configuration fitted
(:func:`remember`): the newest is restored when a new browser session opens the page
(:func:`last_configuration`), the recent ones are a history to go back to (:func:`history`).
The page records through :func:`remember_soon`: a background thread writes a configuration once
the user has left it for :data:`REMEMBER_AFTER` seconds, so a burst of slider moves writes only
where it ended and a move never waits for the store; reading the history writes what is pending
first.
"""

from __future__ import annotations

import atexit
import dataclasses
import functools
import hashlib
import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from hccdash.messages import shorten
from hccdash.modeling.presets import endpoint_label
from hccdash.safe_yaml import load_yaml
from hccdash.settings import Settings
from hccdash.store import Store

SECTIONS = ("split", "selection", "model")
HISTORY_KEPT = 20  # configurations kept per cohort and feature source (older ones are deleted)
REMEMBER_AFTER = 1.5  # seconds a configuration stays unchanged before remember_soon writes it

log = logging.getLogger(__name__)


def configuration_dict(settings: Settings) -> dict[str, Any]:
    """The Model building sections of ``settings`` as plain data (lists for tuples)."""
    data = settings.to_dict()
    return {section: data[section] for section in SECTIONS}


def settings_from_data(data: Any, name: str) -> Settings:
    """Settings from the data of a settings file (``None``: defaults); ValueError naming the bad
    section, key or value in one short sentence (``name``, the file, when it is no mapping)."""
    data = data or {}
    if not isinstance(data, dict):
        raise ValueError(f"{name} must hold a mapping of sections")
    try:
        return Settings.from_dict(data)
    except ValueError as exc:
        raise ValueError(shorten(str(exc))) from None


def read_settings_text(source: str | bytes, name: str) -> Settings:
    """Settings from the text of a YAML settings file (as ``fit --settings`` reads it)."""
    return settings_from_data(load_yaml(source, name), name)


def configuration_yaml(settings: Settings, cohort: str, source: str) -> str:
    """The configuration as a YAML settings file, with a header naming where it came from."""
    header = (f"# hccdash Model building configuration (cohort {json.dumps(cohort)}, features {json.dumps(source)}).\n"
              "# Load it on Model building, or fit with: python -m hccdash fit --settings THIS_FILE ...\n")
    return header + yaml.safe_dump(configuration_dict(settings), sort_keys=False, allow_unicode=True)


def describe(settings: Settings) -> str:
    """One line naming what the configuration is: endpoint, phases, filters, LASSO, clinical model, split."""
    s, m = settings.selection, settings.model
    endpoint = f"{endpoint_label(m)} ({'Cox' if m.endpoint == 'rfs' else 'logistic'})"
    filters = [f"ICC {s.icc_threshold:g}" if s.icc_threshold is not None else "",
               "variance" if s.variance_filter else "",
               f"univariate p {s.univariate_p:g}" if s.univariate_p is not None else "",
               f"{s.correlation_method} {s.correlation_threshold:g}" if s.correlation_threshold is not None else "",
               f"mRMR {s.mrmr_k}" if s.mrmr_k is not None else "", f"RF top {s.rf_k}" if s.rf_k is not None else "",
               "ComBat" if s.combat else ""]
    lam = s.lasso_lambda if isinstance(s.lasso_lambda, str) else f"lambda {s.lasso_lambda:.4g}"
    folds = "LOO" if s.lasso_folds == "loo" else f"{s.lasso_folds}-fold"
    clinical = ("all clinical variables" if m.clinical_variables is None
                else f"{len(m.clinical_variables)} clinical variable(s)")
    phases = ", ".join(s.phases) if s.phases else "all phases"
    split = (f"three cohorts (external {', '.join(settings.split.validation_centres)})"
             if settings.split.resplit else "stored split")
    return "; ".join([endpoint, phases, " + ".join(f for f in filters if f) or "no filter",
                      f"LASSO {folds} {lam}", clinical, split])


def _digest(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def remember(cohort: str, source: str, settings: Settings, store: Store | None = None) -> bool:
    """Record ``settings`` as the newest configuration of ``cohort`` and feature ``source``;
    False when it already is the newest (nothing written). Only :data:`HISTORY_KEPT` are kept."""
    store = store or Store()
    data = configuration_dict(settings)
    digest = _digest(data)
    with store.transaction() as con:
        newest = con.execute("SELECT digest FROM configurations WHERE cohort = ? AND source = ? "
                             "ORDER BY saved_at DESC LIMIT 1", [cohort, source]).fetchall()
        if newest and newest[0][0] == digest:
            return False
        con.execute("DELETE FROM configurations WHERE cohort = ? AND source = ? AND digest = ?",
                    [cohort, source, digest])  # a configuration gone back to moves to the top
        con.execute("INSERT INTO configurations VALUES (?, ?, now(), ?, ?)",
                    [cohort, source, json.dumps(data), digest])
        con.execute("DELETE FROM configurations WHERE cohort = ? AND source = ? AND saved_at < ("
                    "SELECT min(saved_at) FROM (SELECT saved_at FROM configurations WHERE cohort = ? AND source = ? "
                    "ORDER BY saved_at DESC LIMIT ?))", [cohort, source, cohort, source, HISTORY_KEPT])
    return True


_pending: dict[tuple[Path, str, str], tuple[Store, Settings, float]] = {}
_pending_lock = threading.Lock()
_writing = threading.Lock()  # one writer at a time, so what is written later is newer
_timer: threading.Timer | None = None


def remember_soon(cohort: str, source: str, settings: Settings, store: Store | None = None) -> None:
    """As :func:`remember`, by a background thread once ``settings`` has stayed the newest of this
    cohort and source for :data:`REMEMBER_AFTER` seconds (a newer call replaces it unwritten)."""
    store = store or Store()
    with _pending_lock:
        _pending[(store.path, cohort, source)] = (store, settings, time.monotonic())
        _arm(REMEMBER_AFTER)


def flush_remembered() -> None:
    """Write every configuration :func:`remember_soon` holds, now (also at exit)."""
    _write_pending(lambda waited: True)


def _arm(delay: float) -> None:
    global _timer
    if _timer is None:
        _timer = threading.Timer(max(delay, 0.0), _write_settled)
        _timer.daemon = True
        _timer.start()


def _write_settled() -> None:
    global _timer
    with _pending_lock:
        _timer = None
    _write_pending(lambda waited: waited >= REMEMBER_AFTER)
    with _pending_lock:
        if _pending:
            oldest = min(at for _, _, at in _pending.values())
            _arm(REMEMBER_AFTER - (time.monotonic() - oldest))


def _write_pending(due) -> None:
    """Write (and forget) the pending configurations ``due(seconds since recorded)`` picks."""
    with _writing:
        now = time.monotonic()
        with _pending_lock:
            chosen = {key: value for key, value in _pending.items() if due(now - value[2])}
            for key in chosen:
                del _pending[key]
        for (_, cohort, source), (store, settings, _) in chosen.items():
            if not store.path.exists():  # its data folder is gone (a removed HCCDASH_HOME): nothing to keep
                continue
            try:
                remember(cohort, source, settings, store)
            except Exception as exc:  # a busy or damaged store: this configuration is not kept
                log.warning("Could not remember the configuration of cohort %r: %s", cohort, exc)


atexit.register(flush_remembered)


@functools.lru_cache(maxsize=256)
def _stored_settings(text: str) -> Settings:
    """The settings of a stored configuration's JSON text (parsed and checked once per text)."""
    return settings_from_data(json.loads(text), "stored configuration")


def history(cohort: str, source: str, store: Store | None = None) -> list[tuple[pd.Timestamp, Settings]]:
    """(when, settings) of the remembered configurations, newest first (ones this version can no
    longer read are left out); configurations :func:`remember_soon` holds are written first."""
    store = store or Store()
    flush_remembered()
    rows = store.query("SELECT saved_at, settings FROM configurations WHERE cohort = ? AND source = ? "
                       "ORDER BY saved_at DESC", [cohort, source])
    out = []
    for saved_at, text in rows.itertuples(index=False):
        try:
            out.append((pd.Timestamp(saved_at), _stored_settings(text)))
        except ValueError:
            continue  # written by another version with other keys
    return out


def last_configuration(cohort: str, source: str, store: Store | None = None) -> Settings | None:
    """The newest remembered configuration (None when there is none)."""
    found = history(cohort, source, store)
    return found[0][1] if found else None


def with_sections(base: Settings, loaded: Settings) -> Settings:
    """``base`` with the Model building sections of ``loaded``."""
    return dataclasses.replace(base, **{section: getattr(loaded, section) for section in SECTIONS})
