"""``mod`` declarations of one source file, as the module-tree walk needs them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rustragd.syntax.parser import Node, parse

__all__ = ["ModDecl", "mod_declarations"]

_DECLARES_MOD = re.compile(rb"\bmod\s+(?:r#)?[A-Za-z_]\w*\s*;")
_PATH_ATTR = re.compile(r'#\[\s*path\s*=\s*"((?:[^"\\]|\\.)*)"\s*\]\Z', re.S)
_MACRO_DEPTH = 3
#: ``if #[cfg(pred)] {`` at the start of a ``cfg_if!`` arm.
_ARM = re.compile(r"if\s*#\s*\[\s*cfg\s*\((.*?)\)\s*\]\s*\{", re.S)


@dataclass(frozen=True, slots=True)
class ModDecl:
    """A ``mod name;`` declaration: its ``#[path]`` and the inline modules around it.

    ``inline`` lists the enclosing inline ``mod a { ... }`` blocks, outermost
    first, each as ``(name, path attribute or "")``.
    """

    name: str
    path_attr: str
    inline: tuple[tuple[str, str], ...]
    #: The ``cfg`` predicates that must hold for it to be compiled: its own ``#[cfg]``,
    #: its inline modules', and the arms of ``cfg_if!`` around it.
    cfg: tuple[str, ...] = ()


def mod_declarations(source: bytes) -> list[ModDecl]:
    """Every out-of-line ``mod`` declaration, including those in inline modules and macros."""
    if _DECLARES_MOD.search(source) is None:
        return []
    found: list[ModDecl] = []
    _scan(parse(source).root_node, (), found, 0)
    return found


def _scan(
    container: Node,
    inline: tuple[tuple[str, str], ...],
    found: list[ModDecl],
    depth: int,
    cfg: tuple[str, ...] = (),
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
            conditions = (*cfg, *_cfg_attrs(child))
            if body is None:
                found.append(ModDecl(name, attr, inline, conditions))
            else:
                _scan(body, (*inline, (name, attr)), found, depth, conditions)
        elif kind == "macro_invocation" and depth < _MACRO_DEPTH:
            body = child.named_children[-1] if child.named_children else None
            text = (body.text or b"")[1:-1] if body is not None else b""
            if body is not None and body.type == "token_tree" and _DECLARES_MOD.search(text):
                # `#[cfg(doc)] cfg_if! { .. mod c; .. }`: what it declares needs `doc`
                _scan_tokens(text, inline, found, depth + 1, (*cfg, *_cfg_attrs(child)))
        elif kind == "ERROR":
            _scan(child, inline, found, depth, cfg)


def _scan_tokens(
    text: bytes,
    inline: tuple[tuple[str, str], ...],
    found: list[ModDecl],
    depth: int,
    cfg: tuple[str, ...],
) -> None:
    """``mod`` declarations inside a macro body (``cfg_if! { ... { mod imp; } }``)."""
    root = parse(text).root_node
    _scan(root, inline, found, depth, cfg)
    for block, arm in _blocks(root, ()):
        _scan(block, inline, found, depth, (*cfg, *arm))


def _blocks(node: Node, earlier: tuple[str, ...]) -> list[tuple[Node, tuple[str, ...]]]:
    """Brace blocks and token trees under ``node`` that may hold items, each with the
    predicates of its ``cfg_if!`` arm (``if #[cfg(a)] {..} else if #[cfg(b)] {..}``: the
    second arm needs ``b`` and not ``a``); ``earlier``: the arms' conditions before."""
    out: list[tuple[Node, tuple[str, ...]]] = []
    skipped = tuple(f"#[cfg(not({c}))]" for c in earlier)
    for child in node.named_children:
        if child.type in ("block", "declaration_list"):
            own = _arm_condition(node) if node.type == "if_expression" else None
            out.append((child, (*skipped, f"#[cfg({own})]") if own else skipped))
        elif child.type == "if_expression":
            out.extend(_blocks(child, earlier))
        elif child.type == "else_clause":
            own = _arm_condition(node) if node.type == "if_expression" else None
            out.extend(_blocks(child, (*earlier, own) if own else earlier))
        elif child.type in ("expression_statement", "ERROR"):
            out.extend(_blocks(child, earlier))
    return out


def _arm_condition(if_node: Node) -> str | None:
    """The predicate of a ``cfg_if!`` arm: ``cfg(..)`` written between ``if`` and ``{``."""
    text = (if_node.text or b"").decode("utf-8", "replace")
    match = _ARM.match(text)
    return " ".join(match.group(1).split()) if match is not None else None


def _cfg_attrs(item: Node) -> tuple[str, ...]:
    """The ``#[cfg(..)]`` attributes written before an item, whitespace-normalised."""
    found: list[str] = []
    sibling = item.prev_named_sibling
    while sibling is not None and sibling.type in (
        "attribute_item",
        "line_comment",
        "block_comment",
    ):
        text = " ".join((sibling.text or b"").decode("utf-8", "replace").split())
        if sibling.type == "attribute_item" and text.startswith("#[cfg("):
            found.append(text)
        sibling = sibling.prev_named_sibling
    return tuple(found)


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
