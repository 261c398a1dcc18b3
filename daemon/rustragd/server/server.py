"""The socket server: lifecycle, framing, peer checks and graceful shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import logging
import os
import signal
import socket
import struct
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rustrag_protocol import (
    HEADER,
    ErrorCode,
    ProtocolError,
    decode_body,
    encode_frame,
    error_response,
    ok_response,
)
from rustrag_protocol.framing import check_length
from rustrag_protocol.schema import Response

from rustragd.server import systemd
from rustragd.server.config import Config
from rustragd.server.daemon import Daemon
from rustragd.server.events import Subscriber
from rustragd.server.ops import Context, dispatch
from rustragd.server.ops.args import absolute

log = logging.getLogger(__name__)

_PEERCRED = struct.Struct("3i")


class AlreadyRunning(Exception):
    """Another daemon is serving (or starting on) the socket."""


class SocketBinding:
    """The listening socket, its 0700 directory and the lock that keeps a live daemon in place."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock_path = path.with_name(path.name + ".lock")
        self._lock_fd: int | None = None
        self.activated = False

    def open(self) -> socket.socket:
        """Take the lock, then bind (or take the socket systemd passed)."""
        inherited = systemd.listen_fds()
        if inherited:
            self.activated = True
            return inherited[0]
        directory = self.path.parent
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if directory.stat().st_uid == os.getuid():
            directory.chmod(0o700)
        self._take_lock()
        if self.path.exists() or self.path.is_symlink():
            if _answers(self.path):
                raise AlreadyRunning(f"a daemon is already serving on {self.path}")
            log.info("replacing stale socket %s", self.path)
            self.path.unlink()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)
        try:
            listener.bind(str(self.path))
        finally:
            os.umask(old_umask)
        self.path.chmod(0o600)
        listener.listen(128)
        return listener

    def _take_lock(self) -> None:
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                holder = self.lock_path.read_text().strip() or "?"
                raise AlreadyRunning(
                    f"a daemon (pid {holder}) is already serving on {self.path}"
                ) from None
            raise
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd

    def close(self) -> None:
        """Remove the socket (unless systemd owns it) and release the lock."""
        if not self.activated:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def _answers(path: Path) -> bool:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1.0)
    try:
        probe.connect(str(path))
    except OSError:
        return False
    finally:
        probe.close()
    return True


def _peer_uid(writer: asyncio.StreamWriter) -> int | None:
    sock = writer.get_extra_info("socket")
    if sock is None:
        return None
    try:
        raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size)
    except OSError:
        return None
    _pid, uid, _gid = _PEERCRED.unpack(raw)
    return int(uid)


