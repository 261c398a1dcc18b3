"""Applying watched changes: re-parse changed files, diff their items, write only the delta."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from rustragd.delta import Delta, diff_items
from rustragd.index.pool import content_hash
from rustragd.live.watcher import ChangeBatch
from rustragd.model import FileExtract
from rustragd.project.crates import discover_crates, module_paths
from rustragd.project.walker import rust_sources
from rustragd.syntax.extract import Segments, extract_segments

if TYPE_CHECKING:
    from rustragd.workspace.state import Workspace

log = logging.getLogger(__name__)


#: How many deltas ``status`` lists in ``live.recent``.
RECENT = 8


@dataclass(slots=True)
class LiveStats:
    """Per-stage timings of the last deltas and totals since start, for ``status``."""

    last_ms: dict[str, float] = field(default_factory=dict)
    """Work per stage of the last delta, after the debounce, until it is queryable (its
    store writes run after: :attr:`rustragd.store.write_behind.WriteBehind.last_ms`)."""
    last_wait_ms: float = 0.0
    """From the write of the last delta's oldest change until the daemon took it up."""
    recent: deque[dict[str, object]] = field(default_factory=lambda: deque(maxlen=RECENT))
    """The last :data:`RECENT` deltas: files, wait and per-stage milliseconds."""
    batches: int = 0
    files_seen: int = 0
    files_unchanged: int = 0
    items_added: int = 0
    items_updated: int = 0
    items_moved: int = 0
    items_removed: int = 0
    items_queued_for_embedding: int = 0
    items_skipped_by_hash: int = 0
    resolutions_incremental: int = 0
    resolutions_full: int = 0

    def as_dict(self) -> dict[str, object]:
        """A plain map."""
        found = {name: getattr(self, name) for name in self.__slots__}
        found["recent"] = list(self.recent)
        return found


#: A batch touching more files than this (a checkout, a rebase) goes to the bulk path,
#: which extracts in the worker pools and resolves once; file by file costs more there.
BULK_FILES = 64


def needs_full_pass(batch: ChangeBatch) -> bool:
    """Whether a batch changes the module tree or the file set (not just contents), or
    is big enough that the bulk index path applies it faster."""
    return bool(
        batch.rescan
        or batch.gitignore_changed
        or batch.manifests
        or batch.removed_dirs
        or len(batch.changed) + len(batch.removed) > BULK_FILES
    )


def _read_changed(workspace: Workspace, paths: set[str]) -> tuple[dict[str, bytes], float]:
    """The changed files' sources (content hash differs from the stored one), and the
    modification time of the oldest change among them (0 when none)."""
    sources = {}
    oldest = 0.0
    for path in sorted(paths):
        try:
            with open(workspace.root / path, "rb") as file:
                modified = os.fstat(file.fileno()).st_mtime
                source = file.read()
        except OSError:
            continue  # gone again: the next batch reports it removed
        oldest = min(oldest, modified) if oldest else modified
        stat = workspace.files.get(path)
        if stat is None or stat.content_hash != content_hash(source):
            sources[path] = source
    return sources, oldest


def _modules_for(workspace: Workspace, paths: list[str]) -> dict[str, list[str]]:
    known = {p: workspace.files[p].module.split("::") for p in paths if p in workspace.files}
    if len(known) < len(paths):  # a new file: place it in the module tree
        files = list(rust_sources(workspace.root))
        known.update(module_paths(workspace.root, discover_crates(workspace.root), files))
    return known


def _extract(
    workspace: Workspace,
    sources: dict[str, bytes],
    stored_extractions: dict[str, Segments | None],
    timings: dict[str, float],
) -> list[tuple[FileExtract, Delta]]:
    """Re-parse and extract each changed file and diff its items with the stored ones
    (those of its stored extraction when cached, see :func:`_last_extraction`)."""
    started = time.perf_counter()
    modules = _modules_for(workspace, list(sources))
    results = []
    for path, source in sources.items():
        module = modules.get(path) or [Path(path).stem]
        last = stored_extractions[path]
        tree, previous = workspace.trees.reparse(path, source)
        extract, segments = extract_segments(path, source, module, tree, previous)
        workspace.trees.keep_segments(path, segments)
        extract.module = "::".join(module)
        mark = time.perf_counter()
        timings["parse"] += mark - started
        stored = last.items if last is not None else workspace.store.items_of(path)
        results.append((extract, diff_items(stored, extract.items)))
        started = time.perf_counter()
        timings["diff"] += started - mark
    return results


def _last_extraction(workspace: Workspace, path: str) -> Segments | None:
    """The cached extraction of ``path`` when it is what the store holds (same source hash
    and module): its items are the stored ones, no need to read them."""
    stat = workspace.files.get(path)
    segments = workspace.trees.segments(path)
    if segments is None or stat is None:
        return None
    if segments.content_hash != stat.content_hash or segments.module != stat.module:
        return None
    return segments


@dataclass(frozen=True, slots=True)
class Applied:
    """What one applied batch changed."""

    files: list[str]
    changed_ids: list[int]
    removed_ids: list[int]
    facts: list[tuple[str, bytes]]
    """The changed files' new facts, for the resolver."""
    removed_files: list[str]


async def apply_batch(workspace: Workspace, batch: ChangeBatch) -> Applied | None:
    """Apply a batch of content changes and removals; None if nothing changed.

    The caller holds the workspace's write lock, re-resolves the graph after, then
    releases the store writes held meanwhile (``workspace.writes.release()``).
    """
    stats = workspace.live
    timings: dict[str, float] = defaultdict(float)
    started = time.perf_counter()
    sources, oldest = await asyncio.to_thread(_read_changed, workspace, batch.changed)
    stats.files_seen += len(batch.changed)
    stats.files_unchanged += len(batch.changed) - len(sources)
    timings["read"] = time.perf_counter() - started
    removed = sorted(p for p in batch.removed if p in workspace.files)
    if not sources and not removed:
        return None
    stored = {path: _last_extraction(workspace, path) for path in sources}
    if None in stored.values():
        await workspace.writes.flushed()  # their diff reads the items the last edits stored
    workspace.writes.hold()  # this batch's writes start once it is applied (the caller releases)
    # From the oldest change's write to its batch here: file events, debounce, queueing.
    waited = time.time() - oldest - timings["read"] if oldest else 0.0
    extracted = await asyncio.to_thread(_extract, workspace, sources, stored, timings)
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
    stats.last_ms = {stage: round(seconds * 1000, 3) for stage, seconds in timings.items()}
    stats.last_wait_ms = round(max(0.0, waited) * 1000, 3)
    # The resolver adds its stages to the same ``last_ms`` map after this returns.
    files = len(sources) + len(removed)
    stats.recent.append({"files": files, "wait_ms": stats.last_wait_ms, "ms": stats.last_ms})
    log.debug("applied %d changed and %d removed files", len(sources), len(removed))
    changed = [item.id for _, delta in extracted for item in delta.added + delta.updated]
    facts = [(extract.path, extract.facts) for extract in extracts]
    return Applied(sorted(sources) + removed, changed, gone, facts, removed)
