"""``mod`` declarations of one source file, as the module-tree walk needs them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rustragd.syntax.parser import Node, parse

__all__ = ["ModDecl", "mod_declarations"]

_DECLARES_MOD = re.compile(rb"\bmod\s+(?:r#)?[A-Za-z_]\w*\s*;")
_PATH_ATTR = re.compile(r'#\[\s*path\s*=\s*"((?:[^"\\]|\\.)*)"\s*\]\Z', re.S)
_MACRO_DEPTH = 3


@dataclass(frozen=True, slots=True)
class ModDecl:
    """A ``mod name;`` declaration: its ``#[path]`` and the inline modules around it.

    ``inline`` lists the enclosing inline ``mod a { ... }`` blocks, outermost
    first, each as ``(name, path attribute or "")``.
    """

    name: str
    path_attr: str
    inline: tuple[tuple[str, str], ...]


def mod_declarations(source: bytes) -> list[ModDecl]:
    """Every out-of-line ``mod`` declaration, including those in inline modules and macros."""
    if _DECLARES_MOD.search(source) is None:
        return []
    found: list[ModDecl] = []
    _scan(parse(source).root_node, (), found, 0)
    return found


def _scan(
    container: Node, inline: tuple[tuple[str, str], ...], found: list[ModDecl], depth: int
) -> None:
    for child in container.named_children:
        kind = child.type
        if kind == "mod_item":
            name_node = child.child_by_field_name("name")
            if name_node is None:
                continue
            name = _ident(name_node.text or b"")
            body = child.child_by_field_name("body")
            attr = _path_attr(child)
            if body is None:
                found.append(ModDecl(name, attr, inline))
            else:
                _scan(body, (*inline, (name, attr)), found, depth)
        elif kind == "macro_invocation" and depth < _MACRO_DEPTH:
            body = child.named_children[-1] if child.named_children else None
            text = (body.text or b"")[1:-1] if body is not None else b""
            if body is not None and body.type == "token_tree" and _DECLARES_MOD.search(text):
                _scan_tokens(text, inline, found, depth + 1)
        elif kind == "ERROR":
            _scan(child, inline, found, depth)


def _scan_tokens(
    text: bytes, inline: tuple[tuple[str, str], ...], found: list[ModDecl], depth: int
) -> None:
    """``mod`` declarations inside a macro body (``cfg_if! { ... { mod imp; } }``)."""
    root = parse(text).root_node
    _scan(root, inline, found, depth)
    for block in _blocks(root):
        _scan(block, inline, found, depth)


def _blocks(node: Node) -> list[Node]:
    """Brace blocks and token trees under ``node`` that may hold items (cfg_if arms)."""
    out: list[Node] = []
    for child in node.named_children:
        if child.type in ("block", "declaration_list"):
            out.append(child)
        elif child.type in ("expression_statement", "if_expression", "else_clause", "ERROR"):
            out.extend(_blocks(child))
    return out


def _path_attr(item: Node) -> str:
    sibling = item.prev_named_sibling
    while sibling is not None and sibling.type in (
        "attribute_item",
        "line_comment",
        "block_comment",
    ):
        if sibling.type == "attribute_item":
            match = _PATH_ATTR.match(
                " ".join((sibling.text or b"").decode("utf-8", "replace").split())
            )
            if match is not None:
                return match.group(1)
        sibling = sibling.prev_named_sibling
    return ""


def _ident(raw: bytes) -> str:
    name = raw.decode("utf-8", "replace")
    return name[2:] if name.startswith("r#") else name
