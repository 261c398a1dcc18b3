"""Building the messages of the wire protocol (version 1); shapes in :mod:`.schema`."""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (client start-up)
if TYPE_CHECKING:
    from typing import Any

    from rustrag_protocol.schema import ErrorBody, ErrorResponse, OkResponse, Request

PROTOCOL_VERSION = 1

#: Capabilities announced by ``hello``; a client checks for a name before using a feature.
CAPABILITIES: tuple[str, ...] = (
    "index",
    "symbols",
    "search",
    "def",
    "wait",
    "forget",
    "status",
    "shutdown",
)


def make_request(
    request_id: int, op: str, args: dict[str, Any] | None = None, root: str | None = None
) -> Request:
    """Build a request frame body."""
    request: Request = {"v": PROTOCOL_VERSION, "id": request_id, "op": op, "args": args or {}}
    if root is not None:
        request["root"] = root
    return request


def ok_response(request_id: int, result: Any, clock: str) -> OkResponse:
    """Build a successful response."""
    return {"v": PROTOCOL_VERSION, "id": request_id, "ok": True, "result": result, "clock": clock}


def error_response(request_id: int, code: str, message: str, data: Any = None) -> ErrorResponse:
    """Build an error response; ``message`` is a sentence a user can read."""
    error: ErrorBody = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"v": PROTOCOL_VERSION, "id": request_id, "ok": False, "error": error}
