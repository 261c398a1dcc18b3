"""Token trees of ``macro_rules!`` definitions and invocations, and the token helpers
the other layers of the expander read them with.

Tokens and groups are made here (and, as substituted copies, by the transcriber);
:class:`_MacroError` is what every layer raises on bad or unsupported input.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import TypeAlias, TypeGuard

__all__ = [
    "_OPS",
    "_OPS2",
    "_Env",
    "_Group",
    "_MacroError",
    "_Tok",
    "_Tree",
    "_glued",
    "_ident",
    "_punct",
    "_tokenize",
    "_unit",
]


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
