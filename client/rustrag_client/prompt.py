"""The quick path: ``status --brief`` and ``wait`` on built-in modules only.

A shell prompt runs ``rustrag-client status --brief --no-start`` on every
line, and editors and git hooks run ``wait`` after each save, so those
processes must stay close to a bare ``python -c pass``.
:mod:`socket` (enum, selectors) and msgpack (datetime, for its Timestamp)
would each cost a large share of that margin, so this path talks over
:mod:`_socket`, packs its one request with the few msgpack types a request
holds and reads the response with the small msgpack reader below. A response
the reader does not take (an ext type, a malformed body) is :class:`Unreadable`,
and the caller leaves the command to the general path.
"""

from __future__ import annotations

import _socket
import sys

from rustrag_protocol.messages import make_request
from rustrag_protocol.stream import recv_exact

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any

#: As :data:`rustrag_client.connection.MAX_RESPONSE_FRAME`.
MAX_RESPONSE_FRAME = 1 << 30

#: Header byte -> (kind, size): the size of the value, or of the length that follows.
_SIZED: dict[int, tuple[str, int]] = {
    0xC4: ("bin", 1),
    0xC5: ("bin", 2),
    0xC6: ("bin", 4),
    0xCA: ("float", 4),
    0xCB: ("float", 8),
    0xCC: ("uint", 1),
    0xCD: ("uint", 2),
    0xCE: ("uint", 4),
    0xCF: ("uint", 8),
    0xD0: ("int", 1),
    0xD1: ("int", 2),
    0xD2: ("int", 4),
    0xD3: ("int", 8),
    0xD9: ("str", 1),
    0xDA: ("str", 2),
    0xDB: ("str", 4),
    0xDC: ("array", 2),
    0xDD: ("array", 4),
    0xDE: ("map", 2),
    0xDF: ("map", 4),
}

_CONSTANTS = {0xC0: None, 0xC2: False, 0xC3: True}


class Unreadable(Exception):
    """A message this module does not pack or read; the general path handles it."""


def connect(path: str, timeout: float | None) -> _socket.socket:
    """A connected socket; raises what :class:`socket.socket` raises."""
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(path)
    except BaseException:
        sock.close()
        raise
    return sock


def request(sock: _socket.socket, op: str, root: str) -> dict[str, Any]:
    """Send request 1, ``op`` (without arguments) of ``root``, and return the response."""
    sock.sendall(request_frame(op, root))
    length = int.from_bytes(recv_exact(sock, 4), "big")
    if length > MAX_RESPONSE_FRAME:
        raise Unreadable(f"frame of {length} bytes")
    return read(recv_exact(sock, length))


def request_frame(op: str, root: str) -> bytes:
    """The frame of request 1, ``op`` of ``root``, as :func:`encode_frame` makes it."""
    body = _pack(dict(make_request(1, op, {}, root)))
    return len(body).to_bytes(4, "big") + body


def read(body: bytes) -> dict[str, Any]:
    """Decode a frame body as :func:`rustrag_protocol.decode_body` does, or raise Unreadable."""
    try:
        message, end = _decode(body, 0)
    except (IndexError, UnicodeDecodeError, RecursionError) as exc:
        raise Unreadable(str(exc)) from exc
    if end != len(body) or not isinstance(message, dict):
        raise Unreadable("not one map")
    return message


def _pack(value: object) -> bytes:
    """msgpack of the values a request holds: maps, strings, small ints."""
    if isinstance(value, str):
        try:
            data = value.encode("utf-8")
        except UnicodeEncodeError as exc:  # msgpack refuses it too: let it say so
            raise Unreadable(str(exc)) from exc
        n = len(data)
        if n < 0x20:
            return bytes((0xA0 | n,)) + data
        if n < 0x100:
            return b"\xd9" + n.to_bytes(1, "big") + data
        if n < 0x10000:
            return b"\xda" + n.to_bytes(2, "big") + data
        return b"\xdb" + n.to_bytes(4, "big") + data
    if isinstance(value, dict) and len(value) < 0x10:
        return bytes((0x80 | len(value),)) + b"".join(
            _pack(key) + _pack(item) for key, item in value.items()
        )
    if type(value) is int and 0 <= value < 0x80:
        return bytes((value,))
    raise Unreadable(f"cannot pack {type(value).__name__}")


def _decode(data: bytes, pos: int) -> tuple[Any, int]:
    """The msgpack value at ``pos`` of ``data``, and the position after it."""
    first = data[pos]
    pos += 1
    if first < 0x80:
        return first, pos
    if first >= 0xE0:
        return first - 0x100, pos
    if first < 0x90:
        return _map(data, pos, first & 0x0F)
    if first < 0xA0:
        return _array(data, pos, first & 0x0F)
    if first < 0xC0:
        return _chunk(data, pos, first & 0x1F, "str")
    if first in _CONSTANTS:
        return _CONSTANTS[first], pos
    if first not in _SIZED:
        raise Unreadable(f"msgpack type 0x{first:02x}")
    kind, size = _SIZED[first]
    raw, pos = _chunk(data, pos, size, "bin")
    if kind == "uint":
        return int.from_bytes(raw, "big"), pos
    if kind == "int":
        return int.from_bytes(raw, "big", signed=True), pos
    if kind == "float":  # memoryview reads the native byte order (without _struct)
        native = raw if sys.byteorder == "big" else raw[::-1]
        return memoryview(native).cast("f" if size == 4 else "d")[0], pos
    count = int.from_bytes(raw, "big")
    if kind == "array":
        return _array(data, pos, count)
    if kind == "map":
        return _map(data, pos, count)
    return _chunk(data, pos, count, kind)


def _chunk(data: bytes, pos: int, size: int, kind: str) -> tuple[Any, int]:
    end = pos + size
    if end > len(data):
        raise Unreadable("truncated")
    raw = data[pos:end]
    return (raw.decode("utf-8") if kind == "str" else raw), end


def _array(data: bytes, pos: int, count: int) -> tuple[list[Any], int]:
    items = []
    for _ in range(count):
        item, pos = _decode(data, pos)
        items.append(item)
    return items, pos


def _map(data: bytes, pos: int, count: int) -> tuple[dict[Any, Any], int]:
    result = {}
    for _ in range(count):
        key, pos = _decode(data, pos)
        if not isinstance(key, str | bytes):
            raise Unreadable(f"map key of type {type(key).__name__}")
        result[key], pos = _decode(data, pos)
    return result, pos
