"""Scope on every item (origin, crate, target, test) and ``exclude_tests``, through the
real client and the real daemon on a real temporary Cargo workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import DaemonEnv
from rustragd.project.crates import discover_crates, placements
from rustragd.project.scope import requires_test
from rustragd.workspace.state import Workspace

CRATE = "scoped-demo 0.3.1"

FILES: dict[str, str] = {
    "Cargo.toml": '[package]\nname = "scoped-demo"\nversion = "0.3.1"\nedition = "2021"\n',
    "src/lib.rs": """pub trait Trait {
    fn run(&self);
}

pub struct Foo;

pub struct Bar;

pub fn helper() -> u32 {
    1
}

impl Trait for Bar {
    fn run(&self) {
        helper();
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod inner_tests {
    use super::*;

    impl Trait for Foo {
        fn run(&self) {
            helper();
        }
    }

    #[test]
    fn inline_case() {
        helper();
    }
}

#[cfg(any(test, feature = "extra"))]
pub fn sometimes() {}

#[cfg(all(test, unix))]
pub fn unix_test_only() {}
""",
    "src/tests.rs": """use super::*;

#[test]
fn from_file() {
    helper();
}

fn file_helper() -> u32 {
    helper()
}
""",
    "src/main.rs": "fn main() {\n    scoped_demo::helper();\n}\n",
    "src/bin/tool.rs": "fn main() {}\n\nfn tool_fn() {}\n",
    "tests/it.rs": "fn it_helper() {\n    scoped_demo::helper();\n}\n",
    "benches/b.rs": "fn bench_fn() {}\n",
    "examples/e.rs": "fn main() {}\n\nfn example_fn() {}\n",
    "build.rs": "fn main() {}\n\nfn build_fn() {}\n",
}

#: qualified name (kind) -> (target, test)
EXPECTED: dict[tuple[str, str], tuple[str, bool]] = {
    ("scoped_demo::Trait", "trait"): ("lib", False),
    ("scoped_demo::helper", "function"): ("lib", False),
    ("<scoped_demo::Bar as Trait>::run", "method"): ("lib", False),
    ("scoped_demo::tests", "mod"): ("lib", True),
    ("scoped_demo::inner_tests", "mod"): ("lib", True),
    ("scoped_demo::inner_tests::inline_case", "function"): ("lib", True),
    ("scoped_demo::sometimes", "function"): ("lib", False),
    ("scoped_demo::unix_test_only", "function"): ("lib", True),
    ("scoped_demo::tests::from_file", "function"): ("lib", True),
    ("scoped_demo::tests::file_helper", "function"): ("lib", True),
    ("tool::tool_fn", "function"): ("bin", False),
    ("it::it_helper", "function"): ("test", True),
    ("b::bench_fn", "function"): ("bench", False),
    ("e::example_fn", "function"): ("example", False),
    ("build_script_build::build_fn", "function"): ("build", False),
}


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.fixture
def indexed(daemon: DaemonEnv, tmp_path: Path) -> Path:
    root = _write(tmp_path / "ws", FILES)
    daemon.client_json("index", str(root), "--wait")
    return root


def _scope(hit: dict[str, Any]) -> tuple[str, str, str, bool]:
    return hit["origin"], hit["crate"], hit["target"], hit["test"]


def _by_qualname(hits: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(h["qualified_name"], h["kind"]): h for h in hits}


def _main(hits: list[dict[str, Any]], path: str) -> dict[str, Any]:
    return next(h for h in hits if h["name"] == "main" and h["path"] == path)


def test_every_symbol_carries_its_target_and_test(daemon: DaemonEnv, indexed: Path) -> None:
    hits = daemon.client_json("symbols", cwd=indexed)["results"]
    found = _by_qualname(hits)
    for key, (target, test) in EXPECTED.items():
        assert key in found, key
        assert _scope(found[key]) == ("workspace", CRATE, target, test), key
    assert all(h["origin"] == "workspace" and h["crate"] == CRATE for h in hits)
    for path, target in (("src/main.rs", "bin"), ("src/bin/tool.rs", "bin"), ("build.rs", "build")):
        assert (_main(hits, path)["target"], _main(hits, path)["test"]) == (target, False)
    foo_impl = next(h for h in hits if h["kind"] == "impl" and h["name"] == "Foo")
    assert (foo_impl["target"], foo_impl["test"]) == ("lib", True)

    kept = daemon.client_json("symbols", "--exclude-tests", cwd=indexed)["results"]
    assert kept and not any(h["test"] for h in kept)
    assert {h["id"] for h in kept} == {h["id"] for h in hits if not h["test"]}
    for op, query in (("search", "helper"), ("def", "from_file")):
        everything = daemon.client_json(op, query, cwd=indexed)["results"]
        assert any(h["test"] for h in everything) and everything[0]["crate"] == CRATE
        kept = daemon.client_json(op, query, "--exclude-tests", cwd=indexed)["results"]
        assert not any(h["test"] for h in kept)
    assert daemon.client_json("def", "from_file", "--exclude-tests", cwd=indexed)["results"] == []


def test_impls_and_methods_entries_carry_scope(daemon: DaemonEnv, indexed: Path) -> None:
    impls = daemon.client_json("impls", "Trait", cwd=indexed)["impls"]
    by_type = {entry["type"]: entry for entry in impls}
    assert set(by_type) == {"Foo", "Bar"}
    assert _scope(by_type["Bar"]) == ("workspace", CRATE, "lib", False)
    assert _scope(by_type["Foo"]) == ("workspace", CRATE, "lib", True)
    kept = daemon.client_json("impls", "Trait", "--exclude-tests", cwd=indexed)["impls"]
    assert [entry["type"] for entry in kept] == ["Bar"]

    for type_name, test in (("Bar", False), ("Foo", True)):
        methods = daemon.client_json("methods", type_name, cwd=indexed)["methods"]
        [run] = [m for m in methods if m["name"] == "run"]
        assert _scope(run) == ("workspace", CRATE, "lib", test)
    foo = daemon.client_json("methods", "Foo", "--exclude-tests", cwd=indexed)
    assert foo["methods"] == [] and "Trait" not in foo["traits"]
    bar = daemon.client_json("methods", "Bar", "--exclude-tests", cwd=indexed)
    assert [m["name"] for m in bar["methods"]] == ["run"]


def test_callers_and_ask_carry_scope(daemon: DaemonEnv, indexed: Path) -> None:
    callers = daemon.client_json("callers", "helper", cwd=indexed)["results"]
    by_name = {h["qualified_name"]: h for h in callers}
    assert _scope(by_name["<scoped_demo::Bar as Trait>::run"]) == (
        "workspace",
        CRATE,
        "lib",
        False,
    )
    assert by_name["scoped_demo::tests::from_file"]["test"] is True
    assert by_name["scoped_demo::inner_tests::inline_case"]["test"] is True
    kept = daemon.client_json("callers", "helper", "--exclude-tests", cwd=indexed)["results"]
    assert kept and not any(h["test"] for h in kept)
    assert "<scoped_demo::Bar as Trait>::run" in {h["qualified_name"] for h in kept}
    callees = daemon.client_json("callees", "file_helper", cwd=indexed)["results"]
    assert callees and all({"origin", "crate", "target", "test"} <= set(h) for h in callees)

    answer = daemon.client_json("ask", "helper run", "--mode", "lexical", cwd=indexed)
    hits = answer["results"] + answer["context"]
    assert answer["results"] and any(h["test"] for h in hits)
    assert all(h["origin"] == "workspace" and h["crate"] == CRATE for h in hits)
    assert all(h["target"] in ("lib", "bin", "test", "bench", "example", "build") for h in hits)
    kept_answer = daemon.client_json(
        "ask", "helper run", "--mode", "lexical", "--exclude-tests", cwd=indexed
    )
    assert kept_answer["results"]
    assert not any(h["test"] for h in kept_answer["results"] + kept_answer["context"])


def test_live_edits_keep_the_scope_right(daemon: DaemonEnv, indexed: Path) -> None:
    lib = indexed / "src/lib.rs"
    lib.write_text(lib.read_text() + "\n#[cfg(test)]\nfn added_later() {}\n\nfn plain_later() {}\n")
    (indexed / "tests/more.rs").write_text("fn more_case() {}\n")
    daemon.client_json("wait", cwd=indexed)
    found = _by_qualname(daemon.client_json("symbols", cwd=indexed)["results"])
    assert _scope(found[("scoped_demo::added_later", "function")]) == (
        "workspace",
        CRATE,
        "lib",
        True,
    )
    assert found[("scoped_demo::plain_later", "function")]["test"] is False
    assert _scope(found[("more::more_case", "function")]) == ("workspace", CRATE, "test", True)

    # Dropping `#[cfg(test)]` from `mod tests;` makes the file's items ordinary ones.
    lib.write_text(lib.read_text().replace("#[cfg(test)]\nmod tests;", "mod tests;"))
    daemon.client_json("wait", cwd=indexed)
    found = _by_qualname(daemon.client_json("symbols", cwd=indexed)["results"])
    assert found[("scoped_demo::tests::file_helper", "function")]["test"] is False
    assert found[("scoped_demo::tests::from_file", "function")]["test"] is True  # #[test]


def test_scope_is_stored_and_survives_a_restart(daemon: DaemonEnv, indexed: Path) -> None:
    before = daemon.client_json("symbols", cwd=indexed)["results"]
    daemon.stop()
    # What the store holds, read as the daemon reads it when it starts (before any index
    # job could place the files again).
    stored = Workspace(indexed.resolve(), daemon.state_dir, None)
    try:
        assert (stored.files["tests/it.rs"].target, stored.files["tests/it.rs"].crate) == (
            "test",
            CRATE,
        )
        assert stored.files["build.rs"].target == "build"
        scope = stored.scope()
        assert {i.id: scope.is_test(i) for i in stored.table.items.values()} == {
            h["id"]: h["test"] for h in before
        }
    finally:
        stored.close()
    daemon.start()
    daemon.client_json("wait", cwd=indexed)
    after = daemon.client_json("symbols", cwd=indexed)["results"]
    assert {h["id"]: _scope(h) for h in after} == {h["id"]: _scope(h) for h in before}


def test_placements_name_each_target_and_package(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "Cargo.toml": (
                '[workspace]\nmembers = ["kit"]\n[workspace.package]\nversion = "2.0.0"\n'
            ),
            "kit/Cargo.toml": (
                '[package]\nname = "tool-kit"\nversion.workspace = true\n'
                '[[bin]]\nname = "runner"\npath = "tools/run.rs"\n'
                '[[test]]\nname = "suite"\npath = "checks/suite.rs"\n'
            ),
            "kit/src/lib.rs": "mod util;\n",
            "kit/src/util.rs": "",
            "kit/tools/run.rs": "mod opts;\n",
            "kit/tools/opts.rs": "",
            "kit/checks/suite.rs": "mod common;\n",
            "kit/checks/common.rs": "",
            "kit/src/orphan.rs": "",
            "kit/examples/demo/main.rs": "",
            "loose/Cargo.toml": '[package]\nname = "loose"\n',
            "loose/src/lib.rs": "",
            "stray.rs": "",
        },
    )
    files = [p.relative_to(root).as_posix() for p in root.rglob("*.rs")]
    found = {
        rel: (place.target, place.crate)
        for rel, place in placements(root, discover_crates(root), files).items()
    }
    kit = "tool-kit 2.0.0"
    assert found == {
        "kit/src/lib.rs": ("lib", kit),
        "kit/src/util.rs": ("lib", kit),
        "kit/tools/run.rs": ("bin", kit),
        "kit/tools/opts.rs": ("bin", kit),
        "kit/checks/suite.rs": ("test", kit),
        "kit/checks/common.rs": ("test", kit),
        "kit/src/orphan.rs": ("lib", kit),
        "kit/examples/demo/main.rs": ("example", kit),
        "loose/src/lib.rs": ("lib", "loose"),
        "stray.rs": ("lib", "stray"),
    }


@pytest.mark.parametrize(
    ("attrs", "test"),
    [
        ("#[cfg(test)]", True),
        ("#[inline]\n#[cfg(test)]", True),
        ('#[cfg(all(test, feature = "x"))]', True),
        ("#[cfg(any(test, unix))]", False),
        ("#[cfg(any(test, all(test, unix)))]", True),
        ("#[cfg(not(test))]", False),
        ('#[cfg(feature = "test")]', False),
        ("#[cfg_attr(test, derive(Debug))]", False),
        ("#[test]", True),
        ('#[tokio::test(flavor = "multi_thread")]', True),
        ("#[test_case(1)]", False),
        ("", False),
    ],
)
def test_requires_test(attrs: str, test: bool) -> None:
    assert requires_test(attrs) is test
