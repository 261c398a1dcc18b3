"""Write-behind: writes run in submission order, held ones wait for a release or a flush,
and a failing write is counted without stopping the ones after it."""

from __future__ import annotations

import asyncio
import time

from rustragd.store.write_behind import WriteBehind


def test_order_hold_release_and_flush() -> None:
    async def scenario() -> None:
        writes = WriteBehind()
        done: list[str] = []
        writes.hold()
        writes.submit("store", lambda: done.append("a"), [1, 2])
        writes.submit("graph store", lambda: (time.sleep(0.01), done.append("b")), [2])
        await asyncio.sleep(0.05)
        assert done == [] and writes.pending  # held
        assert writes.unflushed == {1: 1, 2: 2}
        writes.release()
        await writes.flushed()
        assert done == ["a", "b"] and not writes.pending and writes.unflushed == {}

        writes.hold()
        writes.submit("store", lambda: done.append("c"))
        await asyncio.wait_for(writes.flushed(), 5)  # a flush runs held writes
        assert done[-1] == "c"

    asyncio.run(scenario())


def test_a_failed_write_is_counted_and_the_next_runs() -> None:
    async def scenario() -> None:
        writes = WriteBehind()
        done: list[str] = []

        def fail() -> None:
            raise OSError("disk full")

        writes.submit("store", fail, [7])
        writes.submit("graph store", lambda: done.append("next"))
        await writes.flushed()
        assert done == ["next"]
        assert writes.failures == 1 and writes.last_error == "store: disk full"
        assert writes.unflushed == {}

    asyncio.run(scenario())
