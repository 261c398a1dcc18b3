"""Bad input gets a clear error and the daemon keeps serving; lifecycle edge cases."""

from __future__ import annotations

import os
import random
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import msgpack
import pytest
from cargo_workspace import write_workspace
from conftest import DaemonEnv, practice_crate
from hostile import hostile_request
from rustrag_protocol import HEADER, encode_frame, make_request, recv_frame


def _frame(body: bytes) -> bytes:
    return HEADER.pack(len(body)) + body


def _still_serving(daemon: DaemonEnv) -> None:
    assert daemon.request("hello")["ok"] is True


def test_truncated_frame_then_next_request(daemon: DaemonEnv) -> None:
    with daemon.connect() as sock:
        sock.sendall(HEADER.pack(100) + b"\x81\xa2op")
    with daemon.connect() as sock:
        sock.sendall(HEADER.pack(100)[:2])
    _still_serving(daemon)


def test_frame_over_the_limit_is_refused(daemon: DaemonEnv) -> None:
    with daemon.connect() as sock:
        sock.sendall(HEADER.pack(64 * 1024 * 1024))
        response = recv_frame(sock)
        assert response["ok"] is False and response["error"]["code"] == "too_large"
        assert "exceeds the limit" in response["error"]["message"]
        assert sock.recv(1) == b""  # connection closed
    _still_serving(daemon)


def test_malformed_and_non_map_bodies_keep_the_connection(daemon: DaemonEnv) -> None:
    with daemon.connect() as sock:
        for body in (msgpack.packb([1, 2, 3]), b"\xc1\xc1", msgpack.packb("op")):
            sock.sendall(_frame(body))
            response = recv_frame(sock)
            assert response["ok"] is False and response["error"]["code"] == "bad_request"
        sock.sendall(encode_frame(dict(make_request(7, "hello"))))
        response = recv_frame(sock)
        assert response["ok"] is True and response["id"] == 7


@pytest.mark.parametrize(
    ("op", "args", "code", "words"),
    [
        ("frobnicate", {}, "unknown_op", "unknown op 'frobnicate'"),
        ("search", {}, "bad_request", "missing argument 'name'"),
        ("search", {"name": 5}, "bad_request", "'name' must be a string"),
        ("search", {"name": "x", "limit": "ten"}, "bad_request", "'limit' must be an integer"),
        ("index", {"path": "/nonexistent/rustrag/ws"}, "not_found", "does not exist"),
        ("index", {"path": ["a"]}, "bad_request", "'path' must be a string"),
        ("symbols", {"kind": "gizmo"}, "bad_request", "unknown kind 'gizmo'"),
        ("hello", {"version": 99}, "version_mismatch", "protocol v99"),
        ("wait", {"timeout": float("nan")}, "bad_request", "finite, non-negative number"),
        ("search", {"name": "x", "sync": True, "timeout": float("inf")}, "bad_request", "finite"),
    ],
)
def test_bad_requests_get_clear_errors(
    daemon: DaemonEnv, tmp_path: Path, op: str, args: dict, code: str, words: str
) -> None:
    root = write_workspace(tmp_path / "ws")
    assert daemon.request("index", {"path": str(root), "wait": True})["ok"]
    response = daemon.request(op, args, root=str(root))
    assert response["ok"] is False
    assert response["error"]["code"] == code
    assert words in response["error"]["message"]
    _still_serving(daemon)


@pytest.mark.parametrize(
    ("op", "args", "root", "words"),
    [
        ("index", {"path": "/tmp/ws\0x"}, None, "'path' holds a NUL byte"),
        ("index", {"path": "/" + "d" * 256}, None, "a name of 256 bytes"),
        ("index", {"path": "/d" * 2100}, None, "a path of 4200 bytes"),
        ("index", {"path": "relative/ws"}, None, "'path' must be an absolute path"),
        ("index", {"path": "/etc/hostname"}, None, "is not a directory"),
        ("forget", {"path": "ws\0"}, None, "'path' holds a NUL byte"),
        ("reindex", {"path": "."}, None, "'path' must be an absolute path"),
        ("wait", {}, "/tmp/\0", "'root' holds a NUL byte"),
        ("status", {}, "relative", "'root' must be an absolute path"),
        ("search", {"name": "x"}, "/" + "r" * 5000, "'root' is a path of 5001 bytes"),
    ],
)
def test_paths_are_checked_before_the_file_system(
    daemon: DaemonEnv, op: str, args: dict, root: str | None, words: str
) -> None:
    response = daemon.request(op, args, root=root)
    assert response["ok"] is False
    assert response["error"]["code"] == "bad_request", response
    assert words in response["error"]["message"]
    assert len(response["error"]["message"]) < 400  # what it repeats of the input is cut
    _still_serving(daemon)


