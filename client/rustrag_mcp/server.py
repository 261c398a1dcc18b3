"""``rustrag-mcp``: a stdio MCP server whose tools are rustragd's ops.

It talks to the daemon over its socket as ``rustrag-client`` does (starting it when
absent), one connection per call, in a worker thread. Each result is the op's JSON as
structured content (with ``freshness``: the daemon's clock, the workspace's state and
its pending vectors and writes) and a text rendering (the markdown context pack for
``ask``), both cut to ``--max-tokens`` with a note saying so (``budget_note``). A
daemon error comes back as a tool error with its message and a hint, never as a crash
of the server.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import anyio
import anyio.to_thread
import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from rustrag_client import __version__
from rustrag_client.connection import DaemonUnreachable, RequestTimeout, connect
from rustrag_protocol.paths import default_socket_path

from rustrag_mcp.tools import Tool, select_tools

__all__ = ["Bridge", "main"]

#: Characters per token, to hold a result to a token budget.
CHARS_PER_TOKEN = 4
#: The lists of a result that are cut to fit (the first one present).
_LISTS = ("results", "edges", "impls", "methods", "context", "workspaces")
_HINTS = {
    "not_indexed": "call the index tool with the workspace's path first",
    "bad_request": "check the arguments against the tool's input schema",
    "not_found": "check the path",
    "too_large": "ask for less (a smaller limit or depth)",
}


class Bridge:
    """Calls the daemon for the tools."""

    def __init__(self, socket_path: str, root: str, max_tokens: int, timeout: float) -> None:
        self.socket_path = socket_path
        self.root = root
        self.max_chars = max_tokens * CHARS_PER_TOKEN
        self.timeout = timeout

    def call(self, tool: Tool, arguments: dict[str, Any]) -> types.CallToolResult:
        """Run ``tool`` with ``arguments`` (blocking: a worker thread's)."""
        args = dict(arguments)
        root = args.pop("root", None) or self.root
        if tool.op == "wait":
            args.setdefault("timeout", self.timeout)
        try:
            connection = connect(self.socket_path, self.timeout, start=True)
        except (DaemonUnreachable, RequestTimeout, OSError) as exc:
            return _error(f"rustragd is not reachable on {self.socket_path}: {exc}")
        try:
            response = connection.request(tool.op, args, root)
            if not response.get("ok"):
                error = response.get("error", {})
                code = str(error.get("code", "internal"))
                hint = _HINTS.get(code, "")
                message = f"{error.get('message')} [{code}]" + (f"; {hint}" if hint else "")
                return _error(message)
            freshness = _freshness(connection.request("status", {}, root), root)
        except (RequestTimeout, OSError, ValueError) as exc:
            return _error(f"the daemon did not answer {tool.name}: {exc}")
        finally:
            connection.close()
        result = response["result"]
        result, note = self._fit(result)
        text = tool.render(result)
        if len(text) > self.max_chars:
            text = text[: self.max_chars]
            note = note or "the text was cut to the token budget"
        if note:
            text += f"\n\n[{note}]"
        structured = {**result, "freshness": {"clock": response.get("clock"), **freshness}}
        if note:
            structured["budget_note"] = note
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=text)], structured_content=structured
        )

    def _fit(self, result: Any) -> tuple[Any, str]:
        """``result`` with its lists cut until its JSON fits the budget (``ask``'s graph
        context first, then its main list), and a note saying what was kept."""
        if not isinstance(result, dict):
            return result, ""
        key = next((k for k in _LISTS if isinstance(result.get(k), list)), None)
        if key is None or _size(result) <= self.max_chars:
            return result, ""
        notes = []
        if key != "context" and isinstance(result.get("context"), list):
            result, note = self._cut(result, "context", least=0)
            notes.append(note)
            if _size(result) <= self.max_chars:
                return result, notes[0]
        result, note = self._cut(result, key, least=1)
        return result, "; ".join([note, *notes])

    def _cut(self, result: dict[str, Any], key: str, least: int) -> tuple[dict[str, Any], str]:
        """``result`` with the longest prefix of its list ``key`` that fits (``least`` at
        the fewest), and a note."""
        entries = result[key]
        kept, over = least, len(entries) + 1  # the longest prefix that fits: in between
        while over - kept > 1:
            middle = (kept + over) // 2
            if _size({**result, key: entries[:middle]}) <= self.max_chars:
                kept = middle
            else:
                over = middle
        note = f"showing {kept} of {len(entries)} {key} (token budget); ask for fewer"
        return {**result, key: entries[:kept]}, note


def _size(value: Any) -> int:
    return len(json.dumps(value, default=str))


def _freshness(status: dict[str, Any], root: str) -> dict[str, Any]:
    """What the status says of the workspace containing ``root``."""
    if not status.get("ok"):
        return {}
    workspaces = status["result"].get("workspaces", [])
    inside = [w for w in workspaces if root == w["root"] or root.startswith(w["root"] + "/")]
    if not inside:
        return {"state": "not indexed"}
    workspace = max(inside, key=lambda w: len(w["root"]))
    live = workspace.get("live", {})
    return {
        "state": workspace["state"],
        "vectors": workspace.get("vectors", {}),
        "pending_writes": live.get("store_pending", 0),
    }


def _error(message: str) -> types.CallToolResult:
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=message)], is_error=True
    )


def build_server(bridge: Bridge, tools: tuple[Tool, ...]) -> Server[Any]:
    """The MCP server of ``tools``, calling the daemon through ``bridge``."""
    by_name = {tool.name: tool for tool in tools}
    listed = [
        types.Tool(name=t.name, description=t.description, input_schema=t.input_schema())
        for t in tools
    ]

    async def list_tools(_context: Any, _params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=listed)

    async def call_tool(_context: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        tool = by_name.get(params.name)
        if tool is None:
            return _error(f"unknown tool {params.name!r}; tools: {', '.join(by_name)}")
        arguments = params.arguments or {}
        return await anyio.to_thread.run_sync(bridge.call, tool, arguments)

    return Server(
        "rustrag",
        version=__version__,
        instructions="Precise Rust code intelligence for the workspace: ask for open "
        "questions, the graph tools (callers, callees, impls, methods, uses, def) for exact "
        "ones. Every result says how fresh the index is.",
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


async def _serve(server: Server[Any]) -> None:
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``rustrag-mcp`` script."""
    parser = argparse.ArgumentParser(prog="rustrag-mcp", description=__doc__.splitlines()[0])
    parser.add_argument("--root", help="the workspace (default: the working directory)")
    parser.add_argument("--socket", help="the daemon's socket (default: rustrag-client's)")
    parser.add_argument(
        "--tools",
        default=os.environ.get("RUSTRAG_MCP_TOOLS"),
        help="comma-separated tools to offer (default: all; env RUSTRAG_MCP_TOOLS)",
    )
    parser.add_argument("--max-tokens", type=int, default=6000, help="per-call result budget")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per daemon call")
    parser.add_argument("--version", action="version", version=f"rustrag-mcp {__version__}")
    options = parser.parse_args(argv)
    try:
        tools = select_tools(options.tools)
    except ValueError as exc:
        parser.error(str(exc))
    root = os.path.abspath(os.path.expanduser(options.root or os.getcwd()))
    bridge = Bridge(
        options.socket or default_socket_path(), root, options.max_tokens, options.timeout
    )
    anyio.run(_serve, build_server(bridge, tools))
    return 0


if __name__ == "__main__":
    sys.exit(main())
