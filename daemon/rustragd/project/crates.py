"""Cargo crates of a workspace, and where each source file sits in them.

:func:`placements` walks the module tree from every crate root (library,
binaries, tests, examples, benches, build script) through ``mod x;``
declarations, ``#[path]`` attributes and inline ``mod`` blocks, as rustc does,
and gives each file its module path, the kind of target whose root reaches it
and its package; a file no root reaches gets them from Cargo's file layout
(:func:`module_path_for`: ``src/a/b.rs`` is ``crate::a::b``).
"""

from __future__ import annotations

import os
import posixpath
import tomllib
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from rustragd.project.cfg import CfgSet, cfg_active
from rustragd.project.mods import ModDecl, mod_declarations

__all__ = [
    "TARGET_KINDS",
    "Crate",
    "Placement",
    "discover_crates",
    "library_modules",
    "module_path_for",
    "module_paths",
    "placements",
]

_SKIP_DIRS = frozenset({"target", ".git"})
#: The kind of target a file belongs to, as hits name it (a manifest's target tables
#: are named so too: ``[[bin]]``, ``[[test]]``, ``[[bench]]``, ``[[example]]``).
TARGET_KINDS = ("lib", "bin", "test", "bench", "example", "build")
#: Target kind of the files of each target directory.
_DIR_KINDS = {"tests": "test", "benches": "bench", "examples": "example"}
_TARGET_DIRS = frozenset(_DIR_KINDS)


@dataclass(frozen=True, slots=True)
class Crate:
    """A Cargo package: its library crate name and where it lives.

    ``root`` is the package directory relative to the workspace root, with
    ``/`` separators ("" for the root itself); ``lib_path`` its library root
    file relative to ``root`` (``src/lib.rs`` unless ``[lib] path`` says otherwise).
    """

    name: str
    root: str
    lib_path: str = "src/lib.rs"
    #: ``(crate name, root file relative to root, kind)`` of ``[[bin]]``/``[[test]]``/...
    #: with a path; ``kind`` is one of :data:`TARGET_KINDS`.
    targets: tuple[tuple[str, str, str], ...] = ()
    #: The package's name and version as its manifest writes them (``version.workspace``
    #: read from the workspace's ``[workspace.package]``); not part of its identity.
    package: str = field(default="", compare=False)
    version: str = field(default="", compare=False)

    @property
    def label(self) -> str:
        """``"<package> <version>"`` (the package alone when it has no version)."""
        package = self.package or self.name
        return f"{package} {self.version}" if self.version else package


class Placement(NamedTuple):
    """Where a source file sits: its module path (crate name first), the kind of target
    whose root reaches it (:data:`TARGET_KINDS`) and its package's :attr:`Crate.label`."""

    module: list[str]
    target: str
    crate: str
    #: The ``#[cfg]`` lines of the ``mod`` declarations that reach it, one a line ("":
    #: none, or declarations under other conditions reach it too): once_cell's three
    #: ``#[cfg(..)] #[path = ..] mod imp;`` compile one of their files each.
    gate: str = ""


def discover_crates(root: Path) -> list[Crate]:
    """Every package (``Cargo.toml`` with ``[package]``) under ``root``, by directory."""
    crates: list[Crate] = []
    versions: dict[str, str] = {}  # directory -> its workspace's [workspace.package] version
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        if "Cargo.toml" in files:
            rel_dir = Path(folder).relative_to(root).as_posix()
            data = _read_toml(Path(folder) / "Cargo.toml")
            if data is None:
                continue
            shared = _workspace_version(data)
            if shared:
                versions[rel_dir] = shared
            crate = _crate(data, "" if rel_dir == "." else rel_dir, versions)
            if crate is not None:
                crates.append(crate)
    return sorted(crates, key=lambda c: c.root)


def _read_toml(manifest: Path) -> dict[str, object] | None:
    """A manifest's tables, or None when unreadable."""
    try:
        return tomllib.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None


def _workspace_version(data: dict[str, object]) -> str:
    """The ``[workspace.package] version`` members inherit, or ""."""
    workspace = data.get("workspace")
    package = workspace.get("package") if isinstance(workspace, dict) else None
    version = package.get("version") if isinstance(package, dict) else None
    return version if isinstance(version, str) else ""


def _crate(data: dict[str, object], root: str, versions: dict[str, str]) -> Crate | None:
    """The crate a manifest declares, or None (virtual workspace, malformed)."""
    package = data.get("package")
    lib = data.get("lib")
    if not isinstance(package, dict) or not isinstance(package.get("name"), str):
        return None
    if not isinstance(lib, dict):
        lib = {}
    name = lib.get("name", package["name"])
    lib_path = lib.get("path", "src/lib.rs")
    if not isinstance(name, str) or not isinstance(lib_path, str):
        return None
    version = package.get("version")
    if isinstance(version, dict) and version.get("workspace") is True:
        version = _inherited(versions, root)
    return Crate(
        name=name.replace("-", "_"),
        root=root,
        lib_path=PurePosixPath(lib_path).as_posix(),
        targets=_targets(data),
        package=package["name"],
        version=version if isinstance(version, str) else "",
    )


