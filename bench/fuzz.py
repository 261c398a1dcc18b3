"""The daemon under hostile input: errors by code (``internal`` must stay 0) and its RSS.

A daemon indexes a practice crate (regex-syntax; vectors off unless ``--vectors``), then
gets ``--frames`` frames over many connections, in rounds of these kinds:

- hostile requests (tests/hostile.py: every op but ``shutdown``), pipelined 8 at a time
  on one connection, one in ten with strings of up to 1 MiB;
- random bytes as a frame body; a frame nested 100k levels deep;
- truncated frames (the connection closed inside the header or the body);
- a header announcing a frame over the limit;
- slow senders: a request sent a few bytes at a time while the rest go on.

Printed: the daemon's RSS at the start, after every tenth of the frames and at the end
(after ``--settle`` s), the ratio end/start, and the answers by error code.

Usage: python bench/fuzz.py [--frames 100000] [--vectors] [--seed 1]
"""

from __future__ import annotations

import argparse
import contextlib
import random
import socket
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from harness import BenchDaemon
from memory import MB, rss
from rustrag_protocol import HEADER, encode_frame, recv_frame

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from hostile import hostile_request

PRACTICE = Path("/tmp/rustrag-practice/regex-syntax")


#: The first answers of code ``internal`` (a bug), for the report.
INTERNAL: list[str] = []


def _answers(sock: socket.socket, count: int, codes: Counter[str]) -> None:
    for _ in range(count):
        response = recv_frame(sock, 1 << 30)
        code = "ok" if response.get("ok") else response["error"]["code"]
        codes[code] += 1
        if code in ("internal", "timeout") and len(INTERNAL) < 20:
            INTERNAL.append(f"{code}: {response['error']['message'][:300]}")


def _pipelined(
    daemon: BenchDaemon, rng: random.Random, roots: list[str], codes: Counter[str]
) -> int:
    """Eight hostile requests on one connection, then their answers (a subscription
    ends the exchange: its connection carries pushed events from then on)."""
    requests = [hostile_request(rng, i, roots, huge=rng.random() < 0.1) for i in range(8)]
    requests = [r for r in requests if r["op"] != "subscribe"] or requests[:1]
    data = b"".join(encode_frame(request) for request in requests)
    with daemon.connect() as sock:
        sock.settimeout(120)
        # Sent from a thread while the answers are read: the daemon stops reading while
        # its answers wait to be read (back pressure), so sending it all first could stall.
        sender = threading.Thread(target=_send_quietly, args=(sock, data), daemon=True)
        sender.start()
        try:
            _answers(sock, len(requests), codes)
        except (OSError, EOFError, ValueError) as exc:
            codes[f"connection: {type(exc).__name__}"] += 1
        sender.join()
    return len(requests)


def _send_quietly(sock: socket.socket, data: bytes) -> None:
    with contextlib.suppress(OSError):
        sock.sendall(data)


def _raw(daemon: BenchDaemon, data: bytes, answers: int, codes: Counter[str]) -> None:
    """Send ``data`` and read ``answers`` frames back (the daemon may close first)."""
    with daemon.connect() as sock:
        sock.settimeout(60)
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            _answers(sock, answers, codes)
        except (OSError, EOFError, ValueError):
            codes["closed"] += 1


def _slow_sender(daemon: BenchDaemon, stop: threading.Event, codes: Counter[str]) -> None:
    """Requests sent a few bytes every 10 ms, one after another, until ``stop``."""
    frame = encode_frame({"v": 1, "id": 1, "op": "search", "args": {"name": "Parser" * 50}})
    while not stop.is_set():
        with daemon.connect() as sock:
            sock.settimeout(60)
            try:
                for at in range(0, len(frame), 7):
                    sock.sendall(frame[at : at + 7])
                    time.sleep(0.01)
                _answers(sock, 1, codes)
            except (OSError, EOFError, ValueError) as exc:
                codes[f"slow sender: {type(exc).__name__}"] += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--vectors", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--settle", type=float, default=5.0)
    options = parser.parse_args()
    rng = random.Random(options.seed)
    daemon = BenchDaemon(embeddings=options.vectors)
    codes: Counter[str] = Counter()
    try:
        daemon.request("index", {"path": str(PRACTICE), "wait": True})
        pid = daemon.process.pid
        time.sleep(options.settle)
        start = rss(pid)
        print(f"daemon after indexing {PRACTICE.name}: {start / MB:.1f} MB")
        stop = threading.Event()
        slow = [
            threading.Thread(target=_slow_sender, args=(daemon, stop, codes), daemon=True)
            for _ in range(4)
        ]
        for thread in slow:
            thread.start()
        sent, step, started = 0, options.frames // 10, time.perf_counter()
        mark = step
        while sent < options.frames:
            kind = rng.random()
            if kind < 0.80:
                sent += _pipelined(daemon, rng, [str(PRACTICE)], codes)
                continue
            if kind < 0.88:
                body = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 2000)))
                _raw(daemon, HEADER.pack(len(body)) + body, 1, codes)
            elif kind < 0.90:
                body = b"\x91" * 100_000 + b"\xc0"
                _raw(daemon, HEADER.pack(len(body)) + body, 1, codes)
            elif kind < 0.96:
                frame = encode_frame(hostile_request(rng, 1, [str(PRACTICE)]))
                _raw(daemon, frame[: rng.randrange(1, len(frame))], 0, codes)
            else:
                _raw(daemon, HEADER.pack(1 << 31), 1, codes)
            sent += 1
            if sent >= mark:
                rate = sent / (time.perf_counter() - started)
                print(f"  {sent:7d} frames  daemon {rss(pid) / MB:8.1f} MB  ({rate:.0f} frames/s)")
                mark += step
        stop.set()
        for thread in slow:
            thread.join()
        time.sleep(options.settle)
        end = rss(pid)
        daemon.request("hello")
        print(f"daemon after {sent} frames: {end / MB:.1f} MB (x{end / start:.3f} of the start)")
        print("answers: " + ", ".join(f"{code} {n}" for code, n in codes.most_common()))
        print(f"internal errors: {codes['internal']}")
        for line in INTERNAL:
            print(f"  {line}")
    finally:
        daemon.close()


if __name__ == "__main__":
    main()
