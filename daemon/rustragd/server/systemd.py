"""systemd integration without libsystemd: socket activation and ``sd_notify``.

Pure Python, after gunicorn's ``gunicorn/systemd.py``. Outside systemd every
function is a harmless no-op: ``listen_fds()`` returns ``[]`` and ``notify()``
returns ``False``.
"""

from __future__ import annotations

import os
import socket

__all__ = [
    "SD_LISTEN_FDS_START",
    "listen_fds",
    "notify",
    "notify_ready",
    "notify_status",
    "notify_stopping",
]

SD_LISTEN_FDS_START = 3
"""The first file descriptor systemd passes (``SD_LISTEN_FDS_START``)."""

_LISTEN_VARS = ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES")


def _env_int(name: str) -> int | None:
    """The environment variable ``name`` as an int, or ``None`` if unset or malformed."""
    try:
        return int(os.environ[name])
    except (KeyError, ValueError):
        return None


def listen_fds(unset_environment: bool = True) -> list[socket.socket]:
    """The sockets systemd passed to this process (``sd_listen_fds``), in order.

    Honoured only when ``$LISTEN_PID`` is this process, so a child that
    inherited the environment never takes its parent's sockets. The family and
    type are detected from each descriptor; each is made close-on-exec.
    Descriptors that are not sockets are skipped. With ``unset_environment``
    the ``LISTEN_*`` variables are removed whatever the outcome.
    """
    try:
        pid = _env_int("LISTEN_PID")
        count = _env_int("LISTEN_FDS")
        if pid != os.getpid() or count is None or count <= 0:
            return []
        sockets: list[socket.socket] = []
        for fd in range(SD_LISTEN_FDS_START, SD_LISTEN_FDS_START + count):
            try:
                os.set_inheritable(fd, False)
                sockets.append(socket.socket(fileno=fd))
            except OSError:
                continue  # closed or not a socket (a FIFO, a file): not ours to use
        return sockets
    finally:
        if unset_environment:
            for name in _LISTEN_VARS:
                os.environ.pop(name, None)


def _notify_address() -> str | None:
    """``$NOTIFY_SOCKET`` as a Python ``AF_UNIX`` address, or ``None``."""
    address = os.environ.get("NOTIFY_SOCKET", "")
    if address.startswith("@"):
        return "\0" + address[1:]  # abstract namespace
    if address.startswith("/"):
        return address
    return None  # unset, or a transport we do not speak (vsock:...)


def notify(state: str) -> bool:
    """Send ``state`` (``"READY=1"``, ``"STATUS=..."``, newline-separated) to systemd.

    Returns whether the datagram was sent; ``False``, silently, when not
    running under systemd or when the notification socket is unreachable.
    """
    address = _notify_address()
    if address is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.sendto(state.encode("utf-8"), address)
    except OSError:
        return False
    return True


def notify_ready() -> bool:
    """Tell systemd start-up is complete (``READY=1``)."""
    return notify("READY=1")


def notify_status(text: str) -> bool:
    """Set the one-line status ``systemctl status`` shows (``STATUS=...``)."""
    return notify("STATUS=" + " ".join(text.splitlines()))


def notify_stopping() -> bool:
    """Tell systemd a graceful stop has begun (``STOPPING=1``)."""
    return notify("STOPPING=1")
