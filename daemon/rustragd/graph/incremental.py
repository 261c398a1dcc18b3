"""A workspace's resolution kept between edits, so that an edit re-resolves what it reaches.

:class:`IncrementalResolver` holds the scopes (:class:`rustragd.graph.scopes.Resolver`),
the edges grouped by the file they are written in and by fact row, and each file's
definition :func:`signature`: its facts less call sites, type uses and lines. An edit
that keeps a file's signature keeps every scope of the workspace, so only that file's
edges are made again (its references, its impl headers, and the ``has_method`` and
``contains`` edges of its items, whose lines may have moved). An edit that adds,
renames or removes items, impls or imports reloads the file into the scopes and
re-resolves only what the changed names can reach (``_structural``). A glob import
added or removed, a changed module or ``macro_rules!``, other macro-made items or a
removed file re-resolve the whole workspace, as
:func:`rustragd.graph.resolve.resolve_workspace` does.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

import msgpack
from blake3 import blake3

from rustragd.delta import Delta, diff_items
from rustragd.graph.file_facts import FileFacts
from rustragd.graph.fingerprints import TypeTable
from rustragd.graph.library import LibraryBlobs
from rustragd.graph.resolve import SECTIONS, EdgeBuilder, workspace_resolver
from rustragd.graph.scopes import Resolver
from rustragd.heap import unpack_shared
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
    type_words,
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

    def __init__(
        self,
        files: list[tuple[str, bytes]],
        expansions: bytes = b"",
        libraries: LibraryBlobs | None = None,
        gates: dict[str, str] | None = None,
    ) -> None:
        """``expansions``: what a resolution of exactly these ``files`` expanded
        (:attr:`Resolution.expansions`), taken instead of expanding them again;
        ``libraries``: what the workspace depends on, ``gates``: the ``cfg`` of the
        declarations reaching each file (neither changes here)."""
        self._libraries = libraries
        self._gates = gates
        self._facts = FileFacts()
        loaded = [(path, unpack_facts(blob)) for path, blob in files]
        for (path, blob), (_path, facts) in zip(files, loaded, strict=True):
            self._facts.put(path, blob, facts, keep=False)
        self._resolution: Resolution | None = None
        self._full(unpack_expansions(expansions) if expansions else None, loaded)

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

    def methods_of(self, types: set[int]) -> list[tuple[int, int]]:
        """``(method, trait or 0)`` of the methods registered for ``types`` (library types
        too: their impls are registered, though they make no edges)."""
        assoc = self._graph.r.assoc
        found = (entry for t in types for entries in assoc.get(t, {}).values() for entry in entries)
        return list(dict.fromkeys(found))

    def edges(self) -> Iterator[Edge]:
        """Every edge of the current result (:attr:`resolution` without building it)."""
        for path in self._facts:
            yield from self._file_edges(path)

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
        fresh = {path: blob for path, blob in changed if self._facts.blob(path) != blob}
        gone = [path for path in removed if path in self._facts]
        unpacked = {path: unpack_facts(blob) for path, blob in fresh.items()}
        sigs = {path: signature(facts, self._makers) for path, facts in unpacked.items()}
        was_sigs = {path: self._sig(path) for path in sigs}
        edited_rules = set[str]().union(
            *(_edited_rules(sig, was_sigs[path]) for path, sig in sigs.items())
        )
        reshaped = any(not _same_but_rule_bodies(sig, was_sigs[path]) for path, sig in sigs.items())
        full = bool(gone) or reshaped
        items = self._items()
        before = set(self._facts)
        old = {path: self._facts[path] for path in unpacked if path in self._facts}
        for path in gone:
            self._facts.remove(path)
        for path, facts in unpacked.items():
            self._facts.put(path, fresh[path], facts)
        self._resolution = None
        if reshaped and not gone and not edited_rules:
            structural = self._structural(unpacked, old, sigs, was_sigs)
            if structural is not None:
                self._sigs.update(_packed(sigs))
                return structural
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
                self._sigs.update(_packed(sigs))
                return fast
        self._full()
        return Update(
            paths=before | set(self._facts),
            edges=self._all_edges(),
            types=list(self._types.values()),
            items=None if self._items() == items else self._items(),
            full=True,
        )

    def _full(
        self, expanded: Expansions | None = None, loaded: list[tuple[str, Facts]] | None = None
    ) -> None:
        """Resolve the whole workspace and index the result by file and by fact row
        (``expanded``: every file's expansions, already made; ``loaded``: every file's
        facts, already unpacked)."""
        loaded = loaded or list(self._facts.items())
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
        graph = EdgeBuilder(workspace_resolver(loaded + extra, self._libraries, self._gates))
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
        #: Each file's :func:`signature`, packed: an edit reads one or two of them.
        self._sigs: dict[str, bytes] = _packed(
            {path: signature(facts, self._makers) for path, facts in loaded}
        )
        resolver = graph.r
        resolver.files = []  # kept per file here; the resolver's list would hold old facts
        resolver.forget_lookups()
        self._defs: dict[str, list[int]] = {path: [] for path in self._facts}
        for ident, found_def in resolver.defs.items():
            if ident not in resolver.library_ids:
                self._defs[found_def.path].append(ident)
        self._methods = self._index_methods()
        self._words: dict[str, frozenset[str]] = {
            path: _file_words([facts, *self._extra[path]]) for path, facts in loaded
        }
        self._resolution = None

    def _sig(self, path: str) -> list[Any] | None:
        """The signature of ``path`` as last resolved (None: a new file)."""
        packed = self._sigs.get(path)
        return None if packed is None else cast(list[Any], unpack_shared(packed))

    def _parts(self, path: str) -> list[Facts]:
        """A file's facts and those of the items its macros make."""
        return [self._facts[path], *self._extra.get(path, ())]

    def _index_methods(self) -> dict[str, list[tuple[int, int, int]]]:
        """Per file, the registered methods written there: their ``has_method`` edges
        (patched by ``_register_again`` after a structural edit)."""
        defs = self._graph.r.defs
        methods: dict[str, list[tuple[int, int, int]]] = {path: [] for path in self._facts}
        library = self._graph.r.library_ids
        for entries in self._graph.registered.values():
            for owner, _name, (method, via) in entries:
                if isinstance(owner, int) and method not in library:
                    methods[defs[method].path].append((owner, method, via))
        return methods

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
            graph.types = types
            self._own_edges(path)
            out.extend(self._own[path])
            rows = self._rows[path] = [
                self._align(path, new, was, edges)
                for new, was, edges in zip(parts, before, self._rows[path], strict=True)
            ]
            out.extend(edge for part in rows for found in part for edge in found)
            self._words[path] = _file_words(parts)
        records = types.records()
        self._types.update((record.fingerprint, record) for record in records)
        return Update(
            paths=set(files),
            edges=out,
            types=records,
            items=self._items() if items_changed else None,
            full=False,
        )

    def _structural(
        self,
        files: dict[str, Facts],
        old: dict[str, Facts],
        sigs: dict[str, list[Any]],
        was_sigs: dict[str, list[Any] | None],
    ) -> Update | None:
        """Apply files whose items or imports changed without resolving everything again
        (None: the change cannot be bounded, and the workspace must be re-resolved).

        The resolver takes the files' new facts in place of the old; then everything a
        changed name can reach is resolved again, in the order a full resolution uses:
        the impls whose header names one (or whose trait or items changed), and every
        reference row that writes one or sits inside an item that changed or whose
        meaning of ``Self`` or bounds did. A name is changed when an item of that name was
        added, removed or altered (with everything inside it), when an import binding it
        changed, and, transitively, when an import or a declared type (a return or field
        type) names a changed name. A glob import whose path names one, a glob import
        added or removed, a file's module or ``macro_rules!`` changed, and macros making
        other items are not bounded.
        """
        graph = self._graph
        r = graph.r
        before: dict[str, list[Facts]] = {}
        after: dict[str, list[Facts]] = {}
        made: dict[str, tuple[list[Item], list[Facts]]] = {}
        for path, facts in files.items():
            was = old.get(path)
            if not _bounded_shape(sigs[path], was_sigs[path], facts, r.crates):
                return None
            expanded = self._expanded(path, facts, was)
            if expanded is None:
                return None
            made[path] = expanded
            before[path] = [was, *self._extra.get(path, ())] if was is not None else []
            after[path] = [facts, *expanded[1]]
        change = _Change()
        for path in files:
            if not change.read(before[path], after[path]):
                return None
        names, owners = change.names, change.owners
        module_items = {q: r.module_items.get(q) for q in change.modules}
        scopes = {key for key in change.scopes if key in r.scopes}  # new ones have no lookups
        items_changed = any(items != self._made.get(path, []) for path, (items, _) in made.items())
        for path, (items, fragments) in made.items():
            self._made[path], self._extra[path] = items, fragments
            self._words[path] = _file_words(after[path])
            r.reload(path, before[path], after[path])
        if not self._close(names):
            return None
        mentioning = {path for path in self._facts if not names.isdisjoint(self._words[path])}
        for q in change.modules:
            first = self._first_module(q)
            if first is None:
                r.module_items.pop(q, None)
            else:
                r.module_items[q] = first
        whole = {
            path
            for q in change.modules
            if r.module_items.get(q) != module_items[q]
            for path in self._facts
            if (module := self._facts.module(path)) == q or module.startswith(q + "::")
        }
        owners.update(
            ident
            for path in mentioning
            for part in self._parts(path)
            for ident, _params, bounds in part["gen"]
            if any(not names.isdisjoint(segs) for _name, segs in bounds)
        )
        r.forget(names, scopes)
        methods, own = self._register_again(set(files), mentioning, change, names, owners)
        for ident in list(owners):
            owners.update(_descendants(r, ident))
        changed = names | methods
        again: set[str] = set()  # files whose reference edges changed
        out_paths: set[str] = set(files) | own | whole
        owner_paths = {r.defs[i].path for i in owners if i in r.defs}
        types = TypeTable()
        graph.types = types
        stale = _Stale(changed, owners)
        for path in self._facts:
            if path in files:
                self._rows[path] = [
                    self._align(path, new, was, edges, stale)
                    for new, was, edges in itertools.zip_longest(
                        after[path], before[path], self._rows.get(path, [])
                    )
                ]
            elif (
                path in whole or path in owner_paths or not changed.isdisjoint(self._words[path])
            ) and self._again(path, None if path in whole else stale):
                again.add(path)
                out_paths.add(path)
        self._defs.update(
            (path, list(dict.fromkeys(row[0] for part in after[path] for row in part["items"])))
            for path in files
        )
        for path in list(out_paths):
            was_own = self._own.get(path)
            self._own_edges(path)
            if path not in files and path not in again and _same_edges(self._own[path], was_own):
                out_paths.discard(path)
        records = types.records()
        self._types.update((record.fingerprint, record) for record in records)
        return Update(
            paths=out_paths,
            edges=[edge for path in out_paths for edge in self._file_edges(path)],
            types=records,
            items=self._items() if items_changed else None,
            full=False,
        )

    def _expanded(
        self, path: str, facts: Facts, was: Facts | None
    ) -> tuple[list[Item], list[Facts]] | None:
        """A changed file's macro-made items and their facts (None: other items are made)."""
        made, fragments = self._made.get(path, []), self._extra.get(path, [])
        if was is not None and _macro_lines(facts) == _macro_lines(was):
            return made, fragments
        moved = None if was is None else _moved_expansions(was, facts)
        if moved is not None:  # the invocations only moved: so do their expansions
            return _move_lines(made, fragments, moved)
        items, parts = expand_file(path, facts, self._rules, expand)
        if list(map(_key, items)) != list(map(_key, made)) or len(parts) != len(fragments):
            return None
        return items, parts

    def _first_module(self, qualified: str) -> int | None:
        """The ``mod`` item that names module ``qualified``: the first loaded, as in
        :meth:`Resolver._load` (every file's facts in order, then the fragments)."""
        for declared, ident in self._facts.declared_modules():
            if declared == qualified:
                return ident
        kind, name = ItemColumn.KIND, ItemColumn.QUALIFIED_NAME
        for facts in itertools.chain.from_iterable(self._extra.values()):
            for row in facts["items"]:
                if row[kind] == "mod" and row[name] == qualified:
                    return int(row[ItemColumn.ID])
        return None

    def _register_again(
        self,
        files: set[str],
        mentioning: set[str],
        change: _Change,
        names: set[str],
        owners: set[int],
    ) -> tuple[set[str], set[str]]:
        """Register again the methods of the impls a change can reach: those of the changed
        files, those whose header names a changed name, those of a changed trait.

        Returns the names of methods whose registration changed and the files whose own
        edges (impl headers, ``has_method``) must be made again; adds to ``owners`` the
        impls whose self type or trait changed (what ``Self`` and ``self`` mean inside).
        """
        graph = self._graph
        r = graph.r
        of_traits = {
            impl for impl, traits in r.impl_trait.items() if not change.traits.isdisjoint(traits)
        }
        paths = files | mentioning | {r.defs[impl].path for impl in of_traits if impl in r.defs}
        picked = [
            (path, module, row)
            for path, module, row in self._impl_rows(paths)
            if path in files
            or row[0] in of_traits
            or _names_path(row[3], names)
            or _names_path(row[4], names)
        ]
        again = change.impls | {row[0] for _path, _module, row in picked}
        was = {
            impl: (r.impl_self.get(impl), r.impl_trait.get(impl), graph.unregister(impl))
            for impl in again
        }
        edges, graph.edges = graph.edges, []
        for path, module, row in picked:
            graph._impl(path, module, row)
        graph.edges = edges
        methods: set[str] = set()
        own = {path for path, _module, _row in picked}
        for impl, (selves, traits, entries) in was.items():
            now = graph.registered.get(impl, [])
            if (selves, traits) != (r.impl_self.get(impl), r.impl_trait.get(impl)):
                owners.add(impl)
            if now == entries:
                continue
            for owner, name, (method, via) in Counter(entries) - Counter(now):
                methods.add(name)
                if isinstance(owner, int) and method not in r.library_ids:
                    own.add(self._unindex_method(owner, method, via, files))
            for owner, name, (method, via) in Counter(now) - Counter(entries):
                methods.add(name)
                if method in r.library_ids:
                    continue  # a library trait's provided method: no edge is made of it
                path = r.defs[method].path
                own.add(path)
                if isinstance(owner, int):
                    self._methods.setdefault(path, []).append((owner, method, via))
        return methods, own

    def _unindex_method(self, owner: int, method: int, via: int, files: set[str]) -> str:
        """Forget one registered method's ``has_method`` edge; the file it was written in."""
        found = self._graph.r.defs.get(method)
        entry = (owner, method, via)
        for path in [found.path] if found is not None else files:
            listed = self._methods.get(path, [])
            if entry in listed:
                listed.remove(entry)
                return path
        raise AssertionError(f"method {method} was not indexed")

    def _impl_rows(self, paths: set[str]) -> Iterator[tuple[str, str, list[Any]]]:
        """The impl rows of ``paths``, in the order a full resolution registers them."""
        for path in self._facts:
            if path in paths:
                facts = self._facts[path]
                yield from ((path, facts["mod"], row) for row in facts["impls"])
        for path in self._facts:
            if path in paths:
                for fragment in self._extra.get(path, ()):
                    yield from ((path, fragment["mod"], row) for row in fragment["impls"])

    def _close(self, names: set[str]) -> bool:
        """Add to ``names`` those bound through them: imports whose path names one, items
        whose declared type does (False: a glob import's path names one)."""
        grown = True
        while grown:
            grown = False
            for path, words in self._words.items():
                if names.isdisjoint(words):
                    continue
                for part in self._parts(path):
                    for _owner, _line, _vis, segs, alias in part["uses"]:
                        if not segs or alias == "_" or names.isdisjoint(segs):
                            continue
                        if alias == "*":
                            return False
                        if (alias or segs[-1]) not in names:
                            names.add(alias or segs[-1])
                            grown = True
                    for row in part["items"]:
                        declared = row[ItemColumn.TYPE_HEAD]
                        name = row[ItemColumn.NAME]
                        if (
                            declared
                            and name not in names
                            and not names.isdisjoint(type_words(declared))
                        ):
                            names.add(name)
                            if row[ItemColumn.KIND] == "struct":  # a newtype's `x.0`
                                names.add("0")
                            grown = True
        return True

    def _again(self, path: str, stale: _Stale | None) -> bool:
        """Resolve again the rows of one file that ``stale`` picks (every row: None);
        whether any of their edges changed."""
        graph = self._graph
        changed = False
        for part, edges in zip(self._parts(path), self._rows[path], strict=True):
            module = part["mod"]
            for index, (section, row) in enumerate(_flat(part)):
                if stale is None or stale(row):
                    graph.edges = []
                    graph.row(path, module, section, row)
                    changed = changed or not _same_edges(graph.edges, edges[index])
                    edges[index] = graph.edges
        return changed

    def _own_edges(self, path: str) -> None:
        """Make again a file's impl header, ``has_method`` and ``contains`` edges."""
        graph = self._graph
        graph.edges = []
        for part in self._parts(path):
            graph.impl_edges(path, part)
        for owner, method, via in self._methods.get(path, ()):
            graph.has_method(owner, method, via)
        for ident in self._defs[path]:
            graph.contains(ident)
        self._own[path] = graph.edges

    def _file_edges(self, path: str) -> list[Edge]:
        rows = (edge for part in self._rows[path] for found in part for edge in found)
        return [*self._own[path], *rows]

    def _align(
        self,
        path: str,
        new: Facts,
        old: Facts | None,
        edges: list[list[Edge]] | None,
        stale: _Stale | None = None,
    ) -> list[list[Edge]]:
        """Per-row edges of ``new``: kept from ``old`` where rows match (and ``stale`` does
        not pick them), else resolved."""
        fresh = _flat(new)
        was = _flat(old) if old is not None else []
        n, m = len(fresh), len(was)
        head = tail = 0
        if old is not None and new is not old:
            while head < min(n, m) and _same(fresh[head], was[head]):
                head += 1
            while tail < min(n, m) - head and _same(fresh[n - 1 - tail], was[m - 1 - tail]):
                tail += 1
        elif new is old:
            if stale is None and edges is not None:
                return edges
            head = n
        graph, module = self._graph, new["mod"]
        kept = {i: i for i in range(head)} | {i: m - n + i for i in range(n - tail, n)}
        out: list[list[Edge]] = []
        for index, (section, row) in enumerate(fresh):
            if index in kept and edges is not None and (stale is None or not stale(row)):
                out.append(_moved(edges[kept[index]], row[1]))
            else:
                graph.edges = []
                graph.row(path, module, section, row)
                out.append(graph.edges)
        return out

    def _items(self) -> list[Item]:
        return [item for path in self._facts for item in self._made.get(path, [])]

    def _all_edges(self) -> list[Edge]:
        return list(self.edges())


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
            [owner, segs, position, bisect_left(rule_lines, line), cfg]
            for owner, line, segs, _text, _body, position, cfg in facts["macros"]
            if position in (ITEM, REPARSED) or (position == STATEMENT and segs[-1] in makers)
        ],
    ]


