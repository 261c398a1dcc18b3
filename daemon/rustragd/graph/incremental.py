"""A workspace's resolution kept between edits, so that a body edit re-resolves one file.

:class:`IncrementalResolver` holds the scopes (:class:`rustragd.graph.scopes.Resolver`),
the edges grouped by the file they are written in, and each file's definition
:func:`signature`: its facts less call sites, type uses and lines. An edit that
keeps a file's signature keeps every scope of the workspace, so only that file's
edges are made again (its references, its impl headers, and the ``has_method``
and ``contains`` edges of its items, whose lines may have moved). Any other edit
(an item added, removed or renamed, a ``use``, impl header, generic parameter or
``macro_rules!`` changed, a file added or removed) re-resolves the whole
workspace, as :func:`rustragd.graph.resolve.resolve_workspace` does.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from blake3 import blake3

from rustragd.delta import Delta, diff_items
from rustragd.graph.fingerprints import TypeTable
from rustragd.graph.resolve import SECTIONS, EdgeBuilder
from rustragd.graph.scopes import Resolver
from rustragd.macros.expansion import (
    Expansions,
    expand_file,
    item_makers,
    local_rules,
    unpack_expansions,
)
from rustragd.macros.macro_rules import expand
from rustragd.model import Edge, Item, Resolution, TypeRecord
from rustragd.syntax.facts import (
    ITEM,
    REPARSED,
    STATEMENT,
    ItemColumn,
    MacroColumn,
    fact_lines,
    remap_lines,
    unpack_facts,
)

__all__ = ["IncrementalResolver", "Update", "facts_digest", "signature"]

Facts = dict[str, Any]


@dataclass(slots=True)
class Update:
    """What one :meth:`IncrementalResolver.update` changed.

    Every edge whose ``path`` is in ``paths`` is replaced by ``edges``; ``types``
    are records to add (keyed by fingerprint); ``items`` is the new complete list
    of macro-made items when it changed, else None (``made`` says how); ``full``
    tells that the whole workspace was re-resolved (``paths`` then holds every
    file, removed ones too).
    """

    paths: set[str]
    edges: list[Edge]
    types: list[TypeRecord]
    items: list[Item] | None
    full: bool
    made: Delta | None = None
    """How ``items`` differ from the macro-made items before (None when they do not)."""


class IncrementalResolver:
    """Keeps a workspace's resolver state between edits."""

    def __init__(self, files: list[tuple[str, bytes]], expansions: bytes = b"") -> None:
        """``expansions``: what a resolution of exactly these ``files`` expanded
        (:attr:`Resolution.expansions`), taken instead of expanding them again."""
        self._blobs: dict[str, bytes] = dict(files)
        self._facts: dict[str, Facts] = {path: unpack_facts(blob) for path, blob in files}
        self._resolution: Resolution | None = None
        self._full(unpack_expansions(expansions) if expansions else None)

    @property
    def resolution(self) -> Resolution:
        """The current result, as ``resolve_workspace`` gives it (types may hold stale ones)."""
        if self._resolution is None:
            self._resolution = Resolution(
                edges=self._all_edges(),
                types=list(self._types.values()),
                items=self._items(),
            )
        return self._resolution

    def update(self, changed: list[tuple[str, bytes]], removed: list[str]) -> Update:
        """Apply new facts of ``changed`` files and drop ``removed`` ones.

        The file order of a later full re-resolution is the order first given, new
        files appended: pass ``resolve_workspace`` the files in that order to compare.
        """
        made_before = dict(self._made)
        update = self._update(changed, removed)
        if update.items is not None:  # diff the files whose made items were replaced
            paths = [
                p
                for p in self._made.keys() | made_before
                if self._made.get(p) is not made_before.get(p)
            ]
            update.made = diff_items(
                [item for path in paths for item in made_before.get(path, ())],
                [item for path in paths for item in self._made.get(path, ())],
            )
        return update

    def _update(self, changed: list[tuple[str, bytes]], removed: list[str]) -> Update:
        fresh = {path: blob for path, blob in changed if self._blobs.get(path) != blob}
        gone = [path for path in removed if path in self._facts]
        unpacked = {path: unpack_facts(blob) for path, blob in fresh.items()}
        sigs = {path: signature(facts, self._makers) for path, facts in unpacked.items()}
        edited_rules = set[str]().union(
            *(_edited_rules(sig, self._sigs.get(path)) for path, sig in sigs.items())
        )
        full = bool(gone) or any(
            not _same_but_rule_bodies(sig, self._sigs.get(path)) for path, sig in sigs.items()
        )
        before = set(self._facts)
        old = {path: self._facts[path] for path in unpacked if path in self._facts}
        for path in gone:
            del self._blobs[path], self._facts[path]
        self._blobs.update(fresh)
        self._facts.update(unpacked)
        self._resolution = None
        if not full and edited_rules:
            # A `macro_rules!` body changed: its invocations are expanded again, and
            # the workspace is re-resolved only if that changes the items they make.
            loaded = list(self._facts.items())
            self._rules = local_rules(loaded)
            full = item_makers(loaded) != self._makers
            for path, facts in self._facts.items():
                if path not in unpacked and any(
                    row[MacroColumn.SEGMENTS][-1] in edited_rules for row in facts["macros"]
                ):
                    unpacked[path] = old[path] = facts
        if not full:
            fast = self._refresh(unpacked, old, expand_all=bool(edited_rules))
            if fast is not None:
                self._sigs.update(sigs)
                return fast
        items = self._items()
        self._full()
        return Update(
            paths=before | set(self._facts),
            edges=self._all_edges(),
            types=list(self._types.values()),
            items=None if self._items() == items else self._items(),
            full=True,
        )

    def _full(self, expanded: Expansions | None = None) -> None:
        """Resolve the whole workspace and index the result by file and by fact row
        (``expanded``: every file's expansions, already made)."""
        loaded = list(self._facts.items())
        self._rules = local_rules(loaded)
        self._makers: set[str] = item_makers(loaded)
        self._made: dict[str, list[Item]] = {}
        self._extra: dict[str, list[Facts]] = {}
        for path, facts in loaded:
            done = expanded.get(path) if expanded is not None else None
            if done is None:
                done = expand_file(path, facts, self._rules, expand)
            self._made[path], self._extra[path] = done
        extra = [
            (path, fragment) for path, fragments in self._extra.items() for fragment in fragments
        ]
        graph = EdgeBuilder(Resolver(loaded + extra))
        marks: list[list[int]] = []
        graph.build(marks)
        self._graph = graph
        edges = graph.edges
        self._own: dict[str, list[Edge]] = {path: [] for path in self._facts}
        for edge in edges[: marks[0][0] if marks else len(edges)]:
            self._own[edge.path].append(edge)
        self._rows: dict[str, list[list[list[Edge]]]] = {path: [] for path in self._facts}
        for (path, _facts), found in zip(graph.r.files, marks, strict=True):
            self._rows[path].append([edges[a:b] for a, b in itertools.pairwise(found)])
        self._types: dict[str, TypeRecord] = {r.fingerprint: r for r in graph.types.records()}
        self._sigs: dict[str, list[Any]] = {
            path: signature(facts, self._makers) for path, facts in loaded
        }
        resolver = graph.r
        self._defs: dict[str, list[int]] = {path: [] for path in self._facts}
        for ident, found_def in resolver.defs.items():
            self._defs[found_def.path].append(ident)
        self._methods: dict[str, list[tuple[int, int, int]]] = {path: [] for path in self._facts}
        for owner, table in resolver.assoc.items():
            for methods in table.values():
                for method, via in methods:
                    self._methods[resolver.defs[method].path].append((owner, method, via))
        self._resolution = None

    def _refresh(
        self, files: dict[str, Facts], old: dict[str, Facts], expand_all: bool = False
    ) -> Update | None:
        """Re-make the edges of files whose signature held (None: a macro made other items).

        Fact rows equal but for their line, before and after the edited stretch, keep
        their edges (moved to the new line); the rows between are resolved again.
        ``expand_all`` expands every file's invocations again (a macro body changed).
        """
        graph, defs = self._graph, self._graph.r.defs
        out: list[Edge] = []
        types = TypeTable()
        items_changed = False
        for path, facts in files.items():
            made, fragments = self._made.get(path, []), self._extra.get(path, [])
            if expand_all or _macro_lines(facts) != _macro_lines(old[path]):
                moved = None if expand_all else _moved_expansions(old[path], facts)
                if moved is not None:  # the invocations only moved: so do their expansions
                    made, fragments = _move_lines(made, fragments, moved)
                else:
                    made, fragments = expand_file(path, facts, self._rules, expand)
                    if list(map(_key, made)) != list(map(_key, self._made.get(path, []))):
                        return None
                    if len(fragments) != len(self._extra.get(path, [])):
                        return None
            items_changed |= made != self._made.get(path, [])
            parts = [facts, *fragments]
            before = [old[path], *self._extra.get(path, [])]
            self._made[path], self._extra[path] = made, fragments
            for part in parts:
                for row in part["items"]:
                    found = defs.get(row[0])
                    if found is not None:
                        found.line = row[5]
            graph.edges, graph.types = [], types
            for part in parts:
                graph.impl_edges(path, part)
            for owner, method, via in self._methods[path]:
                graph.has_method(owner, method, via)
            for ident in self._defs[path]:
                graph.contains(ident)
            self._own[path] = graph.edges
            out.extend(graph.edges)
            rows = self._rows[path] = [
                self._align(path, new, was, edges)
                for new, was, edges in zip(parts, before, self._rows[path], strict=True)
            ]
            out.extend(edge for part in rows for found in part for edge in found)
        records = types.records()
        self._types.update((record.fingerprint, record) for record in records)
        return Update(
            paths=set(files),
            edges=out,
            types=records,
            items=self._items() if items_changed else None,
            full=False,
        )

    def _align(
        self, path: str, new: Facts, old: Facts, edges: list[list[Edge]]
    ) -> list[list[Edge]]:
        """Per-row edges of ``new``: kept from ``old`` where rows match, else resolved."""
        if new is old:
            return edges
        fresh, was = _flat(new), _flat(old)
        n, m = len(fresh), len(was)
        head = 0
        while head < min(n, m) and _same(fresh[head], was[head]):
            head += 1
        tail = 0
        while tail < min(n, m) - head and _same(fresh[n - 1 - tail], was[m - 1 - tail]):
            tail += 1
        graph, module = self._graph, new["mod"]
        out = [_moved(edges[i], fresh[i][1][1]) for i in range(head)]
        for section, row in fresh[head : n - tail]:
            graph.edges = []
            graph.row(path, module, section, row)
            out.append(graph.edges)
        out.extend(_moved(edges[m - n + i], fresh[i][1][1]) for i in range(n - tail, n))
        return out

    def _items(self) -> list[Item]:
        return [item for path in self._facts for item in self._made.get(path, [])]

    def _all_edges(self) -> list[Edge]:
        return [
            edge
            for path in self._facts
            for edge in itertools.chain(
                self._own[path],
                (e for part in self._rows[path] for found in part for e in found),
            )
        ]


