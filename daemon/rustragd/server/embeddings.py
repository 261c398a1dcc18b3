"""The daemon's embedder and the background task that fills in missing vectors."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from rustragd.search.embedder import Embedder, EmbedderConfig
from rustragd.search.semantic import EmbeddingModel, Pending, SemanticIndex
from rustragd.search.vector_index import pack_vectors
from rustragd.server.config import Config

log = logging.getLogger(__name__)

#: Pending vectors, in batches, from which a workspace's are embedded by the cluster's
#: embedders when there are some (fewer, an edit's: here, at once).
REMOTE_BATCHES = 2


class RemoteEmbedder(Protocol):
    """Embedders elsewhere (a cluster's: :class:`rustragd.index.cluster.ClusterEmbedders`)."""

    @property
    def workers(self) -> int:
        """How many batches run at once."""
        ...

    async def embed(self, texts: list[str]) -> Any: ...

    def hold(self) -> None:
        """Keep them while vectors may come."""

    def release(self, idle_s: float) -> None:
        """No more vectors for now: they may go after ``idle_s``."""


#: Seconds without new vectors before the changed vector index files are written. The
#: file is a cache of the vectors in the store (a stale one is rebuilt on start), so an
#: edit's vector is queryable at once and the write waits for a quiet moment.
SAVE_AFTER_S = 2.0


class EmbeddingService:
    """Owns the model; embeds pending items of every workspace, batch after batch.

    Runs the model on a thread (onnxruntime releases the GIL); the embedder
    itself tokenises the next batch while the current one runs.
    """

    def __init__(
        self,
        config: Config,
        indexes: Callable[[], list[SemanticIndex]],
        embedded: Callable[[SemanticIndex], None],
    ) -> None:
        self.config = config
        self._indexes = indexes
        self._embedded = embedded
        self.embedder: Embedder | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.embedded = 0
        self.busy_s = 0.0
        self.last_batch: dict[str, float] = {}
        """Items and per-stage milliseconds of the last batch, for ``status``."""
        self.remote: RemoteEmbedder | None = None
        """Embedders for a bulk of vectors (a cluster's), when there are some."""
        self._remote_done = False
        """Whether the job that brought :attr:`remote` is over (let go of it once idle)."""

    def embedder_config(self) -> EmbedderConfig:
        """The embedder the config describes (the cluster's embedders run it too)."""
        return EmbedderConfig(
            model_dir=self.config.embed_model_dir,
            max_tokens=self.config.embed_max_tokens,
            batch_size=self.config.embed_batch,
            pooling=self.config.embed_pooling,  # type: ignore[arg-type]
            query_prefix=self.config.embed_query_prefix,
            document_prefix=self.config.embed_document_prefix,
        )

    def load(self) -> EmbeddingModel:
        """Load the model (blocking; call from a thread)."""
        if self.embedder is None:
            self.embedder = Embedder(self.embedder_config())
            log.info(
                "embedding model %s (%d-d) on %s",
                self.embedder.model_id,
                self.embedder.dim,
                self.embedder.provider,
            )
        e = self.embedder
        return EmbeddingModel(
            e.model_id, e.dim, e.cache_key, self.config.embed_max_tokens, self.config.embed_recipe
        )

    def use_remote(self, remote: RemoteEmbedder) -> None:
        """Embed bulks of vectors on ``remote`` (held until :meth:`finish_remote` and the
        vectors are done)."""
        if remote is not self.remote:
            self.drop_remote()
            remote.hold()
            self.remote = remote
        self._remote_done = False

    def finish_remote(self) -> None:
        """The job is over: let go of the remote embedders once no vectors are pending."""
        self._remote_done = True
        self.wake()

    def drop_remote(self) -> None:
        """Stop using the remote embedders (they may go after ``cluster_idle_s``)."""
        if self.remote is not None:
            self.remote.release(self.config.cluster_idle_s)
            self.remote = None

    def start(self) -> None:
        """Start the background task."""
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    def wake(self) -> None:
        """Tell the task that there may be work."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            dirty = any(index.dirty for index in self._indexes())
            try:
                await asyncio.wait_for(self._wake.wait(), SAVE_AFTER_S if dirty else None)
            except TimeoutError:  # quiet for a while: write the changed index files
                for index in self._indexes():
                    await asyncio.to_thread(index.save)
                continue
            self._wake.clear()
            while True:
                work = [index for index in self._indexes() if index.pending]
                if not work:
                    break
                for index in work:
                    remote = self.remote
                    batch = self.config.embed_batch * 4
                    if remote is not None and len(index.pending) >= REMOTE_BATCHES * batch:
                        batches = [index.take(batch) for _ in range(remote.workers)]
                        await asyncio.gather(
                            *(self._embed_batch(index, b, remote) for b in batches if b)
                        )
                    else:
                        await self._embed_batch(index, index.take(batch))
            for index in self._indexes():
                if not index.pending:
                    index.idle.set()
            if self._remote_done and not any(index.pending for index in self._indexes()):
                self.drop_remote()

    async def _embed_batch(
        self,
        index: SemanticIndex,
        batch: list[tuple[int, Pending]],
        remote: RemoteEmbedder | None = None,
    ) -> None:
        assert self.embedder is not None
        texts = [pending.text for _, pending in batch]
        started = time.perf_counter()
        vectors: Any = None
        if remote is not None:
            try:
                vectors = await remote.embed(texts)
            except Exception as exc:  # the cluster went away: the rest is embedded here
                log.warning("the cluster's embedders failed (%s); embedding here", exc)
                if self.remote is remote:
                    self.drop_remote()
        try:
            if vectors is None:
                vectors = await asyncio.to_thread(self.embedder.embed_documents, texts)
        except Exception:
            log.exception("embedding a batch of %d items failed; dropping it", len(batch))
            for item_id, _ in batch:
                index.pending.pop(item_id, None)
            return
        elapsed = time.perf_counter() - started
        packed = pack_vectors(vectors)
        rows = [(item_id, pending.key, packed[n]) for n, (item_id, pending) in enumerate(batch)]
        stored = time.perf_counter()
        try:
            await asyncio.to_thread(index.add_vectors, rows)
        except Exception:  # the workspace was forgotten meanwhile, or its store failed
            log.exception("storing %d vectors failed", len(rows))
            index.pending.clear()
            return
        self.embedded += len(rows)
        self.busy_s += elapsed
        self.last_batch = {
            "items": len(rows),
            "embed_ms": round(elapsed * 1000, 1),
            "store_and_index_ms": round((time.perf_counter() - stored) * 1000, 1),
        }
        self._embedded(index)

    async def embed_query(self, text: str) -> Any:
        """A query vector (None when embeddings are off)."""
        if self.embedder is None:
            return None
        return await asyncio.to_thread(self.embedder.embed_query, text)

    def describe(self) -> dict[str, Any]:
        """For ``status``."""
        e = self.embedder
        return {
            "enabled": self.config.embeddings,
            "model": e.model_id if e else None,
            "provider": e.provider if e else None,
            "nodes_by_provider": (
                {name: sum(ops.values()) for name, ops in e.placement().items()} if e else None
            ),
            "pinned_inputs": e.pinned_inputs if e else None,
            "dim": e.dim if e else None,
            "embedded_since_start": self.embedded,
            "items_per_s": round(self.embedded / self.busy_s, 1) if self.busy_s else None,
            "last_batch": self.last_batch,
        }

    async def close(self) -> None:
        """Stop the task and save every index."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        for index in self._indexes():
            await asyncio.to_thread(index.save)
