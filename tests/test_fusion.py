"""Reciprocal-rank fusion of ranked id lists."""

from __future__ import annotations

import pytest
from rustragd.model import Item
from rustragd.search.ask import Priors, in_trait_impl, prior, rerank
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


def _item(item_id: int, qualified_name: str, path: str = "src/lib.rs") -> Item:
    name = qualified_name.rsplit("::", 1)[-1]
    return Item(item_id, "method", name, qualified_name, path, item_id, item_id)


def test_rerank_weights_trait_impl_members_and_test_code_below_the_rest() -> None:
    items = {
        1: _item(1, "<demo::Json as demo::Format>::write"),
        2: _item(2, "demo::Format::write"),
        3: _item(3, "tests::writes", "tests/format.rs"),
        4: _item(4, "demo::Json::new"),
    }
    fused = reciprocal_rank_fusion({"vector": [1, 3, 2, 4], "lexical": [1, 3, 4, 2]}, k=0)
    ranked = rerank(fused, items, lambda item: item.path.startswith("tests/"), Priors(0.3, 0.5))
    # fused: 1: 2, 3: 1, 2 and 4: 7/12 (2 first); weighted: 1: 0.6, 3: 0.5 (test code)
    assert [r.item.id for r in ranked] == [1, 2, 4, 3]
    assert ranked[0].score == pytest.approx(0.6) and ranked[-1].score == pytest.approx(0.5)
    unweighted = rerank(fused, items, None, Priors(1.0, 1.0))
    assert [r.item.id for r in unweighted] == [f.id for f in fused]  # fusion's order
    assert prior(items[1], False, Priors(0.3, 0.5)) == pytest.approx(0.3)
    assert prior(items[1], True, Priors(0.3, 0.5)) == pytest.approx(0.15)
    assert in_trait_impl(items[1]) and not in_trait_impl(items[2])
