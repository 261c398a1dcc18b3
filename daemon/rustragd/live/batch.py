"""Reading and extracting a batch of watched changes: which files changed, their new
items and the delta against the stored ones (:mod:`rustragd.live.edit` applies it)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from rustragd.delta import Delta, diff_items
from rustragd.ids import content_hash
from rustragd.live.watcher import ChangeBatch
from rustragd.model import FileExtract
from rustragd.project.crates import Placement, discover_crates, placements
from rustragd.project.walker import rust_sources
from rustragd.syntax.extract import Segments, extract_segments
from rustragd.workspace.state import Workspace

__all__ = ["BULK_FILES", "extract_changed", "last_extraction", "needs_full_pass", "read_changed"]

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


def read_changed(workspace: Workspace, paths: set[str]) -> tuple[dict[str, bytes], float]:
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


def _placements_for(workspace: Workspace, paths: list[str]) -> dict[str, Placement]:
    """Where each of ``paths`` sits: as stored for known files; a new one is placed."""
    files = workspace.files
    known = {
        p: Placement(files[p].module.split("::"), files[p].target, files[p].crate, files[p].gate)
        for p in paths
        if p in files
    }
    if len(known) < len(paths):  # a new file: place it in the module tree
        sources = list(rust_sources(workspace.root))
        known.update(placements(workspace.root, discover_crates(workspace.root), sources))
    return known


def extract_changed(
    workspace: Workspace,
    sources: dict[str, bytes],
    stored_extractions: dict[str, Segments | None],
    timings: dict[str, float],
) -> list[tuple[FileExtract, Delta]]:
    """Re-parse and extract each changed file and diff its items with the stored ones
    (those of its stored extraction when cached, see :func:`last_extraction`)."""
    started = time.perf_counter()
    placed = _placements_for(workspace, list(sources))
    results = []
    for path, source in sources.items():
        place = placed.get(path) or Placement([Path(path).stem], "lib", Path(path).stem)
        module = place.module
        last = stored_extractions[path]
        tree, previous = workspace.trees.reparse(path, source)
        extract, segments = extract_segments(path, source, module, tree, previous)
        workspace.trees.keep_segments(path, segments)
        extract.module = "::".join(module)
        extract.target, extract.crate, extract.gate = place.target, place.crate, place.gate
        mark = time.perf_counter()
        timings["parse"] += mark - started
        stored = last.items if last is not None else workspace.store.items_of(path)
        results.append((extract, diff_items(stored, extract.items)))
        started = time.perf_counter()
        timings["diff"] += started - mark
    return results


def last_extraction(workspace: Workspace, path: str) -> Segments | None:
    """The cached extraction of ``path`` when it is what the store holds (same source hash
    and module): its items are the stored ones, no need to read them."""
    stat = workspace.files.get(path)
    segments = workspace.trees.segments(path)
    if segments is None or stat is None:
        return None
    if segments.content_hash != stat.content_hash or segments.module != stat.module:
        return None
    return segments