def _inherited(versions: dict[str, str], root: str) -> str:
    """The workspace version of the nearest directory at or above ``root`` that has one."""
    folder = PurePosixPath(root or ".")
    for candidate in (folder, *folder.parents):
        found = versions.get(candidate.as_posix())
        if found:
            return found
    return ""


def _targets(data: dict[str, object]) -> tuple[tuple[str, str, str], ...]:
    """Named targets with an explicit ``path`` (``[[bin]] name = "x" path = "tools/x.rs"``)."""
    found: list[tuple[str, str, str]] = []
    for table in ("bin", "test", "example", "bench"):
        entries = data.get(table)
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict):
                name, path = entry.get("name"), entry.get("path")
                if isinstance(name, str) and isinstance(path, str):
                    found.append((_ident(name), PurePosixPath(path).as_posix(), table))
    return tuple(found)


def module_paths(root: Path, crates: list[Crate], files: list[str]) -> dict[str, list[str]]:
    """Module path (crate name first) of every workspace-relative ``.rs`` path in ``files``
    (the modules of :func:`placements`)."""
    return {rel: placed.module for rel, placed in placements(root, crates, files).items()}


def placements(root: Path, crates: list[Crate], files: list[str]) -> dict[str, Placement]:
    """Where every workspace-relative ``.rs`` path in ``files`` sits.

    Paths reached from a crate root through ``mod`` declarations get the module path
    rustc gives them and the root's target; the others fall back to Cargo's layout
    (:func:`module_path_for`).
    """
    known = set(files)
    roots = [
        (rel, Placement([name], target, crate.label))
        for rel, name, target, crate in _roots(crates, known)
    ]
    found = _reached(root, roots, known)
    for rel in files:
        if rel not in found:
            found[rel] = _layout_placement(crates, rel)
    return found


def library_modules(
    root: Path, name: str, lib_path: str, files: list[str], active: CfgSet
) -> dict[str, list[str]]:
    """Module path of each of ``files`` (relative to the package directory ``root``) that
    the library root ``lib_path`` of crate ``name`` reaches through the ``mod``
    declarations compiled under ``active``; the others are not compiled."""
    roots = [(posixpath.normpath(lib_path), Placement([name], "lib", name))]
    found = _reached(root, roots, set(files), active)
    return {rel: placed.module for rel, placed in found.items()}


def _reached(
    root: Path,
    roots: list[tuple[str, Placement]],
    known: set[str],
    active: CfgSet | None = None,
) -> dict[str, Placement]:
    """Placements of the files of ``known`` that ``roots`` reach through ``mod`` (those
    compiled under ``active``, unless None), each with its root's target and package."""
    found: dict[str, Placement] = {}
    queue: deque[tuple[str, Placement, bool]] = deque(
        (rel, placed, True) for rel, placed in roots if rel in known
    )
    while queue:
        rel, placed, mod_rs = queue.popleft()
        if rel in found:
            if found[rel].gate != placed.gate:  # reached under another condition too
                found[rel] = found[rel]._replace(gate="")
            continue
        found[rel] = placed
        try:
            source = (root / rel).read_bytes()
        except OSError:
            continue
        for decl in mod_declarations(source):
            if active is not None and not cfg_active("\n".join(decl.cfg), active):
                continue
            child = _declared_file(rel, mod_rs, decl, known)
            if child is not None:
                names = [name for name, _ in decl.inline]
                module = [*placed.module, *names, decl.name]
                gate = "\n".join(line for line in (placed.gate, *decl.cfg) if line)
                queue.append((child[0], placed._replace(module=module, gate=gate), child[1]))
    return found


def _roots(crates: list[Crate], known: set[str]) -> list[tuple[str, str, str, Crate]]:
    """``(file, crate name, target kind, package)`` of every crate root, libraries first."""
    roots: list[tuple[str, str, str, Crate]] = []
    for crate in crates:
        roots.append((_join(crate.root, crate.lib_path), crate.name, "lib", crate))
    for crate in crates:
        roots.append((_join(crate.root, "src/main.rs"), crate.name, "bin", crate))
        roots.extend(
            (_join(crate.root, path), name, kind, crate) for name, path, kind in crate.targets
        )
        prefix = f"{crate.root}/" if crate.root else ""
        for rel in sorted(known):
            if not rel.startswith(prefix):
                continue
            parts = PurePosixPath(rel[len(prefix) :]).parts
            is_target = (len(parts) == 3 and parts[:2] == ("src", "bin")) or (
                len(parts) == 2 and parts[0] in _TARGET_DIRS
            )
            nested_main = (len(parts) == 4 and parts[:2] == ("src", "bin")) or (
                len(parts) == 3 and parts[0] in _TARGET_DIRS
            )
            if is_target or (nested_main and parts[-1] == "main.rs") or parts == ("build.rs",):
                name = _layout_module_path(crate, parts)[0]
                roots.append((rel, name, _layout_target(crate, parts), crate))
    return roots


