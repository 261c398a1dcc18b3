"""A workspace's retrieval indexes: lexical (BM25) and vector, and what is left to embed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import blake3

from rustragd.model import Item
from rustragd.search.embed_text import item_text
from rustragd.search.lexical import LexicalIndex, lexical_text
from rustragd.search.vector_index import VectorIndex, VectorIndexMismatch, unpack_vectors
from rustragd.store.graph_store import GraphStore

log = logging.getLogger(__name__)

#: Kinds that get a vector; fields, variants, impls and modules are found through their parents.
EMBEDDED_KINDS = frozenset(
    {
        "function",
        "method",
        "struct",
        "enum",
        "union",
        "trait",
        "type_alias",
        "const",
        "static",
        "macro_rules",
    }
)


@dataclass(frozen=True, slots=True)
class EmbeddingModel:
    """What the index needs to know of the embedder without loading it."""

    model_id: str
    dim: int
    cache_key: Callable[[str], bytes]
    max_tokens: int
    recipe: str


@dataclass(slots=True)
class Pending:
    """An item waiting for its vector."""

    key: bytes
    text: str


class SemanticIndex:
    """Lexical and vector indexes of one workspace, kept in step with its items."""

    def __init__(self, store: GraphStore, vector_path: Path, model: EmbeddingModel | None) -> None:
        self.store = store
        self.cache = store.embeddings
        self.vector_path = vector_path
        self.model = model
        self.lexical = LexicalIndex()
        self.vectors: VectorIndex | None = None
        self.keys: dict[int, bytes] = {}
        """Item id -> cache key of the vector it has."""
        self.pending: dict[int, Pending] = {}
        self.embedded_total = 0
        self.dirty = False
        """Vectors changed since the index file was last saved."""
        self.idle = asyncio.Event()
        """Set while nothing is pending; touched from the event loop only."""
        self.idle.set()

    # -- start-up -----------------------------------------------------------------------

    def load(self) -> None:
        """Build the indexes from the store: lexical from every item; vectors from the stored
        ones whose text and model still match (the file is rebuilt if it does not match);
        the other items are queued."""
        items = self.store.full_items()
        self.lexical.upsert((item.id, lexical_text(item)) for item in items)
        if self.model is None:
            return
        embeddable = [item for item in items if item.kind in EMBEDDED_KINDS]
        current = {
            item.id: self.model.cache_key(item_text(item, self.model.recipe, self.model.max_tokens))
            for item in embeddable
        }
        stored = self.cache.item_vector_keys()
        self.keys = {i: key for i, key in stored.items() if current.get(i) == key}
        outdated = [i for i in stored if i not in self.keys]
        if outdated:  # removed items, or a new model or recipe
            self.cache.save_vectors([], outdated)
        self.vectors = self._load_vectors()
        self.update([item for item in embeddable if item.id not in self.keys], ())

    def _load_vectors(self) -> VectorIndex:
        assert self.model is not None
        try:
            index = VectorIndex.load(
                self.vector_path, dim=self.model.dim, model_id=self.model.model_id
            )
            if index.tag == _keys_tag(self.keys):
                return index
            reason = "it does not match the stored vectors (saved before the last changes)"
        except VectorIndexMismatch as exc:
            reason = str(exc)
        except FileNotFoundError:
            reason = "it is missing"
        if self.keys:
            log.warning("rebuilding the vector index %s: %s", self.vector_path, reason)
        index = VectorIndex(self.model.dim, self.model.model_id, capacity=max(1024, len(self.keys)))
        rows = [(i, v) for i, v in self.cache.item_vectors() if i in self.keys]
        if rows:
            ids = [item_id for item_id, _ in rows]
            index.upsert(ids, unpack_vectors([v for _, v in rows], self.model.dim))
        self.dirty = True
        return index

    # -- changes ------------------------------------------------------------------------

    def update(self, items: list[Item], removed: Iterable[int]) -> int:
        """Index new or changed items (with doc and snippet) and forget removed ones.

        Returns how many items now wait for a new vector (the others' text is
        unchanged, or its vector was in the cache).
        """
        removed = list(removed)
        self.lexical.update(((item.id, lexical_text(item)) for item in items), removed)
        if self.model is None:
            return 0
        if removed:
            self.forget(removed)
        wanted: dict[int, Pending] = {}
        for item in items:
            if item.kind not in EMBEDDED_KINDS:
                continue
            text = item_text(item, self.model.recipe, self.model.max_tokens)
            key = self.model.cache_key(text)
            if self.keys.get(item.id) == key:
                self.pending.pop(item.id, None)  # unchanged text: its vector stands
                continue
            wanted[item.id] = Pending(key, text)
        cached = self.cache.cached_vectors({p.key for p in wanted.values()})
        hits = [(i, p.key, cached[p.key]) for i, p in wanted.items() if p.key in cached]
        if hits:
            self.add_vectors(hits)
        queued = 0
        for item_id, pending in wanted.items():
            if pending.key not in cached:
                self.pending[item_id] = pending
                queued += 1
        return queued

    def forget(self, ids: list[int]) -> None:
        """Drop the vectors of removed items."""
        for item_id in ids:
            self.pending.pop(item_id, None)
            self.keys.pop(item_id, None)
        if self.vectors is not None:
            self.vectors.delete(ids)
        self.cache.save_vectors([], ids)
        self.dirty = True

    def take(self, limit: int) -> list[tuple[int, Pending]]:
        """Up to ``limit`` pending items (they stay pending until their vectors arrive)."""
        batch = []
        for item_id, pending in self.pending.items():
            batch.append((item_id, pending))
            if len(batch) >= limit:
                break
        return batch

    def add_vectors(self, rows: list[tuple[int, bytes, bytes]]) -> None:
        """Store and index ``(id, key, float32 vector bytes)`` rows."""
        assert self.vectors is not None and self.model is not None
        self.cache.save_vectors(rows, [])
        matrix = unpack_vectors([v for _, _, v in rows], self.model.dim)
        self.vectors.upsert([r[0] for r in rows], matrix)
        for item_id, key, _ in rows:
            self.keys[item_id] = key
            current = self.pending.get(item_id)
            if current is not None and current.key == key:
                del self.pending[item_id]
        self.dirty = True

    def save(self) -> None:
        """Write the vector index file if it changed."""
        if self.vectors is not None and self.dirty:
            self.vectors.save(self.vector_path, tag=_keys_tag(self.keys))
            self.dirty = False

    def progress(self) -> dict[str, int]:
        """Vector coverage, for ``status`` and ``ask``."""
        return {"embedded": len(self.keys), "pending": len(self.pending)}


def _keys_tag(keys: dict[int, bytes]) -> str:
    """A digest of which vector (cache key) each item has: it tells an index file saved
    before the last changes (a kill -9 between a vector and the next save) from a
    current one, even where the set of ids is the same."""
    digest = blake3.blake3()
    for item_id, key in sorted(keys.items()):
        digest.update(item_id.to_bytes(8, "little", signed=True) + key)
    return digest.hexdigest(length=16)
