"""Reading a frame's bytes off a stream socket, on built-in modules only (the client's
shell-prompt path uses it without :mod:`socket` or msgpack)."""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Protocol

    class Receiver(Protocol):
        """What reads bytes: a :class:`socket.socket` or a :class:`_socket.socket`."""

        def recv(self, size: int, /) -> bytes: ...


def recv_exact(sock: Receiver, size: int) -> bytes:
    """Exactly ``size`` bytes from ``sock``; ConnectionError if it closes before."""
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise ConnectionError("connection closed in the middle of a frame")
        chunks += chunk
    return bytes(chunks)
