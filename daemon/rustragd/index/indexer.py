"""Bulk indexing of a workspace: walk, hash, extract in workers, store in batches."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from rustragd.clock import Clock
from rustragd.graph.library import LibraryBlobs
from rustragd.index.libraries import (
    LibrarySource,
    WorkspaceLinks,
    build_library,
    cache_path,
    library_sources,
)
from rustragd.index.pool import IndexPool, Job, Unchanged, Unreadable
from rustragd.model import FileExtract, Item
from rustragd.project.cargo_sources import dependency_graph
from rustragd.project.crates import Placement, discover_crates, placements
from rustragd.project.walker import rust_sources
from rustragd.workspace.state import Workspace

log = logging.getLogger(__name__)


class WorkspaceMissing(Exception):
    """The workspace root is gone or is not a directory."""


#: Called after the retrieval indexes of a workspace changed (to start embedding).
Notify = Callable[[Workspace], None]


async def resolve_graph(workspace: Workspace, pool: IndexPool, notify: Notify) -> None:
    """Re-resolve the whole workspace's relations from the stored facts."""
    started = time.perf_counter()
    await workspace.writes.flushed()
    libraries = await load_libraries(workspace, pool)
    facts = await asyncio.to_thread(workspace.store.load_facts)
    files = sorted(facts.items())
    resolution = await pool.resolve(files, libraries, workspace.gates())
    workspace.keep_expansions(files, resolution.expansions)
    await _apply_while_storing(
        workspace,
        partial(workspace.store.replace_graph, resolution),
        partial(workspace.apply_resolution, resolution),
        resolution.items,
    )
    notify(workspace)
    workspace.last_resolve_ms = round((time.perf_counter() - started) * 1000, 1)


