"""Stable error codes carried in error responses."""

from __future__ import annotations

from enum import StrEnum

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any


class ErrorCode(StrEnum):
    """Error codes are part of the contract: never rename one."""

    BAD_REQUEST = "bad_request"
    UNKNOWN_OP = "unknown_op"
    NOT_INDEXED = "not_indexed"
    NOT_FOUND = "not_found"
    VERSION_MISMATCH = "version_mismatch"
    TOO_LARGE = "too_large"
    SHUTTING_DOWN = "shutting_down"
    TIMEOUT = "timeout"
    PERMISSION_DENIED = "permission_denied"
    INTERNAL = "internal"


class ProtocolError(Exception):
    """An error with a protocol code; the daemon turns it into an error response."""

    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str, code: ErrorCode | None = None, data: Any = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.data = data
