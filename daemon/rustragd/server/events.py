"""Pushed events for subscribers (``subscribe`` / ``rustrag-client watch``)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: Events a slow subscriber may lag behind before it is dropped.
QUEUE_LIMIT = 1000


@dataclass(eq=False, slots=True)
class Subscriber:
    """One subscribed connection: its queue and the workspace it follows (None: all)."""

    root: Path | None
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))
    dropped: bool = False
    """It fell too far behind; its connection ends once the queue is drained."""


class EventHub:
    """Fans events out to subscribers; drops a subscriber that stops reading."""

    def __init__(self) -> None:
        self.subscribers: set[Subscriber] = set()

    def subscribe(self, root: Path | None) -> Subscriber:
        """A new subscription."""
        subscriber = Subscriber(root)
        self.subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        """End a subscription."""
        self.subscribers.discard(subscriber)

    def publish(self, event: str, root: Path, **data: Any) -> None:
        """Queue an event for every subscriber following ``root``."""
        message = {"push": True, "event": event, "root": str(root), **data}
        for subscriber in list(self.subscribers):
            if subscriber.root is not None and subscriber.root != root:
                continue
            try:
                subscriber.queue.put_nowait(message)
            except asyncio.QueueFull:
                log.warning("dropping a subscriber that fell %d events behind", QUEUE_LIMIT)
                subscriber.dropped = True
                self.unsubscribe(subscriber)
