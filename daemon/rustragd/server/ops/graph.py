"""Structural questions answered from the resolved graph.

callers, callees, uses, neighbors, impls, methods.
"""

from __future__ import annotations

from typing import Any

from rustrag_protocol import ErrorCode, ProtocolError

from rustragd.graph.structure import impls_of, methods_of, names
from rustragd.live.edit import load_resolver
from rustragd.model import Edge
from rustragd.project.scope import ItemScope
from rustragd.server.ops import args as a
from rustragd.server.ops.hits import library_hit, scope_fields, test_filter, to_hits
from rustragd.server.ops.registry import Context, op
from rustragd.workspace.state import Workspace

FUNCTIONS = frozenset({"function", "method"})
TYPES = frozenset({"struct", "enum", "union", "trait", "type_alias"})
MAX_DEPTH = 10
DEFAULT_LIMIT = 1000


def named_items(
    workspace: Workspace, query: str, kinds: frozenset[str], what: str
) -> list[tuple[int, str]]:
    """``(id, qualified name)`` of the items of ``kinds`` that ``query`` names: the
    workspace's, else its libraries' (``callers Vec::push``)."""
    found = [(item.id, item.qualified_name) for item in workspace.table.lookup(query, kinds)]
    if not found:
        library = workspace.find_library_items(query, kinds)
        found = [(ident, _library_name(workspace, ident)) for ident in library]
    if not found:
        raise ProtocolError(f"no {what} named {query!r} in {workspace.root}", ErrorCode.NOT_FOUND)
    return found


def _library_name(workspace: Workspace, ident: int) -> str:
    item = workspace.library_item(ident)
    return item.qualified_name if item is not None else ""


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


def _far_end(workspace: Workspace, scope: ItemScope, edge: Edge, ident: int) -> dict[str, Any]:
    """The hit of an edge's far end outside the workspace's items."""
    found = workspace.library_item(ident) if ident else None
    if found is not None:
        return library_hit(ident, found)
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
    query = a.item_name(args, "name")
    depth = min(a.integer(args, "depth", 1, minimum=1) or 1, MAX_DEPTH)
    limit = a.integer(args, "limit", DEFAULT_LIMIT, minimum=1) or DEFAULT_LIMIT
    targets = named_items(workspace, query, FUNCTIONS, "function or method")
    scope = workspace.scope()
    keep = test_filter(scope, args)
    items = workspace.table.items

    def keep_end(item_id: int) -> bool:  # an unresolved end (no item) is kept
        end = items.get(item_id)
        return end is None or keep is None or keep(end)

    starts = (ident for ident, _ in targets)
    ends = keep_end if keep is not None else None
    found = workspace.graph.walk(starts, "calls", forward, depth, limit, ends)
    return {
        "targets": [qualified for _, qualified in targets],
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
    targets = named_items(workspace, a.item_name(args, "name"), TYPES, "type")
    limit = a.integer(args, "limit", DEFAULT_LIMIT, minimum=1) or DEFAULT_LIMIT
    scope = workspace.scope()
    keep = test_filter(scope, args)
    items = workspace.table.items
    found = [
        (edge, 1)
        for ident, _ in targets
        for edge in workspace.graph.edges_to(ident, "uses_type")
        if keep is None or (user := items.get(edge.src)) is None or keep(user)
    ][:limit]
    return {
        "targets": [qualified for _, qualified in targets],
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
    name = a.item_name(args, "name")
    scope = workspace.scope()
    items = workspace.table.items
    found = impls_of(name, items.values(), workspace.graph.edges, keep=test_filter(scope, args))
    return {
        "trait": name,
        "traits": _trait_definitions(workspace, scope, name),
        "impls": _with_scope(workspace, scope, found),
    }


def _trait_definitions(workspace: Workspace, scope: ItemScope, name: str) -> list[dict[str, Any]]:
    """The traits ``name`` names that the answer is about: the workspace's, and those of
    its libraries that some impl implements (their hits name the crate they live in)."""
    local = workspace.table.lookup(name, frozenset({"trait"}))
    hits = to_hits(workspace, local, scope=scope)
    seen: set[int] = {item.id for item in local}
    for edge in workspace.graph.edges:
        if edge.rel != "implements" or edge.dst in seen or edge.dst in workspace.table.items:
            continue
        found = workspace.library_item(edge.dst) if edge.dst else None
        if found is not None and names(found.qualified_name, name):
            seen.add(edge.dst)
            hits.append(library_hit(edge.dst, found))
    return hits


@op("methods")
async def methods(context: Context, args: dict[str, Any]) -> dict[str, Any]:
    """Inherent and trait methods of a type (``via_trait`` names the trait), and its traits."""
    workspace = context.workspace
    name = a.item_name(args, "name")
    path = a.path(args, "path")
    await workspace.writes.flushed()  # the type table is read from the store
    scope = workspace.scope()
    if not path and not workspace.table.lookup(name, _METHOD_OWNERS):
        library = await _library_methods(workspace, name)
        if library is not None:
            return library
    found, traits = methods_of(
        name,
        workspace.table.items.values(),
        workspace.graph.edges,
        workspace.relative(path) if path else "",
        workspace.store.type_heads,
        test_filter(scope, args),
    )
    return {"type": name, "methods": _with_scope(workspace, scope, found), "traits": traits}


#: What ``methods`` answers for.
_METHOD_OWNERS = frozenset({"struct", "enum", "union"})


async def _library_methods(workspace: Workspace, name: str) -> dict[str, Any] | None:
    """``methods`` of a type of the libraries (``Vec``: std's), as the workspace's resolver
    has their impls registered; None when no library type is named ``name``."""
    types = workspace.find_library_items(name, _METHOD_OWNERS)
    if not types:
        return None
    async with workspace.write_lock:
        await load_resolver(workspace)
        resolver = workspace.resolver
        found = resolver.methods_of(set(types)) if resolver is not None else []
    methods: list[dict[str, Any]] = []
    traits: dict[str, None] = {}
    scope = workspace.scope()
    items = workspace.table.items
    for method, via in found:
        library = workspace.library_item(method)
        own = items.get(method)  # a workspace impl's method for the library type
        if library is not None:
            hit = library_hit(method, library)
        elif own is not None:
            hit = to_hits(workspace, [own], scope=scope)[0]
        else:
            continue
        trait = items.get(via) or workspace.library_item(via) if via else None
        via_trait = trait.name if trait is not None and trait.kind == "trait" else ""
        if via_trait:
            traits[via_trait] = None
        methods.append({key: hit[key] for key in _METHOD_FIELDS} | {"via_trait": via_trait})
    return {"type": name, "methods": methods, "traits": list(traits)}


#: The fields of a ``methods`` entry a library hit gives.
_METHOD_FIELDS = (
    "id",
    "name",
    "qualified_name",
    "path",
    "start_line",
    "end_line",
    "origin",
    "crate",
    "target",
    "test",
    "cfg_active",
)


def _with_scope(
    workspace: Workspace, scope: ItemScope, entries: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``impls``/``methods`` entries with the scope fields of the item each names by id."""
    items = workspace.table.items
    for entry in entries:
        entry.update(scope_fields(workspace, scope, items.get(entry["id"]), entry["path"]))
    return entries
