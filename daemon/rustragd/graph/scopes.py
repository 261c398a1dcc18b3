"""Rust scopes over a workspace's facts, and the name lookups that follow them.

Modules (file, inline ``mod``) and function bodies are scopes holding items,
``use`` imports and glob imports; :meth:`Resolver.resolve` resolves a path from
a scope the way rustc does as far as syntax allows: ``crate``/``self``/
``super``/``Self``, extern crate names of workspace members, generic
parameters (never resolved), imports before globs, then enclosing scopes, the
crate's extern names (:class:`Links`) and its prelude.

Library crates (dependencies, std) are loaded beside the workspace's files from their
interfaces (:mod:`rustragd.graph.library`): their names resolve like the workspace's,
but no edge is made of them. A resolver of libraries alone, linked, is the *base* that
the resolvers of every workspace over the same libraries start from: each copies the
base's tables (not what they hold), and copies a shared value before it changes it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from copy import copy
from dataclasses import dataclass, field
from typing import Any, TypeVar

from rustragd.project.cfg import CfgSet, cfg_active, host_cfg

__all__ = [
    "MACROS",
    "TYPES",
    "VALUES",
    "Def",
    "Links",
    "Resolver",
    "Scope",
    "Target",
    "inherent_first",
    "path_text",
]

TYPES, VALUES, MACROS = 0, 1, 2
K = TypeVar("K")
V = TypeVar("V", list[Any], dict[Any, Any])
_NAMESPACE = {
    "mod": TYPES,
    "struct": TYPES,
    "enum": TYPES,
    "union": TYPES,
    "trait": TYPES,
    "type_alias": TYPES,
    "function": VALUES,
    "const": VALUES,
    "static": VALUES,
    "macro_rules": MACROS,
}
_TYPE_KINDS = frozenset({"struct", "enum", "union", "trait", "type_alias"})
_CALLABLE = frozenset({"function", "method"})
_SCOPE_KINDS = frozenset({"function", "method"})
#: Items and modules climbed to tell whether an item is compiled (a guard against cycles).
_MAX_DEPTH = 64

#: A resolved name: an item id, or the key of a module without an item (a crate root).
Target = int | str


@dataclass(slots=True)
class Def:
    """One item as the resolver sees it."""

    id: int
    kind: str
    name: str
    parent: int
    qualified_name: str
    line: int
    path: str
    module: str
    bodiless: bool = False
    returns: list[str] | None = None
    cfg: str = ""


@dataclass(frozen=True, slots=True)
class Links:
    """What a crate sees beyond itself: its extern names (the name written -> the crate
    key of the dependency) and the module of its prelude ("" none)."""

    externs: dict[str, str]
    prelude: str = ""
    #: A library crate sees only its own externs; a workspace crate also every member.
    library: bool = False
    #: The crate's enabled features (what its ``cfg(feature = ..)`` sees).
    features: tuple[str, ...] = ()


@dataclass(slots=True)
class Scope:
    """A module or a function body: names defined and imported there."""

    key: str
    module: str
    crate: str
    lexical: str | None = None
    items: dict[tuple[int, str], list[int]] = field(default_factory=dict)
    imports: dict[str, list[list[str]]] = field(default_factory=dict)
    globs: list[list[str]] = field(default_factory=list)


class Resolver:
    """The workspace's definitions and scopes, and the lookups over them."""

    def __init__(
        self,
        files: list[tuple[str, dict[str, Any]]],
        library_files: list[tuple[str, dict[str, Any]]] | None = None,
        links: dict[str, Links] | None = None,
        base: Resolver | None = None,
        gates: dict[str, str] | None = None,
    ) -> None:
        """``files``: the workspace's (made into edges); ``library_files``: the interfaces of
        its libraries (looked up only); ``links``: each crate's :class:`Links` (a workspace
        crate without one sees every member by its name, as before dependencies);
        ``base``: a linked resolver of the libraries alone, instead of ``library_files``
        (shared: never changed here); ``gates``: the ``cfg`` of the ``mod`` declarations
        that reach each workspace file, by path (see
        :attr:`rustragd.project.crates.Placement.gate`)."""
        self.files = files
        self.library_files = library_files or []
        self.links = links or {}
        self.base = base
        self.gates = gates or {}
        self.defs: dict[int, Def] = {}
        self.children: dict[int, list[int]] = defaultdict(list)
        self.scopes: dict[str, Scope] = {}
        #: Crate keys of the workspace's files (every member sees every other).
        self.crates: set[str] = set()
        self.generics: dict[int, list[str]] = {}
        self.bounds: dict[int, dict[str, list[list[str]]]] = {}
        self.assoc: dict[int, dict[str, list[tuple[int, int]]]] = defaultdict(dict)
        self.external_assoc: dict[str, dict[str, list[tuple[int, int]]]] = defaultdict(dict)
        self.impl_self: dict[int, list[int]] = {}
        self.impl_trait: dict[int, list[int]] = {}
        #: Impls for a type parameter (``impl<T: Input> Input for &T``): that parameter.
        self.impl_generic: dict[int, str] = {}
        #: The traits a type derives (``#[derive(Clone)]``: its ``clone``), by type id.
        self.derived: dict[int, list[list[str]]] = {}
        #: ``impl Deref``s by self type, and each one's ``type Target`` item.
        self.deref_impls: dict[Target, list[int]] = {}
        self.deref_target: dict[int, tuple[int, list[Target]]] = {}
        self.methods_by_name: dict[str, list[int]] = defaultdict(list)
        self.module_items: dict[str, int] = {}
        self.macros: dict[str, list[int]] = defaultdict(list)
        self._memo: dict[tuple[str, str, int], list[Target]] = {}
        self._cfg_sets: dict[str, CfgSet] = {}
        self._busy: set[tuple[str, str, int]] = set()
        if base is not None:
            self._inherit(base)
        for path, facts in self.library_files:
            self._load(path, facts, library=True)
        #: Ids of the libraries' items (no edge is made of them).
        self.library_ids: frozenset[int] = (
            base.library_ids if base is not None else frozenset(self.defs)
        )
        for path, facts in files:
            self._load(path, facts)

    def _inherit(self, base: Resolver) -> None:
        """Start from copies of the base's tables (their values shared)."""
        self.defs = dict(base.defs)
        self.children = defaultdict(list, base.children)
        self.scopes = dict(base.scopes)
        self.generics = dict(base.generics)
        self.bounds = dict(base.bounds)
        self.assoc = defaultdict(dict, base.assoc)
        self.external_assoc = defaultdict(dict, base.external_assoc)
        self.impl_self = dict(base.impl_self)
        self.impl_trait = dict(base.impl_trait)
        self.impl_generic = dict(base.impl_generic)
        self.derived = dict(base.derived)
        self.deref_impls = dict(base.deref_impls)
        self.deref_target = dict(base.deref_target)
        self.methods_by_name = defaultdict(list, base.methods_by_name)
        self.module_items = dict(base.module_items)
        self.macros = defaultdict(list, base.macros)

    def _load(self, path: str, facts: dict[str, Any], library: bool = False) -> None:
        module = facts["mod"]
        crate = module.partition("::")[0]
        if not library:
            self.crates.add(crate)
        self._module_scope(module)
        for row in facts["items"]:
            ident, kind, name, parent, qualified, line, _vis, bodiless, returns, cfg = row
            found = Def(
                ident, kind, name, parent, qualified, line, path, module, bodiless, returns, cfg
            )
            self.defs[ident] = found
            if parent:
                self.children[parent].append(ident)
            if kind == "mod":
                self._module_scope(qualified)
                self.module_items.setdefault(qualified, ident)
            elif kind in _SCOPE_KINDS and not library:  # a library's bodies are not read
                self.scopes[str(ident)] = Scope(str(ident), "", crate)
        for ident, _line, traits in facts["derives"]:
            self.derived[ident] = traits
        for ident, names, bounds in facts["gen"]:
            self.generics[ident] = names
            if bounds:
                by_name = self.bounds[ident] = {}
                for name, segs in bounds:
                    by_name.setdefault(name, []).append(segs)

    def _module_scope(self, key: str) -> Scope:
        scope = self.scopes.get(key)
        if scope is None:
            scope = self.scopes[key] = Scope(key, key, key.partition("::")[0])
        return scope

    def link(self) -> None:
        """Place every item and ``use`` in its scope, once all files are loaded (those of
        the base are placed there)."""
        placed = self.base.defs if self.base is not None else {}
        for ident in self.defs:
            if ident not in placed:
                self._place(ident)
        for _path, facts in self.library_files:
            self._place_uses(facts)
        for _path, facts in self.files:
            self._place_uses(facts)

    def _place(self, ident: int) -> None:
        """Put one loaded item in its scope and the name indexes."""
        found = self.defs[ident]
        ns = _NAMESPACE.get(found.kind)
        scope = self.scopes.get(str(ident)) if found.kind in _SCOPE_KINDS else None
        if scope is not None:
            outer = self.scope_of(found.parent, found.module)
            scope.lexical, scope.module = outer.key, outer.module
        base = self.base
        if found.kind == "method":
            shared = base.methods_by_name if base is not None else None
            _owned(self.methods_by_name, shared, found.name, list).append(ident)
        if ns is None:
            return
        home = self.home_scope(found)
        if home is not None:
            home.items.setdefault((ns, found.name), []).append(ident)
        if found.kind == "macro_rules":
            _owned(self.macros, base.macros if base is not None else None, found.name, list).append(
                ident
            )

    def _place_uses(self, facts: dict[str, Any]) -> None:
        for owner, _line, _vis, segs, alias in facts["uses"]:
            if not segs:
                continue  # `use *;` (2015 edition: the crate root) is not followed
            scope = self.scope_of(owner, facts["mod"])
            if alias == "*":
                scope.globs.append(segs)
            elif alias != "_":
                scope.imports.setdefault(alias or segs[-1], []).append(segs)

    def reload(self, path: str, old: list[dict[str, Any]], new: list[dict[str, Any]]) -> None:
        """Replace one file's facts (``old``, as loaded and linked, by ``new``: the file's
        facts and its macro-made fragments), as if the workspace had been loaded again.

        Lists of candidates may come out in another order; ``module_items`` of the file's
        modules must be set again by the caller (the first in file order wins).
        """
        for facts in old:  # imports first: their scopes are found through the items
            for owner, _line, _vis, segs, alias in facts["uses"]:
                if not segs or alias == "_":
                    continue
                scope = self.scope_of(owner, facts["mod"])
                if alias == "*":
                    scope.globs.remove(segs)
                else:
                    _drop(scope.imports, alias or segs[-1], segs)
        rows = [row for facts in old for row in facts["items"]]
        for row in rows:
            if row[3]:
                _drop(self.children, row[3], row[0])
        idents = list(dict.fromkeys(row[0] for row in rows))
        for ident in idents:
            found = self.defs[ident]
            ns = _NAMESPACE.get(found.kind)
            home = self.home_scope(found) if ns is not None else None
            if home is not None:
                _drop(home.items, (ns, found.name), ident)
            if found.kind == "method":
                _drop(self.methods_by_name, found.name, ident)
            if found.kind == "macro_rules":
                _drop(self.macros, found.name, ident)
        for ident in idents:
            found = self.defs.pop(ident)
            self.generics.pop(ident, None)
            self.bounds.pop(ident, None)
            self.derived.pop(ident, None)
            self.children.pop(ident, None)
            if found.kind in _SCOPE_KINDS:
                del self.scopes[str(ident)]
            if found.kind == "mod" and self.module_items.get(found.qualified_name) == ident:
                del self.module_items[found.qualified_name]
        for facts in new:
            self._load(path, facts)
        for ident in dict.fromkeys(row[0] for facts in new for row in facts["items"]):
            self._place(ident)
        for facts in new:
            self._place_uses(facts)

    def forget(self, names: set[str], scopes: set[str]) -> None:
        """Drop remembered lookups of ``names``, and every lookup in ``scopes``."""
        if scopes:
            stale = [key for key in self._memo if key[1] in names or key[0] in scopes]
        else:
            stale = [key for key in self._memo if key[1] in names]
        for key in stale:
            del self._memo[key]

    def forget_lookups(self) -> None:
        """Drop every remembered lookup: a whole resolution leaves tens of thousands, of
        which an edit needs few (each is made again when looked up)."""
        self._memo.clear()

    def method_table(self, owner: Target) -> dict[str, list[tuple[int, int]]]:
        """The methods (with the trait they come through) of a local type by id, or of a
        foreign type (or of any type) by name (read only: see :meth:`add_method`)."""
        return self.external_assoc[owner] if isinstance(owner, str) else self.assoc[owner]

    def add_method(self, owner: Target, name: str, entry: tuple[int, int]) -> None:
        """Register method ``entry`` (the method, the trait it comes through or 0) as
        ``name`` of ``owner`` (see :meth:`method_table`)."""
        base = self.base
        if isinstance(owner, str):
            tables = base.external_assoc if base is not None else None
            table = _owned(self.external_assoc, tables, owner, dict)
            shared = tables.get(owner) if tables is not None else None
        else:
            by_id = base.assoc if base is not None else None
            table = _owned(self.assoc, by_id, owner, dict)
            shared = by_id.get(owner) if by_id is not None else None
        _owned(table, shared, name, list).append(entry)

    def add_deref(self, owner: Target, impl: int) -> None:
        """Remember ``impl Deref`` ``impl`` for its self type ``owner``."""
        shared = self.base.deref_impls if self.base is not None else None
        _owned(self.deref_impls, shared, owner, list).append(impl)

    def home_scope(self, found: Def) -> Scope | None:
        """The scope an item's name is defined in (None: an associated item, or a crate's
        root module, whose name is not defined inside it: `thread::scope` in the test crate
        `tests/thread.rs` is the imported `thread`'s)."""
        if not found.parent:
            if found.kind == "mod" and found.qualified_name == found.module:
                return None
            return self.scopes[found.module]
        parent = self.defs.get(found.parent)
        if parent is None:
            return self.scopes[found.module]
        if parent.kind == "mod":
            return self.scopes[parent.qualified_name]
        if parent.kind in _SCOPE_KINDS:
            return self.scopes[str(parent.id)]
        return None

    def scope_of(self, owner: int, module: str) -> Scope:
        """The scope references made inside item ``owner`` are resolved in."""
        while owner:
            found = self.defs.get(owner)
            if found is None:
                break
            if found.kind == "mod":
                return self.scopes[found.qualified_name]
            if found.kind in _SCOPE_KINDS and str(owner) in self.scopes:
                return self.scopes[str(owner)]
            owner = found.parent
        return self.scopes[module]

    def generic(self, owner: int, name: str) -> bool:
        """Whether ``name`` is a generic parameter in scope at ``owner``."""
        return self.bounds_of(owner, name) is not None

    def bounds_of(self, owner: int, name: str) -> list[list[str]] | None:
        """The trait paths bounding the generic parameter ``name`` in scope at ``owner``
        (None when ``name`` is not one there): where it is declared, and in the ``where``
        clauses of the items inside that one (``where L: Default`` on a method of
        ``impl<L> Either<L>``)."""
        inner: list[list[str]] = []
        while owner:
            if name in self.generics.get(owner, ()):
                return self.bounds.get(owner, {}).get(name, []) + inner
            inner.extend(self.bounds.get(owner, {}).get(name, ()))
            found = self.defs.get(owner)
            if found is None or found.kind == "mod":
                return None
            owner = found.parent
        return None

    def enclosing(self, owner: int, kinds: frozenset[str]) -> Def | None:
        """The nearest item of one of ``kinds`` at or above ``owner``."""
        while owner:
            found = self.defs.get(owner)
            if found is None or found.kind == "mod":
                return None
            if found.kind in kinds:
                return found
            owner = found.parent
        return None

    # -- lookups -----------------------------------------------------------

    def lookup(self, scope: Scope, name: str, ns: int, lexical: bool = True) -> list[Target]:
        """Candidates for ``name`` in ``scope`` (items, imports, globs, then outer scopes)."""
        key = (scope.key, name, ns + 3 * lexical)
        cached = self._memo.get(key)
        if cached is not None:
            return cached
        if key in self._busy:
            return []
        self._busy.add(key)
        found: list[Target] = self._defined(scope, scope.items.get((ns, name), []))
        if not found:
            for segs in scope.imports.get(name, ()):
                found.extend(self.resolve_use(scope, segs, ns))
        if not found:
            for segs in scope.globs:
                for module in self.resolve_use(scope, segs, TYPES):
                    found.extend(self.member(module, name, ns))
        if not found and lexical and scope.lexical is not None:
            found = self.lookup(self.scopes[scope.lexical], name, ns)
        if not found and lexical and scope.lexical is None:
            found = self._beyond(scope.crate, name, ns)
        self._busy.discard(key)
        found = list(dict.fromkeys(found))
        self._memo[key] = found
        return found

    def _beyond(self, crate: str, name: str, ns: int) -> list[Target]:
        """``name`` from outside a crate's modules: an extern crate, else its prelude."""
        if ns == TYPES:
            extern = self.extern_crate(crate, name)
            if extern is not None:
                return [extern]
        links = self.links_of(crate)
        if links is not None and links.prelude:
            return self.member(links.prelude, name, ns)
        return []

    def links_of(self, crate: str) -> Links | None:
        """What ``crate`` sees beyond itself: its own :class:`Links`, else (a test, example
        or bench crate of the workspace) the workspace's default ones under ``""``."""
        return self.links.get(crate) or self.links.get("")

    def extern_crate(self, crate: str, name: str) -> str | None:
        """The crate key ``name`` names as an extern crate in ``crate``, if any."""
        links = self.links_of(crate)
        if links is not None:
            found = links.externs.get(name)
            if found is not None or links.library:
                return found
        return name if name in self.crates else None

    def _defined(self, scope: Scope, items: list[int]) -> list[Target]:
        """Of the items of one name in ``scope``, those compiled; none when none is but
        the scope is (``mod imp;`` under ``cfg(not(feature = "std"))`` gives way to
        ``use std::io as imp;``); all of them inside code compiled out."""
        if not items or not self.links:
            return list(items)
        active: list[Target] = [i for i in items if self.compiled(i)]
        if active:
            return active
        body = scope.key.removeprefix("-").isdigit()  # a body's scope: its item's id
        holder = int(scope.key) if body else self.module_items.get(scope.key, 0)
        return [] if not holder or self.compiled(holder) else list(items)

    def resolve_use(self, scope: Scope, segs: list[str], ns: int) -> list[Target]:
        """Where a ``use`` path leads (2018 paths, with a crate-relative fallback for 2015)."""
        found = self.resolve(scope, segs, ns, 0)
        if not found and segs[0] not in ("crate", "self", "super", "::"):
            found = self.resolve(self._module_scope(scope.crate), segs, ns, 0, lexical=False)
        return found

    def resolve(
        self, scope: Scope, segs: list[str], ns: int, owner: int, lexical: bool = True
    ) -> list[Target]:
        """Candidates for the path ``segs`` used at ``owner`` in ``scope``."""
        found = self._resolve(scope, segs, ns, owner, lexical)
        return self.same_cfg(owner, found) if len(found) > 1 else found

    def same_cfg(self, owner: int, candidates: list[Target]) -> list[Target]:
        """Of one path's candidates, those compiled under ``owner``'s own ``cfg``, if any,
        else those the build compiles (:meth:`compiled`), if any.

        Two items of one name in one scope must be ``cfg`` alternatives (rustc
        rejects the pair otherwise), so a reference under the same condition
        as one of them means that one, and otherwise the one compiled.
        """
        wanted = self.cfg_at(owner)
        if wanted:
            kept: list[Target] = [
                t for t in candidates if isinstance(t, int) and self.cfg_at(t) == wanted
            ]
            if kept:
                return kept
        active = [t for t in candidates if not isinstance(t, int) or self.compiled(t)]
        return active or candidates

    def compiled(self, ident: int) -> bool:
        """Whether an item's ``cfg`` holds for its crate's build (the host, the crate's
        features); a crate without :class:`Links` compiles everything."""
        crate = self.defs[ident].module.partition("::")[0]
        active = self._cfg_sets.get(crate)
        if active is None:
            links = self.links_of(crate)
            if links is None:
                return True
            active = self._cfg_sets[crate] = host_cfg(links.features)
        owner, seen = ident, 0
        while owner and seen < _MAX_DEPTH:  # the item, what holds it, its modules' `mod`s
            found = self.defs.get(owner)
            if found is None:
                return True
            if found.cfg and not cfg_active(found.cfg, active):
                return False
            gate = self.gates.get(found.path) if not found.parent else None
            if gate:  # the `mod` declarations that reach its file, whichever is first
                return cfg_active(gate, active)
            owner = found.parent or self.module_items.get(found.module, 0)
            if owner == ident:
                return True
            seen += 1
        return True

    def cfg_at(self, owner: int) -> str:
        """The ``cfg`` of ``owner`` or of its nearest enclosing item that has one."""
        while owner:
            found = self.defs.get(owner)
            if found is None or found.kind == "mod":
                return ""
            if found.cfg:
                return found.cfg
            owner = found.parent
        return ""

    def _resolve(
        self, scope: Scope, segs: list[str], ns: int, owner: int, lexical: bool
    ) -> list[Target]:
        first, rest = segs[0], segs[1:]
        current: list[Target]
        if first == "::":
            extern = self.extern_crate(scope.crate, rest[0]) if rest else None
            if extern is None:
                return []
            current, rest = [extern], rest[1:]
        elif first == "crate":
            current = [scope.crate]
        elif first in ("self", "super"):
            module = _parent(scope.module) if first == "super" else scope.module
            while rest[:1] == ["super"]:
                module, rest = _parent(module), rest[1:]
            current = [self.module_items.get(module, module)]
        elif first == "Self":
            current = list(self.self_types(owner))
        elif owner and self.generic(owner, first):
            return []
        else:
            current = self.lookup(scope, first, TYPES if rest else ns, lexical)
        for index, seg in enumerate(rest):
            space = ns if index == len(rest) - 1 else TYPES
            current = [found for target in current for found in self.member(target, seg, space)]
            if not current:
                return []
        return current

    def member(self, target: Target, name: str, ns: int) -> list[Target]:
        """``target::name``: a module's item, an enum's variant, a type's associated item."""
        if isinstance(target, str):
            scope = self.scopes.get(target)
            return self.lookup(scope, name, ns, lexical=False) if scope is not None else []
        found = self.defs.get(target)
        if found is None:
            return []
        if found.kind == "mod":
            return self.member(found.qualified_name, name, ns)
        if found.kind == "enum" and ns != MACROS:
            variants = [c for c in self.children[target] if self.defs[c].name == name]
            if variants:
                return list(variants)
        if found.kind == "trait":
            return [c for c in self.children[target] if self.defs[c].name == name]
        if found.kind in _TYPE_KINDS:
            return inherent_first(self.assoc[target].get(name, ()))
        return []

    def self_types(self, owner: int) -> list[Target]:
        """What ``Self`` means at ``owner``: the impl's self type(s) or the trait."""
        around = self.enclosing(owner, frozenset({"impl", "trait", "struct", "enum", "union"}))
        if around is None:
            return []
        if around.kind == "impl":
            return list(self.impl_self.get(around.id, ()))
        return [around.id]

    def qualified(self, target: Target) -> str:
        """The qualified name of a resolved target."""
        return target if isinstance(target, str) else self.defs[target].qualified_name

    def written(self, scope: Scope, segs: list[str]) -> str:
        """An unresolved path, its first segment expanded through a ``use`` if one names it."""
        probe: Scope | None = scope
        while probe is not None:
            imported = probe.imports.get(segs[0])
            if imported:
                return path_text([*imported[0], *segs[1:]])
            probe = self.scopes[probe.lexical] if probe.lexical is not None else None
        return path_text(segs)


