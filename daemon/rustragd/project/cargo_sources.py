"""The sources cargo would compile for a workspace's dependencies, and std's, found offline.

:func:`std_sources` finds the toolchain's library sources (``rust-src``).
:func:`dependency_graph` reads, without running cargo, a workspace's manifests,
its ``Cargo.lock`` and the Cargo configuration up the tree and in
``$CARGO_HOME`` (source replacement, directory sources such as ``vendor/`` or
Debian's ``/usr/share/cargo/registry``, ``registry/src``, git checkouts), and
resolves the packages that ``cargo build --workspace`` would build: every member
with its default features, then their normal dependencies active for the target,
with features unified across the graph as cargo's resolver 2 does.

A version is the one ``Cargo.lock`` pins; without one (or when the lock does not
match the requirement) the newest that matches in the first source holding a
match. A ``local-registry`` (``.crate`` archives) or remote ``registry`` is not
read. What cannot be found is listed in :attr:`DependencyGraph.missing`, never raised.
"""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from rustragd.project.cfg import CfgSet, host_cfg, target_matches
from rustragd.project.semver import Version, parse_requirement, parse_version

__all__ = ["DependencyGraph", "Package", "StdSources", "dependency_graph", "std_sources"]

_DEBIAN_LIBRARY = Path("/usr/lib/rustlib/src/rust/library")
_SYSROOT_LIBRARY = Path("lib/rustlib/src/rust/library")
_SKIP_DIRS = frozenset({"target", ".git"})

_Table = dict[str, Any]


@dataclass(frozen=True, slots=True)
class StdSources:
    """The directory holding ``core/``, ``alloc/`` and ``std/``, and how it was found.

    ``how`` is ``"RUST_SRC_PATH"``, ``"sysroot"`` (``rustc --print sysroot``) or
    ``"debian"`` (the ``rust-src`` package's ``/usr/lib/rustlib/src/rust/library``).
    """

    path: Path
    how: str


def std_sources(env: Mapping[str, str] | None = None) -> StdSources | None:
    """The std library sources: ``$RUST_SRC_PATH``, then the sysroot's, then Debian's."""
    env = os.environ if env is None else env
    given = env.get("RUST_SRC_PATH")
    found = _library_dir(Path(given)) if given else None
    if found is not None:
        return StdSources(found, "RUST_SRC_PATH")
    sysroot = _sysroot(env.get("RUSTC", "rustc"))
    found = _library_dir(sysroot / _SYSROOT_LIBRARY) if sysroot is not None else None
    if found is not None:
        return StdSources(found, "sysroot")
    found = _library_dir(_DEBIAN_LIBRARY)
    return StdSources(found, "debian") if found is not None else None


def _library_dir(path: Path) -> Path | None:
    """``path`` or its ``library/`` when it holds ``core``, ``alloc`` and ``std`` sources."""
    for candidate in (path, path / "library"):
        if all((candidate / crate / "src/lib.rs").is_file() for crate in ("core", "alloc", "std")):
            return Path(os.path.abspath(candidate))
    return None


