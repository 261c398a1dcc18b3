"""Fragment parsers: where a ``$name:kind`` fragment starting at a position ends.

Pragmatic rather than full Rust parsers: each scanner of :data:`FRAGMENTS` takes
token trees and a start and gives the index after the fragment, or None.
"""

from __future__ import annotations

from collections.abc import Callable

from rustragd.macros.lexer import (
    OPS,
    OPS2,
    Group,
    Tok,
    Tree,
    glued_at,
    is_ident,
    is_punct,
    unit_at,
)

__all__ = ["FRAGMENTS", "ITEM_PREFIX"]

_Scanner = Callable[[tuple[Tree, ...], int], "int | None"]


def _scan_until(trees: tuple[Tree, ...], pos: int, stops: frozenset[str]) -> int:
    """Index of the first unit or word in ``stops`` from ``pos`` (groups are skipped whole)."""
    i = pos
    while i < len(trees):
        tree = trees[i]
        if isinstance(tree, Group):
            i += 1
        elif tree.kind != "punct":
            if tree.text in stops:
                return i
            i += 1
        else:
            unit = unit_at(trees, i)
            if unit in stops:
                return i
            i += len(unit)
    return i


_EXPR_STOPS = frozenset({",", ";", "=>"})
_PAT_STOPS = frozenset({",", ";", "=", "=>", ":", "if", "in"})


def _ends_list(trees: tuple[Tree, ...], i: int) -> bool:
    """Whether ``trees[i]`` is ``,`` or ``;``, or ``i`` is past the end."""
    return i >= len(trees) or is_punct(trees[i], ",;")


def _nonempty(end: int, pos: int) -> int | None:
    """``end`` when it is past ``pos``."""
    return end if end > pos else None


def _expr(trees: tuple[Tree, ...], pos: int) -> int | None:
    """An expression: where a valid expression ends (``"8" AtomicI8`` is two fragments,
    not one), or, for syntax :func:`_expression` does not know, up to ``,``, ``;`` or
    ``=>`` (a leading closure's ``|a, b|`` skipped)."""
    tree = trees[pos] if pos < len(trees) else None
    if type(tree) is Tok and tree.kind != "punct" and _ends_list(trees, pos + 1):
        return pos + 1  # `0x01,`: what the general case finds, found faster
    i = pos + 1 if is_ident(tree, "move") else pos
    if unit_at(trees, i) == "|":
        i = next((j + 1 for j in range(i + 1, len(trees)) if is_punct(trees[j], "|")), i)
    loose = _nonempty(_scan_until(trees, i, _EXPR_STOPS), pos)
    if loose is None:
        return None
    end = _expression(trees, pos)
    return end if end is not None and pos < end <= loose else loose


_BINARY = frozenset(
    {"+", "-", "*", "/", "%", "^", "&", "|", "&&", "||", "<<", ">>"}
    | {"==", "!=", "<", ">", "<=", ">=", "=", "..", "..=", "..."}
    | {"+=", "-=", "*=", "/=", "%=", "^=", "&=", "|=", "<<=", ">>="}
)
_RANGES = frozenset({"..", "..=", "..."})
#: Keywords that start an expression with a block: ``if c {..} else {..}``, ``match x {..}``...
_BLOCK_EXPRS = frozenset({"if", "match", "while", "for", "loop", "unsafe", "async", "const"})
#: Keywords an expression path cannot start with.
_NOT_PATHS = _BLOCK_EXPRS | {"let", "move", "static", "box", "else", "as", "in", "where"}


def _at(trees: tuple[Tree, ...], i: int) -> Tree | None:
    return trees[i] if i < len(trees) else None


def _braces(tree: Tree | None) -> bool:
    return isinstance(tree, Group) and tree.delim == "{"


def _expression(trees: tuple[Tree, ...], pos: int) -> int | None:
    """Where the expression at ``pos`` ends: operands joined by binary operators and
    ``as`` casts. None for syntax it does not know (labels, ``let`` chains...)."""
    i = _operand(trees, pos)
    while i is not None:
        if is_ident(_at(trees, i), "as"):
            i = _ty(trees, i + 1)
            continue
        op = glued_at(trees, i, OPS)
        if op not in _BINARY:
            return i
        after = _operand(trees, i + len(op))
        if after is None and op in _RANGES:
            return i + len(op)  # `a..`
        i = after
    return None


