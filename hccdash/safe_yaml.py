"""YAML for the user's parameter and settings files: safe types only, no aliases, bounded size.

``yaml.safe_load`` still expands aliases: a few hundred bytes of nested ``*a`` references
("billion laughs") become hundreds of millions of list items once a caller walks or prints
them (TRAPS.md: a 485-byte settings file reached 1.6 GB). Parameter and settings files never
need aliases, so :func:`load_yaml` refuses them (and anchors' merge keys with them) at the
first ``*name``, before anything is built. Every message is at most
:data:`hccdash.messages.MAX_MESSAGE` characters.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from hccdash.messages import shorten

MAX_YAML_BYTES = 1_000_000  # a pyradiomics parameter file or a settings file is a few kB


class _AliasFound(yaml.YAMLError):
    def __init__(self, mark: yaml.Mark) -> None:
        super().__init__("alias")
        self.mark = mark


class _NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader that stops at the first alias (``*name``)."""

    def compose_node(self, parent, index):  # noqa: ANN001 - PyYAML's signature
        if self.check_event(yaml.AliasEvent):
            raise _AliasFound(self.peek_event().start_mark)
        return super().compose_node(parent, index)


def _where(mark: yaml.Mark | None) -> str:
    return f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""


def load_yaml(source: str | bytes, name: str) -> Any:
    """The data of YAML text (``bytes`` are read as UTF-8); ``name`` names it in messages.

    ValueError, in one short sentence, when the text is larger than :data:`MAX_YAML_BYTES`,
    is not UTF-8, is not YAML, nests too deeply or uses an alias."""
    _check_size(len(source) if isinstance(source, bytes) else len(source.encode("utf-8", "surrogatepass")), name)
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValueError(f"{name} is not a YAML text file (not UTF-8 at byte {exc.start})") from None
    try:
        return yaml.load(source, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except _AliasFound as exc:
        raise ValueError(f"{name}{_where(exc.mark)}: YAML aliases (*name) are not allowed here; "
                         "write the value out in full") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ValueError(shorten(f"{name} is not valid YAML{_where(mark)}: {problem}")) from None
    except RecursionError:
        raise ValueError(f"{name} nests its YAML too deeply") from None


def read_yaml_file(path: Path, name: str) -> Any:
    """:func:`load_yaml` of the file at ``path``, its size checked before it is read."""
    _check_size(path.stat().st_size, name)
    return load_yaml(path.read_bytes(), name)


def _check_size(size: int, name: str) -> None:
    if size > MAX_YAML_BYTES:
        raise ValueError(f"{name} is {size:,} bytes; a parameter or settings file is at most {MAX_YAML_BYTES:,} bytes")
