"""Item deltas on real extractions of edited Rust source."""

from __future__ import annotations

from rustragd.delta import diff_items
from rustragd.model import Item
from rustragd.syntax.extract import extract_file

SOURCE = b"""/// A point.
pub struct Point { pub x: i32 }

pub fn one() -> i32 {
    1
}

pub fn two() -> i32 {
    2
}
"""


def items(source: bytes) -> list[Item]:
    return extract_file("src/delta.rs", source, ["demo", "delta"]).items


def test_body_edit_updates_one_item() -> None:
    delta = diff_items(items(SOURCE), items(SOURCE.replace(b"    1\n", b"    1 + 0\n")))
    assert [i.qualified_name for i in delta.updated] == ["demo::delta::one"]
    assert not (delta.added or delta.removed or delta.moved)
    assert delta.unchanged == len(items(SOURCE)) - 1


def test_lines_inserted_on_top_only_move_items() -> None:
    old = items(SOURCE)
    delta = diff_items(old, items(b"// header\n\n" + SOURCE))
    assert not (delta.added or delta.updated or delta.removed)
    assert len(delta.moved) == len(old)
    assert all(m.start_line == o.start_line + 2 for m, o in zip(delta.moved, old, strict=True))
    assert delta.to_embed == []


def test_rename_and_delete() -> None:
    old = items(SOURCE)
    renamed = diff_items(old, items(SOURCE.replace(b"fn two", b"fn deux")))
    assert [i.name for i in renamed.added] == ["deux"]
    assert renamed.removed == [i.id for i in old if i.name == "two"]
    gone = diff_items(old, [])
    assert sorted(gone.removed) == sorted(i.id for i in old)
