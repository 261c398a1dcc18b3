"""Transcription of the matched rule's body, and expansion of the macro invocations
in an expansion: at item position, or in type and expression position in its items.
"""

from __future__ import annotations

import operator

from rustragd.macros.fragments import ITEM_PREFIX
from rustragd.macros.lexer import Env, Group, MacroError, Tok, Tree, is_ident, is_punct, unit_at
from rustragd.macros.matcher import (
    Delimited,
    Elem,
    Lit,
    Macro,
    Matcher,
    Rep,
    Var,
    Verbatim,
)

__all__ = ["Session", "invocation_at"]

_MAX_TOKENS = 200_000  # transcribed tokens per expansion session


class Session(Matcher):
    """Budgets shared by every expansion that one API call makes."""

    def __init__(self) -> None:
        super().__init__()
        self.tokens = 0
        self.changed = False

    def apply(self, macro: Macro, trees: tuple[Tree, ...]) -> list[Tree] | None:
        """Transcribe the first rule whose matcher matches all of ``trees``."""
        for matcher, transcriber in macro.rules:
            found = self._match(
                matcher, 0, trees, 0, {}, lambda p, e: (p, e) if p == len(trees) else None
            )
            if found is not None:
                out: list[Tree] = []
                self._transcribe(transcriber, found[1], out)
                return out
        return None

    def _transcribe(self, elems: tuple[Elem, ...], env: Env, out: list[Tree]) -> None:
        """Append the transcription of ``elems`` under ``env`` to ``out``."""
        self.tokens += len(elems)
        if self.tokens > _MAX_TOKENS:
            raise MacroError("expansion too large")
        for elem in elems:
            if type(elem) is Lit:  # most elements: checked first
                out.append(elem.tok)
            elif type(elem) is Var:
                value = env.get(elem.tok.text)
                if value is None:
                    out.extend((elem.dollar, elem.tok))
                elif isinstance(value, list):
                    raise MacroError(f"${elem.tok.text} is still repeating")
                elif value:
                    self.tokens += len(value)
                    _splice(value, elem, out)
            elif type(elem) is Verbatim:
                self.tokens += elem.cost  # what transcribing its elements would take
                if self.tokens > _MAX_TOKENS:
                    raise MacroError("expansion too large")
                out.append(elem.group)
            elif type(elem) is Delimited:
                inner: list[Tree] = []
                self._transcribe(elem.elems, env, inner)
                group = elem.group
                out.append(Group(group.delim, tuple(inner), group.open, group.close))
            elif type(elem) is Rep:
                self._transcribe_rep(elem, env, out)
            else:
                raise MacroError("fragment in a transcriber")

    def _transcribe_rep(self, rep: Rep, env: Env, out: list[Tree]) -> None:
        """Transcribe ``$(...)`` once per iteration of the repeating variables in it."""
        lists = {n: v for n in rep.names if isinstance(v := env.get(n), list)}
        counts = {len(v) for v in lists.values()}
        if len(counts) != 1:
            raise MacroError("no or inconsistent repetition in transcriber")
        scope = dict(env)  # one per repetition: transcription only reads it
        for index in range(counts.pop()):
            if index:
                out.extend(rep.sep)
            for name, values in lists.items():
                scope[name] = values[index]
            self._transcribe(rep.elems, scope, out)

    def expand_items(self, trees: list[Tree], macros: dict[str, Macro], depth: int) -> list[Tree]:
        """Expand invocations of ``macros`` at item position in ``trees``, ``depth`` levels deep."""
        if depth <= 0:
            return trees
        out: list[Tree] = []
        at_start, kind, i = True, "", 0
        while i < len(trees):
            tree = trees[i]
            found = invocation_at(trees, i) if at_start else None
            if found is not None and found[0] in macros:
                name, group, end = found
                expanded = self.apply(macros[name], group.trees)
                if expanded is not None:
                    out.extend(self.expand_items(expanded, macros, depth - 1))
                    i = end
                    continue
            if is_punct(tree, "#") and isinstance(
                trees[i + 1] if i + 1 < len(trees) else None, Group
            ):
                out.extend(trees[i : i + 2])
                i += 2
                continue
            if isinstance(tree, Group) and tree.delim == "{":
                if kind in ("impl", "trait", "mod", "extern"):
                    inner = self.expand_items(list(tree.trees), macros, depth)
                    tree = Group("{", tuple(inner), tree.open, tree.close)
                at_start, kind = True, ""
            else:
                at_start, kind = _item_state(tree, kind)
            out.append(tree)
            i += 1
        return out

    def expand_inner(
        self, trees: tuple[Tree, ...], macros: dict[str, Macro], depth: int
    ) -> list[Tree]:
        """Expand invocations of ``macros`` in type and expression position in the items of
        ``trees`` (headers, signatures, fields, values), ``depth`` levels deep; those at item
        position, attributes and function bodies are left as written."""
        out: list[Tree] = []
        at_start, kind, i = True, "", 0
        while i < len(trees):
            tree = trees[i]
            found = _invocation(trees, i)
            if found is not None:
                end = _own_end(trees, found)
                if at_start:  # an item of its own: expanded (and extracted) as one
                    out.extend(trees[i:end])
                    at_start, kind = True, ""
                else:
                    out.extend(self._expand_at(found, trees[i:end], macros, depth))
                i = end
                continue
            if is_punct(tree, "#"):  # an attribute, `#[..]` or `#![..]`
                j = i + 1 + is_punct(trees[i + 1] if i + 1 < len(trees) else None, "!")
                if j < len(trees) and isinstance(trees[j], Group):
                    out.extend(trees[i : j + 1])
                    i = j + 1
                    continue
            if isinstance(tree, Group) and tree.delim == "{":
                if kind in ("impl", "trait", "mod", ""):  # items (`extern "C" {}` too)
                    tree = self._regroup(tree, self.expand_inner(tree.trees, macros, depth))
                elif kind in ("struct", "enum", "union", "const", "static", "type"):
                    tree = self._regroup(tree, self._expand_all(tree.trees, macros, depth))
                if kind not in ("const", "static", "type"):  # a value ends with its `;`
                    at_start, kind = True, ""
            elif isinstance(tree, Group):
                tree = self._regroup(tree, self._expand_all(tree.trees, macros, depth))
                at_start = False
            else:
                at_start, kind = _item_state(tree, kind)
            out.append(tree)
            i += 1
        return out

    def _expand_all(
        self, trees: tuple[Tree, ...], macros: dict[str, Macro], depth: int
    ) -> list[Tree]:
        """``trees`` (a type or an expression) with every invocation of ``macros`` expanded."""
        out: list[Tree] = []
        i = 0
        while i < len(trees):
            tree = trees[i]
            found = _invocation(trees, i)
            if found is not None:
                end = _own_end(trees, found)
                out.extend(self._expand_at(found, trees[i:end], macros, depth))
                i = end
                continue
            if isinstance(tree, Group):
                tree = self._regroup(tree, self._expand_all(tree.trees, macros, depth))
            out.append(tree)
            i += 1
        return out

    def _expand_at(
        self,
        found: tuple[str, Group, int],
        written: tuple[Tree, ...] | list[Tree],
        macros: dict[str, Macro],
        depth: int,
    ) -> list[Tree]:
        """The expansion of the invocation ``found`` (``written`` as it is written), its own
        invocations expanded too; ``written`` when it is not one of ``macros`` or unmatched."""
        name, group, _end = found
        macro = macros.get(name)
        expanded = None if macro is None or depth <= 0 else self.apply(macro, group.trees)
        if expanded is None:
            return list(written)
        self.changed = True
        out = self._expand_all(tuple(expanded), macros, depth - 1)
        if out:  # rendered as if written where the invocation was
            first, last = written[0], group.close
            before = first if isinstance(first, Tok) else None
            if len(out) == 1:
                out[0] = _marked(out[0], before, last)
            else:
                out[0], out[-1] = _marked(out[0], before, None), _marked(out[-1], None, last)
        return out

    @staticmethod
    def _regroup(group: Group, trees: list[Tree]) -> Group:
        """``group`` holding ``trees`` (itself when they are its own)."""
        if len(trees) == len(group.trees) and all(map(operator.is_, trees, group.trees)):
            return group
        return Group(group.delim, tuple(trees), group.open, group.close)


