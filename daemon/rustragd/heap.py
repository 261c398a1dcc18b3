"""The process's heap: the garbage collector's thresholds, settling the heap after a load
(frozen out of the collector's passes, freed memory handed back to the system), and one
copy of each string repeated across rows decoded in bulk."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys
from collections.abc import Callable
from functools import cache
from typing import Any

__all__ = ["GC_THRESHOLDS", "release_heap", "settle_heap", "shared"]

#: Collect young objects every 50k allocations instead of 700: extraction and
#: resolution build hundreds of thousands of acyclic rows, and the default
#: thresholds re-scan them over and over.
GC_THRESHOLDS = (50_000, 20, 100)


def settle_heap() -> None:
    """Take what the daemon now holds for good (items, graphs, resolvers: millions of
    objects) out of the cyclic collector's passes, which otherwise land in the middle of
    edits. Those structures hold no reference cycles, so reference counting still frees
    them when they are replaced; a collection first keeps garbage cycles of the moment
    (tracebacks, finished tasks) out of it.

    Then the C heap's free memory goes back to the system: loading a workspace frees
    far more than it keeps (the store's result rows become items and edges), and glibc
    keeps freed memory mapped unless asked (on 70k edges, 97 of the 156 MB a load adds)."""
    gc.collect()
    gc.freeze()
    release_heap()


def release_heap() -> None:
    """Hand the C heap's free memory back to the system (glibc keeps it mapped unless
    asked): what a worker does once a job's objects are gone."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS)."""
    name = ctypes.util.find_library("c")
    try:
        function: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    return function


def shared(values: list[Any]) -> list[Any]:
    """``values`` with each string replaced by its interned copy, in place (a msgpack
    ``list_hook``): msgpack makes a new string for every occurrence, and rows decoded in
    bulk write the same names, kinds and paths thousands of times (a resolver's facts
    took 8 of 9.6 MB in strings; a third of 78k edges' memory was theirs)."""
    for index, value in enumerate(values):
        if type(value) is str:
            values[index] = sys.intern(value)
    return values
