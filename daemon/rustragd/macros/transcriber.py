"""Transcription of the matched rule's body, and expansion of the macro invocations
at item position in an expansion.
"""

from __future__ import annotations

from rustragd.macros.fragments import _ITEM_PREFIX
from rustragd.macros.lexer import _Env, _Group, _ident, _MacroError, _punct, _Tok, _Tree, _unit
from rustragd.macros.matcher import (
    _Delimited,
    _Elem,
    _Lit,
    _Macro,
    _Matcher,
    _Rep,
    _Var,
    _Verbatim,
)

__all__ = ["_Session", "_invocation"]

_MAX_TOKENS = 200_000  # transcribed tokens per expansion session


class _Session(_Matcher):
    """Budgets shared by every expansion that one API call makes."""

    def __init__(self) -> None:
        super().__init__()
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
