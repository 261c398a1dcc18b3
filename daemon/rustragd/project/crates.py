"""Cargo crates of a workspace, and the module path of each source file.

:func:`module_paths` walks the module tree from every crate root (library,
binaries, tests, examples, benches, build script) through ``mod x;``
declarations, ``#[path]`` attributes and inline ``mod`` blocks, as rustc does;
a file no root reaches gets its path from Cargo's file layout
(:func:`module_path_for`: ``src/a/b.rs`` is ``crate::a::b``).
"""

from __future__ import annotations

import os
import posixpath
import tomllib
from collections import deque
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from rustragd.project.cfg import CfgSet, cfg_active
from rustragd.project.mods import ModDecl, mod_declarations

__all__ = ["Crate", "discover_crates", "library_modules", "module_path_for", "module_paths"]

_SKIP_DIRS = frozenset({"target", ".git"})
_TARGET_DIRS = frozenset({"tests", "benches", "examples"})


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
    #: ``(crate name, root file relative to root)`` of ``[[bin]]``/``[[test]]``/... with a path.
    targets: tuple[tuple[str, str], ...] = ()


def discover_crates(root: Path) -> list[Crate]:
    """Every package (``Cargo.toml`` with ``[package]``) under ``root``, by directory."""
    crates: list[Crate] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        if "Cargo.toml" in files:
            crate = _read_manifest(Path(folder) / "Cargo.toml", Path(folder).relative_to(root))
            if crate is not None:
                crates.append(crate)
    return sorted(crates, key=lambda c: c.root)


def _read_manifest(manifest: Path, rel_dir: Path) -> Crate | None:
    """The crate a ``Cargo.toml`` declares, or None (virtual workspace, unreadable)."""
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
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
    root = rel_dir.as_posix()
    return Crate(
        name=name.replace("-", "_"),
        root="" if root == "." else root,
        lib_path=PurePosixPath(lib_path).as_posix(),
        targets=_targets(data),
    )


def _targets(data: dict[str, object]) -> tuple[tuple[str, str], ...]:
    """Named targets with an explicit ``path`` (``[[bin]] name = "x" path = "tools/x.rs"``)."""
    found: list[tuple[str, str]] = []
    for table in ("bin", "test", "example", "bench"):
        entries = data.get(table)
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict):
                name, path = entry.get("name"), entry.get("path")
                if isinstance(name, str) and isinstance(path, str):
                    found.append((_ident(name), PurePosixPath(path).as_posix()))
    return tuple(found)


def module_paths(root: Path, crates: list[Crate], files: list[str]) -> dict[str, list[str]]:
    """Module path (crate name first) of every workspace-relative ``.rs`` path in ``files``.

    Paths reached from a crate root through ``mod`` declarations get the path
    rustc gives them; the others fall back to :func:`module_path_for`.
    """
    known = set(files)
    found = _reached(root, _roots(crates, known), known)
    for rel in files:
        if rel not in found:
            found[rel] = module_path_for(crates, rel)
    return found


def library_modules(
    root: Path, name: str, lib_path: str, files: list[str], active: CfgSet
) -> dict[str, list[str]]:
    """Module path of each of ``files`` (relative to the package directory ``root``) that
    the library root ``lib_path`` of crate ``name`` reaches through the ``mod``
    declarations compiled under ``active``; the others are not compiled."""
    known = set(files)
    return _reached(root, [(posixpath.normpath(lib_path), name)], known, active)


def _reached(
    root: Path, roots: list[tuple[str, str]], known: set[str], active: CfgSet | None = None
) -> dict[str, list[str]]:
    """Module paths of the files of ``known`` that ``roots`` reach through ``mod`` (those
    compiled under ``active``, unless None)."""
    found: dict[str, list[str]] = {}
    queue: deque[tuple[str, list[str], bool]] = deque(
        (rel, [name], True) for rel, name in roots if rel in known
    )
    while queue:
        rel, module, mod_rs = queue.popleft()
        if rel in found:
            continue
        found[rel] = module
        try:
            source = (root / rel).read_bytes()
        except OSError:
            continue
        for decl in mod_declarations(source):
            if active is not None and not cfg_active("\n".join(decl.cfg), active):
                continue
            child = _declared_file(rel, mod_rs, decl, known)
            if child is not None and child[0] not in found:
                names = [name for name, _ in decl.inline]
                queue.append((child[0], [*module, *names, decl.name], child[1]))
    return found


def _roots(crates: list[Crate], known: set[str]) -> list[tuple[str, str]]:
    """``(file, crate name)`` of every crate root, libraries first."""
    roots: list[tuple[str, str]] = []
    for crate in crates:
        roots.append((_join(crate.root, crate.lib_path), crate.name))
    for crate in crates:
        roots.append((_join(crate.root, "src/main.rs"), crate.name))
        roots.extend((_join(crate.root, path), name) for name, path in crate.targets)
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
                roots.append((rel, _layout_module_path(crate, parts)[0]))
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
