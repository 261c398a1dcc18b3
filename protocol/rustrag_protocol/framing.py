"""Frames: a 4-byte big-endian unsigned length, then one msgpack map."""

from __future__ import annotations

import socket
import struct

import msgpack

from rustrag_protocol.errors import ErrorCode, ProtocolError
from rustrag_protocol.stream import recv_exact

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up time)
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

HEADER = struct.Struct(">I")
DEFAULT_MAX_FRAME = 16 * 1024 * 1024


class FrameTooLarge(ProtocolError):
    """A frame announced a length over the limit."""

    code = ErrorCode.TOO_LARGE


def encode_frame(message: Mapping[str, object]) -> bytes:
    """Serialise one message as a length-prefixed msgpack frame."""
    body: bytes = msgpack.packb(message, use_bin_type=True)
    return HEADER.pack(len(body)) + body


def decode_body(body: bytes) -> dict[str, Any]:
    """Decode a frame body; it must be one msgpack map with string keys."""
    try:
        message = msgpack.unpackb(body, raw=False, strict_map_key=True)
    except Exception as exc:  # msgpack raises several unrelated types
        raise ProtocolError(f"malformed msgpack body: {exc}", ErrorCode.BAD_REQUEST) from exc
    if not isinstance(message, dict):
        raise ProtocolError(
            f"frame body must be a msgpack map, got {type(message).__name__}",
            ErrorCode.BAD_REQUEST,
        )
    return message


def check_length(length: int, max_frame: int) -> None:
    """Refuse a frame whose announced length exceeds ``max_frame``."""
    if length > max_frame:
        raise FrameTooLarge(f"frame of {length} bytes exceeds the limit of {max_frame} bytes")


def recv_frame(sock: socket.socket, max_frame: int = DEFAULT_MAX_FRAME) -> dict[str, Any]:
    """Read one frame from a blocking socket."""
    (length,) = HEADER.unpack(recv_exact(sock, HEADER.size))
    check_length(length, max_frame)
    return decode_body(recv_exact(sock, length))
