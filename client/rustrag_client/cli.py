"""``rustrag-client``: ask the daemon about a Rust workspace.

Exit codes: 0 ok, 1 no results, 2 usage or request error, 3 daemon not
reachable, 4 timeout.
"""

from __future__ import annotations

import os
import sys

from rustrag_client import __version__
from rustrag_client.output import (
    context_pack,
    edges_table,
    event_line,
    generic_text,
    hits_table,
    impact_text,
    impls_text,
    methods_text,
    progress_line,
    rows_table,
    status_text,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up time)
if TYPE_CHECKING:
    import argparse
    from typing import Any

    from rustrag_client.connection import Connection

EXIT_OK, EXIT_EMPTY, EXIT_ERROR, EXIT_UNREACHABLE, EXIT_TIMEOUT = 0, 1, 2, 3, 4

#: Commands that never start a daemon: they report on (or stop) a running one.
_NO_AUTOSTART = frozenset({"status", "shutdown"})

#: Commands whose default timeout is unbounded: they wait for work to finish.
_WAITING = frozenset({"index", "reindex", "wait", "watch"})

_DEFAULT_TIMEOUT = 60.0

#: Every command (a test checks this against the parser).
_COMMANDS = frozenset(
    [
        "hello",
        "status",
        "index",
        "reindex",
        "wait",
        "symbols",
        "search",
        "def",
        "callers",
        "callees",
        "impls",
        "methods",
        "uses",
        "neighbors",
        "ask",
        "query",
        "impact",
        "changed",
        "watch",
        "hooks",
        "forget",
        "shutdown",
    ]
)

#: Options followed by a value (which may look like a command name).
_VALUE_OPTIONS = frozenset({"--root", "--socket", "--timeout"})

#: Commands whose op has another name.
_OPS = {"watch": "subscribe"}

#: Commands that take ``--exclude-tests`` (sent as the op's ``exclude_tests``).
_EXCLUDING_TESTS = frozenset(
    ["symbols", "search", "def", "callers", "callees", "impls", "methods", "uses", "ask"]
)


def _common_options() -> argparse.ArgumentParser:
    import argparse

    common = argparse.ArgumentParser(add_help=False)
    s = argparse.SUPPRESS
    common.add_argument("--json", action="store_true", default=s, help="print one JSON document")
    common.add_argument("--root", default=s, help="workspace (default: the current directory)")
    common.add_argument("--socket", default=s, help="daemon socket path")
    common.add_argument("--timeout", type=float, default=s, help="seconds to wait at most")
    common.add_argument(
        "--no-start", action="store_true", default=s, help="never start a daemon (for hooks)"
    )
    common.add_argument(
        "--sync", action="store_true", default=s, help="answer once every change is indexed"
    )
    return common


class _Ignored:
    """Stands in for the subparsers of commands that are not being run."""

    def add_argument(self, *args: Any, **kwargs: Any) -> None:
        return None

    def add_mutually_exclusive_group(self, **kwargs: Any) -> _Ignored:
        return self


_IGNORED = _Ignored()


def _command_in(argv: list[str]) -> str | None:
    """The command named in ``argv`` (the first word that is one), if any."""
    takes_value = False
    for word in argv:
        if takes_value:
            takes_value = False
        elif word in _COMMANDS:
            return word
        elif word in ("-h", "--help"):
            return None
        else:
            takes_value = word in _VALUE_OPTIONS
    return None


