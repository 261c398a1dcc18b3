"""The op registry: ``@op("name")`` on one async function per op."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rustrag_protocol import ErrorCode, ProtocolError

from rustragd.server.ops.args import number

if TYPE_CHECKING:
    from rustragd.server.daemon import Daemon
    from rustragd.server.events import Subscriber


@dataclass(slots=True)
class Context:
    """What a handler gets besides its arguments."""

    daemon: Daemon
    root: str | None
    """The workspace the client asked about (usually its working directory)."""
    stream: Subscriber | None = None
    """Set by a handler whose connection goes on to receive pushed events."""


Handler = Callable[[Context, dict[str, Any]], Awaitable[Any]]

OPS: dict[str, Handler] = {}

#: Ops that ``sync: true`` does not apply to (they are not questions about a workspace).
_NO_SYNC = frozenset({"hello", "status", "shutdown", "index", "forget", "wait"})


def op(name: str) -> Callable[[Handler], Handler]:
    """Register a handler; registering a name twice fails at import."""

    def register(handler: Handler) -> Handler:
        if name in OPS:
            raise RuntimeError(f"op {name!r} is registered twice")
        OPS[name] = handler
        return handler

    return register


async def dispatch(name: str, context: Context, args: dict[str, Any]) -> Any:
    """Run the handler of op ``name``."""
    handler = OPS.get(name)
    if handler is None:
        known = ", ".join(sorted(OPS))
        raise ProtocolError(f"unknown op {name!r}; known ops: {known}", ErrorCode.UNKNOWN_OP)
    if args.get("sync") is True and name not in _NO_SYNC:
        # ``sync: true``: answer only once every change made before the request is applied.
        workspace = context.daemon.resolve(context.root)
        await context.daemon.sync(workspace, number(args, "timeout", 60.0))
    return await handler(context, args)
