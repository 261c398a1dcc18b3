"""The MCP tools: one per daemon op an agent asks, its description and input schema, and
how its result reads as text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rustrag_client.output import (
    context_pack,
    edges_table,
    generic_text,
    hits_table,
    impact_text,
    impls_text,
    methods_text,
    rows_table,
    status_text,
)

__all__ = ["TOOLS", "Tool", "select_tools"]

_ROOT = {
    "type": "string",
    "description": "absolute path of the workspace (default: the server's --root or working "
    "directory)",
}
_NAME = {"type": "string", "description": "a name or qualified name (`Config`, `io::Read`)"}
_LIMIT = {"type": "integer", "minimum": 1, "description": "at most this many results"}
_TESTS = {"type": "boolean", "description": "leave test code out (test targets, #[cfg(test)])"}


@dataclass(frozen=True, slots=True)
class Tool:
    """One MCP tool: the op it sends, what it says to an agent, its arguments."""

    name: str
    op: str
    description: str
    properties: dict[str, dict[str, Any]]
    required: tuple[str, ...]
    render: Callable[[Any], str]

    def input_schema(self) -> dict[str, Any]:
        """The JSON schema of the tool's arguments (``root`` added to each)."""
        return {
            "type": "object",
            "properties": {**self.properties, "root": _ROOT},
            "required": list(self.required),
            "additionalProperties": False,
        }


def _hits(result: Any) -> str:
    return hits_table(result["results"]) or "no results"


def _edges(result: Any) -> str:
    return edges_table(result["results"]) or "no results"


