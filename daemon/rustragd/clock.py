"""The daemon clock: instance id + generation, advanced by every applied batch."""

from __future__ import annotations

import os


class Clock:
    """A clock string ``c:<instance>:<generation>`` orders every change this daemon applied."""

    def __init__(self) -> None:
        self.instance = os.urandom(6).hex()
        self.generation = 0

    def advance(self) -> str:
        """Count one applied batch; returns the new clock."""
        self.generation += 1
        return str(self)

    def __str__(self) -> str:
        return f"c:{self.instance}:{self.generation}"
