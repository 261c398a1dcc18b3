"""The code graph's edges and types, resolved over a whole workspace's facts.

:func:`resolve_workspace` takes every file's facts blob (:mod:`rustragd.syntax.facts`)
and turns impl headers, derives, ``use`` trees, calls, type references and
macro invocations into :class:`~rustragd.model.Edge` rows through the scopes of
:mod:`rustragd.graph.scopes`. A name is never resolved by guessing: several
candidates give one ``ambiguous`` edge each, none an ``unresolved`` edge.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from weakref import WeakValueDictionary

from rustragd.graph.fingerprints import TypeTable
from rustragd.graph.library import LibraryBlobs
from rustragd.graph.scopes import (
    MACROS,
    TYPES,
    VALUES,
    Def,
    Resolver,
    Scope,
    Target,
    inherent_first,
    path_text,
)
from rustragd.macros.expansion import Expansions, expand_files
from rustragd.model import Edge, Resolution
from rustragd.syntax.facts import CONST_POINTER, MUT_POINTER, SLICE, TUPLE, unpack_facts

__all__ = [
    "SECTIONS",
    "EdgeBuilder",
    "Registered",
    "library_base",
    "resolve_expanded",
    "resolve_workspace",
    "workspace_resolver",
]

_TYPES = frozenset({"struct", "enum", "union", "type_alias"})
#: What a path call can call: ``f(..)``, ``T::f(..)`` and the tuple variants ``Some(..)``.
_CALLABLE = frozenset({"function", "method", "variant"})
_CONTAINERS = frozenset({"impl", "trait"})
_TRAITS = frozenset({"trait"})
#: Marker traits the built-in derives implement too (as rustc expands them):
#: ``derive(PartialEq)`` adds ``StructuralPartialEq``, ``derive(Clone, Copy)`` ``TrivialClone``.
_IMPLIED = (
    (frozenset({"PartialEq"}), "StructuralPartialEq"),
    (frozenset({"Clone", "Copy"}), "TrivialClone"),
)
_MARKER = ["core", "marker"]
#: Where methods of impls for a type parameter (``impl<T: Display> Ext for T``) are kept
#: in :attr:`Resolver.external_assoc`, beside the foreign types' own.
_ANY_TYPE = "<T>"
#: Methods of the impls for a bare type parameter (``impl<T: Debug> Show for T``): every
#: type's, unlike those for ``&T`` or ``Box<T>`` also under :data:`_ANY_TYPE`.
_BLANKET = "T"
#: The facts sections made into edges row by row (see :meth:`EdgeBuilder.references`).
SECTIONS = ("derives", "uses", "calls", "types", "macros")
#: More candidates than this make a reference ``unresolved`` (the name only): a call
#: like ``x.to_native()`` in a crate with 300 such methods tells nothing by listing them,
#: and listing them made 9.7M edges of 1,318 lines of the ``rend`` crate.
MAX_CANDIDATES = 16
#: One method an impl registered (see :meth:`Resolver.method_table`): the owner (a local
#: type's id, or a foreign type's name), the method's name, and the entry (method, via).
Registered = tuple[Target, str, tuple[int, int]]
_PRIMITIVE = frozenset(
    {"bool", "char", "str", "f32", "f64", "Self"}
    | {f"{sign}{bits}" for sign in "iu" for bits in ("8", "16", "32", "64", "128", "size")}
)
#: Receiver types named, not defined: primitives and slices (their impls are in core).
_PSEUDO_OWNERS = (_PRIMITIVE - {"Self"}) | {SLICE, CONST_POINTER, MUT_POINTER}
#: Derefs followed from a receiver's type in a method lookup (``&Box<Vec<T>>``: two).
_DEREF_DEPTH = 3
#: Levels of supertraits a trait's method is looked up in.
_SUPERTRAIT_DEPTH = 4
#: Library bases by the libraries' blobs, while a workspace resolver uses one.
_BASES: WeakValueDictionary[tuple[bytes, ...], Resolver] = WeakValueDictionary()


def resolve_workspace(
    files: list[tuple[str, bytes]],
    libraries: LibraryBlobs | None = None,
    gates: dict[str, str] | None = None,
) -> Resolution:
    """Resolve every file's facts of one workspace into edges, types and macro-made items
    (names of ``libraries`` resolving into them; ``gates``: see :class:`Resolver`)."""
    return resolve_expanded(files, libraries, gates)[0]


def resolve_expanded(
    files: list[tuple[str, bytes]],
    libraries: LibraryBlobs | None = None,
    gates: dict[str, str] | None = None,
) -> tuple[Resolution, Expansions]:
    """:func:`resolve_workspace`, and the expansions it made on the way (per file)."""
    loaded = [(path, unpack_facts(blob)) for path, blob in files]
    expansions = expand_files(loaded)
    made = [item for items, _ in expansions.values() for item in items]
    extra = [(path, f) for path, (_, fragments) in expansions.items() for f in fragments]
    graph = EdgeBuilder(workspace_resolver(loaded + extra, libraries, gates))
    graph.build()
    resolution = Resolution(edges=graph.edges, types=graph.types.records(), items=made)
    return resolution, expansions


def workspace_resolver(
    files: list[tuple[str, dict[str, Any]]],
    libraries: LibraryBlobs | None,
    gates: dict[str, str] | None = None,
) -> Resolver:
    """The scopes of a workspace's ``files`` over those of its ``libraries``."""
    if libraries is None:
        return Resolver(files, gates=gates)
    base = library_base(libraries)
    return Resolver(files, links={**base.links, **libraries.links}, base=base, gates=gates)