def _parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``only``, the other commands are listed but get no arguments.

    Building every subparser costs about as much as the rest of a run.
    """
    import argparse  # not at the top: the shell-prompt path runs without it

    common = _common_options()
    parser = argparse.ArgumentParser(
        prog="rustrag-client",
        parents=[common],
        description="Query rustragd, the Rust code-intelligence daemon.",
        epilog="Exit codes: 0 ok, 1 no results, 2 usage or request error, "
        "3 daemon not reachable, 4 timeout.",
    )
    parser.add_argument("--version", action="version", version=f"rustrag-client {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser | _Ignored:
        if only is not None and name != only:
            return _IGNORED  # listed in no help: only one command is being parsed
        parser = commands.add_parser(name, parents=[common], help=help_text, description=help_text)
        if name in _EXCLUDING_TESTS:
            parser.add_argument(
                "--exclude-tests",
                action="store_true",
                help="leave out test code (test targets, #[cfg(test)] and #[test] items)",
            )
        return parser

    command("hello", "check the daemon and list its capabilities")
    status = command("status", "daemon and index state")
    status.add_argument("--brief", action="store_true", help="one short line, for shell prompts")
    index = command("index", "add a workspace and index it")
    index.add_argument("path")
    index.add_argument("--wait", action="store_true", help="return once it is indexed")
    index.add_argument(
        "--cluster", help="run the job on the Ray cluster at ADDRESS (auto, host:port, local)"
    )
    reindex = command("reindex", "re-check a workspace against the disk")
    reindex.add_argument("path", nargs="?")
    reindex.add_argument("--no-wait", action="store_true", help="return at once (for hooks)")
    command("wait", "block until every change made before now is indexed")
    symbols = command("symbols", "list definitions")
    symbols.add_argument("--path", help="a file or directory of the workspace")
    symbols.add_argument("--kind", help="function, method, struct, trait, ...")
    symbols.add_argument("--limit", type=int)
    search = command("search", "find symbols by name (exact, prefix, fuzzy)")
    search.add_argument("name")
    search.add_argument("--kind")
    search.add_argument("--limit", type=int, default=20)
    definition = command("def", "the definition(s) of a qualified name")
    definition.add_argument("qualname")
    definition.add_argument("--limit", type=int)
    for name, help_text in (
        ("callers", "functions and methods that call FN"),
        ("callees", "functions and methods that FN calls"),
    ):
        graph = command(name, help_text)
        graph.add_argument("name", metavar="FN")
        graph.add_argument("--depth", type=int, default=1, help="follow calls transitively")
        graph.add_argument("--limit", type=int)
    impls = command("impls", "implementations of a trait")
    impls.add_argument("name", metavar="TRAIT")
    methods = command("methods", "inherent and trait methods of a type, and its traits")
    methods.add_argument("name", metavar="TYPE")
    methods.add_argument("--path", help="the type's file, where several types share the name")
    uses = command("uses", "where a type is used")
    uses.add_argument("name", metavar="TYPE")
    uses.add_argument("--limit", type=int)
    neighbors = command("neighbors", "every edge of one item")
    neighbors.add_argument("id", type=int)
    ask = command("ask", "find the code a question is about, with its graph context")
    ask.add_argument("query", metavar="QUESTION")
    ask.add_argument("-k", type=int, default=10, help="results (default 10)")
    ask.add_argument("--budget", type=int, help="token budget for results and context")
    ask.add_argument("--mode", choices=("hybrid", "vector", "lexical"), default="hybrid")
    impact = command("impact", "what a change to a function, type or trait reaches")
    impact.add_argument("name", metavar="NAME")
    impact.add_argument("--depth", type=int, default=3, help="levels followed (default 3)")
    impact.add_argument("--limit", type=int)
    changed = command("changed", "the items a diff touches, and what they reach")
    source = changed.add_mutually_exclusive_group(required=True)
    source.add_argument("--since", metavar="REV", help="the working tree against a git revision")
    source.add_argument("--diff", metavar="FILE", help="a unified diff, or - for standard input")
    changed.add_argument("--depth", type=int, default=3, help="levels followed (default 3)")
    query = command("query", "run a read-only CozoScript query over the workspace's graph")
    query.add_argument("script", help="the query, or - to read it from standard input")
    query.add_argument("--limit", type=int, help="at most this many rows")
    watch = command("watch", "print the daemon's pushed events (indexed, progress, error)")
    watch.add_argument("--all", action="store_true", help="every workspace, not just this one")
    hooks = command("hooks", "install or remove the git hooks that nudge the daemon")
    hooks.add_argument("action", choices=("install", "uninstall"))
    hooks.add_argument("--repo", default=".", help="the git repository (default: here)")
    forget = command("forget", "unregister a workspace and delete its index")
    forget.add_argument("path")
    command("shutdown", "stop the daemon")
    return parser


def _absolute(path: str) -> str:
    return os.path.abspath(os.path.expanduser(path))


def _request_args(options: argparse.Namespace) -> dict[str, Any]:
    args = _op_args(options)
    if options.command in _EXCLUDING_TESTS and options.exclude_tests:
        args["exclude_tests"] = True
    return args


def _op_args(options: argparse.Namespace) -> dict[str, Any]:
    command = options.command
    if command == "index":
        indexed = {"path": _absolute(options.path), "wait": options.wait}
        return {**indexed, "cluster": options.cluster} if options.cluster else indexed
    if command == "reindex":
        wait = not options.no_wait
        return {"wait": wait, "path": _absolute(options.path)} if options.path else {"wait": wait}
    if command == "watch":
        return {"all": options.all}
    if command == "symbols":
        args: dict[str, Any] = {"kind": options.kind, "limit": options.limit}
        if options.path:
            exists = os.path.exists(options.path)
            args["path"] = _absolute(options.path) if exists else options.path
        return args
    if command == "search":
        return {"name": options.name, "kind": options.kind, "limit": options.limit}
    if command == "def":
        return {"qualname": options.qualname, "limit": options.limit}
    if command == "forget":
        return {"path": _absolute(options.path)}
    if command in ("callers", "callees"):
        return {"name": options.name, "depth": options.depth, "limit": options.limit}
    if command == "uses":
        return {"name": options.name, "limit": options.limit}
    if command == "impls":
        return {"name": options.name}
    if command == "methods":
        return {"name": options.name, "path": options.path}
    if command == "neighbors":
        return {"id": options.id}
    if command == "query":
        script = sys.stdin.read() if options.script == "-" else options.script
        return {"script": script, "limit": options.limit}
    if command == "impact":
        return {"name": options.name, "depth": options.depth, "limit": options.limit}
    if command == "changed":
        if options.since:
            return {"since": options.since, "depth": options.depth}
        if options.diff == "-":
            return {"diff": sys.stdin.read(), "depth": options.depth}
        with open(options.diff, encoding="utf-8", errors="replace") as diff:
            return {"diff": diff.read(), "depth": options.depth}
    if command == "ask":
        return {
            "query": options.query,
            "k": options.k,
            "budget": options.budget,
            "mode": options.mode,
        }
    return {}


def _render(command: str, result: Any, options: argparse.Namespace) -> str:
    """The text output of ``command``'s result."""
    if command in ("symbols", "search", "def"):
        return hits_table(result["results"])
    if command in ("callers", "callees", "uses"):
        return edges_table(result["results"])
    if command == "ask":
        return context_pack(result)
    if command == "neighbors":
        return edges_table(result["edges"])
    if command == "query":
        return rows_table(result)
    if command in ("impact", "changed"):
        return impact_text(result)
    if command == "impls":
        return impls_text(result)
    if command == "methods":
        return methods_text(result)
    if command == "status":
        return status_text(result, getattr(options, "brief", False))
    if command in ("index", "reindex"):
        took = result.get("took_ms")
        timing = f" in {took:.0f} ms" if took is not None else " (indexing in the background)"
        return f"{result['root']}: {result['files']} files, {result['items']} items{timing}"
    if command == "hello":
        return f"{result['daemon']} (protocol v{result['version']}): " + ", ".join(
            result["capabilities"]
        )
    return generic_text(result)


