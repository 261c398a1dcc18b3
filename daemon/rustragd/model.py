"""Records that flow from the extractor to the store and out as hits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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


@dataclass(slots=True)
class FileExtract:
    """What one source file yields: its hash, size, parse errors and items."""

    path: str
    content_hash: str
    lines: int
    size: int
    error_count: int
    items: list[Item] = field(default_factory=list)