def _sysroot(rustc: str) -> Path | None:
    """``rustc --print sysroot``, or None when rustc is absent, fails or hangs."""
    try:
        done = subprocess.run(
            [rustc, "--print", "sysroot"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    text = done.stdout.strip()
    return Path(text) if done.returncode == 0 and text else None


@dataclass(frozen=True, slots=True)
class Package:
    """One package cargo would build: where its sources are, its features, its dependencies.

    ``lib_path`` is relative to ``root``; ``deps`` are ``(extern name, package key)``
    of its normal dependencies active for the target (a renamed dependency's extern
    name is its key with ``-`` as ``_``, another's the dependency's library name);
    ``origin`` is ``"workspace"`` for members, ``"dependency"`` otherwise.
    """

    name: str
    version: str
    root: Path
    lib_name: str
    lib_path: str
    edition: str
    features: frozenset[str]
    deps: tuple[tuple[str, str], ...]
    origin: str

    @property
    def key(self) -> str:
        """``"name version"``, the package's key in :attr:`DependencyGraph.packages`."""
        return f"{self.name} {self.version}"


@dataclass(slots=True)
class DependencyGraph:
    """Every package of a workspace's build by key, its members' keys, what was not found."""

    packages: dict[str, Package] = field(default_factory=dict)
    members: list[str] = field(default_factory=list)
    #: ``"name requirement (why)"`` of each dependency whose sources were not found.
    missing: list[str] = field(default_factory=list)


def dependency_graph(
    root: Path, *, cargo_home: Path | None = None, target: CfgSet | None = None
) -> DependencyGraph:
    """The packages a normal build of the workspace at ``root`` compiles, for ``target``.

    ``cargo_home`` defaults to ``$CARGO_HOME``, then ``~/.cargo``; ``target`` to the host.
    """
    if cargo_home is None:
        cargo_home = Path(os.environ.get("CARGO_HOME") or Path.home() / ".cargo")
    return _Resolver(root.resolve(), cargo_home, target or host_cfg()).run()


@dataclass(frozen=True, slots=True)
class _Dep:
    """One dependency table entry: ``key = { package, version, path, git, ... }``."""

    key: str
    package: str
    req: str
    optional: bool = False
    default_features: bool = True
    features: tuple[str, ...] = ()
    path: Path | None = None
    git: str | None = None
    rev: str | None = None
    target: str | None = None


@dataclass(frozen=True, slots=True)
class _Manifest:
    """What a package's ``Cargo.toml`` says that the build needs."""

    directory: Path
    name: str
    version: str
    edition: str
    lib_name: str
    lib_path: str
    #: Every feature, the implicit ones of optional dependencies (``x = ["dep:x"]``) too.
    features: dict[str, tuple[str, ...]]
    implicit: frozenset[str]
    deps: tuple[_Dep, ...]


class _Manifests:
    """Each ``Cargo.toml`` parsed once; packages read with their workspace's inheritance."""

    def __init__(self) -> None:
        self._tables: dict[Path, _Table | None] = {}
        self._packages: dict[Path, _Manifest | None] = {}

    def table(self, path: Path) -> _Table | None:
        """The parsed TOML file at ``path``, None when it is absent or unreadable."""
        if path not in self._tables:
            try:
                self._tables[path] = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                self._tables[path] = None
        return self._tables[path]

    def package(self, directory: Path) -> _Manifest | None:
        """The package whose ``Cargo.toml`` is in ``directory``, None if none is."""
        if directory not in self._packages:
            data = self.table(directory / "Cargo.toml")
            self._packages[directory] = (
                None if data is None else _manifest(directory, data, self._workspace)
            )
        return self._packages[directory]

    def _workspace(self, directory: Path) -> tuple[Path, _Table]:
        """The directory and ``[workspace]`` table of the workspace ``directory`` is in."""
        for folder in (directory, *directory.parents):
            data = self.table(folder / "Cargo.toml")
            if data is not None and isinstance(data.get("workspace"), dict):
                return folder, data["workspace"]
        return directory, {}


def _manifest(
    directory: Path, data: _Table, workspace: Callable[[Path], tuple[Path, _Table]]
) -> _Manifest | None:
    """The package ``data`` (a parsed ``Cargo.toml`` in ``directory``) declares."""
    package = data.get("package", data.get("project"))
    if not isinstance(package, dict) or not isinstance(package.get("name"), str):
        return None
    name: str = package["name"]

    def inherited(key: str, default: str) -> str:
        value = package.get(key, default)
        if isinstance(value, dict) and value.get("workspace") is True:
            value = _table(workspace(directory)[1].get("package")).get(key, default)
        return value if isinstance(value, str) else default

    lib = _table(data.get("lib"))
    deps = _dependencies(data, directory, workspace)
    features = {
        feature: tuple(v for v in values if isinstance(v, str))
        for feature, values in _table(data.get("features")).items()
        if isinstance(values, list)
    }
    named = {v[4:] for values in features.values() for v in values if v.startswith("dep:")}
    implicit = {d.key for d in deps if d.optional and d.key not in named | features.keys()}
    features.update({key: (f"dep:{key}",) for key in implicit})
    lib_name, lib_path = lib.get("name"), lib.get("path")
    return _Manifest(
        directory=directory,
        name=name,
        version=inherited("version", "0.0.0"),
        edition=inherited("edition", "2015"),
        lib_name=(lib_name if isinstance(lib_name, str) else name).replace("-", "_"),
        lib_path=PurePosixPath(lib_path if isinstance(lib_path, str) else "src/lib.rs").as_posix(),
        features=features,
        implicit=frozenset(implicit),
        deps=deps,
    )


def _table(value: object) -> _Table:
    return value if isinstance(value, dict) else {}


def _dependencies(
    data: _Table, directory: Path, workspace: Callable[[Path], tuple[Path, _Table]]
) -> tuple[_Dep, ...]:
    """The normal dependencies of a manifest, target-specific ones with their target key."""
    tables: list[tuple[str | None, _Table]] = [(None, _table(data.get("dependencies")))]
    for key, platform in _table(data.get("target")).items():
        tables.append((key, _table(_table(platform).get("dependencies"))))
    deps: list[_Dep] = []
    for target, table in tables:
        for key, spec in table.items():
            base = directory
            if isinstance(spec, dict) and spec.get("workspace") is True:
                ws_dir, ws = workspace(directory)
                spec, base = _inherit(spec, _table(ws.get("dependencies")).get(key)), ws_dir
            dep = _dep(key, spec, base, target)
            if dep is not None:
                deps.append(dep)
    return tuple(deps)


def _inherit(member: _Table, shared: object) -> _Table:
    """A ``{ workspace = true, ... }`` entry merged with ``[workspace.dependencies]``'s."""
    spec: _Table = {"version": shared} if isinstance(shared, str) else dict(_table(shared))
    features = [*spec.get("features", []), *member.get("features", [])]
    return {**spec, "features": features, "optional": member.get("optional", False)}


def _dep(key: str, spec: object, base: Path, target: str | None) -> _Dep | None:
    """The dependency ``key = spec`` of a manifest in ``base``, None if unreadable."""
    if isinstance(spec, str):
        return _Dep(key, key, spec, target=target)
    if not isinstance(spec, dict):
        return None
    path, git = spec.get("path"), spec.get("git")
    rev = spec.get("rev") or spec.get("tag") or spec.get("branch")
    features = spec.get("features", [])
    return _Dep(
        key=key,
        package=str(spec.get("package", key)),
        req=str(spec.get("version", "")),
        optional=spec.get("optional") is True,
        default_features=spec.get("default-features", spec.get("default_features", True))
        is not False,
        features=tuple(f for f in features if isinstance(f, str)),
        path=(base / path).resolve() if isinstance(path, str) else None,
        git=git if isinstance(git, str) else None,
        rev=rev if isinstance(rev, str) else None,
        target=target,
    )


@dataclass(slots=True)
class _Lock:
    """A ``Cargo.lock``: each package's versions, sources and locked dependencies."""

    versions: dict[str, list[str]] = field(default_factory=dict)
    sources: dict[tuple[str, str], str] = field(default_factory=dict)
    deps: dict[tuple[str, str], list[tuple[str, str | None]]] = field(default_factory=dict)

    def version(self, parent: _Manifest, dep: _Dep) -> str | None:
        """The version locked for ``dep`` of ``parent``, None if the lock has none."""
        entries = self.deps.get((parent.name, parent.version), [])
        listed = [version for name, version in entries if name == dep.package]
        own = self.versions.get(dep.package, [])
        candidates = [v or (own[0] if len(own) == 1 else None) for v in listed] or own
        return _newest([v for v in candidates if v is not None], dep.req)


def _read_lock(data: _Table | None) -> _Lock:
    """The lock file ``data`` (v1 ``[root]`` and ``"name version (source)"`` too)."""
    lock = _Lock()
    if data is None:
        return lock
    rows = data.get("package", [])
    entries = [*(rows if isinstance(rows, list) else []), _table(data.get("root"))]
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        name, version = entry.get("name"), entry.get("version")
        if not isinstance(name, str) or not isinstance(version, str):
            continue
        lock.versions.setdefault(name, []).append(version)
        if isinstance(entry.get("source"), str):
            lock.sources[name, version] = entry["source"]
        parsed: list[tuple[str, str | None]] = []
        for parts in (str(text).split() for text in entry.get("dependencies", [])):
            if parts:
                parsed.append((parts[0], parts[1] if len(parts) > 1 else None))
        lock.deps[name, version] = parsed
    return lock


def _newest(versions: list[str], req: str) -> str | None:
    """The newest of ``versions`` that ``req`` accepts (an unreadable ``req`` accepts any)."""
    requirement = parse_requirement(req)
    best: tuple[Version, str] | None = None
    for text in versions:
        version = parse_version(text)
        if version is None or (requirement is not None and not requirement.matches(version)):
            continue
        if best is None or version > best[0]:
            best = version, text
    return None if best is None else best[1]


class _Sources:
    """Where packages' sources can be: directory sources (source replacement, ``vendor/``),
    ``$CARGO_HOME/registry/src``, ``$CARGO_HOME/git/checkouts``, in that order."""

    def __init__(self, root: Path, cargo_home: Path, manifests: _Manifests) -> None:
        self._manifests = manifests
        self._cargo_home = cargo_home
        self.groups, self._unread = _directory_sources(root, cargo_home, manifests)
        registry = cargo_home / "registry" / "src"
        self.groups.append(sorted(_subdirs(registry)))
        self._indexes: dict[Path, dict[str, list[tuple[str | None, Path]]]] = {}

    def describe(self) -> str:
        """The directories searched, for a missing dependency's reason."""
        dirs = [str(d) for group in self.groups for d in group]
        described = ", ".join(dirs) if dirs else "no registry source"
        return f"{described}; {self._unread}" if self._unread else described

    def find(self, name: str, version: str) -> _Manifest | None:
        """The package ``name`` at exactly ``version``, from the first source holding it."""
        for group in self.groups:
            for text, manifest in self._candidates(group, name, version):
                if text == version:
                    return manifest
        return None

    def newest(self, name: str, req: str) -> _Manifest | None:
        """The newest ``name`` matching ``req`` in the first source that holds a match."""
        for group in self.groups:
            found = dict(self._candidates(group, name))
            best = _newest(list(found), req)
            if best is not None:
                return found[best]
        return None

    def git(self, dep: _Dep, locked: str | None) -> _Manifest | None:
        """A git dependency's package: vendored in a directory source, else in a checkout."""
        vendored = [
            m for group in self.groups[:-1] for _, m in self._candidates(group, dep.package)
        ]
        if vendored:
            return vendored[0]
        revision = locked.rpartition("#")[2] if locked and "#" in locked else dep.rev or ""
        repo = dep.git.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git") if dep.git else ""
        checkouts = self._cargo_home / "git" / "checkouts"
        for checkout in _subdirs(checkouts):
            if not checkout.name.startswith((f"{repo}-", f"{dep.package}-")):
                continue
            revs = sorted(_subdirs(checkout), key=_mtime, reverse=True)
            exact = [r for r in revs if revision and revision.startswith(r.name)]
            for rev_dir in exact or revs:
                found = self._package_in(rev_dir, dep.package)
                if found is not None:
                    return found
        return None

    def _package_in(self, tree: Path, name: str) -> _Manifest | None:
        """The package called ``name`` anywhere in ``tree`` (a git checkout)."""
        for folder, dirs, files in os.walk(tree):
            dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
            if "Cargo.toml" in files:
                manifest = self._manifests.package(Path(folder))
                if manifest is not None and manifest.name == name:
                    return manifest
        return None

    def _candidates(
        self, group: list[Path], name: str, only: str | None = None
    ) -> list[tuple[str, _Manifest]]:
        """``(version, package)`` of every ``name`` (at version ``only``) in a source."""
        found: list[tuple[str, _Manifest]] = []
        for directory in group:
            for version, path in self._index(directory).get(name, []):
                if only is not None and version not in (None, only):
                    continue
                manifest = self._manifests.package(path)
                if manifest is None or manifest.name != name:
                    continue
                if version is None or version == manifest.version:
                    found.append((manifest.version, manifest))
        return found

    def _index(self, directory: Path) -> dict[str, list[tuple[str | None, Path]]]:
        """Package name -> ``(version from the folder's name or None, folder)``."""
        if directory not in self._indexes:
            index: dict[str, list[tuple[str | None, Path]]] = {}
            for path in _subdirs(directory):
                name, version = _split_name(path.name)
                index.setdefault(name, []).append((version, path))
            self._indexes[directory] = index
        return self._indexes[directory]


_DASH_DIGIT = re.compile(r"-(?=\d)")


def _split_name(folder: str) -> tuple[str, str | None]:
    """``("regex", "1.7.1")`` of ``regex-1.7.1``; ``("regex", None)`` of a plain ``regex``."""
    for match in _DASH_DIGIT.finditer(folder):
        if parse_version(folder[match.end() :]) is not None:
            return folder[: match.start()], folder[match.end() :]
    return folder, None


def _directory_sources(
    root: Path, cargo_home: Path, manifests: _Manifests
) -> tuple[list[list[Path]], str]:
    """Directory sources of the Cargo configuration, crates-io's replacement first, and
    a note when that replacement is a source not readable here (a ``local-registry``'s
    archives, a remote ``registry``).

    Config files are read from ``root`` up, then ``$CARGO_HOME``, the nearest winning.
    """
    sources: dict[str, _Table] = {}
    for config in _config_files(root, cargo_home):
        base = config.parent.parent
        for name, spec in _table(_table(manifests.table(config)).get("source")).items():
            merged = sources.setdefault(name, {})
            for key, value in _table(spec).items():
                if key in ("directory", "local-registry") and isinstance(value, str):
                    value = (base / value).resolve()
                merged.setdefault(key, value)
    name, seen = "crates-io", set()
    while name not in seen and isinstance(sources.get(name, {}).get("replace-with"), str):
        seen.add(name)
        name = sources[name]["replace-with"]
    replacement = sources.get(name, {})
    unread = next(
        (
            f"{kind} {replacement[kind]} not read"
            for kind in ("local-registry", "registry")
            if kind in replacement
        ),
        "",
    )
    directories = [s["directory"] for s in sources.values() if isinstance(s.get("directory"), Path)]
    first = replacement.get("directory")
    ordered = ([first] if isinstance(first, Path) else []) + [d for d in directories if d != first]
    return [[d] for d in ordered], unread


def _config_files(root: Path, cargo_home: Path) -> list[Path]:
    """``.cargo/config[.toml]`` of ``root`` and each parent, then ``$CARGO_HOME``'s."""
    found: list[Path] = []
    folders = [folder / ".cargo" for folder in (root, *root.parents)] + [cargo_home]
    for folder in folders:
        for name in ("config", "config.toml"):  # cargo prefers the legacy name
            path = (folder / name).resolve()
            if path.is_file() and path not in found:
                found.append(path)
                break
    return found


def _subdirs(directory: Path) -> list[Path]:
    try:
        return [Path(e.path) for e in os.scandir(directory) if e.is_dir()]
    except OSError:
        return []


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


@dataclass(slots=True)
class _Node:
    """A package being resolved: its features and dependencies as they are enabled."""

    manifest: _Manifest
    origin: str
    #: Dependency key -> its entries active for the target.
    specs: dict[str, list[_Dep]]
    features: set[str] = field(default_factory=set)
    active: set[str] = field(default_factory=set)
    #: Dependency key -> package key, for each active dependency that was found.
    edges: dict[str, str] = field(default_factory=dict)
    #: Dependency key -> the features this package asks of it (``x/f``, ``x?/f``).
    wanted: dict[str, set[str]] = field(default_factory=dict)


class _Resolver:
    """Cargo's feature unification over the packages reached from a workspace's members."""

    def __init__(self, root: Path, cargo_home: Path, target: CfgSet) -> None:
        self.root = root
        self.target = target
        self.manifests = _Manifests()
        self.lock = _read_lock(self.manifests.table(root / "Cargo.lock"))
        self.sources = _Sources(root, cargo_home, self.manifests)
        self.nodes: dict[str, _Node] = {}
        self.members: list[str] = []
        self.missing: dict[str, None] = {}
        self.queue: list[tuple[bool, str, str]] = []  # (is a feature, package key, name)
        self.patches = self._patches()

    def run(self) -> DependencyGraph:
        """Resolve every member with its default features and return the graph."""
        data = self.manifests.table(self.root / "Cargo.toml")
        for directory in _members(self.root, data or {}):
            manifest = self.manifests.package(directory)
            if manifest is not None:
                self._member(self._add(manifest, "workspace"))
        while self.queue:
            is_feature, key, name = self.queue.pop()
            if is_feature:
                self._enable(key, name)
            else:
                self._activate(key, name)
        return DependencyGraph(
            packages={key: self._package(node) for key, node in self.nodes.items()},
            members=self.members,
            missing=list(self.missing),
        )

    def _member(self, key: str) -> None:
        if key not in self.members:
            self.members.append(key)
            self.queue.append((True, key, "default"))

    def _add(self, manifest: _Manifest, origin: str) -> str:
        """The key of ``manifest``'s node, made (its required dependencies queued) if new."""
        key = f"{manifest.name} {manifest.version}"
        if key not in self.nodes:
            specs: dict[str, list[_Dep]] = {}
            for dep in manifest.deps:
                if dep.target is None or target_matches(dep.target, self.target):
                    specs.setdefault(dep.key, []).append(dep)
            self.nodes[key] = _Node(manifest, origin, specs)
            for dep_key, entries in specs.items():
                if any(not dep.optional for dep in entries):
                    self.queue.append((False, key, dep_key))
        return key

    def _enable(self, key: str, feature: str) -> None:
        """Turn ``feature`` on in package ``key`` and queue what it enables."""
        node = self.nodes[key]
        if feature in node.features:
            return
        node.features.add(feature)
        for value in node.manifest.features.get(feature, ()):
            if value.startswith("dep:"):
                self.queue.append((False, key, value[4:]))
            elif "/" in value:
                dep_key, sub = value.split("/", 1)
                weak = dep_key.endswith("?")
                dep_key = dep_key.removesuffix("?")
                node.wanted.setdefault(dep_key, set()).add(sub)
                if dep_key in node.edges:
                    self.queue.append((True, node.edges[dep_key], sub))
                if not weak:
                    self.queue.append((False, key, dep_key))
                    if dep_key in node.manifest.features:
                        self.queue.append((True, key, dep_key))
            else:
                self.queue.append((True, key, value))

    def _activate(self, key: str, dep_key: str) -> None:
        """Turn on dependency ``dep_key`` of package ``key``: find it, ask its features."""
        node = self.nodes[key]
        entries = node.specs.get(dep_key)
        if dep_key in node.active or not entries:
            return
        node.active.add(dep_key)
        if dep_key in node.manifest.implicit:
            self.queue.append((True, key, dep_key))
        found = self._locate(node, entries[0])
        if found is None:
            return
        origin = "dependency"
        if entries[0].path is not None and node.origin == "workspace":
            origin = "workspace" if found.directory.is_relative_to(self.root) else origin
        target = self._add(found, origin)
        if origin == "workspace":
            self._member(target)
        node.edges[dep_key] = target
        asked = set(node.wanted.get(dep_key, ()))
        for dep in entries:
            asked.update(dep.features)
            if dep.default_features:
                asked.add("default")
        self.queue.extend((True, target, feature) for feature in sorted(asked))

    def _locate(self, node: _Node, dep: _Dep) -> _Manifest | None:
        """The package ``dep`` of ``node`` names, or None (and why, in ``missing``)."""
        patch = self.patches.get(dep.package) if dep.path is None else None
        if patch is not None:
            dep = replace(dep, path=patch.path, git=patch.git, rev=patch.rev)
        if dep.path is not None:
            found = self.manifests.package(dep.path)
            why = f"no package in {dep.path}"
        elif dep.git is not None:
            version = self.lock.version(node.manifest, dep)
            source = self.lock.sources.get((dep.package, version)) if version else None
            found = self.sources.git(dep, source)
            why = f"no checkout of {dep.git}"
        else:
            version = self.lock.version(node.manifest, dep)
            if version is not None:
                found = self.sources.find(dep.package, version)
                why = f"locked {version}, not in {self.sources.describe()}"
            else:
                found = self.sources.newest(dep.package, dep.req)
                why = f"no match in {self.sources.describe()}"
        if found is None or found.name != dep.package:
            self.missing[f"{dep.package} {dep.req or '*'} ({why})"] = None
            return None
        return found

    def _patches(self) -> dict[str, _Dep]:
        """``[patch.<source>]`` entries of the root manifest with a path or a git source."""
        data = _table(self.manifests.table(self.root / "Cargo.toml"))
        patches: dict[str, _Dep] = {}
        for table in _table(data.get("patch")).values():
            for key, spec in _table(table).items():
                dep = _dep(key, spec, self.root, None)
                if dep is not None and (dep.path is not None or dep.git is not None):
                    patches.setdefault(dep.package, dep)
        return patches

    def _package(self, node: _Node) -> Package:
        manifest = node.manifest
        deps = []
        for dep_key, target in node.edges.items():
            renamed = node.specs[dep_key][0].package != dep_key
            lib = self.nodes[target].manifest.lib_name
            deps.append((dep_key.replace("-", "_") if renamed else lib, target))
        return Package(
            name=manifest.name,
            version=manifest.version,
            root=manifest.directory,
            lib_name=manifest.lib_name,
            lib_path=manifest.lib_path,
            edition=manifest.edition,
            features=frozenset(f for f in node.features if f in manifest.features),
            deps=tuple(sorted(deps)),
            origin=node.origin,
        )


def _members(root: Path, data: _Table) -> list[Path]:
    """The member directories of the workspace whose root manifest is ``data``."""
    found = [root] if isinstance(data.get("package"), dict) else []
    workspace = _table(data.get("workspace"))
    excluded = {(root / e).resolve() for e in workspace.get("exclude", []) if isinstance(e, str)}
    for pattern in workspace.get("members", []):
        if not isinstance(pattern, str):
            continue
        matches = (
            sorted(root.glob(pattern)) if any(c in pattern for c in "*?[") else [root / pattern]
        )
        for path in matches:
            path = path.resolve()
            if (path / "Cargo.toml").is_file() and path not in excluded and path not in found:
                found.append(path)
    return found
