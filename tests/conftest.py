"""Fixtures that run the real daemon on a real socket in a short temp dir."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from rustrag_protocol import encode_frame, make_request, recv_frame

PRACTICE_REGISTRY = Path("/usr/share/cargo/registry")


@dataclass
class DaemonEnv:
    """Paths and environment of one daemon under test."""

    base: Path
    socket: Path
    state_dir: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.base / "rustragd.log"

    def start(self, *extra: str, wait: bool = True) -> subprocess.Popen[bytes]:
        """Start rustragd as a subprocess and wait until it answers."""
        with open(self.log_path, "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "rustragd", "--log-level", "debug", *extra],
                env=self.env,
                stdout=log,
                stderr=log,
            )
        self.process = process
        if wait:
            self.wait_ready(process)
        return process

    def wait_ready(self, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
        """Block until the socket answers ``hello``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"rustragd exited with {process.returncode}:\n{self.log()}")
            try:
                self.request("hello")
                return
            except OSError:
                time.sleep(0.02)
        raise AssertionError(f"rustragd did not answer in {timeout} s:\n{self.log()}")

    def stop(self, signum: int = signal.SIGTERM) -> int:
        """Signal the daemon and wait for it to exit; returns its exit code."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signum)
        code = self.process.wait(timeout=60)
        self.process = None
        return code

    def log(self) -> str:
        """The daemon's log so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def connect(self) -> socket.socket:
        """A raw connection to the daemon."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(60)
        sock.connect(str(self.socket))
        return sock

    def request(
        self, op: str, args: dict[str, Any] | None = None, root: str | None = None
    ) -> dict[str, Any]:
        """One request over a fresh raw connection."""
        with self.connect() as sock:
            sock.sendall(encode_frame(dict(make_request(1, op, args, root))))
            return recv_frame(sock, 1 << 30)

    def client(
        self, *args: str, cwd: Path | None = None, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        """Run the real ``rustrag-client`` against this daemon."""
        return subprocess.run(
            [sys.executable, "-m", "rustrag_client", "--socket", str(self.socket), *args],
            env=self.env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def client_json(self, *args: str, cwd: Path | None = None) -> Any:
        """Run the client with ``--json`` and parse its output (exit 0 or 1 expected)."""
        done = self.client(*args, "--json", cwd=cwd)
        assert done.returncode in (0, 1), f"exit {done.returncode}: {done.stderr}\n{self.log()}"
        return json.loads(done.stdout)


@pytest.fixture
def daemon_env() -> Iterator[DaemonEnv]:
    """A short temp dir (socket paths are limited to 108 bytes) and an isolated environment."""
    base = Path(tempfile.mkdtemp(prefix="rr", dir="/tmp"))
    env = dict(os.environ)
    for name in ("RUSTRAG_SOCKET", "RUSTRAG_STATE_DIR", "XDG_RUNTIME_DIR", "RUSTRAG_CONFIG"):
        env.pop(name, None)
    env["XDG_STATE_HOME"] = str(base / "state")
    env["XDG_CONFIG_HOME"] = str(base / "config")
    env["RUSTRAG_SOCKET"] = str(base / "run" / "rustragd.sock")
    env["RUSTRAG_WORKERS"] = "2"
    # Embedding is slow on a CPU; tests of ask and vectors switch it on.
    env["RUSTRAG_EMBEDDINGS"] = "0"
    denv = DaemonEnv(base, base / "run" / "rustragd.sock", base / "state" / "rustrag", env)
    yield denv
    if denv.process is not None and denv.process.poll() is None:
        denv.process.kill()
        denv.process.wait()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def daemon(daemon_env: DaemonEnv) -> Iterator[DaemonEnv]:
    """A running daemon."""
    daemon_env.start()
    yield daemon_env
    if daemon_env.process is not None:
        daemon_env.stop()


def practice_crate(name: str) -> Path:
    """A Debian-packaged crate from the practice kit (installed by .ci/run)."""
    candidates = sorted(PRACTICE_REGISTRY.glob(f"{name}-[0-9]*"))
    if not candidates:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed under {PRACTICE_REGISTRY}; .ci/run installs it")
        pytest.skip(f"{name} not installed (run ../shared/practice/setup.sh)")
    return candidates[-1]