def _is_empty(command: str, result: Any) -> bool:
    """Whether ``command`` found nothing (the client then exits with EXIT_EMPTY)."""
    if command in ("symbols", "search", "def", "callers", "callees", "uses", "ask"):
        return not result["results"]
    if command == "impls":
        return not result["impls"]
    if command == "methods":
        return not (result["methods"] or result["traits"])
    if command == "neighbors":
        return not result["edges"]
    if command == "query":
        return not result["rows"]
    if command in ("impact", "changed"):
        return not (result["results"] or result.get("changed"))
    return False


def _index_with_progress(connection: Connection, args: dict[str, Any], root: str) -> dict[str, Any]:
    """``index --wait`` on a terminal: start the job, draw progress until it is done."""
    import time

    started = connection.request("index", {**args, "wait": False}, root)
    if not started.get("ok"):
        return started
    target = started["result"]["root"]
    while True:
        status = connection.request("status", {}, root)
        if not status.get("ok"):
            return status
        workspace = next((w for w in status["result"]["workspaces"] if w["root"] == target), None)
        if workspace is None:
            return started
        sys.stderr.write("\r" + progress_line(workspace))
        sys.stderr.flush()
        if workspace["state"] != "indexing" and not workspace["vectors"]["pending"]:
            sys.stderr.write("\n")
            break
        time.sleep(0.2)
    # The job is done: this returns at once with the final counts.
    return connection.request("index", {**args, "wait": True}, root)


