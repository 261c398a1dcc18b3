"""Hostile requests for fuzzing the daemon: every op but ``shutdown``, with argument and
envelope values a careless or malicious client may send (NUL bytes, paths longer than the
OS takes, relative paths, files where directories are expected, huge strings and numbers,
NaN, deep nesting, wrong types). Used by tests/test_robustness.py and bench/fuzz.py."""

from __future__ import annotations

import math
import random
from typing import Any

#: Ops a fuzzer sends (``shutdown`` would end the run).
OPS = (
    "hello",
    "status",
    "index",
    "reindex",
    "wait",
    "forget",
    "subscribe",
    "symbols",
    "search",
    "def",
    "name",
    "callers",
    "callees",
    "uses",
    "neighbors",
    "impls",
    "methods",
    "ask",
)
#: Argument names the ops read, and a few they do not.
ARGS = (
    "path",
    "name",
    "qualname",
    "kind",
    "limit",
    "depth",
    "k",
    "budget",
    "query",
    "timeout",
    "wait",
    "all",
    "id",
    "exclude_tests",
    "sync",
    "version",
    "frobnicate",
)


def hostile_value(rng: random.Random, depth: int = 0, huge: bool = False) -> Any:
    """One value of a kind that has broken daemons (``huge``: strings up to 1 MiB)."""
    pick = rng.randrange(17 if depth < 3 else 14)
    if pick == 0:
        return ""
    if pick == 1:
        return f"/tmp/x\0{rng.randrange(1 << 30)}"
    if pick == 2:
        return "a" * rng.choice((256, 300, 5000, (1 << 20) if huge else 6000))
    if pick == 3:
        return "/" + "/".join("b" * 255 for _ in range(rng.randrange(1, 20)))
    if pick == 4:
        return rng.choice(("src/lib.rs", "../..", ".", "relative/dir"))
    if pick == 5:
        return f"/nonexistent/rustrag/{rng.randrange(1 << 30)}"
    if pick == 6:
        return rng.choice(("/etc/hostname", "/dev/null", "/proc/self/status"))
    if pick == 7:
        return f"~/rustrag-nonexistent-{rng.randrange(1 << 30)}"
    if pick == 8:
        return "".join(chr(rng.randrange(1, 0x2FFF)) for _ in range(rng.randrange(1, 40)))
    if pick == 9:
        return rng.choice((0, -1, 1, 7, 2**31, 2**63 - 1, -(2**63)))
    if pick == 10:
        return rng.choice((math.nan, math.inf, -math.inf, 0.5, -1.5, 1e308))
    if pick == 11:
        return rng.choice((None, True, False))
    if pick == 12:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(0, 64)))
    if pick == 13:
        return rng.choice(("function", "Vec", "main", "x::y", "crate::a", "*", "%", "\t"))
    if pick == 14:
        return [hostile_value(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
    if pick == 15:
        return {str(hostile_value(rng, 3))[:20]: hostile_value(rng, depth + 1) for _ in range(3)}
    return {rng.choice(ARGS): hostile_value(rng, depth + 1)}


def hostile_request(
    rng: random.Random, ident: int, roots: list[str], huge: bool = False
) -> dict[str, Any]:
    """A request envelope: a random op, hostile arguments, and as ``root`` one of
    ``roots`` (real workspaces, so that ops get past the lookup) or a hostile value."""
    args = {rng.choice(ARGS): hostile_value(rng, huge=huge) for _ in range(rng.randrange(0, 4))}
    request: dict[str, Any] = {"v": 1, "id": ident, "op": rng.choice(OPS), "args": args}
    if roots and rng.random() < 0.6:
        request["root"] = rng.choice(roots)
    elif rng.random() < 0.7:
        request["root"] = hostile_value(rng, huge=huge)
    return request
