"""``rustrag-mcp`` through the official MCP SDK's own stdio client: the real server
process, the real daemon on a real socket, a real Cargo workspace."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
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


PRACTICE = Path("/tmp/rustrag-practice/regex-syntax")


@pytest.mark.skipif(not PRACTICE.is_dir(), reason="practice crates not installed")
def test_a_real_crate_through_mcp(daemon_env: DaemonEnv) -> None:
    """regex-syntax: ask, impls, callers, impact and query give the right answers; a
    mutating script is refused and nothing changes; a runaway one is stopped."""
    config = Path(daemon_env.env["XDG_CONFIG_HOME"]) / "rustrag" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text("query_timeout_s: 1\n")
    daemon_env.start()
    assert daemon_env.request("index", {"path": str(PRACTICE), "wait": True})["ok"]
    count = "?[count(id)] := *item{id}"
    runaway = "n[x] := x = 0\nn[y] := n[x], y = x + 1\n?[count(x)] := n[x]"
    put = "?[path, id, name] <- [['x.rs', 1, 'x']] :put item {path, id => name}"
    tools, results = _session_run(
        daemon_env,
        PRACTICE,
        [
            ("ask", {"query": "escape the meta characters of a regex"}),
            ("impls", {"name": "Visitor"}),
            ("callers", {"name": "regex_syntax::is_meta_character"}),
            ("impact", {"name": "regex_syntax::is_meta_character"}),
            ("query", {"script": count}),
            ("query", {"script": put}),
            ("query", {"script": count}),
            ("query", {"script": runaway}),
            ("status", {}),
        ],
    )
    assert all(tool.description and tool.input_schema["type"] == "object" for tool in tools)
    ask, impls, callers, impact, before, refused, after, stopped, status = results
    assert not ask.is_error
    assert "regex_syntax::escape" in {
        h["qualified_name"] for h in ask.structured_content["results"]
    }
    assert ask.content[0].text.startswith("## Relevant code")
    implementors = {i["type"] for i in impls.structured_content["impls"]}
    assert any("NestLimiter" in name for name in implementors), implementors
    assert "regex_syntax::escape_into" in {
        h["qualified_name"] for h in callers.structured_content["results"]
    }
    depths = {h["qualified_name"]: h["depth"] for h in impact.structured_content["results"]}
    assert depths["regex_syntax::escape_into"] == 1 and depths["regex_syntax::escape"] == 2
    assert not before.is_error and before.structured_content["rows"][0][0] > 1000
    assert refused.is_error and ":put" in refused.content[0].text
    assert after.structured_content["rows"] == before.structured_content["rows"]
    assert stopped.is_error and "killed" in stopped.content[0].text
    assert not status.is_error  # and the daemon kept serving
