"""`ask` latency through the socket on a warm index of >= 100k lines, and cold index time.

Builds one workspace holding the four practice crates' docs-stripped copies
(about 110k lines), indexes it cold (graph first, embeddings behind: both times
printed), then asks every practice query in each mode over one connection and
prints p50/p99 with the daemon's own per-stage split.

Usage: python bench/ask_latency.py [--state DIR] [--runs 1]
  --state keeps the daemon's state dir: a second run starts warm (no embedding).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time
from pathlib import Path

from harness import BenchDaemon, describe
from rustrag_protocol import encode_frame, make_request, recv_frame

CORPUS = Path("/tmp/rustrag-practice")
PRACTICE = Path(__file__).resolve().parents[1].parent / "shared" / "practice"
CRATES = ("regex", "regex-syntax", "serde", "serde_json")


def build_workspace(target: Path) -> Path:
    if not target.exists():
        target.mkdir(parents=True)
        for crate in CRATES:
            shutil.copytree(CORPUS / f"{crate}-nodoc", target / crate)
        members = ", ".join(f'"{c}"' for c in CRATES)
        (target / "Cargo.toml").write_text(f"[workspace]\nmembers = [{members}]\n")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state", type=Path)
    parser.add_argument("--workspace", type=Path, default=Path("/tmp/rustrag-bench-100k"))
    options = parser.parse_args()
    root = build_workspace(options.workspace)
    queries = [
        json.loads(line)["query"]
        for crate in CRATES
        for line in (PRACTICE / "queries" / f"{crate}.jsonl").read_text().splitlines()
        if line
    ]
    daemon = BenchDaemon(embeddings=True, state=options.state)
    try:
        started = time.perf_counter()
        daemon.request("index", {"path": str(root), "wait": False})
        graph_s = None
        while True:
            w = next(w for w in daemon.request("status")["workspaces"] if w["root"] == str(root))
            if graph_s is None and w["state"] == "ready":
                graph_s = time.perf_counter() - started
            if w["state"] == "ready" and not w["vectors"]["pending"]:
                break
            time.sleep(0.05)
        total_s = time.perf_counter() - started
        print(
            f"workspace {root}: {w['files']} files, {w['lines']} lines, {w['items']} items, "
            f"{w['vectors']['embedded']} vectors"
        )
        print(
            f"cold index: graph (parse, extract, resolve, store, lexical) {graph_s:.1f} s, "
            f"embeddings behind it {total_s - graph_s:.1f} s, total {total_s:.1f} s "
            "(0 s of embedding when --state was warm)"
        )
        with daemon.connect() as sock:
            for mode in ("hybrid", "lexical", "vector"):
                latencies: list[float] = []
                stages: dict[str, list[float]] = {}
                for n, query in enumerate(queries):
                    t = time.perf_counter()
                    args = {"query": query, "k": 10, "mode": mode}
                    sock.sendall(encode_frame(dict(make_request(n, "ask", args, str(root)))))
                    result = recv_frame(sock, 1 << 30)["result"]
                    latencies.append(time.perf_counter() - t)
                    for stage, ms in result["timings_ms"].items():
                        stages.setdefault(stage, []).append(ms)
                split = ", ".join(f"{s} {statistics.median(v):.2f}" for s, v in stages.items())
                print(f"ask {mode:<8} {describe(latencies)}   median split (ms): {split}")
    finally:
        daemon.close()


if __name__ == "__main__":
    main()
