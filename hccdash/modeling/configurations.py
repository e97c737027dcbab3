"""Model building configurations: saved as YAML, read back, remembered per cohort in the store.

A configuration is the part of :class:`~hccdash.settings.Settings` that Model building sets:
the sections ``split``, ``selection`` and ``model``, with the LASSO lambda chosen on the page.
Its YAML is a settings file of ``python -m hccdash fit --settings`` (same sections and keys),
read here and there by :func:`read_settings_text` (:func:`hccdash.safe_yaml.load_yaml`, then
:meth:`Settings.from_dict`, which names a bad section, key or value).

The store keeps, per cohort and feature source, every distinct configuration fitted
(:func:`remember`): the newest is restored when a new browser session opens the page
(:func:`last_configuration`), the recent ones are a history to go back to (:func:`history`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
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


def history(cohort: str, source: str, store: Store | None = None) -> list[tuple[pd.Timestamp, Settings]]:
    """(when, settings) of the remembered configurations, newest first (ones this version can no
    longer read are left out)."""
    store = store or Store()
    rows = store.query("SELECT saved_at, settings FROM configurations WHERE cohort = ? AND source = ? "
                       "ORDER BY saved_at DESC", [cohort, source])
    out = []
    for saved_at, text in rows.itertuples(index=False):
        try:
            out.append((pd.Timestamp(saved_at), settings_from_data(json.loads(text), "stored configuration")))
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
