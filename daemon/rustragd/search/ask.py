"""Hybrid retrieval: vector and lexical candidates fused, expanded through the graph."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from rustragd.graph.adjacency import Adjacency
from rustragd.model import Item
from rustragd.search.fusion import Fused, reciprocal_rank_fusion
from rustragd.search.semantic import EMBEDDED_KINDS, SemanticIndex
from rustragd.search.symbol_table import SymbolTable

#: Candidates taken from each source before fusion.
CANDIDATES = 50
#: What a fused score keeps for a member of a trait impl (``<X as Trait>::f``, its
#: associated types): the trait's declaration documents the contract, and a trait of
#: many impls would otherwise fill the answer with copies of one method. On the practice
#: kit (docs-stripped regex, regex-syntax, serde, serde_json) any weight in 0.3..0.5
#: scores alike; left out crate by crate, the weight tuned on the other three is 0.3.
TRAIT_IMPL_WEIGHT = 0.3
#: What a fused score keeps for test code (``#[cfg(test)]``, ``tests/``, ``benches/``):
#: questions are about what a crate does, and its tests repeat its names.
TEST_WEIGHT = 0.5
#: Results whose graph neighbourhood becomes context.
EXPANDED = 5
#: Implementations of a trait's method brought in as its context, at most.
IMPLEMENTATIONS = 3
#: Characters per token, to estimate budgets without running the tokenizer.
CHARS_PER_TOKEN = 4
MODES = ("hybrid", "vector", "lexical")


@dataclass(slots=True)
class Ranked:
    """A result with its fused score and the rank each source gave it."""

    item: Item
    score: float
    ranks: dict[str, int]


@dataclass(frozen=True, slots=True)
class Priors:
    """Per-item weights of fused scores (1.0: none); see the constants above."""

    trait_impl: float = TRAIT_IMPL_WEIGHT
    test: float = TEST_WEIGHT


def in_trait_impl(item: Item) -> bool:
    """Whether ``item`` is a member of a trait impl (``<X as Trait>::name``)."""
    name = item.qualified_name
    return name.startswith("<") and " as " in name


def prior(item: Item, is_test: bool, priors: Priors) -> float:
    """The weight of ``item``'s fused score."""
    weight = priors.trait_impl if in_trait_impl(item) else 1.0
    return weight * priors.test if is_test else weight


@dataclass(slots=True)
class Context:
    """An item brought in by a relation of a result."""

    item: Item
    reason: str
    of: int


def retrieve(
    semantic: SemanticIndex,
    table: SymbolTable,
    query: str,
    query_vector: np.ndarray[Any, Any] | None,
    k: int,
    mode: str,
    keep: Callable[[Item], bool] | None = None,
    is_test: Callable[[Item], bool] | None = None,
    priors: Priors = Priors(),
) -> list[Ranked]:
    """The ``k`` best items: reciprocal-rank fusion of vector and lexical rankings (of
    the candidates ``keep`` says yes to, when given), each fused score weighted by the
    item's :func:`prior` (``is_test`` tells test code)."""
    items = table.items

    def wanted(item_id: int) -> bool:
        item = items.get(item_id)
        return item is not None and (keep is None or keep(item))

    rankings: dict[str, list[int]] = {}
    if mode in ("hybrid", "vector") and query_vector is not None and semantic.vectors:
        hits = semantic.vectors.query(query_vector, min(CANDIDATES, len(semantic.vectors)))
        rankings["vector"] = [item_id for item_id, _ in hits if wanted(item_id)]
    if mode in ("hybrid", "lexical"):
        hits = semantic.lexical.search(query, CANDIDATES)
        rankings["lexical"] = [
            item_id
            for item_id, _ in hits
            if wanted(item_id) and items[item_id].kind in EMBEDDED_KINDS
        ]
    return rerank(reciprocal_rank_fusion(rankings), items, is_test, priors)[:k]


def rerank(
    fused: list[Fused],
    items: Mapping[int, Item],
    is_test: Callable[[Item], bool] | None,
    priors: Priors,
) -> list[Ranked]:
    """``fused`` with each score weighted by its item's :func:`prior`, best first (ties
    keep fusion's order)."""
    weighted = []
    for found in fused:
        item = items[found.id]
        score = found.score * prior(item, is_test is not None and is_test(item), priors)
        weighted.append(Ranked(item, score, found.ranks))
    weighted.sort(key=lambda ranked: -ranked.score)
    return weighted


def expand(
    graph: Adjacency,
    table: SymbolTable,
    results: list[Ranked],
    keep: Callable[[Item], bool] | None = None,
) -> list[Context]:
    """Graph neighbours of the best results: callers, callees, traits, types in signatures
    (those ``keep`` says yes to, when given)."""
    seen = {r.item.id for r in results}
    context: list[Context] = []

    def add(item_id: int, reason: str, of: int) -> None:
        item = table.items.get(item_id)
        if item is not None and item_id not in seen and (keep is None or keep(item)):
            seen.add(item_id)
            context.append(Context(item, reason, of))

    for ranked in results[:EXPANDED]:
        item = ranked.item
        for edge in graph.edges_from(item.id):
            if edge.confidence != "exact":
                continue
            if edge.rel == "calls":
                add(edge.dst, "callee", item.id)
            elif edge.rel == "uses_type":
                add(edge.dst, "type in signature", item.id)
        for edge in graph.edges_to(item.id, "calls"):
            if edge.confidence == "exact":
                add(edge.src, "caller", item.id)
        parent = table.items.get(item.parent)
        if parent is not None and parent.kind == "impl":
            for edge in graph.edges_from(parent.id, "implements"):
                add(edge.dst, "implemented trait", item.id)
            for edge in graph.edges_from(parent.id, "impl_for"):
                add(edge.dst, "self type", item.id)
        elif parent is not None and parent.kind == "trait":  # where its contract is kept
            impls = {e.src for e in graph.edges_to(parent.id, "implements")}
            found = [m for m in table.with_name(item.name) if m.parent in impls]
            for implementation in sorted(found, key=lambda m: (m.path, m.start_line))[
                :IMPLEMENTATIONS
            ]:
                add(implementation.id, "implementation", item.id)
    return context


def estimate_tokens(hit: dict[str, Any]) -> int:
    """Tokens a hit costs in a prompt: its header and snippet."""
    return (len(hit["snippet"]) + len(hit["qualified_name"]) + len(hit["path"]) + 16) // (
        CHARS_PER_TOKEN
    )


def trim(
    results: list[dict[str, Any]], context: list[dict[str, Any]], budget: int | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Keep results, then context, in order, while they fit ``budget`` tokens (first always)."""
    if budget is None:
        return results, context
    kept: tuple[list[dict[str, Any]], list[dict[str, Any]]] = ([], [])
    used = 0
    for bucket, hits in zip(kept, (results, context), strict=True):
        for hit in hits:
            cost = estimate_tokens(hit)
            if used + cost > budget and (kept[0] or kept[1]):
                continue
            bucket.append(hit)
            used += cost
    return kept