def path_text(segs: list[str]) -> str:
    """A path as written: ``["::", "std", "fmt"]`` is ``::std::fmt``."""
    if segs and segs[0] == "::":
        return "::" + "::".join(segs[1:])
    return "::".join(segs)


def _owned(table: dict[K, V], shared: dict[K, V] | None, key: K, make: Callable[[], V]) -> V:
    """``table[key]`` made if absent, and copied first if it is ``shared``'s (a base's
    value, which is never changed)."""
    value = table.get(key)
    if value is None:
        value = table[key] = make()
    elif shared is not None and value is shared.get(key):
        value = table[key] = copy(value)
    return value


def _drop(table: dict[Any, list[Any]], key: Any, value: Any) -> None:
    """Remove one ``value`` from the list at ``key``, and the key once its list is empty."""
    values = table[key]
    values.remove(value)
    if not values:
        del table[key]


def _parent(module: str) -> str:
    return module.rpartition("::")[0] if "::" in module else module


def inherent_first(entries: Iterable[tuple[int, int]]) -> list[Target]:
    """Of a type's associated items of one name (``(item, trait or 0)``), those of its
    inherent impls when there are some (they come first in rustc's lookup: a trait impl's
    ``new`` does not make ``SmallVec::new`` ambiguous), else all."""
    found = list(entries)
    inherent: list[Target] = [item for item, via in found if not via]
    return inherent or [item for item, _ in found]
