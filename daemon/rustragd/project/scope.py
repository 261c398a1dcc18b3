"""Which items are test code: inside a test target, or under an attribute that makes
them exist only when testing (``#[cfg(test)]``, ``#[test]``); and which its crate's
build compiles (their ``#[cfg]`` evaluated).

Computed when asked, from what is in memory anyway (the items' attributes and parents,
each file's module path and target, the ``mod`` declarations): nothing is kept per item.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Protocol

from rustragd.model import Item
from rustragd.project.cfg import CfgSet, cfg_active

__all__ = ["ItemScope", "Placed", "requires_test"]

_CFG = re.compile(r"#\[\s*cfg\s*\((.*)\)\s*\]\Z", re.S)
#: ``#[test]`` and the test attributes of async runtimes (``#[tokio::test(...)]``).
_TEST_ATTR = re.compile(r"#\[\s*(?:[A-Za-z_]\w*\s*::\s*)*test\s*(?:\(.*\))?\s*\]\Z", re.S)
_TOKEN = re.compile(r'\s*(?:([A-Za-z_][\w#]*)|("(?:[^"\\]|\\.)*")|(\S))')


@lru_cache(maxsize=4096)
def requires_test(attrs: str) -> bool:
    """Whether an item's attribute lines make it exist only when testing: a ``#[test]``
    function, or a ``#[cfg]`` whose predicate needs ``test`` (``test``, ``all(test,
    ..)``; ``any(test, unix)`` does not)."""
    for line in attrs.split("\n"):
        if _TEST_ATTR.match(line):
            return True
        cfg = _CFG.match(line)
        if cfg is not None and _needs_test(_tokens(cfg.group(1)), 0)[0]:
            return True
    return False


def _tokens(text: str) -> list[str]:
    return [next(t for t in match.groups() if t) for match in _TOKEN.finditer(text)]


def _needs_test(tokens: list[str], at: int) -> tuple[bool, int]:
    """Whether the cfg predicate at ``tokens[at]`` holds only when ``test`` does, and the
    index after it."""
    if at >= len(tokens):
        return False, at
    word, at = tokens[at], at + 1
    if at < len(tokens) and tokens[at] == "=":  # key = "value"
        return False, at + 2
    if at >= len(tokens) or tokens[at] != "(":
        return word == "test", at
    parts: list[bool] = []
    at += 1
    while at < len(tokens) and tokens[at] != ")":
        needed, at = _needs_test(tokens, at)
        parts.append(needed)
        if at < len(tokens) and tokens[at] == ",":
            at += 1
        elif at < len(tokens) and tokens[at] != ")":
            return False, len(tokens)  # not a predicate this reads
    at += 1
    if word == "all":
        return any(parts), at
    if word == "any":
        return bool(parts) and all(parts), at
    return False, at  # not(..), or an unknown operator


class Placed(Protocol):
    """What :class:`ItemScope` needs of a file: its module path and target kind."""

    @property
    def module(self) -> str: ...

    @property
    def target(self) -> str: ...

    @property
    def gate(self) -> str: ...


class ItemScope:
    """Which items are test code, over one view of a workspace (memoised per file: make
    a new one for each answer).

    An item is test code when it or an enclosing item requires test
    (:func:`requires_test`), or its file does: a file of a ``test`` target, or one
    whose ``mod`` declarations (those naming its module in another file of the same
    kind of target) are all test code themselves (``#[cfg(test)] mod tests;``).
    """

    def __init__(
        self,
        items: Mapping[int, Item],
        files: Mapping[str, Placed],
        named: Callable[[str], Iterable[Item]],
        options: Callable[[str], CfgSet | None] | None = None,
    ) -> None:
        """``options``: the cfg options a crate (by crate key) is built with, None when
        unknown (then every item counts as compiled)."""
        self._items = items
        self._files = files
        self._named = named
        self._options = options
        self._file_tests: dict[str, bool] = {}
        self._files_out: dict[str, bool] = {}

    def is_test(self, item: Item) -> bool:
        """Whether ``item`` exists only when testing."""
        return self._gated(item, requires_test, self.file_is_test)

    def file_is_test(self, path: str) -> bool:
        """Whether every item of the file at ``path`` exists only when testing."""
        placed = self._files.get(path)
        if placed is not None and placed.target == "test":
            return True
        return self._file_gated(path, self._file_tests, self.is_test)

    def is_compiled(self, item: Item) -> bool:
        """Whether its crate's build compiles ``item`` (``cfg_active``): the ``#[cfg]`` of
        it, of what holds it and of its module's ``mod`` declarations hold for the host
        and the crate's features (``test`` off)."""
        active = self._options(item.qualified_name.partition("::")[0]) if self._options else None
        if active is None:
            return True
        return not self._gated(item, lambda attrs: not cfg_active(attrs, active), self._file_out)

    def _file_out(self, path: str) -> bool:
        placed = self._files.get(path)
        if placed is not None and placed.gate and self._options is not None:
            active = self._options(placed.module.partition("::")[0])
            if active is not None:  # the `mod` declarations that reach it, whichever first
                return not cfg_active(placed.gate, active)
        return self._file_gated(path, self._files_out, lambda item: not self.is_compiled(item))

    def _gated(
        self, item: Item, gate: Callable[[str], bool], file_gated: Callable[[str], bool]
    ) -> bool:
        """Whether ``gate`` holds of the attributes of ``item`` or of an item holding it,
        or ``file_gated`` of its file."""
        items = self._items
        while True:
            if item.attrs and gate(item.attrs):
                return True
            parent = items.get(item.parent) if item.parent else None
            if parent is None:
                return file_gated(item.path)
            item = parent

    def _file_gated(self, path: str, known: dict[str, bool], gated: Callable[[Item], bool]) -> bool:
        """Whether every ``mod`` declaration of the file's module (in a file of the same
        kind of target) is ``gated`` (memoised in ``known``)."""
        found = known.get(path)
        if found is not None:
            return found
        known[path] = False  # a declaration cycle is not gated
        placed = self._files.get(path)
        if placed is None:
            return False
        declarations = [
            item
            for item in self._named(placed.module)
            if item.kind == "mod"
            and item.path != path
            and (other := self._files.get(item.path)) is not None
            and other.target == placed.target
        ]
        found = known[path] = bool(declarations) and all(gated(item) for item in declarations)
        return found
