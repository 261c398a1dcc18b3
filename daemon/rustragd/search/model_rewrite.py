"""A rewrite of a weight-quantised ONNX model that keeps its outputs bit for bit and makes
each run cheaper on the CPU.

A weight-quantised model (the default all-MiniLM-L6-v2 int8) keeps its embedding tables
as int8 and turns them into float32 in the graph before it looks rows up:
``Gather(Mul(Cast(table), scale), ids)``. Without constant folding (left out on the CPU,
where it would hold a float32 copy of every weight), every run dequantises the whole
30,522-row table to look up a few hundred rows: about 70 ms of a one-text run. Gathered
first, ``Mul(Cast(Gather(table, ids)), Gather(scale, ids))``, it dequantises only those
rows, with the same products, so the vectors do not change.

The only module besides :mod:`rustragd.search.model_export` importing onnx; the embedder
runs it as a child process (``python -m rustragd.search.model_rewrite MODEL OUT``), so
that the daemon never holds onnx.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import onnx
from onnx import helper

__all__ = ["gather_before_dequantizing"]


def gather_before_dequantizing(model: bytes) -> bytes | None:
    """``model`` with each int8 table gathered before it is dequantised (None: no table is
    looked up that way, and the model is best used as it is)."""
    proto = onnx.load_from_string(model)
    graph = proto.graph
    constants = {tensor.name: list(tensor.dims) for tensor in graph.initializer}
    producers = {output: node for node in graph.node for output in node.output}
    readers: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            readers[name] = readers.get(name, 0) + 1
    rewritten = 0
    for gather in [node for node in graph.node if node.op_type == "Gather"]:
        mul = producers.get(gather.input[0])
        if mul is None or mul.op_type != "Mul" or readers[mul.output[0]] != 1:
            continue
        cast = producers.get(mul.input[0])
        scale = mul.input[1]
        if (
            cast is None
            or cast.op_type != "Cast"
            or cast.input[0] not in constants
            or scale not in constants
            or readers[cast.output[0]] != 1
            or _attribute(gather, "axis", 0) != 0
        ):
            continue
        table, scales = constants[cast.input[0]], constants[scale]
        per_row = len(scales) == len(table) and scales[0] == table[0] and set(scales[1:]) <= {1}
        if not per_row and set(scales) - {1}:  # neither one scale per row nor one in all
            continue
        name = gather.name or gather.output[0]
        ids = gather.input[1]
        replacement = [
            helper.make_node("Gather", [cast.input[0], ids], [f"{name}/rows"], axis=0),
            helper.make_node(
                "Cast", [f"{name}/rows"], [f"{name}/float"], to=_attribute(cast, "to", 1)
            ),
        ]
        if per_row:
            replacement.append(helper.make_node("Gather", [scale, ids], [f"{name}/scales"], axis=0))
        factor = f"{name}/scales" if per_row else scale
        replacement.append(helper.make_node("Mul", [f"{name}/float", factor], list(gather.output)))
        at = list(graph.node).index(gather)
        for offset, node in enumerate(replacement):
            graph.node.insert(at + offset, node)
        for node in (gather, mul, cast):
            graph.node.remove(node)
        rewritten += 1
    return proto.SerializeToString() if rewritten else None


def _attribute(node: onnx.NodeProto, name: str, default: int) -> int:
    for attribute in node.attribute:
        if attribute.name == name:
            return int(attribute.i)
    return default


def main(argv: list[str]) -> int:
    """Write ``argv[1]``'s model, rewritten where it can be, to ``argv[2]`` (atomically)."""
    source, target = Path(argv[1]), Path(argv[2])
    model = source.read_bytes()
    rewritten = gather_before_dequantizing(model)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    partial.write_bytes(rewritten if rewritten is not None else model)
    os.replace(partial, target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
