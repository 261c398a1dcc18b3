"""One registered workspace: its store, its in-memory symbol table and its index state."""

from __future__ import annotations

import asyncio
import re
import shutil
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import blake3

from rustragd.graph.adjacency import Adjacency
from rustragd.graph.incremental import IncrementalResolver, Update, facts_digest
from rustragd.graph.library import ItemTable, LibraryBlobs, LibraryItem, library_items
from rustragd.graph.structure import names
from rustragd.model import FileExtract, Item, Resolution
from rustragd.project.cfg import CfgSet, host_cfg
from rustragd.project.scope import ItemScope
from rustragd.search.semantic import EmbeddingModel, SemanticIndex
from rustragd.search.symbol_table import DERIVED, SymbolTable
from rustragd.store.graph_store import SCHEMA_VERSION, WRITE_BUFFER_MB, GraphStore
from rustragd.store.write_behind import WriteBehind
from rustragd.syntax.tree_cache import TreeCache
from rustragd.workspace.stats import LiveStats


def workspace_id(root: Path) -> str:
    """A readable, collision-free directory name for a workspace root."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", root.name)[:40] or "root"
    return f"{slug}-{blake3.blake3(str(root).encode()).hexdigest(length=8)}"


class WorkspaceState(StrEnum):
    """Where a workspace's index stands (``status`` shows the value)."""

    IDLE = "idle"
    """Opened, no index job run yet."""
    INDEXING = "indexing"
    READY = "ready"
    INTERRUPTED = "interrupted"
    """The index job was cancelled (a shutdown, a forget)."""
    MISSING = "missing"
    """The root vanished or is not a directory."""
    FAILED = "failed"


@dataclass(slots=True)
class FileStat:
    """What ``status`` reports about one file, and where it sits (its module path, its
    target kind and its package: a hit's ``target`` and ``crate``; strings held once)."""

    content_hash: str
    lines: int
    errors: int
    module: str
    target: str
    crate: str
    #: The ``#[cfg]`` of the ``mod`` declarations that reach it ("" none).
    gate: str = ""

    @classmethod
    def of(cls, extract: FileExtract) -> FileStat:
        """The stat of a freshly extracted file."""
        return cls(
            extract.content_hash,
            extract.lines,
            extract.error_count,
            extract.module,
            sys.intern(extract.target),
            sys.intern(extract.crate),
            extract.gate,
        )


def _drop_other_schemas(state_dir: Path) -> None:
    """Delete the workspace's state of other schema versions beside ``state_dir``: this
    daemon never reads it, and it may be hundreds of MB."""
    for other in state_dir.parent.glob("v*"):
        if other != state_dir and other.name[1:].isdigit() and other.is_dir():
            shutil.rmtree(other, ignore_errors=True)


