"""Structural questions answered from the resolved graph.

callers, callees, uses, neighbors, impls, methods.
"""

from __future__ import annotations

from typing import Any

from rustrag_protocol import ErrorCode, ProtocolError

from rustragd.graph.library import LibraryItem
from rustragd.graph.structure import impls_of, methods_of
from rustragd.model import Edge, Item
from rustragd.project.scope import ItemScope
from rustragd.server.ops import args as a
from rustragd.server.ops.hits import scope_fields, test_filter, to_hits
from rustragd.server.ops.registry import Context, op
from rustragd.workspace.state import Workspace

FUNCTIONS = frozenset({"function", "method"})
TYPES = frozenset({"struct", "enum", "union", "trait", "type_alias"})
MAX_DEPTH = 10
DEFAULT_LIMIT = 1000


def _targets(workspace: Workspace, query: str, kinds: frozenset[str], what: str) -> list[Item]:
    found = workspace.table.lookup(query, kinds)
    if not found:
        raise ProtocolError(f"no {what} named {query!r} in {workspace.root}", ErrorCode.NOT_FOUND)
    return found


def _unresolved_hit(workspace: Workspace, scope: ItemScope, edge: Edge) -> dict[str, Any]:
    """The far end of an edge to no item: the name as written, where it is written (its
    scope that of the item it is written in)."""
    site = workspace.table.items.get(edge.src)
    return {
        "id": 0,
        "kind": "unresolved",
        "name": edge.target.rsplit("::", 1)[-1],
        "qualified_name": edge.target,
        "path": edge.path,
        "start_line": edge.line,
        "end_line": edge.line,
        "signature": "",
        "doc": "",
        "snippet": "",
        "visibility": "",
        "score": 0.0,
        **scope_fields(workspace, scope, site, edge.path),
    }


def _library_hit(ident: int, item: LibraryItem) -> dict[str, Any]:
    """A hit on an item of a dependency or of std (its path absolute)."""
    return {
        "id": ident,
        "kind": item.kind,
        "name": item.name,
        "qualified_name": item.qualified_name,
        "path": item.path,
        "start_line": item.line,
        "end_line": item.line,
        "signature": "",
        "doc": "",
        "snippet": "",
        "visibility": "pub",
        "score": 0.0,
        "origin": item.origin,
        "crate": item.label,
        # Libraries are indexed as their library target compiles (cfg test off).
        "target": "lib",
        "test": False,
    }


def _far_end(workspace: Workspace, scope: ItemScope, edge: Edge, ident: int) -> dict[str, Any]:
    """The hit of an edge's far end outside the workspace's items."""
    found = workspace.library_item(ident) if ident else None
    if found is not None:
        return _library_hit(ident, found)
    return _unresolved_hit(workspace, scope, edge)


def _edge_hits(
    workspace: Workspace, scope: ItemScope, found: list[tuple[Edge, int]], forward: bool
) -> list[dict[str, Any]]:
    """One hit per edge: the item at the far end, with the edge's confidence and site."""
    ends = [workspace.table.items.get(e.dst if forward else e.src) for e, _ in found]
    hits = iter(to_hits(workspace, [item for item in ends if item is not None], scope=scope))
    results = []
    for (edge, depth), end in zip(found, ends, strict=True):
        far = edge.dst if forward else edge.src
        hit = next(hits) if end is not None else _far_end(workspace, scope, edge, far)
        hit.update(
            confidence=edge.confidence,
            depth=depth,
            site_path=edge.path,
            site_line=edge.line,
            written=edge.target,
        )
        results.append(hit)
    return results


async def _call_graph(context: Context, args: dict[str, Any], forward: bool) -> dict[str, Any]:
    workspace = context.workspace
    query = a.required_string(args, "name")
    depth = min(a.integer(args, "depth", 1, minimum=1) or 1, MAX_DEPTH)
    limit = a.integer(args, "limit", DEFAULT_LIMIT, minimum=1) or DEFAULT_LIMIT
    targets = _targets(workspace, query, FUNCTIONS, "function or method")
    scope = workspace.scope()
    keep = test_filter(scope, args)
    items = workspace.table.items

    def keep_end(item_id: int) -> bool:  # an unresolved end (no item) is kept
        end = items.get(item_id)
        return end is None or keep is None or keep(end)

    starts = (t.id for t in targets)
    ends = keep_end if keep is not None else None
    found = workspace.graph.walk(starts, "calls", forward, depth, limit, ends)
    return {
        "targets": [t.qualified_name for t in targets],
        "results": _edge_hits(workspace, scope, found, forward),
    }


