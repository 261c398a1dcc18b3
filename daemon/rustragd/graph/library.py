"""Library crates (dependencies, std) as the workspace's resolution sees them.

A library is resolved against, never made into edges: what another crate can name of
it is its *interface*, the facts of :mod:`rustragd.syntax.facts` cut down to what a
path, an import or a method call from outside can reach (:func:`interface`): the
items its active ``cfg`` compiles that are visible outside it (``pub``, a module, an
impl and what it holds, a trait's items, an enum's variants), every module-level
``use`` (a ``pub use`` may go through a private one), the impl headers, the derives
and the generics. Bodies, their items and their references stay out. Each library is packed
once (:func:`pack_library`) into the shared cache and loaded into every workspace's
:class:`~rustragd.graph.scopes.Resolver` that depends on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple, cast
from weakref import WeakValueDictionary

import msgpack

from rustragd.graph.scopes import Links
from rustragd.heap import unpack_shared
from rustragd.project.cfg import CfgSet, cfg_active
from rustragd.syntax.facts import ItemColumn

__all__ = [
    "Interface",
    "ItemTable",
    "Libraries",
    "Library",
    "LibraryBlobs",
    "LibraryItem",
    "library_items",
    "pack_library",
    "unpack_library",
]

Facts = dict[str, Any]

#: Items kept whatever their visibility: a private module may be re-exported from.
_ALWAYS = frozenset({"mod", "impl"})
#: Items whose children are reachable when they are (a trait's items have no ``pub``).
_OPEN = frozenset({"trait", "enum"})
_BODIES = frozenset({"function", "method", "const", "static"})


@dataclass(slots=True)
class Library:
    """One library crate: its name in the resolver, what it sees, its interface."""

    #: The crate key: the root of its module paths (``regex_syntax``).
    crate: str
    #: Package and version, as hits name it (``regex-syntax 0.6.27``).
    label: str
    #: ``dependency`` or ``std``.
    origin: str
    #: What it sees beyond itself (extern names, prelude).
    links: Links
    #: ``(absolute path, interface facts)`` per file.
    files: list[tuple[str, Facts]]


@dataclass(slots=True)
class Libraries:
    """Every library a workspace's crates depend on, and what each workspace crate sees."""

    crates: list[Library]
    #: The workspace crates' links (extern names of their dependencies, prelude).
    links: dict[str, Links]

    def files(self) -> list[tuple[str, Facts]]:
        """The interfaces of every library, file by file."""
        return [entry for library in self.crates for entry in library.files]


@dataclass(frozen=True, slots=True)
class LibraryBlobs:
    """Libraries as they travel and wait: packed, with the workspace crates' links."""

    blobs: tuple[bytes, ...]
    links: dict[str, Links]

    def unpack(self) -> Libraries:
        """The libraries, ready for a :class:`~rustragd.graph.scopes.Resolver`."""
        return Libraries([unpack_library(blob) for blob in self.blobs], self.links)


class LibraryItem(NamedTuple):
    """What a hit shows of a library's item."""

    kind: str
    name: str
    qualified_name: str
    path: str
    line: int
    #: ``dependency`` or ``std``.
    origin: str
    #: Package and version (``regex-syntax 0.6.27``).
    label: str


class ItemTable(dict[int, LibraryItem]):
    """Every item of some libraries by id."""


#: Item tables by the libraries' blobs, while a workspace holds one.
_TABLES: WeakValueDictionary[tuple[bytes, ...], ItemTable] = WeakValueDictionary()


def library_items(libraries: LibraryBlobs) -> ItemTable:
    """Every item of the libraries by id (one table for every workspace on them)."""
    found = _TABLES.get(libraries.blobs)
    if found is not None:
        return found
    found = _TABLES[libraries.blobs] = ItemTable()
    for library in libraries.unpack().crates:
        for path, facts in library.files:
            for row in facts["items"]:
                found[row[ItemColumn.ID]] = LibraryItem(
                    row[ItemColumn.KIND],
                    row[ItemColumn.NAME],
                    row[ItemColumn.QUALIFIED_NAME],
                    path,
                    row[ItemColumn.LINE],
                    library.origin,
                    library.label,
                )
    return found


class Interface:
    """What other crates can reach of one crate compiled under ``active``, cut from its
    facts and macro-made fragments one at a time, in order (each file's facts before its
    fragments; the files those its compiled ``mod`` declarations reach: see
    :func:`rustragd.project.crates.library_modules`)."""

    def __init__(self, active: CfgSet) -> None:
        self.active = active
        #: Kept item id -> whether its children need ``pub`` to be reachable (0: a file).
        self._need_pub: dict[int, bool] = {0: True}

    def cut(self, facts: Facts) -> Facts:
        """The interface facts of the next file or fragment."""
        return _cut(facts, self.active, self._need_pub)


def _cut(facts: Facts, active: CfgSet, need_pub: dict[int, bool]) -> Facts:
    """One file's interface facts (see the module docstring); ``need_pub`` is shared by
    the crate's files (a fragment's items sit in another file's impl)."""
    trait_impls = {row[0] for row in facts["impls"] if row[4] is not None}
    items, modules = [], {0}
    for row in facts["items"]:
        ident, kind = row[ItemColumn.ID], row[ItemColumn.KIND]
        rule = need_pub.get(row[ItemColumn.PARENT])
        if rule is None or not cfg_active(row[ItemColumn.CFG], active):
            continue  # inside a body or an unreachable item, or compiled out
        if rule and kind not in _ALWAYS and row[ItemColumn.VISIBILITY] != "pub":
            continue
        if kind not in _BODIES:
            need_pub[ident] = not (kind in _OPEN or ident in trait_impls)
        if kind == "mod":
            modules.add(ident)
        items.append(row)
    kept = {row[ItemColumn.ID] for row in items}
    return {
        "mod": facts["mod"],
        "items": items,
        "gen": [row for row in facts["gen"] if row[0] in kept],
        "uses": [row for row in facts["uses"] if row[0] in modules],
        "calls": [],
        "types": [],
        "impls": [
            [row[0], row[1], _bare(row[2]), row[3], row[4]]
            for row in facts["impls"]
            if row[0] in kept
        ],
        "derives": [row for row in facts["derives"] if row[0] in kept],
        "macros": [],
        "rules": [],
    }


def _bare(template: list[Any]) -> list[Any]:
    """An impl's self type template as far as the resolver reads a library's: a lone path
    (``impl<T: Display> ToString for T``: a blanket impl), else nothing."""
    return template if len(template) == 1 and isinstance(template[0], list) else []


def pack_library(library: Library) -> bytes:
    """A library as one msgpack blob (the shared cache's file, what a worker is sent)."""
    links = library.links
    row = [
        library.crate,
        library.label,
        library.origin,
        [links.externs, links.prelude, links.library, list(links.features)],
        library.files,
    ]
    return cast(bytes, msgpack.packb(row, use_bin_type=True))


def unpack_library(blob: bytes) -> Library:
    """Inverse of :func:`pack_library` (repeated strings held once)."""
    crate, label, origin, (externs, prelude, library, features), files = unpack_shared(blob)
    links = Links(dict(externs), prelude, library, tuple(features))
    return Library(crate, label, origin, links, [tuple(f) for f in files])
