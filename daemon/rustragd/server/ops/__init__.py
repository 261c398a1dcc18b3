"""Request handlers, one function per op, registered with ``@op``.

Importing this package registers every op.
"""

from rustragd.server.ops import (
    datalog,
    graph,
    impact,
    maintenance,
    queries,
    retrieval,
    session,
    stream,
)
from rustragd.server.ops.registry import OPS, Context, dispatch, op

__all__ = [
    "OPS",
    "Context",
    "datalog",
    "dispatch",
    "graph",
    "impact",
    "maintenance",
    "op",
    "queries",
    "retrieval",
    "session",
    "stream",
]
