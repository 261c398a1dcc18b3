"""Exact questions about a workspace's items: symbols, search, def."""

from __future__ import annotations

from typing import Any

from rustragd.server.ops import args as a
from rustragd.server.ops.hits import library_hit, test_filter, to_hits
from rustragd.server.ops.registry import Context, op


@op("symbols")
async def symbols(context: Context, args: dict[str, Any]) -> dict[str, Any]:
    """Every definition, optionally within a file or directory and of one kind."""
    workspace = context.workspace
    scope = workspace.scope()
    path = a.path(args, "path")
    items = workspace.table.symbols(workspace.relative(path) if path else None, a.kind(args))
    keep = test_filter(scope, args)
    if keep is not None:
        items = [item for item in items if keep(item)]
    limit = a.integer(args, "limit", None, minimum=1)
    return {"results": to_hits(workspace, items[:limit] if limit else items, scope=scope)}


@op("search")
async def search(context: Context, args: dict[str, Any]) -> dict[str, Any]:
    """Symbols by name: exact, then prefix, then substring, then fuzzy."""
    workspace = context.workspace
    scope = workspace.scope()
    limit = a.integer(args, "limit", 20, minimum=1) or 20
    keep = test_filter(scope, args)
    found = workspace.table.search(a.item_name(args, "name"), limit, a.kind(args), keep)
    return {"results": to_hits(workspace, [i for i, _ in found], [s for _, s in found], scope)}


@op("def")
async def definition(context: Context, args: dict[str, Any]) -> dict[str, Any]:
    """The definitions of a qualified name (or of a ``::``-suffix of one)."""
    workspace = context.workspace
    scope = workspace.scope()
    qualname = a.item_name(args, "qualname")
    items = workspace.table.definitions(qualname)
    keep = test_filter(scope, args)
    if keep is not None:
        items = [item for item in items if keep(item)]
    limit = a.integer(args, "limit", None, minimum=1)
    if not items:  # an item of a dependency or of std (`def Vec::push`)
        found = [
            library_hit(ident, item)
            for ident in workspace.find_library_items(qualname)
            if (item := workspace.library_item(ident)) is not None
        ]
        return {"results": found[:limit] if limit else found}
    return {"results": to_hits(workspace, items[:limit] if limit else items, scope=scope)}
