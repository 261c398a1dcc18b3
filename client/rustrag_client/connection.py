"""A blocking connection to the daemon's socket, starting the daemon when asked to."""

from __future__ import annotations

import os
import socket
import sys
import time

from rustrag_protocol import encode_frame, make_request, recv_frame
from rustrag_protocol.paths import default_state_dir

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up time)
if TYPE_CHECKING:
    import subprocess
    from typing import Any

#: Responses may be larger than requests (a whole workspace's symbols).
MAX_RESPONSE_FRAME = 1 << 30


class DaemonUnreachable(Exception):
    """No daemon answers on the socket."""


class RequestTimeout(Exception):
    """The daemon did not answer within the timeout."""


class Connection:
    """One socket connection; requests are sent one after the other."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._next_id = 1

    def request(
        self, op: str, args: dict[str, Any] | None = None, root: str | None = None
    ) -> dict[str, Any]:
        """Send one request and return its response frame."""
        request_id = self._next_id
        self._next_id += 1
        try:
            self._sock.sendall(encode_frame(dict(make_request(request_id, op, args, root))))
            response: dict[str, Any] = recv_frame(self._sock, MAX_RESPONSE_FRAME)
            return response
        except TimeoutError as exc:
            raise RequestTimeout(f"no answer to {op!r} in time") from exc

    def receive(self) -> dict[str, Any]:
        """The next frame the daemon pushes (after ``subscribe``)."""
        try:
            frame: dict[str, Any] = recv_frame(self._sock, MAX_RESPONSE_FRAME)
            return frame
        except TimeoutError as exc:
            raise RequestTimeout("no event in time") from exc

    def close(self) -> None:
        """Close the socket."""
        self._sock.close()


def _connect_once(path: str, timeout: float | None) -> Connection:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(path)
    except (FileNotFoundError, ConnectionRefusedError, NotADirectoryError) as exc:
        sock.close()
        raise DaemonUnreachable(str(exc)) from exc
    except TimeoutError as exc:
        sock.close()
        raise RequestTimeout(f"connecting to {path} timed out") from exc
    return Connection(sock)


def start_daemon(socket_path: str) -> tuple[subprocess.Popen[bytes], str]:
    """Start rustragd in the background, detached, logging to the state dir."""
    import subprocess  # only this path needs it; keeps every other run fast

    state_dir = default_state_dir()
    os.makedirs(state_dir, exist_ok=True)
    log_path = os.path.join(state_dir, "rustragd.log")
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "rustragd", "--socket", socket_path],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
            close_fds=True,
            cwd="/",
            env=os.environ.copy(),
        )
    return process, log_path


def connect(path: str, timeout: float | None, start: bool) -> Connection:
    """Connect; when nothing answers and ``start`` is set, start the daemon and retry."""
    try:
        return _connect_once(path, timeout)
    except DaemonUnreachable:
        if not start:
            raise
    process, log_path = start_daemon(path)
    deadline = time.monotonic() + (timeout if timeout is not None else 30.0)
    while True:
        try:
            return _connect_once(path, timeout)
        except DaemonUnreachable as exc:
            exited = process.poll()
            # Exit code 3: another daemon won the race to start; keep trying to reach it.
            if (exited is not None and exited != 3) or time.monotonic() > deadline:
                raise DaemonUnreachable(
                    f"started rustragd but it did not answer; see {log_path}"
                ) from exc
            time.sleep(0.02)
