"""Edits in tree-sitter's terms, and the one edit that turns one source into another."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NO_EDIT", "Edit", "single_edit"]

_CHUNK = 4096


@dataclass(frozen=True, slots=True)
class Edit:
    """One edit in tree-sitter's terms: byte offsets and (row, byte column) points."""

    start_byte: int
    old_end_byte: int
    new_end_byte: int
    start_point: tuple[int, int]
    old_end_point: tuple[int, int]
    new_end_point: tuple[int, int]


#: The edit of a source into itself.
NO_EDIT = Edit(0, 0, 0, (0, 0), (0, 0), (0, 0))


def _common_prefix(a: bytes, b: bytes) -> int:
    limit = min(len(a), len(b))
    n = 0
    while n + _CHUNK <= limit and a[n : n + _CHUNK] == b[n : n + _CHUNK]:
        n += _CHUNK
    hi = min(n + _CHUNK, limit)
    while n < hi:  # a[:n] == b[:n]; binary search for the first difference below hi
        mid = (n + hi + 1) // 2
        if a[n:mid] == b[n:mid]:
            n = mid
        else:
            hi = mid - 1
    return n


def _common_suffix(a: bytes, b: bytes, limit: int) -> int:
    la, lb = len(a), len(b)
    n = 0
    while n + _CHUNK <= limit and a[la - n - _CHUNK : la - n] == b[lb - n - _CHUNK : lb - n]:
        n += _CHUNK
    hi = min(n + _CHUNK, limit)
    while n < hi:  # the last n bytes agree; binary search for how many more do
        mid = (n + hi + 1) // 2
        if a[la - mid : la - n] == b[lb - mid : lb - n]:
            n = mid
        else:
            hi = mid - 1
    return n


def _point(source: bytes, offset: int) -> tuple[int, int]:
    row = source.count(b"\n", 0, offset)
    return row, offset - (source.rfind(b"\n", 0, offset) + 1)


def single_edit(old: bytes, new: bytes) -> Edit | None:
    """The smallest single edit turning ``old`` into ``new``; None when they are equal."""
    if old == new:
        return None
    start = _common_prefix(old, new)
    tail = _common_suffix(old, new, min(len(old), len(new)) - start)
    old_end, new_end = len(old) - tail, len(new) - tail
    start_point = _point(old, start)
    return Edit(
        start,
        old_end,
        new_end,
        start_point,
        _point(old, old_end),
        _point(new, new_end),
    )
