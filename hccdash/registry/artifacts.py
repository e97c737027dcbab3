"""The registry's files in ``HCCDASH_HOME/models``: their names, and what a kill leaves among them.

Light on purpose (no model code): :mod:`hccdash.leftovers` calls :func:`stray_artifacts` at
every start.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from hccdash import paths
from hccdash.store import Store

ARTIFACT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}-\d{8}T\d{12}\.(joblib|json)$")
DELETING = ".deleting"  # suffix of an artifact whose row is being deleted


def stray_artifacts(older_than: float, store: Store | None = None) -> tuple[list[Path], list[Path]]:
    """What a kill left in the models folder: ``(orphans, half_deleted)``.

    Only files not modified for ``older_than`` seconds are looked at (a younger one may be
    registering or deleting right now). Orphans: artifacts no registry row names (written,
    then killed before their row was) and newer than this store (an older one belongs to a
    store that was moved aside: kept). Half deleted: ``<artifact>.deleting`` files (a
    :func:`~hccdash.registry.registry.delete` killed after moving the file): those whose row
    is still there are put back, the others are returned.
    """
    folder = paths.models_dir()
    now = time.time()
    old = [p for p in folder.iterdir() if now - modified(p) > older_than]
    deleting = [p for p in old if p.name.endswith(DELETING)]
    candidates = [p for p in old if ARTIFACT_RE.match(p.name)]
    if not candidates and not deleting:
        return [], []
    store = store or Store()
    registered = set(store.query("SELECT artifact FROM models")["artifact"])
    born = store.query("SELECT min(applied_at) AS t FROM schema_version")["t"].iloc[0].to_pydatetime().timestamp()
    half_deleted = []
    for path in deleting:
        original = path.with_name(path.name.removesuffix(DELETING))
        if original.name in registered and not original.exists():
            os.replace(path, original)
        else:
            half_deleted.append(path)
    orphans = [p for p in candidates if p.name not in registered and modified(p) > born]
    return orphans, half_deleted


def modified(path: Path) -> float:
    """``path``'s modification time; now for a file that is gone meanwhile (so it is never taken as old)."""
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return time.time()
