"""Raw reference facts of one source file, packed with msgpack for the resolver.

The extractor walks a file's items and hands each item node here
(:meth:`FactCollector.item`), then the matches of ``queries/facts.scm`` in the
whole tree (:meth:`FactCollector.scan`), found in the same query pass as the
items. The blob is enough to resolve the workspace later without the sources.
Layout (all lists, for compactness):

* ``mod``: the file's module path (``a::b``);
* ``items``: ``[id, kind, name, parent, qualified_name, line, visibility, bodiless,
  type head segments | None, cfg]`` (``bodiless``: a ``fn`` without body; the type: a
  function's return type, a field's type, a newtype struct's or variant's one field's,
  an alias's;
  primitives by name, slices and arrays as ``[]``, tuples as ``()`` and their
  elements' heads; ``cfg``: its
  ``#[cfg(...)]`` attributes, whitespace-normalised, "" when none);
* ``gen``: ``[item id, [generic parameter names], [[name, trait segments], ...]]``, the
  last the parameters' trait bounds, inline (``<A: de::SeqAccess<'de>>``) and in the
  ``where`` clause; a trait's supertraits and an associated type's bounds are bounds on
  ``Self``;
* ``uses``: ``[owner, line, visibility, segments, alias]`` per use-tree leaf;
  alias ``""`` keeps the last segment, ``"*"`` is a glob, ``"_"`` anonymous;
* ``calls``: ``[owner, line, "p", segments]`` (path call),
  ``[owner, line, "q", type segments | None, trait segments, name]``
  (``<T as Trait>::f``), ``[owner, line, "m", name, receiver]`` (method call),
  receiver ``[]`` unknown, ``["self"]``, ``["type", segments, plain(, argument)]`` (the
  written type, a primitive's name, ``[]`` for a slice or array; ``plain``: written
  without type arguments, False for a struct literal's; ``argument``: the head of the
  first type argument, when there are some), ``["ret", segments]``
  (the value of the path call ``segments``), ``["bound", [trait segments, ...]]`` (a
  value of type ``impl Trait`` or ``dyn Trait``), ``["field", name, receiver]``
  (``receiver.name``, ``self.name`` among them; ``name`` "0" for ``receiver.0``),
  ``["call", name, receiver]`` (the value of the method call ``receiver.name()``),
  ``["ret", segments, receiver]`` (a path call's value, its first argument's receiver),
  ``["pat", segments, index]`` (what a tuple struct or variant pattern ``segments(..)``
  binds at ``index``), ``["elem", index, receiver]`` (element ``index`` of a tuple),
  ``["deref", receiver]`` (``*receiver``: what it points to, when a raw pointer);
* ``types``: ``[owner, line, template]``; a template is a list of tokens (str)
  and paths (lists of segments);
* ``impls``: ``[impl id, line, self template, self head segments | None, trait segments | None]``;
* ``derives``: ``[type id, line, [segments...]]``;
* ``macros``: ``[owner, line, segments, arguments, arguments' line, position, cfg]``:
  the text inside the invocation's delimiters ("" in expression position);
  position 0 expression, 1 item, 2 item whose body the extractor re-parsed as
  items, 3 statement; ``cfg`` the invocation's own ``#[cfg]`` and those of the
  invocations it is written in (what it makes is compiled only when they hold);
* ``rules``: ``[macro_rules id, name, definition text]``.

``owner`` is the id of the innermost enclosing item (0: the file itself).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, cast

import msgpack

from rustragd.heap import unpack_shared
from rustragd.model import Item
from rustragd.syntax.parser import Fact, Node

__all__ = [
    "EXPRESSION",
    "ITEM",
    "REPARSED",
    "SLICE",
    "STATEMENT",
    "TUPLE",
    "FactCollector",
    "ItemColumn",
    "MacroColumn",
    "cfg_of",
    "fact_lines",
    "join_cfg",
    "named_child",
    "remap_lines",
    "type_words",
    "unpack_facts",
]

#: The type head of slices and arrays (``[T]``, ``[T; N]``): their methods' owner.
SLICE = "[]"
#: The heads of raw pointer types (``*const T``, ``*mut T``), whatever they point to.
CONST_POINTER, MUT_POINTER = "*const", "*mut"
#: The first segment of a tuple type's head; each element's head follows, its segments
#: joined by ``::`` ("" for an element without one).
TUPLE = "()"

#: Positions of a macro invocation (see ``macros`` above).
EXPRESSION, ITEM, REPARSED, STATEMENT = 0, 1, 2, 3


class ItemColumn:
    """Where each field is in an ``items`` row (see the layout above)."""

    ID, KIND, NAME, PARENT, QUALIFIED_NAME, LINE = 0, 1, 2, 3, 4, 5
    VISIBILITY, BODILESS, TYPE_HEAD, CFG = 6, 7, 8, 9


class MacroColumn:
    """Where each field is in a ``macros`` row (see the layout above)."""

    OWNER, LINE, SEGMENTS, ARGUMENTS, ARGUMENTS_LINE, POSITION, CFG = 0, 1, 2, 3, 4, 5, 6


_PATHS = frozenset({"identifier", "type_identifier", "scoped_identifier", "scoped_type_identifier"})
_LEAF_TOKENS = frozenset({"lifetime", "primitive_type", "string_literal", "integer_literal"})
_SEGMENT_LEAVES = frozenset(
    {"identifier", "type_identifier", "field_identifier", "crate", "self", "super", "metavariable"}
)
_DERIVE = re.compile(r"#\[\s*derive\s*\((.*)\)\s*\]\Z", re.S)
#: ``#[cfg_attr(cond, derive(A, B))]``: derives under a condition (counted, like cfg'd items).
_CFG_DERIVE = re.compile(r"[(,]\s*derive\s*\(([^()]*)\)")
_GENERIC_OWNERS = frozenset(
    {"function", "method", "impl", "trait", "struct", "enum", "union", "type_alias"}
)

Segments = list[str]


class FactCollector:
    """Collects one file's facts while the extractor walks it."""

    def __init__(self, module: str) -> None:
        self.module = module
        self.items: list[list[Any]] = []
        self.generics: list[list[Any]] = []
        self.uses: list[list[Any]] = []
        self.calls: list[list[Any]] = []
        self.types: list[list[Any]] = []
        self.impls: list[list[Any]] = []
        self.derives: list[list[Any]] = []
        self.macros: list[list[Any]] = []
        self.rules: list[list[Any]] = []
        self._owners: dict[int, int] = {}
        #: Owner of references outside any item of the tree being walked (a macro body's container).
        self.outer = 0
        #: Line given to every fact (macro-made code sits on its invocation's line), else 0.
        self.pinned = 0
        #: The ``cfg`` of the item-position invocations whose body is being walked: the
        #: items in it are compiled only when it holds too.
        self.inherited_cfg = ""
        self._bindings: dict[int, list[tuple[int, str, list[Any]]]] = {}
        #: Node id -> owner of what is written inside that node (see :meth:`_owner`).
        self._inside: dict[int, int] = {}
        #: Template of a type by its text: a type parses the same wherever it is written.
        self._templates: dict[bytes, list[Any]] = {}

    def item(self, node: Node, item: Item, src: bytes) -> None:
        """Record an item made from ``node``: its row, generics, impl header, derives."""
        self._owners[node.id] = item.id
        returns = _declared_type(node, item.kind)
        self.items.append(
            [
                item.id,
                item.kind,
                item.name,
                item.parent,
                item.qualified_name,
                item.start_line,
                item.visibility,
                node.type == "function_signature_item",
                head(returns, src) if returns is not None else None,
                join_cfg(self.inherited_cfg, cfg_of(item.attrs)),
            ]
        )
        if item.kind in _GENERIC_OWNERS:
            names = generic_names(node, src)
            bounds = generic_bounds(node, src, names)
            if item.kind == "trait" or node.type == "associated_type":
                bounds += [["Self", path] for path in self_bounds(node, src)]
            if names or bounds:
                self.generics.append([item.id, names, bounds])
        if item.kind == "impl":
            self._impl(node, item, src)
        elif item.kind == "macro_rules":
            self.rules.append([item.id, item.name, _text(node, src)])
        if item.attrs and item.kind in ("struct", "enum", "union"):
            derived = derives(item.attrs)
            if derived:
                self.derives.append([item.id, item.start_line, derived])

    def macro(self, node: Node, src: bytes, shift: int, position: int, cfg: str) -> None:
        """Record a macro invocation (``cfg``: see the layout); its arguments too unless
        in expression position."""
        name = node.child_by_field_name("macro")
        segs = segments(name, src) if name is not None else None
        if segs is not None:
            body = node.named_children[-1] if position else None
            text, body_line = "", 0
            if body is not None and body.type == "token_tree":
                text = _text(body, src)[1:-1]
                body_line = body.start_point.row + shift + 1
            line = self.pinned or node.start_point.row + shift + 1
            self.macros.append([self._owner(node), line, segs, text, body_line, position, cfg])

    def scan(self, facts: list[Fact], src: bytes, shift: int) -> None:
        """Record the matches of ``facts.scm`` in one parse (the file or a macro body)."""
        for label, node, parts in facts:
            line = self.pinned or node.start_point.row + shift + 1
            if label == "use":
                self._use(node, src, line)
            elif label == "call":
                self._call(node, parts["callee"][0], src, line)
            elif label == "type":
                self.types.append([self._owner(node), line, self._template(node, src)])
            elif label == "bind.param":
                pattern, written = parts["bind.pattern"][0], parts["bind.type"][0]
                self._bind(node, pattern, src, typed(written, src))
            elif label == "bind.let":
                self._bind_let(node, parts["bind.pattern"][0], src)
            elif label == "bind.closure":
                self._bind(node, node, src, [])
            elif label == "bind.tuple":
                self._bind_tuple(node, parts["bind.path"][0], src)

    def rows(self) -> dict[str, Any]:
        """The facts as :func:`unpack_facts` gives them back from :meth:`pack`."""
        return {"mod": self.module, **self.sections()}

    def sections(self) -> dict[str, list[list[Any]]]:
        """The row lists by section name (the collector's own lists, in layout order)."""
        return {
            "items": self.items,
            "gen": self.generics,
            "uses": self.uses,
            "calls": self.calls,
            "types": self.types,
            "impls": self.impls,
            "derives": self.derives,
            "macros": self.macros,
            "rules": self.rules,
        }

    def forget_file_bindings(self) -> None:
        """Drop the names bound outside any item (so that one top-level item's facts never
        depend on another's: the extractor re-extracts them one by one)."""
        self._bindings.pop(0, None)

    def pack(self) -> bytes:
        """The facts as one msgpack blob."""
        return cast(bytes, msgpack.packb(self.rows(), use_bin_type=True))

    def _owner(self, node: Node) -> int:
        """The id of the innermost item around ``node``.

        The answer is remembered for every ancestor climbed through, so that the
        next node in the same body stops early. Items are recorded parents first,
        so no item recorded later can sit above a node already answered for.
        """
        inside = self._inside
        owners = self._owners
        climbed: list[int] = []
        ancestor = node.parent
        found = self.outer
        while ancestor is not None:
            key = ancestor.id
            known = inside.get(key)
            if known is None:
                known = owners.get(key)
            if known is not None:
                found = known
                break
            climbed.append(key)
            ancestor = ancestor.parent
        for key in climbed:
            inside[key] = found
        return found

    def _template(self, node: Node, src: bytes) -> list[Any]:
        if node.has_error:
            return template(node, src)
        text = src[node.start_byte : node.end_byte]
        known = self._templates.get(text)
        if known is None:
            known = self._templates[text] = template(node, src)
        return known

    def _impl(self, node: Node, item: Item, src: bytes) -> None:
        self_type = node.child_by_field_name("type")
        trait = node.child_by_field_name("trait")
        self.impls.append(
            [
                item.id,
                item.start_line,
                self._template(self_type, src) if self_type is not None else [],
                head(self_type, src) if self_type is not None else None,
                head(trait, src) if trait is not None else None,
            ]
        )
        if self_type is not None:
            self.types.append([item.id, item.start_line, self._template(self_type, src)])
        arguments = trait.child_by_field_name("type_arguments") if trait is not None else None
        for argument in arguments.named_children if arguments is not None else ():
            # `impl From<Error> for io::Error` uses `Error` as much as `io::Error`
            written = (
                argument.child_by_field_name("type")  # `Trait<Name = T>`
                if argument.type == "type_binding"
                else argument
            )
            if written is not None and written.type != "lifetime":
                self.types.append([item.id, item.start_line, self._template(written, src)])

    def _use(self, node: Node, src: bytes, line: int) -> None:
        owner = self._owner(node)
        vis = ""
        first = named_child(node, 0)
        if first is not None and first.type == "visibility_modifier":
            vis = " ".join(_text(first, src).split())
        argument = node.child_by_field_name("argument")
        if argument is None:
            return
        for segs, alias in use_leaves(argument, src, []):
            self.uses.append([owner, line, vis, segs, alias])

    def _call(self, node: Node, callee: Node, src: bytes, line: int) -> None:
        if callee.type == "generic_function":
            inner = callee.child_by_field_name("function")
            if inner is None:
                return
            callee = inner
        owner = self._owner(node)
        kind = callee.type
        if kind == "field_expression":
            field = callee.child_by_field_name("field")
            value = callee.child_by_field_name("value")
            if field is not None and value is not None:
                receiver = self._receiver(owner, value, src)
                self.calls.append([owner, line, "m", _text(field, src), receiver])
        elif kind == "identifier":
            name = _text(callee, src)
            if not self._bound(owner, name, callee.start_byte):
                self.calls.append([owner, line, "p", [name]])
        elif kind == "scoped_identifier":
            path = callee.child_by_field_name("path")
            name_node = callee.child_by_field_name("name")
            if path is not None and path.type == "bracketed_type" and name_node is not None:
                qualified = named_child(path, 0)
                if qualified is not None and qualified.type == "qualified_type":
                    ty = qualified.child_by_field_name("type")
                    trait = qualified.child_by_field_name("alias")
                    self.calls.append(
                        [
                            owner,
                            line,
                            "q",
                            head(ty, src) if ty is not None else None,
                            head(trait, src) if trait is not None else None,
                            _text(name_node, src),
                        ]
                    )
                return
            segs = segments(callee, src)
            if segs is not None:
                self.calls.append([owner, line, "p", segs])

    def _receiver(self, owner: int, value: Node, src: bytes, depth: int = 0) -> list[Any]:
        """What tells the type of a method call's receiver ``value`` (see the layout)."""
        kind = value.type
        if kind == "call_expression" and depth < _CHAIN_DEPTH:
            return self._call_value(owner, value, src, depth)
        if kind == "self":
            return ["self"]
        if kind == "type_cast_expression":  # `(x as u32).rotate_right(r)`
            written = value.child_by_field_name("type")
            return typed(written, src) if written is not None else []
        literal = _LITERALS.get(kind)
        if literal is not None:  # `"x".parse()`: a str's method; `b"x"` is bytes, `b'x'` a u8
            byte = src[value.start_byte : value.start_byte + 1] == b"b"
            return ["type", [_BYTE_LITERALS.get(literal, literal) if byte else literal], True]
        if kind == "identifier":
            return self._binding(owner, _text(value, src), value.start_byte)
        if kind in ("block", "unsafe_block"):  # `unsafe { &*p }`: its tail expression's
            tail = _tail(value)
            return self._receiver(owner, tail, src, depth) if tail is not None else []
        if kind == "unary_expression" and not _text(value, src).startswith("*"):
            return []  # `(*x).f()` calls what `x.f()` would; `(!x)`, `(-x)` are other values
        if kind in ("parenthesized_expression", "reference_expression", "unary_expression"):
            inner = named_child(value, value.named_child_count - 1)
            if inner is None:
                return []
            if kind == "unary_expression":  # `*x`
                pointee = _cast_pointee(inner)  # `*(p as *const [u32])`
                if pointee is not None:
                    return typed(pointee, src)
                pointed = self._receiver(owner, inner, src, depth)
                return ["deref", pointed] if pointed else []
            return self._receiver(owner, inner, src, depth)
        if kind == "field_expression" and depth < _CHAIN_DEPTH:
            base, field = value.child_by_field_name("value"), value.child_by_field_name("field")
            if base is not None and field is not None and field.type in _FIELD_NAMES:
                of = self._receiver(owner, base, src, depth + 1)
                return ["field", _text(field, src), of] if of else []
        return []

    def _call_value(self, owner: int, call: Node, src: bytes, depth: int) -> list[Any]:
        """The receiver descriptor of a call's value: ``Type::f()`` or ``x.f()``."""
        function = call.child_by_field_name("function")
        if function is not None and function.type == "generic_function":
            function = function.child_by_field_name("function")
        if function is None:
            return []
        if function.type == "scoped_identifier":
            segs = segments(function, src)
            if segs is None or len(segs) < 2:
                return []
            arguments = call.child_by_field_name("arguments")
            first = named_child(arguments, 0) if arguments is not None else None
            given = self._receiver(owner, first, src, depth + 1) if first is not None else []
            return ["ret", segs, given] if given else ["ret", segs]  # `Arc::new(Lock::new())`
        if function.type == "identifier":  # `bounded(1)`, unless a local closure's call
            name = _text(function, src)
            return [] if self._bound(owner, name, function.start_byte) else ["ret", [name]]
        if function.type == "field_expression":
            field, value = (
                function.child_by_field_name("field"),
                function.child_by_field_name("value"),
            )
            if field is not None and value is not None and field.type == "field_identifier":
                inner = self._receiver(owner, value, src, depth + 1)
                return ["call", _text(field, src), inner] if inner else []
        return []

    def _bind_let(self, node: Node, pattern: Node, src: bytes) -> None:
        """The names a ``let`` binds, each with what tells its type; ``let (a, b) = (x, y);``
        binds each name to its own value."""
        value = node.child_by_field_name("value")
        if (
            pattern.type == "tuple_pattern"
            and value is not None
            and value.type == "tuple_expression"
            and node.child_by_field_name("type") is None
            and pattern.named_child_count == value.named_child_count
        ):
            owner = self._owner(node)
            for name, each in zip(pattern.named_children, value.named_children, strict=True):
                self._bind(node, name, src, self._receiver(owner, each, src))
            return
        if pattern.type == "tuple_pattern" and value is not None:  # `let (s, r) = bounded(1);`
            whole = self._let_type(node, src)
            for index, name in enumerate(pattern.named_children):
                self._bind(node, name, src, ["elem", index, whole] if whole else [])
            return
        if pattern.type in ("identifier", "ref_pattern", "mut_pattern"):
            self._bind(node, pattern, src, self._let_type(node, src))
        else:  # `let Some(x) = ..`: the value's type is not x's
            self._bind(node, pattern, src, [])

    def _bind_tuple(self, node: Node, path: Node, src: bytes) -> None:
        """The names a tuple struct or variant pattern binds (``Value::Number(n)``,
        ``Some(ref x)``), each with its position in the pattern."""
        segs = segments(path, src)
        if segs is None:
            return
        for index, element in enumerate(node.named_children[1:]):
            while element.type in ("ref_pattern", "mut_pattern") and element.named_child_count:
                element = element.named_children[-1]
            name = _text(element, src)
            if element.type == "identifier" and not name[:1].isupper():  # not `Some(None)`
                self._bind(node, element, src, ["pat", segs, index])

    def _let_type(self, node: Node, src: bytes) -> list[Any]:
        """What a ``let`` tells of its value's type: its annotation, a struct literal, or
        the value as a receiver (``let m = re.find(t)``: what ``find`` returns)."""
        written = node.child_by_field_name("type")
        if written is not None:
            return typed(written, src)
        value = node.child_by_field_name("value")
        if value is None:
            return []
        if value.type == "struct_expression":
            name = value.child_by_field_name("name")
            segs = segments(name, src) if name is not None else None
            return ["type", segs, False] if segs is not None else []
        return self._receiver(self._owner(node), value, src)

    def _bind(self, node: Node, pattern: Node, src: bytes, known: list[Any]) -> None:
        owner = self._owner(node)
        names = pattern_names(pattern, src)
        found = self._bindings.setdefault(owner, [])
        for name in names:
            found.append((node.end_byte, name, known if len(names) == 1 else []))

    def _binding(self, owner: int, name: str, at: int) -> list[Any]:
        best: list[Any] = []
        for start, bound, known in self._bindings.get(owner, ()):
            if bound == name and start < at:
                best = known
        return best

    def _bound(self, owner: int, name: str, at: int) -> bool:
        return any(b == name and s < at for s, b, _ in self._bindings.get(owner, ()))


