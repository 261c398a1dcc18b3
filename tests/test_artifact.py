"""RAG artifacts of real extracted and resolved Rust code: metadata, cfg, parent, relations."""

from __future__ import annotations

import json
from typing import Any

import msgpack
import pytest
from rustragd.graph.resolve import resolve_workspace
from rustragd.model import Edge, Item
from rustragd.project.crates import discover_crates, module_paths
from rustragd.project.walker import rust_sources
from rustragd.search.artifact import RELATION_NAMES, artifact, artifacts, cfg_predicates
from rustragd.syntax.extract import extract_file

SOURCES = {
    "Cargo.toml": '[package]\nname = "demo"\nversion = "0.1.0"\nedition = "2021"\n',
    "src/lib.rs": """\
pub mod a;
pub mod b;
pub mod engine;
""",
    "src/a.rs": """\
/// Errors of the parser.
#[derive(Debug)]
pub struct Error {
    pub line: usize,
}
""",
    "src/b.rs": """\
pub struct Error;
""",
    "src/engine.rs": """\
use crate::a::Error;
use crate::b;

macro_rules! unit {
    ($name:ident) => {
        pub struct $name;
    };
}

unit!(Marker);

pub trait Run {
    fn run(&self) -> usize;
}

/// The engine.
///
/// It runs things.
#[derive(Debug, Clone)]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub struct Engine {
    depth: usize,
}

impl Engine {
    /// Make one.
    pub fn new() -> Engine {
        Engine { depth: 0 }
    }

    #[cfg(feature = "std")]
    #[cfg(all(unix, not(test)))]
    #[inline]
    pub(crate) fn check(&self, first: Error, second: b::Error) -> Result<Error, b::Error> {
        let total = helper(self.depth) + helper(self.depth);
        let _ = total;
        missing();
        Ok(first)
    }
}

impl Run for Engine {
    fn run(&self) -> usize {
        helper(self.depth)
    }
}

pub struct Other;

impl Other {
    fn run(&self) -> usize {
        0
    }
}

fn helper(depth: usize) -> usize {
    depth
}

fn unknown() -> usize {
    os()
}

#[cfg(unix)]
fn os() -> usize {
    1
}

#[cfg(windows)]
fn os() -> usize {
    2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds() {
        let engine = Engine::new();
        engine.run();
    }
}
""",
}


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Item], list[Edge]]:
    root = tmp_path_factory.mktemp("ws")
    for rel, text in SOURCES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    files = list(rust_sources(root))
    modules = module_paths(root, discover_crates(root), files)
    extracts = [extract_file(f, (root / f).read_bytes(), modules[f]) for f in files]
    resolution = resolve_workspace([(e.path, e.facts) for e in extracts])
    items = [i for e in extracts for i in e.items] + resolution.items
    return items, resolution.edges


@pytest.fixture(scope="module")
def records(graph: tuple[list[Item], list[Edge]]) -> dict[tuple[str, str], dict[str, Any]]:
    items, edges = graph
    return {
        (r["metadata"]["qualified_name"], r["metadata"]["kind"]): r for r in artifacts(items, edges)
    }


def related(record: dict[str, Any], name: str) -> dict[str, dict[str, Any]]:
    return {entry["qualified_name"]: entry for entry in record["relations"][name]}


def test_metadata(records: dict[tuple[str, str], dict[str, Any]]) -> None:
    record = records[("demo::engine::Engine", "struct")]
    meta = record["metadata"]
    assert record["id"] != 0
    assert record["snippet"].startswith("pub struct Engine {")
    assert meta["kind"] == "struct" and meta["name"] == "Engine"
    assert meta["path"] == "src/engine.rs"
    assert (meta["start_line"], meta["end_line"]) == (21, 23)
    assert meta["visibility"] == "pub"
    assert meta["signature"] == "pub struct Engine"
    assert meta["doc"] == "The engine.\n\nIt runs things."
    assert meta["attributes"] == [
        "#[derive(Debug, Clone)]",
        '#[cfg_attr(docsrs, doc(cfg(feature = "std")))]',
    ]
    assert meta["cfg"] == []  # cfg_attr applies attributes; it does not gate the item
    assert meta["parent"] == "demo::engine"


def test_cfg_parsed_out_of_the_attributes(records: dict[tuple[str, str], dict[str, Any]]) -> None:
    meta = records[("demo::engine::Engine::check", "method")]["metadata"]
    assert meta["attributes"] == [
        '#[cfg(feature = "std")]',
        "#[cfg(all(unix, not(test)))]",
        "#[inline]",
    ]
    assert meta["cfg"] == ['feature = "std"', "all(unix, not(test))"]
    assert meta["visibility"] == "pub(crate)"
    assert meta["parent"] == "demo::engine::Engine"  # the inherent impl
    assert records[("demo::engine::Engine", "impl")]["id"] == meta["parent_id"]


def test_cfg_of_enclosing_module_is_inherited(
    records: dict[tuple[str, str], dict[str, Any]],
) -> None:
    meta = records[("demo::engine::tests::builds", "function")]["metadata"]
    assert meta["attributes"] == ["#[test]"] and meta["cfg"] == []
    assert meta["inherited_cfg"] == ["test"]
    assert meta["parent"] == "demo::engine::tests"


def test_every_relation_key_is_present(records: dict[tuple[str, str], dict[str, Any]]) -> None:
    for record in records.values():
        assert tuple(record["relations"]) == RELATION_NAMES
        for entries in record["relations"].values():
            for entry in entries:
                assert {"id", "qualified_name", "kind", "confidence", "line"} <= set(entry)


