"""One edit of a watched workspace, whole: the resolver it needs, its files applied in
memory (queryable at once), the references it can change re-resolved, and its store
writes, held while it is applied and released behind it.

The daemon hands each batch of content changes to :func:`apply_edit` (a batch that
changes the module tree or the file set goes to the index job instead) and publishes
what it returns. :func:`prepare_edits` builds the resolver after an index job, ahead of
the first edit.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from rustragd.clock import Clock
from rustragd.graph.adjacency import store_delta
from rustragd.graph.incremental import IncrementalResolver, Update
from rustragd.heap import settle_heap
from rustragd.index.indexer import Notify, load_libraries, resolve_graph
from rustragd.index.pool import ExtractorPool
from rustragd.live.batch import extract_changed, last_extraction, read_changed
from rustragd.live.watcher import ChangeBatch
from rustragd.model import Edge
from rustragd.store.graph_store import GraphStore
from rustragd.syntax.extract import Segments
from rustragd.workspace.state import Workspace, WorkspaceState

__all__ = ["QUIET_S", "Applied", "apply_edit", "load_resolver", "prepare_edits"]

log = logging.getLogger(__name__)

#: Seconds without requests before background work that competes with queries starts.
QUIET_S = 1.0


@dataclass(frozen=True, slots=True)
class Applied:
    """What one applied batch changed."""

    files: list[str]
    changed_ids: list[int]
    removed_ids: list[int]
    facts: list[tuple[str, bytes]]
    """The changed files' new facts, for the resolver."""
    removed_files: list[str]


async def apply_edit(
    workspace: Workspace,
    batch: ChangeBatch,
    clock: Clock,
    pool: ExtractorPool,
    notify: Notify,
) -> Applied | None:
    """Apply a batch of content changes and removals as one edit; None if nothing changed.

    Takes the workspace's write lock, advances ``clock`` once the files are applied and
    calls ``notify`` whenever the retrieval indexes changed. The edit's store writes
    start once it is applied and re-resolved.
    """
    async with workspace.write_lock:
        await load_resolver(workspace)
        stats = workspace.live
        timings: dict[str, float] = defaultdict(float)
        started = time.perf_counter()
        sources, oldest = await asyncio.to_thread(read_changed, workspace, batch.changed)
        stats.files_seen += len(batch.changed)
        stats.files_unchanged += len(batch.changed) - len(sources)
        timings["read"] = time.perf_counter() - started
        removed = sorted(p for p in batch.removed if p in workspace.files)
        if not sources and not removed:
            return None
        stored = {path: last_extraction(workspace, path) for path in sources}
        if None in stored.values():
            await workspace.writes.flushed()  # their diff reads the items the last edits stored
        with workspace.writes.held():
            # From the oldest change's write to its batch here: events, debounce, queueing.
            waited = time.time() - oldest - timings["read"] if oldest else 0.0
            applied = await _apply(workspace, sources, removed, stored, timings, waited)
            clock.advance()
            notify(workspace)
            await _resolve(workspace, applied, pool, notify)
    return applied


async def _apply(
    workspace: Workspace,
    sources: dict[str, bytes],
    removed: list[str],
    stored: dict[str, Segments | None],
    timings: dict[str, float],
    waited: float,
) -> Applied:
    """Extract the changed files and record them in memory, their store write queued, and
    the delta in the live stats (``waited``: seconds from its oldest change to here)."""
    stats = workspace.live
    extracted = await asyncio.to_thread(extract_changed, workspace, sources, stored, timings)
    extracts = [extract for extract, _ in extracted]
    mark = time.perf_counter()
    gone = workspace.apply(extracts, removed)
    # Queries read the symbol table from here on; the store catches up behind.
    workspace.writes.submit(
        "store",
        partial(workspace.store.replace_files, extracts, removed),
        (item.id for extract in extracts for item in extract.items),
    )
    timings["apply"] = time.perf_counter() - mark
    mark = time.perf_counter()
    to_embed = [item for _, delta in extracted for item in delta.to_embed]
    queued = await asyncio.to_thread(workspace.semantic.update, to_embed, gone)
    timings["index"] = time.perf_counter() - mark
    for _, delta in extracted:
        stats.items_added += len(delta.added)
        stats.items_updated += len(delta.updated)
        stats.items_moved += len(delta.moved)
        stats.items_skipped_by_hash += delta.unchanged + len(delta.moved)
    stats.items_removed += len(gone)
    stats.items_queued_for_embedding += queued
    stats.batches += 1
    # The resolver adds its stages to the same map (see _resolve).
    stats.last_ms = {stage: round(seconds * 1000, 3) for stage, seconds in timings.items()}
    stats.last_wait_ms = round(max(0.0, waited) * 1000, 3)
    files = len(sources) + len(removed)
    stats.recent.append({"files": files, "wait_ms": stats.last_wait_ms, "ms": stats.last_ms})
    log.debug("applied %d changed and %d removed files", len(sources), len(removed))
    changed = [item.id for _, delta in extracted for item in delta.added + delta.updated]
    facts = [(extract.path, extract.facts) for extract in extracts]
    return Applied(sorted(sources) + removed, changed, gone, facts, removed)


