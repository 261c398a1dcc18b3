"""Items as the hits of the client contract."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rustragd.graph.library import LibraryItem
from rustragd.model import Item
from rustragd.project.scope import ItemScope
from rustragd.server.ops import args as a
from rustragd.workspace.state import Workspace

#: A hit's ``origin`` for an item of the workspace's own sources.
WORKSPACE = "workspace"


def test_filter(scope: ItemScope, args: dict[str, Any]) -> Callable[[Item], bool] | None:
    """With ``exclude_tests`` in ``args``, what keeps the items that are not test code;
    else None (keep every item)."""
    return (lambda item: not scope.is_test(item)) if a.exclude_tests(args) else None


def scope_fields(
    workspace: Workspace, scope: ItemScope, item: Item | None, path: str = ""
) -> dict[str, Any]:
    """``origin``, ``crate``, ``target``, ``test`` and ``cfg_active`` of ``item`` (without
    one, of the file at ``path``)."""
    path = item.path if item is not None else path
    stat = workspace.files.get(path)
    return {
        "origin": WORKSPACE,
        "crate": stat.crate if stat is not None else "",
        "target": stat.target if stat is not None else "lib",
        "test": scope.is_test(item) if item is not None else scope.file_is_test(path),
        "cfg_active": scope.is_compiled(item) if item is not None else True,
    }


def to_hits(
    workspace: Workspace,
    items: list[Item],
    scores: list[float] | None = None,
    scope: ItemScope | None = None,
) -> list[dict[str, Any]]:
    """Hits with doc and snippet read from the store in one query (from memory for
    items whose rows a live edit is still writing); ``scope`` (made here when not given)
    tells which are test code."""
    scope = scope if scope is not None else workspace.scope()
    unflushed = workspace.writes.unflushed
    details = workspace.store.item_details(
        (item.path, item.id) for item in items if item.id not in unflushed
    )
    details.update((i.id, (i.doc, i.snippet)) for i in items if i.id in unflushed)
    hits = []
    for position, item in enumerate(items):
        doc, snippet = details.get(item.id, ("", ""))
        hits.append(
            {
                "id": item.id,
                "kind": item.kind,
                "name": item.name,
                "qualified_name": item.qualified_name,
                "path": item.path,
                "start_line": item.start_line,
                "end_line": item.end_line,
                "signature": item.signature,
                "doc": doc,
                "snippet": snippet,
                "visibility": item.visibility,
                "score": scores[position] if scores else 1.0,
                **scope_fields(workspace, scope, item),
            }
        )
    return hits


def library_hit(ident: int, item: LibraryItem) -> dict[str, Any]:
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
        "cfg_active": True,  # a library's interface holds the items its build compiles
    }
