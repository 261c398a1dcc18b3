"""The difference between a file's stored items and its new ones, by id and content.

An item's content is everything but its position: kind, names, signature,
doc, snippet, visibility, attributes and parent. Same id and content on other
lines is a move (update the span, keep the vector); other content is an
update (re-embed); ids only on one side are added or removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rustragd.model import Item

__all__ = ["Delta", "diff_items"]


@dataclass(slots=True)
class Delta:
    """What to write for one file: ``moved`` items carry their new lines, same content."""

    added: list[Item] = field(default_factory=list)
    updated: list[Item] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    moved: list[Item] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> int:
        """Number of items that need any write."""
        return len(self.added) + len(self.updated) + len(self.removed) + len(self.moved)

    @property
    def to_embed(self) -> list[Item]:
        """The items whose text is new."""
        return self.added + self.updated


def diff_items(old: list[Item], new: list[Item]) -> Delta:
    """The delta turning ``old`` into ``new`` (both one file's items)."""
    delta = Delta()
    before = {item.id: item for item in old}
    pop = before.pop
    for item in new:
        was = pop(item.id, None)
        if was is None:
            delta.added.append(item)
        elif (
            was.snippet != item.snippet
            or was.signature != item.signature
            or was.doc != item.doc
            or was.attrs != item.attrs
            or was.visibility != item.visibility
            or was.qualified_name != item.qualified_name
            or was.name != item.name
            or was.kind != item.kind
            or was.parent != item.parent
        ):
            delta.updated.append(item)
        elif was.start_line != item.start_line or was.end_line != item.end_line:
            delta.moved.append(item)
        else:
            delta.unchanged += 1
    delta.removed = list(before)
    return delta
