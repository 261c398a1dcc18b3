"""The last tree-sitter trees of recently changed files, for incremental re-parsing.

:meth:`TreeCache.reparse` describes the new source as one edit of the old
(common byte prefix and suffix), applies it to the old tree and lets
tree-sitter re-parse only around it. The cached tree is edited in place: a
tree handed out earlier for the same path must not be used after a reparse.
Each entry also keeps the file's extraction by segment
(:class:`rustragd.syntax.extract.Segments`), handed back with the edit so that the
extractor copies the segments the edit did not touch.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from rustragd.syntax.parser import Tree, parse

if TYPE_CHECKING:
    from rustragd.syntax.extract import Segments

__all__ = ["Edit", "Reparsed", "TreeCache", "single_edit"]

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
_NO_EDIT = Edit(0, 0, 0, (0, 0), (0, 0), (0, 0))


class Reparsed(NamedTuple):
    """A new tree, and the cached extraction of the source before with the edit from it."""

    tree: Tree
    previous: tuple[Segments, Edit] | None


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


class TreeCache:
    """A bounded LRU of ``path -> (source, tree, segments)``."""

    def __init__(self, capacity: int = 128) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[str, tuple[bytes, Tree, Segments | None]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, path: str) -> bool:
        return path in self._entries

    def put(self, path: str, source: bytes, tree: Tree) -> None:
        """Remember ``tree`` as the parse of ``source`` (its extraction comes with
        :meth:`keep_segments`), evicting the least recent entry."""
        self._entries[path] = (source, tree, None)
        self._entries.move_to_end(path)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def segments(self, path: str) -> Segments | None:
        """The extraction attached to the cached source of ``path``, if any."""
        entry = self._entries.get(path)
        return entry[2] if entry is not None else None

    def keep_segments(self, path: str, segments: Segments) -> None:
        """Attach the extraction of the cached source of ``path`` (after :meth:`reparse`)."""
        source, tree, _ = self._entries[path]
        self._entries[path] = (source, tree, segments)

    def forget(self, path: str) -> None:
        """Drop ``path`` (deleted or renamed files)."""
        self._entries.pop(path, None)

    def reparse(self, path: str, source: bytes) -> Reparsed:
        """The tree of ``source``: incremental against the cached tree of ``path`` when held."""
        entry = self._entries.get(path)
        previous = None
        if entry is None:
            tree = parse(source)
        else:
            old_source, old_tree, segments = entry
            edit = single_edit(old_source, source)
            if edit is None:
                tree = old_tree
            else:
                old_tree.edit(
                    start_byte=edit.start_byte,
                    old_end_byte=edit.old_end_byte,
                    new_end_byte=edit.new_end_byte,
                    start_point=edit.start_point,
                    old_end_point=edit.old_end_point,
                    new_end_point=edit.new_end_point,
                )
                tree = parse(source, old_tree)
            if segments is not None:
                previous = (segments, edit or _NO_EDIT)
        self.put(path, source, tree)
        return Reparsed(tree, previous)
