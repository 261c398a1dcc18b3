"""CozoScript from a user, made safe to run over a workspace's store: one query (or a
system op that only reads), bounded in time and rows.

Cozo runs it in its read-only mode too (``immutable``): what this module refuses is
refused first with a clear reason, and what it lets through still cannot write.
"""

from __future__ import annotations

import re

__all__ = ["READ_SYSTEM_OPS", "QueryRefused", "bounded_script"]

#: System ops that only read (``::relations``, ``::columns item``).
READ_SYSTEM_OPS = frozenset({"relations", "columns", "indices", "describe"})
#: Query options that write or change the store.
_WRITES = re.compile(
    r"(?<![\w:]):(put|rm|create|replace|insert|update|delete|ensure|ensure_not|returning)\b"
)
_LIMIT = re.compile(r"(?<![\w:]):limit\s+(\d+)")
_TIMEOUT = re.compile(r"(?<![\w:]):timeout\s+(\d+(?:\.\d*)?)")


class QueryRefused(ValueError):
    """A script that the read-only console does not run (the message says why)."""


def bounded_script(script: str, timeout_s: float, max_rows: int) -> str:
    """``script`` with its time bounded by ``timeout_s`` and its rows by ``max_rows`` + 1
    (one more tells that rows were cut); its own ``:limit`` and ``:timeout`` hold when
    they are lower. Refuses what writes, chained and imperative scripts, and system ops
    other than :data:`READ_SYSTEM_OPS`."""
    text = script.strip()
    if not text:
        raise QueryRefused("empty script")
    if text.startswith("::"):
        name = text[2:].split(None, 1)[0] if len(text) > 2 else ""
        if name not in READ_SYSTEM_OPS:
            allowed = ", ".join(f"::{op}" for op in sorted(READ_SYSTEM_OPS))
            raise QueryRefused(f"system op ::{name} is not read-only; allowed: {allowed}")
        return text
    if text.startswith(("{", "%")):
        raise QueryRefused("chained and imperative scripts are not run; send one query")
    written = _WRITES.search(text)
    if written:
        raise QueryRefused(f"the console is read-only: :{written.group(1)} is refused")
    limits = [int(found) for found in _LIMIT.findall(text)]
    timeouts = [float(found) for found in _TIMEOUT.findall(text)]
    rows = min([max_rows + 1, *limits[-1:]])
    seconds = min([timeout_s, *timeouts[-1:]])
    # The last of an option wins: these come last.
    return f"{text}\n:limit {rows}\n:timeout {seconds:g}"
