"""Cache keys: a case is known by the content of its files, never by their names.

``case_key = sha256(image_sha256, mask_sha256, label, settings_hash, versions)``, where
the file hashes are SHA-256 of the file bytes (of all files' bytes, in path order, for
a DICOM series folder) and ``versions`` names the pyradiomics and SimpleITK releases.
Renaming or moving a file keeps its key; changing a byte, the label, a setting or a
library version changes it.

The file hashes are :func:`hccdash.digest.remembered_sha256s` (the cohort import's too, so
cases built from a manifest and from a stored cohort share their keys): an unchanged file
is never read twice.
"""

from __future__ import annotations

import hashlib
from functools import cache


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
