"""The RAG record of one item: id, snippet, metadata and named relations.

One plain dict (msgpack/JSON ready) that the embedder's text builder and
``ask``'s context pack consume. Relations are keyed by name and every key is
always present (an empty list when the item has none), so consumers need no
existence checks. Outgoing edges keep their relation name; incoming ``calls``
and ``uses_type`` edges appear as ``called_by`` and ``used_by``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from rustragd.model import Edge, Item

__all__ = [
    "RELATION_NAMES",
    "REVERSE",
    "artifact",
    "artifacts",
    "cfg_predicates",
    "edges_by_item",
    "split_attributes",
]

#: Incoming relation kinds shown on the other end, and their names there.
REVERSE: dict[str, str] = {"calls": "called_by", "uses_type": "used_by"}

#: Every key of an artifact's ``relations``, in a fixed order.
RELATION_NAMES: tuple[str, ...] = (
    "contains",
    "implements",
    "impl_for",
    "has_method",
    "calls",
    "called_by",
    "uses_type",
    "used_by",
    "imports",
    "expands",
    "derives",
)

_CFG = re.compile(r"#\[\s*cfg\s*\((.*)\)\s*\]\Z", re.S)
_FORWARD = frozenset(RELATION_NAMES) - frozenset(REVERSE.values())


def split_attributes(attrs: str) -> list[str]:
    """An item's attributes (``Item.attrs``, one collapsed attribute a line) as a list."""
    return [line for line in attrs.split("\n") if line.strip()]


def cfg_predicates(attributes: Iterable[str]) -> list[str]:
    """The predicates of the ``#[cfg(...)]`` attributes (all must hold); ``cfg_attr`` is not one."""
    found = []
    for attribute in attributes:
        match = _CFG.match(attribute.strip())
        if match is not None:
            found.append(" ".join(match.group(1).split()))
    return found


def edges_by_item(edges: Iterable[Edge]) -> dict[int, list[Edge]]:
    """Every edge under both of its ends (once for a self-loop), for :func:`artifact`."""
    index: dict[int, list[Edge]] = defaultdict(list)
    for edge in edges:
        index[edge.src].append(edge)
        if edge.dst and edge.dst != edge.src:
            index[edge.dst].append(edge)
    return index


def artifact(item: Item, edges: list[Edge], items_by_id: dict[int, Item]) -> dict[str, Any]:
    """The RAG record of ``item``.

    ``edges`` may be every edge of the workspace or just those touching the item
    (see :func:`edges_by_item`); others are ignored. ``items_by_id`` names the
    other ends (include the items made by local macros, ``Resolution.items``).
    """
    attributes = split_attributes(item.attrs)
    relations: dict[str, list[dict[str, Any]]] = {name: [] for name in RELATION_NAMES}
    seen: set[tuple[Any, ...]] = set()
    container = 0
    for edge in edges:
        if edge.src == item.id and edge.rel in _FORWARD:
            entry = _entry(edge, edge.dst, edge.target, items_by_id)
            _add(relations, seen, edge.rel, entry)
        if edge.dst == item.id and edge.dst:
            if edge.rel in REVERSE:
                entry = _entry(edge, edge.src, "", items_by_id)
                _add(relations, seen, REVERSE[edge.rel], entry)
            elif edge.rel == "contains" and edge.src != item.id:
                container = edge.src
    for entries in relations.values():
        entries.sort(key=lambda e: (e["line"], e["qualified_name"], e["id"]))
    parent_id = item.parent or container
    return {
        "id": item.id,
        "snippet": item.snippet,
        "metadata": {
            "kind": item.kind,
            "name": item.name,
            "qualified_name": item.qualified_name,
            "path": item.path,
            "start_line": item.start_line,
            "end_line": item.end_line,
            "visibility": item.visibility,
            "signature": item.signature,
            "doc": item.doc,
            "attributes": attributes,
            "cfg": cfg_predicates(attributes),
            "inherited_cfg": _inherited_cfg(parent_id, items_by_id),
            "parent": _parent_name(item, parent_id, items_by_id),
            "parent_id": parent_id,
        },
        "relations": relations,
    }


def artifacts(items: Iterable[Item], edges: Iterable[Edge]) -> list[dict[str, Any]]:
    """The records of many items, indexing the edges once."""
    listed = list(items)
    by_id = {i.id: i for i in listed}
    index = edges_by_item(edges)
    return [artifact(i, index.get(i.id, []), by_id) for i in listed]


def _entry(edge: Edge, other: int, written: str, items_by_id: dict[int, Item]) -> dict[str, Any]:
    """The other end of ``edge``, named; an unresolved end keeps its written ``target``."""
    found = items_by_id.get(other) if other else None
    entry: dict[str, Any] = {
        "id": other,
        "qualified_name": found.qualified_name if found is not None else written,
        "kind": found.kind if found is not None else "",
        "confidence": edge.confidence,
        "line": edge.line,
    }
    if edge.rel == "has_method":
        trait = items_by_id.get(edge.via) if edge.via else None
        entry["via"] = trait.qualified_name if trait is not None else ""
    elif edge.rel == "uses_type":
        entry["fingerprint"] = edge.extra
    return entry


def _add(
    relations: dict[str, list[dict[str, Any]]],
    seen: set[tuple[Any, ...]],
    name: str,
    entry: dict[str, Any],
) -> None:
    """Append ``entry`` under ``name`` unless an identical one is there (a type used twice)."""
    key = (name, *entry.values())
    if key not in seen:
        seen.add(key)
        relations[name].append(entry)


def _parent_name(item: Item, parent_id: int, items_by_id: dict[int, Item]) -> str:
    """The enclosing item's qualified name, else the module the item is named under."""
    parent = items_by_id.get(parent_id) if parent_id else None
    if parent is not None:
        return parent.qualified_name
    if item.kind == "impl" or "::" not in item.qualified_name:
        return ""  # an impl's name is its type's path, not its module's
    return item.qualified_name.rpartition("::")[0]


def _inherited_cfg(parent_id: int, items_by_id: dict[int, Item]) -> list[str]:
    """The ``cfg`` predicates of the enclosing items, innermost first."""
    found: list[str] = []
    seen: set[int] = set()
    while parent_id and parent_id not in seen:
        seen.add(parent_id)
        parent = items_by_id.get(parent_id)
        if parent is None:
            break
        found.extend(cfg_predicates(split_attributes(parent.attrs)))
        parent_id = parent.parent
    return found