async def load_libraries(workspace: Workspace, pool: IndexPool | None) -> LibraryBlobs | None:
    """The interfaces of the workspace's dependencies and std, from the shared cache,
    those not there yet built first (in ``pool``'s workers, else in a thread); None
    when the workspace resolves no names beyond itself."""
    cache = workspace.library_cache
    if cache is None:
        return None
    started = time.perf_counter()
    found = await asyncio.to_thread(_workspace_links, workspace.root)
    paths = await asyncio.to_thread(lambda: [cache_path(cache, s) for s in found.sources])
    todo = [(s, p) for s, p in zip(found.sources, paths, strict=True) if not p.exists()]
    failed: list[str] = []
    for (source, path), built in zip(
        todo,
        await asyncio.gather(
            *(_build(pool, source) for source, _path in todo), return_exceptions=True
        ),
        strict=True,
    ):
        if isinstance(built, BaseException):
            log.warning("library %s not built: %s", source.label, built)
            failed.append(f"{source.label} ({built})")
        else:
            await asyncio.to_thread(_write_atomically, path, built)
    blobs = await asyncio.to_thread(lambda: tuple(p.read_bytes() for p in paths if p.exists()))
    libraries = LibraryBlobs(blobs, found.links)
    workspace.set_libraries(
        libraries,
        {
            "crates": len(blobs),
            "built": len(todo) - len(failed),
            "failed": failed,
            "std": found.std_missing or "found",
            "missing": found.missing,
            "bytes": sum(len(b) for b in blobs),
            "took_ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
    return libraries


def _workspace_links(root: Path) -> WorkspaceLinks:
    return library_sources(dependency_graph(root))


async def _build(pool: IndexPool | None, source: LibrarySource) -> bytes:
    if pool is None:
        return await asyncio.to_thread(build_library, source)
    return await pool.build_library(source)


def _write_atomically(path: Path, blob: bytes) -> None:
    """Write ``blob`` to ``path`` so that a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial_path = path.with_suffix(f".{os.getpid()}.tmp")
    partial_path.write_bytes(blob)
    partial_path.replace(path)


async def _store(
    workspace: Workspace, extracts: list[FileExtract], removed: list[str], notify: Notify
) -> None:
    await _apply_while_storing(
        workspace,
        partial(workspace.store.replace_files, extracts, removed),
        partial(workspace.apply, extracts, removed),
        [item for extract in extracts for item in extract.items],
    )
    notify(workspace)


async def _apply_while_storing(
    workspace: Workspace,
    write: Callable[[], None],
    apply: Callable[[], list[int]],
    items: list[Item],
) -> None:
    """Run the store ``write`` (Cozo, without the GIL) in a thread beside ``apply`` (the
    in-memory update, which returns the ids of the items gone) and the index update of
    ``items``."""
    stored = asyncio.get_running_loop().run_in_executor(None, write)
    gone = apply()
    await asyncio.gather(stored, asyncio.to_thread(workspace.semantic.update, items, gone))


def split_jobs(jobs: list[Job], workers: int, files_per_batch: int) -> list[list[Job]]:
    """``jobs`` in batches of at most ``files_per_batch`` files; a small workspace still
    gets a few batches per worker, so that every core has work."""
    size = max(1, min(files_per_batch, -(-len(jobs) // (workers * 4))))
    return [jobs[i : i + size] for i in range(0, len(jobs), size)]


def _plan(workspace: Workspace) -> tuple[list[Job], list[str], dict[str, Placement]]:
    """The files to extract, those removed, and where each file sits."""
    root = workspace.root
    if not root.is_dir():
        raise WorkspaceMissing(f"workspace root {root} does not exist or is not a directory")
    sources = list(rust_sources(root))
    placed = placements(root, discover_crates(root), sources)
    jobs: list[Job] = []
    for rel_path in sources:
        module, target, crate, gate = placed[rel_path]
        stat = workspace.files.get(rel_path)
        # A file that moved (a `mod` or Cargo.toml change: its module, target, package or
        # the cfg of its declarations) is re-extracted.
        place = ("::".join(module), target, crate, gate)
        same = stat is not None and (stat.module, stat.target, stat.crate, stat.gate) == place
        jobs.append((rel_path, module, stat.content_hash if stat is not None and same else ""))
    present = set(sources)
    removed = [path for path in workspace.files if path not in present]
    return jobs, removed, placed


async def index_workspace(
    workspace: Workspace, pool: IndexPool, clock: Clock, files_per_batch: int, notify: Notify
) -> None:
    """Bring the workspace's store in line with the files on disk (by content hash)."""
    started = time.perf_counter()
    await workspace.writes.flushed()  # live edits still being written
    jobs, removed, placed = await asyncio.to_thread(_plan, workspace)
    batches = split_jobs(jobs, pool.workers, files_per_batch)
    pending = {asyncio.ensure_future(pool.run(workspace.root, batch)) for batch in batches}
    try:
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            extracts: list[FileExtract] = []
            vanished: list[str] = []
            for future in done:
                for outcome in future.result():
                    if isinstance(outcome, FileExtract):
                        _, outcome.target, outcome.crate, outcome.gate = placed[outcome.path]
                        extracts.append(outcome)
                    elif isinstance(outcome, Unreadable):
                        log.warning("skipping %s: %s", outcome.path, outcome.reason)
                        if outcome.path in workspace.files:
                            vanished.append(outcome.path)
                    else:
                        assert isinstance(outcome, Unchanged)
            if extracts or vanished:
                await _store(workspace, extracts, vanished, notify)
                clock.advance()
        if removed:
            await _store(workspace, [], removed, notify)
            clock.advance()
        if workspace.graph_stale:
            await resolve_graph(workspace, pool, notify)
            clock.advance()
        elif workspace.libraries is None:  # a fresh graph from an earlier run: its hits
            await load_libraries(workspace, pool)
    finally:
        for future in pending:
            future.cancel()
    workspace.last_index_ms = round((time.perf_counter() - started) * 1000, 1)
    log.info(
        "indexed %s: %d files, %d items in %.0f ms",
        workspace.root,
        len(workspace.files),
        len(workspace.table),
        workspace.last_index_ms,
    )
