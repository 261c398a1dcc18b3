"""Records that flow from the extractor to the store and out as hits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

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

    def as_row(self) -> list[Any]:
        """The item as a flat row, in the field order above (compact across processes)."""
        return [
            self.id,
            self.kind,
            self.name,
            self.qualified_name,
            self.path,
            self.start_line,
            self.end_line,
            self.signature,
            self.doc,
            self.snippet,
            self.visibility,
            self.attrs,
            self.parent,
        ]

    @classmethod
    def from_row(cls, row: list[Any] | tuple[Any, ...]) -> Item:
        """Inverse of :meth:`as_row`."""
        return cls(*row)

    def at_lines(self, start_line: int, end_line: int) -> Item:
        """The same item on other lines (a new object: items are shared, never changed)."""
        return Item(
            self.id,
            self.kind,
            self.name,
            self.qualified_name,
            self.path,
            start_line,
            end_line,
            self.signature,
            self.doc,
            self.snippet,
            self.visibility,
            self.attrs,
            self.parent,
        )


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
