"""Structural answers over items and edges: the implementations of a trait, a type's methods.

Pure functions shared by the daemon's ``impls``/``methods`` ops and the benches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from rustragd.model import Edge, Item

__all__ = ["impls_of", "methods_of", "names"]


def _matches(item: Item, query: str, path: str) -> bool:
    """A query names an item by its name or qualified name; ``path`` ("" any) picks its file."""
    if path and item.path != path and not item.path.endswith("/" + path):
        return False
    return names(item.qualified_name, query)


def names(qualified_name: str, query: str) -> bool:
    """Whether ``query`` names the item ``qualified_name``: the name, the qualified name
    or a tail of it (``Buf``, ``bytes::Buf``, ``buf::Buf``)."""
    return qualified_name == query or qualified_name.endswith("::" + query)


def impls_of(
    trait_query: str,
    items: Iterable[Item],
    edges: Iterable[Edge],
    path: str = "",
    keep: Callable[[Item], bool] | None = None,
) -> list[dict[str, object]]:
    """Impls of the trait(s) named ``trait_query``: local traits and those of the
    libraries (dependencies, std) through ``implements`` edges, unresolved ones by the
    last segment of the path (only the impls ``keep`` says yes to, when given)."""
    by_id = {i.id: i for i in items}
    traits = {i.id for i in by_id.values() if i.kind == "trait" and _matches(i, trait_query, path)}
    last = trait_query.rpartition("::")[2]
    found: dict[int, Item] = {}
    for edge in edges:
        if edge.rel != "implements":
            continue
        local = edge.dst in traits
        library = edge.dst not in by_id and bool(edge.dst) and names(edge.target, trait_query)
        external = not edge.dst and edge.target.rpartition("::")[2] == last
        impl = by_id.get(edge.src)
        wanted = local or library or (external and not traits)
        if impl is not None and wanted and (keep is None or keep(impl)):
            found[impl.id] = impl
    return [
        {
            "type": i.name,
            "path": i.path,
            "start_line": i.start_line,
            "end_line": i.end_line,
            "id": i.id,
        }
        for i in sorted(found.values(), key=lambda i: (i.path, i.start_line))
    ]


def methods_of(
    type_query: str,
    items: Iterable[Item],
    edges: Iterable[Edge],
    path: str = "",
    heads: Callable[[set[str]], Mapping[str, int]] | None = None,
    keep: Callable[[Item], bool] | None = None,
) -> tuple[list[dict[str, object]], list[str]]:
    """Methods (inherent and through traits, ``via_trait`` "" when inherent) and traits
    of the type(s) named ``type_query``; with ``keep``, only the types, methods and
    impls it says yes to count.

    The traits are those of the impls rustdoc lists on the type's page: its derives,
    its impls, and impls whose trait takes it as a direct type argument (``impl
    From<T> for U`` is on ``T``'s page too). ``heads`` maps type fingerprints (the
    ``extra`` of ``uses_type`` edges) to the item their type expression is headed by;
    without it only the type's own impls and derives count.
    """
    by_id = {i.id: i for i in items}
    types = {
        i.id
        for i in by_id.values()
        if i.kind in ("struct", "enum", "union")
        and _matches(i, type_query, path)
        and (keep is None or keep(i))
    }
    methods: dict[int, dict[str, object]] = {}
    traits: dict[str, None] = {}
    impls: set[int] = set()
    mentions: dict[str, set[int]] = {}  # fingerprint -> impls whose header uses it
    edge_list = list(edges)
    for edge in edge_list:
        if edge.rel == "has_method" and edge.src in types:
            method = by_id.get(edge.dst)
            via = by_id.get(edge.via)
            if method is not None and (keep is None or keep(method)):
                methods[method.id] = {
                    "id": method.id,
                    "name": method.name,
                    "qualified_name": method.qualified_name,
                    "path": method.path,
                    "start_line": method.start_line,
                    "end_line": method.end_line,
                    "via_trait": _trait_name(via) if via is not None else "",
                }
        elif edge.rel == "impl_for" and edge.dst in types and edge.confidence == "exact":
            impl = by_id.get(edge.src)
            if keep is None or impl is None or keep(impl):
                impls.add(edge.src)
        elif edge.rel == "derives" and edge.src in types:
            traits[edge.target.rpartition("::")[2]] = None
        elif edge.rel == "uses_type" and edge.dst in types and edge.confidence == "exact":
            impl = by_id.get(edge.src)
            if impl is not None and impl.kind == "impl" and (keep is None or keep(impl)):
                mentions.setdefault(edge.extra, set()).add(impl.id)
    if heads is not None and mentions:
        for fingerprint, head in heads(set(mentions)).items():
            if head in types:
                impls |= mentions[fingerprint]
    for edge in edge_list:
        if edge.rel == "implements" and edge.src in impls:
            traits[edge.target.rpartition("::")[2]] = None
    return list(methods.values()), list(traits)


def _trait_name(via: Item) -> str:
    """The trait a method comes through: a local trait, or an impl's ``<T as Trait>`` trait."""
    if via.kind != "impl":
        return via.name
    return via.qualified_name.rpartition(" as ")[2].rstrip(">").rpartition("::")[2] or "?"
