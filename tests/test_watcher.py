"""The workspace watcher on real files in a temp dir, with real watchfiles."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from rustragd.live.watcher import ChangeBatch, WorkspaceWatcher
from rustragd.project.walker import IgnoreRules, rust_sources

Body = Callable[[WorkspaceWatcher, "Recorder"], Awaitable[None]]


class Recorder:
    """An ``on_batch`` that keeps every batch; optionally slow, to test ordering."""

    def __init__(self, delay: float = 0.0) -> None:
        self.batches: list[ChangeBatch] = []
        self.finished: set[str] = set()
        self.delay = delay
        self._changed = asyncio.Condition()

    async def __call__(self, batch: ChangeBatch) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)
        self.batches.append(batch)
        self.finished |= batch.changed
        async with self._changed:
            self._changed.notify_all()

    async def until(self, seen: Callable[[ChangeBatch], bool], timeout: float = 5) -> None:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: any(seen(b) for b in self.batches))

    def mentioning(self, rel: str) -> list[ChangeBatch]:
        return [b for b in self.batches if rel in b.changed | b.removed]

    def take(self) -> list[ChangeBatch]:
        taken, self.batches = self.batches, []
        return taken


def watched(root: Path, body: Body, recorder: Recorder | None = None, **options: bool) -> None:
    """Run ``body`` against a running watcher of ``root``."""

    async def main() -> None:
        rec = recorder or Recorder()
        watcher = WorkspaceWatcher(root, rec, rescan_on_start=options.get("rescan", False))
        task = asyncio.create_task(watcher.run())
        try:
            await watcher.cookie(5)
            await body(watcher, rec)
        finally:
            watcher.stop()
            await asyncio.wait_for(task, 5)

    asyncio.run(main())


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "src" / "sub").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "Cargo.toml").write_text('[package]\nname = "w"\n')
    (root / ".gitignore").write_text("ignored/\n*.gen.rs\n")
    (root / "src" / "sub" / ".gitignore").write_text("local.rs\n")
    (root / "src" / "lib.rs").write_text("pub fn a() {}\n")
    (root / "src" / "sub" / "mod.rs").write_text("pub fn b() {}\n")
    return root


def test_edits_creates_deletes_and_renames(workspace: Path) -> None:
    src = workspace / "src"

    async def body(watcher: WorkspaceWatcher, rec: Recorder) -> None:
        (src / "new.rs").write_text("fn n() {}\n")
        (src / "lib.rs").write_text("pub fn a() { 1; }\n")
        await watcher.cookie(5)
        changed = set().union(*(b.changed for b in rec.take()))
        assert {"src/new.rs", "src/lib.rs"} <= changed

        (src / "new.rs").rename(src / "renamed.rs")
        await watcher.cookie(5)
        last = rec.take()
        assert "src/new.rs" in set().union(*(b.removed for b in last))
        assert "src/renamed.rs" in set().union(*(b.changed for b in last))

        (src / "renamed.rs").unlink()
        (src / "brief.rs").write_text("")
        (src / "brief.rs").unlink()
        await watcher.cookie(5)
        last = rec.take()
        assert {"src/renamed.rs", "src/brief.rs"} <= set().union(*(b.removed for b in last))
        assert not any("src/brief.rs" in b.changed for b in last)

    watched(workspace, body)


def test_ignored_paths_are_never_reported(workspace: Path) -> None:
    async def body(watcher: WorkspaceWatcher, rec: Recorder) -> None:
        for rel in ("target/debug/x.rs", "ignored/y.rs", ".git/z.rs", "docs/notes.md"):
            (workspace / rel).parent.mkdir(parents=True, exist_ok=True)
            (workspace / rel).write_text("fn x() {}\n")
        (workspace / "src" / "out.gen.rs").write_text("")
        (workspace / "src" / "sub" / "local.rs").write_text("")
        (workspace / "src" / "sub" / "kept.rs").write_text("")
        await watcher.cookie(5)
        reported = set().union(*(b.changed | b.removed for b in rec.batches))
        assert reported == {"src/sub/kept.rs"}

    watched(workspace, body)


def test_manifests_gitignore_and_directories(workspace: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "deep" / "d.rs").write_text("")
    (outside / "top.rs").write_text("")

    async def body(watcher: WorkspaceWatcher, rec: Recorder) -> None:
        (workspace / "Cargo.toml").write_text('[package]\nname = "v"\n')
        (workspace / ".gitignore").write_text("ignored/\n")
        await watcher.cookie(5)
        assert any(b.manifests == {"Cargo.toml"} for b in rec.batches)
        assert any(b.gitignore_changed for b in rec.batches)

        outside.rename(workspace / "src" / "moved")
        await watcher.cookie(5)
        changed = set().union(*(b.changed for b in rec.take()))
        assert {"src/moved/top.rs", "src/moved/deep/d.rs"} <= changed

        (workspace / "src" / "moved").rename(tmp_path / "gone")
        await watcher.cookie(5)
        assert any("src/moved" in b.removed_dirs for b in rec.take())

    watched(workspace, body)


def test_checkout_under_index_lock_arrives_as_one_batch(workspace: Path) -> None:
    lock = workspace / ".git" / "index.lock"
    names = {f"src/gen/f{i}.rs" for i in range(500)}

    async def body(watcher: WorkspaceWatcher, rec: Recorder) -> None:
        lock.write_text("")
        (workspace / "src" / "gen").mkdir()
        for name in sorted(names):
            (workspace / name).write_text("pub fn f() {}\n")
        with pytest.raises(TimeoutError):
            await watcher.cookie(0.3)  # held back while git works
        assert not any(b.changed & names for b in rec.batches)
        lock.rename(workspace / ".git" / "index")
        await watcher.cookie(5)
        hits = [b for b in rec.batches if b.changed & names]
        assert len(hits) == 1
        assert hits[0].changed >= names

    watched(workspace, body)


def test_cookie_returns_after_the_batch_is_applied(workspace: Path) -> None:
    async def body(watcher: WorkspaceWatcher, rec: Recorder) -> None:
        for i in range(5):
            rel = f"src/c{i}.rs"
            (workspace / rel).write_text("fn c() {}\n")
            await watcher.cookie(5)
            assert rel in rec.finished

    watched(workspace, body, Recorder(delay=0.05))
    assert not list((workspace / ".git").glob(".rustrag-cookie-*"))


def test_first_batch_is_a_rescan_once_watching(workspace: Path) -> None:
    async def body(watcher: WorkspaceWatcher, rec: Recorder) -> None:
        assert rec.batches and rec.batches[0].rescan

    watched(workspace, body, rescan=True)


def test_survives_the_root_vanishing(workspace: Path) -> None:
    async def body(watcher: WorkspaceWatcher, rec: Recorder) -> None:
        shutil.rmtree(workspace)
        await rec.until(lambda b: b.root_missing)
        (workspace / "src").mkdir(parents=True)
        (workspace / "src" / "lib.rs").write_text("")
        await rec.until(lambda b: b.rescan)
        (workspace / "src" / "again.rs").write_text("")
        await watcher.cookie(5)
        assert rec.mentioning("src/again.rs")

    watched(workspace, body)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_cookie_falls_back_on_a_read_only_root(tmp_path: Path) -> None:
    root = tmp_path / "ro"
    (root / "src").mkdir(parents=True)
    root.chmod(0o555)

    async def body(watcher: WorkspaceWatcher, rec: Recorder) -> None:
        (root / "src" / "w.rs").write_text("")
        await watcher.cookie(5)
        assert rec.mentioning("src/w.rs")

    try:
        watched(root, body)
    finally:
        root.chmod(0o755)


def test_ignore_rules_agree_with_the_walker(workspace: Path) -> None:
    for rel in ("target/t.rs", "ignored/i.rs", "src/x.gen.rs", "src/sub/local.rs", "src/k.rs"):
        (workspace / rel).parent.mkdir(parents=True, exist_ok=True)
        (workspace / rel).write_text("")
    rules = IgnoreRules(workspace)
    every = {p.relative_to(workspace).as_posix() for p in workspace.rglob("*.rs")}
    assert {p for p in every if not rules.ignored(p)} == set(rust_sources(workspace))
    assert rules.ignored("ignored", is_dir=True)
    assert rules.ignored("target", is_dir=True)
