"""Retrieval quality of `ask` on the practice kit's queries: before and after the ranking
priors, their ablation, and the priors' weights validated leave-one-crate-out.

Indexes each crate's docs-stripped copy (`/tmp/rustrag-practice/<crate>-nodoc`, made by
../shared/practice/setup.sh) with embeddings on and asks every query of
`queries/<crate>.jsonl`, scored with the kit's scorer against its BM25 baseline:

1. a daemon with the priors off (`ask_trait_impl_weight: 1`, `ask_test_weight: 1`):
   hybrid, vector only and lexical only ("before"); its hybrid answers, 100 deep, are
   weighted again here by `rustragd.search.ask.prior` over a grid of weights, which gives
   the ablation of each prior and, per crate, the held-out figure of the weights that
   score best on the other three crates (leave-one-crate-out);
2. a daemon with the default configuration ("after"), all three modes.

Usage: python bench/practice_retrieval.py [--crates ...] [--corpus /tmp/rustrag-practice]
       [--queries DIR]   (<crate>.jsonl: made by the kit's tools/make_queries.py for others)
       [--state DIR]   (keep the daemons' state, so a second run embeds nothing)
       [--recipe NAME] [--modes hybrid vector lexical]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path
from typing import Any

from harness import BenchDaemon, describe
from rustrag_protocol import encode_frame, make_request, recv_frame
from rustragd.model import Item
from rustragd.search.ask import TEST_WEIGHT, TRAIT_IMPL_WEIGHT, Priors, prior

PRACTICE = Path(__file__).resolve().parents[1].parent / "shared" / "practice"
sys.path.insert(0, str(PRACTICE))
import score as kit  # noqa: E402  (the kit's scorer, stdlib only)

MODES = ("hybrid", "vector", "lexical")
#: The weights tried for each prior.
GRID = (0.1, 0.3, 0.5, 0.7, 1.0)
#: Answers kept per query for weighting again (the priors can lift an answer from there).
DEEP = 100
OFF = "ask_trait_impl_weight: 1\nask_test_weight: 1\n"

Answers = dict[str, list[dict[str, Any]]]


def ask_all(
    daemon: BenchDaemon, root: Path, queries: list[dict[str, Any]], mode: str, k: int
) -> tuple[Answers, list[float]]:
    """Every query's hits (as ``ask`` returns them) and the latencies."""
    answers: Answers = {}
    latencies = []
    with daemon.connect() as sock:
        for n, query in enumerate(queries):
            started = time.perf_counter()
            args = {"query": query["query"], "k": k, "mode": mode}
            sock.sendall(encode_frame(dict(make_request(n, "ask", args, str(root)))))
            response = recv_frame(sock, 1 << 30)
            latencies.append(time.perf_counter() - started)
            answers[query["query_id"]] = response["result"]["results"]
    return answers, latencies


def figures(queries: list[dict[str, Any]], answers: Answers) -> dict[str, float]:
    overall = kit.score_retrieval(queries, answers)["all"]
    return {key: float(overall[key]) for key in ("MRR@10", "nDCG@10", "R@1", "R@10")}


def weighted(answers: Answers, priors: Priors) -> Answers:
    """``answers`` ranked again with each hit's score weighted by its prior."""

    def weight(hit: dict[str, Any]) -> float:
        item = Item(0, hit["kind"], hit["name"], hit["qualified_name"], hit["path"], 0, 0)
        return float(hit["score"]) * prior(item, bool(hit["test"]), priors)

    return {
        query_id: sorted(hits, key=lambda hit: -weight(hit))[:10]
        for query_id, hits in answers.items()
    }


