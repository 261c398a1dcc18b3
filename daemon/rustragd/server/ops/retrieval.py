"""``ask``: natural-language questions answered with code and its graph context."""

from __future__ import annotations

import time
from typing import Any

from rustrag_protocol import ErrorCode, ProtocolError

from rustragd.search.ask import MODES, Priors, expand, retrieve, trim
from rustragd.server.ops import args as a
from rustragd.server.ops.hits import test_filter, to_hits
from rustragd.server.ops.registry import Context, op


@op("ask")
async def ask(context: Context, args: dict[str, Any]) -> dict[str, Any]:
    """Hybrid retrieval (vectors + BM25, fused) with graph context, within a token budget."""
    started = time.perf_counter()
    daemon = context.daemon
    workspace = context.workspace
    query = a.required_string(args, "query")
    k = a.integer(args, "k", 10, minimum=1) or 10
    budget = a.integer(args, "budget", None, minimum=1)
    mode = a.string(args, "mode") or "hybrid"
    if mode not in MODES:
        raise ProtocolError(f"mode must be one of {', '.join(MODES)}", ErrorCode.BAD_REQUEST)
    scope = workspace.scope()
    keep = test_filter(scope, args)
    timings: dict[str, float] = {}
    mark = time.perf_counter()
    vector = await daemon.embeddings.embed_query(query) if mode != "lexical" else None
    timings["embed_query"] = time.perf_counter() - mark
    mark = time.perf_counter()
    ranked = retrieve(
        workspace.semantic,
        workspace.table,
        query,
        vector,
        k,
        mode,
        keep,
        scope.is_test,
        Priors(daemon.config.ask_trait_impl_weight, daemon.config.ask_test_weight),
    )
    timings["search"] = time.perf_counter() - mark
    mark = time.perf_counter()
    neighbours = expand(workspace.graph, workspace.table, ranked, keep)
    timings["expand"] = time.perf_counter() - mark
    mark = time.perf_counter()
    found = to_hits(
        workspace,
        [r.item for r in ranked] + [c.item for c in neighbours],
        [round(r.score, 6) for r in ranked] + [0.0] * len(neighbours),
        scope,
    )
    results, context_hits = found[: len(ranked)], found[len(ranked) :]
    for hit, r in zip(results, ranked, strict=True):
        hit["ranks"] = r.ranks
    for hit, c in zip(context_hits, neighbours, strict=True):
        hit["reason"] = c.reason
        hit["of"] = c.of
    results, context_hits = trim(results, context_hits, budget)
    timings["hits"] = time.perf_counter() - mark
    progress = workspace.semantic.progress()
    return {
        "results": results,
        "context": context_hits,
        "took_ms": round((time.perf_counter() - started) * 1000, 2),
        "timings_ms": {stage: round(s * 1000, 3) for stage, s in timings.items()},
        "mode": mode,
        "vectors_missing": progress["pending"] if daemon.config.embeddings else None,
        "embeddings": daemon.config.embeddings,
    }
