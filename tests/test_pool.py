"""The worker pool's turns: real worker processes, real extraction and resolution."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest
from rustragd.index import pool as pool_module
from rustragd.index.machine import Node
from rustragd.index.pool import ExtractorPool, Job, decode_resolution, encode_resolution
from rustragd.model import Edge, FileExtract, Resolution

_SOURCE = "pub struct S{n};\nimpl S{n} {{ pub fn get(&self) -> u32 {{ {n} }} }}\n"


def _crate(root: Path, files: int) -> list[Job]:
    (root / "src").mkdir(parents=True)
    (root / "Cargo.toml").write_text('[package]\nname = "turns"\nversion = "0.1.0"\n')
    jobs: list[Job] = []
    for n in range(files):
        (root / "src" / f"m{n}.rs").write_text(_SOURCE.format(n=n))
        jobs.append((f"src/m{n}.rs", ["turns", f"m{n}"], ""))
    return jobs


def _one_worker() -> ExtractorPool:
    return ExtractorPool(1, [Node(0, frozenset({min(os.sched_getaffinity(0))}))])


def test_a_resolution_runs_before_batches_that_wait(tmp_path: Path) -> None:
    jobs = _crate(tmp_path, 6)

    async def scenario() -> list[str]:
        pool = _one_worker()
        try:
            extracted = await pool.run(tmp_path, jobs)
            facts = [(e.path, e.facts) for e in extracted if isinstance(e, FileExtract)]
            done: list[str] = []

            async def batch(n: int) -> None:
                await pool.run(tmp_path, [jobs[n]])
                done.append(f"batch {n}")

            async def resolution() -> None:
                resolved = await pool.resolve(facts)
                assert {e.rel for e in resolved.edges} >= {"contains", "impl_for"}
                done.append("resolution")

            batches = [asyncio.create_task(batch(n)) for n in range(5)]
            await asyncio.sleep(0)  # the batches take their places first
            await asyncio.gather(*batches, asyncio.create_task(resolution()))
            return done
        finally:
            pool.shutdown()

    done = asyncio.run(scenario())
    # One worker, one call queued behind it: the two batches handed out before the
    # resolution came finish first, then the resolution overtakes the waiting three.
    assert done == ["batch 0", "batch 1", "resolution", "batch 2", "batch 3", "batch 4"]


def test_a_call_cancelled_while_waiting_frees_its_turn(tmp_path: Path) -> None:
    jobs = _crate(tmp_path, 4)

    async def scenario() -> list[int]:
        pool = _one_worker()
        try:
            calls = [asyncio.create_task(pool.run(tmp_path, [job])) for job in jobs]
            await asyncio.sleep(0)
            calls[2].cancel()  # waiting for its turn
            outcomes = await asyncio.gather(*calls, return_exceptions=True)
            assert isinstance(outcomes[2], asyncio.CancelledError)
            # The pool still serves, and has no call left running.
            again = await pool.run(tmp_path, jobs[:1])
            assert isinstance(again[0], FileExtract)
            return [len(o) for o in outcomes if isinstance(o, list)]
        finally:
            pool.shutdown()

    assert asyncio.run(scenario()) == [1, 1, 1]


def test_shutdown_cancels_calls_still_waiting(tmp_path: Path) -> None:
    jobs = _crate(tmp_path, 4)

    async def scenario() -> None:
        pool = _one_worker()
        calls = [asyncio.create_task(pool.run(tmp_path, [job])) for job in jobs]
        await asyncio.sleep(0)
        pool.shutdown()
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        # The two waiting their turn never run; the two handed to the executor ran, or
        # were cancelled there if no worker had taken them yet.
        assert all(isinstance(o, asyncio.CancelledError) for o in outcomes[2:])
        assert all(isinstance(o, list | asyncio.CancelledError) for o in outcomes[:2])

    asyncio.run(scenario())


def _worker_pids(pool: ExtractorPool) -> set[int]:
    return {pid for node_pool in pool._pools or [] for pid in node_pool.executor._processes}


def test_idle_workers_exit_and_start_again_on_the_next_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pool_module, "IDLE_S", 0.2)
    jobs = _crate(tmp_path, 2)

    async def scenario() -> tuple[set[int], list[str]]:
        pool = _one_worker()
        try:
            await pool.run(tmp_path, jobs)
            started = _worker_pids(pool)
            assert started and pool.describe()
            await asyncio.sleep(0.1)  # not idle long enough yet
            assert _worker_pids(pool) == started
            await asyncio.sleep(0.4)
            assert pool.describe() == []
            again = await pool.run(tmp_path, jobs)
            assert pool.starts == 2 and _worker_pids(pool).isdisjoint(started)
            return started, [e.path for e in again if isinstance(e, FileExtract)]
        finally:
            pool.shutdown()

    started, paths = asyncio.run(scenario())
    assert paths == ["src/m0.rs", "src/m1.rs"]
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in started)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_workers_exit_once_a_resolution_ends_the_job(tmp_path: Path) -> None:
    """A resolution is an index job's last call: the workers exit at once after it."""
    jobs = _crate(tmp_path, 2)

    async def scenario() -> tuple[set[int], int]:
        pool = _one_worker()
        try:
            extracts = [e for e in await pool.run(tmp_path, jobs) if isinstance(e, FileExtract)]
            started = _worker_pids(pool)
            resolution = await pool.resolve([(e.path, e.facts) for e in extracts])
            assert pool.describe() == [] and pool.starts == 1
            return started, len(resolution.edges)
        finally:
            pool.shutdown()

    started, edges = asyncio.run(scenario())
    assert started and edges > 0
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in started)


def test_decoded_edges_hold_each_string_once() -> None:
    """A resolution's edges come back equal, their repeated strings one object each."""
    edges = [
        Edge(n, "calls", n + 1, "exact", n, "src/lib.rs", "krate::callee", 0, "")
        for n in range(1, 4)
    ]
    blob = encode_resolution(Resolution(edges=edges, types=[], items=[]))
    decoded = decode_resolution(blob).edges
    assert decoded == edges
    for field in ("rel", "confidence", "path", "target"):
        assert len({id(getattr(edge, field)) for edge in decoded}) == 1