class Workspace:
    """A workspace root and everything the daemon keeps about it."""

    def __init__(
        self,
        root: Path,
        state_root: Path,
        model: EmbeddingModel | None,
        write_buffer_mb: int = WRITE_BUFFER_MB,
    ) -> None:
        self.root = root
        self.id = workspace_id(root)
        self.state_dir = state_root / self.id / f"v{SCHEMA_VERSION}"
        _drop_other_schemas(self.state_dir)
        self.store = GraphStore(self.state_dir / "graph.db", write_buffer_mb)
        self.table = SymbolTable()
        self.graph = Adjacency()
        self.graph_stale = False
        self.files: dict[str, FileStat] = {}
        self._expansions: tuple[bytes, bytes] | None = None  # (facts digest, expansions)
        self.state = WorkspaceState.IDLE
        self.last_index_ms: float | None = None
        self.last_resolve_ms: float | None = None
        self.last_error: str | None = None
        self.job: asyncio.Task[None] | None = None
        #: Builds :attr:`resolver` after an index job, ahead of the first edit.
        self.warmup: asyncio.Task[None] | None = None
        self.idle = asyncio.Event()
        self.idle.set()
        self.write_lock = asyncio.Lock()
        """Held by whatever writes this workspace: a bulk index job or a watched batch."""
        self.live = LiveStats()
        self.writes = WriteBehind()
        """Live edits' store writes, run after the edit is queryable."""
        self.trees = TreeCache()
        """Trees of recently edited files, for incremental re-parsing."""
        self.resolver: IncrementalResolver | None = None
        """Resolver state kept between edits; None until built (see :attr:`warmup`)."""
        self.library_cache: Path | None = None
        """Where the shared library interfaces are kept; None: names stop at the workspace."""
        self.libraries: LibraryBlobs | None = None
        """The libraries the last resolution resolved into (set by the index job)."""
        self.library_status: dict[str, Any] = {}
        """What ``status`` says of them (crates, std, missing dependencies, build time)."""
        self._library_items: ItemTable | None = None
        #: Host cfg options by a crate's enabled features.
        self._cfg_sets: dict[tuple[str, ...], CfgSet] = {}
        self._load()
        self.semantic = SemanticIndex(self.store, self.state_dir / "vectors.hnsw", model)
        self.semantic.load()

    def _load(self) -> None:
        for (
            path,
            content_hash,
            lines,
            errors,
            module,
            target,
            crate,
            gate,
        ) in self.store.file_stats():
            stat = FileStat(
                content_hash, lines, errors, module, sys.intern(target), sys.intern(crate), gate
            )
            self.files[path] = stat
        by_path: dict[str, list[Item]] = {}
        for item in self.store.load_items():
            by_path.setdefault(item.path, []).append(item)
        for path, items in by_path.items():
            self.table.replace_file(path, items)
        self.table.replace_file(DERIVED, self.store.load_items("derived_item"))
        self.graph = Adjacency(self.store.load_edges())
        self.graph_stale = self.store.graph_stale()

    def apply_update(self, update: Update) -> list[int]:
        """Record a stored incremental resolution in memory; returns derived ids now gone."""
        self.graph.replace_paths(update.paths, update.edges)
        self.graph_stale = False
        if update.items is None:
            return []
        made = update.made
        if made is None:
            before = self.table.ids_of(DERIVED)
            self.table.replace_file(DERIVED, update.items)
            return sorted(before - {item.id for item in update.items})
        self.table.patch_group(DERIVED, made.added + made.updated + made.moved, made.removed)
        return sorted(made.removed)

    def set_libraries(self, libraries: LibraryBlobs, status: dict[str, Any]) -> None:
        """Take the libraries a resolution is made with (and forget their items' table)."""
        self.libraries, self.library_status = libraries, status
        self._library_items = None

    def gates(self) -> dict[str, str]:
        """The ``cfg`` of the ``mod`` declarations reaching each file that has one."""
        return {path: stat.gate for path, stat in self.files.items() if stat.gate}

    def library_item(self, ident: int) -> LibraryItem | None:
        """An item of a library by id (their table is made on first use)."""
        return self._libraries_table().get(ident)

    def find_library_items(self, query: str, kinds: frozenset[str] | None = None) -> list[int]:
        """Ids of the libraries' items (of ``kinds``, when given) that ``query`` names (a
        name, a qualified name or a ``::`` tail of one)."""
        return [
            ident
            for ident, item in self._libraries_table().items()
            if (kinds is None or item.kind in kinds) and names(item.qualified_name, query)
        ]

    def _libraries_table(self) -> ItemTable:
        if self.libraries is None:
            return ItemTable()
        if self._library_items is None:
            self._library_items = library_items(self.libraries)
        return self._library_items

    def keep_expansions(self, files: list[tuple[str, bytes]], expansions: bytes) -> None:
        """Keep what a resolution of ``files`` expanded, for the incremental resolver."""
        self._expansions = (facts_digest(files), expansions) if expansions else None

    def take_expansions(self, files: list[tuple[str, bytes]]) -> bytes:
        """The expansions kept, if they were made from exactly ``files`` (else b""); they
        are let go either way."""
        kept, self._expansions = self._expansions, None
        return kept[1] if kept is not None and kept[0] == facts_digest(files) else b""

    def apply_resolution(self, resolution: Resolution) -> list[int]:
        """Record a resolution in memory (as it is stored, or while it is being stored);
        returns the ids of derived items now gone."""
        before = self.table.ids_of(DERIVED)
        self.table.replace_file(DERIVED, resolution.items)
        self.graph = Adjacency(resolution.edges)
        self.graph_stale = False
        return sorted(before - {item.id for item in resolution.items})

    def apply(self, extracts: list[FileExtract], removed: list[str]) -> list[int]:
        """Record a batch in memory (as it is stored, or while it is being stored).

        Returns the ids of the items that are gone.
        """
        if extracts or removed:
            self.graph_stale = True
        before: set[int] = set()
        for path in [e.path for e in extracts] + removed:
            before |= self.table.ids_of(path)
        for extract in extracts:
            self.files[extract.path] = FileStat.of(extract)
            self.table.replace_file(extract.path, extract.items)
        for path in removed:
            self.files.pop(path, None)
            self.table.remove_file(path)
        return sorted(before - {item.id for e in extracts for item in e.items})

    def scope(self) -> ItemScope:
        """Which items are test code and which are compiled, as the workspace is now (for
        one answer)."""
        return ItemScope(self.table.items, self.files, self.table.named, self._cfg_options)

    def _cfg_options(self, crate: str) -> CfgSet | None:
        """The cfg options ``crate`` is built with (the host's and its features), None
        without libraries (dependencies off: its features are not read)."""
        links = self.libraries.links if self.libraries is not None else None
        found = (links.get(crate) or links.get("")) if links else None
        if found is None:
            return None
        options = self._cfg_sets.get(found.features)
        if options is None:
            options = self._cfg_sets[found.features] = host_cfg(found.features)
        return options

    def relative(self, path: str) -> str:
        """A path given by a client, as workspace-relative with ``/`` separators."""
        candidate = Path(path)
        if candidate.is_absolute():
            try:
                return candidate.relative_to(self.root).as_posix()
            except ValueError:
                return candidate.as_posix()
        return candidate.as_posix().removeprefix("./")

    def summary(self, watching: bool) -> dict[str, object]:
        """The workspace's part of ``status`` (``watching``: whether its files are watched)."""
        errors = [path for path, stat in self.files.items() if stat.errors]
        return {
            "root": str(self.root),
            "id": self.id,
            "state": self.state.value,
            "files": len(self.files),
            "lines": sum(stat.lines for stat in self.files.values()),
            "items": len(self.table),
            "items_by_kind": self.table.kind_counts(),
            "edges": self.graph.count,
            "parse_errors": sum(stat.errors for stat in self.files.values()),
            "files_with_errors": len(errors),
            "files_with_errors_sample": sorted(errors)[:10],
            "store_bytes": self.store.disk_bytes(),
            "state_dir": str(self.state_dir),
            "last_index_ms": self.last_index_ms,
            "last_resolve_ms": self.last_resolve_ms,
            "last_error": self.last_error,
            "libraries": self.library_status
            or ({"off": True} if self.library_cache is None else {"loaded": False}),
            "vectors": self.semantic.progress(),
            "watching": watching,
            "live": {
                **self.live.as_dict(),
                "store_ms": dict(self.writes.last_ms),
                "store_pending": self.writes.pending,
                "store_failures": self.writes.failures,
                "store_last_error": self.writes.last_error,
            },
        }

    def close(self) -> None:
        """Close the store."""
        self.store.close()
