"""Graph ops through the real client: callers, callees, impls, methods, uses, neighbors."""

from __future__ import annotations

from pathlib import Path

from cargo_workspace import write_workspace
from conftest import DaemonEnv, practice_crate


def _indexed(daemon: DaemonEnv, tmp_path: Path, more_core: str = "") -> Path:
    """The demo workspace, ``more_core`` appended to its core crate's lib.rs, indexed."""
    root = write_workspace(tmp_path / "ws")
    lib = root / "core/src/lib.rs"
    lib.write_text(lib.read_text() + more_core)
    daemon.client_json("index", str(root), "--wait")
    return root


def test_callers_and_callees_with_confidence(daemon: DaemonEnv, tmp_path: Path) -> None:
    root = _indexed(daemon, tmp_path)
    callers = daemon.client_json("callers", "Circle::new", cwd=root)
    assert callers["targets"] == ["demo_core::Circle::new"]
    [caller] = [h for h in callers["results"] if h["confidence"] == "exact"]
    assert caller["qualified_name"] == "app::main"
    assert (caller["site_path"], caller["site_line"]) == ("app/src/main.rs", 2)
    callees = daemon.client_json("callees", "app::main", cwd=root)["results"]
    assert "demo_core::Circle::new" in {h["qualified_name"] for h in callees}
    for hit in callees:
        assert hit["confidence"] in ("exact", "ambiguous", "unresolved")
    human = daemon.client("callers", "Circle::new", cwd=root)
    assert human.returncode == 0 and "app/src/main.rs:2" in human.stdout
    missing = daemon.client("callers", "no_such_function", cwd=root)
    assert missing.returncode == 2 and "no function or method named" in missing.stderr


def test_transitive_callers_are_bounded_by_depth(daemon: DaemonEnv, tmp_path: Path) -> None:
    root = _indexed(
        daemon,
        tmp_path,
        "\npub fn first() -> u32 { second() }\nfn second() -> u32 { third() }\n"
        + "fn third() -> u32 { 3 }\n",
    )
    one = daemon.client_json("callers", "third", cwd=root)["results"]
    assert [(h["name"], h["depth"]) for h in one] == [("second", 1)]
    two = daemon.client_json("callers", "third", "--depth", "2", cwd=root)["results"]
    assert [(h["name"], h["depth"]) for h in two] == [("second", 1), ("first", 2)]
    down = daemon.client_json("callees", "first", "--depth", "5", cwd=root)["results"]
    assert [(h["name"], h["depth"], h["confidence"]) for h in down] == [
        ("second", 1, "exact"),
        ("third", 2, "exact"),
    ]


def test_impls_methods_uses_and_neighbors(daemon: DaemonEnv, tmp_path: Path) -> None:
    root = _indexed(daemon, tmp_path)
    impls = daemon.client_json("impls", "Shape", cwd=root)
    assert impls["trait"] == "Shape"
    assert [(i["type"], i["path"], i["start_line"]) for i in impls["impls"]] == [
        ("Circle", "core/src/lib.rs", 19)
    ]
    methods = daemon.client_json("methods", "Circle", cwd=root)
    by_name = {m["name"]: m for m in methods["methods"]}
    assert by_name["new"]["via_trait"] == "" and by_name["new"]["start_line"] == 27
    assert by_name["area"]["via_trait"].endswith("Shape")
    assert {"Shape", "Debug", "Clone"} <= {t.rsplit("::", 1)[-1] for t in methods["traits"]}
    uses = daemon.client_json("uses", "Config", cwd=root)["results"]
    assert uses and all(h["confidence"] in ("exact", "ambiguous") for h in uses)
    circle = daemon.client_json("def", "demo_core::Circle", cwd=root)["results"]
    [struct] = [h for h in circle if h["kind"] == "struct"]
    around = daemon.client_json("neighbors", str(struct["id"]), cwd=root)
    assert around["item"]["qualified_name"] == "demo_core::Circle"
    rels = {(e["direction"], e["rel"]) for e in around["edges"]}
    assert ("out", "has_method") in rels and ("in", "impl_for") in rels


def test_practice_crate_impls(daemon: DaemonEnv) -> None:
    crate = practice_crate("regex-syntax")
    daemon.client_json("index", str(crate), "--wait")
    visitor = daemon.client_json("impls", "Visitor", cwd=crate)["impls"]
    assert len(visitor) >= 3
    assert all(i["path"].startswith("src/") for i in visitor)
    parser = daemon.client_json("methods", "ParserBuilder", cwd=crate)
    assert {"new", "build", "nest_limit"} <= {m["name"] for m in parser["methods"]}


def test_methods_lists_traits_as_rustdoc_pages_do(daemon: DaemonEnv, tmp_path: Path) -> None:
    """A type's traits: its impls and derives, and impls whose trait takes it as a direct
    type argument (`impl From<Celsius> for Kelvin` is on Celsius' page), not nested ones."""
    root = _indexed(
        daemon,
        tmp_path,
        "\n#[derive(Clone)]\npub struct Celsius(pub f64);\npub struct Kelvin(pub f64);\n"
        + "pub struct Pair<A, B>(pub A, pub B);\n"
        + "impl From<Celsius> for Kelvin {\n    fn from(c: Celsius) -> Kelvin { Kelvin(c.0) }\n}\n"
        + "impl PartialEq<Pair<Celsius, u8>> for Kelvin {\n"
        + "    fn eq(&self, _: &Pair<Celsius, u8>) -> bool { false }\n}\n",
    )
    celsius = daemon.client_json("methods", "Celsius", cwd=root)
    assert sorted(celsius["traits"]) == ["Clone", "From"]
    kelvin = daemon.client_json("methods", "Kelvin", cwd=root)
    assert sorted(kelvin["traits"]) == ["From", "PartialEq"]
    pair = daemon.client_json("methods", "Pair", cwd=root)
    assert pair["traits"] == ["PartialEq"]  # the direct argument's head