def _invocation(trees: tuple[Tree, ...], i: int) -> tuple[str, Group, int] | None:
    """:func:`invocation_at`, answered at once for the trees that cannot begin one."""
    tree = trees[i]
    if type(tree) is not Tok or not (tree.kind == "ident" or tree.text == ":"):
        return None
    return invocation_at(trees, i)


def _own_end(trees: list[Tree] | tuple[Tree, ...], found: tuple[str, Group, int]) -> int:
    """Where the invocation ``found`` ends, without the ``;`` after it (which ends the item
    an invocation in type or expression position sits in, or the statement)."""
    end = found[2]
    return end - 1 if end and trees[end - 1] is not found[1] else end


def _splice(value: tuple[Tree, ...], var: Var, out: list[Tree]) -> None:
    """Append ``value`` to ``out``, its first and last leaves marked as standing where
    ``var`` was written (``before``: its ``$``, ``after``: its name)."""
    first = value[0]
    if len(value) > 1:
        out.append(_marked(first, var.dollar, None))
        out.extend(value[1:-1])
        out.append(_marked(value[-1], None, var.tok))
    elif isinstance(first, Tok):  # most values: one token
        out.append(_marked_leaf(first, var.dollar, var.tok))
    else:
        out.append(_marked(first, var.dollar, var.tok))


