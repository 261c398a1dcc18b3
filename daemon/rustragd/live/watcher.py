"""Watches one workspace with watchfiles and hands over coalesced batches of changes.

Only ``.rs`` files, ``Cargo.toml`` files and ``.gitignore`` files are reported;
``target/``, ``.git/`` and whatever the .gitignore files ignore never are.
While ``.git/index.lock`` exists (a checkout, rebase or merge is writing the
tree) changes are held back, so the whole operation arrives as one batch.

Freshness uses watchman's cookie files: :meth:`WorkspaceWatcher.cookie` writes
``.rustrag-cookie-<pid>-<n>`` (in the workspace's ``.git/`` directory when it
has one, else at its root) and returns once the batch that saw it has been
processed by ``on_batch``. Inotify delivers events in order, so every change
made before the call was in that batch or an earlier one, and batches are
processed one at a time: the change has been applied, not merely seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from watchfiles import Change, DefaultFilter, awatch

from rustragd.project.walker import SKIPPED_DIRS, IgnoreRules

__all__ = ["COOKIE_PREFIX", "ChangeBatch", "RustFilter", "WorkspaceWatcher", "git_dir"]

logger = logging.getLogger(__name__)

#: Name prefix of cookie files; the pid and a counter follow.
COOKIE_PREFIX = ".rustrag-cookie-"

_WATCHED_NAMES = frozenset({"Cargo.toml", ".gitignore"})


def _interesting(name: str) -> bool:
    """Whether a file of this name is reported."""
    return name.endswith(".rs") or name in _WATCHED_NAMES


@dataclass(slots=True)
class ChangeBatch:
    """One coalesced set of changes, as workspace-relative ``/`` paths.

    Apply in this order: ``removed_dirs`` (drop every indexed file under each),
    ``removed``, then ``changed``. ``changed``/``removed`` hold ``.rs`` files
    only, by their state on disk when the batch was cut (created then deleted
    within a batch: removed). ``manifests`` are the ``Cargo.toml`` files that
    changed or vanished. ``gitignore_changed`` or ``rescan`` ask for a full
    reconciliation of the file set (``rescan``: the watch (re)started and
    events may have been missed). ``root_missing``: the workspace root is gone;
    the watcher waits for it to come back, then sends a ``rescan`` batch.
    """

    changed: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)
    removed_dirs: set[str] = field(default_factory=set)
    manifests: set[str] = field(default_factory=set)
    gitignore_changed: bool = False
    rescan: bool = False
    root_missing: bool = False
    cookies: set[str] = field(default_factory=set)

    @property
    def empty(self) -> bool:
        """Nothing to apply (at most cookies)."""
        return not (
            self.changed
            or self.removed
            or self.removed_dirs
            or self.manifests
            or self.gitignore_changed
            or self.rescan
            or self.root_missing
        )


def git_dir(root: Path) -> Path | None:
    """The git directory of the repository holding ``root`` (worktrees included), if any."""
    for folder in (root, *root.parents):
        dot_git = folder / ".git"
        if dot_git.is_dir():
            return dot_git
        if dot_git.is_file():
            with contextlib.suppress(OSError, UnicodeDecodeError):
                text = dot_git.read_text(encoding="utf-8").strip()
                if text.startswith("gitdir:"):
                    return (folder / text[len("gitdir:") :].strip()).resolve()
            return None
    return None


class RustFilter(DefaultFilter):
    """Keeps Rust sources, manifests, .gitignore files, new and vanished directories, cookies.

    Paths are judged relative to the root, so a root inside a folder named
    ``target`` still works. ``dirs`` is the watcher's set of known directories
    (to recognise a directory's deletion, which can no longer be stat'ed).
    """

    ignore_dirs = tuple(sorted(SKIPPED_DIRS))

    def __init__(self, root: Path, rules: IgnoreRules, dirs: set[str], lock: str | None) -> None:
        super().__init__()
        self._prefix = str(root) + os.sep
        self._root = str(root)
        self._rules = rules
        self._dirs = dirs
        #: The git lock file, relative to the root, when it lies inside it.
        self.lock = lock

    def relative(self, path: str) -> str | None:
        """``path`` relative to the root, ``/``-separated; ``""`` for the root, None outside."""
        if path == self._root:
            return ""
        if not path.startswith(self._prefix):
            return None
        rel = path[len(self._prefix) :]
        return rel if os.sep == "/" else rel.replace(os.sep, "/")

    def __call__(self, change: Change, path: str) -> bool:
        rel = self.relative(path)
        if rel is None:
            return False
        if rel == "":
            return change == Change.deleted
        if rel == self.lock:
            return True
        name = rel.rpartition("/")[2]
        if name.startswith(COOKIE_PREFIX):
            return change != Change.deleted
        if not super().__call__(change, rel):
            return False
        if _interesting(name):
            return not self._rules.ignored(rel)
        if change == Change.deleted:
            return rel in self._dirs
        if change == Change.added:
            return os.path.isdir(path) and not self._rules.ignored(rel, is_dir=True)
        return False


@dataclass(slots=True)
class _Pending:
    """What arrived since the last delivered batch."""

    paths: set[str] = field(default_factory=set)
    removed_dirs: set[str] = field(default_factory=set)
    cookies: set[str] = field(default_factory=set)
    rescan: bool = False

    def __bool__(self) -> bool:
        return bool(self.paths or self.removed_dirs or self.cookies or self.rescan)


class WorkspaceWatcher:
    """Watches ``root`` and awaits ``on_batch`` for each coalesced batch, one at a time.

    ``debounce_ms`` bounds how long changes are gathered into one batch;
    ``step_ms`` is the quiet time that ends a batch early (and watchfiles'
    polling period: lower is faster, costs idle CPU). Lock files older than
    ``max_hold_s`` are treated as stale. With ``rescan_on_start`` the first
    batch, sent once the watch is in place, is a ``rescan`` one.
    """

    def __init__(
        self,
        root: Path,
        on_batch: Callable[[ChangeBatch], Awaitable[None]],
        debounce_ms: int = 30,
        step_ms: int = 5,
        *,
        max_hold_s: float = 30.0,
        rescan_on_start: bool = True,
    ) -> None:
        self.root = Path(os.path.abspath(root))
        self._on_batch = on_batch
        self._debounce_ms = debounce_ms
        self._step_ms = step_ms
        self._max_hold_s = max_hold_s
        self._stop = asyncio.Event()
        self._watching = asyncio.Event()
        self._rules = IgnoreRules(self.root)
        self._dirs: set[str] = set()
        self._pending = _Pending(rescan=rescan_on_start)
        self._cookies: dict[str, asyncio.Future[None]] = {}
        self._seen_cookies: list[str] = []
        self._counter = itertools.count()
        self._rounds = 0
        self._round_done = asyncio.Condition()
        self._poller: asyncio.Task[None] | None = None
        self._lock: Path | None = None
        self._filter = RustFilter(self.root, self._rules, self._dirs, None)

    # -- public API -----------------------------------------------------------

    async def run(self) -> None:
        """Watch until :meth:`stop`; a vanished root is reported and waited for."""
        try:
            while not self._stop.is_set():
                if not self.root.is_dir():
                    await self._root_missing()
                    continue
                self._rules.clear()
                self._scan_dirs()
                self._find_git()
                try:
                    await self._watch()
                except (OSError, RuntimeError) as exc:  # watchfiles' internal errors
                    logger.warning("watching %s failed (%s); restarting", self.root, exc)
                    await self._sleep(0.5)
                self._watching.clear()
                self._pending.rescan = True
        finally:
            self._stop.set()
            self._watching.clear()
            if self._poller:
                self._poller.cancel()
            for future in self._cookies.values():
                if not future.done():
                    future.set_exception(RuntimeError("the watcher stopped"))

    def stop(self) -> None:
        """Ask :meth:`run` to return (within one step)."""
        self._stop.set()

    async def cookie(self, timeout: float) -> None:
        """Return once every change made before the call has been through ``on_batch``.

        Raises ``TimeoutError`` after ``timeout`` seconds (for instance while
        a git lock holds changes back). When no cookie can be written (a
        read-only root) it waits for two full rounds of the watch loop
        instead: changes seen by then are applied, but a round lasts up to
        one second when idle.
        """
        async with asyncio.timeout(timeout):
            await self._watching.wait()
            name = f"{COOKIE_PREFIX}{os.getpid()}-{next(self._counter)}"
            future = asyncio.get_running_loop().create_future()
            self._cookies[name] = future
            try:
                if self._write_cookie(name):
                    await future
                else:
                    await self._two_rounds()
            finally:
                del self._cookies[name]

    # -- the watch loop ---------------------------------------------------------

    async def _watch(self) -> None:
        changes = awatch(
            self.root,
            watch_filter=self._filter,
            debounce=self._debounce_ms,
            step=self._step_ms,
            stop_event=self._stop,
            rust_timeout=1000,
            yield_on_timeout=True,
            ignore_permission_denied=True,
        )
        # awatch installs its inotify watches synchronously in its first __anext__;
        # this callback runs at that call's first await, so the cookie is seen.
        asyncio.get_running_loop().call_soon(self._start_cookie)
        async for raw in changes:
            root_gone = self._absorb(raw)
            if root_gone or not self.root.is_dir():
                self._pending = _Pending(cookies=self._pending.cookies)
                return
            if self._held():
                self._hold()
            elif self._pending:
                await self._flush()
            elif not raw:
                self._remove_cookies()
            await self._end_round()
        self._remove_cookies()

    def _remove_cookies(self) -> None:
        """Delete seen cookies when idle: their events would lengthen the next batch."""
        for name in self._seen_cookies:
            for folder in self._cookie_dirs():
                with contextlib.suppress(OSError):
                    os.unlink(folder / name)
        self._seen_cookies.clear()

    def _start_cookie(self) -> None:
        name = f"{COOKIE_PREFIX}{os.getpid()}-start-{next(self._counter)}"
        if not self._write_cookie(name):
            self._watching.set()

    def _absorb(self, raw: set[tuple[Change, str]]) -> bool:
        """Add a raw watchfiles batch to the pending changes; True when the root was deleted."""
        root_gone = False
        for change, path in raw:
            rel = self._filter.relative(path)
            if rel is None or rel == self._filter.lock:
                continue
            if rel == "":
                root_gone = True
                continue
            name = rel.rpartition("/")[2]
            if name.startswith(COOKIE_PREFIX):
                self._pending.cookies.add(name)
            elif change == Change.deleted and rel in self._dirs:
                self._pending.removed_dirs.add(rel)
                self._forget_dir(rel)
            elif change == Change.added and os.path.isdir(path):
                self._add_dir(rel)
            else:
                self._pending.paths.add(rel)
        return root_gone

    async def _flush(self) -> None:
        """Cut the pending changes into a batch, apply it, then release its cookies."""
        pending, self._pending = self._pending, _Pending()
        batch = ChangeBatch(removed_dirs=pending.removed_dirs, rescan=pending.rescan)
        for rel in pending.paths:
            name = rel.rpartition("/")[2]
            exists = os.path.isfile(self.root / rel)
            if name == ".gitignore":
                batch.gitignore_changed = True
            elif name == "Cargo.toml":
                batch.manifests.add(rel)
            else:
                (batch.changed if exists else batch.removed).add(rel)
        if batch.gitignore_changed:
            self._rules.clear()
            self._scan_dirs()
        ours = f"{COOKIE_PREFIX}{os.getpid()}-"
        for name in pending.cookies:
            if name.startswith(ours):
                self._seen_cookies.append(name)
            if name.startswith(ours + "start-"):
                self._watching.set()
        batch.cookies = {name for name in pending.cookies if name in self._cookies}
        error: BaseException | None = None
        if not batch.empty:
            try:
                await self._on_batch(batch)
            except Exception as exc:
                logger.exception("applying a batch of %s failed", self.root)
                error = exc
        for name in batch.cookies:
            future = self._cookies.get(name)
            if future is not None and not future.done():
                if error is None:
                    future.set_result(None)
                else:
                    future.set_exception(RuntimeError(f"applying changes failed: {error}"))

    async def _end_round(self) -> None:
        async with self._round_done:
            self._rounds += 1
            self._round_done.notify_all()

    async def _two_rounds(self) -> None:
        async with self._round_done:
            target = self._rounds + 2
            await self._round_done.wait_for(lambda: self._rounds >= target)

    # -- git locks --------------------------------------------------------------

    def _held(self) -> bool:
        """Whether a fresh ``index.lock`` says git is writing the tree."""
        if self._lock is None:
            return False
        try:
            modified = self._lock.stat().st_mtime
        except OSError:
            return False
        return time.time() - modified < self._max_hold_s

    def _hold(self) -> None:
        """Keep the pending changes; a poller writes a cookie once the lock is gone."""
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll_lock())

    async def _poll_lock(self) -> None:
        while self._held() and not self._stop.is_set():
            await self._sleep(0.02)
        # The lock's removal may be outside the watched tree: wake the loop with a cookie.
        self._write_cookie(f"{COOKIE_PREFIX}{os.getpid()}-lock-{next(self._counter)}")

    # -- helpers ----------------------------------------------------------------

    async def _root_missing(self) -> None:
        """Report the root gone, release waiters, then wait for it to come back."""
        await self._flush_missing()
        while not self._stop.is_set() and not self.root.is_dir():
            await self._sleep(0.25)
        self._pending.rescan = True

    async def _flush_missing(self) -> None:
        logger.warning("workspace root %s is gone; waiting for it", self.root)
        try:
            await self._on_batch(ChangeBatch(root_missing=True))
        except Exception:
            logger.exception("reporting the loss of %s failed", self.root)
        for future in self._cookies.values():
            if not future.done():
                future.set_result(None)

    def _find_git(self) -> None:
        """Locate the git lock file; the filter passes it when it lies inside the root."""
        gitdir = git_dir(self.root)
        self._lock = gitdir / "index.lock" if gitdir else None
        self._filter.lock = self._relative(self._lock)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    def _cookie_dirs(self) -> tuple[Path, Path]:
        """Cookie folders: ``.git/`` (unseen by ``git status``, editors), else the root."""
        return self.root / ".git", self.root

    def _write_cookie(self, name: str) -> bool:
        for folder in self._cookie_dirs():
            try:
                with open(folder / name, "wb"):
                    return True
            except OSError:
                continue
        return False

    def _relative(self, path: Path | None) -> str | None:
        if path is None:
            return None
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return None

    def _scan_dirs(self) -> None:
        """Refill the set of known, not ignored directories."""
        self._dirs.clear()
        self._walk_dirs(self.root, "", report=False)

    def _add_dir(self, rel: str) -> None:
        """A directory appeared: know it and its subdirectories, report the files already in it."""
        self._dirs.add(rel)
        self._walk_dirs(self.root / rel, rel + "/", report=True)

    def _forget_dir(self, rel: str) -> None:
        prefix = rel + "/"
        self._dirs.difference_update([d for d in self._dirs if d == rel or d.startswith(prefix)])

    def _walk_dirs(self, folder: Path, base: str, report: bool) -> None:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for entry in entries:
            rel = base + entry.name
            if entry.is_dir(follow_symlinks=False):
                if not self._rules.ignored(rel, is_dir=True):
                    self._dirs.add(rel)
                    self._walk_dirs(Path(entry.path), rel + "/", report)
            elif report and _interesting(entry.name) and not self._rules.ignored(rel):
                self._pending.paths.add(rel)