def library_base(libraries: LibraryBlobs) -> Resolver:
    """The resolver of ``libraries`` alone, linked and their impls' methods registered:
    the base of every workspace resolver over the same libraries (made once while one
    of them lives; a second workspace on the same dependencies costs its tables only)."""
    base = _BASES.get(libraries.blobs)
    if base is None:
        unpacked = libraries.unpack()
        links = {library.crate: library.links for library in unpacked.crates}
        base = Resolver([], unpacked.files(), links)
        EdgeBuilder(base).register_libraries()
        base.library_files = []  # linked: their facts are not read again
        base.forget_lookups()
        _BASES[libraries.blobs] = base
    return base


class EdgeBuilder:
    """Builds the edges of one workspace (and, for :mod:`~rustragd.graph.incremental`, of one
    file)."""

    def __init__(self, resolver: Resolver) -> None:
        self.r = resolver
        self.edges: list[Edge] = []
        self.types = TypeTable()
        self.registered: dict[int, list[Registered]] = {}
        """Per impl, the methods it put in the resolver's ``assoc``/``external_assoc``."""

    def build(self, marks: list[list[int]] | None = None) -> None:
        """Every relation, impls first (``Self`` and methods of types depend on them).

        ``marks`` receives, per file of the resolver, where its reference edges
        start and where each row's end (see :meth:`references`).
        """
        r = self.r
        if r.base is None:
            self.register_libraries()
        else:
            r.link()
        for path, facts in r.files:
            for row in facts["impls"]:
                self._impl(path, facts["mod"], row)
        self._has_method()
        self._contains()
        for path, facts in r.files:
            found = [len(self.edges)] if marks is not None else None
            self.references(path, facts, found)
            if marks is not None and found is not None:
                marks.append(found)

    def register_libraries(self) -> None:
        """Link the resolver and register the methods of its libraries' impls (no edge is
        made of them)."""
        r = self.r
        r.link()
        for path, facts in r.library_files:
            for row in facts["impls"]:
                self._impl(path, facts["mod"], row, emit=False)

    def impl_edges(self, path: str, facts: dict[str, Any]) -> None:
        """The ``impl_for`` and ``implements`` edges of one file, methods left registered."""
        for row in facts["impls"]:
            self._impl(path, facts["mod"], row, register=False)

    def references(self, path: str, facts: dict[str, Any], marks: list[int] | None = None) -> None:
        """The edges of one file's rows of :data:`SECTIONS`, in that order; ``marks``
        receives the number of edges after each row."""
        module = facts["mod"]
        for section in SECTIONS:
            for row in facts[section]:
                self.row(path, module, section, row)
                if marks is not None:
                    marks.append(len(self.edges))

    def row(self, path: str, module: str, section: str, row: list[Any]) -> None:
        """The edges of one row of a :data:`SECTIONS` section."""
        if section == "calls":
            self._call(path, module, row)
        elif section == "types":
            self._uses_type(path, module, row[0], row[1], row[2])
        elif section == "uses":
            self._import(path, module, row)
        elif section == "macros":
            self._expands(path, module, row)
        else:
            self._derives(path, module, row)

    def edge(
        self,
        src: int,
        rel: str,
        found: Sequence[Target],
        line: int,
        path: str,
        written: str,
        via: int = 0,
        extra: str = "",
    ) -> None:
        """One edge per candidate (``exact`` when one, ``ambiguous`` when more), else (none,
        or more than :data:`MAX_CANDIDATES`) one unresolved edge."""
        items = [t for t in found if isinstance(t, int)]
        if not items or len(items) > MAX_CANDIDATES:
            # the name as written, held once however many rows write it
            unresolved = sys.intern(written)
            self.edges.append(Edge(src, rel, 0, "unresolved", line, path, unresolved, via, extra))
            return
        confidence = "exact" if len(items) == 1 else "ambiguous"
        for dst in items:
            target = self.r.defs[dst].qualified_name
            self.edges.append(Edge(src, rel, dst, confidence, line, path, target, via, extra))

    # -- impls and methods -------------------------------------------------

    def _impl(
        self, path: str, module: str, row: list[Any], register: bool = True, emit: bool = True
    ) -> None:
        """One impl header: its ``impl_for`` and ``implements`` edges (unless not ``emit``:
        a library's impl), and its methods registered for its self type (if ``register``)."""
        impl, line, template, self_head, trait = row
        r = self.r
        scope = r.scope_of(impl, module)
        selves: list[Target] = []
        if self_head is not None:
            selves = [
                t
                for t in r.resolve(scope, self_head, TYPES, impl)
                if isinstance(t, int) and r.defs[t].kind in _TYPES
            ]
        r.impl_self[impl] = [t for t in selves if isinstance(t, int)]
        if self_head is not None and len(self_head) == 1 and r.generic(impl, self_head[0]):
            r.impl_generic[impl] = self_head[0]
        if emit:
            written_self = r.written(scope, self_head) if self_head else "?"
            self.edge(impl, "impl_for", selves, line, path, written_self)
        traits: list[Target] = []
        if trait is not None:
            traits = [
                t
                for t in r.resolve(scope, trait, TYPES, impl)
                if isinstance(t, int) and r.defs[t].kind == "trait"
            ]
            r.impl_trait[impl] = [t for t in traits if isinstance(t, int)]
            if trait[-1] == "Deref":
                self._register_deref(impl, selves, self_head)
            if emit:
                self.edge(impl, "implements", traits, line, path, r.written(scope, trait))
        if not register:
            return
        via = r.impl_trait.get(impl, [0])[0] if len(r.impl_trait.get(impl, [])) == 1 else 0
        methods: dict[str, int] = {}
        for child in r.children[impl]:  # of cfg alternatives, the one compiled
            name = r.defs[child].name
            if r.defs[child].kind == "method" and (
                name not in methods or r.compiled(child) or not r.compiled(methods[name])
            ):
                methods[name] = child
        if via:
            for child in r.children[via]:
                found = r.defs[child]
                if found.kind == "method" and not found.bodiless and found.name not in methods:
                    methods[found.name] = child
        owners: list[Target] = list(r.impl_self[impl])
        if not owners and self_head is not None:
            owners = [_ANY_TYPE if r.generic(impl, self_head[0]) else self_head[-1]]
            if owners == [_ANY_TYPE] and template == [self_head]:
                owners.append(_BLANKET)
        entries: list[Registered] = []
        if emit:  # a library's impls are never taken out again
            self.registered[impl] = entries
        for owner in owners:
            for name, method in methods.items():
                entry = (method, (via or impl) if trait is not None else 0)
                r.add_method(owner, name, entry)
                if emit:
                    entries.append((owner, name, entry))

    def _register_deref(self, impl: int, selves: list[Target], self_head: list[str] | None) -> None:
        """Remember an ``impl Deref``'s ``type Target`` for its self types (a primitive's,
        a slice's, a foreign type's by name)."""
        r = self.r
        alias = next(
            (
                c
                for c in r.children[impl]
                if r.defs[c].kind == "type_alias" and r.defs[c].name == "Target"
            ),
            None,
        )
        owners = selves or (
            [self_head[-1]] if self_head and not r.generic(impl, self_head[0]) else []
        )
        if alias is None or not owners:
            return
        r.deref_target[impl] = alias, owners
        for owner in owners:
            r.add_deref(owner, impl)

    def unregister(self, impl: int) -> list[Registered]:
        """Take an impl's methods out of the resolver's tables (see :attr:`registered`)."""
        r = self.r
        entries = self.registered.pop(impl, [])
        for owner, name, entry in entries:
            table = r.method_table(owner)
            methods = table[name]
            methods.remove(entry)
            if not methods:
                del table[name]
        r.impl_self.pop(impl, None)
        r.impl_trait.pop(impl, None)
        r.impl_generic.pop(impl, None)
        _alias, pointers = r.deref_target.pop(impl, (0, []))
        for pointer in pointers:
            r.deref_impls[pointer].remove(impl)
        return entries

    def _has_method(self) -> None:
        library = self.r.library_ids
        for owner, table in self.r.assoc.items():
            for methods in table.values():
                for method, via in methods:
                    if method not in library:
                        self.has_method(owner, method, via)

    def has_method(self, owner: int, method: int, via: int) -> None:
        """The ``has_method`` edge of one registered method (written where the method is)."""
        found = self.r.defs[method]
        self.edges.append(
            Edge(
                owner,
                "has_method",
                method,
                "exact",
                found.line,
                found.path,
                found.qualified_name,
                via,
            )
        )

    def _contains(self) -> None:
        library = self.r.library_ids
        for ident in self.r.defs:
            if ident not in library:
                self.contains(ident)

    def contains(self, ident: int) -> None:
        """The ``contains`` edge into one item from its parent or module, if any."""
        r = self.r
        found = r.defs[ident]
        parent = found.parent or r.module_items.get(found.module, 0)
        if parent and parent != ident:
            self.edges.append(
                Edge(
                    parent,
                    "contains",
                    ident,
                    "exact",
                    found.line,
                    found.path,
                    found.qualified_name,
                )
            )

    def _derives(self, path: str, module: str, row: list[Any]) -> None:
        ident, line, traits = row
        r = self.r
        scope = r.scope_of(ident, module)
        written = {segs[-1] for segs in traits}
        implied = [[*_MARKER, marker] for name, marker in _IMPLIED if name <= written]
        for segs in traits + implied:
            local = [
                t
                for t in r.resolve(scope, segs, TYPES, ident)
                if isinstance(t, int) and r.defs[t].kind == "trait"
            ]
            if len(local) == 1:
                dst = local[0]
                self.edges.append(
                    Edge(ident, "derives", dst, "exact", line, path, r.defs[dst].name)
                )
            else:
                self.edges.append(Edge(ident, "derives", 0, "unresolved", line, path, segs[-1]))

    # -- imports, calls, types, macros -------------------------------------

    def _import(self, path: str, module: str, row: list[Any]) -> None:
        owner, line, _vis, segs, alias = row
        if not segs:
            return
        r = self.r
        scope = r.scope_of(owner, module)
        src = owner or r.module_items.get(module, 0)
        found: list[Target] = []
        for ns in (TYPES, VALUES, MACROS):
            found.extend(r.resolve_use(scope, segs, ns))
        found = [r.module_items.get(t, t) if isinstance(t, str) else t for t in found]
        written = path_text(segs) + ("::*" if alias == "*" else "")
        self.edge(src, "imports", list(dict.fromkeys(found)), line, path, written)

    def _call(self, path: str, module: str, row: list[Any]) -> None:
        owner, line, form = row[0], row[1], row[2]
        r = self.r
        scope = r.scope_of(owner, module)
        if form == "p":
            segs = row[3]
            found = self._callables(r.resolve(scope, segs, VALUES, owner))
            if not found and len(segs) == 2 and segs[0] in _PSEUDO_OWNERS:  # `u64::f()`
                found = [t for t in self._methods(segs[0], segs[1]) if isinstance(t, int)]
            if not found and len(segs) in (2, 3):  # `T::f()`, `T::Assoc::f()`: by bounds
                found = self._trait_methods(scope, owner, ["type", segs[:-1], False], segs[-1])
            if not found:  # `Wrapper(x)`: a tuple struct's constructor
                found = self._constructors(r.resolve(scope, segs, TYPES, owner))
            self.edge(owner, "calls", found, line, path, r.written(scope, segs))
        elif form == "q":
            self_head, trait, name = row[3], row[4], row[5]
            self.edge(
                owner,
                "calls",
                self._qualified_call(scope, owner, self_head, trait, name),
                line,
                path,
                name,
            )
        else:
            name, receiver = row[3], row[4]
            types, known = self._receiver(scope, owner, receiver)
            if known:
                methods = self._lookup(scope, owner, types, name, receiver)
                self.edge(owner, "calls", methods, line, path, name)
            elif bounded := self._trait_methods(scope, owner, receiver, name):
                self.edge(owner, "calls", bounded, line, path, name)
            elif self._foreign_only(scope, owner, receiver, name):
                self.edge(owner, "calls", [], line, path, name)
            else:
                self._guess(owner, name, line, path)

    def _constructors(self, found: list[Target]) -> list[int]:
        """The structs among a path's type candidates (called, they are tuple structs)."""
        return [t for t in found if isinstance(t, int) and self.r.defs[t].kind == "struct"]

    def _callables(self, found: list[Target]) -> list[int]:
        return [t for t in found if isinstance(t, int) and self.r.defs[t].kind in _CALLABLE]

    def _qualified_call(
        self,
        scope: Scope,
        owner: int,
        self_head: list[str] | None,
        trait: list[str] | None,
        name: str,
    ) -> list[Target]:
        """``<T as Trait>::name``: T's impl of the trait if local, else the trait's method."""
        r = self.r
        if trait is None:
            return []
        traits = [t for t in r.resolve(scope, trait, TYPES, owner) if isinstance(t, int)]
        selves = r.resolve(scope, self_head, TYPES, owner) if self_head else []
        found = [
            m
            for t in selves
            if isinstance(t, int)
            for m, via in r.assoc[t].get(name, ())
            if via in traits
        ]
        if found:
            return list(dict.fromkeys(found))
        return [c for t in traits for c in r.children[t] if r.defs[c].name == name]

    def _foreign_only(self, scope: Scope, owner: int, receiver: list[Any], name: str) -> bool:
        """Whether the receiver is of a plain type (no type arguments) that is not local,
        and no local impl has a method ``name`` for a type of that name or for any type:
        the method called is another crate's (``f.write_str(..)``, ``f: &mut Formatter``),
        so the call is ``unresolved``, not guessed among local methods of that name."""
        receiver = _underef(receiver)
        if not receiver or receiver[0] != "type" or not receiver[2]:
            return False
        r, segs = self.r, receiver[1]
        if segs[0] == "Self" or r.generic(owner, segs[0]):
            return False
        if any(isinstance(t, int) for t in r.resolve(scope, segs, TYPES, owner)):
            return False
        tables = (r.external_assoc.get(segs[-1], {}), r.external_assoc.get(_ANY_TYPE, {}))
        return not any(name in table for table in tables)

    def _trait_methods(self, scope: Scope, owner: int, receiver: list[Any], name: str) -> list[int]:
        """Methods ``name`` of the local traits a receiver is known to implement and
        nothing else: ``impl Trait`` and ``dyn Trait`` values, and values of a type
        parameter (``A`` of ``fn f<A: SeqAccess>(a: A)``), whose methods can only come
        from its bounds (``self`` in an impl for a type parameter too). Empty when none
        is local or has such a method (the call is then guessed); a bound's supertraits
        are looked in when the bound has no such method."""
        r = self.r
        receiver = _underef(receiver)  # `(*x).f()`: by x's bounds
        if receiver == ["self"]:  # in `impl<T: Trait> Other for &T`, `self` is a T
            around = r.enclosing(owner, _CONTAINERS)
            param = r.impl_generic.get(around.id) if around is not None else None
            receiver = ["type", [param], False] if param is not None else []
        if not receiver:
            return []
        if receiver[0] == "bound":
            traits = self._traits(scope, owner, receiver[1])
        elif receiver[0] == "type":
            traits = self._bound_traits(scope, owner, receiver[1])
        elif receiver[0] == "field":  # `self.core`, declared `core: R` or `R::Results`
            types, known = self._receiver(scope, owner, receiver[2])
            traits = [
                t
                for home, field in (self._fields(types, receiver[1]) if known else [])
                for t in self._bound_traits(home, field.id, field.returns or [])
            ]
        else:
            return []
        methods = (m for t in traits for m in self._methods(t, name) if isinstance(m, int))
        return list(dict.fromkeys(methods))

    def _traits(self, scope: Scope, owner: int, paths: Iterable[list[str]]) -> list[int]:
        """The traits ``paths`` name at ``owner``."""
        r = self.r
        return [
            t
            for segs in paths
            for t in r.resolve(scope, segs, TYPES, owner)
            if isinstance(t, int) and r.defs[t].kind == "trait"
        ]

    def _bound_traits(self, scope: Scope, owner: int, segs: list[str]) -> list[int]:
        """The traits a value of the written type ``segs`` is known to implement at
        ``owner`` by bounds alone: a type parameter's (``T``), or those of an associated
        type of one (``R::Results``, ``Self::Seed`` in a trait), as declared in its trait
        (``type Results: AsRef<[u32]> + Default;``)."""
        r = self.r
        if not segs or len(segs) > 2:
            return []
        if segs[0] == "Self" and len(segs) == 2:
            around = r.enclosing(owner, _TRAITS)
            bounds = [around.id] if around is not None else []
        else:
            bounds = self._traits(scope, owner, r.bounds_of(owner, segs[0]) or [])
        if len(segs) == 1:
            return bounds
        found: list[int] = []
        for trait in bounds:
            for assoc in self._trait_items(trait, segs[1]):
                if not isinstance(assoc, int) or r.defs[assoc].kind != "type_alias":
                    continue
                held = r.defs[assoc]
                home = r.scope_of(held.parent, held.module)
                found += self._traits(home, assoc, r.bounds.get(assoc, {}).get("Self", ()))
        return found

    def _receiver(self, scope: Scope, owner: int, receiver: list[Any]) -> tuple[list[Target], bool]:
        """The types a method call's receiver may have (a primitive or :data:`SLICE` by
        name), and whether that is known."""
        r = self.r
        if not receiver or receiver[0] == "bound":
            return [], False
        if receiver[0] == "deref":  # `*x`: what a reference or a box holds, not a pointer's
            types, known = self._receiver(scope, owner, receiver[1])
            pointer = any(t in (CONST_POINTER, MUT_POINTER) for t in types)
            return ([], False) if pointer else (types, known)
        if receiver[0] == "self":
            around = r.enclosing(owner, _CONTAINERS)
            if around is None:
                return [], False
            if around.kind == "trait":
                return [around.id], True
            selves: list[Target] = list(r.impl_self.get(around.id, []))
            return selves, bool(selves)
        if receiver[0] == "field":  # `inner.name`: the field's declared type
            types, known = self._receiver(scope, owner, receiver[2])
            return self._field_types(types, receiver[1]) if known else ([], False)
        if receiver[0] == "call":  # the value of `inner.name()`: what that method returns
            return self._returned(self._called(scope, owner, receiver))
        if receiver[0] == "elem":  # `let (s, r) = bounded(1);`: the tuple's element
            return self._element(scope, owner, receiver[2], receiver[1])
        segs = receiver[1]
        if receiver[0] == "pat":  # `Value::Number(n)`: the newtype variant's field
            holders = [
                t
                for t in r.resolve(scope, segs, VALUES, owner)
                + r.resolve(scope, segs, TYPES, owner)
                if isinstance(t, int) and r.defs[t].kind in ("variant", "struct")
            ]
            holder = r.defs[holders[0]] if len(set(holders)) == 1 else None
            if receiver[2] != 0 or holder is None or not holder.returns:
                return [], False
            return self._type_of(r.scope_of(holder.id, holder.module), holder.id, holder.returns)
        if receiver[0] == "ret":
            callees = self._called(scope, owner, receiver)
            one = callees[0] if len(callees) == 1 and isinstance(callees[0], int) else 0
            if one and r.defs[one].returns == ["Self"] and len(segs) > 1:
                return self._type_of(scope, owner, segs[:-1])  # `Bigint::from_u64(..)`
            return self._returned(callees)
        return self._type_of(scope, owner, segs)

    def _called(self, scope: Scope, owner: int, value: list[Any]) -> list[Target]:
        """What the call whose value ``value`` describes calls: ``["ret", path]`` the
        path's functions, ``["call", name, receiver]`` the receiver's methods ``name``."""
        if value[0] == "ret":
            return list(self._callables(self.r.resolve(scope, value[1], VALUES, owner)))
        types, known = self._receiver(scope, owner, value[2])
        if known:
            return self._lookup(scope, owner, types, value[1], value[2])
        return list(self._trait_methods(scope, owner, value[2], value[1]))  # `rng.next_u64()`

    def _element(
        self, scope: Scope, owner: int, whole: list[Any], index: int
    ) -> tuple[list[Target], bool]:
        """The types of element ``index`` of a tuple value (``whole``: a call's value, or a
        value of a written tuple type), and whether that is known."""
        r = self.r
        declared, at, where = None, owner, scope
        if whole[0] == "type":
            declared = whole[1]
        elif whole[0] in ("ret", "call"):
            callees = self._called(scope, owner, whole)
            if len(callees) == 1 and isinstance(callees[0], int):
                callee = r.defs[callees[0]]
                declared, at = callee.returns, callee.id
                where = r.scope_of(callee.id, callee.module)
        if not declared or declared[0] != TUPLE or index + 1 >= len(declared):
            return [], False
        element = declared[index + 1]
        return self._type_of(where, at, element.split("::")) if element else ([], False)

    def _returned(self, callees: Sequence[Target]) -> tuple[list[Target], bool]:
        """The types a call returns, and whether that is known: its callee's return type,
        or the one its candidates all return (a trait's method and a blanket impl's)."""
        agreed: list[Target] | None = None
        for callee in dict.fromkeys(callees):
            types, known = self._returned_by(callee)
            if not known or (agreed is not None and set(types) != set(agreed)):
                return [], False
            agreed = types
        return (agreed, True) if agreed else ([], False)

    def _returned_by(self, callee: Target) -> tuple[list[Target], bool]:
        r = self.r
        if not isinstance(callee, int):
            return [], False
        found = r.defs[callee]
        if found.kind == "struct":  # a tuple struct's constructor makes one
            return [found.id], True
        if found.returns is None:
            return [], False
        return self._type_of(r.scope_of(found.id, found.module), found.id, found.returns)

    def _field_types(self, types: list[Target], name: str) -> tuple[list[Target], bool]:
        """The local types the field ``name`` of ``types`` is declared with (``self.name``,
        ``self.0`` of a newtype), and whether that is known."""
        r = self.r
        found: list[Target] = []
        for owner in types:
            if isinstance(owner, str):
                continue  # a primitive's or a slice's: no fields
            newtype = r.defs[owner]
            if name == "0" and newtype.kind == "struct" and newtype.returns:  # `self.0`
                scope = r.scope_of(owner, newtype.module)
                found += self._type_of(scope, owner, newtype.returns)[0]
            for scope, field in self._fields([owner], name):
                if field.returns:
                    found += self._type_of(scope, field.id, field.returns)[0]
        return found, bool(found)

    def _fields(self, types: list[Target], name: str) -> Iterator[tuple[Scope, Def]]:
        """The fields ``name`` of the local ``types``, each with the scope its declared
        type is written in."""
        r = self.r
        for owner in types:
            if isinstance(owner, int):
                for child in r.children[owner]:
                    field = r.defs[child]
                    if field.kind == "field" and field.name == name:
                        yield r.scope_of(child, field.module), field

    def _type_of(
        self, scope: Scope, owner: int, segs: list[str], depth: int = 0
    ) -> tuple[list[Target], bool]:
        """The types the written type ``segs`` names at ``owner`` (an alias: it and the
        type it names), and whether that is known."""
        r = self.r
        if segs[0] != "Self" and r.generic(owner, segs[0]):
            return [], False
        if len(segs) == 1 and segs[0] in _PSEUDO_OWNERS:
            return [segs[0]], True
        found: list[Target] = []
        for t in r.resolve(scope, segs, TYPES, owner):
            if not isinstance(t, int) or r.defs[t].kind not in _TYPES | {"trait"}:
                continue
            found.append(t)
            alias = r.defs[t]
            if alias.kind == "type_alias" and alias.returns and depth < _DEREF_DEPTH:
                named = self._type_of(r.scope_of(t, alias.module), t, alias.returns, depth + 1)
                found += named[0]
        return found, bool(found)

    def _methods(self, owner: Target, name: str) -> list[Target]:
        r = self.r
        if isinstance(owner, str):
            return inherent_first(r.external_assoc.get(owner, {}).get(name, ()))
        if r.defs[owner].kind == "trait":
            return self._trait_items(owner, name)
        return inherent_first(r.assoc[owner].get(name, ()))

    def _trait_items(self, trait: int, name: str) -> list[Target]:
        """Items ``name`` of a trait, else of the nearest traits it extends that have one
        (``trait Integer: private::Sealed``: ``Sealed::write``)."""
        r = self.r
        level, seen = [trait], {trait}
        for _ in range(_SUPERTRAIT_DEPTH):
            found: list[Target] = [
                c for t in level for c in r.children[t] if r.defs[c].name == name
            ]
            if found:
                return found
            level = [s for t in level for s in self._supertraits(t) if s not in seen]
            seen.update(level)
        return []

    def _supertraits(self, trait: int) -> list[int]:
        """The traits ``trait`` extends (``trait A: B + C``, ``where Self: D``)."""
        r = self.r
        scope = r.scope_of(trait, r.defs[trait].module)
        return self._traits(scope, trait, r.bounds.get(trait, {}).get("Self", ()))

    def _lookup(
        self, scope: Scope, owner: int, types: list[Target], name: str, receiver: list[Any]
    ) -> list[Target]:
        """Methods ``name`` of a receiver of ``types`` (their impls' and derives'), else of
        the blanket impls of traits in scope (``impl<T> Tr for T``), else of what they
        deref to (``Vec`` to slices, ``String`` to ``str``, ``Arc<T>`` to the receiver's
        ``T``, local ``Deref`` impls), as method lookup auto-derefs."""
        blanket: list[Target] = [
            m
            for m, trait in self.r.external_assoc.get(_BLANKET, {}).get(name, ())
            if self._in_scope(scope, owner, trait)
        ]
        for depth in range(_DEREF_DEPTH):
            found = [m for t in types for m in self._methods(t, name) or self._derived(t, name)]
            if found or not types:
                return list(dict.fromkeys(found))
            if blanket:  # `impl<T: Debug> Show for T`: every type's, after its own
                return blanket
            argument = self._argument(scope, owner, receiver) if depth == 0 else []
            types = [d for t in types for d in self._deref(t, argument)]
        return []

    def _argument(
        self, scope: Scope, owner: int, receiver: list[Any], depth: int = 0
    ) -> list[Target]:
        """The types of a receiver's first type argument, where a generic ``Deref`` target
        (``type Target = T;``) needs them: written (``Arc<Exec>``: ``Exec``), or given to a
        constructor (``Arc::new(Lock::new())``: ``Lock``), through calls that return the
        receiver's own type (``arc.clone()``)."""
        receiver = _underef(receiver)
        if not receiver or depth > _DEREF_DEPTH:
            return []
        if receiver[0] == "type":
            written = receiver[3] if len(receiver) > 3 else None
            return self._type_of(scope, owner, written)[0] if written else []
        if receiver[0] == "ret" and len(receiver) > 2 and len(receiver[1]) > 1:
            made = set(self._type_of(scope, owner, receiver[1][:-1])[0])
            returned = set(self._receiver(scope, owner, receiver[:2])[0])
            if made and made == returned:  # a constructor of the type it is called on
                return self._receiver(scope, owner, receiver[2])[0]
        if receiver[0] == "call":
            inner = receiver[2]
            same = set(self._receiver(scope, owner, receiver)[0])
            if same and same == set(self._receiver(scope, owner, inner)[0]):
                return self._argument(scope, owner, inner, depth + 1)
        return []

    def _in_scope(self, scope: Scope, owner: int, trait: int) -> bool:
        """Whether ``trait`` is in scope at ``owner`` (imported, defined or in the prelude),
        as a method call through it needs."""
        r = self.r
        found = r.defs.get(trait)
        return found is not None and trait in r.resolve(scope, [found.name], TYPES, owner)

    def _derived(self, owner: Target, name: str) -> list[Target]:
        """Method ``name`` of the traits ``owner`` derives (``#[derive(Clone)]``: the
        trait's ``clone``, as rustc's expansion implements it)."""
        r = self.r
        traits = r.derived.get(owner) if isinstance(owner, int) else None
        if not traits or not isinstance(owner, int):
            return []
        scope = r.scope_of(owner, r.defs[owner].module)
        return [
            m
            for segs in traits
            for t in r.resolve(scope, segs, TYPES, owner)
            if isinstance(t, int) and r.defs[t].kind == "trait"
            for m in self._methods(t, name)
        ]

    def _deref(self, pointer: Target, argument: list[Target]) -> list[Target]:
        """What ``pointer`` derefs to: its ``impl Deref``'s ``type Target``; a target that
        is the impl's type parameter is the receiver's type ``argument`` (``Arc<Exec>``:
        ``Exec``)."""
        r = self.r
        found: list[Target] = []
        for impl in r.deref_impls.get(pointer, ()):
            alias = r.deref_target[impl][0]
            segs = r.defs[alias].returns
            if not segs:
                continue
            if r.generic(alias, segs[0]):  # `type Target = T;`
                found += argument
                continue
            found += self._type_of(r.scope_of(alias, r.defs[alias].module), alias, segs)[0]
        return found

    def _guess(self, owner: int, name: str, line: int, path: str) -> None:
        """A method call on a receiver of unknown type: every method of that name, ambiguous
        (unresolved when none or more than :data:`MAX_CANDIDATES`)."""
        candidates = self.r.methods_by_name.get(name, [])
        if not candidates or len(candidates) > MAX_CANDIDATES:
            self.edges.append(Edge(owner, "calls", 0, "unresolved", line, path, name))
            return
        for dst in candidates:
            target = self.r.defs[dst].qualified_name
            self.edges.append(Edge(owner, "calls", dst, "ambiguous", line, path, target))

    def _uses_type(
        self, path: str, module: str, owner: int, line: int, template: list[Any]
    ) -> None:
        r = self.r
        scope = r.scope_of(owner, module)
        tokens: list[str] = []
        refs: list[tuple[list[Target], str]] = []
        for part in template:
            if isinstance(part, str):
                tokens.append(part)
                continue
            if len(part) == 1 and (part[0] in _PRIMITIVE or r.generic(owner, part[0])):
                if part[0] == "Self":
                    selves = r.self_types(owner)
                    tokens.append(r.qualified(selves[0]) if len(selves) == 1 else "Self")
                else:
                    tokens.append(part[0])
                continue
            found = [
                t
                for t in r.resolve(scope, part, TYPES, owner)
                if isinstance(t, int) and r.defs[t].kind in _TYPES | {"trait"}
            ]
            written = r.written(scope, part)
            tokens.append(r.defs[found[0]].qualified_name if len(found) == 1 else written)
            refs.append((list(found), written))
        head = next((found[0] for found, _ in refs if len(found) == 1), 0)
        definition = head if isinstance(head, int) and refs and len(refs[0][0]) == 1 else 0
        key = self.types.add(tokens, definition)
        for targets, written in refs:
            self.edge(owner, "uses_type", targets, line, path, written, extra=key)

    def _expands(self, path: str, module: str, row: list[Any]) -> None:
        owner, line, segs = row[0], row[1], row[2]
        r = self.r
        crate = module.partition("::")[0]
        name = segs[-1]
        local: list[Target] = [
            ident
            for ident in r.macros.get(name, ())
            if r.defs[ident].module.partition("::")[0] == crate
        ]
        if local:
            src = owner or r.module_items.get(module, 0)
            self.edge(src, "expands", list(local), line, path, name)


def _underef(receiver: list[Any]) -> list[Any]:
    """The receiver ``*receiver`` dereferences (``(*x).f()`` goes by ``x``)."""
    while receiver and receiver[0] == "deref":
        receiver = receiver[1]
    return receiver
