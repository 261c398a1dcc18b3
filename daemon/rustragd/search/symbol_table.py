"""In-memory view of a workspace's items, for answers in microseconds."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable

from rustragd.model import Item

#: Order of kinds when scores tie: definitions people look for first.
_KIND_RANK = {
    kind: rank
    for rank, kind in enumerate(
        (
            "struct",
            "enum",
            "trait",
            "union",
            "type_alias",
            "function",
            "method",
            "macro_rules",
            "const",
            "static",
            "mod",
            "impl",
            "variant",
            "field",
        )
    )
}


#: Group key of the items made by expanding macros (replaced with the graph).
DERIVED = "\0derived"


class SymbolTable:
    """Items of one workspace keyed by id, file, name and qualified name."""

    def __init__(self) -> None:
        self.items: dict[int, Item] = {}
        self._by_path: dict[str, list[int]] = {}
        self._by_qualname: dict[str, list[int]] = defaultdict(list)
        self._by_name: dict[str, list[int]] = defaultdict(list)
        self._kinds: Counter[str] = Counter()

    def __len__(self) -> int:
        return len(self.items)

    def replace_file(self, path: str, items: Iterable[Item]) -> None:
        """Swap the items of one file (or of another group, such as :data:`DERIVED`)."""
        self.remove_file(path)
        ids = []
        for item in items:
            replaced = self.items.get(item.id)
            if replaced is not None:  # an id seen twice: the counts follow ``items``
                self._kinds[replaced.kind] -= 1
            self.items[item.id] = item
            self._kinds[item.kind] += 1
            self._by_qualname[item.qualified_name].append(item.id)
            self._by_name[item.name].append(item.id)
            ids.append(item.id)
        self._by_path[path] = ids

    def patch_group(self, group: str, items: Iterable[Item], removed: Iterable[int]) -> None:
        """Add or replace ``items`` in a group (such as :data:`DERIVED`) and drop the
        ``removed`` ids from it: a small change to a big group, which :meth:`replace_file`
        would rebuild whole (thousands of macro-made items for each edit that moves one)."""
        ids = self._by_path.setdefault(group, [])
        gone = set(removed)
        if gone:
            for item_id in gone:
                self._forget(item_id)
            ids[:] = [i for i in ids if i not in gone]
        for item in items:
            was = self.items.get(item.id)
            self.items[item.id] = item
            self._kinds[item.kind] += 1
            if was is None:
                ids.append(item.id)
            else:
                self._kinds[was.kind] -= 1
                if was.qualified_name == item.qualified_name and was.name == item.name:
                    continue
                _discard(self._by_qualname, was.qualified_name, item.id)
                _discard(self._by_name, was.name, item.id)
            self._by_qualname[item.qualified_name].append(item.id)
            self._by_name[item.name].append(item.id)

    def ids_of(self, path: str) -> set[int]:
        """Ids of the items of one file (or group)."""
        return set(self._by_path.get(path, ()))

    def remove_file(self, path: str) -> None:
        """Forget every item of one file."""
        for item_id in self._by_path.pop(path, ()):
            self._forget(item_id)

    def _forget(self, item_id: int) -> None:
        """Drop one item from the items and every index but ``_by_path``."""
        item = self.items.pop(item_id, None)
        if item is None:
            return
        self._kinds[item.kind] -= 1
        _discard(self._by_qualname, item.qualified_name, item_id)
        _discard(self._by_name, item.name, item_id)

    def kind_counts(self) -> dict[str, int]:
        """Number of items per kind (kept as items come and go: ``status`` asks often)."""
        return {kind: n for kind, n in sorted(self._kinds.items()) if n}

    def symbols(self, path_prefix: str | None = None, kind: str | None = None) -> list[Item]:
        """Items in file order, optionally within a file or directory and of one kind."""
        found: Iterable[Item] = self.items.values()
        if path_prefix:
            directory = path_prefix.rstrip("/") + "/"
            found = (i for i in found if i.path == path_prefix or i.path.startswith(directory))
        if kind:
            found = (item for item in found if item.kind == kind)
        return sorted(found, key=lambda item: (item.path, item.start_line, item.end_line, item.id))

    def named(self, qualname: str) -> list[Item]:
        """Items whose qualified name is exactly ``qualname``."""
        return [self.items[i] for i in self._by_qualname.get(qualname, ())]

    def with_name(self, name: str) -> list[Item]:
        """Items whose own (last) name is ``name``."""
        return [self.items[i] for i in self._by_name.get(name, ())]

    def definitions(self, qualname: str) -> list[Item]:
        """Items whose qualified name is ``qualname``, else ends with ``::qualname``."""
        exact = self.named(qualname)
        if exact:
            return _ordered(exact)
        suffix = "::" + qualname.removeprefix("::")
        return _ordered(
            self.items[i]
            for name, ids in self._by_qualname.items()
            if name.endswith(suffix)
            for i in ids
        )

    def lookup(self, query: str, kinds: frozenset[str]) -> list[Item]:
        """Items of ``kinds`` named by ``query``: a qualified name, a ``::`` suffix, or a name."""
        found = [item for item in self.definitions(query) if item.kind in kinds]
        if not found:
            found = _ordered(
                self.items[i] for i in self._by_name.get(query, ()) if self.items[i].kind in kinds
            )
        return found

    def search(
        self,
        query: str,
        limit: int,
        kind: str | None = None,
        keep: Callable[[Item], bool] | None = None,
    ) -> list[tuple[Item, float]]:
        """Items matching ``query``: exact, then prefix, then substring, then fuzzy (those
        ``keep`` says yes to, when given)."""
        folded = query.lower()
        scored: list[tuple[float, Item]] = []
        for item in self.items.values():
            if kind and item.kind != kind:
                continue
            score = _name_score(query, folded, item)
            if score > 0.0 and (keep is None or keep(item)):
                scored.append((score, item))
        scored.sort(key=lambda pair: (-pair[0], *_tie_key(pair[1])))
        return [(item, round(score, 4)) for score, item in scored[:limit]]


def _name_score(query: str, folded: str, item: Item) -> float:
    name = item.name
    if name == query or item.qualified_name == query:
        return 1.0
    lowered = name.lower()
    if lowered == folded:
        return 0.9
    if name.startswith(query):
        return 0.8
    if lowered.startswith(folded):
        return 0.7
    if folded in lowered:
        return 0.6
    if "::" in folded and item.qualified_name.lower().endswith(folded):
        return 0.55
    if folded in item.qualified_name.lower():
        return 0.4
    spread = _subsequence_spread(folded, lowered)
    if spread:
        return 0.1 + 0.2 * len(folded) / spread
    return 0.0


def _subsequence_spread(needle: str, haystack: str) -> int:
    """Length of the stretch of ``haystack`` holding ``needle`` in order, 0 if none."""
    if len(needle) < 2:
        return 0
    start = haystack.find(needle[0])
    if start < 0:
        return 0
    position = start
    for char in needle[1:]:
        position = haystack.find(char, position + 1)
        if position < 0:
            return 0
    return position - start + 1


def _tie_key(item: Item) -> tuple[int, int, str, int]:
    return (_KIND_RANK.get(item.kind, 99), len(item.qualified_name), item.path, item.start_line)


def _ordered(items: Iterable[Item]) -> list[Item]:
    return sorted(items, key=lambda item: (item.path, item.start_line))


def _discard(index: dict[str, list[int]], key: str, item_id: int) -> None:
    ids = index.get(key)
    if ids is None:
        return
    if item_id in ids:
        ids.remove(item_id)
    if not ids:
        del index[key]
