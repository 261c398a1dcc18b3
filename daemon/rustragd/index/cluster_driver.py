"""The Ray driver: a child process of the daemon, the only module importing ray.

Ray ends a driver whose cluster stops answering for a minute (``os._exit``): so the
daemon never connects itself. This process connects, runs each request it is sent on a
thread of its own (a task, starting the embedder actors, a batch of texts to embed) and
sends the answer back; when it dies, the daemon fails what was in flight and keeps
serving (:mod:`rustragd.index.cluster`).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from rustragd.search.embedder import Embedder, EmbedderConfig

#: Times Ray runs a task again after its worker died.
RETRIES = 3


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


class _Driver:
    """This process's connection to the cluster, its tasks and its embedder actors."""

    def __init__(self) -> None:
        import ray

        self.ray = ray
        self.remotes: dict[Callable[..., bytes], Any] = {}
        self.actors: list[Any] = []
        self.busy: list[int] = []
        self.lock = threading.Lock()

    def describe(self) -> dict[str, Any]:
        resources = self.ray.cluster_resources()  # type: ignore[no-untyped-call]
        alive = [node for node in self.ray.nodes() if node.get("Alive")]  # type: ignore[no-untyped-call]
        return {
            "nodes": len(alive),
            "cpus": int(resources.get("CPU", 0)),
            "gpus": int(resources.get("GPU", 0)),
        }

    def task(self, function: Callable[..., bytes], args: tuple[Any, ...]) -> bytes:
        with self.lock:
            remote = self.remotes.get(function)
            if remote is None:
                remote = self.ray.remote(num_cpus=1, max_retries=RETRIES)(function)
                self.remotes[function] = remote
        result: bytes = self.ray.get(remote.remote(*args))
        return result

    def embedders(self, config: EmbedderConfig, cpus: int, gpus: int) -> list[str]:
        """Start the actors (one per GPU, else one per CPU of one thread), reserving no
        CPU (the job's tasks need them all), spread over the nodes; their model ids."""
        ray = self.ray
        if self.actors:
            return [ray.get(a.model_id.remote()) for a in self.actors]
        if gpus:
            actor: Any = ray.remote(num_gpus=1, num_cpus=0)(EmbedderWorker)
            made = [actor.remote(config) for _ in range(gpus)]
        else:
            actor = ray.remote(num_cpus=0, scheduling_strategy="SPREAD")(EmbedderWorker)
            single = dataclasses.replace(config, threads=1, provider="cpu")
            made = [actor.remote(single) for _ in range(cpus)]
        try:
            ids: list[str] = [ray.get(a.model_id.remote()) for a in made]
        except Exception:
            for a in made:
                ray.kill(a)
            raise
        self.actors, self.busy = made, [0] * len(made)
        return ids

    def embed(self, texts: list[str]) -> Any:
        with self.lock:
            chosen = min(range(len(self.actors)), key=self.busy.__getitem__)
            self.busy[chosen] += 1
        try:
            return self.ray.get(self.actors[chosen].embed.remote(texts))
        finally:
            with self.lock:
                self.busy[chosen] -= 1


def drive(connection: Connection, address: str) -> None:
    """The child process: connect to ``address``, then answer requests until told to stop
    (or the daemon is gone). Each answer is ``(id, ok, value)``; the first, id 0, says
    what the cluster has or why it cannot be used."""
    sending = threading.Lock()

    def send(message: tuple[int, bool, Any]) -> None:
        with sending:
            connection.send(message)

    try:
        import ray

        ray.init(
            address=address,
            logging_level=logging.WARNING,
            log_to_driver=False,
            configure_logging=False,
        )
        driver = _Driver()
        send((0, True, driver.describe()))
    except Exception as exc:  # no Ray, or Ray's many ways of not connecting
        send((0, False, f"{type(exc).__name__}: {exc}"))
        return
    handlers: dict[str, Callable[..., Any]] = {
        "task": driver.task,
        "embedders": driver.embedders,
        "embed": driver.embed,
        "describe": driver.describe,
    }

    def answer(request_id: int, kind: str, args: tuple[Any, ...]) -> None:
        try:
            value = handlers[kind](*args)
        except Exception as exc:
            send((request_id, False, f"{type(exc).__name__}: {exc}"))
        else:
            send((request_id, True, value))

    while True:
        try:
            request_id, kind, args = connection.recv()
        except (EOFError, OSError):
            break
        if kind == "stop":
            break
        threading.Thread(target=answer, args=(request_id, kind, args), daemon=True).start()
    ray.shutdown()