def facts_digest(files: list[tuple[str, bytes]]) -> bytes:
    """A digest of a workspace's facts (paths and blobs, in order)."""
    digest = blake3()
    for path, blob in files:
        name = path.encode()
        digest.update(len(name).to_bytes(4, "little") + name)
        digest.update(len(blob).to_bytes(8, "little") + blob)
    return digest.digest()


def signature(facts: Facts, makers: set[str]) -> list[Any]:
    """What of a file's facts shapes the workspace's scopes: all but calls, type uses, lines.

    Item-making macro invocations count with the number of the file's own
    ``macro_rules!`` written before them (which definition they see); ``makers``
    are the names of macros that may make items in statement position. Their
    text is left out: an edit inside one re-expands the file, and only a change
    in the items it makes re-resolves the workspace (see ``_refresh``).
    """
    line = ItemColumn.LINE
    lines = {row[ItemColumn.ID]: row[line] for row in facts["items"]}
    rule_lines = sorted(lines.get(row[0], 0) for row in facts["rules"])
    return [
        facts["mod"],
        [row[:line] + row[line + 1 :] for row in facts["items"]],  # all but the line
        facts["gen"],
        [row[:1] + row[2:] for row in facts["uses"]],
        [row[:1] + row[2:] for row in facts["impls"]],
        [row[:1] + row[2:] for row in facts["derives"]],
        facts["rules"],
        [
            [owner, segs, position, bisect_left(rule_lines, line)]
            for owner, line, segs, _text, _body, position in facts["macros"]
            if position in (ITEM, REPARSED) or (position == STATEMENT and segs[-1] in makers)
        ],
    ]