#: The types of literals whose type is written by their form alone.
_LITERALS = {
    "string_literal": "str",
    "raw_string_literal": "str",
    "char_literal": "char",
    "boolean_literal": "bool",
}
_BYTE_LITERALS = {"str": SLICE, "char": "u8"}
#: How a field access names its field: ``x.name``, ``x.0`` (a tuple struct's).
_FIELD_NAMES = frozenset({"field_identifier", "integer_literal"})
#: Calls and field accesses followed back from a receiver (``a.b().c.d()``: ``c``, ``b``).
_CHAIN_DEPTH = 3


def cfg_of(attrs: str) -> str:
    """An item's ``#[cfg(...)]`` attributes (of its attribute lines), normalised."""
    found = [" ".join(a.split()) for a in attrs.splitlines() if a.startswith("#[cfg(")]
    return "\n".join(found)


def join_cfg(outer: str, own: str) -> str:
    """The ``cfg`` column of what is compiled when both ``outer`` and ``own`` hold."""
    return f"{outer}\n{own}" if outer and own else outer or own


def named_child(node: Node, index: int) -> Node | None:
    """``node``'s named child ``index``, None where there is none (tree-sitter raises)."""
    return node.named_child(index) if 0 <= index < node.named_child_count else None


def remap_lines(section: str, rows: Any, move: Callable[[int], int]) -> Any:
    """Rows of ``section`` (see the layout above) with each line ``n`` made ``move(n)``;
    ``mod`` and the sections without lines come back as they are."""
    if section == "items":
        return [[*row[:5], move(row[5]), *row[6:]] for row in rows]
    if section == "macros":
        return [[r[0], move(r[1]), r[2], r[3], move(r[4]) if r[4] else 0, *r[5:]] for r in rows]
    if section in ("mod", "gen", "rules"):
        return rows
    return [[row[0], move(row[1]), *row[2:]] for row in rows]


