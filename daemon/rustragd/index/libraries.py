"""The libraries a workspace's crates depend on, each built once into the shared cache.

:func:`library_sources` reads what cargo would compile (:mod:`rustragd.project.cargo_sources`:
the dependencies' sources, std's) and says, per library crate, where it is, with which
features and what it sees (:class:`~rustragd.graph.scopes.Links`); the workspace's own
crates get their links too. :func:`build_library` (run in a worker) extracts a library's
files, expands its macros and keeps its interface (:func:`rustragd.graph.library.interface`);
the blob goes to ``$XDG_CACHE_HOME/rustrag/libraries/``, keyed by a digest of everything
it was made from, and is read back by every workspace that uses the same crate version.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from blake3 import blake3

from rustragd.graph.library import Interface, Library, pack_library
from rustragd.graph.scopes import Links
from rustragd.project.cargo_sources import DependencyGraph, Package, std_sources
from rustragd.project.cfg import host_cfg
from rustragd.project.crates import library_modules
from rustragd.project.walker import SKIPPED_DIRS

__all__ = ["LibrarySource", "WorkspaceLinks", "build_library", "cache_path", "library_sources"]

Facts = dict[str, Any]

#: Bumped when what a library blob holds changes (old blobs are then not read).
FORMAT = 15
#: The std crates, by crate name: the externs each sees (core sees none) and its prelude.
_STD = (
    ("core", (), "core::prelude::v1"),
    ("alloc", ("core",), "core::prelude::v1"),
    ("std", ("core", "alloc"), "std::prelude::v1"),
    # Reached through `extern crate test;` (benches) and `proc_macro::` (proc-macro crates).
    ("proc_macro", ("core", "alloc", "std"), "std::prelude::v1"),
    ("test", ("core", "alloc", "std"), "std::prelude::v1"),
)
#: Crate keys of std crates whose name a workspace's own crate often has (the
#: integration test ``tests/test.rs`` is a crate ``test``).
_STD_KEYS = {"test": "libtest"}
_EXTERN_ALIAS = re.compile(rb"^\s*extern\s+crate\s+(\w+)\s+as\s+(\w+)\s*;", re.M)
_NO_STD = re.compile(rb"^\s*#!\[\s*no_std\s*\]", re.M)


@dataclass(frozen=True, slots=True)
class LibrarySource:
    """Where one library crate is and how it is compiled: what :func:`build_library` needs."""

    crate: str
    label: str
    origin: str
    root: str
    lib_path: str
    features: tuple[str, ...]
    links: Links


@dataclass(frozen=True, slots=True)
class WorkspaceLinks:
    """Every library the workspace needs, and the links of its own crates."""

    sources: list[LibrarySource]
    links: dict[str, Links]
    #: Why std is absent ("" when its sources were found).
    std_missing: str
    #: Dependencies whose sources were not found.
    missing: list[str]


def library_sources(graph: DependencyGraph) -> WorkspaceLinks:
    """The library crates of a dependency graph and std, and each crate's links."""
    found_std = std_sources()
    std_dir = found_std.path.resolve() if found_std is not None else None
    sources: list[LibrarySource] = []
    std_names: dict[str, str] = {}
    if std_dir is not None:
        for name, externs, prelude in _STD:
            if not (std_dir / name / "src/lib.rs").is_file():
                continue  # a rust-src without proc_macro or test
            seen = _aliased({e: e for e in externs}, std_dir / name / "src/lib.rs")
            links = Links(seen, prelude, library=True)
            key = _STD_KEYS.get(name, name)
            sources.append(
                LibrarySource(key, name, "std", str(std_dir / name), "src/lib.rs", (), links)
            )
            std_names[name] = key
    keys: dict[str, str] = {}  # package key -> crate key
    for key, package in graph.packages.items():
        crate = package.lib_name
        if crate in keys.values() or crate in std_names:
            crate = f"{crate}_{package.version.replace('.', '_')}"
        keys[key] = crate
    links_of = {
        key: _links(package, keys, std_names, package.origin != "workspace")
        for key, package in graph.packages.items()
    }
    # Dependencies by crate key: workspaces on the same libraries list them alike, and
    # share one resolver base (rustragd.graph.resolve.library_base).
    for key, package in sorted(graph.packages.items(), key=lambda entry: keys[entry[0]]):
        if package.origin == "workspace":
            continue
        sources.append(
            LibrarySource(
                keys[key],
                f"{package.name} {package.version}",
                "dependency",
                str(package.root),
                package.lib_path,
                tuple(sorted(package.features)),
                links_of[key],
            )
        )
    workspace = {keys[key]: links_of[key] for key in graph.members}
    every = {n: c for key in graph.members for n, c in links_of[key].externs.items()}
    prelude = next((links.prelude for links in workspace.values()), _prelude(std_names, "2021"))
    features = next((links.features for links in workspace.values()), ())
    workspace[""] = Links(every, prelude, features=features)  # test, example, bench crates
    return WorkspaceLinks(
        sources,
        workspace,
        "" if std_dir is not None else "no std sources (install rust-src)",
        list(graph.missing),
    )


