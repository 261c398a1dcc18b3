"""The op registry: ``@op("name")`` on one async function per op."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rustrag_protocol import ErrorCode, ProtocolError

from rustragd.server.ops.args import SYNC_TIMEOUT_S, number

if TYPE_CHECKING:
    from rustragd.server.daemon import Daemon
    from rustragd.server.events import Subscriber
    from rustragd.workspace.state import Workspace


@dataclass(slots=True)
class Context:
    """What a handler gets besides its arguments."""

    daemon: Daemon
    root: str | None
    """The workspace the client asked about (usually its working directory)."""
    stream: Subscriber | None = None
    """Set by a handler whose connection goes on to receive pushed events."""

    @property
    def workspace(self) -> Workspace:
        """The registered workspace the request is about (the one containing :attr:`root`)."""
        return self.daemon.workspace_containing(self.root)


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
        await context.daemon.sync(context.workspace, number(args, "timeout", SYNC_TIMEOUT_S))
    return await handler(context, args)