def _declared_file(
    rel: str, mod_rs: bool, decl: ModDecl, known: set[str]
) -> tuple[str, bool] | None:
    """The file a ``mod`` declaration in ``rel`` loads, and whether it is a mod-rs file."""
    folder = posixpath.dirname(rel)
    if not mod_rs:
        folder = posixpath.join(folder, PurePosixPath(rel).stem)
    for name, attr in decl.inline:
        folder = posixpath.join(folder, attr or name)
    if decl.path_attr:
        base = folder if decl.inline else posixpath.dirname(rel)
        path = posixpath.normpath(posixpath.join(base, decl.path_attr))
        return (path, True) if path in known else None
    flat = posixpath.join(folder, decl.name + ".rs")
    if flat in known:
        return flat, False
    nested = posixpath.join(folder, decl.name, "mod.rs")
    return (nested, True) if nested in known else None


def _join(folder: str, rel: str) -> str:
    return posixpath.normpath(posixpath.join(folder, rel)) if folder else posixpath.normpath(rel)


def module_path_for(crates: list[Crate], rel_path: str) -> list[str]:
    """Crate name then modules of a workspace-relative ``.rs`` file, from Cargo's layout."""
    crate = _owning_crate(crates, rel_path)
    if crate is None:
        return [_ident(PurePosixPath(rel_path).stem)]
    inner = rel_path[len(crate.root) + 1 :] if crate.root else rel_path
    return _layout_module_path(crate, PurePosixPath(inner).parts)


def _layout_placement(crates: list[Crate], rel_path: str) -> Placement:
    """Where Cargo's layout puts a file no crate root reaches (outside every package: a
    library named after the file)."""
    crate = _owning_crate(crates, rel_path)
    if crate is None:
        name = _ident(PurePosixPath(rel_path).stem)
        return Placement([name], "lib", name)
    parts = PurePosixPath(rel_path[len(crate.root) + 1 :] if crate.root else rel_path).parts
    return Placement(_layout_module_path(crate, parts), _layout_target(crate, parts), crate.label)


def _layout_target(crate: Crate, parts: tuple[str, ...]) -> str:
    """Target kind of a file at ``parts`` inside ``crate``'s directory, from Cargo's layout."""
    if "/".join(parts) == crate.lib_path:
        return "lib"
    if parts == ("build.rs",):
        return "build"
    if parts == ("src", "main.rs") or (len(parts) >= 3 and parts[:2] == ("src", "bin")):
        return "bin"
    if len(parts) >= 2 and parts[0] in _DIR_KINDS:
        return _DIR_KINDS[parts[0]]
    return "lib"


def _owning_crate(crates: list[Crate], rel_path: str) -> Crate | None:
    """The crate whose directory is the deepest one containing ``rel_path``."""
    best: Crate | None = None
    for crate in crates:
        inside = not crate.root or rel_path.startswith(crate.root + "/")
        if inside and (best is None or len(crate.root) > len(best.root)):
            best = crate
    return best


def _layout_module_path(crate: Crate, parts: tuple[str, ...]) -> list[str]:
    """Module path of a file at ``parts`` inside ``crate``'s directory."""
    if "/".join(parts) == crate.lib_path or parts in (("src", "main.rs"), ("src", "lib.rs")):
        return [crate.name]
    if parts == ("build.rs",):
        return ["build_script_build"]
    if len(parts) >= 3 and parts[:2] == ("src", "bin"):
        return _target_path(parts[2:])
    if len(parts) >= 2 and parts[0] in _TARGET_DIRS:
        return _target_path(parts[1:])
    if parts and parts[0] == "src":
        parts = parts[1:]
    return [crate.name, *_modules(parts)]


def _target_path(parts: tuple[str, ...]) -> list[str]:
    """A binary, test, bench or example crate: ``x.rs`` or ``x/main.rs`` is crate ``x``."""
    if len(parts) == 1:
        return [_ident(PurePosixPath(parts[0]).stem)]
    if len(parts) == 2 and parts[1] == "main.rs":
        return [_ident(parts[0])]
    return [_ident(parts[0]), *_modules(parts[1:])]


def _modules(parts: tuple[str, ...]) -> list[str]:
    """``a/b.rs`` -> ``[a, b]``; ``a/mod.rs`` -> ``[a]``."""
    *dirs, last = parts
    stem = PurePosixPath(last).stem
    return [_ident(d) for d in dirs] + ([] if stem == "mod" else [_ident(stem)])


def _ident(name: str) -> str:
    return name.replace("-", "_")