def test_fuzzed_requests_never_fail_inside(daemon: DaemonEnv, tmp_path: Path) -> None:
    """Every op with hostile arguments and roots: a clear error or an answer, never an
    ``internal`` one (a bug), and the daemon keeps serving."""
    root = write_workspace(tmp_path / "ws")
    assert daemon.request("index", {"path": str(root), "wait": True})["ok"]
    rng = random.Random(20261204)
    codes: dict[str, int] = {}
    for ident in range(1500):
        request = hostile_request(rng, ident, [str(root)])
        with daemon.connect() as sock:
            sock.sendall(encode_frame(request))
            response = recv_frame(sock, 1 << 30)
        code = "ok" if response["ok"] else response["error"]["code"]
        assert code != "internal", (request, response)
        codes[code] = codes.get(code, 0) + 1
    assert codes.get("ok", 0) > 100 and codes.get("bad_request", 0) > 100, codes
    _still_serving(daemon)


def _rss(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _hostile_frame(daemon: DaemonEnv, rng: random.Random, kind: int, root: str) -> None:
    """One hostile exchange on a fresh connection (the daemon may close it first)."""
    with daemon.connect() as sock:
        try:
            if kind == 0:  # a header over the limit, then part of a body
                sock.sendall(HEADER.pack(1 << 30) + b"\x81" * 5000)
            elif kind == 1:  # a 1 MiB string
                sock.sendall(
                    encode_frame(make_request(1, "search", {"name": "q" * (1 << 20)}, root))
                )
            elif kind == 2:  # nested 100,000 levels deep
                sock.sendall(_frame(b"\x91" * 100_000 + b"\xc0"))
            elif kind == 3:  # truncated inside the body
                sock.sendall(HEADER.pack(4096) + bytes(rng.randrange(256) for _ in range(100)))
                return
            else:  # hostile arguments, strings up to 1 MiB
                sock.sendall(encode_frame(hostile_request(rng, 1, [root], huge=True)))
            recv_frame(sock, 1 << 30)
        except (OSError, EOFError, ValueError):
            pass


def test_hostile_frames_leave_the_daemons_memory_near_its_start(
    daemon: DaemonEnv, tmp_path: Path
) -> None:
    root = write_workspace(tmp_path / "ws")
    assert daemon.request("index", {"path": str(root), "wait": True})["ok"]
    assert daemon.process is not None
    pid, rng = daemon.process.pid, random.Random(5)
    for n in range(100):  # caches and arenas in their steady state
        _hostile_frame(daemon, rng, n % 5, str(root))
    time.sleep(1)
    start, peak = _rss(pid), 0
    for n in range(2500):
        _hostile_frame(daemon, rng, n % 5, str(root))
        if n % 100 == 0:
            peak = max(peak, _rss(pid))
    time.sleep(1)
    end = _rss(pid)
    mb = 1 << 20
    assert (peak - start) < 80 * mb, f"peak {peak / mb:.1f} MB from {start / mb:.1f} MB"
    assert (end - start) < 40 * mb, f"end {end / mb:.1f} MB from {start / mb:.1f} MB"
    _still_serving(daemon)


def test_request_with_wrong_envelope_types(daemon: DaemonEnv) -> None:
    for body in (
        {"v": 1, "id": 1},
        {"v": 1, "id": 1, "op": "hello", "args": [1]},
        {"v": 1, "id": 1, "op": "hello", "root": 5},
        {"v": 2, "id": 1, "op": "hello"},
    ):
        with daemon.connect() as sock:
            sock.sendall(encode_frame(body))
            response = recv_frame(sock)
            assert response["ok"] is False
            assert response["error"]["code"] in ("bad_request", "version_mismatch")
    _still_serving(daemon)


def test_vanished_workspace_is_reported_and_serving_goes_on(
    daemon: DaemonEnv, tmp_path: Path
) -> None:
    root = write_workspace(tmp_path / "ws")
    assert daemon.request("index", {"path": str(root), "wait": True})["ok"]
    for path in sorted(root.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    root.rmdir()
    response = daemon.request("reindex", {"path": str(root)}, root=str(root))
    assert response["ok"] is False and "does not exist" in response["error"]["message"]
    status = daemon.request("status")["result"]
    assert status["workspaces"][0]["state"] == "missing"
    _still_serving(daemon)


def test_socket_and_directory_permissions(daemon: DaemonEnv) -> None:
    assert stat.S_IMODE(daemon.socket.stat().st_mode) == 0o600
    assert stat.S_IMODE(daemon.socket.parent.stat().st_mode) == 0o700


def test_second_daemon_exits_and_first_keeps_serving(daemon: DaemonEnv) -> None:
    second = subprocess.run(
        [sys.executable, "-m", "rustragd"],
        env=daemon.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 3
    assert "already serving" in second.stderr
    _still_serving(daemon)


def test_stale_socket_is_replaced(daemon_env: DaemonEnv) -> None:
    daemon_env.socket.parent.mkdir(mode=0o700, parents=True)
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(daemon_env.socket))
    stale.close()  # the file stays, nobody listens
    daemon_env.start()
    _still_serving(daemon_env)
    assert "replacing stale socket" in daemon_env.log()
    assert daemon_env.stop() == 0
    assert not daemon_env.socket.exists()


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to connect as another user")
def test_peer_of_another_uid_is_refused(daemon: DaemonEnv) -> None:
    daemon.socket.chmod(0o777)
    daemon.socket.parent.chmod(0o755)
    daemon.base.chmod(0o755)
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # the child becomes "nobody" and asks for the daemon's status
        code = b"?"
        try:
            os.setuid(65534)
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(30)
                sock.connect(str(daemon.socket))
                sock.sendall(encode_frame(dict(make_request(1, "status"))))
                code = recv_frame(sock)["error"]["code"].encode()
        finally:
            os.write(write_end, code)
            os._exit(0)
    os.close(write_end)
    os.waitpid(child, 0)
    with os.fdopen(read_end, "rb") as pipe:
        assert pipe.read() == b"permission_denied"
    _still_serving(daemon)


def test_sigterm_mid_index_leaves_a_store_the_next_start_opens(daemon: DaemonEnv) -> None:
    crate = practice_crate("regex-syntax")
    assert daemon.request("index", {"path": str(crate), "wait": False})["ok"]
    time.sleep(0.3)  # let the index job get going: the point is to stop it mid-way
    assert daemon.stop(signal.SIGTERM) == 0
    assert not daemon.socket.exists()
    daemon.start()
    assert daemon.request("wait", root=str(crate))["ok"]
    resumed = daemon.request("status")["result"]["workspaces"][0]
    assert resumed["state"] == "ready"
    fresh = daemon.request("index", {"path": str(crate), "wait": True})["result"]
    assert resumed["items"] == fresh["items"] and resumed["files"] == fresh["files"]


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid``, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rpartition(")")[2].split()[1]), []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def test_kill_9_leaves_no_worker_processes_behind(daemon: DaemonEnv, tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws")
    assert daemon.request("index", {"path": str(root), "wait": True})["ok"]
    assert daemon.process is not None
    workers = _descendants(daemon.process.pid)
    assert len(workers) >= 2  # the forkserver and its pool workers
    daemon.process.kill()
    daemon.process.wait()
    daemon.process = None
    deadline = time.monotonic() + 10
    while (alive := {p for p in workers if Path(f"/proc/{p}").exists()}) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.05)
    assert not alive, f"worker processes outlived the killed daemon: {sorted(alive)}"
