"""A small, exact-enough ``macro_rules!`` expander for item-position invocations.

The indexer uses it to see the items that crate-local declarative macros
generate. Everything is plain Python: a token-tree lexer, a backtracking
matcher over the rules (first match wins), fragment parsers that are
pragmatic rather than full Rust parsers, and a transcriber. Bad input, an
unsupported feature or an exhausted budget gives ``None``, never an exception.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeAlias, TypeGuard

__all__ = ["expand", "expand_nested", "expand_recursive"]

_MAX_STEPS = 200_000  # matcher steps per expansion session
_MAX_TOKENS = 200_000  # transcribed tokens per expansion session


class _MacroError(Exception):
    """Malformed or unsupported input, or an exhausted budget."""


@dataclass(slots=True, eq=False)
class _Tok:
    """A leaf token; ``src``, ``start``, ``end`` place it in its text (``src`` < 0: made up).

    A token that starts (ends) a substituted fragment carries the ``$`` (name)
    token of the metavariable in ``before`` (``after``), for rendering. Tokens
    and groups are never changed once made; they are not frozen dataclasses
    because those are several times slower to construct, and lexing and
    transcription make one per token.
    """

    kind: str  # "ident", "lifetime", "literal" or "punct" (one character)
    text: str
    src: int
    start: int
    end: int
    line: int
    before: _Tok | None = None
    after: _Tok | None = None


@dataclass(slots=True, eq=False)
class _Group:
    """A delimited token tree."""

    delim: str  # "(", "[" or "{"
    trees: tuple[_Tree, ...]
    open: _Tok
    close: _Tok


_Tree: TypeAlias = "_Tok | _Group"
# A fragment is a tuple of trees; a repetition a list with one binding per iteration.
_Binding: TypeAlias = "tuple[_Tree, ...] | list[_Binding]"
_Env: TypeAlias = "dict[str, _Binding]"

# ---------------------------------------------------------------- lexer

# Group names are token kinds; `bad` (anything else) makes every position match.
_LEX = re.compile(
    r"""
  (?P<space>\s+)
| (?P<doc>///(?!/)[^\n]*|//![^\n]*)
| (?P<comment>//[^\n]*)
| (?P<block>/\*)
| (?P<literal>
    (?:br|cr|r)(?P<hashes>\#*)".*?"(?P=hashes)
  | [bc]?"(?:[^"\\]|\\.)*"
  | b?'(?:\\(?:u\{[0-9a-fA-F_]*\}|x[0-9a-fA-F]{2}|.)|[^'\\\n])'
  | \d(?:\w|(?<=[eE])[+-](?=\d))*(?:\.\d(?:\w|(?<=[eE])[+-](?=\d))*|\.(?![.\w]))?
  )