def line(crate: str, label: str, f: dict[str, float], extra: str = "") -> str:
    return (
        f"{crate:<13} {label:<22} MRR@10 {f['MRR@10']:.3f}  nDCG@10 {f['nDCG@10']:.3f}"
        f"  R@1 {f['R@1']:.3f}  R@10 {f['R@10']:.3f}{extra}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--crates", nargs="*", default=["regex", "regex-syntax", "serde", "serde_json"]
    )
    parser.add_argument("--corpus", type=Path, default=Path("/tmp/rustrag-practice"))
    parser.add_argument(
        "--queries", type=Path, default=PRACTICE / "queries", help="<crate>.jsonl per crate"
    )
    parser.add_argument("--state", type=Path, help="daemon state dir to keep between runs")
    parser.add_argument("--recipe", help="embed_recipe to use (header, header_doc, full, full_raw)")
    parser.add_argument("--modes", nargs="*", default=list(MODES))
    options = parser.parse_args()
    baseline = json.loads((PRACTICE / "results" / "baseline_summary.json").read_text())
    recipe = f"embed_recipe: {options.recipe}\n" if options.recipe else ""
    queries = {
        crate: [
            json.loads(text)
            for text in (options.queries / f"{crate}.jsonl").read_text().splitlines()
            if text
        ]
        for crate in options.crates
    }
    deep: dict[str, Answers] = {}
    table: list[tuple[str, str, dict[str, float]]] = []
    for stage, config in (("before", OFF), ("after", "")):
        daemon = BenchDaemon(embeddings=True, state=options.state, config=recipe + config)
        try:
            for crate in options.crates:
                root = options.corpus / f"{crate}-nodoc"
                started = time.perf_counter()
                daemon.request("index", {"path": str(root), "wait": True})
                status = daemon.workspace(root)
                print(
                    f"== {crate} ({stage}): {status['items']} items, "
                    f"{status['vectors']['embedded']} vectors, ready in "
                    f"{time.perf_counter() - started:.1f} s",
                    flush=True,
                )
                for mode in options.modes:
                    answers, latencies = ask_all(daemon, root, queries[crate], mode, 10)
                    f = figures(queries[crate], answers)
                    table.append((crate, f"{mode} {stage}", f))
                    print(line(crate, f"{mode} {stage}", f, f"   ask {describe(latencies)}"))
                if stage == "before" and "hybrid" in options.modes:
                    deep[crate], _ = ask_all(daemon, root, queries[crate], "hybrid", DEEP)
        finally:
            daemon.close()
    if deep:
        print_priors(options.crates, queries, deep)
    print("\n| crate | run | MRR@10 | nDCG@10 | R@10 | vs BM25 baseline MRR / nDCG |")
    print("|---|---|---:|---:|---:|---|")
    for crate, label, f in table:
        base = baseline.get(crate, {}).get("default")
        versus = (
            f"{f['MRR@10'] - base['MRR@10']:+.3f} / {f['nDCG@10'] - base['nDCG@10']:+.3f}"
            if base
            else "(no kit baseline)"
        )
        print(
            f"| {crate} | {label} | {f['MRR@10']:.3f} | {f['nDCG@10']:.3f} | {f['R@10']:.3f} | "
            f"{versus} |"
        )
    for crate in (c for c in options.crates if c in baseline):
        base = baseline[crate]["default"]
        print(
            f"| {crate} | BM25 kit | {base['MRR@10']:.3f} | {base['nDCG@10']:.3f} | "
            f"{base['R@10']:.3f} | |"
        )


def print_priors(
    crates: list[str],
    queries: dict[str, list[dict[str, Any]]],
    deep: dict[str, Answers],
) -> None:
    """The ablation of each prior and the leave-one-crate-out figures of their weights."""
    grid = list(itertools.product(GRID, GRID))
    mrr = {
        (crate, pair): figures(queries[crate], weighted(deep[crate], Priors(*pair)))["MRR@10"]
        for crate in crates
        for pair in grid
    }
    print("\n== ablation (the hybrid answers of the run before, weighted again)")
    ablation = {
        "none": (1.0, 1.0),
        "trait impl members": (TRAIT_IMPL_WEIGHT, 1.0),
        "test code": (1.0, TEST_WEIGHT),
        "both (the default)": (TRAIT_IMPL_WEIGHT, TEST_WEIGHT),
    }
    for label, pair in ablation.items():
        scores = [mrr[(crate, pair)] for crate in crates]
        print(
            f"  {label:<20} {pair}  MRR@10 "
            + "  ".join(f"{crate} {s:.3f}" for crate, s in zip(crates, scores, strict=True))
            + f"  mean {sum(scores) / len(scores):.3f}"
        )
    if len(crates) < 2:
        return
    print("== leave one crate out: the weights best on the other crates, scored on this one")
    held = []
    for crate in crates:
        others = [c for c in crates if c != crate]
        best = max(grid, key=lambda pair: sum(mrr[(c, pair)] for c in others))
        held.append(mrr[(crate, best)])
        print(
            f"  {crate:<13} tuned (trait impl, test) = {best}: MRR@10 {mrr[(crate, best)]:.3f}"
            f" (default weights {mrr[(crate, (TRAIT_IMPL_WEIGHT, TEST_WEIGHT))]:.3f})"
        )
    print(f"  mean held-out MRR@10 {sum(held) / len(held):.3f}")


if __name__ == "__main__":
    main()
