"""A live edit's store writes, run in order after the edit is already queryable.

A watched batch updates the in-memory symbol table and graph (what queries read)
and hands its Cozo writes to a :class:`WriteBehind`: they run one after another
in a thread (Cozo releases the GIL) while the daemon goes on answering. Code that
reads the store awaits :meth:`WriteBehind.flushed` first, except hits, which
take the doc and snippet of the items still waiting (:attr:`WriteBehind.unflushed`)
from memory. A kill before a write lands loses nothing: the file's stored content
hash is still the old one, so the next start applies the change again, and the
store's ``graph_stale`` flag (set with the files, cleared with their edges) makes
it re-resolve the graph.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

__all__ = ["WriteBehind"]


class WriteBehind:
    """Store writes of one workspace, in submission order, off the edit's critical path."""

    def __init__(self) -> None:
        self._tail: asyncio.Task[None] | None = None
        self._generation = 0
        self.unflushed: dict[int, int] = {}
        """Item id -> the write that stores its new row (its text is in memory until then)."""
        self.last_ms: dict[str, float] = {}
        """Milliseconds of the last write of each stage."""
        self.last_error: str | None = None
        self.failures = 0
        self._open = asyncio.Event()
        self._open.set()

    def hold(self) -> None:
        """Keep queued writes from starting until :meth:`release` (or a :meth:`flushed`):
        a batch being applied should not share the CPU with its own writes."""
        self._open.clear()

    def release(self) -> None:
        """Let queued writes run."""
        self._open.set()

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold queued writes for the duration of the block (:meth:`hold`, then
        :meth:`release` however the block ends)."""
        self.hold()
        try:
            yield
        finally:
            self.release()

    def submit(self, stage: str, write: Callable[[], None], ids: Iterable[int] = ()) -> None:
        """Queue ``write`` (a blocking store call) after the writes already queued;
        ``ids`` are the items whose rows it writes."""
        self._generation += 1
        generation = self._generation
        for item_id in ids:
            self.unflushed[item_id] = generation
        self._tail = asyncio.ensure_future(self._run(self._tail, stage, write, generation))

    async def _run(
        self,
        previous: asyncio.Task[None] | None,
        stage: str,
        write: Callable[[], None],
        generation: int,
    ) -> None:
        if previous is not None:
            await previous  # never raises: failures are caught below
        await self._open.wait()
        started = time.perf_counter()
        try:
            await asyncio.to_thread(write)
        except Exception as exc:
            # The in-memory state has the edit; the store catches up at the next start
            # (content hashes differ), so the daemon keeps serving.
            log.exception("writing a live edit to the store failed (%s)", stage)
            self.failures += 1
            self.last_error = f"{stage}: {exc}"
        finally:
            self.last_ms[stage] = round((time.perf_counter() - started) * 1000, 3)
            self.unflushed = {i: g for i, g in self.unflushed.items() if g > generation}

    async def flushed(self) -> None:
        """Return once every write submitted so far has run (held ones run now)."""
        self.release()
        if self._tail is not None:
            await asyncio.shield(self._tail)

    @property
    def pending(self) -> bool:
        """Whether writes are queued or running."""
        return self._tail is not None and not self._tail.done()