def _packed(sigs: dict[str, list[Any]]) -> dict[str, bytes]:
    return {path: msgpack.packb(sig) for path, sig in sigs.items()}


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


def _bounded_shape(sig: list[Any], was: list[Any] | None, facts: Facts, crates: set[str]) -> bool:
    """Whether a file's new signature keeps what :meth:`IncrementalResolver._structural`
    cannot bound: its module and its ``macro_rules!`` (the items macros make are compared
    once expanded)."""
    if was is None:  # a new file, of a known crate
        crate: str = facts["mod"].partition("::")[0]
        return crate in crates and not sig[_RULES]
    return all(sig[part] == was[part] for part in (0, _RULES))


class _Change:
    """What changed in a set of files' items and imports (see ``_structural``)."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        """Names bound differently: of items added, removed or changed, of imports."""
        self.owners: set[int] = set()
        """Items added, removed or changed (anything inside a changed item changes)."""
        self.modules: set[str] = set()
        """Qualified names of ``mod`` items added, removed or changed."""
        self.scopes: set[str] = set()
        """Keys of scopes that changed beyond their names (bodies, inline modules)."""
        self.traits: set[int] = set()
        """Traits changed or with items changed (their impls register methods again)."""
        self.impls: set[int] = set()
        """Impls of the changed files, before and after."""

    def read(self, before: list[Facts], after: list[Facts]) -> bool:
        """Add one file's change (False: a glob import was added or removed)."""
        old, new = _items(before), _items(after)
        old_gen, new_gen = _gens(before), _gens(after)
        changed = {
            ident
            for ident in old.keys() | new.keys()
            if _but_line(old.get(ident)) != _but_line(new.get(ident))
            or old_gen.get(ident) != new_gen.get(ident)
        }
        inside: dict[int, list[int]] = {}
        for table in (old, new):
            for ident, row in table.items():
                inside.setdefault(row[ItemColumn.PARENT], []).append(ident)
        stack = list(changed)
        while stack:
            for child in inside.get(stack.pop(), ()):
                if child not in changed:
                    changed.add(child)
                    stack.append(child)
        for table in (old, new):
            self.impls.update(i for i, row in table.items() if row[ItemColumn.KIND] == "impl")
            for ident in changed & table.keys():
                row = table[ident]
                kind, parent = row[ItemColumn.KIND], row[ItemColumn.PARENT]
                self.names.add(row[ItemColumn.NAME])
                if kind == "mod":
                    self.modules.add(row[ItemColumn.QUALIFIED_NAME])
                    self.scopes.add(row[ItemColumn.QUALIFIED_NAME])
                elif kind in ("function", "method"):
                    self.scopes.add(str(ident))
                elif kind == "trait":
                    self.traits.add(ident)
                if parent in table and table[parent][ItemColumn.KIND] == "trait":
                    self.traits.add(parent)
        self.owners |= changed
        uses_before, uses_after = _uses(before), _uses(after)
        for _owner, segs, alias in (uses_before - uses_after) + (uses_after - uses_before):
            if alias == "*":
                return False
            if segs and alias != "_":
                self.names.add(alias or segs[-1])
        return True


