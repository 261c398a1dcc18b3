"""Items as the hits of the client contract."""

from __future__ import annotations

from typing import Any

from rustragd.model import Item
from rustragd.workspace.state import Workspace


def to_hits(
    workspace: Workspace, items: list[Item], scores: list[float] | None = None
) -> list[dict[str, Any]]:
    """Hits with doc and snippet read from the store in one query (from memory for
    items whose rows a live edit is still writing)."""
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
            }
        )
    return hits
