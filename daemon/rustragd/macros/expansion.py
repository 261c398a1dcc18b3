"""Items made by crate-local ``macro_rules!`` invoked at item position.

Each invocation recorded in the facts whose name is a ``macro_rules!`` of the
same crate (the definition written last before it in the same file winning) is
expanded by :func:`rustragd.macros.macro_rules.expand` and the expansion extracted as
items in the invocation's scope, at the invocation's line; item invocations in
the result are expanded in turn (an expansion that is nothing but invocations, a
wrapper's layer, on tokens before it is extracted), and what one invocation's
layers make again is merged into the first copy. Local invocations in type and
expression position in an expansion's items (``impl T for (ignore_ident!(a, A),)``, an
array's length) are expanded in place before it is extracted, as rustc does; those
written in the source file itself are not (the extractor made those items, before the
crate's macros are known). A macro that passes its body through
(``serde_if_integer128! { ... }``) keeps the body's own lines. Statement-position
invocations (``m! { ... }`` in a function body) are expanded when the macro's
definition mentions an item keyword.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from typing import Any, cast

import msgpack

from rustragd.heap import unpack_shared
from rustragd.macros.macro_rules import expand, expand_inner, expand_nested
from rustragd.model import Item
from rustragd.syntax.extract import extract_fragment
from rustragd.syntax.facts import REPARSED, STATEMENT, ItemColumn, MacroColumn, join_cfg

__all__ = [
    "Expansions",
    "expand_file",
    "expand_files",
    "item_makers",
    "local_rules",
    "pack_expansions",
    "unpack_expansions",
]

Expander = Callable[[str, str], "str | None"]
#: Per file: the items its local macro invocations make, and their facts (fragments).
Expansions = dict[str, tuple[list[Item], list[dict[str, Any]]]]

#: Nested expansions followed at most.
_DEPTH = 4
#: Nested expansions followed at most in type and expression position (``count!`` of
#: itertools' tuples recurses once per element); the expander's budget bounds the work.
_INNER_DEPTH = 32
#: The ``!(`` of an invocation; what is before it is read backwards (``_BEFORE_BANG``).
_BANG = re.compile(r"!\s*[(\[{]")
#: Reversed text before a ``!``: the macro's name, then the word or punctuation before it.
_BEFORE_BANG = re.compile(r"\s*(\w+)\s*(\w+|[^\s\w])?")
_WORD = re.compile(r"\w")
#: The words a type follows (``impl T for m!()``, ``x as m!()``, ``&mut m!()``).
_TYPE_WORDS = frozenset({"for", "as", "dyn", "impl", "mut"})
#: A ``macro_rules!`` that may make items (worth expanding in statement position).
_MAKES_ITEMS = re.compile(r"\b(?:fn|struct|enum|union|trait|impl|type|const|static|mod)\b")


def expand_files(files: list[tuple[str, dict[str, Any]]]) -> Expansions:
    """Each file's items made by local macros, and their facts, in file order."""
    rules = local_rules(files)
    return {path: expand_file(path, facts, rules, expand) for path, facts in files}


def pack_expansions(expansions: Expansions) -> bytes:
    """Expansions as one msgpack blob (items as rows, fragments as they are)."""
    rows = {path: [[i.as_row() for i in items], f] for path, (items, f) in expansions.items()}
    return cast(bytes, msgpack.packb(rows, use_bin_type=True))


def unpack_expansions(blob: bytes) -> Expansions:
    """Inverse of :func:`pack_expansions`."""
    rows = unpack_shared(blob)
    for _items, fragments in rows.values():
        for fragment in fragments:
            fragment["mod"] = sys.intern(fragment["mod"])
    return {path: ([Item.from_row(r) for r in items], f) for path, (items, f) in rows.items()}


def local_rules(files: list[tuple[str, dict[str, Any]]]) -> dict[str, dict[str, str]]:
    """Each crate's ``macro_rules!`` by name, the first written (in file order) winning."""
    rules: dict[str, dict[str, str]] = defaultdict(dict)
    for _, facts in files:
        crate = facts["mod"].partition("::")[0]
        for _ident, name, text in facts["rules"]:
            rules[crate].setdefault(name, text)
    return rules


def item_makers(files: list[tuple[str, dict[str, Any]]]) -> set[str]:
    """Names of the local ``macro_rules!`` that may make items (expanded in statement position)."""
    return {
        name
        for _, facts in files
        for _ident, name, text in facts["rules"]
        if _MAKES_ITEMS.search(text)
    }