def fact_lines(facts: dict[str, Any]) -> Iterator[int]:
    """Every line written in ``facts`` (the ones :func:`remap_lines` maps)."""
    for section, rows in facts.items():
        if section == "items":
            yield from (row[5] for row in rows)
        elif section == "macros":
            for row in rows:
                yield row[1]
                if row[4]:
                    yield row[4]
        elif section not in ("mod", "gen", "rules"):
            yield from (row[1] for row in rows)


def unpack_facts(blob: bytes) -> dict[str, Any]:
    """Inverse of :meth:`FactCollector.pack`, strings interned (:func:`rustragd.heap.shared`)."""
    facts: dict[str, Any] = unpack_shared(blob)
    facts["mod"] = sys.intern(facts["mod"])
    return facts


def _text(node: Node, src: bytes) -> str:
    return src[node.start_byte : node.end_byte].decode("utf-8", "replace")


def segments(node: Node, src: bytes) -> Segments | None:
    """The segments of a simple path (``a::b::C``, ``Vec::<T>::new`` -> ``Vec, new``)."""
    kind = node.type
    if kind in _SEGMENT_LEAVES:
        return [_text(node, src)]
    if kind in ("scoped_identifier", "scoped_type_identifier"):
        name = node.child_by_field_name("name")
        if name is None:
            return None
        path = node.child_by_field_name("path")
        if path is None:
            return ["::", _text(name, src)]
        prefix = segments(path, src)
        return None if prefix is None else [*prefix, _text(name, src)]
    if kind == "generic_type":
        inner = node.child_by_field_name("type")
        return segments(inner, src) if inner is not None else None
    return None


