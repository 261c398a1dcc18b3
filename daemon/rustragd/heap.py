"""The process's heap: the garbage collector's thresholds, the C heap's arenas, settling
the heap after a load (frozen out of the collector's passes, freed memory handed back to
the system), and one copy of each string repeated across rows decoded in bulk."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import sys
from collections.abc import Callable
from functools import cache
from typing import Any

import msgpack

__all__ = [
    "ARENAS",
    "GC_THRESHOLDS",
    "limit_arenas",
    "release_heap",
    "settle_heap",
    "shared",
    "unpack_shared",
]

#: Collect young objects every 50k allocations instead of 700: extraction and
#: resolution build hundreds of thousands of acyclic rows, and the default
#: thresholds re-scan them over and over.
GC_THRESHOLDS = (50_000, 20, 100)
#: glibc malloc arenas a process keeps (see :func:`limit_arenas`).
ARENAS = 2
#: ``mallopt``'s parameter for the most arenas (glibc's malloc.h: ``M_ARENA_MAX``).
_M_ARENA_MAX = -8


def limit_arenas(count: int = ARENAS) -> None:
    """Keep the C heap in at most ``count`` glibc arenas, in this process and those it
    starts (``MALLOC_ARENA_MAX``), unless the environment already says how many: by
    default each thread that allocates may get an arena of its own (up to eight per
    core), and what one frees the others do not reuse. Call it before threads start.
    (The 110k-line bench workspace: settled 407 -> 382 MB, peak 544 -> 488 MB.)"""
    if "MALLOC_ARENA_MAX" in os.environ:
        return
    os.environ["MALLOC_ARENA_MAX"] = str(count)  # the worker processes read it at start
    mallopt = _libc_function("mallopt")
    if mallopt is not None:
        mallopt(_M_ARENA_MAX, count)


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
    trim = _libc_function("malloc_trim")
    if trim is not None:
        trim(0)


@cache
def _libc_function(name: str) -> Callable[..., int] | None:
    """A glibc function by ``name``, or None where the C library has none (musl, macOS)."""
    try:
        function: Callable[..., int] = getattr(ctypes.CDLL(ctypes.util.find_library("c")), name)
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


def unpack_shared(blob: bytes) -> Any:
    """``blob`` decoded by msgpack (lists, str keys or not), each repeated string held
    once (:func:`shared`)."""
    return msgpack.unpackb(blob, raw=False, strict_map_key=False, list_hook=shared)
