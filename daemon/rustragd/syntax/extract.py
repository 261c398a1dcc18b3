"""Rust items of one source file: kinds, spans, qualified names, docs and ids.

Item nodes come from ``queries/items.scm``; each is placed in the scope of its
enclosing item (module, impl, trait, struct, enum, variant), which gives its
qualified name and parent; items written in a function body are named under
that function (``crate::m::f::Inner``), as ctags lists them too.
Item-position macro invocations whose body mentions an item keyword
(``cfg_if! { ... }``) are re-parsed as items, their lines shifted to the file's.
A file is extracted segment by segment (:class:`Segments`), so that after an
edit only the segments it touched are extracted again. What an item's own text
says (signature, docs, attributes) is read by :mod:`rustragd.syntax.item_text`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sized
from dataclasses import dataclass
from functools import lru_cache
from operator import add, sub
from typing import TYPE_CHECKING, Any, TypeVar

from rustragd.ids import content_hash, item_id
from rustragd.model import FileExtract, Item
from rustragd.syntax.facts import (
    EXPRESSION,
    ITEM,
    REPARSED,
    STATEMENT,
    FactCollector,
    cfg_of,
    join_cfg,
    remap_lines,
)
from rustragd.syntax.item_text import (
    impl_names,
    node_text,
    preamble_of,
    signature_of,
    visibility_of,
)
from rustragd.syntax.parser import Matches, Node, Tree, error_count, matches, parse

if TYPE_CHECKING:
    from rustragd.syntax.edit import Edit

__all__ = ["SNIPPET_MAX_BYTES", "Segments", "extract_file", "extract_fragment", "extract_segments"]

#: Longest snippet kept, cut at a line boundary.
SNIPPET_MAX_BYTES = 8192

_MACRO_DEPTH = 3
_MACRO = "expansion.macro"
_KINDS = {
    "definition.function": "function",
    "definition.struct": "struct",
    "definition.enum": "enum",
    "definition.union": "union",
    "definition.variant": "variant",
    "definition.field": "field",
    "definition.interface": "trait",
    "definition.implementation": "impl",
    "definition.type": "type_alias",
    "definition.constant": "const",
    "definition.static": "static",
    "definition.macro": "macro_rules",
    "definition.module": "mod",
}
_SCOPES = frozenset(
    {"mod", "impl", "trait", "struct", "enum", "union", "variant", "function", "method"}
)
#: A segment's start byte, end byte (a block's head: the block's end), start row, whether
#: a syntax error sits in it, and the index of its block's head (its own for a head,
#: -1 outside blocks).
Span = tuple[int, int, int, bool, int]
#: Items whose body is cut into segments of their own.
_BLOCKS = frozenset({"impl_item", "trait_item", "mod_item"})
#: Top-level nodes that belong to the item after them (its docs and attributes).
_PREAMBLE = frozenset({"attribute_item", "line_comment", "block_comment"})
_T = TypeVar("_T", bound=tuple[Any, Node, Any])
_LISTS = frozenset({"declaration_list", "field_declaration_list", "enum_variant_list"})
_ITEM_KEYWORD = re.compile(
    rb"\b(?:fn|struct|enum|union|trait|impl|type|const|static|mod|macro_rules)\b"
)


@dataclass(frozen=True, slots=True)
class _Scope:
    """Where an item sits: what its qualified name starts with and who its parent is."""

    prefix: str
    parent: int
    owner: str
    module: str


def extract_file(
    rel_path: str, source: bytes, module_path: list[str], tree: Tree | None = None
) -> FileExtract:
    """Parse ``source`` (unless its ``tree`` is given) and return its items.

    ``module_path`` starts with the crate name.
    """
    return extract_segments(rel_path, source, module_path, tree)[0]


@dataclass(frozen=True, slots=True)
class Segments:
    """A file's extraction cut at its items, for :func:`extract_segments` to reuse the
    untouched ones after an edit.

    A segment is one top-level node with the comments and attributes written
    before it (its docs); an ``impl``, ``trait`` or ``mod`` block is cut further:
    its head (the block's own item and header) and each item of its body. ``spans``
    holds each segment's :data:`Span`; ``cuts`` how many items and rows of each
    fact section the extraction held after it (the first cut: after the crate's
    own item).
    """

    module: str
    content_hash: str
    """The hash of the source extracted (see :attr:`FileExtract.content_hash`)."""
    spans: list[Span]
    cuts: list[tuple[int, ...]]
    items: list[Item]
    rows: dict[str, list[list[Any]]]


def extract_segments(
    rel_path: str,
    source: bytes,
    module_path: list[str],
    tree: Tree | None = None,
    previous: tuple[Segments, Edit] | None = None,
) -> tuple[FileExtract, Segments]:
    """:func:`extract_file`, and its segments; ``previous`` (the segments of the source
    before ``edit``, with ``tree`` re-parsed from that one's tree) lets the segments the
    edit left alone be copied, moved to their new lines, instead of extracted again.

    The result is the same either way: a file is always extracted segment by
    segment, and an edit that renumbers same-named items after it (an ``impl``
    block added before another of the same type) extracts the whole file again.
    """
    if tree is None:
        tree = parse(source)
    module = "::".join(module_path)
    root = tree.root_node
    spans = _segment_spans(root)
    reuse = _reusable(spans, previous, module)
    if any(reuse):
        assert previous is not None
        done = _assemble(rel_path, source, module_path, tree, spans, reuse, previous[0])
        if done is not None:
            return done
    done = _assemble(rel_path, source, module_path, tree, spans, [None] * len(spans), None)
    assert done is not None  # a full extraction copies nothing, so it never gives up
    return done


def _segment_spans(root: Node) -> list[Span]:
    """The segments of a file (see :class:`Segments`), in source order."""
    spans: list[Span] = []
    for first, node, broken in _with_preamble(root.children):
        body = node.child_by_field_name("body") if node.type in _BLOCKS else None
        if body is None or body.type != "declaration_list":
            spans.append((first.start_byte, node.end_byte, first.start_point.row, broken, -1))
            continue
        head = len(spans)
        spans.append((first.start_byte, node.end_byte, first.start_point.row, broken, head))
        for start, item, item_broken in _with_preamble(body.named_children):
            spans.append(
                (start.start_byte, item.end_byte, start.start_point.row, item_broken, head)
            )
    return spans


def _with_preamble(nodes: list[Node]) -> Iterator[tuple[Node, Node, bool]]:
    """Each node not a comment or attribute, with the first of those right before it
    and whether a syntax error sits in them (trailing ones come alone)."""
    start: Node | None = None
    broken = False
    for node in nodes:
        if start is None:
            start, broken = node, False
        broken = broken or node.has_error or node.is_missing
        if node.type not in _PREAMBLE:
            yield start, node, broken
            start = None
    if start is not None:
        yield start, nodes[-1], broken


def _reusable(
    spans: list[Span],
    previous: tuple[Segments, Edit] | None,
    module: str,
) -> list[tuple[int, int] | None]:
    """For each new segment, the old segment it copies and the rows it moves by, or None:
    a segment wholly before the edit or wholly after it, with the same span and no error
    (a block's head: the whole block)."""
    if previous is None or previous[0].module != module:
        return [None] * len(spans)
    old, edit = previous
    where = {
        (span[0], span[1], _role(span, n)): n for n, span in enumerate(old.spans) if not span[3]
    }
    moved_bytes = edit.new_end_byte - edit.old_end_byte
    moved_rows = edit.new_end_point[0] - edit.old_end_point[0]
    found: list[tuple[int, int] | None] = []
    for n, span in enumerate(spans):
        start, end, _row, broken, _head = span
        match = None
        if broken:
            pass
        elif end <= edit.start_byte:
            k = where.get((start, end, _role(span, n)))
            match = None if k is None else (k, 0)
        elif start >= edit.new_end_byte:
            k = where.get((start - moved_bytes, end - moved_bytes, _role(span, n)))
            match = None if k is None else (k, moved_rows)
        found.append(match)
    return found


def _role(span: Span, index: int) -> int:
    """0: a top-level segment, 1: a block's head, 2: an item of a block's body."""
    return 0 if span[4] < 0 else 1 if span[4] == index else 2


def _ranges(spans: list[Span], todo: list[int]) -> list[tuple[int, int]]:
    """The byte ranges holding what segments ``todo`` start (each up to the next segment),
    adjacent ones merged."""
    ranges: list[tuple[int, int]] = []
    for n in todo:
        start = spans[n][0]
        end = spans[n + 1][0] if n + 1 < len(spans) else spans[n][1]
        if ranges and ranges[-1][1] == start:
            ranges[-1] = (ranges[-1][0], end)
        else:
            ranges.append((start, end))
    return ranges


def _assemble(
    rel_path: str,
    source: bytes,
    module_path: list[str],
    tree: Tree,
    spans: list[Span],
    reuse: list[tuple[int, int] | None],
    old: Segments | None,
) -> tuple[FileExtract, Segments] | None:
    """Extract the segments ``reuse`` leaves None, copy the others from ``old``; None
    when the extracted ones name their items differently from the ones they replace
    (the ids of same-named items after them would change) or a copied body item's
    block is not the same item any more."""
    module = "::".join(module_path)
    state = _FileState(rel_path, source, module)
    facts = state.facts
    root = tree.root_node
    lines = source.count(b"\n") + (0 if source.endswith(b"\n") or not source else 1)
    if len(module_path) == 1:  # a crate root (lib.rs, main.rs, a bin): the crate's module
        crate = Item(
            id=item_id(rel_path, module, "mod", 0),
            kind="mod",
            name=module,
            qualified_name=module,
            path=rel_path,
            start_line=1,
            end_line=max(lines, 1),
            signature=f"crate {module}",
            visibility="pub",
        )
        state.items.append(crate)
        facts.item(root, crate, source)
    todo = [n for n, copied in enumerate(reuse) if copied is None]
    if len(todo) == len(spans):
        found = matches(root)
    else:
        found = Matches([], [])
        for start, end in _ranges(spans, todo):
            part = matches(root, start, end)
            found.definitions.extend(part.definitions)
            found.facts.extend(part.facts)
    starts = [span[0] for span in spans]
    definitions = _by_segment(found.definitions, starts)
    references = _by_segment(found.facts, starts)
    sections = facts.sections()
    counted: list[Sized] = [state.items, *sections.values()]
    cuts = [tuple(map(len, counted))]
    scope = _Scope(module, 0, "", module)
    replaced: Counter[tuple[str, str]] = Counter()
    block_scopes: dict[int, _Scope] = {}  # the scopes of the block being walked
    n = 0
    while n < len(reuse):
        copied = reuse[n]
        if copied is None:
            head = spans[n][4]
            if head == n or head < 0:
                block_scopes = {}
            before = len(state.items)
            found_here = Matches(definitions[n], references[n])
            state.walk(root, found_here, source, scope, 0, 0, block_scopes)
            if head < 0 or head == n:
                facts.forget_file_bindings()
            if old is not None:
                replaced.update((i.qualified_name, i.kind) for i in state.items[before:])
            cuts.append(tuple(map(len, counted)))
            n += 1
            continue
        # A run of segments copied from consecutive old ones, moved by the same rows.
        assert old is not None
        first, moved = copied
        end = n + 1
        while end < len(reuse) and reuse[end] == (first + end - n, moved):
            end += 1
        for m in range(n, end):
            head = spans[m][4]
            if head == m or head < 0:
                block_scopes = {}
            elif reuse[head] is None and not _same_block(state, cuts, head, old, first + m - n):
                return None  # the block's item is another now: its items' names change
        offsets = list(map(sub, cuts[-1], old.cuts[first]))
        last = first + end - n
        _copy(state, old, first, last, moved)
        cuts.extend(tuple(map(add, cut, offsets)) for cut in old.cuts[first + 1 : last + 1])
        n = end
    if old is not None:
        kept = {copied[0] for copied in reuse if copied is not None}
        dropped = Counter(
            (item.qualified_name, item.kind)
            for k in range(len(old.spans))
            if k not in kept
            for item in old.items[old.cuts[k][0] : old.cuts[k + 1][0]]
        )
        if dropped != replaced:
            return None
    extract = FileExtract(
        path=rel_path,
        content_hash=content_hash(source),
        lines=lines,
        size=len(source),
        error_count=error_count(tree),
        items=state.items,
        facts=facts.pack(),
    )
    return extract, Segments(module, extract.content_hash, spans, cuts, state.items, sections)


def _same_block(
    state: _FileState, cuts: list[tuple[int, ...]], head: int, old: Segments, segment: int
) -> bool:
    """Whether the block around new segment ``head``'s items is the one around old
    ``segment`` (same item first in both heads: the names and parents inside hold)."""
    old_head = old.spans[segment][4]
    now = state.items[cuts[head][0] : cuts[head + 1][0]][:1]
    was = old.items[old.cuts[old_head][0] : old.cuts[old_head + 1][0]][:1]
    return bool(now and was) and (now[0].id, now[0].qualified_name, now[0].kind) == (
        was[0].id,
        was[0].qualified_name,
        was[0].kind,
    )


def _by_segment(found: list[_T], starts: list[int]) -> list[list[_T]]:
    """``found`` (matches in source order: the node is their second field) grouped by the
    segment each one starts in (``starts``: the segments' start bytes, ascending)."""
    grouped: list[list[_T]] = [[] for _ in starts]
    if not starts:
        return grouped
    segment, following = 0, [*starts[1:], 1 << 62]
    bucket = grouped[0]
    for entry in found:
        at = entry[1].start_byte
        while at >= following[segment]:
            segment += 1
            bucket = grouped[segment]
        bucket.append(entry)
    return grouped


def _copy(state: _FileState, old: Segments, first: int, end: int, rows_moved: int) -> None:
    """Append the items and fact rows of old segments ``first`` to ``end`` (excluded),
    ``rows_moved`` lines down."""
    start, stop = old.cuts[first], old.cuts[end]
    items = old.items[start[0] : stop[0]]
    seen = state.seen
    for item in items:
        key = (item.qualified_name, item.kind)
        seen[key] = seen.get(key, 0) + 1
    if rows_moved:
        items = [
            item.at_lines(item.start_line + rows_moved, item.end_line + rows_moved)
            for item in items
        ]
    state.items.extend(items)
    for n, (name, rows) in enumerate(state.facts.sections().items(), start=1):
        copied = old.rows[name][start[n] : stop[n]]
        rows.extend(remap_lines(name, copied, lambda n: n + rows_moved) if rows_moved else copied)


def extract_fragment(
    rel_path: str,
    source: bytes,
    scope: tuple[str, int, str, str],
    line: int,
    seen: dict[tuple[str, str], int],
    shift: int = 0,
) -> tuple[list[Item], dict[str, Any]]:
    """Items and facts (unpacked) of macro-made code (``source``) placed in ``scope`` at ``line``.

    ``scope`` is ``(qualified prefix, parent id, parent kind, module)``; every
    item gets the invocation's line; ``seen`` counts names already used in the
    file, so that ids stay distinct and stable. ``line`` 0 keeps the fragment's own
    lines, ``shift`` lines down (a macro body passed through unchanged).

    One expansion is often placed in many scopes (a helper macro making the same
    methods in every impl), so the fragment is extracted once in a placeholder
    scope and each placement renames its items: ids, parents, owners, lines.
    """
    prefix, parent, owner, module = scope
    found = _fragment(source, owner, module, bool(line), shift, bool(prefix))
    if found is None:  # a `mod` in the fragment: its module path depends on the scope
        state = _FileState(rel_path, source, module)
        state.seen, state.base = seen, shift
        state.pinned = state.facts.pinned = line
        tree = parse(source)
        state.trees.append(tree)
        root = tree.root_node
        state.walk(root, matches(root), source, _Scope(prefix, parent, owner, module), 1, shift)
        return state.items, state.facts.rows()
    items, facts = found
    ids = {_AROUND: parent}
    made = []
    for item in items:
        qualified = item.qualified_name.replace(_HERE, prefix)
        key = (qualified, item.kind)
        twin = seen.get(key, 0)
        seen[key] = twin + 1
        ident = ids[item.id] = item_id(rel_path, qualified, item.kind, twin)
        # A fresh copy, given its place before it is shared: as fast as building it field
        # by field, where dataclasses.replace takes five times as long per item.
        copy = item.at_lines(line or item.start_line, line or item.end_line)
        copy.id, copy.qualified_name, copy.path = ident, qualified, rel_path
        copy.parent = ids[item.parent]
        made.append(copy)
    placed: dict[str, Any] = {"mod": facts["mod"]}
    for name, rows in facts.items():
        if name == "items":
            placed[name] = [
                [
                    ids[r[0]],
                    r[1],
                    r[2],
                    ids[r[3]],
                    r[4].replace(_HERE, prefix),
                    line or r[5],
                    *r[6:],
                ]
                for r in rows
            ]
        elif name in ("gen", "rules"):
            placed[name] = [[ids[r[0]], *r[1:]] for r in rows]
        elif name != "mod":
            placed[name] = [[ids[r[0]], line or r[1], *r[2:]] for r in rows]
    return made, placed


#: Placeholders for the prefix and the parent of a fragment extracted once for many scopes.
_HERE = "\0"
_AROUND = -(2**63)


@lru_cache(maxsize=1024)
def _fragment(
    source: bytes, owner: str, module: str, pinned: bool, shift: int, named: bool
) -> tuple[list[Item], dict[str, Any]] | None:
    """Items and facts of ``source`` in a placeholder scope (see :func:`extract_fragment`);
    None when a ``mod`` in it makes the module path depend on the real scope."""
    state = _FileState("", source, module)
    state.base = shift
    state.pinned = state.facts.pinned = 1 if pinned else 0
    tree = parse(source)
    state.trees.append(tree)
    root = tree.root_node
    where = _Scope(_HERE if named else "", _AROUND, owner, module)
    state.walk(root, matches(root), source, where, 1, shift)
    if any(item.kind == "mod" for item in state.items):
        return None
    ids = {item.id for item in state.items}
    if len(ids) < len(state.items) or _AROUND in ids:
        return None  # never seen; the renaming needs distinct ids
    return state.items, state.facts.rows()


class _FileState:
    """The items found so far in one file, and what its ids need."""

    def __init__(self, rel_path: str, source: bytes, module: str) -> None:
        self.path = rel_path
        self.lines = source.decode("utf-8", "replace").split("\n")
        self.items: list[Item] = []
        self.seen: dict[tuple[str, str], int] = {}
        self.facts = FactCollector(module)
        self.pinned = 0
        #: Line of the file where ``self.lines`` starts (a macro body given alone), minus one.
        self.base = 0
        self.trees: list[Tree] = []

    def walk(
        self,
        root: Node,
        found: Matches,
        src: bytes,
        scope: _Scope,
        depth: int,
        shift: int,
        scopes: dict[int, _Scope] | None = None,
    ) -> None:
        """Add the items of ``found`` (the matches under ``root``), ``shift`` lines down;
        in macro bodies, skip broken ones. ``scopes`` (node id -> the scope it opens)
        carries the scopes of a block's head to the walks of its body's segments."""
        scopes = {} if scopes is None else scopes
        outer, self.facts.outer = self.facts.outer, scope.parent
        for label, node, name_node in found.definitions:
            if depth and node.has_error and _broken(node):
                continue
            if label == _MACRO:
                where = _item_scope(node, scope, scopes)
                body = self.reparsable(node) if where is not None and depth < _MACRO_DEPTH else b""
                if where is not None:
                    position = REPARSED if body else ITEM
                else:
                    position = STATEMENT if _statement(node) else EXPRESSION
                outer_cfg = self.facts.inherited_cfg
                cfg = join_cfg(outer_cfg, _invocation_cfg(node, src))
                self.facts.macro(node, src, shift, position, cfg)
                if where is not None and body:
                    start = node.named_children[-1].start_point.row
                    tree = parse(body)
                    self.trees.append(tree)  # node ids stay unique while the file is walked
                    inner = tree.root_node
                    self.facts.inherited_cfg = cfg  # `#[cfg(x)] m! { struct S; }`: S's too
                    self.walk(inner, matches(inner), body, where, depth + 1, shift + start)
                    self.facts.inherited_cfg = outer_cfg
                continue
            where = _item_scope(node, scope, scopes) or _body_scope(node, scope, scopes)
            if where is None:
                continue
            item = self.add(_KINDS[label], node, name_node, src, where, shift)
            self.facts.item(node, item, src)
            if item.kind in _SCOPES:
                module = item.qualified_name if item.kind == "mod" else where.module
                scopes[node.id] = _Scope(item.qualified_name, item.id, item.kind, module)
        self.facts.scan(found.facts, src, shift)
        self.facts.outer = outer

    def reparsable(self, node: Node) -> bytes:
        """An item-position macro body that mentions an item keyword, to re-parse as items."""
        body = node.named_children[-1]
        inner = (body.text or b"")[1:-1].rstrip()
        if body.type != "token_tree" or not _ITEM_KEYWORD.search(inner):
            return b""
        if not inner.endswith((b";", b"}")):
            inner += b";"  # `thread_local!(static X: T = e)` leaves out the last `;`
        return inner

    def add(
        self, kind: str, node: Node, name_node: Node, src: bytes, scope: _Scope, shift: int
    ) -> Item:
        """Make the item for ``node`` and append it."""
        name = node_text(name_node, src)
        if kind == "function" and scope.owner in ("impl", "trait"):
            kind = "method"
        if kind == "impl":
            name, qualified = impl_names(node, name_node, src, scope.module)
        else:
            qualified = f"{scope.prefix}::{name}" if scope.prefix else name
        key = (qualified, kind)
        twin = self.seen.get(key, 0)
        self.seen[key] = twin + 1
        start_row = node.start_point.row
        end_point = node.end_point
        end_row = end_point.row - (end_point.column == 0 and end_point.row > start_row)
        first, last = start_row + shift + 1, end_row + shift + 1
        start, end = (self.pinned, self.pinned) if self.pinned else (first, last)
        docs, attrs = preamble_of(node, src)
        item = Item(
            id=item_id(self.path, qualified, kind, twin),
            kind=kind,
            name=name,
            qualified_name=qualified,
            path=self.path,
            start_line=start,
            end_line=end,
            signature=signature_of(node, name_node, src, kind),
            doc="\n".join(docs),
            snippet=self.snippet(first, last),
            visibility=visibility_of(node, src),
            attrs="\n".join(attrs),
            parent=scope.parent,
        )
        self.items.append(item)
        return item

    def snippet(self, start: int, end: int) -> str:
        """Source lines ``start..end``, cut at a line boundary to fit the cap."""
        lines = self.lines[start - 1 - self.base : end - self.base]
        text = "\n".join(lines)
        if len(text) <= SNIPPET_MAX_BYTES // 4 or len(text.encode("utf-8")) <= SNIPPET_MAX_BYTES:
            return text
        kept: list[str] = []
        size = 0
        for line in lines:
            size += len(line.encode("utf-8")) + 1
            if size > SNIPPET_MAX_BYTES + 1:
                break
            kept.append(line)
        return "\n".join(kept)


def _item_scope(node: Node, root: _Scope, scopes: dict[int, _Scope]) -> _Scope | None:
    """The scope of a node in item position (file, module, impl, trait, ...), else None."""
    container = node.parent
    if container is not None and container.type == "expression_statement":
        container = container.parent
    while container is not None:
        kind = container.type
        if kind == "ERROR":  # recovery wraps items; an ERROR root stands for the file
            if container.parent is None:
                return root
            container = container.parent
            continue
        if kind == "source_file":
            return root
        if kind not in _LISTS:
            return None
        owner = container.parent
        if owner is None:
            return None
        found = scopes.get(owner.id)
        if found is not None or owner.type != "foreign_mod_item":
            return found
        container = owner.parent
    return None


def _invocation_cfg(node: Node, src: bytes) -> str:
    """The ``#[cfg]`` attributes written before a macro invocation (``m!(..);`` is
    parsed as an expression statement, which the attributes precede)."""
    parent = node.parent
    if parent is not None and parent.type == "expression_statement":
        node = parent
    return cfg_of("\n".join(preamble_of(node, src)[1]))


def _statement(node: Node) -> bool:
    """Whether a macro invocation is a statement of a block (``m! { ... }`` in a fn body)."""
    parent = node.parent
    return parent is not None and parent.type in ("expression_statement", "block")


def _broken(node: Node) -> bool:
    """Whether a syntax error sits in an item's header, not just inside its body (an
    impl whose method uses ``try!``, which the grammar does not parse, is still an impl)."""
    body = node.child_by_field_name("body")
    for child in node.children:
        if child.has_error and not (body is not None and child.id == body.id):
            return True
    return node.is_error or node.is_missing


def _body_scope(node: Node, root: _Scope, scopes: dict[int, _Scope]) -> _Scope | None:
    """The scope of an item written in a function body: that of the nearest enclosing item."""
    ancestor = node.parent
    while ancestor is not None:
        found = scopes.get(ancestor.id)
        if found is not None:
            return found
        if ancestor.type == "source_file":
            return root
        ancestor = ancestor.parent
    return None
