"""``query``: read-only CozoScript over a workspace's store."""

from __future__ import annotations

import asyncio
from typing import Any

from rustrag_protocol import ErrorCode, ProtocolError

from rustragd.server.ops import args as a
from rustragd.server.ops.registry import Context, op
from rustragd.store.graph_store import QueryFailed
from rustragd.store.read_only import QueryRefused


@op("query")
async def query(context: Context, args: dict[str, Any]) -> dict[str, Any]:
    """Run one read-only query (``script``) over the workspace's relations (see
    PROTOCOL.md): ``{headers, rows, took_ms, truncated}``, at most ``limit`` rows."""
    workspace = context.workspace
    config = context.daemon.config
    script = a.required_string(args, "script")
    limit = a.integer(args, "limit", config.query_max_rows, minimum=1)
    assert limit is not None
    await workspace.writes.flushed()  # the answer sees every change applied before it
    try:
        return await asyncio.to_thread(
            workspace.store.query, script, config.query_timeout_s, min(limit, config.query_max_rows)
        )
    except QueryRefused as exc:
        raise ProtocolError(f"query refused: {exc}", ErrorCode.BAD_REQUEST) from exc
    except QueryFailed as exc:
        raise ProtocolError(f"query failed: {exc}", ErrorCode.BAD_REQUEST) from exc
