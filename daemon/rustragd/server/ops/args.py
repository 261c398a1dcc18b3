"""Typed access to request arguments, with errors a user can read."""

from __future__ import annotations

import math
import os
from typing import Any

from rustrag_protocol import ErrorCode, ProtocolError

from rustragd.model import ITEM_KINDS, KIND_ALIASES

#: Seconds ``wait`` and ``sync: true`` give pending changes by default.
SYNC_TIMEOUT_S = 60.0
#: The most bytes of a path, and of one of its names, the OS takes (Linux: 4095, 255).
PATH_MAX = os.pathconf("/", "PC_PATH_MAX") - 1
NAME_MAX = os.pathconf("/", "PC_NAME_MAX")
#: The most characters of a request's value an error message repeats.
SHOWN = 120
#: The longest item name or path a request may give (see :func:`item_name`).
NAME_CHARS = 1024


def _bad(message: str) -> ProtocolError:
    return ProtocolError(message, ErrorCode.BAD_REQUEST)


def shown(value: str) -> str:
    """A request's value as an error message repeats it: quoted, cut at :data:`SHOWN`."""
    if len(value) <= SHOWN:
        return repr(value)
    return f"{value[:SHOWN]!r}... ({len(value)} characters)"


def checked_path(value: str, name: str) -> str:
    """``value``, a path from argument ``name``, if the OS can take it: no NUL byte, at
    most :data:`PATH_MAX` bytes and :data:`NAME_MAX` per name (else ``bad_request``)."""
    if "\0" in value:
        raise _bad(f"argument {name!r} holds a NUL byte: {shown(value)}")
    encoded = os.fsencode(value)
    if len(encoded) > PATH_MAX:
        raise _bad(f"argument {name!r} is a path of {len(encoded)} bytes; the OS takes {PATH_MAX}")
    longest = max(len(part) for part in encoded.split(b"/"))
    if longest > NAME_MAX:
        raise _bad(
            f"argument {name!r} has a name of {longest} bytes in its path; the OS takes {NAME_MAX}"
        )
    return value


def absolute(value: str, name: str) -> str:
    """``value``, a path from argument ``name`` (``~`` expanded), if it is absolute and
    the OS can take it (see :func:`checked_path`)."""
    expanded = os.path.expanduser(checked_path(value, name))
    if not os.path.isabs(expanded):
        raise _bad(f"argument {name!r} must be an absolute path, got {shown(value)}")
    return checked_path(expanded, name)


def string(args: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    """A string argument; empty strings count as missing."""
    value = args.get(name)
    if value is None or value == "":
        if required:
            raise _bad(f"missing argument {name!r}")
        return None
    if not isinstance(value, str):
        raise _bad(f"argument {name!r} must be a string, got {type(value).__name__}")
    return value


def item_name(args: dict[str, Any], name: str) -> str:
    """A required name or path of an item (``Config``, ``io::Read``), at most
    :data:`NAME_CHARS` characters: a longer one names nothing, and matching it against
    every symbol would hold the daemon for seconds."""
    value = required_string(args, name)
    if len(value) > NAME_CHARS:
        raise _bad(f"argument {name!r} is {len(value)} characters; names end at {NAME_CHARS}")
    return value


def required_string(args: dict[str, Any], name: str) -> str:
    """A string argument that must be present."""
    value = string(args, name, required=True)
    assert value is not None
    return value


def path(args: dict[str, Any], name: str) -> str | None:
    """A path argument, absolute or relative to the workspace (see :func:`checked_path`)."""
    value = string(args, name)
    return None if value is None else checked_path(value, name)


def absolute_path(args: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    """An absolute path argument (see :func:`absolute`)."""
    value = string(args, name, required=required)
    return None if value is None else absolute(value, name)


def integer(args: dict[str, Any], name: str, default: int | None, minimum: int = 0) -> int | None:
    """A non-negative integer argument."""
    value = args.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(f"argument {name!r} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise _bad(f"argument {name!r} must be at least {minimum}")
    return value


def number(args: dict[str, Any], name: str, default: float) -> float:
    """A finite, non-negative number argument."""
    value = args.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(f"argument {name!r} must be a non-negative number")
    if not 0 <= value < math.inf:  # NaN too
        raise _bad(f"argument {name!r} must be a finite, non-negative number, got {value}")
    return float(value)


def boolean(args: dict[str, Any], name: str, default: bool = False) -> bool:
    """A boolean argument."""
    value = args.get(name, default)
    if not isinstance(value, bool):
        raise _bad(f"argument {name!r} must be true or false, got {type(value).__name__}")
    return value


def kind(args: dict[str, Any]) -> str | None:
    """The ``kind`` filter, aliases resolved."""
    value = string(args, "kind")
    if value is None:
        return None
    resolved = KIND_ALIASES.get(value, value)
    if resolved not in ITEM_KINDS:
        raise _bad(f"unknown kind {shown(value)}; kinds: {', '.join(ITEM_KINDS)}")
    return resolved


def exclude_tests(args: dict[str, Any]) -> bool:
    """The ``exclude_tests`` flag of listing ops and ``ask`` (missing or null: false)."""
    return args.get("exclude_tests") is not None and boolean(args, "exclude_tests")
