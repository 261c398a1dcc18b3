"""Embedding throughput by batch size, with and without length bucketing, and
hnswlib recall@10 against brute force, on real Rust items.

    python bench/embed_throughput.py [--crate-dir /tmp/rustrag-practice/regex] [--model-dir DIR]

Items come from ``rustragd.syntax.extract`` over the crate's ``.rs`` files, embedded
with the default recipe of ``rustragd.search.embed_text``. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

import numpy as np
from rustragd.model import Item
from rustragd.search.embed_text import item_text
from rustragd.search.embedder import Embedder, EmbedderConfig
from rustragd.search.vector_index import VectorIndex
from rustragd.syntax.extract import extract_file


def load_items(crate_dir: Path) -> list[Item]:
    """Every item the extractor finds under ``crate_dir``."""
    items: list[Item] = []
    for path in sorted(crate_dir.rglob("*.rs")):
        rel = path.relative_to(crate_dir).as_posix()
        items.extend(extract_file(rel, path.read_bytes(), [crate_dir.name]).items)
    return items


def p99(values: list[float]) -> float:
    return float(np.percentile(values, 99))


def throughput(
    embedder: Embedder, texts: list[str], tokens: int, repeats: int, sizes: list[int]
) -> None:
    print(f"\n## throughput: {len(texts)} items, {tokens} tokens, {repeats} repeats")
    print("batch | bucketed | items/s median | items/s p99-slowest | tokens/s median | ratio")
    for size in sizes:
        medians: dict[bool, float] = {}
        for bucket in (False, True):
            rates = []
            for _ in range(repeats):
                t = time.perf_counter()
                embedder.embed_documents(texts, bucket=bucket, batch_size=size)
                rates.append(len(texts) / (time.perf_counter() - t))
            medians[bucket] = statistics.median(rates)
            slow = float(np.percentile(rates, 1))  # the p99 run time, as a rate
            ratio = f"{medians[True] / medians[False]:.2f}" if bucket else ""
            print(
                f"{size:5d} | {bucket!s:8} | {medians[bucket]:14.1f} | {slow:19.1f} | "
                f"{medians[bucket] * tokens / len(texts):15.0f} | {ratio}"
            )


def recall(embedder: Embedder, texts: list[str], queries: int, k: int) -> None:
    vecs = embedder.embed_documents(texts)
    rng = random.Random(0)
    held = set(rng.sample(range(len(texts)), queries))
    base = [i for i in range(len(texts)) if i not in held]
    index = VectorIndex(embedder.dim, embedder.model_id)
    t = time.perf_counter()
    index.upsert(base, vecs[base])
    build = time.perf_counter() - t
    hits, lat = 0, []
    for q in sorted(held):
        truth = {base[j] for j in np.argsort(-(vecs[base] @ vecs[q]))[:k]}
        t = time.perf_counter()
        got = {i for i, _ in index.query(vecs[q], k)}
        lat.append(time.perf_counter() - t)
        hits += len(truth & got)
    print(
        f"\n## hnswlib recall@{k} vs brute force: {len(base)} vectors, {queries} held-out queries"
    )
    print(
        f"recall@{k} {hits / (k * queries):.4f}  build {build * 1e3:.0f} ms  "
        f"query p50 {statistics.median(lat) * 1e3:.3f} ms  p99 {p99(lat) * 1e3:.3f} ms"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--crate-dir", type=Path, default=Path("/tmp/rustrag-practice/regex"))
    ap.add_argument("--items", type=int, default=512, help="items in the throughput sample")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--batch-sizes", default="8,32,128")
    ap.add_argument("--queries", type=int, default=200, help="held-out queries for recall")
    ap.add_argument(
        "--model-dir", type=Path, help="another model (e.g. `rustragd export-model`'s fp16)"
    )
    args = ap.parse_args()

    items = load_items(args.crate_dir)
    embedder = Embedder(EmbedderConfig(model_dir=args.model_dir, provider="auto"))
    texts = [item_text(i, max_tokens=embedder.config.max_tokens) for i in items]
    print(
        f"{len(items)} items from {args.crate_dir}; provider {embedder.provider}; "
        f"model {embedder.model_id}; IOBinding {embedder.io_binding}"
    )
    for provider, ops in embedder.placement().items():
        listed = ", ".join(f"{op} {n}" for op, n in sorted(ops.items(), key=lambda x: -x[1]))
        print(f"nodes on {provider}: {sum(ops.values())} ({listed})")
    sample = random.Random(1).sample(texts, min(args.items, len(texts)))
    tokens = sum(embedder.count_tokens(t) for t in sample)
    sizes = [int(s) for s in args.batch_sizes.split(",")]
    throughput(embedder, sample, tokens, args.repeats, sizes)
    recall(embedder, texts, min(args.queries, len(texts) // 2), 10)
    embedder.close()


if __name__ == "__main__":
    main()