def _links(package: Package, keys: dict[str, str], std: dict[str, str], library: bool) -> Links:
    """What one package's library crate sees: its dependencies by their extern names
    (and ``extern crate x as y`` aliases of its root), std, and its prelude."""
    externs = dict(std)
    externs.update((name, keys[dep]) for name, dep in package.deps if dep in keys)
    root = Path(package.root) / package.lib_path
    text = b""
    with contextlib.suppress(OSError):
        text = root.read_bytes()
    no_std = _NO_STD.search(text) is not None
    prelude = _prelude(std, package.edition, no_std)
    return Links(_aliased(externs, root), prelude, library, tuple(sorted(package.features)))


def _aliased(externs: dict[str, str], root: Path) -> dict[str, str]:
    """``externs`` and the ``extern crate x as y;`` aliases the crate root ``root`` adds."""
    text = b""
    with contextlib.suppress(OSError):
        text = root.read_bytes()
    for name, alias in _EXTERN_ALIAS.findall(text):
        target = externs.get(name.decode())
        if target is not None:
            externs[alias.decode()] = target
    return externs


def _prelude(std: dict[str, str], edition: str, no_std: bool = False) -> str:
    if not std:
        return ""
    crate = "core" if no_std else "std"
    return f"{crate}::prelude::rust_{edition}" if edition != "2015" else f"{crate}::prelude::v1"


def cache_path(cache: Path, source: LibrarySource) -> Path:
    """Where ``source``'s blob is kept: named by a digest of everything it is made from
    (its files' contents included), so that a changed source is built again."""
    digest = blake3(f"{FORMAT}\0{source!r}".encode())
    for rel in _rust_files(Path(source.root)):
        digest.update(rel.encode() + b"\0")
        try:
            digest.update((Path(source.root) / rel).read_bytes())
        except OSError:
            continue
    name = source.label.replace(" ", "-")
    return cache / f"{name}-{digest.hexdigest()[:20]}.msgpack"


def _rust_files(root: Path) -> list[str]:
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        rel = os.path.relpath(folder, root)
        found.extend(
            os.path.normpath(os.path.join(rel, f)) for f in sorted(files) if f.endswith(".rs")
        )
    return found


def build_library(source: LibrarySource) -> bytes:
    """Run in a worker: a library's interface, packed (see :func:`pack_library`).

    Every file is extracted first (its facts kept packed), for the crate's macros; then
    each file in turn is unpacked, expanded and cut to its interface, so that one file's
    facts and expansions are held at a time, not the crate's (core: peak 118 -> 92 MB RSS).
    """
    from rustragd.macros.expansion import expand_file, local_rules  # in the worker only
    from rustragd.macros.macro_rules import expand, forget_expansions
    from rustragd.syntax.extract import extract_file
    from rustragd.syntax.facts import unpack_facts

    root = Path(source.root)
    active = host_cfg(source.features)
    modules = library_modules(root, source.crate, source.lib_path, _rust_files(root), active)
    packed: list[tuple[str, bytes]] = []
    rules: list[tuple[str, Facts]] = []
    for rel, module in modules.items():
        try:
            text = (root / rel).read_bytes()
        except OSError:
            continue
        path = str(root / rel)  # absolute: the ids and paths of items outside the workspace
        blob = extract_file(path, text, module).facts
        packed.append((path, blob))
        facts = unpack_facts(blob)
        rules.append((path, {"mod": facts["mod"], "rules": facts["rules"]}))
    crate_rules = local_rules(rules)
    cut = Interface(active)
    files: list[tuple[str, Facts]] = []
    for path, blob in packed:
        facts = unpack_facts(blob)
        facts["calls"] = facts["types"] = []  # what bodies reference is not read of a library
        _made, fragments = expand_file(path, facts, crate_rules, expand)
        files.append((path, cut.cut(facts)))
        files.extend((path, cut.cut(fragment)) for fragment in fragments)
    blob = pack_library(Library(source.crate, source.label, source.origin, source.links, files))
    forget_expansions()  # the next job is another crate's, with other macros
    return blob