#: Where :func:`signature` puts a file's ``macro_rules!`` rows.
_RULES = 6


def _same_but_rule_bodies(new: list[Any], old: list[Any] | None) -> bool:
    """Whether two signatures differ at most in the bodies of the same ``macro_rules!``."""
    if old is None:
        return False
    rest = [part for n, part in enumerate(new) if n != _RULES]
    was = [part for n, part in enumerate(old) if n != _RULES]
    return rest == was and [r[:2] for r in new[_RULES]] == [r[:2] for r in old[_RULES]]


def _edited_rules(new: list[Any], old: list[Any] | None) -> set[str]:
    """Names of the ``macro_rules!`` whose body differs between two signatures."""
    if old is None:
        return set()
    before = {ident: text for ident, _name, text in old[_RULES]}
    return {name for ident, name, text in new[_RULES] if before.get(ident, text) != text}


def _key(item: Item) -> tuple[int, str, str, str, int]:
    return item.id, item.kind, item.name, item.qualified_name, item.parent


def _macro_lines(facts: Facts) -> list[Any]:
    """What a file's expansions depend on beyond its signature: invocation and rule lines."""
    rules = {row[0] for row in facts["rules"]}
    return [
        facts["macros"],
        [row[ItemColumn.LINE] for row in facts["items"] if row[ItemColumn.ID] in rules],
    ]


