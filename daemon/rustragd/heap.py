"""The process's garbage collector: its thresholds, and settling the heap after a load."""

from __future__ import annotations

import gc

__all__ = ["GC_THRESHOLDS", "settle_heap"]

#: Collect young objects every 50k allocations instead of 700: extraction and
#: resolution build hundreds of thousands of acyclic rows, and the default
#: thresholds re-scan them over and over.
GC_THRESHOLDS = (50_000, 20, 100)


def settle_heap() -> None:
    """Take what the daemon now holds for good (items, graphs, resolvers: millions of
    objects) out of the cyclic collector's passes, which otherwise land in the middle of
    edits. Those structures hold no reference cycles, so reference counting still frees
    them when they are replaced; a collection first keeps garbage cycles of the moment
    (tracebacks, finished tasks) out of it."""
    gc.collect()
    gc.freeze()
