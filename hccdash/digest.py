"""SHA-256 of files and folders: the one implementation (model artifacts, sample images, image keys).

The hash of a file is the hash of its bytes; of a folder (a DICOM series), the hash of its
files' contents in the order of their sorted relative paths (names do not enter, so
renaming or moving files keeps the hash). Files are read in 1 MiB blocks. Only regular
files are read (:mod:`hccdash.regular_files`): a FIFO or ``/dev/zero`` is refused
instead of being hashed forever.

Hashing a CT volume takes a while, so :func:`remembered_sha256s` keeps the hashes in
``cache_dir()/file_hashes.json`` by (absolute path, size, mtime_ns): an unchanged file is
never read twice, by the cohort import or the extraction.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from hccdash import paths
from hccdash.atomic import atomic_file
from hccdash.regular_files import folder_files, regular_file, regular_path

BLOCK = 1 << 20
HASH_FILE = "file_hashes.json"

Progress = Callable[[int, int, str], None]  # (done, total, message)


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 digest of the regular file at ``path``."""
    digest = hashlib.sha256()
    _update(digest, regular_file(path))
    return digest.hexdigest()


def sha256_path(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's content, or of a folder's files' contents (sorted by relative path)."""
    path = regular_path(path)
    digest = hashlib.sha256()
    for file in folder_files(path) if path.is_dir() else [path]:
        _update(digest, file)
    return digest.hexdigest()


def _update(digest, file: Path) -> None:
    with open(file, "rb") as handle:
        for block in iter(lambda: handle.read(BLOCK), b""):
            digest.update(block)


def stamp(path: str | os.PathLike) -> str:
    """What changes when a file or a folder's files change: size and mtime_ns of each."""
    path = regular_path(path)
    if path.is_dir():
        stamps = [(str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in folder_files(path)]
        return hashlib.sha256(json.dumps(stamps).encode()).hexdigest()
    info = path.stat()
    return f"{info.st_size}:{info.st_mtime_ns}"


def _hash_file() -> Path:
    return paths.cache_dir() / HASH_FILE


def _load() -> dict[str, list[str]]:
    try:
        return json.loads(_hash_file().read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _save(entries: dict[str, list[str]]) -> None:
    with atomic_file(_hash_file()) as handle:
        json.dump(entries, handle)


def remembered_sha256s(files: Iterable[str | os.PathLike], progress: Progress | None = None) -> list[str]:
    """:func:`sha256_path` of each of ``files``, reusing the remembered hashes of unchanged files."""
    files = list(files)
    entries = _load()
    changed = False
    hashes = []
    for i, file in enumerate(files):
        if progress:
            progress(i, len(files), f"hashing {Path(file).name}")
        path = regular_path(file)
        now = stamp(path)
        known = entries.get(str(path))
        if known is None or known[0] != now:
            known = [now, sha256_path(path)]
            entries[str(path)] = known
            changed = True
        hashes.append(known[1])
    if changed:
        _save(entries)
    if progress:
        progress(len(files), len(files), "files hashed")
    return hashes
