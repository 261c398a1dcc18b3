"""The symbol table's per-kind counts follow its items through replacements and removals."""

from __future__ import annotations

import random
from collections import Counter

from rustragd.model import Item
from rustragd.symbol_table import SymbolTable

KINDS = ("function", "struct", "impl", "method")


def test_kind_counts_follow_the_items() -> None:
    rng = random.Random(2)
    table = SymbolTable()
    for _ in range(300):
        path = f"src/{rng.randrange(6)}.rs"
        if rng.random() < 0.2:
            table.remove_file(path)
        else:
            items = [
                Item(rng.randrange(60), rng.choice(KINDS), "f", f"c::f{n}", path, n, n)
                for n in range(rng.randrange(8))
            ]
            table.replace_file(path, items)
        expected = Counter(item.kind for item in table.items.values())
        assert table.kind_counts() == dict(sorted(expected.items()))