async def _resolve(
    workspace: Workspace, applied: Applied, pool: ExtractorPool, notify: Notify
) -> None:
    """Re-resolve what an edit affects and queue that share of the graph's store write."""
    resolver = workspace.resolver
    assert resolver is not None
    last_ms = workspace.live.last_ms
    started = time.perf_counter()
    try:
        update = await asyncio.to_thread(resolver.update, applied.facts, applied.removed_files)
    except Exception:
        log.exception("incremental resolution failed; resolving %s again", workspace.root)
        workspace.resolver = None
        await resolve_graph(workspace, pool, notify)
        return
    stored = time.perf_counter()
    last_ms["resolve"] = round((stored - started) * 1000, 3)
    before = workspace.graph.edges_in(update.paths)
    gone = workspace.apply_update(update)
    made = update.made
    workspace.writes.submit(
        "graph store",
        partial(_store_graph_update, workspace.store, before, update),
        (item.id for item in made.added + made.updated + made.moved) if made else (),
    )
    if made is not None:  # only new text is indexed again; moves keep theirs
        await asyncio.to_thread(workspace.semantic.update, made.added + made.updated, gone)
        notify(workspace)
    last_ms["graph apply"] = round((time.perf_counter() - stored) * 1000, 3)
    workspace.live.resolutions_full += int(update.full)
    workspace.live.resolutions_incremental += int(not update.full)


def _store_graph_update(store: GraphStore, before: list[Edge], update: Update) -> None:
    """Write an incremental resolution: the edge rows that changed, new types, made items."""
    removed, added = store_delta(before, update.edges)
    store.patch_edges(removed, added, update.types, update.made)


async def load_resolver(workspace: Workspace) -> None:
    """Build the incremental resolver from the stored facts, if there is none yet.

    The caller holds the write lock.
    """
    if workspace.resolver is not None:
        return
    await workspace.writes.flushed()
    libraries = workspace.libraries
    if libraries is None:
        libraries = await load_libraries(workspace, None)
    facts = await asyncio.to_thread(workspace.store.load_facts)
    files = sorted(facts.items())
    expanded = await asyncio.to_thread(workspace.take_expansions, files)
    started = time.perf_counter()
    workspace.resolver = await asyncio.to_thread(
        IncrementalResolver, files, expanded, libraries, workspace.gates()
    )
    log.info(
        "%s: resolver for edits ready in %.0f ms (%s)",
        workspace.root,
        (time.perf_counter() - started) * 1000,
        "from the index job's expansions" if expanded else "expanding every file",
    )
    if not workspace.graph_stale:  # the same edges: keep one copy of each
        await asyncio.to_thread(workspace.graph.share, workspace.resolver.edges())
    settle_heap()
    if workspace.graph_stale:  # an earlier run stopped before resolving
        resolution = workspace.resolver.resolution
        await asyncio.to_thread(workspace.store.replace_graph, resolution)
        gone = workspace.apply_resolution(resolution)
        await asyncio.to_thread(workspace.semantic.update, resolution.items, gone)


async def prepare_edits(workspace: Workspace, last_request: Callable[[], float]) -> None:
    """After an index job, build the resolver the first edit needs (edits wait for it),
    once no request came for :data:`QUIET_S` (``last_request`` tells when the last one
    came): building it takes the CPU for seconds, and queries right after an index
    should not wait on it."""
    while (quiet := time.monotonic() - last_request()) < QUIET_S:
        await asyncio.sleep(QUIET_S - quiet)
    try:
        async with workspace.write_lock:
            if workspace.state == WorkspaceState.READY:
                await load_resolver(workspace)
    except Exception:
        log.exception("preparing %s for edits failed; the next edit retries", workspace.root)
        workspace.resolver = None
