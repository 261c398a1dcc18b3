"""Worker processes that read, hash, parse and extract source files in bulk.

One process pool per NUMA node, its workers pinned to that node's CPUs; batches
go to the pool with the least work in flight. A pool hands its executor one call
per worker and one more, and keeps the rest waiting in order: resolutions before
extraction batches (a workspace's resolution is all that stands between it and a
finished index, while batches of other workspaces can wait), then first come,
first served. Results cross the process boundary as msgpack rows, not pickled
objects.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import heapq
import itertools
import multiprocessing
import os
import select
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Protocol, TypeVar

import msgpack

from rustragd.graph.library import LibraryBlobs
from rustragd.heap import GC_THRESHOLDS, release_heap, unpack_shared
from rustragd.ids import content_hash
from rustragd.index.libraries import LibrarySource, build_library
from rustragd.index.machine import Node, numa_nodes
from rustragd.model import Edge, FileExtract, Item, Resolution, TypeRecord

#: A unit of work: workspace-relative path, module path, the hash already stored ("" to force).
Job = tuple[str, list[str], str]

T = TypeVar("T")

_UNCHANGED, _UNREADABLE, _EXTRACTED = 0, 1, 2
#: Turn ranks of pool calls: lower goes first.
_RESOLVE, _EXTRACT = 0, 1
#: Seconds without work after which the workers exit (started again on the next call):
#: an idle daemon holds no worker memory, and a cold index's workers return theirs.
IDLE_S = 10.0
#: Calls handed to a pool's executor beyond one per worker: a worker that finishes takes
#: the next at once instead of waiting for the event loop to hand it one.
_QUEUED = 1


@dataclasses.dataclass(frozen=True, slots=True)
class Unchanged:
    """A file whose content hash matches the stored one."""

    path: str


@dataclasses.dataclass(frozen=True, slots=True)
class Unreadable:
    """A file that vanished or cannot be read."""

    path: str
    reason: str


Outcome = FileExtract | Unchanged | Unreadable


def _extract_row(extract: FileExtract) -> list[Any]:
    row: list[Any] = []
    for field in dataclasses.fields(FileExtract):
        value = getattr(extract, field.name)
        row.append([item.as_row() for item in value] if field.name == "items" else value)
    return row


def _extract_from_row(row: list[Any]) -> FileExtract:
    values = dict(zip((f.name for f in dataclasses.fields(FileExtract)), row, strict=True))
    values["items"] = [Item.from_row(item) for item in values["items"]]
    return FileExtract(**values)


def encode_outcomes(outcomes: list[Outcome]) -> bytes:
    """Outcomes as one msgpack blob."""
    rows: list[list[Any]] = []
    for outcome in outcomes:
        if isinstance(outcome, Unchanged):
            rows.append([_UNCHANGED, outcome.path])
        elif isinstance(outcome, Unreadable):
            rows.append([_UNREADABLE, outcome.path, outcome.reason])
        else:
            rows.append([_EXTRACTED, _extract_row(outcome)])
    return msgpack.packb(rows, use_bin_type=True)  # type: ignore[no-any-return]


def decode_outcomes(blob: bytes) -> list[Outcome]:
    """Inverse of :func:`encode_outcomes`."""
    outcomes: list[Outcome] = []
    for row in msgpack.unpackb(blob, raw=False, use_list=True):
        if row[0] == _UNCHANGED:
            outcomes.append(Unchanged(row[1]))
        elif row[0] == _UNREADABLE:
            outcomes.append(Unreadable(row[1], row[2]))
        else:
            outcomes.append(_extract_from_row(row[1]))
    return outcomes


def encode_resolution(resolution: Resolution) -> bytes:
    """A resolution as one msgpack blob."""
    return msgpack.packb(  # type: ignore[no-any-return]
        [
            resolution.edges,
            resolution.types,
            [item.as_row() for item in resolution.items],
            resolution.expansions,
        ],
        use_bin_type=True,
    )


def decode_resolution(blob: bytes) -> Resolution:
    """Inverse of :func:`encode_resolution`, each repeated string held once."""
    edges, types, items, expansions = unpack_shared(blob)
    return Resolution(
        edges=[Edge(*row) for row in edges],
        types=[TypeRecord(*row) for row in types],
        items=[Item.from_row(row) for row in items],
        expansions=expansions,
    )


def build_library_job(source: LibrarySource) -> bytes:
    """Run in a worker: :func:`build_library`, then the heap it freed handed back."""
    blob = build_library(source)
    release_heap()
    return blob


def resolve_files(
    files: list[tuple[str, bytes]],
    libraries: LibraryBlobs | None = None,
    gates: dict[str, str] | None = None,
) -> bytes:
    """Run in a worker: resolve a whole workspace from its files' facts (with the
    expansions made on the way, for the daemon's incremental resolver), its names
    resolving into ``libraries`` (``gates``: see :class:`rustragd.graph.scopes.Resolver`)."""
    from rustragd.graph.resolve import resolve_expanded
    from rustragd.macros.expansion import pack_expansions  # imported in the worker only

    gc.disable()
    try:
        resolution, expansions = resolve_expanded(files, libraries, gates)
        resolution.expansions = pack_expansions(expansions)
        blob = encode_resolution(resolution)
    finally:
        gc.enable()
    # The workspace's scopes and edges are garbage now: free them before the daemon decodes
    # the blob, so that the two processes' peaks do not add up.
    del resolution, expansions, files
    gc.collect()
    release_heap()
    return blob


#: A file to extract, shipped with its contents: (path, module path, source).
Source = tuple[str, list[str], bytes]


def read_jobs(root: str, jobs: list[Job]) -> tuple[list[Outcome], list[Source]]:
    """Read the files of ``jobs``: the outcomes known without parsing (unreadable,
    unchanged by content hash) and the sources left to extract."""
    known: list[Outcome] = []
    sources: list[Source] = []
    for rel_path, module_path, known_hash in jobs:
        try:
            source = Path(root, rel_path).read_bytes()
        except OSError as exc:
            known.append(Unreadable(rel_path, exc.strerror or str(exc)))
            continue
        if known_hash and content_hash(source) == known_hash:
            known.append(Unchanged(rel_path))
        else:
            sources.append((rel_path, module_path, source))
    return known, sources


def extract_sources(sources: list[Source]) -> list[Outcome]:
    """Extract each file from its contents."""
    from rustragd.syntax.extract import extract_file  # imported in the worker only

    outcomes: list[Outcome] = []
    for rel_path, module_path, source in sources:
        extract = extract_file(rel_path, source, module_path)
        extract.module = "::".join(module_path)
        outcomes.append(extract)
    return outcomes


def extract_shipped(sources: list[Source]) -> bytes:
    """Run in a worker that need not see the files (a cluster's): extract ``sources``."""
    blob = encode_outcomes(extract_sources(sources))
    release_heap()
    return blob


def extract_batch(root: str, jobs: list[Job]) -> bytes:
    """Run in a worker: extract every changed file of ``jobs``."""
    known, sources = read_jobs(root, jobs)
    outcomes = known + extract_sources(sources)
    del sources
    blob = encode_outcomes(outcomes)
    del outcomes
    release_heap()  # a batch's trees and rows are freed: hand their memory back
    return blob


def _exit_with(pid: int) -> None:
    """End this worker when process ``pid`` (the daemon) ends, even by SIGKILL: a pool
    worker would otherwise wait forever on a queue whose writer it holds itself."""
    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:  # gone already
        os._exit(0)
    except OSError:  # no pidfd on this kernel: the worker outlives a killed daemon
        return

    def watch() -> None:
        select.select([handle], [], [])  # readable once the process has exited
        os._exit(0)

    threading.Thread(target=watch, name="rustrag-exit-with-daemon", daemon=True).start()


def _worker_init(cpus: frozenset[int], daemon: int) -> None:
    # The daemon handles SIGINT/SIGTERM and shuts the pools down itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.set_threshold(*GC_THRESHOLDS)
    with contextlib.suppress(OSError):  # a container may forbid it: same work, less local
        os.sched_setaffinity(0, cpus)
    _exit_with(daemon)


class _NodePool:
    """One node's process pool: at most one call per worker (and :data:`_QUEUED`) in the
    executor, the others waiting their turn by (rank, arrival)."""

    def __init__(self, node: Node, workers: int) -> None:
        self.node = node
        self.workers = workers
        self.in_flight = 0  # calls running or waiting
        self.running = 0
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._arrivals = itertools.count()
        self.executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("forkserver"),
            initializer=_worker_init,
            initargs=(node.cpus, os.getpid()),
        )

    async def call(self, rank: int, function: Callable[..., T], *args: Any) -> T:
        self.in_flight += 1
        try:
            await self._turn(rank)
            try:
                loop = asyncio.get_running_loop()
                return await loop.run_in_executor(self.executor, function, *args)
            finally:
                self._pass_turn()
        finally:
            self.in_flight -= 1

    async def _turn(self, rank: int) -> None:
        """Wait until the executor has room for this call (it then counts as running)."""
        if self.running < self.workers + _QUEUED:
            self.running += 1
            return
        turn = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (rank, next(self._arrivals), turn))
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():  # handed the turn as it was cancelled
                self._pass_turn()
            raise

    def _pass_turn(self) -> None:
        """A call ended: its worker goes to the first waiting call, or is free."""
        while self._waiting:
            turn = heapq.heappop(self._waiting)[2]
            if not turn.done():  # a cancelled call's turn is done
                turn.set_result(None)
                return
        self.running -= 1

    def shutdown(self) -> None:
        """Stop the workers; calls queued in the executor or waiting here are cancelled."""
        for _, _, turn in self._waiting:
            turn.cancel()
        self._waiting.clear()
        self.executor.shutdown(wait=True, cancel_futures=True)


