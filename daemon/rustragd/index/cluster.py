"""An index job's work on a Ray cluster, through the driver process.

Ray is an extra (``pip install 'rustrag[cluster]'``). A :class:`ClusterPool` does for an
index job what the local :class:`rustragd.index.pool.ExtractorPool` does, as Ray tasks:
this process reads the files and ships their contents (the cluster's machines need not
see this disk, only have rustrag installed), each batch's extraction and the
workspace's resolution run as tasks that Ray retries when their worker dies, and their
results come back in the local pools' format, to be stored here as a local job's.
Libraries are built by the local pools: their sources are this machine's. The job's
bulk of vectors can be embedded by :class:`ClusterEmbedders`, Ray actors running the
daemon's own embedder (one per GPU on a cluster with GPUs, its CUDA path; one per CPU
otherwise). Live edits and queries stay local. Ray itself runs in a child process,
:mod:`rustragd.index.cluster_driver`: a cluster that stops answering ends that process,
never the daemon.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import multiprocessing
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from rustragd.graph.library import LibraryBlobs
from rustragd.index.cluster_driver import drive
from rustragd.index.libraries import LibrarySource
from rustragd.index.pool import (
    ExtractorPool,
    Job,
    Outcome,
    decode_outcomes,
    decode_resolution,
    extract_shipped,
    read_jobs,
    resolve_files,
)
from rustragd.model import Resolution
from rustragd.search.embedder import EmbedderConfig

__all__ = [
    "ClusterEmbedders",
    "ClusterPool",
    "ClusterUnavailable",
    "connect",
    "disconnect",
    "fallback_status",
]

#: Seconds to wait for a cluster's address to answer before indexing locally.
PROBE_TIMEOUT_S = 3.0
#: Seconds the driver process may take to connect to a cluster.
CONNECT_TIMEOUT_S = 60.0
#: Batches a cluster CPU gets (more than one: the tasks' sizes vary).
BATCHES_PER_CPU = 2

_driver: Driver | None = None
"""The driver process in use (one cluster at a time)."""
_starting = threading.Lock()


class ClusterUnavailable(Exception):
    """No cluster at the address (or no Ray): the job runs on the local pools."""


class Driver:
    """The daemon's end of the driver process: requests out, answers in (a thread)."""

    def __init__(self, address: str) -> None:
        self.address = address
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        self._connection = ours
        self._process = context.Process(
            target=drive, args=(theirs, address), name="rustragd-ray", daemon=True
        )
        self._process.start()
        theirs.close()
        self._ids = itertools.count(1)
        self._pending: dict[int, Future[Any]] = {}
        self._lock = threading.Lock()
        self._users = 0
        self._idle: threading.Timer | None = None
        if not ours.poll(CONNECT_TIMEOUT_S):
            self.stop()
            raise ClusterUnavailable(f"the cluster at {address} did not answer in time")
        try:
            _, ok, value = ours.recv()
        except (EOFError, OSError):
            ok, value = False, f"the driver process exited ({self._process.exitcode})"
        if not ok:
            self.stop()
            raise ClusterUnavailable(f"cannot connect to the cluster at {address}: {value}")
        self.resources: dict[str, int] = value
        threading.Thread(target=self._read, name="rustragd-ray-answers", daemon=True).start()

    def hold(self) -> None:
        """One more user (a job, or its vectors): the driver stays while any holds it."""
        with self._lock:
            self._users += 1
            if self._idle is not None:
                self._idle.cancel()
                self._idle = None

    def release(self, idle_s: float) -> None:
        """One user fewer; with none left, the driver exits after ``idle_s`` (its memory,
        and the cluster's actors, are given back; the next job starts another)."""
        with self._lock:
            self._users -= 1
            if self._users == 0:
                self._idle = threading.Timer(idle_s, self._exit_if_idle)
                self._idle.daemon = True
                self._idle.start()

    def _exit_if_idle(self) -> None:
        global _driver
        with _starting:  # :func:`connect` cannot hand it out meanwhile
            with self._lock:
                if self._users:
                    return
            if _driver is self:
                _driver = None
            self.stop()

    @property
    def alive(self) -> bool:
        return self._process.is_alive()

    def call(self, kind: str, *args: Any) -> Future[Any]:
        """Send one request; the future holds its answer (or the reason there is none)."""
        future: Future[Any] = Future()
        with self._lock:
            request_id = next(self._ids)
            self._pending[request_id] = future
            try:
                self._connection.send((request_id, kind, args))
            except (OSError, ValueError) as exc:
                del self._pending[request_id]
                future.set_exception(ClusterUnavailable(f"the driver process is gone: {exc}"))
        return future

    def _read(self) -> None:
        while True:
            try:
                request_id, ok, value = self._connection.recv()
            except (EOFError, OSError):
                break
            with self._lock:
                future = self._pending.pop(request_id, None)
            if future is None:
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(
                    ClusterUnavailable(f"on the cluster at {self.address}: {value}")
                )
        self._process.join(timeout=5)
        code = self._process.exitcode
        reason = f"the cluster at {self.address} stopped answering (driver exit {code})"
        with self._lock:
            lost, self._pending = self._pending, {}
        for future in lost.values():
            future.set_exception(ClusterUnavailable(reason))

    def stop(self) -> None:
        """Tell the driver to leave the cluster and exit (killed if it does not)."""
        with contextlib.suppress(OSError, ValueError):
            self._connection.send((0, "stop", ()))
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(timeout=5)
        self._connection.close()