def _items(parts: list[Facts]) -> dict[int, list[Any]]:
    return {row[ItemColumn.ID]: row for part in parts for row in part["items"]}


def _gens(parts: list[Facts]) -> dict[int, list[Any]]:
    return {row[0]: row for part in parts for row in part["gen"]}


def _but_line(row: list[Any] | None) -> list[Any] | None:
    return None if row is None else row[: ItemColumn.LINE] + row[ItemColumn.LINE + 1 :]


def _uses(parts: list[Facts]) -> Counter[tuple[int, tuple[str, ...], str]]:
    return Counter(
        (owner, tuple(segs), alias)
        for part in parts
        for owner, _line, _vis, segs, alias in part["uses"]
    )


def _names_path(segs: list[str] | None, names: set[str]) -> bool:
    return segs is not None and not names.isdisjoint(segs)


def _descendants(r: Resolver, ident: int) -> Iterator[int]:
    stack = list(r.children.get(ident, ()))
    while stack:
        child = stack.pop()
        yield child
        stack.extend(r.children.get(child, ()))


class _Stale:
    """Picks the reference rows a structural change can reach."""

    def __init__(self, names: set[str], owners: set[int]) -> None:
        self.names, self.owners = names, owners

    def __call__(self, row: list[Any]) -> bool:
        if row[0] in self.owners:
            return True
        words: set[str] = set()
        _strings(row[2:], words)
        return not self.names.isdisjoint(words)


def _file_words(parts: list[Facts]) -> frozenset[str]:
    """Every name a file's reference rows, declared types, bounds and impl headers write:
    the files a changed name can reach (see ``_structural``)."""
    words: set[str] = set()
    for part in parts:
        for section in SECTIONS:
            for row in part[section]:
                _strings(row[2:], words)
        for row in part["items"]:
            words.update(type_words(row[ItemColumn.TYPE_HEAD] or []))
        for _ident, _params, bounds in part["gen"]:
            for _name, segs in bounds:
                words.update(segs)
        for row in part["impls"]:
            words.update(row[3] or ())
            words.update(row[4] or ())
    return frozenset(words)


def _strings(value: Any, out: set[str]) -> None:
    for part in value:
        if isinstance(part, str):
            out.add(part)
        elif isinstance(part, list):
            _strings(part, out)


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
    MacroColumn.CFG,
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


def _same_edges(a: list[Edge], b: list[Edge] | None) -> bool:
    """Whether two lists hold the same edges, in any order."""
    return b is not None and (a == b or Counter(a) == Counter(b))


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