class IndexPool(Protocol):
    """Where an index job's work runs: the local pools, or a cluster's
    (:class:`rustragd.index.cluster.ClusterPool`)."""

    @property
    def workers(self) -> int:
        """How many batches run at once."""
        ...

    async def run(self, root: Path, jobs: list[Job]) -> list[Outcome]: ...

    async def build_library(self, source: LibrarySource) -> bytes: ...

    async def resolve(
        self,
        files: list[tuple[str, bytes]],
        libraries: LibraryBlobs | None = None,
        gates: dict[str, str] | None = None,
    ) -> Resolution: ...


class ExtractorPool:
    """Process pools, one per NUMA node, started on first use and stopped when idle
    for :data:`IDLE_S` seconds."""

    def __init__(self, workers: int = 0, nodes: list[Node] | None = None) -> None:
        self.nodes = nodes or numa_nodes()
        available = sum(len(node.cpus) for node in self.nodes)
        self.workers = workers or available
        self._pools: list[_NodePool] | None = None
        self._in_flight = 0
        self._idle: asyncio.TimerHandle | None = None
        #: Times the workers were started (the first use, and after each idle stop).
        self.starts = 0

    def _ensure(self) -> list[_NodePool]:
        if self._pools is None:
            # Spread the workers over the nodes in proportion to their CPUs, at least one each.
            total = sum(len(node.cpus) for node in self.nodes)
            self._pools = [
                _NodePool(node, max(1, round(self.workers * len(node.cpus) / total)))
                for node in self.nodes
            ]
            self.starts += 1
        return self._pools

    def describe(self) -> list[dict[str, Any]]:
        """The pools for ``status`` (none while the workers are stopped)."""
        return [
            {"node": p.node.index, "cpus": sorted(p.node.cpus), "workers": p.workers}
            for p in self._pools or []
        ]

    async def call(self, rank: int, function: Callable[..., T], *args: Any) -> T:
        """Run ``function(*args)`` in the least busy pool, when its turn (``rank``) comes."""
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        self._in_flight += 1
        try:
            pool = min(self._ensure(), key=lambda p: p.in_flight / p.workers)
            return await pool.call(rank, function, *args)
        finally:
            self._in_flight -= 1
            if not self._in_flight and self._pools is not None:
                self._idle = asyncio.get_running_loop().call_later(IDLE_S, self._stop_idle)

    def _stop_idle(self) -> None:
        """Let the workers of pools with nothing to do exit (without waiting for them)."""
        self._idle = None
        if self._in_flight:
            return
        for pool in self._pools or []:
            pool.executor.shutdown(wait=False)
        self._pools = None

    async def run(self, root: Path, jobs: list[Job]) -> list[Outcome]:
        """Extract one batch in a worker process."""
        return decode_outcomes(await self.call(_EXTRACT, extract_batch, str(root), jobs))

    async def build_library(self, source: LibrarySource) -> bytes:
        """Build one library's interface in a worker process (see :func:`build_library`)."""
        return await self.call(_RESOLVE, build_library_job, source)

    async def resolve(
        self,
        files: list[tuple[str, bytes]],
        libraries: LibraryBlobs | None = None,
        gates: dict[str, str] | None = None,
    ) -> Resolution:
        """Resolve a workspace's facts in a worker process, before waiting batches.

        A resolution ends an index job: unless other work came meanwhile, the workers
        exit at once (not after :data:`IDLE_S`), before the daemon takes the result in
        and writes it, so that the two do not hold their peaks at the same time."""
        blob = await self.call(_RESOLVE, resolve_files, files, libraries, gates)
        if self._idle is not None:  # nothing else in flight
            self._idle.cancel()
            self._stop_idle()
        return decode_resolution(blob)

    def shutdown(self) -> None:
        """Stop the workers, dropping queued batches."""
        for pool in self._pools or []:
            pool.shutdown()
        self._pools = None
