"""Worker processes that read, hash, parse and extract source files in bulk."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import blake3

from rustragd.model import FileExtract

#: A unit of work: workspace-relative path, module path, the hash already stored ("" if none).
Job = tuple[str, list[str], str]


@dataclass(frozen=True, slots=True)
class Unchanged:
    """A file whose content hash matches the stored one."""

    path: str


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A file that vanished or cannot be read."""

    path: str
    reason: str


Outcome = FileExtract | Unchanged | Unreadable


def content_hash(source: bytes) -> str:
    """The 16-byte blake3 digest of a file's content, as hex."""
    return blake3.blake3(source).hexdigest(length=16)


def extract_batch(root: str, jobs: list[Job]) -> list[Outcome]:
    """Run in a worker: extract every changed file of ``jobs``."""
    from rustragd.extract import extract_file  # imported in the worker only

    outcomes: list[Outcome] = []
    for rel_path, module_path, known_hash in jobs:
        try:
            source = Path(root, rel_path).read_bytes()
        except OSError as exc:
            outcomes.append(Unreadable(rel_path, exc.strerror or str(exc)))
            continue
        if known_hash and content_hash(source) == known_hash:
            outcomes.append(Unchanged(rel_path))
            continue
        outcomes.append(extract_file(rel_path, source, module_path))
    return outcomes


def _worker_init() -> None:
    # The daemon handles SIGINT/SIGTERM and shuts the pool down itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class ExtractorPool:
    """A process pool for bulk extraction, started on first use."""

    def __init__(self, workers: int = 0) -> None:
        self.workers = workers or max(1, os.cpu_count() or 1)
        self._executor: ProcessPoolExecutor | None = None

    def _ensure(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("forkserver"),
                initializer=_worker_init,
            )
        return self._executor

    async def run(self, root: Path, jobs: list[Job]) -> list[Outcome]:
        """Extract one batch in a worker process."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._ensure(), extract_batch, str(root), jobs)

    def shutdown(self) -> None:
        """Stop the workers, dropping queued batches."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