def test_calls_and_called_by(records: dict[tuple[str, str], dict[str, Any]]) -> None:
    check = records[("demo::engine::Engine::check", "method")]
    calls = check["relations"]["calls"]
    helper = records[("demo::engine::helper", "function")]
    to_helper = [c for c in calls if c["qualified_name"] == "demo::engine::helper"]
    assert to_helper == [  # two calls on one line are one entry
        {
            "id": helper["id"],
            "qualified_name": "demo::engine::helper",
            "kind": "function",
            "confidence": "exact",
            "line": 35,
        }
    ]
    missing = related(check, "calls")["missing"]  # unresolved keeps the written name
    assert (missing["id"], missing["kind"], missing["confidence"]) == (0, "", "unresolved")
    callers = related(helper, "called_by")
    assert set(callers) == {"demo::engine::Engine::check", "<demo::engine::Engine as Run>::run"}
    assert callers["demo::engine::Engine::check"]["kind"] == "method"
    assert callers["demo::engine::Engine::check"]["id"] == check["id"]


def test_ambiguous_calls_list_every_candidate(
    graph: tuple[list[Item], list[Edge]], records: dict[tuple[str, str], dict[str, Any]]
) -> None:
    calls = records[("demo::engine::unknown", "function")]["relations"]["calls"]
    twins = [i.id for i in graph[0] if i.qualified_name == "demo::engine::os"]
    assert len(twins) == 2  # one `os` per cfg
    assert sorted(c["id"] for c in calls) == sorted(twins)
    assert {(c["qualified_name"], c["confidence"]) for c in calls} == {
        ("demo::engine::os", "ambiguous")
    }


def test_uses_type_tells_the_two_errors_apart(
    records: dict[tuple[str, str], dict[str, Any]],
) -> None:
    check = records[("demo::engine::Engine::check", "method")]
    used = related(check, "uses_type")
    a_error = records[("demo::a::Error", "struct")]
    b_error = records[("demo::b::Error", "struct")]
    assert used["demo::a::Error"]["id"] == a_error["id"]
    assert used["demo::b::Error"]["id"] == b_error["id"]
    assert used["demo::a::Error"]["confidence"] == "exact"
    assert all(len(e["fingerprint"]) == 32 for e in check["relations"]["uses_type"])
    fingerprints_a = {e["fingerprint"] for e in a_error["relations"]["used_by"]}
    fingerprints_b = {e["fingerprint"] for e in b_error["relations"]["used_by"]}
    assert check["id"] in {e["id"] for e in a_error["relations"]["used_by"]}
    # `Error` and `b::Error` on their own are different types; the Result mentions both
    assert len(fingerprints_a - fingerprints_b) >= 1 and len(fingerprints_b - fingerprints_a) >= 1


def test_impl_relations(records: dict[tuple[str, str], dict[str, Any]]) -> None:
    impl = records[("<demo::engine::Engine as Run>", "impl")]
    assert related(impl, "implements")["demo::engine::Run"]["kind"] == "trait"
    assert related(impl, "impl_for")["demo::engine::Engine"]["confidence"] == "exact"
    assert "<demo::engine::Engine as Run>::run" in related(impl, "contains")
    engine = records[("demo::engine::Engine", "struct")]
    methods = related(engine, "has_method")
    assert methods["<demo::engine::Engine as Run>::run"]["via"] == "demo::engine::Run"
    assert methods["demo::engine::Engine::new"]["via"] == ""
    assert methods["demo::engine::Engine::new"]["line"] == 27


def test_module_relations(records: dict[tuple[str, str], dict[str, Any]]) -> None:
    module = records[("demo::engine", "mod")]
    assert module["metadata"]["path"] == "src/lib.rs"
    assert module["metadata"]["parent"] == "demo"
    imports = related(module, "imports")
    assert imports["demo::a::Error"]["kind"] == "struct"
    assert imports["demo::b"]["kind"] == "mod"
    assert related(module, "expands")["demo::engine::unit"]["kind"] == "macro_rules"
    contained = {(e["qualified_name"], e["kind"]): e for e in module["relations"]["contains"]}
    assert contained[("demo::engine::Engine", "struct")]["line"] == 21
    assert contained[("demo::engine::Engine", "impl")]["line"] == 25
    assert ("demo::engine::tests", "mod") in contained


def test_derives_unresolved_keep_the_written_name(
    records: dict[tuple[str, str], dict[str, Any]],
) -> None:
    derives = related(records[("demo::engine::Engine", "struct")], "derives")
    assert set(derives) == {"Debug", "Clone"}
    assert derives["Clone"] == {
        "id": 0,
        "qualified_name": "Clone",
        "kind": "",
        "confidence": "unresolved",
        "line": 21,
    }


def test_artifact_filters_a_whole_edge_list(graph: tuple[list[Item], list[Edge]]) -> None:
    items, edges = graph
    by_id = {i.id: i for i in items}
    bulk = {r["id"]: r for r in artifacts(items, edges)}
    for item in items:
        one = artifact(item, edges, by_id)
        assert one == bulk[item.id]
        assert msgpack.unpackb(msgpack.packb(one), strict_map_key=False) == one
        json.dumps(one)


def test_cfg_predicates() -> None:
    assert cfg_predicates(["#[cfg( any(windows ,\n unix) )]", "#[cfg_attr(x, y)]", "#[test]"]) == [
        "any(windows , unix)"
    ]
