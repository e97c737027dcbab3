"""Signatures of the registry's pickled artifacts, with a key kept outside ``HCCDASH_HOME``.

Loading a pickle runs code, and the SHA-256 the store records only shows that an artifact is
the one recorded by whoever can write to ``HCCDASH_HOME`` (the store lives there too). So a
fitted pipeline's artifact is also signed: HMAC-SHA256 over its file name and SHA-256, with a
32-byte key in the user's configuration folder, ``$XDG_CONFIG_HOME/hccdash/artifact.key``
(default ``~/.config/hccdash/artifact.key``), created with mode 0600 on first use. The
registry unpickles only an artifact whose signature checks (:func:`is_signed`): write access to
``HCCDASH_HOME`` alone no longer makes the app run code. JSON model files are parsed, never
unpickled, and need no signature.

A pipeline saved before artifacts were signed, or under another key (another machine or user),
is refused with what to do: sign it once with ``python -m hccdash sign-models`` when it is
yours, or import its JSON model file.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

KEY_BYTES = 32
PREFIX = "hmac-sha256:"  # the signature's form in a model's registry meta


def key_path() -> Path:
    """``$XDG_CONFIG_HOME/hccdash/artifact.key`` (``~/.config`` when the variable is unset)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "hccdash" / "artifact.key"


def _key() -> bytes:
    """The signing key, created on first use (0600, written whole before it appears)."""
    path = key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, (secrets.token_hex(KEY_BYTES) + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # fails if another process made the key meanwhile: that one is used
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PermissionError(f"The artifact signing key {path} can be read or written by other users "
                              f"(mode {stat.filemode(mode)}); make it private: chmod 600 {path}")
    text = path.read_text().strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise PermissionError(f"The artifact signing key {path} is not {KEY_BYTES} bytes in hex; delete it to make "
                              "a new one (models signed with it must then be signed again)")
    return key


def signature(artifact: str, sha256: str) -> str:
    """The signature of artifact file ``artifact`` whose content has SHA-256 ``sha256``."""
    message = f"hccdash artifact\n{artifact}\n{sha256}".encode()
    return PREFIX + hmac.new(_key(), message, hashlib.sha256).hexdigest()


def is_signed(artifact: str, sha256: str, signed: object) -> bool:
    """Whether ``signed`` (a model's recorded signature, or None) is this key's signature of it."""
    return isinstance(signed, str) and hmac.compare_digest(signed, signature(artifact, sha256))
