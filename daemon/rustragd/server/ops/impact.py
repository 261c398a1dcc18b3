"""``impact`` (what a change to an item reaches) and ``changed`` (the items a diff or a
git revision range touches, and their impact)."""

from __future__ import annotations

import asyncio
import subprocess
from collections import defaultdict
from typing import Any

from rustrag_protocol import ErrorCode, ProtocolError

from rustragd.graph.impact import changed_lines, items_touched, reach
from rustragd.model import Item
from rustragd.project.scope import ItemScope
from rustragd.server.ops import args as a
from rustragd.server.ops.graph import FUNCTIONS, MAX_DEPTH, TYPES, named_items
from rustragd.server.ops.hits import to_hits
from rustragd.server.ops.registry import Context, op
from rustragd.workspace.state import Workspace

#: Items ``impact`` answers at most (``limit`` lowers it).
IMPACT_LIMIT = 2000
#: The largest diff ``changed`` reads (bytes), from the request or from git.
MAX_DIFF = 16 << 20
#: Seconds ``git diff`` may take.
GIT_TIMEOUT_S = 30.0


def _impact(
    workspace: Workspace, scope: ItemScope, starts: list[int], depth: int, limit: int
) -> dict[str, Any]:
    """The items ``starts`` reach: hits with ``depth``, ``rel`` and ``confidence``, by
    depth and file, and the test items among them."""
    reached = reach(workspace.graph, starts, depth, limit)
    items = workspace.table.items
    known = [(r, items[r.id]) for r in reached if r.id in items]
    hits = to_hits(workspace, [item for _, item in known], scope=scope)
    levels: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for (found, item), hit in zip(known, hits, strict=True):
        hit.update(
            depth=found.depth,
            rel=found.edge.rel,
            confidence=found.edge.confidence,
            site_path=found.edge.path,
            site_line=found.edge.line,
        )
        levels[found.depth][item.path].append(item.qualified_name)
    return {
        "results": hits,
        "levels": [
            {"depth": level, "files": dict(sorted(files.items()))}
            for level, files in sorted(levels.items())
        ],
        "tests": [hit["qualified_name"] for hit in hits if hit["test"]],
        "truncated": len(reached) >= limit,
    }


def _bounds(args: dict[str, Any]) -> tuple[int, int]:
    depth = min(a.integer(args, "depth", 3, minimum=1) or 3, MAX_DEPTH)
    limit = min(a.integer(args, "limit", IMPACT_LIMIT, minimum=1) or IMPACT_LIMIT, IMPACT_LIMIT)
    return depth, limit


@op("impact")
async def impact(context: Context, args: dict[str, Any]) -> dict[str, Any]:
    """What a change to a function, method, type or trait reaches (``depth`` levels,
    default 3): transitive callers, users of a type, impls and their callers."""
    workspace = context.workspace
    targets = named_items(workspace, a.item_name(args, "name"), FUNCTIONS | TYPES, "item")
    depth, limit = _bounds(args)
    found = _impact(workspace, workspace.scope(), [ident for ident, _ in targets], depth, limit)
    return {"targets": [qualified for _, qualified in targets], **found}


@op("changed")
async def changed(context: Context, args: dict[str, Any]) -> dict[str, Any]:
    """The items a unified diff (``diff``) or a git revision range (``since``: the working
    tree against it) touches, and their impact."""
    workspace = context.workspace
    diff = a.string(args, "diff")
    since = a.string(args, "since")
    if (diff is None) == (since is None):
        raise ProtocolError(
            "give one of 'diff' (a unified diff) or 'since' (a git revision)", ErrorCode.BAD_REQUEST
        )
    if diff is None:
        assert since is not None
        diff = await asyncio.to_thread(_git_diff, workspace, since)
    if len(diff) > MAX_DIFF:
        raise ProtocolError(f"the diff is over {MAX_DIFF} bytes", ErrorCode.TOO_LARGE)
    ranges = {workspace.relative(path): lines for path, lines in changed_lines(diff).items()}
    touched: dict[int, Item] = {
        item.id: item for item in items_touched(workspace.table.items.values(), ranges)
    }
    depth, limit = _bounds(args)
    scope = workspace.scope()
    found = _impact(workspace, scope, list(touched), depth, limit)
    return {
        "files": sorted(ranges),
        "changed": to_hits(workspace, list(touched.values()), scope=scope),
        **found,
    }


def _git_diff(workspace: Workspace, since: str) -> str:
    """``git diff --unified=0 SINCE`` in the workspace (nothing written)."""
    if since.startswith("-") or "\0" in since or len(since) > 256:
        raise ProtocolError(f"not a git revision: {a.shown(since)}", ErrorCode.BAD_REQUEST)
    try:
        done = subprocess.run(
            ["git", "-C", str(workspace.root), "diff", "--no-color", "--unified=0", since, "--"],
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ProtocolError(f"git diff failed: {exc}", ErrorCode.BAD_REQUEST) from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()[:300]
        raise ProtocolError(f"git diff {since} failed: {message}", ErrorCode.BAD_REQUEST)
    if len(done.stdout) > MAX_DIFF:
        raise ProtocolError(f"the diff is over {MAX_DIFF} bytes", ErrorCode.TOO_LARGE)
    return done.stdout.decode("utf-8", "replace")