@op("callers")
async def callers(context: Context, args: dict[str, Any]) -> dict[str, Any]:
    """Functions and methods that call ``name`` (transitively up to ``depth``)."""
    return await _call_graph(context, args, forward=False)


@op("callees")
async def callees(context: Context, args: dict[str, Any]) -> dict[str, Any]:
    """Functions and methods that ``name`` calls (transitively up to ``depth``)."""
    return await _call_graph(context, args, forward=True)


@op("uses")
async def uses(context: Context, args: dict[str, Any]) -> dict[str, Any]:
    """Items whose signature, fields or impl header use a type."""
    workspace = context.workspace
    targets = _targets(workspace, a.required_string(args, "name"), TYPES, "type")
    limit = a.integer(args, "limit", DEFAULT_LIMIT, minimum=1) or DEFAULT_LIMIT
    scope = workspace.scope()
    keep = test_filter(scope, args)
    items = workspace.table.items
    found = [
        (edge, 1)
        for target in targets
        for edge in workspace.graph.edges_to(target.id, "uses_type")
        if keep is None or (user := items.get(edge.src)) is None or keep(user)
    ][:limit]
    return {
        "targets": [t.qualified_name for t in targets],
        "results": _edge_hits(workspace, scope, found, forward=False),
    }


@op("neighbors")
async def neighbors(context: Context, args: dict[str, Any]) -> dict[str, Any]:
    """Every edge of one item, in both directions."""
    workspace = context.workspace
    item_id = a.integer(args, "id", None, minimum=-(1 << 63))
    if item_id is None:
        raise ProtocolError("missing argument 'id'", ErrorCode.BAD_REQUEST)
    item = workspace.table.items.get(item_id)
    if item is None:
        raise ProtocolError(f"no item with id {item_id}", ErrorCode.NOT_FOUND)
    outgoing = [(e, 1) for e in workspace.graph.edges_from(item_id)]
    incoming = [(e, 1) for e in workspace.graph.edges_to(item_id)]
    scope = workspace.scope()
    edges = []
    for direction, found, forward in (("out", outgoing, True), ("in", incoming, False)):
        hits = _edge_hits(workspace, scope, found, forward)
        for (edge, _), hit in zip(found, hits, strict=True):
            hit.update(direction=direction, rel=edge.rel, via=edge.via, extra=edge.extra)
            edges.append(hit)
    return {"item": to_hits(workspace, [item], scope=scope)[0], "edges": edges}


@op("impls")
async def impls(context: Context, args: dict[str, Any]) -> dict[str, Any]:
    """Implementations of a trait (local traits through resolved edges)."""
    workspace = context.workspace
    name = a.required_string(args, "name")
    scope = workspace.scope()
    items = workspace.table.items
    found = impls_of(name, items.values(), workspace.graph.edges, keep=test_filter(scope, args))
    return {"trait": name, "impls": _with_scope(workspace, scope, found)}


@op("methods")
async def methods(context: Context, args: dict[str, Any]) -> dict[str, Any]:
    """Inherent and trait methods of a type (``via_trait`` names the trait), and its traits."""
    workspace = context.workspace
    name = a.required_string(args, "name")
    path = a.string(args, "path")
    await workspace.writes.flushed()  # the type table is read from the store
    scope = workspace.scope()
    found, traits = methods_of(
        name,
        workspace.table.items.values(),
        workspace.graph.edges,
        workspace.relative(path) if path else "",
        workspace.store.type_heads,
        test_filter(scope, args),
    )
    return {"type": name, "methods": _with_scope(workspace, scope, found), "traits": traits}


def _with_scope(
    workspace: Workspace, scope: ItemScope, entries: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``impls``/``methods`` entries with the scope fields of the item each names by id."""
    items = workspace.table.items
    for entry in entries:
        entry.update(scope_fields(workspace, scope, items.get(entry["id"]), entry["path"]))
    return entries
