"""The packaged tree-sitter queries compile against the installed grammar and capture items."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from rustragd.syntax.parser import definitions, error_count, load_query, parse, query_names

FIXTURE = Path(__file__).parent / "fixtures" / "rust" / "items.rs"


@pytest.mark.parametrize("name", query_names())
def test_every_query_compiles(name: str) -> None:
    query = load_query(name)
    assert query.pattern_count > 0


def test_queries_are_packaged() -> None:
    assert {"items", "errors"} <= set(query_names())


def test_item_captures_on_fixture() -> None:
    root = parse(FIXTURE.read_bytes()).root_node
    found = [(label, (name.text or b"").decode()) for label, _, name in definitions(root)]
    labels = Counter(label for label, _ in found)
    assert labels == {
        "definition.function": 11,
        "definition.struct": 3,
        "definition.enum": 1,
        "definition.union": 1,
        "definition.variant": 3,
        "definition.field": 6,
        "definition.interface": 1,
        "definition.implementation": 3,
        "definition.type": 3,
        "definition.constant": 3,
        "definition.static": 1,
        "definition.macro": 1,
        "definition.module": 2,
        "expansion.macro": 4,
    }
    assert ("definition.interface", "Visitor") in found
    assert ("definition.implementation", "Parser<'a>") in found
    assert ("definition.module", "declared") in found
    assert ("expansion.macro", "wrap") in found
    assert ("definition.function", "wrapped") not in found  # inside a token tree


def test_definitions_come_parents_first() -> None:
    root = parse(FIXTURE.read_bytes()).root_node
    starts = [(node.start_byte, -node.end_byte) for _, node, _ in definitions(root)]
    assert starts == sorted(starts)


def test_error_query_counts_error_and_missing_nodes() -> None:
    assert error_count(parse(FIXTURE.read_bytes())) == 0
    assert error_count(parse(b"fn f( {}\n")) >= 1
    assert error_count(parse(b"fn f() { let x = 1 }\n")) == 1
