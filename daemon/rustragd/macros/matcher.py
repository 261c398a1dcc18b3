"""``macro_rules!`` definitions compiled into rules, and a backtracking matcher of
invocations against a rule's matcher (first match wins).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeAlias

from rustragd.macros.fragments import _FRAGMENTS
from rustragd.macros.lexer import (
    _OPS,
    _OPS2,
    _Env,
    _glued,
    _Group,
    _ident,
    _MacroError,
    _punct,
    _Tok,
    _tokenize,
    _Tree,
)

__all__ = [
    "_Delimited",
    "_Elem",
    "_Lit",
    "_Macro",
    "_Matcher",
    "_Rep",
    "_Var",
    "_Verbatim",
    "_load",
]

_MAX_STEPS = 200_000  # matcher steps per expansion session

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


# ---------------------------------------------------------------- matching

_Result: TypeAlias = "tuple[int, _Env] | None"  # where matching ended, and the bindings
_Cont = Callable[[int, _Env], _Result]


def _beyond(at: int) -> _Cont:
    """A continuation accepting any match that ends after ``at``."""
    return lambda p, e: (p, e) if p > at else None


class _Matcher:
    """The matching budget shared by every expansion that one API call makes."""

    def __init__(self) -> None:
        self.steps = 0

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


def _starts_with(trees: tuple[_Tree, ...], at: int, toks: tuple[_Tok, ...]) -> bool:
    """Whether ``trees[at:]`` starts with tokens like ``toks``."""
    if at + len(toks) > len(trees):
        return False
    for j, tok in enumerate(toks, at):
        tree = trees[j]
        if type(tree) is not _Tok or tree.text != tok.text or tree.kind != tok.kind:
            return False
    return True
