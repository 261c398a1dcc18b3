"""Symbol recall of `symbols --json` on the practice crates, through the real daemon.

Indexes each practice crate (plain copy in the Debian registry), writes the
hits of `symbols` as the practice kit's symbol answers and runs its scorer:
recall against Universal Ctags' tags and against rustdoc's visible items, per kind.

Usage: python bench/practice_symbols.py [--crates regex-syntax ...] [--practice ../shared/practice]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import BenchDaemon, practice_crate

DEFAULT_PRACTICE = Path(__file__).resolve().parents[1].parent / "shared" / "practice"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--crates", nargs="*", default=["regex", "regex-syntax", "serde", "serde_json"]
    )
    parser.add_argument("--practice", type=Path, default=DEFAULT_PRACTICE)
    options = parser.parse_args()
    daemon = BenchDaemon()
    out = Path(tempfile.mkdtemp(prefix="rrsym"))
    try:
        for crate in options.crates:
            root = practice_crate(crate)
            if root is None:
                print(f"{crate}: not installed (run ../shared/practice/setup.sh)")
                continue
            daemon.request("index", {"path": str(root), "wait": True})
            hits = daemon.request("symbols", {}, root=str(root))["results"]
            answers = out / f"{crate}.jsonl"
            with answers.open("w") as stream:
                for hit in hits:
                    row = {k: hit[k] for k in ("path", "start_line", "name", "kind")}
                    stream.write(json.dumps(row) + "\n")
            truth = options.practice / "truth"
            print(f"== {crate}: {len(hits)} symbols")
            sys.stdout.flush()
            subprocess.run(
                [
                    sys.executable,
                    str(options.practice / "score.py"),
                    "symbols",
                    "--truth",
                    str(truth / f"{crate}.json"),
                    "--ctags",
                    str(truth / f"{crate}.ctags.json"),
                    "--answers",
                    str(answers),
                ],
                check=True,
            )
    finally:
        daemon.close()


if __name__ == "__main__":
    main()