def _operand(trees: tuple[Tree, ...], i: int) -> int | None:
    """An operand with its prefix operators and its postfix calls, fields, indexes and ``?``."""
    tree = _at(trees, i)
    if tree is None:
        return None
    if is_punct(tree, "-!*&"):
        j = i + 1
        if is_punct(tree, "&") and is_ident(_at(trees, j), "mut"):
            j += 1
        return _operand(trees, j)
    unit = unit_at(trees, i)
    if unit in _RANGES:
        end = _operand(trees, i + len(unit))
        return end if end is not None else i + len(unit)
    if is_ident(tree, "move") or is_punct(tree, "|"):
        return _closure(trees, i)
    if isinstance(tree, Group):
        return _postfix(trees, i + 1)
    if tree.kind == "literal" or is_ident(tree, "true", "false"):
        return _postfix(trees, i + 1)
    if is_ident(tree, "return", "break", "yield"):
        label = _at(trees, i + 1)
        j = i + 2 if isinstance(label, Tok) and label.kind == "lifetime" else i + 1
        value = _expression(trees, j)
        return value if value is not None else j
    if is_ident(tree, "continue"):
        label = _at(trees, i + 1)
        return i + 2 if isinstance(label, Tok) and label.kind == "lifetime" else i + 1
    if is_ident(tree, *_BLOCK_EXPRS):
        end = _block_expr(trees, i)
        return _postfix(trees, end) if end is not None else None
    path: int | None
    if unit == "<":  # `<T as Trait>::f`
        end = _angle_end(trees, i)
        if end is None or unit_at(trees, end) != "::":
            return None
        path = _expr_path(trees, end)
    elif unit == "::" or (is_ident(tree) and tree.text not in _NOT_PATHS):
        path = _expr_path(trees, i)
    else:
        return None
    if path is None:
        return None
    if is_punct(_at(trees, path), "!") and isinstance(_at(trees, path + 1), Group):
        path += 2  # a macro call
    elif _braces(_at(trees, path)):
        path += 1  # a struct literal
    return _postfix(trees, path)


def _expr_path(trees: tuple[Tree, ...], i: int) -> int | None:
    """A path in an expression: generic arguments only after ``::`` (``a < b`` compares)."""
    if unit_at(trees, i) == "::":
        i += 2
    if not is_ident(_at(trees, i)):
        return None
    i += 1
    while unit_at(trees, i) == "::":
        if unit_at(trees, i + 2) == "<":
            end = _angle_end(trees, i + 2)
            if end is None:
                return None
            i = end
        elif is_ident(_at(trees, i + 2)):
            i += 3
        else:
            return None
    return i


def _postfix(trees: tuple[Tree, ...], i: int) -> int | None:
    """Past the calls ``(..)``, indexes ``[..]``, ``?``, fields and method calls after ``i``."""
    while True:
        tree = _at(trees, i)
        if (isinstance(tree, Group) and tree.delim in "([") or is_punct(tree, "?"):
            i += 1  # a call, an index, `?`
        elif unit_at(trees, i) == ".":
            member = _at(trees, i + 1)
            if not (isinstance(member, Tok) and member.kind in ("ident", "literal")):
                return None
            i += 2
            if unit_at(trees, i) == "::" and unit_at(trees, i + 2) == "<":  # `.collect::<T>()`
                end = _angle_end(trees, i + 2)
                if end is None:
                    return None
                i = end
        else:
            return i


def _closure(trees: tuple[Tree, ...], i: int) -> int | None:
    """``move |a, b| body`` or ``|| -> T { .. }``: the body goes as far as an expression does."""
    if is_ident(_at(trees, i), "move"):
        i += 1
    if glued_at(trees, i, OPS2) == "||":
        i += 2
    elif is_punct(_at(trees, i), "|"):
        close = next((j for j in range(i + 1, len(trees)) if is_punct(trees[j], "|")), None)
        if close is None:
            return None
        i = close + 1
    else:
        return None
    if unit_at(trees, i) == "->":
        end = _ty(trees, i + 2)
        if end is None:
            return None
        group = _at(trees, end)
        return end + 1 if isinstance(group, Group) and group.delim == "{" else None
    return _expression(trees, i)


def _block_expr(trees: tuple[Tree, ...], i: int) -> int | None:
    """``if``/``match``/``while``/``for``/``loop``/``unsafe``/``async``/``const`` with its
    block (and ``else`` branches): the head runs to the first ``{..}``, where no struct
    literal may stand."""
    while True:
        j = next((k for k in range(i + 1, len(trees)) if _braces(trees[k])), -1) + 1
        if not j:
            return None
        if not (is_ident(trees[i], "if") and is_ident(_at(trees, j), "else")):
            return j
        if is_ident(_at(trees, j + 1), "if"):
            i = j + 1
            continue
        block = _at(trees, j + 1)
        return j + 2 if isinstance(block, Group) and block.delim == "{" else None