def expand_file(
    path: str,
    facts: dict[str, Any],
    rules: dict[str, dict[str, str]],
    expand: Expander,
) -> tuple[list[Item], list[dict[str, Any]]]:
    """Items made by the local macros invoked in one file, and their facts (fragments)."""
    module = facts["mod"]
    crate = module.partition("::")[0]
    ident, kind, qualified = ItemColumn.ID, ItemColumn.KIND, ItemColumn.QUALIFIED_NAME
    owners = {row[ident]: (row[kind], row[qualified]) for row in facts["items"]}
    counts: dict[tuple[str, str], int] = {}
    for row in facts["items"]:
        counts[(row[qualified], row[kind])] = counts.get((row[qualified], row[kind]), 0) + 1
    textual = _textual(facts)
    twins = _Twins(facts)
    items: list[Item] = []
    extra: list[dict[str, Any]] = []
    #: One copy of each view of the macros in scope (a key of the expanders' caches).
    views: dict[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]] = {}
    # Each invocation of the file is the root of its nested expansions (its index here).
    work = [(row, 0, root) for root, row in enumerate(facts["macros"])]
    while work:
        (owner, line, segs, text, body_line, position, cfg), depth, root = work.pop()
        local = _in_scope(rules.get(crate, {}), textual, line)
        definition = local.get(segs[-1])
        if not text or definition is None or depth > _DEPTH:
            continue
        if position == STATEMENT and not _MAKES_ITEMS.search(definition):
            continue  # an expression macro (`tri!(x);`): nothing to index
        expanded = expand(definition, text)
        if expanded is None:
            continue
        kind, prefix = owners.get(owner, ("mod", module))
        scope = (prefix, owner, kind, prefix if kind == "mod" else module)
        if _tokens(expanded) == _tokens(text):  # passes its body through: keep its lines
            if position == REPARSED:
                continue  # the extractor already indexed that body
            source, at, shift = text.encode("utf-8"), 0, body_line - 1
        else:
            if depth < _DEPTH and _invokes(expanded, local):  # a wrapper's layers
                view = views.setdefault(key := tuple(sorted(local.items())), key)
                expanded = expand_nested(view, expanded, _DEPTH - depth) or expanded
            if _invokes_inside(expanded, local):  # `impl T for (m!(a, A),)`
                view = views.setdefault(key := tuple(sorted(local.items())), key)
                expanded = expand_inner(view, expanded, _INNER_DEPTH) or expanded
            source, at, shift = expanded.encode("utf-8"), line, 0
        made, fragment = extract_fragment(path, source, scope, at, counts, shift)
        if cfg:  # `#[cfg(x)] m!(..)`: what it makes is compiled when x holds
            _inherit_cfg(fragment, cfg)
        made, fragment = twins.merge(root, facts["macros"][root], made, fragment)
        for item in made:
            owners[item.id] = (item.kind, item.qualified_name)
        work.extend((row, depth + 1, root) for row in fragment["macros"])
        items.extend(made)
        extra.append(fragment)
    return items, extra


def _inherit_cfg(fragment: dict[str, Any], cfg: str) -> None:
    """Give an invocation's ``cfg`` to the items and invocations its expansion makes."""
    for row in fragment["items"]:
        row[ItemColumn.CFG] = join_cfg(cfg, row[ItemColumn.CFG])
    for row in fragment["macros"]:
        row[MacroColumn.CFG] = join_cfg(cfg, row[MacroColumn.CFG])


#: Kinds of which a module (or a function body) holds one item per name and cfg
#: (rustc rejects a second): an expansion that makes one again (the extractor indexed
#: the invocation's body, or an outer expansion made it) shows the same item again.
_UNIQUE = frozenset(
    {"struct", "enum", "union", "trait", "type_alias", "const", "static", "function"}
)
#: Kinds that are the same item again when their parent is (a twin struct's fields).
_MEMBERS = frozenset({"field", "variant", "method", "const", "type_alias", "function"})
_ASSOCIATED = frozenset({"impl", "trait"})


