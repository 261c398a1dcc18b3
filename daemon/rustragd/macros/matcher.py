"""``macro_rules!`` definitions compiled into rules, and a backtracking matcher of
invocations against a rule's matcher (first match wins).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeAlias

from rustragd.macros.fragments import FRAGMENTS
from rustragd.macros.lexer import (
    OPS,
    OPS2,
    Env,
    Group,
    MacroError,
    Tok,
    Tree,
    glued_at,
    is_ident,
    is_punct,
    tokenize,
)

__all__ = [
    "Delimited",
    "Elem",
    "Lit",
    "Macro",
    "Matcher",
    "Rep",
    "Var",
    "Verbatim",
    "load",
]

_MAX_STEPS = 200_000  # matcher steps per expansion session

# ---------------------------------------------------------------- compiled rules


@dataclass(frozen=True, slots=True)
class Lit:
    tok: Tok


@dataclass(frozen=True, slots=True)
class _Frag:
    name: str
    kind: str


@dataclass(frozen=True, slots=True)
class Delimited:
    """A group in a matcher (``elems`` are patterns) or a transcriber (``elems`` are pieces)."""

    group: Group
    elems: tuple[Elem, ...]


@dataclass(frozen=True, slots=True)
class Verbatim:
    """A group in a transcriber without metavariables: transcribed as written.

    ``cost`` is what transcribing it element by element takes from the budget.
    """

    group: Group
    cost: int


@dataclass(frozen=True, slots=True)
class Rep:
    elems: tuple[Elem, ...]
    sep: tuple[Tok, ...]
    op: str
    names: frozenset[str]


@dataclass(frozen=True, slots=True)
class Var:
    """``$name`` in a transcriber; ``dollar`` and ``tok`` are re-emitted when it is unbound."""

    dollar: Tok
    tok: Tok


Elem: TypeAlias = "Lit | _Frag | Delimited | Verbatim | Rep | Var"


def _compile(trees: tuple[Tree, ...], matcher: bool) -> tuple[Elem, ...]:
    """Compile a matcher's or a transcriber's token trees."""
    out: list[Elem] = []
    i = 0
    while i < len(trees):
        tree = trees[i]
        nxt = trees[i + 1] if i + 1 < len(trees) else None
        if isinstance(tree, Group):
            elems = _compile(tree.trees, matcher)
            if matcher or not _as_written(elems, tree.trees):
                out.append(Delimited(tree, elems))
            else:
                cost = len(elems) + sum(e.cost for e in elems if isinstance(e, Verbatim))
                out.append(Verbatim(tree, cost))
            i += 1
        elif not is_punct(tree, "$") or nxt is None:
            out.append(Lit(tree))
            i += 1
        elif isinstance(nxt, Group):
            if nxt.delim != "(":
                raise MacroError("metavariable expressions are not supported")
            elems = _compile(nxt.trees, matcher)
            sep, op, i = _rep_suffix(trees, i + 2)
            out.append(Rep(elems, sep, op, frozenset(_names(elems))))
        elif nxt.kind != "ident":
            out.append(Lit(tree))
            i += 1
        elif nxt.text == "crate" and not matcher:
            out.append(Lit(nxt))
            i += 2
        elif not matcher:
            out.append(Var(tree, nxt))
            i += 2
        else:
            colon, kind = (*trees[i + 2 : i + 4], None, None)[:2]
            if not is_punct(colon, ":") or not isinstance(kind, Tok):
                raise MacroError(f"fragment ${nxt.text} has no kind")
            if kind.text not in FRAGMENTS:
                raise MacroError(f"unsupported fragment kind {kind.text}")
            out.append(_Frag(nxt.text, kind.text))
            i += 4
    return tuple(out)


def _as_written(elems: tuple[Elem, ...], trees: tuple[Tree, ...]) -> bool:
    """Whether transcribing ``elems`` gives ``trees`` (the very same trees)."""
    return len(elems) == len(trees) and all(
        (isinstance(e, Lit) and e.tok is t) or (isinstance(e, Verbatim) and e.group is t)
        for e, t in zip(elems, trees, strict=True)
    )


def _rep_suffix(trees: tuple[Tree, ...], i: int) -> tuple[tuple[Tok, ...], str, int]:
    """The separator and operator after ``$(...)``, and the index after them."""
    first = trees[i] if i < len(trees) else None
    if is_punct(first, "*+?"):
        return (), first.text, i + 1
    if not isinstance(first, Tok):
        raise MacroError("repetition without operator")
    size = len(glued_at(trees, i, OPS)) or 1
    op = trees[i + size] if i + size < len(trees) else None
    if not is_punct(op, "*+"):
        raise MacroError("repetition without operator")
    return tuple(t for t in trees[i : i + size] if isinstance(t, Tok)), op.text, i + size + 1


def _names(elems: tuple[Elem, ...]) -> Iterator[str]:
    """Metavariable names bound or used in ``elems``, nested ones included."""
    for elem in elems:
        if isinstance(elem, _Frag):
            yield elem.name
        elif isinstance(elem, Var):
            yield elem.tok.text
        elif isinstance(elem, (Delimited, Rep)):
            yield from _names(elem.elems)


@dataclass(frozen=True, slots=True)
class Macro:
    rules: tuple[tuple[tuple[Elem, ...], tuple[Elem, ...]], ...]


@lru_cache(maxsize=1024)
def load(definition: str) -> Macro | None:
    """The compiled rules of a ``macro_rules!`` definition, or None if malformed."""
    try:
        trees = tokenize(definition)
        for i in range(len(trees) - 3):
            body = trees[i + 3]
            head = is_ident(trees[i], "macro_rules") and is_punct(trees[i + 1], "!")
            if head and is_ident(trees[i + 2]) and isinstance(body, Group):
                return Macro(_rules(body.trees))
        return None
    except (MacroError, RecursionError):
        return None


def _rules(body: tuple[Tree, ...]) -> tuple[tuple[tuple[Elem, ...], tuple[Elem, ...]], ...]:
    """Compile ``(matcher) => {transcriber};`` rules."""
    rules = []
    i = 0
    while i < len(body):
        matcher, transcriber = body[i], body[i + 3] if i + 3 < len(body) else None
        if not (
            isinstance(matcher, Group)
            and glued_at(body, i + 1, OPS2) == "=>"
            and isinstance(transcriber, Group)
        ):
            raise MacroError("malformed rule")
        rules.append((_compile(matcher.trees, True), _compile(transcriber.trees, False)))
        i += 4
        if i < len(body) and is_punct(body[i], ";"):
            i += 1
    if not rules:
        raise MacroError("no rules")
    return tuple(rules)


# ---------------------------------------------------------------- matching

_Result: TypeAlias = "tuple[int, Env] | None"  # where matching ended, and the bindings
_Cont = Callable[[int, Env], _Result]


def _beyond(at: int) -> _Cont:
    """A continuation accepting any match that ends after ``at``."""
    return lambda p, e: (p, e) if p > at else None


class Matcher:
    """The matching budget shared by every expansion that one API call makes."""

    def __init__(self) -> None:
        self.steps = 0

    def _match(
        self,
        elems: tuple[Elem, ...],
        k: int,
        trees: tuple[Tree, ...],
        pos: int,
        env: Env,
        cont: _Cont,
    ) -> _Result:
        """Match ``elems[k:]`` at ``trees[pos:]``, then ``cont``; backtracks over repetitions.

        Literals and fragments, which cannot backtrack, are matched in a loop;
        each element still takes one step of the budget.
        """
        while True:
            self.steps += 1
            if self.steps > _MAX_STEPS:
                raise MacroError("matching budget exhausted")
            if k == len(elems):
                return cont(pos, env)
            elem = elems[k]
            tree = trees[pos] if pos < len(trees) else None
            if type(elem) is Lit:
                lit = elem.tok
                if type(tree) is not Tok or tree.text != lit.text or tree.kind != lit.kind:
                    return None
                pos += 1
            elif type(elem) is _Frag:
                end = FRAGMENTS[elem.kind](trees, pos)
                if end is None:
                    return None
                env = {**env, elem.name: trees[pos:end]}
                pos = end
            elif type(elem) is Delimited:
                if type(tree) is not Group or tree.delim != elem.group.delim:
                    return None
                return self._match_group(elem, tree, elems, k, trees, pos, env, cont)
            elif type(elem) is Rep:
                return self._repeat(elem, elems, k, trees, pos, env, cont)
            else:
                raise MacroError("metavariable in a matcher")
            k += 1

    def _match_group(
        self,
        elem: Delimited,
        group: Group,
        elems: tuple[Elem, ...],
        k: int,
        trees: tuple[Tree, ...],
        pos: int,
        env: Env,
        cont: _Cont,
    ) -> _Result:
        """Match ``elem``'s patterns at all of ``group`` (``trees[pos]``), then the rest."""
        inner = group.trees

        def close(p: int, e: Env) -> _Result:
            return self._match(elems, k + 1, trees, pos + 1, e, cont) if p == len(inner) else None

        return self._match(elem.elems, 0, inner, 0, env, close)

    def _repeat(
        self,
        rep: Rep,
        elems: tuple[Elem, ...],
        k: int,
        trees: tuple[Tree, ...],
        pos: int,
        env: Env,
        cont: _Cont,
    ) -> _Result:
        """Match ``rep`` as often as it goes, then the rest, giving back iterations as needed.

        Each iteration keeps its first way of matching: only the count backtracks.
        """
        ends: list[int] = [pos]
        done: list[Env] = []
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
            merged: Env = {**env, **{name: [it[name] for it in taken] for name in rep.names}}
            result = self._match(elems, k + 1, trees, ends[count], merged, cont)
            if result is not None:
                return result
        return None


def _starts_with(trees: tuple[Tree, ...], at: int, toks: tuple[Tok, ...]) -> bool:
    """Whether ``trees[at:]`` starts with tokens like ``toks``."""
    if at + len(toks) > len(trees):
        return False
    for j, tok in enumerate(toks, at):
        tree = trees[j]
        if type(tree) is not Tok or tree.text != tok.text or tree.kind != tok.kind:
            return False
    return True
