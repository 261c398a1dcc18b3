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
from typing import TYPE_CHECKING, NamedTuple

from rustragd.syntax.edit import NO_EDIT, Edit, single_edit
from rustragd.syntax.parser import Tree, parse

if TYPE_CHECKING:
    from rustragd.syntax.extract import Segments

__all__ = ["Reparsed", "TreeCache"]


class Reparsed(NamedTuple):
    """A new tree, and the cached extraction of the source before with the edit from it."""

    tree: Tree
    previous: tuple[Segments, Edit] | None


#: Source bytes whose trees the cache holds at most (the latest file always stays): a
#: tree takes about 40 times its source, so some 20 MB, some 25 files of 20 KB.
MAX_SOURCE_BYTES = 512 << 10


class TreeCache:
    """An LRU of ``path -> (source, tree, segments)``, bounded in files and source bytes."""

    def __init__(self, capacity: int = 128, max_bytes: int = MAX_SOURCE_BYTES) -> None:
        self.capacity = capacity
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, tuple[bytes, Tree, Segments | None]] = OrderedDict()
        self._bytes = 0
        """Source bytes of the entries."""

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, path: str) -> bool:
        return path in self._entries

    def put(self, path: str, source: bytes, tree: Tree) -> None:
        """Remember ``tree`` as the parse of ``source`` (its extraction comes with
        :meth:`keep_segments`), evicting the least recent entry."""
        self.forget(path)
        self._entries[path] = (source, tree, None)
        self._bytes += len(source)
        while len(self._entries) > 1 and (
            len(self._entries) > self.capacity or self._bytes > self.max_bytes
        ):
            self._bytes -= len(self._entries.popitem(last=False)[1][0])

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
        entry = self._entries.pop(path, None)
        if entry is not None:
            self._bytes -= len(entry[0])

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
                previous = (segments, edit or NO_EDIT)
        self.put(path, source, tree)
        return Reparsed(tree, previous)
