"""A small, exact-enough ``macro_rules!`` expander for item-position invocations.

The indexer uses it to see the items that crate-local declarative macros
generate. Everything is plain Python: a token-tree lexer, a backtracking
matcher over the rules (first match wins), fragment parsers that are
pragmatic rather than full Rust parsers, and a transcriber. Bad input, an
unsupported feature or an exhausted budget gives ``None``, never an exception.

The layers are modules of this package, each importing only those below it:
:mod:`~rustragd.macros.lexer`, :mod:`~rustragd.macros.fragments`,
:mod:`~rustragd.macros.matcher` and :mod:`~rustragd.macros.transcriber`; this
module renders expansions as text and holds the API.
"""

from __future__ import annotations

from functools import lru_cache

from rustragd.macros.lexer import Group, MacroError, Tok, Tree, is_punct, tokenize
from rustragd.macros.matcher import Macro, load
from rustragd.macros.transcriber import Session, invocation_at

__all__ = ["expand", "expand_inner", "expand_nested", "expand_recursive", "forget_expansions"]


# ---------------------------------------------------------------- rendering and API


def _flatten(trees: list[Tree] | tuple[Tree, ...], out: list[Tok]) -> list[Tok]:
    """``out`` with the leaf tokens of ``trees`` appended, delimiters included."""
    for tree in trees:
        if isinstance(tree, Group):
            out.append(tree.open)
            _flatten(tree.trees, out)
            out.append(tree.close)
        else:
            out.append(tree)
    return out


def _render(trees: list[Tree]) -> str:
    """Source text: tokens adjacent in their source stay glued, their line breaks are kept.

    A substituted fragment is placed as if written where its metavariable was.
    """
    parts: list[str] = []
    lines: dict[int, int] = {}  # source -> line of its last token written
    prev: Tok | None = None
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


def forget_expansions() -> None:
    """Empty the caches of expansions and compiled macros (after a job whose macros the
    next one will not see: a library's)."""
    for cached in (expand, expand_nested, expand_inner, load):
        cached.cache_clear()


@lru_cache(maxsize=4096)
def expand(definition: str, invocation: str) -> str | None:
    """Expand one invocation of ``definition`` whose arguments are ``invocation``.

    Nested macro invocations in the result are left as written. None when no
    rule matches, the definition is malformed or unsupported, or a budget runs out.
    The answer depends on the two texts only, so it is cached (helper macros such
    as serde's ``forward_to_deserialize_any_method!`` are invoked alike hundreds of times).
    """
    macro = load(definition)
    if macro is None:
        return None
    try:
        out = Session().apply(macro, tuple(tokenize(invocation)))
        return None if out is None else _render(out)
    except (MacroError, RecursionError):
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
    macros = {name: m for name, d in definitions if (m := load(d)) is not None}
    try:
        trees = tuple(tokenize(text))
        if not _only_invocations(trees, macros):
            return None
        return _render(Session().expand_items(list(trees), macros, depth))
    except (MacroError, RecursionError):
        return None


@lru_cache(maxsize=4096)
def expand_inner(definitions: tuple[tuple[str, str], ...], text: str, depth: int) -> str | None:
    """``text``, an expansion, with the invocations of ``definitions`` in type and
    expression position in its items expanded in place, ``depth`` levels deep (see
    :meth:`~rustragd.macros.transcriber.Session.expand_inner`).

    ``impl<A> T for (ignore_ident!(a, A), ..)`` is written by itertools' tuple macros, as
    rustc expands it: ``impl<A> T for (A, ..)``. None when none was expanded (or the text
    cannot be read).
    """
    macros = {name: m for name, d in definitions if (m := load(d)) is not None}
    session = Session()
    try:
        trees = session.expand_inner(tuple(tokenize(text)), macros, depth)
    except (MacroError, RecursionError):
        return None
    return _render(trees) if session.changed else None


def _only_invocations(trees: tuple[Tree, ...], macros: dict[str, Macro]) -> bool:
    """Whether ``trees`` are invocations of ``macros`` (attributes before them allowed)."""
    i = 0
    while i < len(trees):
        if is_punct(trees[i], "#") and i + 1 < len(trees) and isinstance(trees[i + 1], Group):
            i += 2
            continue
        found = invocation_at(trees, i)
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
    macros = {n: m for n, d in definitions.items() if (m := load(d)) is not None}
    if name not in macros:
        return None
    session = Session()
    try:
        out = session.apply(macros[name], tuple(tokenize(invocation)))
        if out is None:
            return None
        return _render(session.expand_items(out, macros, depth))
    except (MacroError, RecursionError):
        return None