def head(node: Node, src: bytes) -> Segments | None:
    """The path a type is named by, through references and generic arguments; a
    primitive type by its name, a slice or array by :data:`SLICE`, a raw pointer by
    :data:`CONST_POINTER` or :data:`MUT_POINTER`."""
    pointee = _pointee(node)
    return _named(pointee, src) if pointee is not None else None


def _named(node: Node, src: bytes) -> Segments | None:
    kind = node.type
    if kind == "primitive_type":
        return [_text(node, src)]
    if kind == "array_type":
        return [SLICE]
    if kind == "pointer_type":
        mutable = any(child.type == "mutable_specifier" for child in node.children)
        return [MUT_POINTER if mutable else CONST_POINTER]
    if kind == "tuple_type":  # `(Sender<T>, Receiver<T>)`: [TUPLE, "Sender", "Receiver"]
        return [TUPLE, *("::".join(head(e, src) or ()) for e in node.named_children)]
    return segments(node, src)


def type_words(declared: Sequence[str]) -> Iterator[str]:
    """The names a declared type head writes (a tuple's elements' segments too)."""
    for part in declared:
        yield from part.split("::")


def first_argument(node: Node, src: bytes) -> Segments | None:
    """The head of a generic type's first type argument (``Arc<Exec>``: ``Exec``)."""
    arguments = node.child_by_field_name("type_arguments")
    for argument in arguments.named_children if arguments is not None else ():
        if argument.type not in ("lifetime", "type_binding"):
            return head(argument, src)
    return None


