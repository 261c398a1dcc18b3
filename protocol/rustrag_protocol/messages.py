"""Message types of the wire protocol (version 1)."""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

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

OpName = Literal[
    "hello",
    "status",
    "index",
    "reindex",
    "wait",
    "symbols",
    "search",
    "def",
    "forget",
    "shutdown",
]


class Request(TypedDict):
    """A request frame."""

    v: int
    id: int
    op: str
    root: NotRequired[str]
    args: dict[str, Any]


class ErrorBody(TypedDict):
    """The ``error`` member of a failed response."""

    code: str
    message: str
    data: NotRequired[Any]


class OkResponse(TypedDict):
    """A successful response."""

    v: int
    id: int
    ok: Literal[True]
    result: Any
    clock: str


class ErrorResponse(TypedDict):
    """A failed response."""

    v: int
    id: int
    ok: Literal[False]
    error: ErrorBody


Response = OkResponse | ErrorResponse


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
