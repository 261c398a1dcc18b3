"""Records that flow from the extractor to the store and out as hits."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, NamedTuple

#: Item kinds stored in the graph; ``--kind`` also accepts the aliases below.
ITEM_KINDS: tuple[str, ...] = (
    "function",
    "method",
    "struct",
    "enum",
    "variant",
    "union",
    "field",
    "trait",
    "impl",
    "type_alias",
    "const",
    "static",
    "macro_rules",
    "mod",
)

KIND_ALIASES: dict[str, str] = {
    "fn": "function",
    "type": "type_alias",
    "macro": "macro_rules",
    "module": "mod",
}


@dataclass(slots=True)
class Item:
    """One definition in a Rust source file.

    ``path`` is workspace-relative with ``/`` separators; lines are 1-based and
    inclusive; ``start_line`` is the item's own line, after docs and attributes.
    ``parent`` is the id of the enclosing item, 0 at file level.
    """

    id: int
    kind: str
    name: str
    qualified_name: str
    path: str
    start_line: int
    end_line: int
    signature: str = ""
    doc: str = ""
    snippet: str = ""
    visibility: str = ""
    attrs: str = ""
    parent: int = 0

    #: The item as a flat row, in :data:`ITEM_FIELDS` order (compact across processes);
    #: compiled from the fields below the class.
    as_row: ClassVar[Callable[[Item], list[Any]]]

    def __post_init__(self) -> None:
        # Held once per distinct value: a workspace of 80k items has a dozen kinds, a few
        # hundred paths, three visibilities and a fraction as many names and signatures
        # (about 200 bytes an item saved); a qualified name is unique, but the resolver's
        # facts and the edges into the item hold it too (doc and snippet are rarely held).
        self.kind = sys.intern(self.kind)
        self.name = sys.intern(self.name)
        self.qualified_name = sys.intern(self.qualified_name)
        self.path = sys.intern(self.path)
        self.signature = sys.intern(self.signature)
        self.visibility = sys.intern(self.visibility)
        self.attrs = sys.intern(self.attrs)

    @classmethod
    def from_row(cls, row: list[Any] | tuple[Any, ...]) -> Item:
        """Inverse of :meth:`as_row`."""
        return cls(*row)

    def at_lines(self, start_line: int, end_line: int) -> Item:
        """The same item on other lines (a new object: items are shared, never changed).

        Made from the item's row: every item of a file after an edit moves, and this is
        several times as fast as :func:`dataclasses.replace`."""
        row = self.as_row()
        row[_START_LINE] = start_line
        row[_END_LINE] = end_line
        return Item(*row)


#: Item's fields in declaration order: the order of its rows (:meth:`Item.as_row`,
#: :meth:`Item.from_row`), of the pool's messages and of the store's item columns.
ITEM_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Item))
_START_LINE = ITEM_FIELDS.index("start_line")
_END_LINE = ITEM_FIELDS.index("end_line")


def _row_method(names: tuple[str, ...]) -> Callable[[Item], list[Any]]:
    """``self -> [self.<name>, ...]``, compiled as dataclasses compile ``__init__``: a list
    display is twice as fast as any getter, and a row is made per item (100k and more on
    each write of a workspace)."""
    namespace: dict[str, Any] = {}
    exec(f"def as_row(self):\n    return [{', '.join(f'self.{n}' for n in names)}]", namespace)
    method: Callable[[Item], list[Any]] = namespace["as_row"]
    method.__module__, method.__qualname__ = __name__, "Item.as_row"
    method.__doc__ = "The item as a flat row, in :data:`ITEM_FIELDS` order."
    return method


Item.as_row = _row_method(ITEM_FIELDS)


@dataclass(slots=True)
class FileExtract:
    """What one source file yields: its hash, size, parse errors and items."""

    path: str
    content_hash: str
    lines: int
    size: int
    error_count: int
    items: list[Item] = field(default_factory=list)
    #: The file's raw reference facts (msgpack, see :mod:`rustragd.syntax.facts`), for the resolver.
    facts: bytes = b""
    #: The module path the items were named under (``crate::a::b``).
    module: str = ""
    #: The kind of target the file belongs to (``lib``, ``bin``, ``test``, ``bench``,
    #: ``example``, ``build``) and its package (``"name version"``): see
    #: :class:`rustragd.project.crates.Placement`; set by whoever placed the file.
    target: str = ""
    crate: str = ""
    #: The ``#[cfg]`` of the ``mod`` declarations that reach the file (see
    #: :attr:`rustragd.project.crates.Placement.gate`).
    gate: str = ""


#: Relation kinds of :class:`Edge`.
RELATIONS: tuple[str, ...] = (
    "contains",
    "implements",
    "impl_for",
    "has_method",
    "calls",
    "uses_type",
    "imports",
    "expands",
    "derives",
)

#: Confidence of an :class:`Edge`.
CONFIDENCES: tuple[str, ...] = ("exact", "ambiguous", "unresolved")


class Edge(NamedTuple):
    """A relation from item ``src`` to item ``dst`` (0 when not a local item).

    ``confidence`` is ``exact``, ``ambiguous`` (one edge per candidate) or
    ``unresolved`` (``dst`` 0, ``target`` the name as written); ``line`` and
    ``path`` locate the reference; ``target`` is the qualified name of what
    was resolved; ``via`` is the trait id of a ``has_method`` edge (0:
    inherent); ``extra`` the type fingerprint of a ``uses_type`` edge. A
    tuple, so that a resolution of 100k edges builds and ships cheaply.
    """

    src: int
    rel: str
    dst: int
    confidence: str
    line: int
    path: str
    target: str
    via: int = 0
    extra: str = ""

    def key(self) -> tuple[str, int, str, int, int, str]:
        """What keys the edge's row in the store (``path`` first: a file's edges are one
        range); ``confidence``, ``via`` and ``extra`` are values of that row."""
        return self.path, self.src, self.rel, self.dst, self.line, self.target


class TypeRecord(NamedTuple):
    """A type expression: its fingerprint (16-byte blake3, hex), canonical text, defining item."""

    fingerprint: str
    canonical: str
    definition: int = 0


@dataclass(slots=True)
class Resolution:
    """What resolving a workspace yields: edges, types, and items made by local macros."""

    edges: list[Edge] = field(default_factory=list)
    types: list[TypeRecord] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    #: The per-file macro expansions made on the way, packed
    #: (:func:`rustragd.macros.expansion.pack_expansions`), when a worker resolved it: the
    #: daemon's incremental resolver starts from them instead of expanding again.
    expansions: bytes = b""
