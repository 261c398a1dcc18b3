"""Typed shapes of the wire messages (version 1), for type checkers and readers.

Kept apart from :mod:`rustrag_protocol.messages` so that the client, which
builds messages on every run, never pays for importing :mod:`typing`.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict


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
