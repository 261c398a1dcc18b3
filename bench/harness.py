"""Shared by the bench scripts: a throw-away daemon, practice crates, percentiles."""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rustrag_protocol import encode_frame, make_request, recv_frame

REGISTRY = Path("/usr/share/cargo/registry")


def percentile(samples: list[float], fraction: float) -> float:
    """The sample at ``fraction`` of the sorted list (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def describe(samples: list[float], unit: str = "ms", scale: float = 1e3) -> str:
    """Median and p99 of ``samples`` (seconds) in ``unit``."""
    return (
        f"median {statistics.median(samples) * scale:8.3f} {unit}  "
        f"p99 {percentile(samples, 0.99) * scale:8.3f} {unit}  (n={len(samples)})"
    )


class BenchDaemon:
    """A daemon in a throw-away state dir."""

    def __init__(
        self, embeddings: bool = False, state: Path | None = None, config: str = ""
    ) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="rrb", dir="/tmp"))
        self.socket = self.base / "rustragd.sock"
        self.env = dict(os.environ)
        self.env.update(
            XDG_STATE_HOME=str(state or self.base / "state"),
            XDG_CONFIG_HOME=str(self.base / "config"),
            RUSTRAG_SOCKET=str(self.socket),
            RUSTRAG_EMBEDDINGS="1" if embeddings else "0",
        )
        if config:
            (self.base / "config" / "rustrag").mkdir(parents=True)
            (self.base / "config" / "rustrag" / "config.yaml").write_text(config)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rustragd", "--log-level", "warning"],
            env=self.env,
            stderr=open(self.base / "log", "wb"),  # noqa: SIM115 - lives as long as the daemon
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                self.request("hello")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def connect(self) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(str(self.socket))
        return sock

    def request(self, op: str, args: dict[str, Any] | None = None, root: str | None = None) -> Any:
        with self.connect() as sock:
            sock.sendall(encode_frame(dict(make_request(1, op, args, root))))
            response = recv_frame(sock, 1 << 30)
        if not response["ok"]:
            raise RuntimeError(response["error"])
        return response["result"]

    def workspace(self, root: Path) -> dict[str, Any]:
        """The ``status`` entry of the workspace at ``root``."""
        found: dict[str, Any] = next(
            w for w in self.request("status")["workspaces"] if w["root"] == str(root)
        )
        return found

    def close(self) -> None:
        self.request("shutdown")
        self.process.wait(timeout=60)
        shutil.rmtree(self.base, ignore_errors=True)


def practice_crate(crate: str) -> Path | None:
    """The Debian registry folder of a practice crate, if installed."""
    found = sorted(REGISTRY.glob(f"{crate}-[0-9]*"))
    return found[-1] if found else None