class _Twins:
    """Merges the items one invocation's expansions make again into the first copy.

    ``libc``'s ``s! { pub struct timeval { .. } }`` is indexed from the invocation's
    body, and again from ``s!(it: ..)`` and from ``__item! { .. }`` that it expands to:
    three ``timeval`` structs, every use of which would be ambiguous among them. An
    item made under one (root) invocation whose qualified name, kind and cfg an item of
    that invocation's body or of an earlier expansion under it already has is dropped
    with its members. Its facts go too, but for its derives, which the first copy takes
    over (a macro often adds derives its body does not write). Separate invocations are
    never merged: ``#[cfg(a)] m!(X); #[cfg(not(a))] m!(X);`` make two items.
    """

    def __init__(self, facts: dict[str, Any]) -> None:
        self.items = facts["items"]
        self.known: dict[int, dict[tuple[str, str, str], int]] = {}
        self.kinds: dict[int, str] = {}
        self.derived: dict[int, set[tuple[str, ...]]] = defaultdict(set)
        self._learn(facts, {})

    def _learn(self, facts: dict[str, Any], known: dict[tuple[str, str, str], int]) -> None:
        for ident, kind, name, _parent, qualified, *_, cfg in facts["items"]:
            self.kinds[ident] = kind
            if kind in _UNIQUE | _MEMBERS and name != "_":
                known.setdefault((qualified, kind, cfg), ident)
        for ident, _line, traits in facts["derives"]:
            self.derived[ident].update(tuple(segs) for segs in traits)

    def _known(self, root: int, invocation: list[Any]) -> dict[tuple[str, str, str], int]:
        """What is known under ``root`` to begin with: the items of its body (which the
        extractor indexed when the body reads as items)."""
        known = self.known.get(root)
        if known is None:
            _owner, _line, _segs, text, body_line, *_ = invocation
            last = body_line + text.count("\n") if body_line else -1
            known = self.known[root] = {}
            self._learn(
                {"items": [r for r in self.items if body_line <= r[5] <= last], "derives": []},
                known,
            )
        return known

    def merge(
        self, root: int, invocation: list[Any], made: list[Item], fragment: dict[str, Any]
    ) -> tuple[list[Item], dict[str, Any]]:
        """``made`` and its ``fragment`` facts without the items known under ``root``."""
        known = self._known(root, invocation)
        gone: dict[int, int] = {}  # dropped id -> the id of the item it repeats
        for ident, kind, name, parent, qualified, *_, cfg in fragment["items"]:
            if parent in gone:
                repeats = kind in _MEMBERS
            else:
                repeats = kind in _UNIQUE and self.kinds.get(parent) not in _ASSOCIATED
            twin = known.get((qualified, kind, cfg)) if repeats and name != "_" else None
            if twin is not None and twin != ident:
                gone[ident] = twin
        if not gone:
            self._learn(fragment, known)
            return made, fragment
        merged: dict[str, Any] = {}
        for section, rows in fragment.items():
            if section == "mod":
                merged[section] = rows
            elif section == "derives":
                derives = [self._derives(gone.get(r[0], r[0]), r) for r in rows]
                merged[section] = [r for r in derives if r[2]]
            elif section == "items":
                merged[section] = [
                    [*r[:3], gone.get(r[3], r[3]), *r[4:]] for r in rows if r[0] not in gone
                ]
            else:
                merged[section] = [r for r in rows if r[0] not in gone]
        self._learn(merged, known)
        kept = [
            item if item.parent not in gone else replace(item, parent=gone[item.parent])
            for item in made
            if item.id not in gone
        ]
        return kept, merged

    def _derives(self, owner: int, row: list[Any]) -> list[Any]:
        """A derives row for ``owner`` with only the traits it does not derive yet."""
        seen = self.derived[owner]
        traits = [segs for segs in row[2] if tuple(segs) not in seen]
        return [owner, row[1], traits]


def _invokes(text: str, local: dict[str, str]) -> bool:
    """Whether ``text`` may begin with an invocation of one of the ``local`` macros."""
    head = text.lstrip()
    while head.startswith("#["):  # attributes before it
        head = head[head.find("]") + 1 :].lstrip()
    name = head[: max(0, head.find("!"))].rsplit("::", 1)[-1].strip()
    return name in local


def _invokes_inside(text: str, local: dict[str, str]) -> bool:
    """Whether ``text`` may invoke one of the ``local`` macros in type or expression
    position: after punctuation but ``{``, ``}``, an attribute's ``]`` or a ``;`` (item and
    statement positions; the ``;`` of an array type, ``[T; count!(..)]``, is one), or after
    a word a type follows."""
    for bang in _BANG.finditer(text):
        at = bang.start()
        found = _BEFORE_BANG.match(text[max(0, at - 100) : at][::-1])
        if found is None or found[1][::-1] not in local or found[2] is None:
            continue
        before = found[2][::-1]
        if before == ";":
            head = text[: at - found.end()]
            opened = head.rfind("[")
            if opened >= 0 and max(map(head.rfind, "]{}")) < opened:
                return True
        elif before in _TYPE_WORDS or (before not in "{}]" and not _WORD.match(before)):
            return True
    return False


def _tokens(text: str) -> str:
    return "".join(text.split())


def _textual(facts: dict[str, Any]) -> list[tuple[int, str, str]]:
    """``(line, name, definition)`` of the file's own ``macro_rules!``, in line order."""
    lines = {row[ItemColumn.ID]: row[ItemColumn.LINE] for row in facts["items"]}
    return sorted((lines.get(ident, 0), name, text) for ident, name, text in facts["rules"])


def _in_scope(
    crate: dict[str, str], textual: list[tuple[int, str, str]], line: int
) -> dict[str, str]:
    """The definitions an invocation at ``line`` sees: the file's own, last one written
    before the line winning (``macro_rules!`` scope is textual, and cfg'd twins and
    same-named macros of other modules are common), then the crate's others."""
    if not textual:
        return crate
    local = dict(crate)
    for at, name, text in textual:
        if at < line:
            local[name] = text
    return local
