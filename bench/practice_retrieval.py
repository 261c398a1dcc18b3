"""Retrieval quality of `ask` on the practice kit's queries, with an ablation.

Indexes each crate's docs-stripped copy (`/tmp/rustrag-practice/<crate>-nodoc`,
made by ../shared/practice/setup.sh) with embeddings on, asks every query of
`queries/<crate>.jsonl` in three modes (hybrid, vector only, lexical only), and
scores the answers with the kit's scorer against its BM25 baseline.

Usage: python bench/practice_retrieval.py [--crates ...] [--corpus /tmp/rustrag-practice]
       [--state DIR]   (keep the daemon's state, so a second run embeds nothing)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import BenchDaemon, describe
from rustrag_protocol import encode_frame, make_request, recv_frame

PRACTICE = Path(__file__).resolve().parents[1].parent / "shared" / "practice"
MODES = ("hybrid", "vector", "lexical")


def score(queries: Path, answers: Path) -> dict[str, float]:
    done = subprocess.run(
        [
            sys.executable,
            str(PRACTICE / "score.py"),
            "retrieval",
            "--queries",
            str(queries),
            "--answers",
            str(answers),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    overall = json.loads(done.stdout)["all"]
    return {k: float(overall[k]) for k in ("MRR@10", "nDCG@10", "R@1", "R@10")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--crates", nargs="*", default=["regex", "regex-syntax", "serde", "serde_json"]
    )
    parser.add_argument("--corpus", type=Path, default=Path("/tmp/rustrag-practice"))
    parser.add_argument("--state", type=Path, help="daemon state dir to keep between runs")
    parser.add_argument("--recipe", help="embed_recipe to use (header, header_doc, full, full_raw)")
    parser.add_argument("--modes", nargs="*", default=list(MODES))
    options = parser.parse_args()
    baseline = json.loads((PRACTICE / "results" / "baseline_summary.json").read_text())
    config = f"embed_recipe: {options.recipe}\n" if options.recipe else ""
    daemon = BenchDaemon(embeddings=True, state=options.state, config=config)
    out = Path(tempfile.mkdtemp(prefix="rrret"))
    rows = []
    try:
        for crate in options.crates:
            root = options.corpus / f"{crate}-nodoc"
            queries_file = PRACTICE / "queries" / f"{crate}.jsonl"
            queries = [json.loads(line) for line in queries_file.read_text().splitlines() if line]
            started = time.perf_counter()
            daemon.request("index", {"path": str(root), "wait": True})
            status = next(
                w for w in daemon.request("status")["workspaces"] if w["root"] == str(root)
            )
            print(
                f"== {crate}: indexed {status['items']} items, {status['vectors']['embedded']} "
                f"vectors in {time.perf_counter() - started:.1f} s",
                flush=True,
            )
            for mode in options.modes:
                answers = out / f"{crate}-{mode}.jsonl"
                latencies = []
                with answers.open("w") as stream, daemon.connect() as sock:
                    for n, query in enumerate(queries):
                        t = time.perf_counter()
                        args = {"query": query["query"], "k": 10, "mode": mode}
                        sock.sendall(encode_frame(dict(make_request(n, "ask", args, str(root)))))
                        response = recv_frame(sock, 1 << 30)
                        latencies.append(time.perf_counter() - t)
                        hits = response["result"]["results"]
                        stream.write(
                            json.dumps(
                                {
                                    "query_id": query["query_id"],
                                    "results": [
                                        {
                                            k: h[k]
                                            for k in ("path", "start_line", "end_line", "name")
                                        }
                                        for h in hits
                                    ],
                                }
                            )
                            + "\n"
                        )
                figures = score(queries_file, answers)
                rows.append((crate, mode, figures))
                f = figures
                print(
                    f"{crate:<13} {mode:<8} MRR@10 {f['MRR@10']:.3f}  nDCG@10 {f['nDCG@10']:.3f}"
                    f"  R@1 {f['R@1']:.3f}  R@10 {f['R@10']:.3f}   ask {describe(latencies)}",
                    flush=True,
                )
            base = baseline[crate]["default"]
            print(
                f"{crate:<13} {'BM25 kit':<8} MRR@10 {base['MRR@10']:.3f}  nDCG@10 "
                f"{base['nDCG@10']:.3f}  R@1 {base['R@1']:.3f}  R@10 {base['R@10']:.3f}",
                flush=True,
            )
    finally:
        daemon.close()
    print("\n| crate | mode | MRR@10 | nDCG@10 | R@10 | vs BM25 baseline MRR / nDCG |")
    print("|---|---|---:|---:|---:|---|")
    for crate, mode, f in rows:
        base = baseline[crate]["default"]
        print(
            f"| {crate} | {mode} | {f['MRR@10']:.3f} | {f['nDCG@10']:.3f} | {f['R@10']:.3f} | "
            f"{f['MRR@10'] - base['MRR@10']:+.3f} / {f['nDCG@10'] - base['nDCG@10']:+.3f} |"
        )


if __name__ == "__main__":
    main()
