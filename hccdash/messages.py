"""Messages of bounded length: a value quoted in an error message, and the message itself.

A few hundred bytes of input must not make a message of hundreds of megabytes (a YAML
"billion laughs" file did, through ``repr`` of the expanded value)."""

from __future__ import annotations

import reprlib
from typing import Any

MAX_MESSAGE = 300  # characters of an error message shown to the user
MAX_VALUE = 100  # characters of a value quoted in a message

_repr = reprlib.Repr()
_repr.maxstring = 80
_repr.maxother = 80
_repr.maxlist = _repr.maxtuple = _repr.maxdict = _repr.maxset = 6
_repr.maxlevel = 3


def brief(value: Any) -> str:
    """A ``repr`` of ``value`` of at most :data:`MAX_VALUE` characters (long strings and big or
    deep containers are cut with "..."); it never walks more of ``value`` than it shows."""
    text = _repr.repr(value)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 3] + "..."


def shorten(message: str, limit: int = MAX_MESSAGE) -> str:
    """``message`` cut to ``limit`` characters, ending in "... (N characters)" when cut."""
    message = str(message)
    if len(message) <= limit:
        return message
    tail = f"... ({len(message)} characters)"
    return message[: limit - len(tail)] + tail
