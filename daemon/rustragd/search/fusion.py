"""Reciprocal-rank fusion (Cormack et al., 2009) of ranked id lists.

An id's score is the sum over sources of ``weight / (k + rank)``, ranks
1-based; an id missing from a source gets nothing from it. Each result keeps
the rank it had in every source, so a hit can say what produced it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["Fused", "reciprocal_rank_fusion"]


@dataclass(frozen=True, slots=True)
class Fused:
    """One fused result: its id, RRF score and 1-based rank per source it came from."""

    id: int
    score: float
    ranks: dict[str, int] = field(default_factory=dict)


def reciprocal_rank_fusion(
    rankings: Mapping[str, Sequence[int]],
    *,
    k: int = 60,
    weights: Mapping[str, float] | None = None,
    limit: int | None = None,
) -> list[Fused]:
    """Fuse ``rankings`` (source name -> ids, best first) into one list, best first.

    Ties go to the id with the better best rank, then to the earlier source.
    A repeated id within one source counts at its first rank only.
    """
    if k < 0:
        raise ValueError("k must be >= 0")
    scores: dict[int, float] = {}
    ranks: dict[int, dict[str, int]] = {}
    for source, ids in rankings.items():
        weight = 1.0 if weights is None else weights.get(source, 1.0)
        for rank, item_id in enumerate(ids, start=1):
            seen = ranks.setdefault(item_id, {})
            if source in seen:
                continue
            seen[source] = rank
            scores[item_id] = scores.get(item_id, 0.0) + weight / (k + rank)
    order = list(rankings)
    fused = sorted(
        scores,
        key=lambda i: (
            -scores[i],
            min(ranks[i].values()),
            min(order.index(s) for s in ranks[i]),
        ),
    )
    return [Fused(i, scores[i], ranks[i]) for i in fused[:limit]]