def _follow(connection: Connection, as_json: bool) -> int:
    """Print pushed events until the daemon or the timeout ends the subscription."""
    import json

    while True:
        event = connection.receive()
        if as_json:
            print(json.dumps(event), flush=True)
        else:
            print(event_line(event), flush=True)


def _unreachable(socket_path: str, reason: object) -> int:
    print(
        f"rustrag-client: no daemon answers on {socket_path} ({reason}); "
        "start one with `rustragd` or `systemctl --user start rustragd.socket`",
        file=sys.stderr,
    )
    return EXIT_UNREACHABLE


def _quick_command(words: list[str]) -> tuple[str, dict[str, str]] | None:
    """The command and value options of ``words`` if they ask for exactly
    ``status --brief`` or ``wait``, which :func:`_quick` answers.

    ``--no-start`` may be there, and ``--root``, ``--socket`` and ``--timeout``
    (not for ``wait``) followed by their value. Any other shape (``--json``,
    ``--timeout=1``, ``-h``) is left to argparse.
    """
    values: dict[str, str] = {}
    rest: list[str] = []
    taking: str | None = None
    for word in words:
        if taking is not None:
            if word.startswith("-"):
                return None
            values[taking], taking = word, None
        elif word in _VALUE_OPTIONS:
            taking = word
        elif word != "--no-start":
            rest.append(word)
    if taking is not None:
        return None
    if rest == ["status", "--brief"]:
        return "status", values
    if rest == ["wait"] and "--timeout" not in values:
        return "wait", values
    return None


