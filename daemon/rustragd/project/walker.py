"""Finds a workspace's Rust sources, honouring .gitignore files and skipping build output."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pathspec

#: Directory names never descended into.
SKIPPED_DIRS = frozenset({"target", ".git", ".hg", ".svn", "node_modules"})


@dataclass(frozen=True, slots=True)
class _Ignore:
    base: str
    """Workspace-relative directory of the .gitignore, "" at the root, else ending in "/"."""
    spec: pathspec.GitIgnoreSpec

    def matches(self, rel_path: str, is_dir: bool) -> bool:
        if not rel_path.startswith(self.base):
            return False
        local = rel_path[len(self.base) :]
        return self.spec.match_file(local + "/" if is_dir else local)


def _load_ignore(directory: Path, base: str) -> _Ignore | None:
    try:
        text = (directory / ".gitignore").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return _Ignore(base, pathspec.GitIgnoreSpec.from_lines(text.splitlines()))


def rust_sources(root: Path) -> Iterator[str]:
    """Workspace-relative paths (``/`` separators) of the ``.rs`` files under ``root``."""
    ignores: list[_Ignore] = []
    root_ignore = _load_ignore(root, "")
    if root_ignore:
        ignores.append(root_ignore)
    yield from _walk(root, "", ignores)


class IgnoreRules:
    """Whether one workspace-relative path is skipped, exactly as :func:`rust_sources` skips it.

    Each directory's .gitignore is read once and cached; call :meth:`clear`
    when a .gitignore changes.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[str, _Ignore | None] = {}

    def clear(self) -> None:
        """Forget the cached .gitignore files."""
        self._files.clear()

    def ignored(self, rel_path: str, is_dir: bool = False) -> bool:
        """True when ``rel_path`` (``/`` separators) lies in a skipped or ignored place."""
        ignores: list[_Ignore] = []
        base = ""
        parts = rel_path.split("/")
        for name in parts[:-1]:
            self._add(ignores, base)
            base += name
            if name in SKIPPED_DIRS or _ignored(ignores, base, is_dir=True):
                return True
            base += "/"
        self._add(ignores, base)
        if is_dir and parts[-1] in SKIPPED_DIRS:
            return True
        return _ignored(ignores, rel_path, is_dir)

    def _add(self, ignores: list[_Ignore], base: str) -> None:
        if base not in self._files:
            self._files[base] = _load_ignore(self.root / base, base)
        found = self._files[base]
        if found is not None:
            ignores.append(found)


def _ignored(ignores: list[_Ignore], rel_path: str, is_dir: bool) -> bool:
    # Later (deeper) files override earlier ones only through their own negations;
    # a plain "any match" is what git does for the common cases.
    return any(ignore.matches(rel_path, is_dir) for ignore in ignores)


def _walk(directory: Path, base: str, ignores: list[_Ignore]) -> Iterator[str]:
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        rel = base + entry.name
        if entry.is_dir(follow_symlinks=False):
            if entry.name in SKIPPED_DIRS or _ignored(ignores, rel, is_dir=True):
                continue
            nested = _load_ignore(Path(entry.path), rel + "/")
            yield from _walk(Path(entry.path), rel + "/", [*ignores, nested] if nested else ignores)
        elif entry.name.endswith(".rs") and entry.is_file() and not _ignored(ignores, rel, False):
            yield rel