async def _answer(driver: Driver, kind: str, *args: Any) -> Any:
    return await asyncio.wrap_future(driver.call(kind, *args))


@dataclass(slots=True)
class ClusterPool:
    """The index job's pool on a connected Ray cluster."""

    driver: Driver
    local: ExtractorPool
    nodes: int
    cpus: int
    gpus: int
    tasks_done: int = 0
    bytes_shipped: int = 0
    embedders: ClusterEmbedders | None = None
    """The embedder actors, once started (:meth:`start_embedders`)."""
    embedders_reason: str | None = None
    """Why vectors are embedded locally on a connected cluster (None: they are not)."""

    @property
    def address(self) -> str:
        return self.driver.address

    def release(self, idle_s: float) -> None:
        """The job is done with the cluster (see :meth:`Driver.release`)."""
        self.driver.release(idle_s)

    @property
    def workers(self) -> int:
        """How many batches run at once: the cluster's CPUs (for sizing batches)."""
        return max(1, self.cpus * BATCHES_PER_CPU)

    def describe(self) -> dict[str, Any]:
        """What ``status`` and ``index`` say of the cluster."""
        return {
            "address": self.address,
            "nodes": self.nodes,
            "cpus": self.cpus,
            "gpus": self.gpus,
            "tasks_done": self.tasks_done,
            "bytes_shipped": self.bytes_shipped,
            "fallback_reason": None,
            "embedders": self.embedders.workers if self.embedders is not None else 0,
            "embedded": self.embedders.embedded if self.embedders is not None else 0,
            "embedders_reason": self.embedders_reason,
        }

    async def start_embedders(self, config: EmbedderConfig, model_id: str) -> None:
        """Start the embedder actors (once), running the daemon's model ``model_id``; when
        they cannot, say why (:attr:`embedders_reason`) and leave the vectors local."""
        if self.embedders is not None:
            return
        try:
            ids = await _answer(self.driver, "embedders", config, self.cpus, self.gpus)
        except ClusterUnavailable as exc:
            self.embedders_reason = f"the cluster's embedders did not start: {exc}"
            return
        if set(ids) != {model_id}:
            self.embedders_reason = f"the cluster runs the model {ids[0]}, not {model_id}"
            return
        self.embedders = ClusterEmbedders(self.driver, len(ids))
        self.embedders_reason = None

    async def run(self, root: Any, jobs: list[Job]) -> list[Outcome]:
        """Extract one batch on the cluster: the files read here, their contents shipped."""
        known, sources = await asyncio.to_thread(read_jobs, str(root), jobs)
        if not sources:
            return known
        self.bytes_shipped += sum(len(source) for _, _, source in sources)
        blob = await self._task(extract_shipped, sources)
        return known + decode_outcomes(blob)

    async def build_library(self, source: LibrarySource) -> bytes:
        """Build a library's interface on the local pools (its sources are here)."""
        return await self.local.build_library(source)

    async def resolve(
        self,
        files: list[tuple[str, bytes]],
        libraries: LibraryBlobs | None = None,
        gates: dict[str, str] | None = None,
    ) -> Resolution:
        """Resolve the workspace's facts in one cluster task."""
        self.bytes_shipped += sum(len(blob) for _, blob in files)
        self.bytes_shipped += sum(len(blob) for blob in libraries.blobs) if libraries else 0
        return decode_resolution(await self._task(resolve_files, files, libraries, gates))

    async def _task(self, function: Callable[..., bytes], *args: Any) -> bytes:
        result: bytes = await _answer(self.driver, "task", function, args)
        self.tasks_done += 1
        return result


