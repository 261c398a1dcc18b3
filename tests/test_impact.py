"""``impact`` and ``changed`` through the real daemon and client, on a real workspace."""

from __future__ import annotations

import difflib
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cargo_workspace import write_workspace
from conftest import DaemonEnv

#: A caller of Circle::new in the library, and a test of it.
EXTRA = """
pub fn unit_circle() -> Circle {
    Circle::new(1.0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn unit_circle_is_round() {
        let _ = super::unit_circle();
    }
}
"""


@pytest.fixture
def indexed(daemon: DaemonEnv, tmp_path: Path) -> tuple[DaemonEnv, Path]:
    root = write_workspace(tmp_path / "ws")
    lib = root / "core" / "src" / "lib.rs"
    lib.write_text(lib.read_text() + EXTRA)
    assert daemon.request("index", {"path": str(root), "wait": True})["ok"]
    return daemon, root


def _result(daemon: DaemonEnv, root: Path, op: str, **args: Any) -> dict[str, Any]:
    response = daemon.request(op, args, root=str(root))
    assert response["ok"], response
    result: dict[str, Any] = response["result"]
    return result


def test_impact_of_a_function_reaches_its_callers_level_by_level(
    indexed: tuple[DaemonEnv, Path],
) -> None:
    daemon, root = indexed
    result = _result(daemon, root, "impact", name="demo_core::Circle::new")
    by_name = {hit["qualified_name"]: hit for hit in result["results"]}
    assert by_name["app::main"]["depth"] == 1
    assert by_name["demo_core::unit_circle"]["depth"] == 1
    assert by_name["demo_core::tests::unit_circle_is_round"]["depth"] == 2
    assert all(hit["rel"] == "calls" and hit["confidence"] for hit in by_name.values())
    assert result["tests"] == ["demo_core::tests::unit_circle_is_round"]
    assert [level["depth"] for level in result["levels"]] == [1, 2]
    assert "app/src/main.rs" in result["levels"][0]["files"]
    shallow = _result(daemon, root, "impact", name="demo_core::Circle::new", depth=1)
    assert {hit["depth"] for hit in shallow["results"]} == {1}


def test_impact_of_a_trait_reaches_its_impls_and_their_callers(
    indexed: tuple[DaemonEnv, Path],
) -> None:
    daemon, root = indexed
    result = _result(daemon, root, "impact", name="Shape")
    rels = {(hit["kind"], hit["rel"]) for hit in result["results"]}
    assert ("impl", "implements") in rels
    config = _result(daemon, root, "impact", name="demo_core::config::Config")
    assert any(hit["kind"] == "impl" and hit["rel"] == "impl_for" for hit in config["results"])


def test_changed_reads_a_diff_and_reaches_what_the_changed_items_reach(
    indexed: tuple[DaemonEnv, Path],
) -> None:
    daemon, root = indexed
    lib = root / "core" / "src" / "lib.rs"
    old = lib.read_text()
    new = old.replace("Circle::new(1.0)", "Circle::new(2.0)")
    diff = "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            "a/core/src/lib.rs",
            "b/core/src/lib.rs",
        )
    )
    result = _result(daemon, root, "changed", diff=diff)
    assert result["files"] == ["core/src/lib.rs"]
    assert [hit["qualified_name"] for hit in result["changed"]] == ["demo_core::unit_circle"]
    assert result["tests"] == ["demo_core::tests::unit_circle_is_round"]
    both = daemon.request("changed", {"diff": diff, "since": "HEAD"}, root=str(root))
    assert both["ok"] is False and both["error"]["code"] == "bad_request"
    option = daemon.request("changed", {"since": "--output=/tmp/x"}, root=str(root))
    assert option["ok"] is False and "not a git revision" in option["error"]["message"]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_changed_since_a_git_revision_through_the_client(indexed: tuple[DaemonEnv, Path]) -> None:
    daemon, root = indexed

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)

    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "start")
    lib = root / "core" / "src" / "lib.rs"
    lib.write_text(lib.read_text().replace("Circle::new(1.0)", "Circle::new(3.0)"))
    found = daemon.client_json("changed", "--since", "HEAD", cwd=root)
    assert [hit["qualified_name"] for hit in found["changed"]] == ["demo_core::unit_circle"]
    text = daemon.client("changed", "--since", "HEAD", cwd=root)
    assert text.returncode == 0 and "tests reached: demo_core::tests::unit_circle_is_round" in (
        text.stdout
    )


def test_a_diff_touches_the_innermost_items_of_its_hunks() -> None:
    from rustragd.graph.impact import changed_lines, items_touched
    from rustragd.syntax.extract import extract_file

    source = (
        "pub struct Point {\n"  # 1
        "    pub x: i32,\n"  # 2
        "}\n"  # 3
        "impl Point {\n"  # 4
        "    pub fn norm(&self) -> i32 {\n"  # 5
        "        self.x\n"  # 6
        "    }\n"  # 7
        "}\n"  # 8
        "pub fn free() {}\n"  # 9
    )
    items = extract_file("src/lib.rs", source.encode(), ["demo"]).items
    diff = (
        "--- a/src/lib.rs\n+++ b/src/lib.rs\n"
        "@@ -2 +2 @@\n-    pub x: u32,\n+    pub x: i32,\n"
        "@@ -6 +6 @@\n-        0\n+        self.x\n"
        "--- a/src/gone.rs\n+++ /dev/null\n@@ -1 +0,0 @@\n-pub fn gone() {}\n"
    )
    ranges = changed_lines(diff)
    assert ranges == {"src/lib.rs": [(2, 2), (6, 6)]}
    touched = [item.qualified_name for item in items_touched(items, ranges)]
    assert touched == ["demo::Point", "demo::Point::norm"]  # a field's type, a method not its impl
    whole = [item.qualified_name for item in items_touched(items, {"src/lib.rs": [(1, 9)]})]
    assert sorted(whole) == ["demo::Point", "demo::Point::norm", "demo::free"]
