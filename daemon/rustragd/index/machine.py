"""What the machine offers the worker pools: NUMA nodes, their CPUs, cache sizes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SYSFS_NODES = Path("/sys/devices/system/node")
SYSFS_CACHE = Path("/sys/devices/system/cpu/cpu0/cache")

#: Rough working set of one file in a worker (source, tree, records), for batch sizing.
BYTES_PER_FILE = 256 * 1024
MIN_BATCH_FILES, MAX_BATCH_FILES = 8, 64


@dataclass(frozen=True, slots=True)
class Node:
    """One NUMA node and the CPUs of it this process may use."""

    index: int
    cpus: frozenset[int]


def parse_cpulist(text: str) -> set[int]:
    """``0-3,8,10-11`` -> ``{0, 1, 2, 3, 8, 10, 11}``."""
    cpus: set[int] = set()
    for part in text.strip().split(","):
        if not part:
            continue
        low, _, high = part.partition("-")
        cpus.update(range(int(low), int(high or low) + 1))
    return cpus


def numa_nodes(sysfs: Path = SYSFS_NODES) -> list[Node]:
    """NUMA nodes with CPUs allowed to this process; one node holding them all if unknown."""
    allowed = os.sched_getaffinity(0)
    nodes = []
    for directory in sorted(sysfs.glob("node[0-9]*"), key=lambda p: int(p.name[4:])):
        try:
            cpus = parse_cpulist((directory / "cpulist").read_text()) & allowed
        except (OSError, ValueError):
            continue
        if cpus:
            nodes.append(Node(int(directory.name[4:]), frozenset(cpus)))
    return nodes or [Node(0, frozenset(allowed))]


def l3_bytes(sysfs: Path = SYSFS_CACHE) -> int:
    """Size of the last-level cache seen by CPU 0, 0 if unknown."""
    best = (0, 0)
    for index in sysfs.glob("index[0-9]*"):
        try:
            level = int((index / "level").read_text())
            size = _size_bytes((index / "size").read_text())
        except (OSError, ValueError):
            continue
        best = max(best, (level, size))
    return best[1]


def _size_bytes(text: str) -> int:
    text = text.strip().upper()
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
    return int(text.rstrip("KMG")) * scale


def default_batch_files(workers: int, cache: int) -> int:
    """Files per batch so that each worker's share of the L3 holds its batch."""
    if cache <= 0 or workers <= 0:
        return 32
    share = cache // workers
    return max(MIN_BATCH_FILES, min(MAX_BATCH_FILES, share // BYTES_PER_FILE))
