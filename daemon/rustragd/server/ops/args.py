"""Typed access to request arguments, with errors a user can read."""

from __future__ import annotations

from typing import Any

from rustrag_protocol import ErrorCode, ProtocolError

from rustragd.model import ITEM_KINDS, KIND_ALIASES

#: Seconds ``wait`` and ``sync: true`` give pending changes by default.
SYNC_TIMEOUT_S = 60.0


def _bad(message: str) -> ProtocolError:
    return ProtocolError(message, ErrorCode.BAD_REQUEST)


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


def required_string(args: dict[str, Any], name: str) -> str:
    """A string argument that must be present."""
    value = string(args, name, required=True)
    assert value is not None
    return value


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
    """A non-negative number argument."""
    value = args.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise _bad(f"argument {name!r} must be a non-negative number")
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
        raise _bad(f"unknown kind {value!r}; kinds: {', '.join(ITEM_KINDS)}")
    return resolved


def exclude_tests(args: dict[str, Any]) -> bool:
    """The ``exclude_tests`` flag of listing ops and ``ask`` (missing or null: false)."""
    return args.get("exclude_tests") is not None and boolean(args, "exclude_tests")