def _marked(tree: Tree, before: Tok | None, after: Tok | None) -> Tree:
    """``tree`` with its first leaf marked ``before`` and its last one ``after`` (when given)."""
    if isinstance(tree, Group):
        opener = tree.open if before is None else _marked_leaf(tree.open, before, None)
        close = tree.close if after is None else _marked_leaf(tree.close, None, after)
        return Group(tree.delim, tree.trees, opener, close)
    return _marked_leaf(tree, before, after)


def _marked_leaf(tok: Tok, before: Tok | None, after: Tok | None) -> Tok:
    """``tok`` with ``before`` and ``after`` replaced (when given)."""
    return Tok(
        tok.kind,
        tok.text,
        tok.src,
        tok.start,
        tok.end,
        tok.line,
        tok.before if before is None else before,
        tok.after if after is None else after,
    )


def invocation_at(trees: list[Tree] | tuple[Tree, ...], i: int) -> tuple[str, Group, int] | None:
    """``(name, arguments, end)`` of a ``path::name!(...)`` invocation at ``i``, if any."""
    seq = tuple(trees)
    if unit_at(seq, i) == "::":
        i += 2
    while is_ident(seq[i] if i < len(seq) else None) and unit_at(seq, i + 1) == "::":
        i += 3
    name, bang, group = (*seq[i : i + 3], None, None, None)[:3]
    if not (is_ident(name) and is_punct(bang, "!")):
        return None
    if not isinstance(group, Group):
        return None
    end = i + 3
    if group.delim != "{" and is_punct(seq[end] if end < len(seq) else None, ";"):
        end += 1
    return name.text, group, end


def _item_state(tree: Tree, kind: str) -> tuple[bool, str]:
    """After ``tree`` (not a brace group) in a run of items: whether the next item starts,
    and the kind of the item being read (its first word after any ``pub``, ``unsafe``...)."""
    if is_punct(tree, ";"):
        return True, ""
    if not kind and is_ident(tree):
        return False, "" if tree.text in ITEM_PREFIX else tree.text
    return False, kind
