"""The daemon's state: workspaces, their index jobs, the worker pool and the clock."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import time
from pathlib import Path
from typing import Any

from rustrag_protocol import ErrorCode, ProtocolError

from rustragd.clock import Clock
from rustragd.heap import settle_heap
from rustragd.index.cluster import (
    ClusterPool,
    ClusterUnavailable,
    connect,
    disconnect,
    fallback_status,
)
from rustragd.index.indexer import WorkspaceMissing, index_workspace
from rustragd.index.machine import default_batch_files, l3_bytes
from rustragd.index.pool import ExtractorPool, IndexPool
from rustragd.live.batch import needs_full_pass
from rustragd.live.edit import apply_edit, prepare_edits
from rustragd.live.watcher import ChangeBatch, WorkspaceWatcher
from rustragd.search.semantic import EmbeddingModel, SemanticIndex
from rustragd.server.config import Config
from rustragd.server.embeddings import EmbeddingService
from rustragd.server.events import EventHub
from rustragd.workspace.state import Workspace, WorkspaceState

log = logging.getLogger(__name__)

REGISTRY_FILE = "workspaces.json"


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
        self.watchers: dict[Path, tuple[WorkspaceWatcher, asyncio.Task[None]]] = {}
        """Each watched workspace's watcher and the task that runs it."""
        self.stopping = asyncio.Event()
        self.events = EventHub()
        self.embeddings = EmbeddingService(
            config, lambda: [w.semantic for w in self.workspaces.values()], self._embedded
        )
        self.model: EmbeddingModel | None = None
        self.cluster: ClusterPool | None = None
        """The cluster the last index job that asked for one ran on."""
        self.cluster_fallback: dict[str, Any] | None = None
        """Why the last index job that asked for a cluster ran locally (None: it did not)."""

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
        workspace = Workspace(
            root, self.config.state_dir, self.model, self.config.store_write_buffer_mb
        )
        workspace.library_cache = self.config.libraries_dir()
        self.workspaces[root] = workspace
        self.semantic_changed(workspace)
        if self.config.watch:
            watcher = WorkspaceWatcher(
                root,
                lambda batch: self._on_batch(workspace, batch),
                debounce_ms=self.config.debounce_ms,
                step_ms=self.config.step_ms,
            )
            self.watchers[root] = (watcher, asyncio.create_task(watcher.run()))
        return workspace

    async def _on_batch(self, workspace: Workspace, batch: ChangeBatch) -> None:
        """Apply one batch of watched changes (the watcher sends them one at a time)."""
        if batch.root_missing:
            workspace.state = WorkspaceState.MISSING
            workspace.last_error = f"workspace root {workspace.root} vanished"
            return
        if needs_full_pass(batch):
            await asyncio.gather(self.start_index(workspace), return_exceptions=True)
            return
        applied = await apply_edit(workspace, batch, self.clock, self.pool, self.semantic_changed)
        if applied is not None:
            self.events.publish(
                "indexed",
                workspace.root,
                clock=self.clock.advance(),
                files=applied.files,
                changed=applied.changed_ids,
                removed=applied.removed_ids,
            )

    async def sync(self, workspace: Workspace, timeout: float) -> None:
        """Return once every change made before the call is applied, vectors included."""
        watched = self.watchers.get(workspace.root)
        if watched is not None and workspace.root.is_dir():
            try:
                await watched[0].cookie(timeout)
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
                state=workspace.state.value,
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

    def workspace_containing(self, path: str | None) -> Workspace:
        """The registered workspace containing ``path`` (the innermost one; the only one
        when ``path`` is empty)."""
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

    def start_index(self, workspace: Workspace, cluster: str | None = None) -> asyncio.Task[None]:
        """Start (or return the running) index job of a workspace, on the Ray cluster at
        ``cluster`` (default: the config's ``cluster``; "": the local pools)."""
        if workspace.job is not None and not workspace.job.done():
            return workspace.job
        workspace.idle.clear()
        workspace.state = WorkspaceState.INDEXING
        address = self.config.cluster if cluster is None else cluster
        if address == "local":  # this job on the local pools, whatever the config says
            address = ""
        workspace.job = asyncio.create_task(self._run_index(workspace, address))
        return workspace.job

    def cluster_status(self) -> dict[str, Any] | None:
        """What ``status`` says of the cluster (None: no job asked for one)."""
        if self.cluster_fallback is not None:
            return self.cluster_fallback
        return self.cluster.describe() if self.cluster is not None else None

    async def _index_pool(self, address: str) -> IndexPool:
        """The cluster at ``address`` when it answers, else the local pools (and why)."""
        if not address:
            return self.pool
        before = self.cluster
        try:
            self.cluster = await asyncio.to_thread(connect, address, self.pool)
            if before is not None and before.driver is self.cluster.driver:  # its actors
                self.cluster.embedders = before.embedders
        except ClusterUnavailable as exc:
            log.warning("indexing on the local pools: %s", exc)
            self.cluster = None
            self.embeddings.drop_remote()
            self.cluster_fallback = fallback_status(address, str(exc))
            return self.pool
        self.cluster_fallback = None
        if self.embeddings.embedder is not None:  # the job's vectors, on the cluster too
            config = self.embeddings.embedder_config()
            await self.cluster.start_embedders(config, self.embeddings.embedder.model_id)
            if self.cluster.embedders is not None:
                self.embeddings.use_remote(self.cluster.embedders)
        return self.cluster

    async def _run_index(self, workspace: Workspace, cluster: str = "") -> None:
        try:
            async with workspace.write_lock:
                workspace.resolver = None  # rebuilt after the job (see prepare_edits)
                pool = await self._index_pool(cluster)
                try:
                    await index_workspace(
                        workspace, pool, self.clock, self.files_per_batch, self.semantic_changed
                    )
                finally:
                    if isinstance(pool, ClusterPool):  # its vectors may still be coming
                        pool.release(self.config.cluster_idle_s)
                        self.embeddings.finish_remote()
            workspace.state = WorkspaceState.READY
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
            workspace.state = WorkspaceState.INTERRUPTED
            raise
        except WorkspaceMissing as exc:
            workspace.state = WorkspaceState.MISSING
            workspace.last_error = str(exc)
            log.warning("%s", exc)
            self.events.publish("error", workspace.root, message=str(exc))
        except Exception as exc:
            workspace.state = WorkspaceState.FAILED
            workspace.last_error = f"{type(exc).__name__}: {exc}"
            log.exception("indexing %s failed", workspace.root)
            self.events.publish("error", workspace.root, message=workspace.last_error)
        finally:
            workspace.idle.set()
        if workspace.state == WorkspaceState.READY and workspace.root in self.watchers:
            if workspace.warmup is not None:
                workspace.warmup.cancel()  # an earlier job's, still waiting for quiet
            workspace.warmup = asyncio.create_task(
                prepare_edits(workspace, lambda: self.last_request)
            )

    async def _stop_watching(self, workspace: Workspace) -> None:
        watched = self.watchers.get(workspace.root)
        if watched is not None:
            watcher, task = watched
            watcher.stop()
            await asyncio.gather(task, return_exceptions=True)
            del self.watchers[workspace.root]

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
        await asyncio.to_thread(disconnect)