class Server:
    """Serves requests until asked to stop, then drains and flushes."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.daemon = Daemon(config)
        self.binding = SocketBinding(config.socket_path)
        self._in_flight: set[asyncio.Task[Response]] = set()
        self._connections: set[asyncio.StreamWriter] = set()
        self._signals = 0

    async def serve(self) -> None:
        """Run until SIGTERM/SIGINT or the ``shutdown`` op."""
        listener = self.binding.open()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self._on_signal, signum)
        # Clients that connect meanwhile wait in the listen backlog.
        await self.daemon.start()
        server = await asyncio.start_unix_server(self._serve_connection, sock=listener)
        log.info("rustragd %d listening on %s", os.getpid(), self.config.socket_path)
        systemd.notify_ready()
        systemd.notify_status(f"serving {len(self.daemon.workspaces)} workspaces")
        try:
            await self.daemon.stopping.wait()
        finally:
            systemd.notify_stopping()
            log.info("shutting down")
            server.close()
            await self._drain()
            await self.daemon.close()
            self.binding.close()
            log.info("stopped")

    def _on_signal(self, signum: int) -> None:
        self._signals += 1
        if self._signals > 1:
            log.warning("second signal: exiting now")
            self.binding.close()
            os._exit(1)
        log.info("received %s", signal.Signals(signum).name)
        self.daemon.stopping.set()

    async def _drain(self) -> None:
        if self._in_flight:
            _done, pending = await asyncio.wait(
                self._in_flight, timeout=self.config.shutdown_timeout
            )
            for task in pending:
                task.cancel()
        for writer in list(self._connections):
            writer.close()

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._connections.add(writer)
        try:
            uid = _peer_uid(writer)
            if uid is not None and uid != os.getuid():
                await self._refuse(reader, writer, uid)
                return
            while not self.daemon.stopping.is_set():
                request = await self._read_request(reader, writer)
                if request is None:
                    return
                context = Context(self.daemon, None)
                task = asyncio.create_task(self._handle(request, context))
                self._in_flight.add(task)
                try:
                    response = await asyncio.shield(task)
                finally:
                    self._in_flight.discard(task)
                await self._send(writer, response)
                if context.stream is not None and response["ok"]:
                    await self._push(reader, writer, context.stream)
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            self._connections.discard(writer)
            writer.close()

    async def _refuse(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, uid: int
    ) -> None:
        """Answer a peer of another user once, with ``permission_denied``, and hang up.

        Its first request is read (briefly) so that its client gets the error
        rather than a broken pipe.
        """
        log.warning("refused a peer of uid %d", uid)
        request_id = 0
        with contextlib.suppress(TimeoutError, ProtocolError):
            request = await asyncio.wait_for(self._read_request(reader, writer), timeout=2.0)
            if request is not None and isinstance(request.get("id"), int):
                request_id = request["id"]
        message = "this daemon serves only its own user"
        await self._send(writer, error_response(request_id, ErrorCode.PERMISSION_DENIED, message))

    async def _read_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> dict[str, Any] | None:
        """Read frames until a well-formed request arrives; None when the peer is done."""
        while True:
            try:
                header = await reader.readexactly(HEADER.size)
            except asyncio.IncompleteReadError as exc:
                if exc.partial:
                    log.info("connection closed inside a frame header")
                return None
            (length,) = HEADER.unpack(header)
            try:
                check_length(length, self.config.max_frame)
            except ProtocolError as exc:
                await self._send(writer, error_response(0, exc.code, exc.message))
                return None
            try:
                body = await reader.readexactly(length)
            except asyncio.IncompleteReadError:
                log.info("connection closed inside a frame body")
                return None
            try:
                message: dict[str, Any] = decode_body(body)
            except ProtocolError as exc:
                await self._send(writer, error_response(0, exc.code, exc.message))
                continue
            return message

    async def _push(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        subscriber: Subscriber,
    ) -> None:
        """Send a subscriber's events until the peer hangs up or the daemon stops."""

        async def peer_gone() -> None:
            while await reader.read(4096):
                pass  # a subscribed peer has nothing more to say

        ending = {
            asyncio.create_task(peer_gone()),
            asyncio.create_task(self.daemon.stopping.wait()),
        }
        try:
            while not subscriber.dropped or not subscriber.queue.empty():
                get = asyncio.create_task(subscriber.queue.get())
                done, _ = await asyncio.wait({get, *ending}, return_when=asyncio.FIRST_COMPLETED)
                if get not in done:
                    get.cancel()
                    return
                await self._send(writer, get.result())
            await self._send(
                writer, {"push": True, "event": "error", "message": "too far behind; resubscribe"}
            )
        finally:
            for task in ending:
                task.cancel()
            self.daemon.events.unsubscribe(subscriber)

    async def _handle(self, request: dict[str, Any], context: Context) -> Response:
        raw_id = request.get("id", 0)
        request_id = raw_id if isinstance(raw_id, int) and not isinstance(raw_id, bool) else 0
        try:
            name, context.root, args = _validate(request)
            self.daemon.last_request = time.monotonic()
            result = await dispatch(name, context, args)
            return ok_response(request_id, result, str(self.daemon.clock))
        except ProtocolError as exc:
            return error_response(request_id, exc.code, exc.message, exc.data)
        except Exception as exc:
            log.exception("op %r failed", request.get("op"))
            return error_response(request_id, ErrorCode.INTERNAL, f"{type(exc).__name__}: {exc}")

    async def _send(self, writer: asyncio.StreamWriter, message: Mapping[str, object]) -> None:
        writer.write(encode_frame(message))
        await writer.drain()


def _validate(request: dict[str, Any]) -> tuple[str, str | None, dict[str, Any]]:
    name = request.get("op")
    if not isinstance(name, str) or not name:
        raise ProtocolError("request has no op (a string)", ErrorCode.BAD_REQUEST)
    version = request.get("v", 1)
    if version != 1:
        raise ProtocolError(
            f"protocol version {version!r} is not supported (this daemon speaks 1)",
            ErrorCode.VERSION_MISMATCH,
        )
    root = request.get("root")
    if root is not None and not isinstance(root, str):
        raise ProtocolError("root must be a string", ErrorCode.BAD_REQUEST)
    if root:  # the workspace the request is about: a directory the client names
        root = absolute(root, "root")
    args = request.get("args", {})
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise ProtocolError("args must be a map", ErrorCode.BAD_REQUEST)
    return name, root, args