def _ty(trees: tuple[Tree, ...], pos: int) -> int | None:
    """A type: reference, pointer, tuple, array, slice, ``fn``, ``dyn``/``impl``, or path."""
    tree = trees[pos] if pos < len(trees) else None
    if is_ident(tree) and tree.text not in _TY_WORDS and _ends_list(trees, pos + 1):
        return pos + 1  # `DWORD,`: what the general case finds, found faster
    unit = unit_at(trees, pos)
    if isinstance(tree, Group):
        return pos + 1 if tree.delim != "{" else None
    if unit in ("&", "*"):
        i = pos + 1
        if isinstance(tree := trees[i] if i < len(trees) else None, Tok) and (
            tree.kind == "lifetime" or tree.text in ("mut", "const")
        ):
            i += 1
        if is_ident(trees[i] if i < len(trees) else None, "mut"):
            i += 1
        return _ty(trees, i)
    if unit == "!" or is_ident(tree, "_"):
        return pos + 1
    if is_ident(tree, "dyn", "impl"):
        return _bounds(trees, pos + 1)
    if is_ident(tree, "for", "unsafe", "extern", "fn"):
        return _fn_ty(trees, pos)
    if unit == "<":
        end = _angle_end(trees, pos)
        if end is None or unit_at(trees, end) != "::":
            return None
        return _path(trees, end)
    return _path_ty(trees, pos)


#: Words a type starts with that :func:`_ty` does not read as a path.
_TY_WORDS = frozenset({"dyn", "impl", "for", "unsafe", "extern", "fn"})


def _path_ty(trees: tuple[Tree, ...], pos: int) -> int | None:
    """A path type, with ``Fn(A) -> B`` sugar."""
    i = _path(trees, pos)
    if i is None or not isinstance(g := trees[i] if i < len(trees) else None, Group):
        return i
    if g.delim != "(":
        return i
    return _ty(trees, i + 3) if unit_at(trees, i + 1) == "->" else i + 1


def _fn_ty(trees: tuple[Tree, ...], pos: int) -> int | None:
    """``for<'a>`` types and ``unsafe extern "C" fn(A) -> B`` pointers."""
    i = pos
    if is_ident(trees[i], "for"):
        end = _angle_end(trees, i + 1)
        return None if end is None else _ty(trees, end)
    while i < len(trees) and not is_ident(trees[i], "fn"):
        i += 1
    params = trees[i + 1] if i + 1 < len(trees) else None
    if not (isinstance(params, Group) and params.delim == "("):
        return None
    return _ty(trees, i + 4) if unit_at(trees, i + 2) == "->" else i + 2


def _bounds(trees: tuple[Tree, ...], pos: int) -> int | None:
    """``Bound + Bound ...``: lifetimes, ``?Sized``, ``for<'a>`` and path bounds."""
    i = pos
    while True:
        if unit_at(trees, i) == "?":
            i += 1
        tree = trees[i] if i < len(trees) else None
        end: int | None
        if (isinstance(tree, Tok) and tree.kind == "lifetime") or (
            isinstance(tree, Group) and tree.delim == "("
        ):
            end = i + 1
        elif is_ident(tree, "for"):
            end = _fn_ty(trees, i)
        else:
            end = _path_ty(trees, i)
        if end is None or unit_at(trees, end) != "+":
            return end
        i = end + 1


def _pat(trees: tuple[Tree, ...], pos: int) -> int | None:
    """A pattern, ``|`` alternatives included."""
    return _nonempty(_scan_until(trees, pos, _PAT_STOPS), pos)


def _pat_param(trees: tuple[Tree, ...], pos: int) -> int | None:
    """A pattern without top-level ``|``."""
    return _nonempty(_scan_until(trees, pos, _PAT_STOPS | {"|"}), pos)


def _stmt(trees: tuple[Tree, ...], pos: int) -> int | None:
    """A statement without its ``;``."""
    return _nonempty(_scan_until(trees, pos, frozenset({";"})), pos)


