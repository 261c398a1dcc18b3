"""What ``status`` reports of a workspace's live edits: per-stage timings and totals."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

__all__ = ["RECENT", "LiveStats"]

#: How many deltas ``status`` lists in ``live.recent``.
RECENT = 8


@dataclass(slots=True)
class LiveStats:
    """Per-stage timings of the last deltas and totals since start, for ``status``."""

    last_ms: dict[str, float] = field(default_factory=dict)
    """Work per stage of the last delta, after the debounce, until it is queryable (its
    store writes run after: :attr:`rustragd.store.write_behind.WriteBehind.last_ms`)."""
    last_wait_ms: float = 0.0
    """From the write of the last delta's oldest change until the daemon took it up."""
    recent: deque[dict[str, object]] = field(default_factory=lambda: deque(maxlen=RECENT))
    """The last :data:`RECENT` deltas: files, wait and per-stage milliseconds."""
    batches: int = 0
    files_seen: int = 0
    files_unchanged: int = 0
    items_added: int = 0
    items_updated: int = 0
    items_moved: int = 0
    items_removed: int = 0
    items_queued_for_embedding: int = 0
    items_skipped_by_hash: int = 0
    resolutions_incremental: int = 0
    resolutions_full: int = 0

    def as_dict(self) -> dict[str, object]:
        """A plain map."""
        found = {name: getattr(self, name) for name in self.__slots__}
        found["recent"] = list(self.recent)
        return found
