"""Reciprocal-rank fusion of ranked id lists."""

from __future__ import annotations

import pytest
from rustragd.search.fusion import Fused, reciprocal_rank_fusion


def test_scores_and_ranks_per_source() -> None:
    fused = reciprocal_rank_fusion({"vector": [1, 2, 3], "lexical": [3, 4]}, k=60)
    assert fused[0] == Fused(3, 1 / 63 + 1 / 61, {"vector": 3, "lexical": 1})
    assert [f.id for f in fused] == [3, 1, 2, 4]  # 2 and 4 tie: vector is listed first
    assert fused[1].ranks == {"vector": 1}
    assert fused[3].ranks == {"lexical": 2}


def test_ties_go_to_the_better_best_rank_then_the_earlier_source() -> None:
    fused = reciprocal_rank_fusion({"a": [10, 20], "b": [30, 40]}, k=0)
    assert [f.id for f in fused] == [10, 30, 20, 40]


def test_weights_limit_and_repeats() -> None:
    fused = reciprocal_rank_fusion({"a": [1, 1, 2], "b": [2]}, k=1, weights={"a": 3.0}, limit=1)
    assert fused == [Fused(1, 3.0 / 2, {"a": 1})]


def test_empty_inputs() -> None:
    assert reciprocal_rank_fusion({}) == []
    assert reciprocal_rank_fusion({"a": []}) == []


def test_negative_k_is_refused() -> None:
    with pytest.raises(ValueError):
        reciprocal_rank_fusion({"a": [1]}, k=-1)
