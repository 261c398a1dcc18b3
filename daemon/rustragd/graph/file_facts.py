"""Each file's facts between edits: kept packed, unpacked when read.

Unpacked facts (a list per row) take about five times the bytes of the msgpack blob the
extractor made, and between two edits the incremental resolver reads a few files' facts:
those an edit changed and those that mention a changed name. So the blobs are what is
kept; the files read last stay unpacked too, up to :data:`RECENT`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from rustragd.syntax.facts import ItemColumn, unpack_facts

__all__ = ["RECENT", "FileFacts"]

Facts = dict[str, Any]

#: Files kept unpacked once read (an edit's files and those it re-resolves).
RECENT = 64


class FileFacts:
    """Facts by path, in the order the paths were first added."""

    def __init__(self, recent: int | None = None) -> None:
        """``recent``: how many files stay unpacked once read (default :data:`RECENT`)."""
        self._blobs: dict[str, bytes] = {}
        #: Per path: the module of the file and the ``mod`` items it declares.
        self._modules: dict[str, tuple[str, list[tuple[str, int]]]] = {}
        self._recent: OrderedDict[str, Facts] = OrderedDict()
        self._capacity = RECENT if recent is None else recent

    def __contains__(self, path: object) -> bool:
        return path in self._blobs

    def __iter__(self) -> Iterator[str]:
        return iter(self._blobs)

    def __len__(self) -> int:
        return len(self._blobs)

    def __getitem__(self, path: str) -> Facts:
        facts = self._recent.get(path)
        if facts is not None:
            self._recent.move_to_end(path)
            return facts
        facts = unpack_facts(self._blobs[path])
        self._keep(path, facts)
        return facts

    def items(self) -> Iterator[tuple[str, Facts]]:
        """Every file's facts, in order (those not read lately unpacked for the moment)."""
        for path, blob in self._blobs.items():
            facts = self._recent.get(path)
            yield path, facts if facts is not None else unpack_facts(blob)

    def blob(self, path: str) -> bytes | None:
        """The packed facts of ``path`` (None: not held)."""
        return self._blobs.get(path)

    def module(self, path: str) -> str:
        """The module path of the file at ``path``."""
        return self._modules[path][0]

    def declared_modules(self) -> Iterator[tuple[str, int]]:
        """``(qualified name, item id)`` of every ``mod`` item the files declare, in order."""
        for _module, declared in self._modules.values():
            yield from declared

    def put(self, path: str, blob: bytes, facts: Facts, keep: bool = True) -> None:
        """Hold ``blob`` (whose unpacked facts are ``facts``) for ``path``; ``keep``: as
        a file read lately."""
        self._blobs[path] = blob
        kind, qualified = ItemColumn.KIND, ItemColumn.QUALIFIED_NAME
        declared = [
            (row[qualified], row[ItemColumn.ID]) for row in facts["items"] if row[kind] == "mod"
        ]
        self._modules[path] = (facts["mod"], declared)
        self._recent.pop(path, None)
        if keep:
            self._keep(path, facts)

    def remove(self, path: str) -> None:
        """Forget ``path``."""
        del self._blobs[path], self._modules[path]
        self._recent.pop(path, None)

    def _keep(self, path: str, facts: Facts) -> None:
        self._recent[path] = facts
        if len(self._recent) > self._capacity:
            self._recent.popitem(last=False)