| (?P<lifetime>'(?:r\#)?[^\W\d]\w*)
| (?P<ident>(?:r\#)?[^\W\d]\w*)
| (?P<punct>[-+*/%^!&|=<>@.,;:\#$?~])
| (?P<open>[(\[{])
| (?P<close>[)\]}])
| (?P<bad>.)
""",
    re.VERBOSE | re.DOTALL,
)
_CLOSE = {")": "(", "]": "[", "}": "{"}
_SOURCES = itertools.count()


def _tokenize(text: str) -> list[_Tree]:
    """Token trees of ``text``; comments dropped, doc comments turned into ``#[doc]``."""
    src = next(_SOURCES)
    stack: list[tuple[_Tok, list[_Tree]]] = []  # open groups, with the trees before them
    trees: list[_Tree] = []
    pos, line = 0, 1
    while pos < len(text):
        # The matches are contiguous (`bad` matches anything else); a block
        # comment, which a regex cannot skip (they nest), starts the scan again.
        for m in _LEX.finditer(text, pos):
            kind = m.lastgroup
            if kind == "ident" or kind == "punct" or kind == "lifetime":
                start, end = m.span()
                trees.append(_Tok(kind, text[start:end], src, start, end, line))
            elif kind == "space":
                line += m.group().count("\n")
            elif kind == "open":
                start, end = m.span()
                stack.append((_Tok("punct", text[start:end], src, start, end, line), trees))
                trees = []
            elif kind == "close":
                start, end = m.span()
                close = _Tok("punct", text[start:end], src, start, end, line)
                if not stack or _CLOSE[close.text] != stack[-1][0].text:
                    raise _MacroError("unbalanced delimiters")
                opener, outer = stack.pop()
                outer.append(_Group(opener.text, tuple(trees), opener, close))
                trees = outer
            elif kind == "literal":
                start, end = m.span()
                trees.append(_Tok(kind, text[start:end], src, start, end, line))
                line += text.count("\n", start, end)
            elif kind == "doc":
                trees.extend(_doc_attr(m.group()[3:], m.group()[2] == "!", line))
            elif kind == "block":
                start = m.start()
                pos = _block_comment_end(text, start)
                body = text[start:pos]
                if body.startswith(("/**", "/*!")) and not body.startswith(("/***", "/**/")):
                    trees.extend(_doc_attr(body[3:-2], body[2] == "!", line))
                line += body.count("\n")
                break
            elif kind == "bad":
                raise _MacroError(f"unexpected character {m.group()!r}")
            # "comment": dropped
        else:
            break  # all of the text was read
    if stack:
        raise _MacroError("unclosed delimiter")
    return trees


def _block_comment_end(text: str, pos: int) -> int:
    """End of the (nested) block comment starting at ``pos``."""
    depth, i = 0, pos
    while i < len(text):
        pair = text[i : i + 2]
        if pair == "/*":
            depth, i = depth + 1, i + 2
        elif pair == "*/":
            depth, i = depth - 1, i + 2
            if depth == 0:
                return i
        else:
            i += 1
    raise _MacroError("unterminated block comment")


def _doc_attr(doc: str, inner: bool, line: int) -> list[_Tree]:
    """The ``#[doc = "..."]`` (or ``#![doc = ...]``) tokens of a doc comment."""

    def tok(kind: str, text: str) -> _Tok:
        return _Tok(kind, text, -1, 0, 0, line)

    quoted = '"' + doc.replace("\\", "\\\\").replace('"', '\\"') + '"'
    body = (tok("ident", "doc"), tok("punct", "="), tok("literal", quoted))
    attr: list[_Tree] = [tok("punct", "#")]
    if inner:
        attr.append(tok("punct", "!"))
    attr.append(_Group("[", body, tok("punct", "["), tok("punct", "]")))
    return attr


# ---------------------------------------------------------------- token helpers

_OPS3 = frozenset({"<<=", ">>=", "...", "..="})
_OPS2 = frozenset(
    {"==", "!=", "<=", ">=", "&&", "||", "+=", "-=", "*=", "/=", "%=", "^=", "&=", "|="}
    | {"<<", ">>", "..", "::", "->", "=>"}
)
_OPS = _OPS2 | _OPS3
_UNITS = frozenset({"..=", "...", "..", "::", "->", "=>"})  # operators scanners see as one


def _punct(tree: _Tree | None, chars: str) -> TypeGuard[_Tok]:
    """Whether ``tree`` is a one-character punct among ``chars``."""
    return isinstance(tree, _Tok) and tree.kind == "punct" and tree.text in chars


def _ident(tree: _Tree | None, *texts: str) -> TypeGuard[_Tok]:
    """Whether ``tree`` is an identifier (one of ``texts`` when given)."""
    return isinstance(tree, _Tok) and tree.kind == "ident" and (not texts or tree.text in texts)


def _glued(trees: tuple[_Tree, ...] | list[_Tree], i: int, ops: frozenset[str]) -> str:
    """The longest operator of ``ops`` written without spaces at ``i`` (else one char, or "")."""
    first = trees[i] if i < len(trees) else None
    if type(first) is not _Tok or first.kind != "punct":
        return ""
    text, prev = first.text, first
    for nxt in trees[i + 1 : i + 3]:  # operators have up to 3 one-char puncts
        if not (type(nxt) is _Tok and nxt.kind == "punct" and _adjacent(prev, nxt)):
            break
        text, prev = text + nxt.text, nxt
    if len(text) == 1:
        return text
    if len(text) == 3 and text in ops:
        return text
    return text[:2] if text[:2] in ops else text[0]


def _adjacent(a: _Tok, b: _Tok) -> bool:
    """Whether ``b`` directly follows ``a`` in the same source text."""
    return a.src >= 0 and a.src == b.src and a.end == b.start


def _unit(trees: tuple[_Tree, ...], i: int) -> str:
    """The scanner unit at ``i``: a multi-char operator of ``_UNITS``, one char, or ""."""
    return _glued(trees, i, _UNITS)


# ---------------------------------------------------------------- fragment parsers

_Scanner = Callable[[tuple[_Tree, ...], int], "int | None"]


def _scan_until(trees: tuple[_Tree, ...], pos: int, stops: frozenset[str]) -> int:
    """Index of the first unit or word in ``stops`` from ``pos`` (groups are skipped whole)."""
    i = pos
    while i < len(trees):
        tree = trees[i]
        if isinstance(tree, _Group):
            i += 1
        elif tree.kind != "punct":
            if tree.text in stops:
                return i
            i += 1
        else:
            unit = _unit(trees, i)
            if unit in stops:
                return i
            i += len(unit)
    return i


_EXPR_STOPS = frozenset({",", ";", "=>"})
_PAT_STOPS = frozenset({",", ";", "=", "=>", ":", "if", "in"})


def _ends_list(trees: tuple[_Tree, ...], i: int) -> bool:
    """Whether ``trees[i]`` is ``,`` or ``;``, or ``i`` is past the end."""
    return i >= len(trees) or _punct(trees[i], ",;")


def _nonempty(end: int, pos: int) -> int | None:
    """``end`` when it is past ``pos``."""
    return end if end > pos else None


def _expr(trees: tuple[_Tree, ...], pos: int) -> int | None:
    """An expression: where a valid expression ends (``"8" AtomicI8`` is two fragments,
    not one), or, for syntax :func:`_expression` does not know, up to ``,``, ``;`` or
    ``=>`` (a leading closure's ``|a, b|`` skipped)."""
    tree = trees[pos] if pos < len(trees) else None
    if type(tree) is _Tok and tree.kind != "punct" and _ends_list(trees, pos + 1):
        return pos + 1  # `0x01,`: what the general case finds, found faster
    i = pos + 1 if _ident(tree, "move") else pos
    if _unit(trees, i) == "|":
        i = next((j + 1 for j in range(i + 1, len(trees)) if _punct(trees[j], "|")), i)
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


def _at(trees: tuple[_Tree, ...], i: int) -> _Tree | None:
    return trees[i] if i < len(trees) else None


def _braces(tree: _Tree | None) -> bool:
    return isinstance(tree, _Group) and tree.delim == "{"


def _expression(trees: tuple[_Tree, ...], pos: int) -> int | None:
    """Where the expression at ``pos`` ends: operands joined by binary operators and
    ``as`` casts. None for syntax it does not know (labels, ``let`` chains...)."""
    i = _operand(trees, pos)
    while i is not None:
        if _ident(_at(trees, i), "as"):
            i = _ty(trees, i + 1)
            continue
        op = _glued(trees, i, _OPS)
        if op not in _BINARY:
            return i
        after = _operand(trees, i + len(op))
        if after is None and op in _RANGES:
            return i + len(op)  # `a..`
        i = after
    return None


def _operand(trees: tuple[_Tree, ...], i: int) -> int | None:
    """An operand with its prefix operators and its postfix calls, fields, indexes and ``?``."""
    tree = _at(trees, i)
    if tree is None:
        return None
    if _punct(tree, "-!*&"):
        j = i + 1
        if _punct(tree, "&") and _ident(_at(trees, j), "mut"):
            j += 1
        return _operand(trees, j)
    unit = _unit(trees, i)
    if unit in _RANGES:
        end = _operand(trees, i + len(unit))
        return end if end is not None else i + len(unit)
    if _ident(tree, "move") or _punct(tree, "|"):
        return _closure(trees, i)
    if isinstance(tree, _Group):
        return _postfix(trees, i + 1)
    if tree.kind == "literal" or _ident(tree, "true", "false"):
        return _postfix(trees, i + 1)
    if _ident(tree, "return", "break", "yield"):
        label = _at(trees, i + 1)
        j = i + 2 if isinstance(label, _Tok) and label.kind == "lifetime" else i + 1
        value = _expression(trees, j)
        return value if value is not None else j
    if _ident(tree, "continue"):
        label = _at(trees, i + 1)
        return i + 2 if isinstance(label, _Tok) and label.kind == "lifetime" else i + 1
    if _ident(tree, *_BLOCK_EXPRS):
        end = _block_expr(trees, i)
        return _postfix(trees, end) if end is not None else None
    path: int | None
    if unit == "<":  # `<T as Trait>::f`
        end = _angle_end(trees, i)
        if end is None or _unit(trees, end) != "::":
            return None
        path = _expr_path(trees, end)
    elif unit == "::" or (_ident(tree) and tree.text not in _NOT_PATHS):
        path = _expr_path(trees, i)
    else:
        return None
    if path is None:
        return None
    if _punct(_at(trees, path), "!") and isinstance(_at(trees, path + 1), _Group):
        path += 2  # a macro call
    elif _braces(_at(trees, path)):
        path += 1  # a struct literal
    return _postfix(trees, path)


def _expr_path(trees: tuple[_Tree, ...], i: int) -> int | None:
    """A path in an expression: generic arguments only after ``::`` (``a < b`` compares)."""
    if _unit(trees, i) == "::":
        i += 2
    if not _ident(_at(trees, i)):
        return None
    i += 1
    while _unit(trees, i) == "::":
        if _unit(trees, i + 2) == "<":
            end = _angle_end(trees, i + 2)
            if end is None:
                return None
            i = end
        elif _ident(_at(trees, i + 2)):
            i += 3
        else:
            return None
    return i


def _postfix(trees: tuple[_Tree, ...], i: int) -> int | None:
    """Past the calls ``(..)``, indexes ``[..]``, ``?``, fields and method calls after ``i``."""
    while True:
        tree = _at(trees, i)
        if (isinstance(tree, _Group) and tree.delim in "([") or _punct(tree, "?"):
            i += 1  # a call, an index, `?`
        elif _unit(trees, i) == ".":
            member = _at(trees, i + 1)
            if not (isinstance(member, _Tok) and member.kind in ("ident", "literal")):
                return None
            i += 2
            if _unit(trees, i) == "::" and _unit(trees, i + 2) == "<":  # `.collect::<T>()`
                end = _angle_end(trees, i + 2)
                if end is None:
                    return None
                i = end
        else:
            return i


def _closure(trees: tuple[_Tree, ...], i: int) -> int | None:
    """``move |a, b| body`` or ``|| -> T { .. }``: the body goes as far as an expression does."""
    if _ident(_at(trees, i), "move"):
        i += 1
    if _glued(trees, i, _OPS2) == "||":
        i += 2
    elif _punct(_at(trees, i), "|"):
        close = next((j for j in range(i + 1, len(trees)) if _punct(trees[j], "|")), None)
        if close is None:
            return None
        i = close + 1
    else:
        return None
    if _unit(trees, i) == "->":
        end = _ty(trees, i + 2)
        if end is None:
            return None
        group = _at(trees, end)
        return end + 1 if isinstance(group, _Group) and group.delim == "{" else None
    return _expression(trees, i)


def _block_expr(trees: tuple[_Tree, ...], i: int) -> int | None:
    """``if``/``match``/``while``/``for``/``loop``/``unsafe``/``async``/``const`` with its
    block (and ``else`` branches): the head runs to the first ``{..}``, where no struct
    literal may stand."""
    while True:
        j = next((k for k in range(i + 1, len(trees)) if _braces(trees[k])), -1) + 1
        if not j:
            return None
        if not (_ident(trees[i], "if") and _ident(_at(trees, j), "else")):
            return j
        if _ident(_at(trees, j + 1), "if"):
            i = j + 1
            continue
        block = _at(trees, j + 1)
        return j + 2 if isinstance(block, _Group) and block.delim == "{" else None


def _ty(trees: tuple[_Tree, ...], pos: int) -> int | None:
    """A type: reference, pointer, tuple, array, slice, ``fn``, ``dyn``/``impl``, or path."""
    tree = trees[pos] if pos < len(trees) else None
    if _ident(tree) and tree.text not in _TY_WORDS and _ends_list(trees, pos + 1):
        return pos + 1  # `DWORD,`: what the general case finds, found faster
    unit = _unit(trees, pos)
    if isinstance(tree, _Group):
        return pos + 1 if tree.delim != "{" else None
    if unit in ("&", "*"):
        i = pos + 1
        if isinstance(tree := trees[i] if i < len(trees) else None, _Tok) and (
            tree.kind == "lifetime" or tree.text in ("mut", "const")
        ):
            i += 1
        if _ident(trees[i] if i < len(trees) else None, "mut"):
            i += 1
        return _ty(trees, i)
    if unit == "!" or _ident(tree, "_"):
        return pos + 1
    if _ident(tree, "dyn", "impl"):
        return _bounds(trees, pos + 1)
    if _ident(tree, "for", "unsafe", "extern", "fn"):
        return _fn_ty(trees, pos)
    if unit == "<":
        end = _angle_end(trees, pos)
        if end is None or _unit(trees, end) != "::":
            return None
        return _path(trees, end)
    return _path_ty(trees, pos)


#: Words a type starts with that :func:`_ty` does not read as a path.
_TY_WORDS = frozenset({"dyn", "impl", "for", "unsafe", "extern", "fn"})


def _path_ty(trees: tuple[_Tree, ...], pos: int) -> int | None:
    """A path type, with ``Fn(A) -> B`` sugar."""
    i = _path(trees, pos)
    if i is None or not isinstance(g := trees[i] if i < len(trees) else None, _Group):
        return i
    if g.delim != "(":
        return i
    return _ty(trees, i + 3) if _unit(trees, i + 1) == "->" else i + 1


def _fn_ty(trees: tuple[_Tree, ...], pos: int) -> int | None:
    """``for<'a>`` types and ``unsafe extern "C" fn(A) -> B`` pointers."""
    i = pos
    if _ident(trees[i], "for"):
        end = _angle_end(trees, i + 1)
        return None if end is None else _ty(trees, end)
    while i < len(trees) and not _ident(trees[i], "fn"):
        i += 1
    params = trees[i + 1] if i + 1 < len(trees) else None
    if not (isinstance(params, _Group) and params.delim == "("):
        return None
    return _ty(trees, i + 4) if _unit(trees, i + 2) == "->" else i + 2


def _bounds(trees: tuple[_Tree, ...], pos: int) -> int | None:
    """``Bound + Bound ...``: lifetimes, ``?Sized``, ``for<'a>`` and path bounds."""
    i = pos
    while True:
        if _unit(trees, i) == "?":
            i += 1
        tree = trees[i] if i < len(trees) else None
        end: int | None
        if (isinstance(tree, _Tok) and tree.kind == "lifetime") or (
            isinstance(tree, _Group) and tree.delim == "("
        ):
            end = i + 1
        elif _ident(tree, "for"):
            end = _fn_ty(trees, i)
        else:
            end = _path_ty(trees, i)
        if end is None or _unit(trees, end) != "+":
            return end
        i = end + 1


def _pat(trees: tuple[_Tree, ...], pos: int) -> int | None:
    """A pattern, ``|`` alternatives included."""
    return _nonempty(_scan_until(trees, pos, _PAT_STOPS), pos)


def _pat_param(trees: tuple[_Tree, ...], pos: int) -> int | None:
    """A pattern without top-level ``|``."""
    return _nonempty(_scan_until(trees, pos, _PAT_STOPS | {"|"}), pos)


def _stmt(trees: tuple[_Tree, ...], pos: int) -> int | None:
    """A statement without its ``;``."""
    return _nonempty(_scan_until(trees, pos, frozenset({";"})), pos)


def _angle_end(trees: tuple[_Tree, ...], i: int) -> int | None:
    """Index after the ``>`` closing the ``<`` at ``i``."""
    depth = 0
    while i < len(trees):
        unit = _unit(trees, i)
        if unit == "<":
            depth += 1
        elif unit == ">":
            depth -= 1
            if depth == 0:
                return i + 1
        i += len(unit) or 1
    return None


def _path(trees: tuple[_Tree, ...], pos: int) -> int | None:
    """A path such as ``::a::b<T>::c``."""
    i = pos + 2 if _unit(trees, pos) == "::" else pos
    while True:
        if not _ident(trees[i] if i < len(trees) else None):
            return None
        i += 1
        unit = _unit(trees, i)
        if unit == "::" and _unit(trees, i + 2) == "<":
            i, unit = i + 2, "<"
        if unit == "<":
            end = _angle_end(trees, i)
            if end is None:
                return None
            i = end
            unit = _unit(trees, i)
        if unit != "::":
            return i
        i += 2


def _meta(trees: tuple[_Tree, ...], pos: int) -> int | None:
    """Attribute content: a path, then a group or ``= value``."""
    i = _path(trees, pos)
    if i is None or i >= len(trees):
        return i
    if isinstance(trees[i], _Group):
        return i + 1
    if _unit(trees, i) == "=":
        return _expr(trees, i + 1)
    return i


def _vis(trees: tuple[_Tree, ...], pos: int) -> int | None:
    """A visibility, possibly empty: ``pub`` with an optional ``(...)``."""
    if not _ident(trees[pos] if pos < len(trees) else None, "pub"):
        return pos
    nxt = trees[pos + 1] if pos + 1 < len(trees) else None
    if (
        isinstance(nxt, _Group)
        and nxt.delim == "("
        and _ident(nxt.trees[0] if nxt.trees else None, "crate", "self", "super", "in")
    ):
        return pos + 2
    return pos + 1


def _item(trees: tuple[_Tree, ...], pos: int) -> int | None:
    """An item with its attributes: up to its ``{...}`` body or ``;``."""
    i = pos
    while _punct(trees[i] if i < len(trees) else None, "#"):
        i += 2 if isinstance(trees[i + 1] if i + 1 < len(trees) else None, _Group) else 3
    kind = next((t.text for t in trees[i:] if _ident(t) and t.text not in _ITEM_PREFIX), "")
    semicolon_only = kind in {"const", "static", "type", "use", "let"}
    while i < len(trees):
        tree = trees[i]
        if _punct(tree, ";") or (
            isinstance(tree, _Group) and tree.delim == "{" and not semicolon_only
        ):
            return i + 1
        i += 1
    return None


_ITEM_PREFIX = frozenset({"pub", "crate", "unsafe", "default", "async", "extern"})


def _one(test: Callable[[_Tree], bool]) -> _Scanner:
    """A scanner for one tree passing ``test``."""
    return lambda trees, pos: pos + 1 if pos < len(trees) and test(trees[pos]) else None


def _ident_fragment(trees: tuple[_Tree, ...], pos: int) -> int | None:
    """An identifier other than ``_`` (the most common fragment: no generic scanner)."""
    tree = trees[pos] if pos < len(trees) else None
    return pos + 1 if type(tree) is _Tok and tree.kind == "ident" and tree.text != "_" else None


def _literal(trees: tuple[_Tree, ...], pos: int) -> int | None:
    """A literal, ``-`` number, ``true`` or ``false``."""
    tree = trees[pos] if pos < len(trees) else None
    if _punct(tree, "-"):
        pos, tree = pos + 1, trees[pos + 1] if pos + 1 < len(trees) else None
    if isinstance(tree, _Tok) and (tree.kind == "literal" or tree.text in ("true", "false")):
        return pos + 1
    return None


def _tt(trees: tuple[_Tree, ...], pos: int) -> int | None:
    """One token tree; a multi-char operator counts as one."""
    if pos >= len(trees):
        return None
    return pos + (len(_glued(trees, pos, _OPS)) or 1)


_FRAGMENTS: dict[str, _Scanner] = {
    "ident": _ident_fragment,
    "lifetime": _one(lambda t: isinstance(t, _Tok) and t.kind == "lifetime"),
    "block": _one(lambda t: isinstance(t, _Group) and t.delim == "{"),
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

# ---------------------------------------------------------------- compiled rules


@dataclass(frozen=True, slots=True)
class _Lit:
    tok: _Tok


@dataclass(frozen=True, slots=True)
class _Frag:
    name: str
    kind: str


@dataclass(frozen=True, slots=True)
class _Delimited:
    """A group in a matcher (``elems`` are patterns) or a transcriber (``elems`` are pieces)."""

    group: _Group
    elems: tuple[_Elem, ...]


@dataclass(frozen=True, slots=True)
class _Verbatim:
    """A group in a transcriber without metavariables: transcribed as written.

    ``cost`` is what transcribing it element by element takes from the budget.
    """

    group: _Group
    cost: int


@dataclass(frozen=True, slots=True)
class _Rep:
    elems: tuple[_Elem, ...]
    sep: tuple[_Tok, ...]
    op: str
    names: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Var:
    """``$name`` in a transcriber; ``dollar`` and ``tok`` are re-emitted when it is unbound."""

    dollar: _Tok
    tok: _Tok


_Elem: TypeAlias = "_Lit | _Frag | _Delimited | _Verbatim | _Rep | _Var"


def _compile(trees: tuple[_Tree, ...], matcher: bool) -> tuple[_Elem, ...]:
    """Compile a matcher's or a transcriber's token trees."""
    out: list[_Elem] = []
    i = 0
    while i < len(trees):
        tree = trees[i]
        nxt = trees[i + 1] if i + 1 < len(trees) else None
        if isinstance(tree, _Group):
            elems = _compile(tree.trees, matcher)
            if matcher or not _as_written(elems, tree.trees):
                out.append(_Delimited(tree, elems))
            else:
                cost = len(elems) + sum(e.cost for e in elems if isinstance(e, _Verbatim))
                out.append(_Verbatim(tree, cost))
            i += 1
        elif not _punct(tree, "$") or nxt is None:
            out.append(_Lit(tree))
            i += 1
        elif isinstance(nxt, _Group):
            if nxt.delim != "(":
                raise _MacroError("metavariable expressions are not supported")
            elems = _compile(nxt.trees, matcher)
            sep, op, i = _rep_suffix(trees, i + 2)
            out.append(_Rep(elems, sep, op, frozenset(_names(elems))))
        elif nxt.kind != "ident":
            out.append(_Lit(tree))
            i += 1
        elif nxt.text == "crate" and not matcher:
            out.append(_Lit(nxt))
            i += 2
        elif not matcher:
            out.append(_Var(tree, nxt))
            i += 2
        else:
            colon, kind = (*trees[i + 2 : i + 4], None, None)[:2]
            if not _punct(colon, ":") or not isinstance(kind, _Tok):
                raise _MacroError(f"fragment ${nxt.text} has no kind")
            if kind.text not in _FRAGMENTS:
                raise _MacroError(f"unsupported fragment kind {kind.text}")
            out.append(_Frag(nxt.text, kind.text))
            i += 4
    return tuple(out)


def _as_written(elems: tuple[_Elem, ...], trees: tuple[_Tree, ...]) -> bool:
    """Whether transcribing ``elems`` gives ``trees`` (the very same trees)."""
    return len(elems) == len(trees) and all(
        (isinstance(e, _Lit) and e.tok is t) or (isinstance(e, _Verbatim) and e.group is t)
        for e, t in zip(elems, trees, strict=True)
    )


def _rep_suffix(trees: tuple[_Tree, ...], i: int) -> tuple[tuple[_Tok, ...], str, int]:
    """The separator and operator after ``$(...)``, and the index after them."""
    first = trees[i] if i < len(trees) else None
    if _punct(first, "*+?"):
        return (), first.text, i + 1
    if not isinstance(first, _Tok):
        raise _MacroError("repetition without operator")
    size = len(_glued(trees, i, _OPS)) or 1
    op = trees[i + size] if i + size < len(trees) else None
    if not _punct(op, "*+"):
        raise _MacroError("repetition without operator")
    return tuple(t for t in trees[i : i + size] if isinstance(t, _Tok)), op.text, i + size + 1


def _names(elems: tuple[_Elem, ...]) -> Iterator[str]:
    """Metavariable names bound or used in ``elems``, nested ones included."""
    for elem in elems:
        if isinstance(elem, _Frag):
            yield elem.name
        elif isinstance(elem, _Var):
            yield elem.tok.text
        elif isinstance(elem, (_Delimited, _Rep)):
            yield from _names(elem.elems)


@dataclass(frozen=True, slots=True)
class _Macro:
    rules: tuple[tuple[tuple[_Elem, ...], tuple[_Elem, ...]], ...]


@lru_cache(maxsize=1024)
def _load(definition: str) -> _Macro | None:
    """The compiled rules of a ``macro_rules!`` definition, or None if malformed."""
    try:
        trees = _tokenize(definition)
        for i in range(len(trees) - 3):
            body = trees[i + 3]
            head = _ident(trees[i], "macro_rules") and _punct(trees[i + 1], "!")
            if head and _ident(trees[i + 2]) and isinstance(body, _Group):
                return _Macro(_rules(body.trees))
        return None
    except (_MacroError, RecursionError):
        return None


def _rules(body: tuple[_Tree, ...]) -> tuple[tuple[tuple[_Elem, ...], tuple[_Elem, ...]], ...]:
    """Compile ``(matcher) => {transcriber};`` rules."""
    rules = []
    i = 0
    while i < len(body):
        matcher, transcriber = body[i], body[i + 3] if i + 3 < len(body) else None
        if not (
            isinstance(matcher, _Group)
            and _glued(body, i + 1, _OPS2) == "=>"
            and isinstance(transcriber, _Group)
        ):
            raise _MacroError("malformed rule")
        rules.append((_compile(matcher.trees, True), _compile(transcriber.trees, False)))
        i += 4
        if i < len(body) and _punct(body[i], ";"):
            i += 1
    if not rules:
        raise _MacroError("no rules")
    return tuple(rules)


# ---------------------------------------------------------------- matching and transcription

_Result: TypeAlias = "tuple[int, _Env] | None"  # where matching ended, and the bindings
_Cont = Callable[[int, _Env], _Result]


def _beyond(at: int) -> _Cont:
    """A continuation accepting any match that ends after ``at``."""
    return lambda p, e: (p, e) if p > at else None


class _Session:
    """Budgets shared by every expansion that one API call makes."""

    def __init__(self) -> None:
        self.steps = 0
        self.tokens = 0

    def apply(self, macro: _Macro, trees: tuple[_Tree, ...]) -> list[_Tree] | None:
        """Transcribe the first rule whose matcher matches all of ``trees``."""
        for matcher, transcriber in macro.rules:
            found = self._match(
                matcher, 0, trees, 0, {}, lambda p, e: (p, e) if p == len(trees) else None
            )
            if found is not None:
                out: list[_Tree] = []
                self._transcribe(transcriber, found[1], out)
                return out
        return None

    def _match(
        self,
        elems: tuple[_Elem, ...],
        k: int,
        trees: tuple[_Tree, ...],
        pos: int,
        env: _Env,
        cont: _Cont,
    ) -> _Result:
        """Match ``elems[k:]`` at ``trees[pos:]``, then ``cont``; backtracks over repetitions.

        Literals and fragments, which cannot backtrack, are matched in a loop;
        each element still takes one step of the budget.
        """
        while True:
            self.steps += 1
            if self.steps > _MAX_STEPS:
                raise _MacroError("matching budget exhausted")
            if k == len(elems):
                return cont(pos, env)
            elem = elems[k]
            tree = trees[pos] if pos < len(trees) else None
            if type(elem) is _Lit:
                lit = elem.tok
                if type(tree) is not _Tok or tree.text != lit.text or tree.kind != lit.kind:
                    return None
                pos += 1
            elif type(elem) is _Frag:
                end = _FRAGMENTS[elem.kind](trees, pos)
                if end is None:
                    return None
                env = {**env, elem.name: trees[pos:end]}
                pos = end
            elif type(elem) is _Delimited:
                if type(tree) is not _Group or tree.delim != elem.group.delim:
                    return None
                return self._match_group(elem, tree, elems, k, trees, pos, env, cont)
            elif type(elem) is _Rep:
                return self._repeat(elem, elems, k, trees, pos, env, cont)
            else:
                raise _MacroError("metavariable in a matcher")
            k += 1

    def _match_group(
        self,
        elem: _Delimited,
        group: _Group,
        elems: tuple[_Elem, ...],
        k: int,
        trees: tuple[_Tree, ...],
        pos: int,
        env: _Env,
        cont: _Cont,
    ) -> _Result:
        """Match ``elem``'s patterns at all of ``group`` (``trees[pos]``), then the rest."""
        inner = group.trees

        def close(p: int, e: _Env) -> _Result:
            return self._match(elems, k + 1, trees, pos + 1, e, cont) if p == len(inner) else None

        return self._match(elem.elems, 0, inner, 0, env, close)

    def _repeat(
        self,
        rep: _Rep,
        elems: tuple[_Elem, ...],
        k: int,
        trees: tuple[_Tree, ...],
        pos: int,
        env: _Env,
        cont: _Cont,
    ) -> _Result:
        """Match ``rep`` as often as it goes, then the rest, giving back iterations as needed.

        Each iteration keeps its first way of matching: only the count backtracks.
        """
        ends: list[int] = [pos]
        done: list[_Env] = []
        while rep.op != "?" or not done:
            at = start = ends[-1]
            if done and rep.sep:
                start = at + len(rep.sep)
                if not _starts_with(trees, at, rep.sep):
                    break
            found = self._match(rep.elems, 0, trees, start, {}, _beyond(at))
            if found is None:
                break
            ends.append(found[0])
            done.append(found[1])
        for count in range(len(done), 0 if rep.op == "+" else -1, -1):
            taken = done[:count]
            merged: _Env = {**env, **{name: [it[name] for it in taken] for name in rep.names}}
            result = self._match(elems, k + 1, trees, ends[count], merged, cont)
            if result is not None:
                return result
        return None

    def _transcribe(self, elems: tuple[_Elem, ...], env: _Env, out: list[_Tree]) -> None:
        """Append the transcription of ``elems`` under ``env`` to ``out``."""
        self.tokens += len(elems)
        if self.tokens > _MAX_TOKENS:
            raise _MacroError("expansion too large")
        for elem in elems:
            if type(elem) is _Lit:  # most elements: checked first
                out.append(elem.tok)
            elif type(elem) is _Var:
                value = env.get(elem.tok.text)
                if value is None:
                    out.extend((elem.dollar, elem.tok))
                elif isinstance(value, list):
                    raise _MacroError(f"${elem.tok.text} is still repeating")
                elif value:
                    self.tokens += len(value)
                    _splice(value, elem, out)
            elif type(elem) is _Verbatim:
                self.tokens += elem.cost  # what transcribing its elements would take
                if self.tokens > _MAX_TOKENS:
                    raise _MacroError("expansion too large")
                out.append(elem.group)
            elif type(elem) is _Delimited:
                inner: list[_Tree] = []
                self._transcribe(elem.elems, env, inner)
                group = elem.group
                out.append(_Group(group.delim, tuple(inner), group.open, group.close))
            elif type(elem) is _Rep:
                self._transcribe_rep(elem, env, out)
            else:
                raise _MacroError("fragment in a transcriber")

    def _transcribe_rep(self, rep: _Rep, env: _Env, out: list[_Tree]) -> None:
        """Transcribe ``$(...)`` once per iteration of the repeating variables in it."""
        lists = {n: v for n in rep.names if isinstance(v := env.get(n), list)}
        counts = {len(v) for v in lists.values()}
        if len(counts) != 1:
            raise _MacroError("no or inconsistent repetition in transcriber")
        scope = dict(env)  # one per repetition: transcription only reads it
        for index in range(counts.pop()):
            if index:
                out.extend(rep.sep)
            for name, values in lists.items():
                scope[name] = values[index]
            self._transcribe(rep.elems, scope, out)

    def expand_items(
        self, trees: list[_Tree], macros: dict[str, _Macro], depth: int
    ) -> list[_Tree]:
        """Expand invocations of ``macros`` at item position in ``trees``, ``depth`` levels deep."""
        if depth <= 0:
            return trees
        out: list[_Tree] = []
        at_start, kind, i = True, "", 0
        while i < len(trees):
            tree = trees[i]
            found = _invocation(trees, i) if at_start else None
            if found is not None and found[0] in macros:
                name, group, end = found
                expanded = self.apply(macros[name], group.trees)
                if expanded is not None:
                    out.extend(self.expand_items(expanded, macros, depth - 1))
                    i = end
                    continue
            if _punct(tree, "#") and isinstance(
                trees[i + 1] if i + 1 < len(trees) else None, _Group
            ):
                out.extend(trees[i : i + 2])
                i += 2
                continue
            if isinstance(tree, _Group) and tree.delim == "{":
                if kind in ("impl", "trait", "mod", "extern"):
                    inner = self.expand_items(list(tree.trees), macros, depth)
                    tree = _Group("{", tuple(inner), tree.open, tree.close)
                at_start, kind = True, ""
            elif _punct(tree, ";"):
                at_start, kind = True, ""
            else:
                at_start = False
                if not kind and _ident(tree):
                    kind = "" if tree.text in _ITEM_PREFIX else tree.text
            out.append(tree)
            i += 1
        return out


def _starts_with(trees: tuple[_Tree, ...], at: int, toks: tuple[_Tok, ...]) -> bool:
    """Whether ``trees[at:]`` starts with tokens like ``toks``."""
    if at + len(toks) > len(trees):
        return False
    for j, tok in enumerate(toks, at):
        tree = trees[j]
        if type(tree) is not _Tok or tree.text != tok.text or tree.kind != tok.kind:
            return False
    return True


def _splice(value: tuple[_Tree, ...], var: _Var, out: list[_Tree]) -> None:
    """Append ``value`` to ``out``, its first and last leaves marked as standing where
    ``var`` was written (``before``: its ``$``, ``after``: its name)."""
    first = value[0]
    if len(value) > 1:
        out.append(_marked(first, var.dollar, None))
        out.extend(value[1:-1])
        out.append(_marked(value[-1], None, var.tok))
    elif isinstance(first, _Tok):  # most values: one token
        out.append(_marked_leaf(first, var.dollar, var.tok))
    else:
        out.append(_marked(first, var.dollar, var.tok))


def _marked(tree: _Tree, before: _Tok | None, after: _Tok | None) -> _Tree:
    """``tree`` with its first leaf marked ``before`` and its last one ``after`` (when given)."""
    if isinstance(tree, _Group):
        opener = tree.open if before is None else _marked_leaf(tree.open, before, None)
        close = tree.close if after is None else _marked_leaf(tree.close, None, after)
        return _Group(tree.delim, tree.trees, opener, close)
    return _marked_leaf(tree, before, after)


def _marked_leaf(tok: _Tok, before: _Tok | None, after: _Tok | None) -> _Tok:
    """``tok`` with ``before`` and ``after`` replaced (when given)."""
    return _Tok(
        tok.kind,
        tok.text,
        tok.src,
        tok.start,
        tok.end,
        tok.line,
        tok.before if before is None else before,
        tok.after if after is None else after,
    )


def _invocation(trees: list[_Tree] | tuple[_Tree, ...], i: int) -> tuple[str, _Group, int] | None:
    """``(name, arguments, end)`` of a ``path::name!(...)`` invocation at ``i``, if any."""
    seq = tuple(trees)
    if _unit(seq, i) == "::":
        i += 2
    while _ident(seq[i] if i < len(seq) else None) and _unit(seq, i + 1) == "::":
        i += 3
    name, bang, group = (*seq[i : i + 3], None, None, None)[:3]
    if not (_ident(name) and _punct(bang, "!")):
        return None
    if not isinstance(group, _Group):
        return None
    end = i + 3
    if group.delim != "{" and _punct(seq[end] if end < len(seq) else None, ";"):
        end += 1
    return name.text, group, end


# ---------------------------------------------------------------- rendering and API


def _flatten(trees: list[_Tree] | tuple[_Tree, ...], out: list[_Tok]) -> list[_Tok]:
    """``out`` with the leaf tokens of ``trees`` appended, delimiters included."""
    for tree in trees:
        if isinstance(tree, _Group):
            out.append(tree.open)
            _flatten(tree.trees, out)
            out.append(tree.close)
        else:
            out.append(tree)
    return out


def _render(trees: list[_Tree]) -> str:
    """Source text: tokens adjacent in their source stay glued, their line breaks are kept.

    A substituted fragment is placed as if written where its metavariable was.
    """
    parts: list[str] = []
    lines: dict[int, int] = {}  # source -> line of its last token written
    prev: _Tok | None = None
    for tok in _flatten(trees, []):
        before, after = tok.before, tok.after
        if prev is not None:
            # _adjacent() inlined: this loop runs once per token of every expansion.
            glued = prev.src >= 0 and prev.src == tok.src and prev.end == tok.start
            if not glued:
                left, right = prev.after or prev, before or tok
                words = prev.kind != "punct" and tok.kind != "punct"
                if words or not (
                    left.src >= 0 and left.src == right.src and left.end == right.start
                ):
                    anchor = tok if tok.src == prev.src else right
                    line = anchor.line
                    parts.append("\n" if lines.get(anchor.src, line) != line else " ")
        parts.append(tok.text)
        if before is not None and before.src >= 0:
            lines[before.src] = before.line
        if tok.src >= 0:
            lines[tok.src] = tok.line
        if after is not None and after.src >= 0:
            lines[after.src] = after.line
        prev = tok
    return "".join(parts)


@lru_cache(maxsize=4096)
def expand(definition: str, invocation: str) -> str | None:
    """Expand one invocation of ``definition`` whose arguments are ``invocation``.

    Nested macro invocations in the result are left as written. None when no
    rule matches, the definition is malformed or unsupported, or a budget runs out.
    The answer depends on the two texts only, so it is cached (helper macros such
    as serde's ``forward_to_deserialize_any_method!`` are invoked alike hundreds of times).
    """
    macro = _load(definition)
    if macro is None:
        return None
    try:
        out = _Session().apply(macro, tuple(_tokenize(invocation)))
        return None if out is None else _render(out)
    except (_MacroError, RecursionError):
        return None


@lru_cache(maxsize=4096)
def expand_nested(definitions: tuple[tuple[str, str], ...], text: str, depth: int) -> str | None:
    """``text``, an expansion that is nothing but invocations of ``definitions``
    (``(name, macro_rules! source)`` pairs), with them expanded ``depth`` levels deep.

    None when ``text`` holds anything else (or cannot be read). A wrapper's layers
    (libc's ``s!`` -> ``s!(it: ..)`` -> ``__item! { .. }``) are expanded here, on tokens,
    instead of each being rendered, parsed and extracted in turn; an expansion with
    items of its own is extracted, and its invocations expanded one by one.
    """
    macros = {name: m for name, d in definitions if (m := _load(d)) is not None}
    try:
        trees = tuple(_tokenize(text))
        if not _only_invocations(trees, macros):
            return None
        return _render(_Session().expand_items(list(trees), macros, depth))
    except (_MacroError, RecursionError):
        return None


def _only_invocations(trees: tuple[_Tree, ...], macros: dict[str, _Macro]) -> bool:
    """Whether ``trees`` are invocations of ``macros`` (attributes before them allowed)."""
    i = 0
    while i < len(trees):
        if _punct(trees[i], "#") and i + 1 < len(trees) and isinstance(trees[i + 1], _Group):
            i += 2
            continue
        found = _invocation(trees, i)
        if found is None or found[0] not in macros:
            return False
        i = found[2]
    return bool(trees)


def expand_recursive(
    definitions: dict[str, str], name: str, invocation: str, depth: int = 4
) -> str | None:
    """Expand ``name!(invocation)``, then item-position invocations of ``definitions`` in it.

    ``definitions`` maps macro names to their ``macro_rules!`` source; nested
    invocations are expanded up to ``depth`` levels below the first one, and
    those that cannot be expanded are left as written.
    """
    macros = {n: m for n, d in definitions.items() if (m := _load(d)) is not None}
    if name not in macros:
        return None
    session = _Session()
    try:
        out = session.apply(macros[name], tuple(_tokenize(invocation)))
        if out is None:
            return None
        return _render(session.expand_items(out, macros, depth))
    except (_MacroError, RecursionError):
        return None
