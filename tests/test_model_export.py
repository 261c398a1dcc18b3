"""``rustragd export-model``: the fp32/fp16 ONNX export of all-MiniLM-L6-v2 built from safetensors.

The int8 default model is a quantized copy of the same weights, so the export's vectors
must agree with it closely and rank neighbours the same way.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from rustragd.search.embedder import Embedder, EmbedderConfig
from rustragd.server import cli

SNIPPETS = [
    "pub fn read_config(path: &Path) -> io::Result<Config> { let text = fs::read_to_string(path)?; "
    "toml::from_str(&text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e)) }",
    "impl fmt::Display for ParseError { fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result "
    '{ write!(f, "parse error at line {}: {}", self.line, self.message) } }',
    "pub async fn connect(addr: SocketAddr) -> io::Result<TcpStream> "
    "{ let stream = TcpStream::connect(addr).await?; stream.set_nodelay(true)?; Ok(stream) }",
    "fn sha256_hex(data: &[u8]) -> String { let mut hasher = Sha256::new(); hasher.update(data); "
    'hasher.finalize().iter().map(|b| format!("{b:02x}")).collect() }',
    "pub fn sort_by_age(people: &mut [Person]) { people.sort_by_key(|p| p.age) }",
    "#[derive(Debug, Clone, PartialEq)] pub struct Point { pub x: f64, pub y: f64 } "
    "impl Point { pub fn distance(&self, other: &Point) -> f64 "
    "{ ((self.x - other.x).powi(2) + (self.y - other.y).powi(2)).sqrt() } }",
    "impl<T> Drop for Guard<'_, T> { fn drop(&mut self) "
    "{ self.lock.locked.store(false, Ordering::Release); } }",
    '#[test] fn parses_empty_input() { assert_eq!(parse(""), Ok(Vec::new())); }',
]
#: Query -> index of the snippet it describes.
QUERIES = {
    "load the configuration file from disk": 0,
    "format an error message for display": 1,
    "open a TCP connection": 2,
    "compute a hash of bytes as hex": 3,
    "euclidean distance between two points": 5,
    "release the lock when the guard goes out of scope": 6,
}
Vectors = tuple[np.ndarray, np.ndarray]


def _export_available() -> None:
    for module in ("onnx", "safetensors", "all_minilm_l6_v2"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed ({cli.EXPORT_INSTALL})")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    _export_available()
    from rustragd.search.model_export import export_minilm

    base = tmp_path_factory.mktemp("export")
    return {dtype: export_minilm(base / dtype, dtype) for dtype in ("fp32", "fp16")}


def _vectors(model_dir: Path | None) -> Iterator[Vectors]:
    embedder = Embedder(EmbedderConfig(model_dir=model_dir, provider="cpu"))
    try:
        docs = embedder.embed_documents(SNIPPETS)
        queries = np.stack([embedder.embed_query(q) for q in QUERIES])
        yield docs, queries
    finally:
        embedder.close()


@pytest.fixture(scope="module")
def int8() -> Iterator[Vectors]:
    yield from _vectors(None)


@pytest.fixture(scope="module")
def fp32(exported: dict[str, Path]) -> Iterator[Vectors]:
    yield from _vectors(exported["fp32"])


@pytest.fixture(scope="module")
def fp16(exported: dict[str, Path]) -> Iterator[Vectors]:
    yield from _vectors(exported["fp16"])


def _cosines(a: Vectors, b: Vectors) -> np.ndarray:
    return np.concatenate([np.sum(a[0] * b[0], axis=1), np.sum(a[1] * b[1], axis=1)])


def _nearest(vectors: Vectors) -> tuple[list[list[int]], list[int]]:
    """The 3 nearest snippets of each query, and the nearest other snippet of each snippet."""
    docs, queries = vectors
    by_query = [[int(j) for j in np.argsort(-(docs @ q))[:3]] for q in queries]
    sims = docs @ docs.T
    np.fill_diagonal(sims, -2.0)
    return by_query, [int(j) for j in np.argmax(sims, axis=1)]


def test_export_writes_a_model_directory(exported: dict[str, Path]) -> None:
    for dtype, directory in exported.items():
        names = sorted(p.name for p in directory.iterdir())
        assert names == ["LICENSE-Apache-2.0", "NOTICE", "model.onnx", "tokenizer.json"], dtype
        assert "Apache License, Version 2.0" in (directory / "NOTICE").read_text()
    shipped = Path(cli.__file__).parents[1] / "search" / "model_files" / "tokenizer.json"
    assert (exported["fp32"] / "tokenizer.json").read_bytes() == shipped.read_bytes()
    sizes = {d: (p / "model.onnx").stat().st_size for d, p in exported.items()}
    assert 0.45 < sizes["fp16"] / sizes["fp32"] < 0.55


def test_fp32_export_agrees_with_the_int8_model(int8: Vectors, fp32: Vectors) -> None:
    # Measured: min 0.9992, median 0.9996. Different snippets score 0.18-0.55 with each
    # other, so 0.995 can only be met by the same function of the same weights.
    cosines = _cosines(int8, fp32)
    assert float(cosines.min()) >= 0.995, cosines.round(4)
    assert _nearest(fp32) == _nearest(int8)


def test_queries_find_their_snippet(fp32: Vectors) -> None:
    assert [r[0] for r in _nearest(fp32)[0]] == list(QUERIES.values())


def test_fp16_export_agrees_with_fp32(fp32: Vectors, fp16: Vectors) -> None:
    # Measured on onnxruntime's CPU provider: 1 - cosine <= 6e-7.
    cosines = _cosines(fp32, fp16)
    assert float(cosines.min()) >= 0.999, cosines.round(5)
    assert _nearest(fp16) == _nearest(fp32)


def test_cli_export_model_prints_the_config_line(tmp_path: Path) -> None:
    _export_available()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUSTRAG_")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    out = tmp_path / "fp32 model"
    done = subprocess.run(
        [sys.executable, "-m", "rustragd", "export-model", "--dtype", "fp32", "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"embed_model_dir: {out}" in done.stdout.splitlines()
    assert (out / "model.onnx").is_file() and (out / "tokenizer.json").is_file()


def test_cli_default_directory_is_under_the_state_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _export_available()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("RUSTRAG_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("RUSTRAG_CONFIG", raising=False)
    assert cli.main(["export-model"]) == cli.EXIT_OK
    expected = tmp_path / "state" / "models" / "all-MiniLM-L6-v2-fp16"
    assert (expected / "model.onnx").is_file()
    assert f"embed_model_dir: {expected}" in capsys.readouterr().out


@pytest.mark.parametrize("missing", ["onnx", "all_minilm_l6_v2"])
def test_cli_names_the_extra_when_a_package_is_missing(
    missing: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("RUSTRAG_CONFIG", raising=False)
    if missing == "onnx":
        monkeypatch.setitem(sys.modules, "onnx", None)  # makes `import onnx` fail
        monkeypatch.delitem(sys.modules, "rustragd.search.model_export", raising=False)
    else:
        _export_available()
        from rustragd.search import model_export

        monkeypatch.setattr(model_export, "_PACKAGE", "no_such_package_rustrag")
    assert cli.main(["export-model", "--out", str(tmp_path / "m")]) == cli.EXIT_CONFIG
    assert "pip install 'rustrag[export]'" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()
