"""The symbol table's per-kind counts follow its items through replacements and removals."""

from __future__ import annotations

import random
from collections import Counter

from rustragd.model import Item
from rustragd.search.symbol_table import SymbolTable

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


def index_of(table: SymbolTable) -> dict[str, object]:
    """Everything the table answers, order-free."""
    return {
        "items": dict(table.items),
        "kinds": table.kind_counts(),
        "by_name": {n: sorted(i.id for i in table.lookup(n, frozenset(KINDS))) for n in ("f", "g")},
        "definitions": {
            q: sorted(i.id for i in table.definitions(q)) for q in (f"c::f{n}" for n in range(8))
        },
        "group": table.ids_of("\0group"),
    }


def test_patching_a_group_answers_like_replacing_it() -> None:
    rng = random.Random(4)
    patched, replaced = SymbolTable(), SymbolTable()
    current: dict[int, Item] = {}
    for _ in range(200):
        removed = [i for i in current if rng.random() < 0.1]
        for item_id in removed:
            del current[item_id]
        changed = []
        for _ in range(rng.randrange(6)):
            item_id = rng.randrange(40)
            n = rng.randrange(8)
            name = rng.choice(("f", "g"))
            item = Item(item_id, rng.choice(KINDS), name, f"c::f{n}", "src/m.rs", n, n)
            current[item_id] = item
            changed.append(item)
        patched.patch_group("\0group", changed, removed)
        replaced.replace_file("\0group", list(current.values()))
        assert index_of(patched) == index_of(replaced)
