"""Files written whole or not at all: a temporary file beside the target, renamed over it.

An error while writing (a full disk) removes the temporary file at once; a kill leaves it,
named ``.<target name>.<random>.tmp``, and :mod:`hccdash.leftovers` removes it at the next
start.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

TEMP_SUFFIX = ".tmp"


@contextlib.contextmanager
def atomic_file(target: str | os.PathLike, mode: str = "w") -> Iterator[IO]:
    """An open temporary file beside ``target`` that replaces ``target`` when the block ends without error."""
    target = Path(target)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(fd, mode) as handle:
            yield handle
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
