"""What an item's own source text says: its signature, visibility, docs and attributes,
and an impl's names.

Texts are the source's with whitespace collapsed; docs come from ``///`` and ``/** */``
comments and ``#[doc = "..."]`` attributes (string escapes resolved); an impl's self
type written in any spacing (macro output spaces every token) is named as rustfmt
would print it.
"""

from __future__ import annotations

import re

from rustragd.syntax.facts import named_child
from rustragd.syntax.parser import Node

__all__ = [
    "collapse",
    "display_type",
    "impl_names",
    "node_text",
    "preamble_of",
    "signature_of",
    "visibility_of",
]

#: Bodies that end an item's signature: lists of items, fields or variants, and blocks.
_BODIES = frozenset({"declaration_list", "field_declaration_list", "enum_variant_list", "block"})
_TYPE_WRAPPERS = frozenset({"reference_type", "pointer_type", "generic_type"})
_PRIMITIVES = frozenset(
    {"bool", "char", "str", "f32", "f64"}
    | {f"{sign}{bits}" for sign in "iu" for bits in ("8", "16", "32", "64", "128", "size")}
)
_SPACE_INSIDE = re.compile(r"([(\[<&]) ")
_SPACE_BEFORE = re.compile(r"(?<=\w) (<)|(?<=\S) ([)\]>,;])")
_SEPARATOR = re.compile(r"([,;]) ?")
_LEADING_ZEROS = re.compile(r"(?<![\w.])0+(?=\d)")
_DOC_ATTR = re.compile(r"#\[\s*doc\s*=\s*(.*)\]\Z", re.S)
_RAW_STRING = re.compile(r'r(#*)"(.*)"\1\Z', re.S)
_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|x[0-9a-fA-F]{2}|\n\s*|.)")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'"}


def node_text(node: Node, src: bytes) -> str:
    """The source text of ``node``."""
    return src[node.start_byte : node.end_byte].decode("utf-8", "replace")


def collapse(text: str) -> str:
    """``text`` with each run of whitespace one space, none at the ends."""
    return " ".join(text.split())


def impl_names(node: Node, type_node: Node, src: bytes, module: str) -> tuple[str, str]:
    """An impl's name (its self type's last segment) and qualified name, in ``module``."""
    inner = type_node
    while inner.type in _TYPE_WRAPPERS:
        next_node = inner.child_by_field_name("type")
        if next_node is None:
            break
        inner = next_node
    written = node_text(inner, src)
    if inner.type == "scoped_type_identifier":
        last = inner.child_by_field_name("name")
        name = node_text(last, src) if last is not None else written
    elif inner.type == "type_identifier" or inner.type == "primitive_type":
        name = written
    else:
        name = written = display_type(node_text(type_node, src))
    self_type = written
    if inner.type in ("type_identifier", "scoped_type_identifier") and not (
        written in _PRIMITIVES or written in _type_parameters(node, src)
    ):
        crate = module.partition("::")[0]
        if written.startswith("crate::"):
            self_type = crate + written[len("crate") :]
        else:
            self_type = f"{module}::{written}"
    trait = node.child_by_field_name("trait")
    if trait is None:
        return name, self_type
    return name, f"<{self_type} as {collapse(node_text(trait, src))}>"


def display_type(text: str) -> str:
    """A type written any way (macro output spaces every token) as rustfmt would print it:
    ``( T0 , T1 , )`` -> ``(T0, T1)``, ``[T ; 01]`` -> ``[T; 1]``, ``(T0,)`` kept."""
    text = collapse(text)
    text = _SPACE_INSIDE.sub(r"\1", text)
    text = _SPACE_BEFORE.sub(lambda m: m.group(1) or m.group(2), text)
    text = _SEPARATOR.sub(r"\1 ", text).rstrip()
    text = _LEADING_ZEROS.sub("", text)
    text = text.replace(" )", ")").replace(" ]", "]").replace(" >", ">")
    if text.startswith("(") and text.endswith(",)") and text.count(",") > 1:
        text = text[:-2] + ")"  # a trailing comma only matters in a one-tuple
    return text


def _type_parameters(node: Node, src: bytes) -> set[str]:
    """Names of an impl's type parameters (``T`` in ``impl<T> Foo for T``)."""
    params = node.child_by_field_name("type_parameters")
    names: set[str] = set()
    if params is None:
        return names
    for param in params.named_children:
        name = param.child_by_field_name("name")
        if name is not None:
            names.add(node_text(name, src))
    return names


def signature_of(node: Node, name_node: Node, src: bytes, kind: str) -> str:
    """The item's header up to its body or value, whitespace collapsed."""
    end = node.end_byte
    if kind == "macro_rules":
        end = name_node.end_byte
    else:
        body = node.child_by_field_name("body")
        if body is not None and body.type in _BODIES:
            end = body.start_byte
        elif kind in ("const", "static"):
            value = node.child_by_field_name("value")
            if value is not None:
                end = value.start_byte
    return collapse(src[node.start_byte : end].decode("utf-8", "replace")).rstrip(";=, ")


def visibility_of(node: Node, src: bytes) -> str:
    """The item's visibility modifier (``pub(crate)``), or ""."""
    first = named_child(node, 0)
    if first is not None and first.type == "visibility_modifier":
        return collapse(node_text(first, src))
    return ""


def preamble_of(node: Node, src: bytes) -> tuple[list[str], list[str]]:
    """The outer doc comments and the other attributes written before an item."""
    docs: list[str] = []
    attrs: list[str] = []
    sibling = node.prev_named_sibling
    while sibling is not None:
        kind = sibling.type
        if kind == "attribute_item":
            text = collapse(node_text(sibling, src))
            doc = _DOC_ATTR.match(text)
            if doc is None:
                attrs.append(text)
            else:
                docs.append(_doc_string(doc.group(1)))
        elif kind == "line_comment":
            text = node_text(sibling, src)
            if text.startswith("///") and not text.startswith("////"):
                line = text[3:].rstrip("\r\n")
                docs.append(line[1:] if line.startswith(" ") else line)
        elif kind == "block_comment":
            text = node_text(sibling, src)
            if text.startswith("/**") and not text.startswith(("/***", "/**/")):
                docs.append(_block_doc(text[3:-2]))
        else:
            break
        sibling = sibling.prev_named_sibling
    docs.reverse()
    attrs.reverse()
    return docs, attrs


def _block_doc(body: str) -> str:
    """A ``/** */`` comment's text: leading ``*`` columns and blank edges removed."""
    lines = []
    for line in body.split("\n"):
        stripped = line.strip()
        if stripped.startswith("*"):
            stripped = stripped[1:]
            stripped = stripped[1:] if stripped.startswith(" ") else stripped
        lines.append(stripped)
    return "\n".join(lines).strip("\n")


def _doc_string(literal: str) -> str:
    """The text of a ``#[doc = ...]`` value; not a string literal (``include_str!``) gives ""."""
    raw = _RAW_STRING.match(literal)
    if raw is not None:
        return raw.group(2)
    if len(literal) >= 2 and literal[0] == '"' and literal[-1] == '"':
        return _ESCAPE.sub(_unescape, literal[1:-1])
    return ""


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    if code.startswith("u{"):
        return chr(int(code[2:-1], 16))
    if code.startswith("x") and len(code) == 3:
        return chr(int(code[1:], 16))
    if code.startswith("\n"):
        return ""
    return _ESCAPES.get(code, code)