def _pointee(node: Node) -> Node | None:
    """The type behind any references (``&mut &T``: ``T``); a raw pointer stays one: it
    does not auto-deref, and its methods are the pointer's (``*const [T]::len``)."""
    while node.type == "reference_type":
        inner = node.child_by_field_name("type")
        if inner is None:
            return None
        node = inner
    return node


def _tail(block: Node) -> Node | None:
    """The expression a block ends with, its value (None: it ends with a statement)."""
    if block.type == "unsafe_block":
        inner = named_child(block, 0)
        if inner is None:
            return None
        block = inner
    last = named_child(block, block.named_child_count - 1) if block.named_child_count else None
    if last is None or last.type.endswith(("_statement", "_declaration", "_item")):
        return None
    return last


def _cast_pointee(node: Node) -> Node | None:
    """The type a cast to a raw pointer points to (``(x as *const [u32])``: ``[u32]``)."""
    while node.type == "parenthesized_expression" and node.named_child_count == 1:
        node = named_child(node, 0) or node
    written = node.child_by_field_name("type") if node.type == "type_cast_expression" else None
    if written is None or written.type != "pointer_type":
        return None
    return written.child_by_field_name("type")


def _declared_type(node: Node, kind: str) -> Node | None:
    """The type an item declares (see ``items`` in the layout): a function's return type,
    a field's type, the one field's type of a newtype struct (``struct Regex(Exec);``),
    the type an alias names (``type Target = [T];`` too), a newtype variant's field's."""
    if kind == "field":
        return node.child_by_field_name("type")
    if kind == "type_alias":
        return node.child_by_field_name("type")
    if kind in ("struct", "variant"):
        body = node.child_by_field_name("body")
        if body is None or body.type != "ordered_field_declaration_list":
            return None
        fields = body.children_by_field_name("type")
        return fields[0] if len(fields) == 1 else None
    return node.child_by_field_name("return_type")


