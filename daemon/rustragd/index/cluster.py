"""An index job's work on a Ray cluster: the only module importing ray.

Ray is an extra (``pip install 'rustrag[cluster]'``). A :class:`ClusterPool` does for an
index job what the local :class:`rustragd.index.pool.ExtractorPool` does, as Ray tasks:
this process reads the files and ships their contents (the cluster's machines need not
see this disk, only have rustrag installed), each batch's extraction and the
workspace's resolution run as tasks that Ray retries when their worker dies, and their
results come back in the local pools' format, to be stored here as a local job's.
Libraries are built by the local pools: their sources are this machine's. The job's
bulk of vectors can be embedded by :class:`ClusterEmbedders`, Ray actors running the
daemon's own embedder (one per GPU on a cluster with GPUs, its CUDA path; one per CPU
otherwise). Live edits and queries stay local.
"""

from __future__ import annotations

import asyncio
import dataclasses
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
from rustragd.search.embedder import Embedder, EmbedderConfig

__all__ = [
    "ClusterEmbedders",
    "ClusterPool",
    "ClusterUnavailable",
    "connect",
    "disconnect",
    "fallback_status",
]

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
    embedders: ClusterEmbedders | None = None
    """The embedder actors, once started (:meth:`start_embedders`)."""
    embedders_reason: str | None = None
    """Why vectors are embedded locally on a connected cluster (None: they are not)."""

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
            "embedders": len(self.embedders.actors) if self.embedders is not None else 0,
            "embedded": self.embedders.embedded if self.embedders is not None else 0,
            "embedders_reason": self.embedders_reason,
        }

    async def start_embedders(self, config: EmbedderConfig, model_id: str) -> None:
        """Start the embedder actors (once), running the daemon's model ``model_id``; when
        they cannot, say why (:attr:`embedders_reason`) and leave the vectors local."""
        if self.embedders is not None:
            return
        try:
            self.embedders = await ClusterEmbedders.start(config, model_id, self.cpus, self.gpus)
            self.embedders_reason = None
        except ClusterUnavailable as exc:
            self.embedders_reason = str(exc)

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


class EmbedderWorker:
    """Runs in a Ray actor: the daemon's embedder on the actor's node."""

    def __init__(self, config: EmbedderConfig) -> None:
        self.embedder = Embedder(config)

    def model_id(self) -> str:
        """The model it runs (the daemon's, or its vectors would not be comparable)."""
        return self.embedder.model_id

    def embed(self, texts: list[str]) -> Any:
        """Document vectors of ``texts``, shape (len(texts), dim)."""
        return self.embedder.embed_documents(texts)


@dataclass(slots=True)
class ClusterEmbedders:
    """Embedder actors on the cluster; a batch goes to the least busy one."""

    actors: list[Any]
    busy: list[int]
    embedded: int = 0

    @classmethod
    async def start(
        cls, config: EmbedderConfig, model_id: str, cpus: int, gpus: int
    ) -> ClusterEmbedders:
        """One actor per GPU (the CUDA path), else one per CPU (one thread each)."""
        import ray

        # No CPU reserved: the job's tasks must still get every CPU (the vectors come
        # after the graph, mostly); spread over the nodes.
        made: list[Any]
        if gpus:
            actor: Any = ray.remote(num_gpus=1, num_cpus=0)(EmbedderWorker)
            made = [actor.remote(config) for _ in range(gpus)]
        else:
            actor = ray.remote(num_cpus=0, scheduling_strategy="SPREAD")(EmbedderWorker)
            single = dataclasses.replace(config, threads=1, provider="cpu")
            made = [actor.remote(single) for _ in range(cpus)]
        try:
            ids = await asyncio.gather(
                *(asyncio.wrap_future(a.model_id.remote().future()) for a in made)
            )
        except Exception as exc:  # an actor could not load the model
            for a in made:
                ray.kill(a)
            raise ClusterUnavailable(f"the cluster's embedders did not start: {exc}") from exc
        if set(ids) != {model_id}:
            for a in made:
                ray.kill(a)
            raise ClusterUnavailable(f"the cluster runs the model {ids[0]}, not {model_id}")
        return cls(made, [0] * len(made))

    @property
    def workers(self) -> int:
        """How many batches run at once."""
        return len(self.actors)

    async def embed(self, texts: list[str]) -> Any:
        """Document vectors of ``texts``, from the least busy actor."""
        chosen = min(range(len(self.actors)), key=self.busy.__getitem__)
        self.busy[chosen] += 1
        try:
            ref = self.actors[chosen].embed.remote(texts)
            vectors = await asyncio.wrap_future(ref.future())
        finally:
            self.busy[chosen] -= 1
        self.embedded += len(texts)
        return vectors


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
