"""Approximate nearest neighbours over item vectors with hnswlib (cosine space).

The only module importing hnswlib. Labels are item ids (signed 64-bit) stored
as hnswlib's unsigned labels by two's complement, losslessly. Deleted items
are tombstoned with ``mark_deleted`` (a later upsert of the same id revives
the slot); the index grows with ``resize_index``.

On disk an index is two files: ``PATH`` (hnswlib's own format) and
``PATH.meta.json`` (format version, model id, dimension, live count, payload
size and blake3, tombstoned ids). ``load`` checks all of it before hnswlib
reads a byte, so a missing, truncated, corrupt or foreign file raises
:class:`VectorIndexMismatch` and the caller rebuilds from stored vectors.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import blake3
import hnswlib
import numpy as np
import numpy.typing as npt

__all__ = ["VectorIndex", "VectorIndexMismatch", "pack_vectors", "unpack_vectors"]

_FORMAT = 1
_U64 = 0xFFFF_FFFF_FFFF_FFFF


class VectorIndexMismatch(Exception):
    """The file on disk cannot serve this store; the message says why. Rebuild."""


def pack_vectors(vectors: npt.NDArray[np.float32]) -> list[bytes]:
    """Each row of a float32 matrix as the bytes the embedding cache stores for it."""
    return [row.tobytes() for row in vectors]


def unpack_vectors(packed: Sequence[bytes], dim: int) -> npt.NDArray[np.float32]:
    """Vectors packed by :func:`pack_vectors` as one float32 matrix, shape (len(packed), dim)."""
    return np.frombuffer(b"".join(packed), dtype=np.float32).reshape(len(packed), dim)


def _label(item_id: int) -> int:
    return item_id & _U64


def _item_id(label: int) -> int:
    return label - (1 << 64) if label >= 1 << 63 else label


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".meta.json")


def _file_digest(path: Path) -> str:
    return blake3.blake3(max_threads=blake3.blake3.AUTO).update_mmap(str(path)).hexdigest()


class VectorIndex:
    """An hnswlib index of unit vectors keyed by item id, for one model."""

    def __init__(
        self,
        dim: int,
        model_id: str,
        *,
        capacity: int = 1024,
        m: int = 16,
        ef_construction: int = 200,
        ef: int = 64,
    ) -> None:
        self.dim = dim
        self.model_id = model_id
        self.ef = ef
        self._index = hnswlib.Index(space="cosine", dim=dim)
        self._index.init_index(max_elements=max(capacity, 1), M=m, ef_construction=ef_construction)
        self._index.set_ef(ef)
        self._live: set[int] = set()
        #: What the caller saved with the index (see :meth:`save`); "" for a new one.
        self.tag = ""

    def __len__(self) -> int:
        """Number of live (not deleted) items."""
        return len(self._live)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._live

    @property
    def tombstones(self) -> int:
        """Deleted slots still held; rebuild when they outweigh the live items."""
        return int(self._index.element_count) - len(self._live)

    def upsert(self, ids: Sequence[int], vectors: npt.ArrayLike) -> None:
        """Add or replace the vectors of ``ids`` (rows of ``vectors``, shape (n, dim))."""
        data = np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        if len(ids) != len(data):
            raise ValueError(f"{len(ids)} ids for {len(data)} vectors")
        if not ids:
            return
        needed = int(self._index.element_count) + len(ids)
        if needed > self._index.max_elements:
            self._index.resize_index(max(needed, 2 * int(self._index.max_elements)))
        self._index.add_items(data, np.array([_label(i) for i in ids], dtype=np.uint64))
        self._live.update(ids)

    def delete(self, ids: Iterable[int]) -> int:
        """Tombstone ``ids``; unknown ids are ignored. Returns how many were live."""
        gone = 0
        for item_id in ids:
            if item_id in self._live:
                self._index.mark_deleted(_label(item_id))
                self._live.discard(item_id)
                gone += 1
        return gone

    def query(self, vector: npt.ArrayLike, k: int = 10) -> list[tuple[int, float]]:
        """The ``k`` nearest live items as (id, cosine similarity), best first."""
        k = min(k, len(self._live))
        if k <= 0:
            return []
        self._index.set_ef(max(self.ef, k))
        q = np.asarray(vector, dtype=np.float32).reshape(1, self.dim)
        labels, distances = self._index.knn_query(q, k=k)
        return [
            (_item_id(int(lab)), 1.0 - float(d))
            for lab, d in zip(labels[0], distances[0], strict=True)
        ]

    def save(self, path: Path, tag: str = "") -> None:
        """Write the index and its metadata atomically (temp files, fsync, rename);
        ``tag`` is kept in the metadata for the caller to check on load (:attr:`tag`)."""
        path = Path(path)
        meta_path = _meta_path(path)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp_meta = meta_path.with_name(f".{meta_path.name}.{os.getpid()}.tmp")
        try:
            self._index.save_index(str(tmp))
            all_ids = {_item_id(int(lab)) for lab in self._index.get_ids_list()}
            meta: dict[str, Any] = {
                "format": _FORMAT,
                "model_id": self.model_id,
                "dim": self.dim,
                "count": len(self._live),
                "ef": self.ef,
                "size": tmp.stat().st_size,
                "blake3": _file_digest(tmp),
                "deleted": sorted(all_ids - self._live),
                "tag": tag,
            }
            tmp_meta.write_text(json.dumps(meta))
            for p in (tmp, tmp_meta):
                with open(p, "rb") as f:
                    os.fsync(f.fileno())
            # Payload first: a crash between the renames leaves a meta whose
            # digest does not match, which load reports as a mismatch.
            os.replace(tmp, path)
            os.replace(tmp_meta, meta_path)
        finally:
            tmp.unlink(missing_ok=True)
            tmp_meta.unlink(missing_ok=True)

    @classmethod
    def load(cls, path: Path, *, dim: int, model_id: str) -> VectorIndex:
        """Read an index saved by :meth:`save`; raise :class:`VectorIndexMismatch` if unusable."""
        path = Path(path)
        meta = _read_meta(path)
        if meta["model_id"] != model_id or meta["dim"] != dim:
            raise VectorIndexMismatch(
                f"vector index {path} was built for {meta['model_id']} ({meta['dim']}-d), "
                f"not {model_id} ({dim}-d)"
            )
        try:
            size = path.stat().st_size
        except OSError as e:
            raise VectorIndexMismatch(f"vector index {path} unreadable: {e.strerror}") from e
        if size != meta["size"] or _file_digest(path) != meta["blake3"]:
            raise VectorIndexMismatch(f"vector index {path} is truncated or corrupt")
        self = cls(dim, model_id, capacity=1, ef=int(meta["ef"]))
        try:
            self._index.load_index(str(path))
            labels = self._index.get_ids_list()
        except (RuntimeError, ValueError) as e:
            raise VectorIndexMismatch(f"vector index {path} could not be read: {e}") from e
        self._index.set_ef(self.ef)
        self.tag = str(meta.get("tag", ""))
        self._live = {_item_id(int(lab)) for lab in labels} - set(meta["deleted"])
        if len(self._live) != meta["count"]:
            raise VectorIndexMismatch(
                f"vector index {path} holds {len(self._live)} items, not {meta['count']}"
            )
        return self


def _read_meta(path: Path) -> dict[str, Any]:
    """The metadata beside ``path``, checked for shape; raises VectorIndexMismatch."""
    meta_path = _meta_path(path)
    try:
        meta = json.loads(meta_path.read_text())
    except FileNotFoundError as e:
        raise VectorIndexMismatch(f"vector index metadata {meta_path} is missing") from e
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise VectorIndexMismatch(f"vector index metadata {meta_path} is unreadable: {e}") from e
    fields = {
        "format": int,
        "model_id": str,
        "dim": int,
        "count": int,
        "ef": int,
        "size": int,
        "blake3": str,
        "deleted": list,
    }
    if not isinstance(meta, dict) or any(not isinstance(meta.get(k), t) for k, t in fields.items()):
        raise VectorIndexMismatch(f"vector index metadata {meta_path} is malformed")
    if meta["format"] != _FORMAT:
        raise VectorIndexMismatch(
            f"vector index {path} has format {meta['format']}, expected {_FORMAT}"
        )
    return meta
