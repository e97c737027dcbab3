"""What a killed run or a full disk left behind, removed at the next start.

hccdash writes files whole or not at all (:mod:`hccdash.atomic`): a kill between writing
and renaming leaves a temporary ``.<name>.<random>.tmp`` in ``cache/`` or ``models/``
(``<artifact>.part`` from earlier versions). A model artifact is renamed into place before
its registry row is written, so a kill in between leaves an artifact no row names; a kill
inside :func:`hccdash.registry.registry.delete` leaves ``<artifact>.deleting``; a killed
extraction leaves its folder of in-flight markers (:mod:`hccdash.extraction.pool`) in the
system's temporary folder.

:func:`clean` runs at every start (the app's start-up and every command). It looks only at
files not modified for ``LEFTOVER_SECONDS``: a younger one may belong to another hccdash
process writing it right now (a registration waits up to the store's lock timeout).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from hccdash import paths
from hccdash.paths import RUNNING_PREFIX
from hccdash.atomic import TEMP_SUFFIX
from hccdash.registry.artifacts import modified, stray_artifacts
from hccdash.store import LOCK_TIMEOUT, Store, StoreBusyError, StoreOpenError

LEFTOVER_SECONDS = 5 * LOCK_TIMEOUT
TEMP_PATTERNS = (f".*{TEMP_SUFFIX}", "*.part")


def clean(store: Store | None = None, older_than: float = LEFTOVER_SECONDS) -> list[Path]:
    """Remove leftover temporary files and unregistered model artifacts; returns what was removed.

    Artifacts are left alone when the store cannot be read (damaged or busy): whether they
    are registered cannot be told then.
    """
    now = time.time()
    removed = [
        path
        for folder in (paths.cache_dir(), paths.models_dir())
        for pattern in TEMP_PATTERNS
        for path in folder.glob(pattern)
        if now - modified(path) > older_than
    ]
    try:
        orphans, half_deleted = stray_artifacts(older_than, store)
        removed += orphans + half_deleted
    except (StoreOpenError, StoreBusyError):
        pass
    for path in removed:
        path.unlink(missing_ok=True)
    for folder in Path(tempfile.gettempdir()).glob(f"{RUNNING_PREFIX}*"):
        if not _alive(int(folder.name.removeprefix(RUNNING_PREFIX).split("-")[0] or 0)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return pid > 0