def _quick(command: str, values: dict[str, str], start: bool) -> int | None:
    """``status --brief`` (for shell prompts) or ``wait`` (after each save) without
    argparse, msgpack or :mod:`socket`.

    Prints what the general path would print and returns its exit code; None
    leaves the command to the general path, which then reports the problem as
    it always has (an error response, a frame :mod:`rustrag_client.prompt` does
    not read, an unusual failure to connect, a daemon to start for ``wait``).
    """
    from rustrag_protocol.paths import default_socket_path

    from rustrag_client import prompt

    socket_path = values.get("--socket") or default_socket_path()
    try:
        timeout = float(values["--timeout"]) if "--timeout" in values else None
        root = _absolute(values.get("--root") or os.getcwd())
    except (ValueError, OSError):  # not a number, no current directory
        return None
    if timeout is None and command not in _WAITING:
        timeout = _DEFAULT_TIMEOUT
    try:
        sock = prompt.connect(socket_path, timeout)
    except (FileNotFoundError, ConnectionRefusedError, NotADirectoryError) as exc:
        return None if start and command not in _NO_AUTOSTART else _unreachable(socket_path, exc)
    except TimeoutError:
        print(f"rustrag-client: connecting to {socket_path} timed out", file=sys.stderr)
        return EXIT_TIMEOUT
    except (OSError, ValueError, OverflowError):  # a timeout out of range, a path too long
        return None
    try:
        response = prompt.request(sock, command, root)
    except prompt.Unreadable:
        return None
    except TimeoutError:
        print(f"rustrag-client: no answer to {command!r} in time", file=sys.stderr)
        return EXIT_TIMEOUT
    except KeyboardInterrupt:
        return EXIT_OK
    except OSError as exc:  # ConnectionError included
        print(f"rustrag-client: connection lost: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    finally:
        sock.close()
    if not response.get("ok"):
        return None
    result = response["result"]
    text = status_text(result, True) if command == "status" else generic_text(result)
    if text:
        print(text)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``rustrag-client`` script."""
    words = sys.argv[1:] if argv is None else argv
    quick = _quick_command(words)
    if quick is not None:
        code = _quick(*quick, start="--no-start" not in words)
        if code is not None:
            return code
    from rustrag_protocol.paths import default_socket_path

    from rustrag_client.connection import DaemonUnreachable, RequestTimeout, connect

    options = _parser(_command_in(words)).parse_args(words)
    command: str = options.command
    if command == "hooks":
        from rustrag_client.hooks import HookError, install, uninstall

        try:
            changed = (install if options.action == "install" else uninstall)(options.repo)
        except HookError as exc:
            print(f"rustrag-client: {exc}", file=sys.stderr)
            return EXIT_ERROR
        for line in changed:
            print(line)
        return EXIT_OK
    as_json = getattr(options, "json", False)
    socket_path: str = getattr(options, "socket", None) or default_socket_path()
    timeout: float | None = getattr(options, "timeout", None)
    if timeout is None and command not in _WAITING:
        timeout = _DEFAULT_TIMEOUT
    start = not getattr(options, "no_start", False) and command not in _NO_AUTOSTART
    root = _absolute(getattr(options, "root", None) or os.getcwd())
    try:
        connection: Connection = connect(socket_path, timeout, start)
    except DaemonUnreachable as exc:
        return _unreachable(socket_path, exc)
    except RequestTimeout as exc:
        print(f"rustrag-client: {exc}", file=sys.stderr)
        return EXIT_TIMEOUT
    args = _request_args(options)
    if getattr(options, "sync", False):
        args["sync"] = True
    if command == "wait" and timeout is not None:
        args["timeout"] = timeout
    try:
        if command == "index" and options.wait and not as_json and sys.stderr.isatty():
            response = _index_with_progress(connection, args, root)
        else:
            response = connection.request(_OPS.get(command, command), args, root)
        if command == "watch" and response.get("ok"):
            return _follow(connection, as_json)
    except RequestTimeout as exc:
        if command == "watch":
            return EXIT_OK  # --timeout bounds how long to watch
        print(f"rustrag-client: {exc}", file=sys.stderr)
        return EXIT_TIMEOUT
    except KeyboardInterrupt:
        return EXIT_OK
    except (ConnectionError, OSError) as exc:
        print(f"rustrag-client: connection lost: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    finally:
        connection.close()
    if not response.get("ok"):
        error = response.get("error", {})
        if as_json:
            import json

            print(json.dumps({"error": error}))
        print(f"rustrag-client: {error.get('message')} [{error.get('code')}]", file=sys.stderr)
        return EXIT_ERROR
    result = response["result"]
    if as_json:
        import json  # only JSON output needs it

        json.dump(result, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        text = _render(command, result, options)
        if text:
            print(text)
    return EXIT_EMPTY if _is_empty(command, result) else EXIT_OK
