"""Every op of the walking skeleton, through the real client and the real daemon."""

from __future__ import annotations

from pathlib import Path

from cargo_workspace import write_workspace
from conftest import DaemonEnv, practice_crate


def _index(daemon: DaemonEnv, root: Path) -> dict:
    return daemon.client_json("index", str(root), "--wait")


def test_hello_announces_version_and_capabilities(daemon: DaemonEnv) -> None:
    result = daemon.client_json("hello")
    assert result["version"] == 1
    assert {"index", "symbols", "search", "def", "wait", "status"} <= set(result["capabilities"])
    human = daemon.client("hello")
    assert human.returncode == 0 and "protocol v1" in human.stdout


def test_index_and_symbols_on_a_cargo_workspace(daemon: DaemonEnv, tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws")
    result = _index(daemon, root)
    assert result["root"] == str(root.resolve())
    assert result["files"] == 5  # target/, ignored/ and *.bak.rs are skipped
    assert result["items"] > 20 and result["took_ms"] > 0

    symbols = daemon.client_json("symbols", cwd=root)["results"]
    by_name = {(s["kind"], s["name"]): s for s in symbols}
    for kind, name in [
        ("trait", "Shape"),
        ("struct", "Circle"),
        ("field", "radius"),
        ("impl", "Circle"),
        ("method", "area"),
        ("method", "new"),
        ("enum", "Color"),
        ("variant", "Green"),
        ("const", "MAX_SHAPES"),
        ("static", "LIBRARY_NAME"),
        ("type_alias", "ShapeId"),
        ("macro_rules", "square"),
        ("union", "Bits"),
        ("mod", "inner"),
        ("mod", "config"),
        ("function", "helper"),
        ("function", "main"),
        ("struct", "Square"),
    ]:
        assert (kind, name) in by_name, (kind, name)
    paths = {s["path"] for s in symbols}
    assert not any("do_not_index" in s["name"] for s in symbols)
    assert "core/src/lib.rs" in paths and "app/src/main.rs" in paths

    circle = by_name[("struct", "Circle")]
    assert circle["qualified_name"] == "demo_core::Circle"
    assert (circle["start_line"], circle["end_line"]) == (14, 17)  # after doc and #[derive]
    assert circle["doc"] == "A round shape."
    assert "pub struct Circle" in circle["signature"]
    assert circle["snippet"].startswith("pub struct Circle {")
    reload = next(s for s in symbols if s["name"] == "reload")
    assert reload["qualified_name"] == "demo_core::config::Config::reload"
    assert reload["path"] == "core/src/config.rs" and reload["start_line"] == 8
    square = next(s for s in symbols if s["name"] == "Square")
    assert square["qualified_name"] == "demo_core::shapes::square::Square"
    for hit in symbols:
        assert set(hit) >= {
            "id",
            "kind",
            "name",
            "qualified_name",
            "path",
            "start_line",
            "end_line",
            "signature",
            "doc",
            "snippet",
            "score",
        }

    traits = daemon.client_json("symbols", "--kind", "trait", cwd=root)["results"]
    assert [t["name"] for t in traits] == ["Shape"]
    in_config = daemon.client_json("symbols", "--path", "core/src/config.rs", cwd=root)["results"]
    assert {s["name"] for s in in_config} == {"Config", "path", "reload"} | {
        s["name"] for s in in_config if s["kind"] == "impl"
    }
    human = daemon.client("symbols", "--kind", "trait", cwd=root)
    assert human.returncode == 0 and "demo_core::Shape" in human.stdout
    none = daemon.client("symbols", "--kind", "union", "--path", "app", cwd=root)
    assert none.returncode == 1


def test_search_ranks_exact_then_prefix_then_fuzzy(daemon: DaemonEnv, tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws")
    _index(daemon, root)
    exact = daemon.client_json("search", "Circle", cwd=root)["results"]
    assert exact[0]["name"] == "Circle" and exact[0]["kind"] == "struct"
    prefix = daemon.client_json("search", "Sha", cwd=root)["results"]
    assert prefix[0]["name"] == "Shape"
    assert "ShapeId" in [h["name"] for h in prefix]
    insensitive = daemon.client_json("search", "circle", cwd=root)["results"]
    assert insensitive[0]["name"] == "Circle"
    fuzzy = daemon.client_json("search", "lbnm", cwd=root)["results"]
    assert fuzzy[0]["name"] == "LIBRARY_NAME"
    scores = [h["score"] for h in prefix]
    assert scores == sorted(scores, reverse=True)
    assert daemon.client("search", "zzzqqq", cwd=root).returncode == 1


def test_def_by_qualified_name_and_suffix(daemon: DaemonEnv, tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws")
    _index(daemon, root)
    full = daemon.client_json("def", "demo_core::config::Config::reload", cwd=root)["results"]
    assert [(h["path"], h["start_line"]) for h in full] == [("core/src/config.rs", 8)]
    suffix = daemon.client_json("def", "Config::reload", cwd=root)["results"]
    assert suffix == full
    assert daemon.client("def", "nope::Nothing", cwd=root).returncode == 1


def test_status_wait_forget_and_shutdown(daemon: DaemonEnv, tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws")
    (root / "core/src/broken.rs").write_text("pub fn ok() {}\npub fn broken( {\n")
    (root / "core/src/latin1.rs").write_bytes(b"/// caf\xe9\npub fn latin() {}\n")
    _index(daemon, root)
    assert daemon.client_json("wait", cwd=root)["clock"].startswith("c:")
    status = daemon.client_json("status")
    assert status["uptime_s"] >= 0
    [workspace] = status["workspaces"]
    assert workspace["root"] == str(root.resolve()) and workspace["state"] == "ready"
    assert workspace["files"] == 7
    assert workspace["files_with_errors"] == 1
    assert workspace["files_with_errors_sample"] == ["core/src/broken.rs"]
    assert workspace["items_by_kind"]["trait"] == 1
    assert workspace["store_bytes"] > 0 and workspace["last_index_ms"] > 0
    names = {s["name"] for s in daemon.client_json("symbols", cwd=root)["results"]}
    assert {"ok", "latin"} <= names  # a file that does not parse, or is not UTF-8, still counts
    human = daemon.client("status")
    assert human.returncode == 0 and str(root.resolve()) in human.stdout

    forgotten = daemon.client_json("forget", str(root))
    assert forgotten == {"root": str(root.resolve()), "forgotten": True}
    assert daemon.client_json("status")["workspaces"] == []
    assert not Path(workspace["state_dir"]).exists()
    gone = daemon.client("symbols", cwd=root)
    assert gone.returncode == 2 and "not in an indexed workspace" in gone.stderr

    stopped = daemon.client_json("shutdown")
    assert stopped["stopping"] is True
    assert daemon.process is not None and daemon.process.wait(timeout=30) == 0
    assert not daemon.socket.exists()
    daemon.process = None


def test_reindex_after_restart_reuses_unchanged_files(daemon: DaemonEnv, tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws")
    first = _index(daemon, root)
    before = daemon.client_json("symbols", cwd=root)["results"]
    assert daemon.stop() == 0
    daemon.start()
    daemon.client_json("wait", cwd=root)
    after = daemon.client_json("symbols", cwd=root)["results"]
    assert [h["id"] for h in after] == [h["id"] for h in before]
    assert daemon.client_json("status")["workspaces"][0]["items"] == first["items"]


def test_state_of_an_older_schema_is_deleted_at_start(daemon: DaemonEnv, tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws")
    _index(daemon, root)
    assert daemon.stop() == 0
    (current,) = daemon.state_dir.glob("*/v*")
    older = current.with_name("v1")
    (older / "graph.db").mkdir(parents=True)
    (older / "graph.db" / "000001.sst").write_bytes(b"x" * 4096)
    daemon.start()
    daemon.client_json("wait", cwd=root)
    assert not older.exists()
    assert current.is_dir()
    assert daemon.client_json("symbols", cwd=root)["results"]


def test_practice_crate_regex_syntax(daemon: DaemonEnv) -> None:
    crate = practice_crate("regex-syntax")
    result = _index(daemon, crate)
    assert result["files"] >= 30 and result["items"] > 1500
    traits = daemon.client_json("symbols", "--kind", "trait", cwd=crate)["results"]
    assert {"Visitor", "Interval", "IntervalSet"} & {t["name"] for t in traits}
    parser = daemon.client_json("def", "regex_syntax::ast::parse::Parser", cwd=crate)["results"]
    assert parser and parser[0]["path"] == "src/ast/parse.rs" and parser[0]["kind"] == "struct"
    found = daemon.client_json("search", "ParserBuilder", cwd=crate)["results"]
    assert found[0]["name"] == "ParserBuilder"