def typed(node: Node, src: bytes) -> list[Any]:
    """A receiver descriptor for a value of the written type ``node``."""
    pointee = _pointee(node)
    if pointee is None:
        return []
    if pointee.type in ("abstract_type", "dynamic_type", "bounded_type"):
        traits = _bound_paths(pointee, src)
        return ["bound", traits] if traits else []
    segs = _named(pointee, src)
    if segs is None:
        return []
    # A type without type arguments cannot deref to another crate's type: if it is not
    # local, a method called on it is not local either (unless a local impl is for it).
    if pointee.type != "generic_type":
        return ["type", segs, True]
    return ["type", segs, False, first_argument(pointee, src)]


def _bound_paths(node: Node, src: bytes) -> list[Segments]:
    """The trait paths of ``impl A + B``, ``dyn A``, or a ``: A + B`` bound list
    (``?Sized``, lifetimes, ``for<'a>`` and ``Fn(..)`` bounds left out)."""
    kind = node.type
    if kind in ("abstract_type", "dynamic_type"):
        inner = node.child_by_field_name("trait")
        return _bound_paths(inner, src) if inner is not None else []
    if kind in ("bounded_type", "trait_bounds"):
        return [path for child in node.named_children for path in _bound_paths(child, src)]
    if kind in ("type_identifier", "scoped_type_identifier", "generic_type"):
        segs = segments(node, src)
        return [segs] if segs is not None else []
    return []


