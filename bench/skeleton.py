"""Walking-skeleton figures: client start-up, socket round trips, first index.

Starts its own daemon in a temp dir and prints:
  * whole-process time of `rustrag-client status --brief --no-start` (what a shell
    prompt runs) vs a bare `python -c pass` from the same interpreter, with no daemon
    running and then with one (from an indexed workspace, so it prints a word)
  * request round-trip latency over one connection (hello, search)
  * first-index time and lines/s on each practice crate

Usage: python bench/skeleton.py [--runs 40] [--startup-only]
                                [--crates regex regex-syntax serde serde_json]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import BenchDaemon, describe, percentile, practice_crate
from rustrag_protocol import encode_frame, make_request, recv_frame

PROMPT = ["status", "--brief", "--no-start"]


def time_process(argv: list[str], env: dict[str, str], cwd: str, expect: int) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if done.returncode != expect:
        raise SystemExit(f"{argv}: exit {done.returncode}, not {expect}: {done.stderr!r}")
    return elapsed


def bench_startup(label: str, env: dict[str, str], cwd: str, expect: int, runs: int) -> None:
    """Runs of the client alternate with runs of a bare interpreter, so drift hits both alike."""
    # Installed packages have their bytecode compiled; without it each run compiles the client.
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    script = Path(sys.executable).with_name("rustrag-client")
    commands = {
        "python -c pass": ([sys.executable, "-c", "pass"], 0),
        "python -m rustrag_client": ([sys.executable, "-m", "rustrag_client", *PROMPT], expect),
    }
    if script.exists():  # the console script, as a shell prompt runs it
        commands["rustrag-client (script)"] = ([str(script), *PROMPT], expect)
    for argv, code in commands.values():  # writes the bytecode, warms the page cache
        time_process(argv, env, cwd, code)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (argv, code) in commands.items():
            samples[name].append(time_process(argv, env, cwd, code))
    bare = samples["python -c pass"]
    median, p99 = statistics.median(bare), percentile(bare, 0.99)
    print(f"== whole-process time of `{' '.join(PROMPT)}`, {label}")
    for name, values in samples.items():
        mid = statistics.median(values)
        print(
            f"{name:<26} {describe(values)}  ratio median {mid / median:4.2f}x"
            f" p99 {percentile(values, 0.99) / p99:4.2f}x  (+{(mid - median) * 1e3:.1f} ms)"
        )


def bench_round_trips(daemon: BenchDaemon, root: str, runs: int) -> None:
    print("== request round trip over one connection")
    with daemon.connect() as sock:
        for op, args in (
            ("hello", {}),
            ("search", {"name": "Parser"}),
            ("search", {"name": "prsr"}),
            ("def", {"qualname": "Parser::parse"}),
        ):
            samples = []
            for i in range(runs):
                started = time.perf_counter()
                sock.sendall(encode_frame(dict(make_request(i, op, args, root))))
                response = recv_frame(sock, 1 << 30)
                samples.append(time.perf_counter() - started)
                assert response["ok"], response
            label = f"{op} {args}" if args else op
            print(f"{label:<40} {describe(samples)}")


def bench_first_index(daemon: BenchDaemon, crates: list[str]) -> str | None:
    print("== first index (cold store, worker pool already started)")
    first_root = None
    for crate in crates:
        found = practice_crate(crate)
        if found is None:
            print(f"{crate}: not installed (run ../shared/practice/setup.sh)")
            continue
        root = str(found)
        first_root = first_root or root
        started = time.perf_counter()
        result = daemon.request("index", {"path": root, "wait": True})
        elapsed = time.perf_counter() - started
        status = next(w for w in daemon.request("status")["workspaces"] if w["root"] == root)
        lines = status["lines"]
        print(
            f"{crate:<14} {result['files']:4d} files {lines:7d} lines {result['items']:6d} items "
            f"{elapsed * 1e3:8.1f} ms  {lines / elapsed:10.0f} lines/s  "
            f"{result['items'] / elapsed:8.0f} items/s"
        )
        started = time.perf_counter()
        daemon.request("reindex", {"path": root, "wait": True})
        print(f"{'':<14} re-index, nothing changed: {(time.perf_counter() - started) * 1e3:.1f} ms")
    return first_root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument(
        "--startup-only", action="store_true", help="only the client start-up figures"
    )
    parser.add_argument(
        "--crates", nargs="*", default=["regex", "regex-syntax", "serde", "serde_json"]
    )
    options = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    absent = tempfile.mkdtemp(prefix="rrn", dir="/tmp")
    env = {**os.environ, "RUSTRAG_SOCKET": os.path.join(absent, "rustragd.sock")}
    bench_startup("no daemon running (exit 3)", env, absent, 3, options.runs)
    os.rmdir(absent)
    daemon = BenchDaemon()
    try:
        # Warm the worker pool on a tiny index so first-index times measure the work.
        warm = Path(tempfile.mkdtemp(prefix="rrw", dir="/tmp"))
        (warm / "lib.rs").write_text("fn warm() {}\n")
        daemon.request("index", {"path": str(warm), "wait": True})
        root = None if options.startup_only else bench_first_index(daemon, options.crates)
        bench_startup(
            "daemon running, in an indexed workspace", daemon.env, str(warm), 0, options.runs
        )
        if root:
            bench_round_trips(daemon, root, options.runs * 25)
    finally:
        daemon.close()


if __name__ == "__main__":
    main()
