"""Human-readable renderings of results (``--json`` prints the result as is)."""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any


def hits_table(hits: list[dict[str, Any]]) -> str:
    """One line per hit: location, kind, qualified name."""
    lines = []
    for hit in hits:
        location = f"{hit['path']}:{hit['start_line']}-{hit['end_line']}"
        lines.append(f"{location:<40} {hit['kind']:<11} {hit['qualified_name']}")
    return "\n".join(lines)


def _code_block(hit: dict[str, Any], note: str) -> str:
    header = f"### {hit['path']}:{hit['start_line']}-{hit['end_line']} {hit['kind']} "
    header += f"`{hit['qualified_name']}`{note}"
    return f"{header}\n\n```rust\n{hit['snippet'].rstrip()}\n```"


def context_pack(result: dict[str, Any]) -> str:
    """Markdown ready to paste into a prompt: the results, then their graph context."""
    parts = ["## Relevant code"]
    parts += [_code_block(hit, "") for hit in result["results"]]
    if result["context"]:
        parts.append("## Related code")
        parts += [_code_block(hit, f" ({hit['reason']})") for hit in result["context"]]
    missing = result.get("vectors_missing")
    if missing:
        parts.append(f"_({missing} items are not embedded yet; results may improve.)_")
    return "\n\n".join(parts)


def edges_table(hits: list[dict[str, Any]]) -> str:
    """One line per edge: where it is written, its confidence, the item at its far end."""
    lines = []
    for hit in hits:
        site = f"{hit['site_path']}:{hit['site_line']}"
        rel = f"{hit['rel']} {hit['direction']} " if "rel" in hit else ""
        depth = f" (depth {hit['depth']})" if hit.get("depth", 1) > 1 else ""
        lines.append(f"{site:<40} {rel}{hit['confidence']:<11} {hit['qualified_name']}{depth}")
    return "\n".join(lines)


def rows_table(result: dict[str, Any]) -> str:
    """A query's rows under its headers, tab-separated, and a note when rows were cut."""
    lines = ["\t".join(map(str, result["headers"]))]
    lines += ["\t".join(map(str, row)) for row in result["rows"]]
    if result.get("truncated"):
        lines.append(f"(cut at {len(result['rows'])} rows)")
    return "\n".join(lines)


def impact_text(result: dict[str, Any]) -> str:
    """What a change reaches, level by level and file by file; the tests among it."""
    lines = []
    if result.get("changed") is not None:
        lines.append(f"changed: {len(result['changed'])} items in {len(result['files'])} files")
        lines += [f"  {hit['path']}: {hit['qualified_name']}" for hit in result["changed"]]
    for level in result["levels"]:
        lines.append(f"depth {level['depth']}:")
        for path, names in level["files"].items():
            lines.append(f"  {path}: {', '.join(names)}")
    if result["tests"]:
        lines.append(f"tests reached: {', '.join(result['tests'])}")
    return "\n".join(lines) or "nothing reached"


def impls_text(result: dict[str, Any]) -> str:
    """Implementations of a trait, one per line."""
    return "\n".join(
        f"{i['path']}:{i['start_line']}-{i['end_line']}".ljust(40) + f" {i['type']}"
        for i in result["impls"]
    )


def methods_text(result: dict[str, Any]) -> str:
    """Methods of a type (with the trait they come through), then its traits."""
    lines = []
    for m in result["methods"]:
        via = f"  (via {m['via_trait']})" if m.get("via_trait") else ""
        lines.append(f"{m['path']}:{m['start_line']}".ljust(40) + f" {m['qualified_name']}{via}")
    if result["traits"]:
        names = (t if isinstance(t, str) else t.get("name", "") for t in result["traits"])
        lines.append("traits: " + ", ".join(names))
    return "\n".join(lines)


def progress_line(workspace: dict[str, Any], width: int = 30) -> str:
    """A one-line progress bar of a workspace: files and items, then vectors."""
    vectors = workspace.get("vectors", {})
    embedded, pending = vectors.get("embedded", 0), vectors.get("pending", 0)
    if workspace["state"] == "indexing":
        done, label = 0.0, f"parsing: {workspace['files']} files, {workspace['items']} items"
    else:
        total = embedded + pending
        done = embedded / total if total else 1.0
        label = f"embedding: {embedded}/{total} vectors"
    filled = int(done * width)
    return f"[{'#' * filled}{'.' * (width - filled)}] {label}".ljust(78)


def event_line(event: dict[str, Any]) -> str:
    """One pushed event as a line of text."""
    name = event.get("event", "?")
    root = event.get("root", "")
    if name == "indexed":
        if event.get("full"):
            return f"indexed {root}: {event['files']} files, {event['items']} items"
        return (
            f"indexed {root}: {len(event['files'])} files, {len(event['changed'])} items changed,"
            f" {len(event['removed'])} removed ({event['clock']})"
        )
    if name == "progress":
        vectors = event.get("vectors", {})
        return (
            f"progress {root}: {event['state']}, {event['items']} items, "
            f"{vectors.get('embedded', 0)} vectors, {vectors.get('pending', 0)} pending"
        )
    return f"{name} {root}: {event.get('message', '')}"


def status_text(status: dict[str, Any], brief: bool) -> str:
    """The daemon's state, one fact per line (or one short line with ``brief``)."""
    workspaces = status.get("workspaces", [])
    if brief:  # for shell prompts: the workspace of the current directory, in one word
        current = [w for w in workspaces if w["root"] == status.get("current")]
        if not current:
            return ""
        w = current[0]
        pending = w.get("vectors", {}).get("pending", 0)
        if w["state"] == "ready" and pending:
            return f"rustrag:embedding({pending})"
        return "rustrag:fresh" if w["state"] == "ready" else f"rustrag:{w['state']}"
    lines = [
        f"rustragd {status['version']} pid {status['pid']}, up {status['uptime_s']:.0f} s",
        f"socket {status['socket']}",
        f"clock {status['clock']}",
    ]
    for w in workspaces:
        took = w.get("last_index_ms")
        lines.append(
            f"{w['root']}: {w['state']}, {w['files']} files, {w['lines']} lines, "
            f"{w['items']} items, {w['files_with_errors']} files with parse errors, "
            f"store {w['store_bytes'] / 1e6:.1f} MB"
            + (f", last index {took:.0f} ms" if took is not None else "")
        )
        vectors = w.get("vectors", {})
        if vectors.get("embedded") or vectors.get("pending"):
            lines.append(f"  vectors: {vectors['embedded']} embedded, {vectors['pending']} pending")
        kinds = ", ".join(f"{k} {n}" for k, n in w.get("items_by_kind", {}).items())
        if kinds:
            lines.append(f"  {kinds}")
        if w.get("last_error"):
            lines.append(f"  error: {w['last_error']}")
    if not workspaces:
        lines.append("no workspaces; add one with `rustrag-client index PATH`")
    return "\n".join(lines)


def generic_text(result: Any) -> str:
    """A flat ``key: value`` rendering of a map."""
    if isinstance(result, dict):
        return "\n".join(f"{key}: {value}" for key, value in result.items())
    return str(result)
