"""A module declared under several ``cfg``s, each with its own ``#[path]`` (once_cell's
``imp``): the file the build compiles is the one names resolve into, and the others'
items say ``cfg_active: false``. The real daemon on a real Cargo package."""

from __future__ import annotations

from pathlib import Path

from conftest import DaemonEnv
from rustragd.project.crates import discover_crates, placements

LIB = """\
#[cfg(all(feature = "std", feature = "parking"))]
#[path = "imp_pl.rs"]
mod imp;
#[cfg(all(feature = "std", not(feature = "parking")))]
#[path = "imp_std.rs"]
mod imp;
#[cfg(not(feature = "std"))]
#[path = "imp_cs.rs"]
mod imp;

pub fn make() -> u32 {
    imp::new_cell()
}
"""


def _package(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "Cargo.toml").write_text(
        '[package]\nname = "gated"\nversion = "0.1.0"\nedition = "2021"\n\n'
        '[features]\ndefault = ["std"]\nstd = []\nparking = []\n'
    )
    (root / "src/lib.rs").write_text(LIB)
    for number, name in enumerate(("imp_pl", "imp_std", "imp_cs")):
        (root / f"src/{name}.rs").write_text(f"pub fn new_cell() -> u32 {{\n    {number}\n}}\n")
    return root


def test_each_file_carries_the_cfg_of_its_declaration(tmp_path: Path) -> None:
    root = _package(tmp_path / "gated")
    files = ["src/lib.rs", "src/imp_pl.rs", "src/imp_std.rs", "src/imp_cs.rs"]
    placed = placements(root, discover_crates(root), files)
    assert {f: p.module for f, p in placed.items()}["src/imp_std.rs"] == ["gated", "imp"]
    assert placed["src/lib.rs"].gate == ""
    assert placed["src/imp_std.rs"].gate == (
        '#[cfg(all(feature = "std", not(feature = "parking")))]'
    )
    assert placed["src/imp_cs.rs"].gate == '#[cfg(not(feature = "std"))]'


def test_names_resolve_into_the_file_the_build_compiles(daemon: DaemonEnv, tmp_path: Path) -> None:
    root = _package(tmp_path / "gated")
    assert daemon.request("index", {"path": str(root), "wait": True})["ok"]
    callees = daemon.client_json("callees", "gated::make", cwd=root)["results"]
    assert [(c["path"], c["confidence"]) for c in callees] == [("src/imp_std.rs", "exact")]
    symbols = daemon.client_json("symbols", "--kind", "function", cwd=root)["results"]
    active = {hit["path"]: hit["cfg_active"] for hit in symbols if hit["name"] == "new_cell"}
    assert active == {"src/imp_pl.rs": False, "src/imp_std.rs": True, "src/imp_cs.rs": False}