#: The columns of a ``macros`` row but its lines.
_MACRO_BUT_LINES = (
    MacroColumn.OWNER,
    MacroColumn.SEGMENTS,
    MacroColumn.ARGUMENTS,
    MacroColumn.POSITION,
)


def _moved_expansions(old: Facts, new: Facts) -> Callable[[int], int] | None:
    """Where each line of the old expansions goes, when the file's macro invocations are
    the same as before but for their lines (None when any differs otherwise).

    Expansions carry their invocation's line, or lines inside its arguments (a body
    passed through), so each line moves as the closest invocation line before it.
    Which definition an invocation sees is part of the file's signature, checked before.
    """
    before, after = old["macros"], new["macros"]
    if len(before) != len(after):
        return None
    shifts: dict[int, int] = {}
    for was, now in zip(before, after, strict=True):
        if any(was[c] != now[c] for c in _MACRO_BUT_LINES):
            return None
        shifts[was[MacroColumn.LINE]] = now[MacroColumn.LINE] - was[MacroColumn.LINE]
        if was[MacroColumn.ARGUMENTS_LINE]:
            at = MacroColumn.ARGUMENTS_LINE
            shifts[was[at]] = now[at] - was[at]
    marks = sorted(shifts)

    def move(line: int) -> int:
        at = bisect_right(marks, line) - 1
        return line + shifts[marks[at]] if at >= 0 else line

    return move


def _move_lines(
    made: list[Item], fragments: list[Facts], move: Callable[[int], int]
) -> tuple[list[Item], list[Facts]]:
    """Macro-made items and their facts with every line mapped by ``move``."""
    items = [
        item
        if move(item.start_line) == item.start_line and move(item.end_line) == item.end_line
        else item.at_lines(move(item.start_line), move(item.end_line))
        for item in made
    ]
    return items, [
        {name: remap_lines(name, rows, move) for name, rows in fragment.items()}
        if any(move(line) != line for line in fact_lines(fragment))
        else fragment  # the same object: its edges are kept as they are (see _align)
        for fragment in fragments
    ]


def _flat(facts: Facts) -> list[tuple[str, list[Any]]]:
    return [(section, row) for section in SECTIONS for row in facts[section]]


def _same(a: tuple[str, list[Any]], b: tuple[str, list[Any]]) -> bool:
    """Two rows of one section, equal but maybe for their line (index 1)."""
    x, y = a[1], b[1]
    return a[0] == b[0] and x[0] == y[0] and x[2:] == y[2:]


def _moved(edges: list[Edge], line: int) -> list[Edge]:
    """A row's edges at its new line."""
    if not edges or edges[0].line == line:
        return edges
    return [
        Edge(e.src, e.rel, e.dst, e.confidence, line, e.path, e.target, e.via, e.extra)
        for e in edges
    ]
