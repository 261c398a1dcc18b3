"""``subscribe``: a connection that receives pushed events from then on."""

from __future__ import annotations

from typing import Any

from rustragd.server.ops import args as a
from rustragd.server.ops.registry import Context, op

EVENTS = ("indexed", "progress", "error")


@op("subscribe")
async def subscribe(context: Context, args: dict[str, Any]) -> dict[str, Any]:
    """Push ``indexed`` (changed item ids), ``progress`` and ``error`` events.

    Follows the request's workspace, or every workspace with ``all``. After
    this response the connection only carries pushed frames (``"push": true``).
    """
    daemon = context.daemon
    root = None if a.boolean(args, "all") else context.workspace.root
    context.stream = daemon.events.subscribe(root)
    return {"subscribed": True, "root": str(root) if root else None, "events": list(EVENTS)}
