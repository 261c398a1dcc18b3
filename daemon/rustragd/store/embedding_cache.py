"""The embedding cache: content-addressed vectors and which one each item has.

It lives in the graph store's CozoDB (two relations, :data:`SCHEMA`) and runs its
scripts through the store's locked runner, so :mod:`rustragd.store.graph_store`
stays the only module importing pycozo. Vectors are opaque bytes here (float32,
packed and unpacked by :mod:`rustragd.search.vector_index`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

#: Runs one CozoScript with its parameters and returns the result's rows.
Run = Callable[[str, dict[str, Any] | None], list[list[Any]]]

#: The cache's relations, created with the rest of the store's schema.
SCHEMA = (
    # Content-addressed embedding cache (key: blake3 of model id + text) and what each
    # item's vector currently is.
    ":create embedding {key: Bytes => vector: Bytes}",
    ":create item_vector {id: Int => key: Bytes}",
)


class EmbeddingCache:
    """Cache key -> vector bytes, and item id -> the key of the vector it has."""

    def __init__(self, run: Run) -> None:
        self._run = run

    def item_vector_keys(self) -> dict[int, bytes]:
        """Which cached vector each embedded item has."""
        return {
            row[0]: bytes(row[1]) for row in self._run("?[id, key] := *item_vector{id, key}", None)
        }

    def cached_vectors(self, keys: Iterable[bytes]) -> dict[bytes, bytes]:
        """Stored vectors (float32 bytes) for the cache keys that have one."""
        wanted = [[key] for key in keys]
        if not wanted:
            return {}
        rows = self._run(
            "k[key] <- $keys ?[key, vector] := k[key], *embedding{key, vector}", {"keys": wanted}
        )
        return {bytes(row[0]): bytes(row[1]) for row in rows}

    def item_vectors(self) -> list[tuple[int, bytes]]:
        """``(id, vector bytes)`` of every embedded item, to rebuild the vector index."""
        rows = self._run("?[id, vector] := *item_vector{id, key}, *embedding{key, vector}", None)
        return [(row[0], bytes(row[1])) for row in rows]

    def save_vectors(self, rows: Sequence[tuple[int, bytes, bytes]], forget: Sequence[int]) -> None:
        """Record ``(id, key, vector)`` rows (cache and item) and drop ``forget`` items' rows."""
        self._run(
            "{ ?[key, vector] <- $cache :put embedding {key => vector} }"
            "{ ?[id, key] <- $items :put item_vector {id => key} }"
            "{ ?[id] <- $forget :rm item_vector {id} }",
            {
                "cache": [[key, vector] for _, key, vector in rows],
                "items": [[item_id, key] for item_id, key, _ in rows],
                "forget": [[item_id] for item_id in forget],
            },
        )
