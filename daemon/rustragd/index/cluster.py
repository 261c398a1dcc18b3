"""An index job's work on a Ray cluster: the only module importing ray.

Ray is an extra (``pip install 'rustrag[cluster]'``). A :class:`ClusterPool` does for an
index job what the local :class:`rustragd.index.pool.ExtractorPool` does, as Ray tasks:
this process reads the files and ships their contents (the cluster's machines need not
see this disk, only have rustrag installed), each batch's extraction and the
workspace's resolution run as tasks that Ray retries when their worker dies, and their
results come back in the local pools' format, to be stored here as a local job's.
Libraries are built by the local pools: their sources are this machine's. Everything
after the job (live edits, queries, embeddings) stays local.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from rustragd.graph.library import LibraryBlobs
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

__all__ = ["ClusterPool", "ClusterUnavailable", "connect"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Seconds to wait for a cluster's address to answer before indexing locally.
PROBE_TIMEOUT_S = 3.0
#: Times Ray runs a task again after its worker died.
RETRIES = 3
#: Batches a cluster CPU gets (more than one: the tasks' sizes vary).
BATCHES_PER_CPU = 2

_connected: str | None = None
"""The address this process's Ray is connected to (one at a time)."""
_connecting = threading.Lock()
#: The Ray task of each function run on the cluster.
_remotes: dict[Callable[..., bytes], Any] = {}


class ClusterUnavailable(Exception):
    """No cluster at the address (or no Ray): the job runs on the local pools."""


@dataclass(slots=True)
class ClusterPool:
    """The index job's pool on a connected Ray cluster."""

    address: str
    local: ExtractorPool
    nodes: int
    cpus: int
    gpus: int
    tasks_done: int = 0
    bytes_shipped: int = 0

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
        }

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
        remote = _remotes.get(function)
        if remote is None:
            import ray

            remote = ray.remote(num_cpus=1, max_retries=RETRIES)(function)
            _remotes[function] = remote
        ref = remote.remote(*args)
        result: bytes = await asyncio.wrap_future(ref.future())
        self.tasks_done += 1
        return result


def connect(address: str, local: ExtractorPool) -> ClusterPool:
    """Connect this process's Ray to the cluster at ``address`` (``auto``: the one this
    machine runs, or ``host:port``); raise :class:`ClusterUnavailable` with the reason."""
    global _connected
    try:
        import ray
    except ImportError:
        raise ClusterUnavailable("ray is not installed (pip install 'rustrag[cluster]')") from None
    if address != "auto":
        _probe(address)
    with _connecting:
        if _connected != address:
            if ray.is_initialized():
                ray.shutdown()
            try:
                ray.init(
                    address=address,
                    logging_level=logging.WARNING,
                    log_to_driver=False,
                    configure_logging=False,
                )
            except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ...
                _connected = None
                message = f"cannot connect to the cluster at {address}: {exc}"
                raise ClusterUnavailable(message) from exc
            _connected = address
        try:
            resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
            alive = [node for node in ray.nodes() if node.get("Alive")]  # type: ignore[no-untyped-call]
        except Exception as exc:
            _connected = None
            raise ClusterUnavailable(f"the cluster at {address} does not answer: {exc}") from exc
    if not resources.get("CPU"):
        raise ClusterUnavailable(f"the cluster at {address} has no CPUs")
    return ClusterPool(
        address, local, len(alive), int(resources.get("CPU", 0)), int(resources.get("GPU", 0))
    )


def disconnect() -> None:
    """Leave the cluster (at the daemon's shutdown)."""
    global _connected
    if _connected is None:
        return
    import ray

    ray.shutdown()
    _connected = None


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