def template(node: Node, src: bytes) -> list[Any]:
    """A type as tokens (str) and paths (segment lists), formatting left out."""
    out: list[Any] = []
    _template(node, src, out)
    return out


def _template(node: Node, src: bytes, out: list[Any]) -> None:
    kind = node.type
    if kind in _PATHS:
        segs = segments(node, src)
        if segs is not None:
            out.append(segs)
            return
    if kind == "type_binding":
        name = node.child_by_field_name("name")
        value = node.child_by_field_name("type")
        if name is not None and value is not None:
            out.extend((_text(name, src), "="))
            _template(value, src, out)
            return
    if node.child_count == 0 or kind in _LEAF_TOKENS:
        out.append(_text(node, src))
        return
    for child in node.children:
        _template(child, src, out)


def generic_names(node: Node, src: bytes) -> list[str]:
    """Names of an item's type and const parameters (``T``, ``N`` in ``<T, const N: usize>``)."""
    params = node.child_by_field_name("type_parameters")
    if params is None:
        return []
    names = []
    for param in params.named_children:
        if param.type in ("type_parameter", "const_parameter", "optional_type_parameter"):
            name = param.child_by_field_name("name")
            if name is None:
                name = named_child(param, 0)
            if name is not None and name.type in ("type_identifier", "identifier"):
                names.append(_text(name, src))
        elif param.type in ("type_identifier", "constrained_type_parameter"):
            first = named_child(param, 0) if param.type != "type_identifier" else param
            if first is not None:
                names.append(_text(first, src))
    return names


