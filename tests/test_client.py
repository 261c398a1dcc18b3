"""The client: light imports, exit codes, auto-start, timeouts."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import msgpack
import pytest
from cargo_workspace import write_workspace
from conftest import DaemonEnv
from rustrag_protocol import encode_frame, make_request

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
    "mcp",
    "anyio",
    "pydantic",
]


#: What a shell prompt runs on every line.
PROMPT = ("status", "--brief", "--no-start")


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


def _prompt_both_ways(
    denv: DaemonEnv, *extra: str, cwd: Path, command: tuple[str, ...] = PROMPT
) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    """``status --brief --no-start`` (or ``command``) by the quick path, and by argparse's."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "rustrag_client", *args]
        return subprocess.run(argv, env=denv.env, cwd=cwd, capture_output=True, text=True)

    fast = run("--socket", str(denv.socket), *command, *extra)
    general = run(f"--socket={denv.socket}", *command, *extra)  # not the quick path's shape
    return fast, general


def _same(
    fast: subprocess.CompletedProcess[str], general: subprocess.CompletedProcess[str]
) -> tuple[int, str, str]:
    assert (fast.returncode, fast.stdout, fast.stderr) == (
        general.returncode,
        general.stdout,
        general.stderr,
    )
    return fast.returncode, fast.stdout, fast.stderr


def test_prompt_status_answers_as_the_general_path(daemon: DaemonEnv, tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws")
    daemon.client_json("index", str(root), "--wait")
    assert _same(*_prompt_both_ways(daemon, cwd=root / "core")) == (0, "rustrag:fresh\n", "")
    assert _same(*_prompt_both_ways(daemon, "--root", str(root), cwd=Path("/"))) == (
        0,
        "rustrag:fresh\n",
        "",
    )
    assert _same(*_prompt_both_ways(daemon, cwd=tmp_path)) == (0, "", "")


def test_prompt_status_fails_as_the_general_path(daemon_env: DaemonEnv, tmp_path: Path) -> None:
    code, _, stderr = _same(*_prompt_both_ways(daemon_env, cwd=tmp_path))
    assert code == 3 and "no daemon answers" in stderr
    daemon_env.socket.parent.mkdir(parents=True)
    silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    silent.bind(str(daemon_env.socket))
    silent.listen(2)  # accepts, never answers
    try:
        code, _, stderr = _same(*_prompt_both_ways(daemon_env, "--timeout", "0.3", cwd=tmp_path))
    finally:
        silent.close()
    assert code == 4 and "no answer to 'status' in time" in stderr


def test_quick_wait_answers_as_the_general_path(daemon: DaemonEnv, tmp_path: Path) -> None:
    """``wait`` after a save (what editors and git hooks run) takes the quick path too."""
    root = write_workspace(tmp_path / "ws")
    daemon.client_json("index", str(root), "--wait")
    (root / "core" / "src" / "lib.rs").write_text("pub fn saved() -> u32 {\n    1\n}\n")
    code, out, err = _same(*_prompt_both_ways(daemon, cwd=root, command=("wait",)))
    assert code == 0 and out and not err
    assert daemon.client_json("search", "saved", "--root", str(root))["results"]
    code, out, _ = _same(*_prompt_both_ways(daemon, "--no-start", cwd=root, command=("wait",)))
    assert code == 0 and out


def test_quick_wait_without_a_daemon(daemon_env: DaemonEnv, tmp_path: Path) -> None:
    """``wait --no-start`` with no daemon exits 3 as the general path does; without
    ``--no-start`` the general path starts the daemon."""
    code, _, stderr = _same(
        *_prompt_both_ways(daemon_env, "--no-start", cwd=tmp_path, command=("wait",))
    )
    assert code == 3 and "no daemon answers" in stderr


@pytest.mark.parametrize("running", [True, False])
def test_prompt_status_imports_no_argparse_msgpack_or_socket(
    daemon_env: DaemonEnv, tmp_path: Path, running: bool
) -> None:
    if running:
        daemon_env.start()
    script = (
        "import json, sys\n"
        "from rustrag_client.cli import main\n"
        f"code = main(['--socket', {str(daemon_env.socket)!r}, *{PROMPT!r}])\n"
        "print(json.dumps([m for m in ('argparse', 'msgpack', 'socket') if m in sys.modules]))\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=daemon_env.env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == (0 if running else 3), done.stderr
    assert json.loads(done.stdout) == []
    if running:
        daemon_env.stop()


@pytest.mark.parametrize("root", ["/w", "/" + "x" * 40, "/" + "y" * 300, "/é/" + "z" * 70_000])
def test_prompt_request_is_the_general_one(root: str) -> None:
    from rustrag_client import prompt

    for op in ("status", "wait"):
        frame = encode_frame(dict(make_request(1, op, {}, root)))
        assert prompt.request_frame(op, root) == frame


def test_prompt_reader_decodes_what_msgpack_packs() -> None:
    from rustrag_client import prompt

    ints = [0, 127, 128, 255, 256, 65_535, 65_536, 2**32, 2**64 - 1, -1, -32, -33, -129, -(2**63)]
    value = {
        "ints": ints,
        "floats": [0.5, -1e300, float("inf")],
        "texts": ["", "a" * 31, "b" * 32, "c" * 256, "d" * 65_536, "ünïcode"],
        "bytes": [b"", b"x" * 256, b"y" * 65_536],
        "constants": [None, True, False],
        "nested": {"list": [[]] * 16, "map": {str(i): i for i in range(16)}},
        "long": list(range(70_000)),
        b"raw key": {},
    }
    body = msgpack.packb(value, use_bin_type=True)
    assert prompt.read(body) == msgpack.unpackb(body, raw=False, strict_map_key=True)
    single = msgpack.packb({"f": 0.1}, use_single_float=True)
    assert prompt.read(single) == msgpack.unpackb(single)
    for unreadable in (
        msgpack.packb({"t": msgpack.ExtType(1, b"x")}),
        msgpack.packb([1]),  # not a map
        msgpack.packb({1: 2}),  # not a string key
        msgpack.packb({"a": 1}) + b"\x00",  # trailing bytes
        msgpack.packb({"a": "long text"})[:-1],  # truncated
        b"\x81\xa1a\xa1\xff",  # not UTF-8
    ):
        with pytest.raises(prompt.Unreadable):
            prompt.read(unreadable)
