"""systemd socket activation and sd_notify, against real sockets and processes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from rustragd.server import systemd

# Does what systemd does before exec'ing a socket-activated service: move the
# passed descriptors to 3, 4, ..., export LISTEN_PID (its own pid, which exec
# keeps) and LISTEN_FDS, then exec the service, here `python -c CHILD`.
LAUNCHER = r"""
import fcntl, os, sys
count = int(sys.argv[1])
sources = [int(fd) for fd in sys.argv[2:2 + count]]
high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100) for fd in sources]
for fd in sources:
    os.close(fd)
for index, fd in enumerate(high):
    os.dup2(fd, 3 + index)
    os.close(fd)
os.environ["LISTEN_PID"] = str(os.getpid())
os.environ["LISTEN_FDS"] = str(count)
os.environ["LISTEN_FDNAMES"] = ":".join(["rustragd.socket"] * count)
os.execv(sys.executable, [sys.executable, *sys.argv[2 + count:]])
"""

# The service: takes its sockets, reports what it got, serves one connection
# on the first one.
CHILD = r"""
import json, os, sys
from rustragd.server.systemd import listen_fds
unset = sys.argv[1] == "unset"
socks = listen_fds(unset_environment=unset)
print(json.dumps({
    "pid": os.getpid(),
    "sockets": [
        {"fd": s.fileno(), "family": int(s.family), "type": int(s.type),
         "name": s.getsockname() if isinstance(s.getsockname(), str)
                 else list(s.getsockname()),
         "inheritable": s.get_inheritable()}
        for s in socks
    ],
    "env": {k: os.environ.get(k) for k in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES")},
}), flush=True)
if socks:
    conn, _ = socks[0].accept()
    conn.sendall(b"served by fd 3: " + conn.recv(64))
    conn.close()
"""


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A temp dir short enough for AF_UNIX paths (108 bytes)."""
    with tempfile.TemporaryDirectory(prefix="rr-sd-", dir="/tmp") as d:
        yield Path(d)


def _activate(fds: list[int], mode: str = "unset") -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, str(len(fds)), *map(str, fds), "-c", CHILD, mode],
        pass_fds=fds,
        stdout=subprocess.PIPE,
        text=True,
    )


def _report(proc: subprocess.Popen[str]) -> dict[str, object]:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line, "activated child printed nothing"
    report: dict[str, object] = json.loads(line)
    return report


def test_listen_fds_takes_unix_and_tcp_sockets(short_dir: Path) -> None:
    path = str(short_dir / "rustragd.sock")
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix.bind(path)
    unix.listen()
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind(("127.0.0.1", 0))
    tcp.listen()
    port = tcp.getsockname()[1]
    with unix, tcp:
        proc = _activate([unix.fileno(), tcp.fileno()])
        report = _report(proc)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(path)
            client.sendall(b"hello")
            reply = client.recv(64)
        assert proc.wait(timeout=30) == 0

    assert report["pid"] == proc.pid
    assert report["sockets"] == [
        {
            "fd": 3,
            "family": int(socket.AF_UNIX),
            "type": int(socket.SOCK_STREAM),
            "name": path,
            "inheritable": False,
        },
        {
            "fd": 4,
            "family": int(socket.AF_INET),
            "type": int(socket.SOCK_STREAM),
            "name": ["127.0.0.1", port],
            "inheritable": False,
        },
    ]
    assert report["env"] == {"LISTEN_PID": None, "LISTEN_FDS": None, "LISTEN_FDNAMES": None}
    assert reply == b"served by fd 3: hello"


def test_listen_fds_keeps_environment_when_asked(short_dir: Path) -> None:
    path = str(short_dir / "rustragd.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as unix:
        unix.bind(path)
        unix.listen()
        proc = _activate([unix.fileno()], mode="keep")
        report = _report(proc)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(path)
            client.sendall(b"x")
            client.recv(64)
        assert proc.wait(timeout=30) == 0

    assert len(report["sockets"]) == 1  # type: ignore[arg-type]
    assert report["env"] == {
        "LISTEN_PID": str(proc.pid),
        "LISTEN_FDS": "1",
        "LISTEN_FDNAMES": "rustragd.socket",
    }


def test_listen_fds_ignores_another_process_pid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LISTEN_PID", str(os.getppid()))
    monkeypatch.setenv("LISTEN_FDS", "1")
    monkeypatch.setenv("LISTEN_FDNAMES", "rustragd.socket")
    assert systemd.listen_fds(unset_environment=False) == []
    assert os.environ["LISTEN_FDS"] == "1"
    assert systemd.listen_fds() == []
    assert not {"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"} & os.environ.keys()


@pytest.mark.parametrize(
    ("pid", "fds"), [(None, None), ("self", None), ("self", "0"), ("self", "x"), ("x", "1")]
)
def test_listen_fds_without_activation(
    monkeypatch: pytest.MonkeyPatch, pid: str | None, fds: str | None
) -> None:
    for name, value in (("LISTEN_PID", pid), ("LISTEN_FDS", fds)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, str(os.getpid()) if value == "self" else value)
    assert systemd.listen_fds() == []


@pytest.fixture
def notify_socket(short_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    """A datagram socket standing in for systemd's, named by ``$NOTIFY_SOCKET``."""
    path = str(short_dir / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
        sock.settimeout(10)
        monkeypatch.setenv("NOTIFY_SOCKET", path)
        yield sock


def test_notify_sends_exact_datagrams(notify_socket: socket.socket) -> None:
    assert systemd.notify_ready() is True
    assert notify_socket.recv(4096) == b"READY=1"
    assert systemd.notify_status("indexing 12 files") is True
    assert notify_socket.recv(4096) == b"STATUS=indexing 12 files"
    assert systemd.notify_status("two\nlines") is True
    assert notify_socket.recv(4096) == b"STATUS=two lines"
    assert systemd.notify_stopping() is True
    assert notify_socket.recv(4096) == b"STOPPING=1"
    assert systemd.notify("READY=1\nSTATUS=ready, 3 workspaces") is True
    assert notify_socket.recv(4096) == b"READY=1\nSTATUS=ready, 3 workspaces"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="abstract sockets are Linux-only")
def test_notify_abstract_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"rustrag-test-notify-{os.getpid()}-{os.urandom(4).hex()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(10)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert systemd.notify_ready() is True
        assert sock.recv(4096) == b"READY=1"


def test_notify_from_a_child_process(notify_socket: socket.socket) -> None:
    code = (
        "from rustragd.server.systemd import notify_ready;"
        " raise SystemExit(0 if notify_ready() else 1)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    assert notify_socket.recv(4096) == b"READY=1"


def test_notify_without_systemd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert systemd.notify_ready() is False
    monkeypatch.setenv("NOTIFY_SOCKET", "")
    assert systemd.notify("READY=1") is False
    monkeypatch.setenv("NOTIFY_SOCKET", "vsock:2:1234")
    assert systemd.notify("READY=1") is False


def test_notify_unreachable_socket_is_silent(
    short_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", str(short_dir / "nobody-listens"))
    assert systemd.notify_ready() is False
