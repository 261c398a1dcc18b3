"""The client: light imports, exit codes, auto-start, timeouts."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from conftest import DaemonEnv

HEAVY = [
    "asyncio",
    "numpy",
    "onnxruntime",
    "hnswlib",
    "pycozo",
    "tree_sitter",
    "watchfiles",
    "rustragd",
    "uvloop",
    "blake3",
    "yaml",
]


def test_client_imports_nothing_heavy(daemon: DaemonEnv) -> None:
    script = (
        "import json, sys\n"
        "from rustrag_client.cli import main\n"
        f"code = main(['--socket', {str(daemon.socket)!r}, 'status', '--json'])\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=daemon.env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    status_line, loaded_line = done.stdout.strip().splitlines()
    assert json.loads(status_line)["pid"] > 0  # it really talked to the daemon
    assert json.loads(loaded_line) == []


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).with_name("rustrag-client")
    path = str(script) if script.exists() else shutil.which("rustrag-client")
    assert path, "rustrag-client is not on PATH"
    done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and done.stdout.startswith("rustrag-client ")


def test_no_start_exits_3_with_a_hint(daemon_env: DaemonEnv) -> None:
    started = time.monotonic()
    done = daemon_env.client("hello", "--no-start")
    assert done.returncode == 3
    assert "no daemon answers" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert time.monotonic() - started < 10
    assert not daemon_env.socket.exists()
    assert daemon_env.client("status").returncode == 3  # status never starts one


def test_interactive_command_starts_the_daemon(daemon_env: DaemonEnv) -> None:
    done = daemon_env.client("hello", "--json")
    assert done.returncode == 0, done.stderr
    pid = json.loads(done.stdout)["pid"]
    assert (Path(daemon_env.env["XDG_STATE_HOME"]) / "rustrag" / "rustragd.log").exists()
    assert daemon_env.client("shutdown", "--json").returncode == 0
    deadline = time.monotonic() + 30
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not daemon_env.socket.exists()


def test_timeout_exits_4(daemon_env: DaemonEnv) -> None:
    daemon_env.socket.parent.mkdir(parents=True)
    silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    silent.bind(str(daemon_env.socket))
    silent.listen(1)  # accepts, never answers
    try:
        done = daemon_env.client("hello", "--timeout", "0.3", "--no-start")
    finally:
        silent.close()
    assert done.returncode == 4 and "in time" in done.stderr


def test_usage_error_exits_2(daemon: DaemonEnv) -> None:
    assert daemon.client("symbols", "--limit", "many").returncode == 2
    outside = daemon.client("symbols", cwd=Path("/"))
    assert outside.returncode == 2 and "not in an indexed workspace" in outside.stderr


def test_the_fast_parser_knows_every_command() -> None:
    from rustrag_client import cli

    parser = cli._parser()
    choices = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert set(choices) == set(cli._COMMANDS)
    assert cli._command_in(["--root", "status", "symbols", "--kind", "trait"]) == "symbols"
    options = cli._parser("symbols").parse_args(["--root", "/x", "symbols", "--kind", "trait"])
    assert (options.command, options.kind, options.root) == ("symbols", "trait", "/x")
