"""The text embedded for an item, as a few named recipes that can be measured.

Fields come most important first (kind and qualified name, signature, doc,
start of body), so the embedder's truncation at its token limit drops the
least useful part. Identifiers are split on case and ``_`` so the WordPiece
tokenizer sees words (``HashMap`` -> ``Hash Map``, ``is_match`` -> ``is match``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rustragd.model import Item

__all__ = ["DEFAULT_RECIPE", "RECIPES", "item_text", "split_identifier", "split_identifiers"]

#: Characters kept from the body per token of the limit (Rust code averages
#: about 3 characters per WordPiece token, so this over-provides slightly and
#: the embedder's truncation cuts the rest).
_CHARS_PER_TOKEN = 4

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Boundaries inside an identifier: lower->Upper, ACRONYM->Word (digits stay attached).
_CASE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_DOC_OR_ATTR = re.compile(r"^\s*(///|//!|#!?\[)")
_SPACES = re.compile(r"\s+")


def split_identifier(name: str) -> list[str]:
    """The words of one identifier: ``parseHTTPRequest_v2`` -> parse HTTP Request v2."""
    return [w for part in name.split("_") for w in _CASE.split(part) if w]


def split_identifiers(text: str) -> str:
    """``text`` with every identifier replaced by its space-separated words."""
    return _IDENT.sub(lambda m: " ".join(split_identifier(m.group())) or m.group(), text)


def _keep(text: str) -> str:
    return text


def _body(item: Item) -> str:
    """The snippet without doc comments, attributes and a leading copy of the signature."""
    lines = [ln for ln in item.snippet.splitlines() if not _DOC_OR_ATTR.match(ln)]
    body = _SPACES.sub(" ", " ".join(lines)).strip()
    sig = _SPACES.sub(" ", item.signature).strip()
    if sig and body.startswith(sig):
        body = body[len(sig) :].strip()
    return body


def _compose(
    item: Item, max_tokens: int, *, doc: bool, body: bool, words: Callable[[str], str]
) -> str:
    name = item.qualified_name or item.name
    parts = [f"{item.kind.replace('_', ' ')} {words(name.replace('::', ' '))}"]
    if item.signature:
        parts.append(words(_SPACES.sub(" ", item.signature).strip()))
    if doc and item.doc:
        parts.append(_SPACES.sub(" ", item.doc).strip())
    if body:
        parts.append(words(_body(item)))
    text = "\n".join(p for p in parts if p)
    return text[: max_tokens * _CHARS_PER_TOKEN]


def _header(item: Item, max_tokens: int) -> str:
    return _compose(item, max_tokens, doc=False, body=False, words=split_identifiers)


def _header_doc(item: Item, max_tokens: int) -> str:
    return _compose(item, max_tokens, doc=True, body=False, words=split_identifiers)


def _full(item: Item, max_tokens: int) -> str:
    return _compose(item, max_tokens, doc=True, body=True, words=split_identifiers)


def _full_raw(item: Item, max_tokens: int) -> str:
    return _compose(item, max_tokens, doc=True, body=True, words=_keep)


#: Recipe name -> builder. ``header_doc`` is the default: on the practice kit's
#: queries it retrieves better than the recipes with the body, and its shorter texts
#: embed faster (``bench/practice_retrieval.py --recipe`` prints both).
#: ``full_raw`` is ``full`` without identifier splitting.
RECIPES: dict[str, Callable[[Item, int], str]] = {
    "header": _header,
    "header_doc": _header_doc,
    "full": _full,
    "full_raw": _full_raw,
}

DEFAULT_RECIPE = "header_doc"


def item_text(item: Item, recipe: str = DEFAULT_RECIPE, max_tokens: int = 256) -> str:
    """The text to embed for ``item`` with the named recipe, cut near ``max_tokens``."""
    try:
        build = RECIPES[recipe]
    except KeyError:
        raise ValueError(
            f"unknown embedding recipe {recipe!r}; known: {', '.join(RECIPES)}"
        ) from None
    return build(item, max_tokens)
