"""Token trees of ``macro_rules!`` definitions and invocations, and the token helpers
the other layers of the expander read them with.

Tokens and groups are made here (and, as substituted copies, by the transcriber);
:class:`MacroError` is what every layer raises on bad or unsupported input.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import TypeAlias, TypeGuard

__all__ = [
    "OPS",
    "OPS2",
    "Env",
    "Group",
    "MacroError",
    "Tok",
    "Tree",
    "glued_at",
    "is_ident",
    "is_punct",
    "tokenize",
    "unit_at",
]


class MacroError(Exception):
    """Malformed or unsupported input, or an exhausted budget."""


@dataclass(slots=True, eq=False)
class Tok:
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
    before: Tok | None = None
    after: Tok | None = None


@dataclass(slots=True, eq=False)
class Group:
    """A delimited token tree."""

    delim: str  # "(", "[" or "{"
    trees: tuple[Tree, ...]
    open: Tok
    close: Tok


Tree: TypeAlias = "Tok | Group"
# A fragment is a tuple of trees; a repetition a list with one binding per iteration.
_Binding: TypeAlias = "tuple[Tree, ...] | list[_Binding]"
Env: TypeAlias = "dict[str, _Binding]"

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


def tokenize(text: str) -> list[Tree]:
    """Token trees of ``text``; comments dropped, doc comments turned into ``#[doc]``."""
    src = next(_SOURCES)
    stack: list[tuple[Tok, list[Tree]]] = []  # open groups, with the trees before them
    trees: list[Tree] = []
    pos, line = 0, 1
    while pos < len(text):
        # The matches are contiguous (`bad` matches anything else); a block
        # comment, which a regex cannot skip (they nest), starts the scan again.
        for m in _LEX.finditer(text, pos):
            kind = m.lastgroup
            if kind == "ident" or kind == "punct" or kind == "lifetime":
                start, end = m.span()
                trees.append(Tok(kind, text[start:end], src, start, end, line))
            elif kind == "space":
                line += m.group().count("\n")
            elif kind == "open":
                start, end = m.span()
                stack.append((Tok("punct", text[start:end], src, start, end, line), trees))
                trees = []
            elif kind == "close":
                start, end = m.span()
                close = Tok("punct", text[start:end], src, start, end, line)
                if not stack or _CLOSE[close.text] != stack[-1][0].text:
                    raise MacroError("unbalanced delimiters")
                opener, outer = stack.pop()
                outer.append(Group(opener.text, tuple(trees), opener, close))
                trees = outer
            elif kind == "literal":
                start, end = m.span()
                trees.append(Tok(kind, text[start:end], src, start, end, line))
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
                raise MacroError(f"unexpected character {m.group()!r}")
            # "comment": dropped
        else:
            break  # all of the text was read
    if stack:
        raise MacroError("unclosed delimiter")
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
    raise MacroError("unterminated block comment")


def _doc_attr(doc: str, inner: bool, line: int) -> list[Tree]:
    """The ``#[doc = "..."]`` (or ``#![doc = ...]``) tokens of a doc comment."""

    def tok(kind: str, text: str) -> Tok:
        return Tok(kind, text, -1, 0, 0, line)

    quoted = '"' + doc.replace("\\", "\\\\").replace('"', '\\"') + '"'
    body = (tok("ident", "doc"), tok("punct", "="), tok("literal", quoted))
    attr: list[Tree] = [tok("punct", "#")]
    if inner:
        attr.append(tok("punct", "!"))
    attr.append(Group("[", body, tok("punct", "["), tok("punct", "]")))
    return attr


# ---------------------------------------------------------------- token helpers

_OPS3 = frozenset({"<<=", ">>=", "...", "..="})
OPS2 = frozenset(
    {"==", "!=", "<=", ">=", "&&", "||", "+=", "-=", "*=", "/=", "%=", "^=", "&=", "|="}
    | {"<<", ">>", "..", "::", "->", "=>"}
)
OPS = OPS2 | _OPS3
_UNITS = frozenset({"..=", "...", "..", "::", "->", "=>"})  # operators scanners see as one


def is_punct(tree: Tree | None, chars: str) -> TypeGuard[Tok]:
    """Whether ``tree`` is a one-character punct among ``chars``."""
    return isinstance(tree, Tok) and tree.kind == "punct" and tree.text in chars


def is_ident(tree: Tree | None, *texts: str) -> TypeGuard[Tok]:
    """Whether ``tree`` is an identifier (one of ``texts`` when given)."""
    return isinstance(tree, Tok) and tree.kind == "ident" and (not texts or tree.text in texts)


def glued_at(trees: tuple[Tree, ...] | list[Tree], i: int, ops: frozenset[str]) -> str:
    """The longest operator of ``ops`` written without spaces at ``i`` (else one char, or "")."""
    first = trees[i] if i < len(trees) else None
    if type(first) is not Tok or first.kind != "punct":
        return ""
    text, prev = first.text, first
    for nxt in trees[i + 1 : i + 3]:  # operators have up to 3 one-char puncts
        if not (type(nxt) is Tok and nxt.kind == "punct" and _adjacent(prev, nxt)):
            break
        text, prev = text + nxt.text, nxt
    if len(text) == 1:
        return text
    if len(text) == 3 and text in ops:
        return text
    return text[:2] if text[:2] in ops else text[0]


def _adjacent(a: Tok, b: Tok) -> bool:
    """Whether ``b`` directly follows ``a`` in the same source text."""
    return a.src >= 0 and a.src == b.src and a.end == b.start


def unit_at(trees: tuple[Tree, ...], i: int) -> str:
    """The scanner unit at ``i``: a multi-char operator of ``_UNITS``, one char, or ""."""
    return glued_at(trees, i, _UNITS)
