"""MCP round trips against the raw socket: ``ask`` and ``query`` through ``rustrag-mcp``
(the SDK's own stdio client, one session) beside the same op over the daemon's socket,
p50/p99 each and the ratio; then the size of each tool's result on real questions, in
characters and estimated tokens (4 characters a token), text and structured content.

A daemon indexes a practice crate (regex-syntax; vectors on unless ``--no-vectors``).

Usage: python bench/mcp_latency.py [--runs 30] [--no-vectors]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import anyio
from harness import BenchDaemon, percentile
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

PRACTICE = Path("/tmp/rustrag-practice/regex-syntax")
QUERY = "?[kind, count(id)] := *item{id, kind}"
ASK = "how is a regular expression parsed into an abstract syntax tree?"
#: One real question per tool, for the sizes.
CALLS: list[tuple[str, dict[str, Any]]] = [
    ("ask", {"query": ASK}),
    ("search", {"name": "Parser"}),
    ("def", {"qualname": "regex_syntax::ast::parse::Parser"}),
    ("symbols", {"path": "src/ast/mod.rs"}),
    ("callers", {"name": "regex_syntax::ast::parse::ParserI::parse_with_comments"}),
    ("callees", {"name": "regex_syntax::ast::parse::ParserI::parse_with_comments"}),
    ("impls", {"name": "Visitor"}),
    ("methods", {"name": "Hir"}),
    ("uses", {"name": "regex_syntax::hir::Hir"}),
    ("impact", {"name": "regex_syntax::ast::parse::ParserI::bump"}),
    ("query", {"script": QUERY}),
    ("status", {}),
]


def _line(label: str, samples: list[float], base: list[float] | None = None) -> str:
    p50, p99 = statistics.median(samples) * 1e3, percentile(samples, 0.99) * 1e3
    ratio = f"  x{p50 / (statistics.median(base) * 1e3):.2f} of the socket" if base else ""
    return f"  {label:<22} p50 {p50:8.2f} ms  p99 {p99:8.2f} ms{ratio}"


def _socket(daemon: BenchDaemon, op: str, args: dict[str, Any], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        daemon.request(op, args, root=str(PRACTICE))
        samples.append(time.perf_counter() - started)
    return samples


async def _mcp(daemon: BenchDaemon, runs: int) -> tuple[dict[str, list[float]], list[str]]:
    server = StdioServerParameters(
        command=sys.executable,
        args=["-m", "rustrag_mcp", "--socket", str(daemon.socket), "--root", str(PRACTICE)],
        env=daemon.env,
    )
    times: dict[str, list[float]] = {"ask": [], "query": []}
    sizes: list[str] = []
    async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        for name, args in (("ask", {"query": ASK}), ("query", {"script": QUERY})):
            await session.call_tool(name, args)  # warm
            for _ in range(runs):
                started = time.perf_counter()
                result = await session.call_tool(name, args)
                times[name].append(time.perf_counter() - started)
                assert not result.is_error, result
        for name, args in CALLS:
            result = await session.call_tool(name, args)
            text = "".join(getattr(block, "text", "") for block in result.content)
            structured = json.dumps(result.structured_content or {})
            cut = (
                " (cut to the budget)" if "budget_note" in (result.structured_content or {}) else ""
            )
            error = " ERROR" if result.is_error else ""
            sizes.append(
                f"  {name:<9} text {len(text):7d} chars ~{len(text) // 4:6d} tokens, "
                f"structured {len(structured):7d} chars ~{len(structured) // 4:6d} tokens"
                f"{cut}{error}"
            )
    return times, sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--no-vectors", action="store_true")
    options = parser.parse_args()
    daemon = BenchDaemon(embeddings=not options.no_vectors)
    try:
        daemon.request("index", {"path": str(PRACTICE), "wait": True})
        print(f"{PRACTICE.name} indexed; vectors {'off' if options.no_vectors else 'on'}")
        socket_times = {
            "ask": _socket(daemon, "ask", {"query": ASK}, options.runs),
            "query": _socket(daemon, "query", {"script": QUERY}, options.runs),
        }
        mcp_times, sizes = anyio.run(_mcp, daemon, options.runs)
        print("== round trips")
        for op in ("ask", "query"):
            print(_line(f"{op} (socket)", socket_times[op]))
            print(_line(f"{op} (MCP)", mcp_times[op], socket_times[op]))
        print("== result sizes (rustrag-mcp's default budget: 6000 tokens)")
        print("\n".join(sizes))
    finally:
        daemon.close()


if __name__ == "__main__":
    main()
