"""The daemon's state: workspaces, their index jobs, the worker pool and the clock."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import shutil
import time
from functools import partial
from pathlib import Path

from rustrag_protocol import ErrorCode, ProtocolError

from rustragd.clock import Clock
from rustragd.graph.adjacency import store_delta
from rustragd.graph.incremental import IncrementalResolver, Update
from rustragd.index.indexer import WorkspaceMissing, index_workspace, resolve_graph
from rustragd.index.machine import default_batch_files, l3_bytes
from rustragd.index.pool import ExtractorPool
from rustragd.live.batch import Applied, apply_batch, needs_full_pass
from rustragd.live.watcher import ChangeBatch, WorkspaceWatcher
from rustragd.model import Edge
from rustragd.search.semantic import EmbeddingModel, SemanticIndex
from rustragd.server.config import Config
from rustragd.server.embeddings import EmbeddingService
from rustragd.server.events import EventHub
from rustragd.store.graph_store import GraphStore
from rustragd.workspace.state import Workspace

log = logging.getLogger(__name__)

REGISTRY_FILE = "workspaces.json"
#: Seconds without requests before background work that competes with queries starts.
QUIET_S = 1.0


def settle_heap() -> None:
    """Take what the daemon now holds for good (items, graphs, resolvers: millions of
    objects) out of the cyclic collector's passes, which otherwise land in the middle of
    edits (a third of an edit's resolve time here). Those structures hold no reference
    cycles, so reference counting still frees them when they are replaced; a collection
    first keeps garbage cycles of the moment (tracebacks, finished tasks) out of it."""
    gc.collect()
    gc.freeze()


class Daemon:
    """Owns every workspace and the work done on them."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.clock = Clock()
        self.started = time.monotonic()
        #: When the last request came (the server sets it); background work waits for quiet.
        self.last_request = 0.0
        self.pool = ExtractorPool(config.workers)
        self.files_per_batch = config.files_per_batch or default_batch_files(
            self.pool.workers, l3_bytes()
        )
        self.workspaces: dict[Path, Workspace] = {}
        self.stopping = asyncio.Event()
        self.events = EventHub()
        self.embeddings = EmbeddingService(
            config, lambda: [w.semantic for w in self.workspaces.values()], self._embedded
        )
        self.model: EmbeddingModel | None = None

    async def start(self) -> None:
        """Load the embedding model (when enabled), then reopen the registered workspaces."""
        if self.config.embeddings:
            self.model = await asyncio.to_thread(self.embeddings.load)
            self.embeddings.start()
        self.restore()

    # -- registry -----------------------------------------------------------------------

    @property
    def _registry_path(self) -> Path:
        return self.config.state_dir / REGISTRY_FILE

    def _save_registry(self) -> None:
        self.config.state_dir.mkdir(parents=True, exist_ok=True)
        temporary = self._registry_path.with_suffix(".tmp")
        roots = sorted(str(root) for root in self.workspaces)
        temporary.write_text(json.dumps({"workspaces": roots}, indent=1))
        os.replace(temporary, self._registry_path)

    def restore(self) -> None:
        """Reopen the workspaces registered before, and reconcile each with the disk."""
        try:
            roots = json.loads(self._registry_path.read_text())["workspaces"]
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError) as exc:
            log.error("ignoring unreadable %s: %s", self._registry_path, exc)
            return
        for root in roots:
            try:
                workspace = self._open(Path(root))
            except Exception as exc:
                log.error("cannot reopen workspace %s: %s", root, exc)
                continue
            self.start_index(workspace)

    # -- workspaces ---------------------------------------------------------------------

    def _open(self, root: Path) -> Workspace:
        workspace = Workspace(root, self.config.state_dir, self.model)
        self.workspaces[root] = workspace
        self.semantic_changed(workspace)
        if self.config.watch:
            workspace.watcher = WorkspaceWatcher(
                root,
                lambda batch: self._on_batch(workspace, batch),
                debounce_ms=self.config.debounce_ms,
                step_ms=self.config.step_ms,
            )
            workspace.watch_task = asyncio.create_task(workspace.watcher.run())
        return workspace

    async def _on_batch(self, workspace: Workspace, batch: ChangeBatch) -> None:
        """Apply one batch of watched changes (the watcher sends them one at a time)."""
        if batch.root_missing:
            workspace.state = "missing"
            workspace.last_error = f"workspace root {workspace.root} vanished"
            return
        if needs_full_pass(batch):
            await asyncio.gather(self.start_index(workspace), return_exceptions=True)
            return
        async with workspace.write_lock:
            await self._load_resolver(workspace)
            try:
                applied = await apply_batch(workspace, batch)
                if applied is None:
                    return
                self.clock.advance()
                self.semantic_changed(workspace)
                await self._resolve_edit(workspace, applied)
            finally:
                workspace.writes.release()
            self.events.publish(
                "indexed",
                workspace.root,
                clock=self.clock.advance(),
                files=applied.files,
                changed=applied.changed_ids,
                removed=applied.removed_ids,
            )

    async def _load_resolver(self, workspace: Workspace) -> None:
        """Build the incremental resolver from the stored facts, if there is none yet.

        The caller holds the write lock.
        """
        if workspace.resolver is not None:
            return
        await workspace.writes.flushed()
        facts = await asyncio.to_thread(workspace.store.load_facts)
        files = sorted(facts.items())
        expanded = await asyncio.to_thread(workspace.take_expansions, files)
        started = time.perf_counter()
        workspace.resolver = await asyncio.to_thread(IncrementalResolver, files, expanded)
        log.info(
            "%s: resolver for edits ready in %.0f ms (%s)",
            workspace.root,
            (time.perf_counter() - started) * 1000,
            "from the index job's expansions" if expanded else "expanding every file",
        )
        settle_heap()
        if workspace.graph_stale:  # an earlier run stopped before resolving
            resolution = workspace.resolver.resolution
            await asyncio.to_thread(workspace.store.replace_graph, resolution)
            gone = workspace.apply_resolution(resolution)
            await asyncio.to_thread(workspace.semantic.update, resolution.items, gone)

    async def _prepare_edits(self, workspace: Workspace) -> None:
        """After an index job, build the resolver the first edit needs (edits wait for it),
        once no request came for :data:`QUIET_S`: building it takes the CPU for seconds,
        and queries right after an index should not wait on it."""
        while (quiet := time.monotonic() - self.last_request) < QUIET_S:
            await asyncio.sleep(QUIET_S - quiet)
        try:
            async with workspace.write_lock:
                if workspace.state == "ready":
                    await self._load_resolver(workspace)
        except Exception:
            log.exception("preparing %s for edits failed; the next edit retries", workspace.root)
            workspace.resolver = None

    async def _resolve_edit(self, workspace: Workspace, applied: Applied) -> None:
        """Re-resolve what an edit affects and store that share of the graph."""
        resolver = workspace.resolver
        assert resolver is not None
        last_ms = workspace.live.last_ms
        started = time.perf_counter()
        try:
            update = await asyncio.to_thread(resolver.update, applied.facts, applied.removed_files)
        except Exception:
            log.exception("incremental resolution failed; resolving %s again", workspace.root)
            workspace.resolver = None
            await resolve_graph(workspace, self.pool, self.semantic_changed)
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
            self.semantic_changed(workspace)
        last_ms["graph apply"] = round((time.perf_counter() - stored) * 1000, 3)
        workspace.live.resolutions_full += int(update.full)
        workspace.live.resolutions_incremental += int(not update.full)

    async def sync(self, workspace: Workspace, timeout: float) -> None:
        """Return once every change made before the call is applied, vectors included."""
        if workspace.watcher is not None and workspace.root.is_dir():
            try:
                await workspace.watcher.cookie(timeout)
            except TimeoutError:
                raise ProtocolError(
                    f"changes in {workspace.root} were not applied within {timeout} s",
                    ErrorCode.TIMEOUT,
                ) from None
            except RuntimeError as exc:  # the watcher stopped or a batch failed
                log.warning("cookie for %s: %s", workspace.root, exc)
        await self.wait_idle([workspace])

    def semantic_changed(self, workspace: Workspace) -> None:
        """Start embedding what a workspace has pending; tell subscribers how far it is."""
        if workspace.semantic.pending:
            workspace.semantic.idle.clear()
            self.embeddings.wake()
        self.publish_progress(workspace)

    def publish_progress(self, workspace: Workspace) -> None:
        """A ``progress`` event for the workspace's subscribers."""
        if self.events.subscribers:
            self.events.publish(
                "progress",
                workspace.root,
                state=workspace.state,
                files=len(workspace.files),
                items=len(workspace.table),
                vectors=workspace.semantic.progress(),
            )

    def _embedded(self, index: SemanticIndex) -> None:
        for workspace in self.workspaces.values():
            if workspace.semantic is index:
                self.publish_progress(workspace)

    def add(self, root: Path) -> Workspace:
        """Register ``root`` (an absolute, resolved directory) and return its workspace."""
        workspace = self.workspaces.get(root)
        if workspace is None:
            workspace = self._open(root)
            self._save_registry()
        return workspace

    def resolve(self, path: str | None) -> Workspace:
        """The registered workspace containing ``path`` (the innermost one)."""
        if not path:
            if len(self.workspaces) == 1:
                return next(iter(self.workspaces.values()))
            raise ProtocolError(
                "no workspace given: pass root (the client sends its working directory)",
                ErrorCode.BAD_REQUEST,
            )
        target = Path(os.path.abspath(path))
        best: Workspace | None = None
        for root, workspace in self.workspaces.items():
            if (target == root or root in target.parents) and (
                best is None or len(root.parts) > len(best.root.parts)
            ):
                best = workspace
        if best is None:
            raise ProtocolError(
                f"{target} is not in an indexed workspace; run `rustrag-client index PATH` first",
                ErrorCode.NOT_INDEXED,
            )
        return best

    async def forget(self, workspace: Workspace) -> None:
        """Stop indexing, close the store, delete its state and unregister."""
        await self.cancel_index(workspace)
        await self._stop_watching(workspace)
        del self.workspaces[workspace.root]
        workspace.semantic.pending.clear()
        workspace.semantic.idle.set()
        self._save_registry()
        await workspace.writes.flushed()
        await asyncio.to_thread(workspace.close)
        await asyncio.to_thread(shutil.rmtree, workspace.state_dir.parent, True)

    # -- index jobs ---------------------------------------------------------------------

    def start_index(self, workspace: Workspace) -> asyncio.Task[None]:
        """Start (or return the running) index job of a workspace."""
        if workspace.job is not None and not workspace.job.done():
            return workspace.job
        workspace.idle.clear()
        workspace.state = "indexing"
        workspace.job = asyncio.create_task(self._run_index(workspace))
        return workspace.job

    async def _run_index(self, workspace: Workspace) -> None:
        try:
            async with workspace.write_lock:
                workspace.resolver = None  # rebuilt after the job (see _prepare_edits)
                await index_workspace(
                    workspace, self.pool, self.clock, self.files_per_batch, self.semantic_changed
                )
            workspace.state = "ready"
            workspace.last_error = None
            settle_heap()
            self.events.publish(
                "indexed",
                workspace.root,
                clock=str(self.clock),
                full=True,
                files=len(workspace.files),
                items=len(workspace.table),
            )
        except asyncio.CancelledError:
            workspace.state = "interrupted"
            raise
        except WorkspaceMissing as exc:
            workspace.state = "missing"
            workspace.last_error = str(exc)
            log.warning("%s", exc)
            self.events.publish("error", workspace.root, message=str(exc))
        except Exception as exc:
            workspace.state = "failed"
            workspace.last_error = f"{type(exc).__name__}: {exc}"
            log.exception("indexing %s failed", workspace.root)
            self.events.publish("error", workspace.root, message=workspace.last_error)
        finally:
            workspace.idle.set()
        if workspace.state == "ready" and workspace.watcher is not None:
            if workspace.warmup is not None:
                workspace.warmup.cancel()  # an earlier job's, still waiting for quiet
            workspace.warmup = asyncio.create_task(self._prepare_edits(workspace))

    async def _stop_watching(self, workspace: Workspace) -> None:
        if workspace.watcher is not None and workspace.watch_task is not None:
            workspace.watcher.stop()
            await asyncio.gather(workspace.watch_task, return_exceptions=True)
            workspace.watcher = workspace.watch_task = None

    async def cancel_index(self, workspace: Workspace) -> None:
        """Cancel a running index job (and the resolver warm-up after it); wait until stopped."""
        for job in (workspace.job, workspace.warmup):
            if job is not None and not job.done():
                job.cancel()
                await asyncio.gather(job, return_exceptions=True)

    async def wait_idle(self, workspaces: list[Workspace]) -> None:
        """Return once none of ``workspaces`` has work in flight, vectors included."""
        for workspace in workspaces:
            await workspace.idle.wait()
            await workspace.semantic.idle.wait()

    # -- lifecycle ----------------------------------------------------------------------

    def uptime(self) -> float:
        """Seconds since start."""
        return round(time.monotonic() - self.started, 3)

    async def close(self) -> None:
        """Stop every job, save the vector indexes, close every store and the worker pool."""
        for workspace in list(self.workspaces.values()):
            await self._stop_watching(workspace)
            await self.cancel_index(workspace)
        await self.embeddings.close()
        for workspace in list(self.workspaces.values()):
            await workspace.writes.flushed()
            await asyncio.to_thread(workspace.close)
        await asyncio.to_thread(self.pool.shutdown)


def _store_graph_update(store: GraphStore, before: list[Edge], update: Update) -> None:
    """Write an incremental resolution: the edge rows that changed, new types, made items."""
    removed, added = store_delta(before, update.edges)
    store.patch_edges(removed, added, update.types, update.made)
