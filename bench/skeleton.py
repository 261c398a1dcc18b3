"""Walking-skeleton figures: client start-up, socket round trips, first index.

Starts its own daemon in a temp dir and prints:
  * whole-process time of `rustrag-client status` vs a bare `python -c pass`
  * request round-trip latency over one connection (hello, search)
  * first-index time and lines/s on each practice crate

Usage: python bench/skeleton.py [--runs 40] [--crates regex regex-syntax serde serde_json]
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

from harness import BenchDaemon, describe, practice_crate
from rustrag_protocol import encode_frame, make_request, recv_frame


def time_process(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def bench_startup(daemon: BenchDaemon, runs: int) -> None:
    bare = [sys.executable, "-c", "pass"]
    client = [sys.executable, "-m", "rustrag_client", "status", "--brief", "--no-start"]
    script = Path(sys.executable).with_name("rustrag-client")
    entry = [str(script), "status", "--brief", "--no-start"]
    samples: dict[str, list[float]] = {
        "python -c pass": [],
        "python -m rustrag_client status": [],
        "rustrag-client status (script)": [],
    }
    for _ in range(runs):  # interleaved, so drift hits all alike
        samples["python -c pass"].append(time_process(bare, daemon.env))
        samples["python -m rustrag_client status"].append(time_process(client, daemon.env))
        if script.exists():
            samples["rustrag-client status (script)"].append(time_process(entry, daemon.env))
    baseline = statistics.median(samples["python -c pass"])
    print("== whole-process time")
    for name, values in samples.items():
        if values:
            ratio = statistics.median(values) / baseline
            print(
                f"{name:<34} {describe(values)}  ratio {ratio:5.2f}x  "
                f"(+{(statistics.median(values) - baseline) * 1e3:.1f} ms)"
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
        "--crates", nargs="*", default=["regex", "regex-syntax", "serde", "serde_json"]
    )
    options = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    daemon = BenchDaemon()
    try:
        # Warm the worker pool on a tiny index so first-index times measure the work.
        warm = Path(tempfile.mkdtemp(prefix="rrw", dir="/tmp"))
        (warm / "lib.rs").write_text("fn warm() {}\n")
        daemon.request("index", {"path": str(warm), "wait": True})
        root = bench_first_index(daemon, options.crates)
        bench_startup(daemon, options.runs)
        if root:
            bench_round_trips(daemon, root, options.runs * 25)
    finally:
        daemon.close()


if __name__ == "__main__":
    main()