TOOLS: tuple[Tool, ...] = (
    Tool(
        "ask",
        "ask",
        "The items (functions, types, traits...) a question about the code is about, with "
        "their source and graph context (callers, callees, impls), as a markdown context "
        "pack. Prefer it for open questions ('how is the config reloaded?'); prefer the exact "
        "tools (callers, impls, def) when you know the name.",
        {
            "query": {"type": "string", "description": "the question, in words"},
            "k": {"type": "integer", "minimum": 1, "description": "results (default 10)"},
            "budget": {"type": "integer", "minimum": 1, "description": "token budget"},
            "exclude_tests": _TESTS,
        },
        ("query",),
        context_pack,
    ),
    Tool(
        "search",
        "search",
        "Symbols whose name matches: exact, then prefix, substring, fuzzy. Use it to find "
        "the qualified name of something you know by part of its name.",
        {"name": _NAME, "kind": {"type": "string"}, "limit": _LIMIT, "exclude_tests": _TESTS},
        ("name",),
        _hits,
    ),
    Tool(
        "def",
        "def",
        "The definition(s) of a qualified name (`crate::config::Config`, `Config::load`), "
        "with file, line and signature.",
        {"qualname": _NAME, "limit": _LIMIT, "exclude_tests": _TESTS},
        ("qualname",),
        _hits,
    ),
    Tool(
        "symbols",
        "symbols",
        "Every definition of the workspace, or of one file or directory (`path`), or of one "
        "kind (function, method, struct, enum, trait, impl, const, macro).",
        {
            "path": {"type": "string", "description": "a file or directory of the workspace"},
            "kind": {"type": "string"},
            "limit": _LIMIT,
            "exclude_tests": _TESTS,
        },
        (),
        _hits,
    ),
    Tool(
        "callers",
        "callers",
        "Functions and methods that call a function or method, as the compiler resolves the "
        "calls (each edge exact, ambiguous or unresolved); `depth` follows them transitively.",
        {"name": _NAME, "depth": {"type": "integer", "minimum": 1}, "limit": _LIMIT},
        ("name",),
        _edges,
    ),
    Tool(
        "callees",
        "callees",
        "Functions and methods a function or method calls (into std and dependencies too).",
        {"name": _NAME, "depth": {"type": "integer", "minimum": 1}, "limit": _LIMIT},
        ("name",),
        _edges,
    ),
    Tool(
        "impls",
        "impls",
        "The implementations of a trait (the workspace's, and the crate the trait lives in).",
        {"name": _NAME, "exclude_tests": _TESTS},
        ("name",),
        impls_text,
    ),
    Tool(
        "methods",
        "methods",
        "A type's inherent and trait methods and the traits it implements (std's too: "
        "`methods Vec`).",
        {"name": _NAME, "path": {"type": "string"}, "exclude_tests": _TESTS},
        ("name",),
        methods_text,
    ),
    Tool(
        "uses",
        "uses",
        "Where a type is used: signatures, fields, bodies.",
        {"name": _NAME, "limit": _LIMIT, "exclude_tests": _TESTS},
        ("name",),
        _edges,
    ),
    Tool(
        "neighbors",
        "neighbors",
        "Every edge of one item, by the `id` other tools return.",
        {"id": {"type": "integer"}},
        ("id",),
        lambda result: edges_table(result["edges"]) or "no edges",
    ),
    Tool(
        "impact",
        "impact",
        "What a change to a function, method, type or trait reaches, level by level: "
        "transitive callers, items whose signatures or bodies use a type, impls of a trait "
        "and their callers; each with the confidence of the edge that reached it, grouped by "
        "depth and file, and the tests among them. Use it before changing an item.",
        {"name": _NAME, "depth": {"type": "integer", "minimum": 1}, "limit": _LIMIT},
        ("name",),
        impact_text,
    ),
    Tool(
        "changed",
        "changed",
        "The items a unified diff (`diff`) or the working tree against a git revision "
        "(`since`, e.g. HEAD or main) touches, and what they reach (as impact). Use it to "
        "review a change or pick the tests to run.",
        {
            "diff": {"type": "string", "description": "a unified diff"},
            "since": {"type": "string", "description": "a git revision"},
            "depth": {"type": "integer", "minimum": 1},
        },
        (),
        impact_text,
    ),
    Tool(
        "query",
        "query",
        "Read-only CozoScript (Datalog) over the workspace's graph, for what the other tools "
        "do not answer. Relations: item {path, id => name, qualname, kind, ...}, edge {file, "
        "src, rel, dst, line, target => confidence, via, extra} (rel and confidence are codes: "
        "join relation_name {code => name}, confidence_name {code => name}), edge_file "
        "{file => path}, file {path => ..., crate}. Who calls `reload`: ?[caller] := "
        "*edge{src, dst, rel}, *relation_name{code: rel, name: 'calls'}, *item{id: dst, "
        "name: 'reload'}, *item{id: src, qualname: caller}. `::relations` and `::columns R` "
        "list the rest. Writes are refused; scripts are bounded in time and rows.",
        {
            "script": {"type": "string", "description": "one CozoScript query"},
            "limit": _LIMIT,
        },
        ("script",),
        rows_table,
    ),
    Tool(
        "index",
        "index",
        "Index a workspace (once; it is then kept fresh as files change). Call it when "
        "another tool says the workspace is not indexed.",
        {
            "path": {"type": "string", "description": "absolute path of the workspace"},
            "wait": {"type": "boolean", "description": "return once it is indexed"},
        },
        ("path",),
        generic_text,
    ),
    Tool(
        "status",
        "status",
        "The daemon's and the workspaces' state: files, items, edges, vectors, pending work.",
        {},
        (),
        lambda result: status_text(result, brief=False),
    ),
    Tool(
        "wait",
        "wait",
        "Block until every file change made before now is in the index (after editing).",
        {"timeout": {"type": "number", "minimum": 0}},
        (),
        generic_text,
    ),
)


def select_tools(names: str | None) -> tuple[Tool, ...]:
    """The tools named in ``names`` (comma-separated), in table order; all when None."""
    if not names:
        return TOOLS
    wanted = {name.strip() for name in names.split(",") if name.strip()}
    unknown = wanted - {tool.name for tool in TOOLS}
    if unknown:
        known = ", ".join(tool.name for tool in TOOLS)
        raise ValueError(f"unknown tools: {', '.join(sorted(unknown))} (known: {known})")
    return tuple(tool for tool in TOOLS if tool.name in wanted)