def generic_bounds(node: Node, src: bytes, names: list[str]) -> list[list[Any]]:
    """``[name, trait segments]`` of each trait bound on the type parameters ``names`` of
    an item, inline (``<T: Trait>``), and on any plain name in its ``where`` clause: its
    own parameters', or those of the impl or trait around it (``where L: Default`` on a
    method of ``impl<L> Either<L>``)."""
    bounds: list[list[Any]] = []

    def add(left: Node | None, listed: Node | None, anywhere: bool = False) -> None:
        if left is None or listed is None or left.type != "type_identifier":
            return
        name = _text(left, src)
        if name in names or (anywhere and name != "Self"):
            bounds.extend([name, path] for path in _bound_paths(listed, src))

    params = node.child_by_field_name("type_parameters")
    for param in params.named_children if params is not None else ():
        if param.type in ("type_parameter", "constrained_type_parameter"):
            left = param.child_by_field_name("name") or param.child_by_field_name("left")
            add(left or named_child(param, 0), param.child_by_field_name("bounds"))
    for left, listed in _where_predicates(node):
        add(left, listed, anywhere=True)
    return bounds


def _where_predicates(node: Node) -> Iterator[tuple[Node | None, Node | None]]:
    """``(left, bounds)`` of each predicate of an item's ``where`` clause."""
    for child in node.named_children:
        if child.type == "where_clause":
            for predicate in child.named_children:
                if predicate.type == "where_predicate":
                    left = predicate.child_by_field_name("left")
                    yield left, predicate.child_by_field_name("bounds")


def self_bounds(node: Node, src: bytes) -> list[Segments]:
    """The traits a trait extends (``trait A: B + C``, ``where Self: D``), or those an
    associated type is bound by (``type Results: AsRef<[u32]> + Default;``)."""
    found = []
    listed = node.child_by_field_name("bounds")
    if listed is not None:
        found.extend(_bound_paths(listed, src))
    for left, bounds in _where_predicates(node):
        if left is not None and bounds is not None and _text(left, src) == "Self":
            found.extend(_bound_paths(bounds, src))
    return found


def pattern_names(pattern: Node, src: bytes) -> list[str]:
    """The names a pattern binds (identifiers, shorthand fields), best effort."""
    kind = pattern.type
    if kind == "identifier":
        return [_text(pattern, src)]
    if kind == "shorthand_field_identifier":
        return [_text(pattern, src)]
    names: list[str] = []
    path = pattern.child_by_field_name("type")  # `Some` in `Some(x)`: not a binding
    for child in pattern.named_children:
        if child.type in ("type_identifier", "scoped_identifier", "scoped_type_identifier"):
            continue
        if path is not None and child.id == path.id:
            continue
        names.extend(pattern_names(child, src))
    return names


def use_leaves(node: Node, src: bytes, prefix: Segments) -> list[tuple[Segments, str]]:
    """``(segments, alias)`` of every leaf of a use tree under ``prefix``."""
    kind = node.type
    if kind == "use_as_clause":
        path = node.child_by_field_name("path")
        alias = node.child_by_field_name("alias")
        segs = segments(path, src) if path is not None else None
        if segs is None or alias is None:
            return []
        return [([*prefix, *segs], _text(alias, src))]
    if kind == "use_wildcard":
        inner = named_child(node, 0)  # None in `use a::{b, *}`
        segs = segments(inner, src) if inner is not None else []
        return [([*prefix, *(segs or [])], "*")]
    if kind == "scoped_use_list":
        path = node.child_by_field_name("path")
        segs = segments(path, src) if path is not None else []
        listed = node.child_by_field_name("list")
        if listed is None or segs is None:
            return []
        return use_leaves(listed, src, [*prefix, *segs])
    if kind == "use_list":
        found: list[tuple[Segments, str]] = []
        for child in node.named_children:
            found.extend(use_leaves(child, src, prefix))
        return found
    if kind == "self":
        return [(prefix, "")] if prefix else []
    segs = segments(node, src)
    return [([*prefix, *segs], "")] if segs is not None else []


def derives(attrs: str) -> list[Segments]:
    """The trait paths of the ``#[derive(...)]`` (and ``cfg_attr(.., derive(...))``) lines
    in an item's attributes."""
    found: list[Segments] = []
    for line in attrs.split("\n"):
        match = _DERIVE.match(line)
        if match is None and line.startswith("#[cfg_attr"):
            match = _CFG_DERIVE.search(line)
        if match is not None:
            for part in match.group(1).split(","):
                segs = [s.strip() for s in part.split("::")]
                if segs[0] == "" and len(segs) > 1:
                    segs[0] = "::"
                if all(segs):
                    found.append(segs)
    return found
