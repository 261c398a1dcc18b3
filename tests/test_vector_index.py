"""The hnswlib vector index: updates, queries, persistence and mismatch detection."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from rustragd.search.vector_index import VectorIndex, VectorIndexMismatch

DIM = 16
MODEL = "test-model@0123"

Filled = tuple[VectorIndex, list[int], npt.NDArray[np.float32]]


def unit(rng: np.random.Generator, n: int) -> npt.NDArray[np.float32]:
    v = rng.standard_normal((n, DIM)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v


@pytest.fixture
def filled() -> Filled:
    rng = np.random.default_rng(7)
    # Ids span the whole signed 64-bit range, as blake3-derived item ids do.
    ids = [int(x) for x in rng.integers(-(2**63), 2**63 - 1, size=200, dtype=np.int64)]
    ids[:2] = [-(2**63), 2**63 - 1]
    vecs = unit(rng, 200)
    index = VectorIndex(DIM, MODEL, capacity=8)
    index.upsert(ids, vecs)
    return index, ids, vecs


def test_query_finds_each_vector_and_grows_past_capacity(filled: Filled) -> None:
    index, ids, vecs = filled
    assert len(index) == 200
    for i in (0, 1, 57, 199):
        best, sim = index.query(vecs[i], k=3)[0]
        assert best == ids[i]
        assert sim == pytest.approx(1.0, abs=1e-5)


def test_update_replaces_the_vector(filled: Filled) -> None:
    index, ids, vecs = filled
    index.upsert([ids[3]], vecs[4:5])
    assert len(index) == 200
    assert {i for i, _ in index.query(vecs[4], k=2)} == {ids[3], ids[4]}
    assert index.query(vecs[3], k=1)[0][0] != ids[3]


def test_deleted_items_are_never_returned_and_can_come_back(filled: Filled) -> None:
    index, ids, vecs = filled
    assert index.delete([ids[5], ids[6], 12345]) == 2
    assert len(index) == 198 and ids[5] not in index and index.tombstones == 2
    returned = {i for i, _ in index.query(vecs[5], k=198)}
    assert ids[5] not in returned and ids[6] not in returned
    index.upsert([ids[5]], vecs[5:6])
    assert index.query(vecs[5], k=1)[0][0] == ids[5]
    assert len(index) == 199 and index.tombstones == 1


def test_k_larger_than_the_index_returns_what_exists() -> None:
    index = VectorIndex(DIM, MODEL)
    assert index.query(np.ones(DIM), k=5) == []
    index.upsert([1, 2], unit(np.random.default_rng(1), 2))
    assert len(index.query(np.ones(DIM), k=5)) == 2


def test_save_and_load_round_trip(tmp_path: Path, filled: Filled) -> None:
    index, ids, vecs = filled
    index.delete([ids[9]])
    path = tmp_path / "vectors.hnsw"
    index.save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vectors.hnsw", "vectors.hnsw.meta.json"]
    again = VectorIndex.load(path, dim=DIM, model_id=MODEL)
    assert len(again) == 199 and ids[9] not in again and ids[0] in again
    assert again.query(vecs[0], k=1)[0][0] == ids[0]
    assert ids[9] not in {i for i, _ in again.query(vecs[9], k=10)}
    again.upsert([42], vecs[9:10])
    assert again.query(vecs[9], k=1)[0][0] == 42


def _saved(tmp_path: Path, index: VectorIndex) -> Path:
    path = tmp_path / "vectors.hnsw"
    index.save(path)
    return path


def test_missing_file_is_a_mismatch(tmp_path: Path, filled: Filled) -> None:
    with pytest.raises(VectorIndexMismatch, match="missing"):
        VectorIndex.load(tmp_path / "nothing.hnsw", dim=DIM, model_id=MODEL)
    path = _saved(tmp_path, filled[0])
    path.unlink()
    with pytest.raises(VectorIndexMismatch, match="unreadable"):
        VectorIndex.load(path, dim=DIM, model_id=MODEL)


def test_truncated_file_is_a_mismatch(tmp_path: Path, filled: Filled) -> None:
    path = _saved(tmp_path, filled[0])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(VectorIndexMismatch, match="truncated or corrupt"):
        VectorIndex.load(path, dim=DIM, model_id=MODEL)


def test_corrupt_payload_is_a_mismatch(tmp_path: Path, filled: Filled) -> None:
    path = _saved(tmp_path, filled[0])
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(VectorIndexMismatch, match="truncated or corrupt"):
        VectorIndex.load(path, dim=DIM, model_id=MODEL)


@pytest.mark.parametrize("meta", ["", "{not json", "[1, 2]", '{"format": 1}', "\xff\xfe"])
def test_corrupt_metadata_is_a_mismatch(tmp_path: Path, filled: Filled, meta: str) -> None:
    path = _saved(tmp_path, filled[0])
    (tmp_path / "vectors.hnsw.meta.json").write_text(meta, encoding="latin-1")
    with pytest.raises(VectorIndexMismatch):
        VectorIndex.load(path, dim=DIM, model_id=MODEL)


def test_other_model_or_dimension_is_a_mismatch(tmp_path: Path, filled: Filled) -> None:
    path = _saved(tmp_path, filled[0])
    with pytest.raises(VectorIndexMismatch, match="built for test-model@0123"):
        VectorIndex.load(path, dim=DIM, model_id="other-model@ffff")
    with pytest.raises(VectorIndexMismatch, match="16-d"):
        VectorIndex.load(path, dim=32, model_id=MODEL)


def test_save_replaces_atomically_and_leaves_no_temp_files(tmp_path: Path, filled: Filled) -> None:
    index, ids, _ = filled
    path = _saved(tmp_path, index)
    index.delete(ids[:50])
    index.save(path)
    assert len(VectorIndex.load(path, dim=DIM, model_id=MODEL)) == 150
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vectors.hnsw", "vectors.hnsw.meta.json"]


def test_mismatched_vector_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="2 ids for 1 vectors"):
        VectorIndex(DIM, MODEL).upsert([1, 2], np.ones(DIM))
