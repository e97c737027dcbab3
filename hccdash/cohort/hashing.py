"""Content hashes of image and mask files: what the extraction cache keys on.

The SHA-256 of a file is the hash of its bytes; of a folder (a DICOM series), the hash
of its files' contents in the order of their sorted relative paths (names do not enter,
so renaming or moving files keeps the hash). Files are read in 1 MiB chunks, and results
are remembered per process for each (path, size, modification time), so hashing an
unchanged cohort again costs only a ``stat`` per file.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

CHUNK = 1 << 20

_cache: dict[tuple, str] = {}
_lock = threading.Lock()


def _files(path: Path) -> list[Path]:
    return sorted((p for p in path.rglob("*") if p.is_file()), key=lambda p: p.relative_to(path).as_posix())


def _stat_key(path: Path) -> tuple:
    if path.is_dir():
        return ("dir", str(path), tuple((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in _files(path)))
    stat = path.stat()
    return ("file", str(path), stat.st_size, stat.st_mtime_ns)


def sha256_path(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's content, or of a folder's files' contents (sorted by path)."""
    path = Path(path).resolve()
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    key = _stat_key(path)
    with _lock:
        if key in _cache:
            return _cache[key]
    digest = hashlib.sha256()
    for file in _files(path) if path.is_dir() else [path]:
        with open(file, "rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
    value = digest.hexdigest()
    with _lock:
        _cache[key] = value
    return value
