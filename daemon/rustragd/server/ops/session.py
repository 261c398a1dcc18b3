"""Ops about the daemon itself: hello, status, shutdown."""

from __future__ import annotations

import contextlib
import os
from typing import Any

from rustrag_protocol import CAPABILITIES, PROTOCOL_VERSION, ErrorCode, ProtocolError

from rustragd import __version__
from rustragd.server.ops import args as a
from rustragd.server.ops.registry import OPS, Context, op


@op("hello")
async def hello(context: Context, args: dict[str, Any]) -> dict[str, Any]:
    """Negotiate the protocol version and announce capabilities."""
    version = a.integer(args, "version", PROTOCOL_VERSION, minimum=1)
    if version != PROTOCOL_VERSION:
        raise ProtocolError(
            f"client speaks protocol v{version}, this daemon speaks v{PROTOCOL_VERSION}",
            ErrorCode.VERSION_MISMATCH,
            {"supported": [PROTOCOL_VERSION]},
        )
    return {
        "version": PROTOCOL_VERSION,
        "daemon": f"rustragd {__version__}",
        "pid": os.getpid(),
        "instance": context.daemon.clock.instance,
        "capabilities": list(CAPABILITIES),
        "ops": sorted(OPS),
    }


@op("status")
async def status(context: Context, args: dict[str, Any]) -> dict[str, Any]:
    """Daemon and index state."""
    daemon = context.daemon
    current = None
    if context.root:
        with contextlib.suppress(ProtocolError):  # the client's directory is in no workspace
            current = str(context.workspace.root)
    return {
        "current": current,
        "version": __version__,
        "pid": os.getpid(),
        "uptime_s": daemon.uptime(),
        "socket": str(daemon.config.socket_path),
        "state_dir": str(daemon.config.state_dir),
        "clock": str(daemon.clock),
        "workers": daemon.pool.workers,
        "pools": daemon.pool.describe(),
        "cluster": daemon.cluster_status(),
        "files_per_batch": daemon.files_per_batch,
        "embeddings": daemon.embeddings.describe(),
        "workspaces": [
            w.summary(watching=root in daemon.watchers) for root, w in daemon.workspaces.items()
        ],
    }


@op("shutdown")
async def shutdown(context: Context, args: dict[str, Any]) -> dict[str, Any]:
    """Stop the daemon gracefully once this response is sent."""
    context.daemon.stopping.set()
    return {"stopping": True, "pid": os.getpid()}
