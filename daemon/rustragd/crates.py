"""Cargo crates of a workspace, and the module path of each source file.

Module paths follow Cargo's file layout (``src/a/b.rs`` is ``crate::a::b``);
``#[path]`` attributes and ``mod`` declarations are not followed yet, so
:func:`module_path_for` is the one place to replace with a ``mod`` walk.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

__all__ = ["Crate", "discover_crates", "module_path_for"]

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
    )


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
