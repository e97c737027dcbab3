"""Cache keys: a case is known by the content of its files, never by their names.

``case_key = sha256(image_sha256, mask_sha256, label, settings_hash, versions)``, where
the file hashes are SHA-256 of the file bytes (of all files' bytes, in path order, for
a DICOM series folder) and ``versions`` names the pyradiomics and SimpleITK releases.
Renaming or moving a file keeps its key; changing a byte, the label, a setting or a
library version changes it.

Hashing a CT volume takes a while, so file hashes are remembered in
``cache_dir()/file_hashes.json`` by (absolute path, size, mtime_ns): an unchanged file
is never read twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from hccdash import paths

_CHUNK = 1 << 20


@cache
def versions() -> str:
    """The library versions that enter every case key."""
    import radiomics
    import SimpleITK as sitk

    return f"pyradiomics={radiomics.__version__};SimpleITK={sitk.Version_VersionString()}"


def case_key(image_sha256: str, mask_sha256: str, label: int, settings_hash: str, versions_: str | None = None) -> str:
    """The cache key of one case (see the module docstring)."""
    parts = [image_sha256, mask_sha256, str(int(label)), settings_hash, versions_ or versions()]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def content_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, or of a folder's files' bytes in the order of their relative paths.

    The same hash as the cohort importer's (``hccdash.cohort.hashing``), so cases built
    from a manifest and from a stored cohort share their keys.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    files = (
        sorted((p for p in path.rglob("*") if p.is_file()), key=lambda p: p.relative_to(path).as_posix())
        if path.is_dir()
        else [path]
    )
    digest = hashlib.sha256()
    for file in files:
        with file.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


def _stamp(path: Path) -> str:
    stat = path.stat()
    if path.is_dir():
        stamps = [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(path.rglob("*")) if p.is_file()]
        return hashlib.sha256(json.dumps(stamps).encode()).hexdigest()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def _hash_cache_path() -> Path:
    return paths.cache_dir() / "file_hashes.json"


def _load_hash_cache() -> dict[str, list[str]]:
    try:
        return json.loads(_hash_cache_path().read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _save_hash_cache(entries: dict[str, list[str]]) -> None:
    target = _hash_cache_path()
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".file_hashes.", suffix=".tmp")
    with os.fdopen(fd, "w") as handle:
        json.dump(entries, handle)
    os.replace(tmp, target)


def file_sha256s(files: Iterable[str | Path]) -> list[str]:
    """Content hashes of ``files``, reusing remembered hashes of unchanged files."""
    entries = _load_hash_cache()
    changed = False
    hashes = []
    for file in files:
        path = Path(file).expanduser().resolve()
        if not path.exists():
            raise FileNotFoundError(f"{file} does not exist")
        stamp = _stamp(path)
        known = entries.get(str(path))
        if known is None or known[0] != stamp:
            known = [stamp, content_sha256(path)]
            entries[str(path)] = known
            changed = True
        hashes.append(known[1])
    if changed:
        _save_hash_cache(entries)
    return hashes