def _angle_end(trees: tuple[Tree, ...], i: int) -> int | None:
    """Index after the ``>`` closing the ``<`` at ``i``."""
    depth = 0
    while i < len(trees):
        unit = unit_at(trees, i)
        if unit == "<":
            depth += 1
        elif unit == ">":
            depth -= 1
            if depth == 0:
                return i + 1
        i += len(unit) or 1
    return None


def _path(trees: tuple[Tree, ...], pos: int) -> int | None:
    """A path such as ``::a::b<T>::c``."""
    i = pos + 2 if unit_at(trees, pos) == "::" else pos
    while True:
        if not is_ident(trees[i] if i < len(trees) else None):
            return None
        i += 1
        unit = unit_at(trees, i)
        if unit == "::" and unit_at(trees, i + 2) == "<":
            i, unit = i + 2, "<"
        if unit == "<":
            end = _angle_end(trees, i)
            if end is None:
                return None
            i = end
            unit = unit_at(trees, i)
        if unit != "::":
            return i
        i += 2


def _meta(trees: tuple[Tree, ...], pos: int) -> int | None:
    """Attribute content: a path, then a group or ``= value``."""
    i = _path(trees, pos)
    if i is None or i >= len(trees):
        return i
    if isinstance(trees[i], Group):
        return i + 1
    if unit_at(trees, i) == "=":
        return _expr(trees, i + 1)
    return i


def _vis(trees: tuple[Tree, ...], pos: int) -> int | None:
    """A visibility, possibly empty: ``pub`` with an optional ``(...)``."""
    if not is_ident(trees[pos] if pos < len(trees) else None, "pub"):
        return pos
    nxt = trees[pos + 1] if pos + 1 < len(trees) else None
    if (
        isinstance(nxt, Group)
        and nxt.delim == "("
        and is_ident(nxt.trees[0] if nxt.trees else None, "crate", "self", "super", "in")
    ):
        return pos + 2
    return pos + 1


def _item(trees: tuple[Tree, ...], pos: int) -> int | None:
    """An item with its attributes: up to its ``{...}`` body or ``;``."""
    i = pos
    while is_punct(trees[i] if i < len(trees) else None, "#"):
        i += 2 if isinstance(trees[i + 1] if i + 1 < len(trees) else None, Group) else 3
    kind = next((t.text for t in trees[i:] if is_ident(t) and t.text not in ITEM_PREFIX), "")
    semicolon_only = kind in {"const", "static", "type", "use", "let"}
    while i < len(trees):
        tree = trees[i]
        if is_punct(tree, ";") or (
            isinstance(tree, Group) and tree.delim == "{" and not semicolon_only
        ):
            return i + 1
        i += 1
    return None


ITEM_PREFIX = frozenset({"pub", "crate", "unsafe", "default", "async", "extern"})


def _one(test: Callable[[Tree], bool]) -> _Scanner:
    """A scanner for one tree passing ``test``."""
    return lambda trees, pos: pos + 1 if pos < len(trees) and test(trees[pos]) else None


def _ident_fragment(trees: tuple[Tree, ...], pos: int) -> int | None:
    """An identifier other than ``_`` (the most common fragment: no generic scanner)."""
    tree = trees[pos] if pos < len(trees) else None
    return pos + 1 if type(tree) is Tok and tree.kind == "ident" and tree.text != "_" else None


def _literal(trees: tuple[Tree, ...], pos: int) -> int | None:
    """A literal, ``-`` number, ``true`` or ``false``."""
    tree = trees[pos] if pos < len(trees) else None
    if is_punct(tree, "-"):
        pos, tree = pos + 1, trees[pos + 1] if pos + 1 < len(trees) else None
    if isinstance(tree, Tok) and (tree.kind == "literal" or tree.text in ("true", "false")):
        return pos + 1
    return None


def _tt(trees: tuple[Tree, ...], pos: int) -> int | None:
    """One token tree; a multi-char operator counts as one."""
    if pos >= len(trees):
        return None
    return pos + (len(glued_at(trees, pos, OPS)) or 1)


FRAGMENTS: dict[str, _Scanner] = {
    "ident": _ident_fragment,
    "lifetime": _one(lambda t: isinstance(t, Tok) and t.kind == "lifetime"),
    "block": _one(lambda t: isinstance(t, Group) and t.delim == "{"),
    "literal": _literal,
    "tt": _tt,
    "expr": _expr,
    "expr_2021": _expr,
    "ty": _ty,
    "path": _path,
    "pat": _pat,
    "pat_param": _pat_param,
    "stmt": _stmt,
    "meta": _meta,
    "vis": _vis,
    "item": _item,
}
