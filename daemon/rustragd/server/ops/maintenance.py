"""Ops that change what is indexed: index, reindex, wait, forget."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from rustrag_protocol import ErrorCode, ProtocolError

from rustragd.server.ops import args as a
from rustragd.server.ops.registry import Context, op
from rustragd.workspace.state import Workspace, WorkspaceState


def _directory(path: str) -> Path:
    """The directory at ``path`` (absolute, checked by :func:`args.absolute`), resolved."""
    try:
        root = Path(os.path.realpath(path))
        exists, directory = root.exists(), root.is_dir()
    except OSError as exc:
        message = f"{path} cannot be read: {exc.strerror}"
        raise ProtocolError(message, ErrorCode.BAD_REQUEST) from exc
    if not exists:
        raise ProtocolError(f"{path} does not exist", ErrorCode.NOT_FOUND)
    if not directory:
        raise ProtocolError(f"{path} is not a directory", ErrorCode.BAD_REQUEST)
    return root


def _index_result(context: Context, workspace: Workspace, wait: bool) -> dict[str, Any]:
    return {
        "root": str(workspace.root),
        "files": len(workspace.files),
        "items": len(workspace.table),
        "took_ms": workspace.last_index_ms if wait else None,
        "state": workspace.state.value,
        "error": workspace.last_error,
        "cluster": context.daemon.cluster_status() if wait else None,
    }


async def _index(
    context: Context, workspace: Workspace, wait: bool, cluster: str | None = None
) -> dict[str, Any]:
    job = context.daemon.start_index(workspace, cluster)
    if wait:
        await asyncio.shield(asyncio.gather(job, return_exceptions=True))
        if workspace.state in (WorkspaceState.FAILED, WorkspaceState.MISSING):
            raise ProtocolError(
                f"indexing {workspace.root} failed: {workspace.last_error}", ErrorCode.INTERNAL
            )
        await context.daemon.wait_idle([workspace])
    return _index_result(context, workspace, wait)


@op("index")
async def index(context: Context, args: dict[str, Any]) -> dict[str, Any]:
    """Register a workspace and index it (``wait``: return once it is done)."""
    path = a.absolute_path(args, "path", required=True)
    assert path is not None
    workspace = context.daemon.add(_directory(path))
    cluster = a.string(args, "cluster")
    return await _index(context, workspace, a.boolean(args, "wait"), cluster)


@op("reindex")
async def reindex(context: Context, args: dict[str, Any]) -> dict[str, Any]:
    """Re-check every file of a workspace against the disk."""
    path = a.absolute_path(args, "path") or context.root
    workspace = context.daemon.workspace_containing(path)
    return await _index(context, workspace, a.boolean(args, "wait", default=True))


@op("wait")
async def wait(context: Context, args: dict[str, Any]) -> dict[str, Any]:
    """Return once every change made before this request has been applied."""
    daemon = context.daemon
    targets = [context.workspace] if context.root else list(daemon.workspaces.values())
    timeout = a.number(args, "timeout", a.SYNC_TIMEOUT_S)
    await asyncio.gather(*(daemon.sync(workspace, timeout) for workspace in targets))
    return {"clock": str(daemon.clock)}


@op("forget")
async def forget(context: Context, args: dict[str, Any]) -> dict[str, Any]:
    """Unregister a workspace and delete its state."""
    path = a.absolute_path(args, "path", required=True)
    assert path is not None
    root = Path(os.path.realpath(path))
    workspace = context.daemon.workspaces.get(root)
    if workspace is None:
        raise ProtocolError(f"{path} is not a registered workspace", ErrorCode.NOT_INDEXED)
    await context.daemon.forget(workspace)
    return {"root": str(root), "forgotten": True}