@dataclass(slots=True)
class ClusterEmbedders:
    """The embedder actors on the cluster (the driver sends a batch to the least busy)."""

    driver: Driver
    workers: int
    """How many batches run at once (one per actor)."""
    embedded: int = 0

    def hold(self) -> None:
        """Keep the driver, and so these actors, while vectors may come."""
        self.driver.hold()

    def release(self, idle_s: float) -> None:
        """No more vectors for now (see :meth:`Driver.release`)."""
        self.driver.release(idle_s)

    async def embed(self, texts: list[str]) -> Any:
        """Document vectors of ``texts``."""
        vectors = await _answer(self.driver, "embed", texts)
        self.embedded += len(texts)
        return vectors


def connect(address: str, local: ExtractorPool) -> ClusterPool:
    """A pool on the cluster at ``address`` (``auto``: the one this machine runs, or
    ``host:port``), through a driver process (kept while one holds it), held for the
    caller (:meth:`ClusterPool.release`); raise :class:`ClusterUnavailable` with the
    reason. Blocking: call it from a thread."""
    global _driver
    if address != "auto":
        _probe(address)
    with _starting:
        driver = _driver
        if driver is None or driver.address != address or not driver.alive:
            if driver is not None:
                driver.stop()
            _driver = None
            driver = _driver = Driver(address)
            resources = driver.resources
        else:
            try:
                resources = driver.call("describe").result(timeout=CONNECT_TIMEOUT_S)
            except Exception as exc:
                raise ClusterUnavailable(
                    f"the cluster at {address} does not answer: {exc}"
                ) from exc
        if not resources["cpus"]:
            raise ClusterUnavailable(f"the cluster at {address} has no CPUs")
        driver.hold()  # the caller's: released by ClusterPool.release
    return ClusterPool(driver, local, resources["nodes"], resources["cpus"], resources["gpus"])


def fallback_status(address: str, reason: str) -> dict[str, Any]:
    """What ``status`` says of a cluster a job could not use (:meth:`ClusterPool.describe`'s
    fields)."""
    return {
        "address": address,
        "nodes": 0,
        "cpus": 0,
        "gpus": 0,
        "tasks_done": 0,
        "bytes_shipped": 0,
        "fallback_reason": reason,
        "embedders": 0,
        "embedded": 0,
        "embedders_reason": None,
    }


def disconnect() -> None:
    """Stop the driver process (at the daemon's shutdown)."""
    global _driver
    with _starting:
        if _driver is not None:
            _driver.stop()
            _driver = None


def _probe(address: str) -> None:
    """Raise :class:`ClusterUnavailable` unless something listens at ``host:port``."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ClusterUnavailable(f"{address!r} is not 'auto' or host:port")
    try:
        with socket.create_connection((host, int(port)), timeout=PROBE_TIMEOUT_S):
            pass
    except OSError as exc:
        raise ClusterUnavailable(f"nothing answers at {address}: {exc.strerror or exc}") from None
