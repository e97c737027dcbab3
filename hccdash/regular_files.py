"""Only regular files are read: links are resolved, then anything but a file or a folder is refused.

A FIFO or a device behind a path (``/dev/zero``, a named pipe, a link to one) would block
a reader or a hash forever (TRAPS.md), and a symlink loop would end in a raw traceback.
:func:`regular_file` and :func:`regular_path` turn each into a ``ValueError`` naming the
path and what it is, before anything opens it.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_KINDS = {
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def _resolved(path: str | os.PathLike) -> tuple[Path, os.stat_result]:
    """The path with links resolved and its ``stat``; FileNotFoundError / ValueError (link loop)."""
    try:
        resolved = Path(path).expanduser().resolve(strict=True)
        return resolved, resolved.stat()
    except RuntimeError:  # Python < 3.13 signals a symlink loop this way
        raise ValueError(f"{path} is a symbolic link loop: it never reaches a file") from None
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} does not exist") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ValueError(f"{path} is a symbolic link loop: it never reaches a file") from None
        raise


def _refuse(path: str | os.PathLike, resolved: Path, mode: int) -> ValueError:
    kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
    via = "" if str(resolved) == str(Path(path).expanduser().absolute()) else f" (it leads to {resolved})"
    return ValueError(f"{path} is {kind}{via}: only regular image files (or DICOM folders) are read")


def regular_file(path: str | os.PathLike) -> Path:
    """``path`` with links resolved, if it is a regular file; ValueError for a folder, FIFO, device,
    socket or link loop, FileNotFoundError if it does not exist."""
    resolved, info = _resolved(path)
    if stat.S_ISDIR(info.st_mode):
        raise ValueError(f"{path} is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise _refuse(path, resolved, info.st_mode)
    return resolved


def regular_path(path: str | os.PathLike) -> Path:
    """``path`` with links resolved, if it is a regular file or a folder; else as :func:`regular_file`."""
    resolved, info = _resolved(path)
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
        raise _refuse(path, resolved, info.st_mode)
    return resolved


def folder_files(folder: Path) -> list[Path]:
    """The regular files under ``folder`` (links resolved), sorted by relative path.

    Anything else inside (a FIFO, a device, a link loop) is refused with ValueError naming it:
    a DICOM reader scanning the folder would open it.
    """
    found = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in files:
            entry = Path(root) / name
            try:
                regular_file(entry)
            except FileNotFoundError:
                raise ValueError(f"{entry} in the folder {folder} is a broken link: it leads to no file") from None
            found.append(entry)
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())
