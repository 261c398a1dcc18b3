"""``rustrag-mcp`` through the official MCP SDK's own stdio client: the real server
process, the real daemon on a real socket, a real Cargo workspace."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import anyio
from cargo_workspace import write_workspace
from conftest import DaemonEnv
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


def _session_run(
    daemon: DaemonEnv, root: Path, calls: list[tuple[str, dict[str, Any]]], *extra: str
) -> tuple[list[Any], list[Any]]:
    """The tools ``rustrag-mcp`` lists, and the results of ``calls``, in one session."""

    async def run() -> tuple[list[Any], list[Any]]:
        server = StdioServerParameters(
            command=sys.executable,
            args=["-m", "rustrag_mcp", "--socket", str(daemon.socket), "--root", str(root), *extra],
            env=daemon.env,
        )
        async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            tools = (await session.list_tools()).tools
            results = [await session.call_tool(name, args) for name, args in calls]
            return tools, results

    return anyio.run(run)


def test_tools_answer_with_the_daemons_results_and_say_how_fresh(
    daemon: DaemonEnv, tmp_path: Path
) -> None:
    root = write_workspace(tmp_path / "ws")
    assert daemon.request("index", {"path": str(root), "wait": True})["ok"]
    tools, (search, callers, missing, bad, query) = _session_run(
        daemon,
        root,
        [
            ("search", {"name": "Circle"}),
            ("callers", {"name": "demo_core::Circle::new"}),
            ("search", {"name": "x", "root": str(tmp_path / "elsewhere")}),
            ("def", {"qualname": 5}),
            ("query", {"script": "?[name] := *item{name, kind: 'trait'}"}),
        ],
    )
    names = {tool.name for tool in tools}
    assert {"ask", "search", "def", "callers", "impls", "impact", "changed", "query"} <= names
    schema = next(tool for tool in tools if tool.name == "callers").input_schema
    assert schema["required"] == ["name"] and "root" in schema["properties"]

    assert not search.is_error
    hits = search.structured_content["results"]
    assert hits and hits[0]["name"] == "Circle"
    assert "demo_core::Circle" in search.content[0].text
    freshness = search.structured_content["freshness"]
    assert freshness["state"] == "ready" and freshness["clock"]

    assert not callers.is_error
    assert {hit["qualified_name"] for hit in callers.structured_content["results"]} == {"app::main"}

    assert missing.is_error  # a daemon error is a tool error, with a hint to act on
    assert "not_indexed" in missing.content[0].text
    assert "index tool" in missing.content[0].text
    assert bad.is_error
    assert not query.is_error and ["Shape"] in query.structured_content["rows"]
    assert query.content[0].text.splitlines()[0] == "name"


def test_a_smaller_tool_set_and_a_token_budget(daemon: DaemonEnv, tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws")
    assert daemon.request("index", {"path": str(root), "wait": True})["ok"]
    tools, (symbols,) = _session_run(
        daemon, root, [("symbols", {})], "--tools", "symbols,callers", "--max-tokens", "60"
    )
    assert [tool.name for tool in tools] == ["symbols", "callers"]
    assert not symbols.is_error
    structured = symbols.structured_content
    assert "token budget" in structured["budget_note"]
    assert 0 < len(structured["results"]) < 8
    assert "[showing" in symbols.content[0].text


def test_unknown_tools_are_refused_at_start() -> None:
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "rustrag_mcp", "--tools", "ask,frobnicate"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "unknown tools: frobnicate" in done.stderr
