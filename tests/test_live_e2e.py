"""The live index: saved files show up in answers after `wait`, with minimal re-embedding."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cargo_workspace import write_workspace
from conftest import DaemonEnv
from rustrag_protocol import encode_frame, make_request, recv_frame


def _names(daemon: DaemonEnv, root: Path, *args: str) -> list[str]:
    return [h["name"] for h in daemon.client_json("symbols", *args, cwd=root)["results"]]


def _live(daemon: DaemonEnv) -> dict:
    return daemon.client_json("status")["workspaces"][0]["live"]


@pytest.fixture
def indexed(daemon: DaemonEnv, tmp_path: Path) -> Path:
    root = write_workspace(tmp_path / "ws")
    daemon.client_json("index", str(root), "--wait")
    return root


def test_edit_rename_add_delete_show_up_after_wait(daemon: DaemonEnv, indexed: Path) -> None:
    root = indexed
    config = root / "core/src/config.rs"
    config.write_text(config.read_text().replace("pub fn reload(", "pub fn refresh("))
    daemon.client_json("wait", cwd=root)
    names = _names(daemon, root, "--path", "core/src/config.rs")
    assert "refresh" in names and "reload" not in names

    (root / "core/src/extra.rs").write_text("pub fn brand_new() -> u8 {\n    7\n}\n")
    lib = root / "core/src/lib.rs"
    lib.write_text(lib.read_text().replace("mod shapes;", "mod shapes;\npub mod extra;"))
    daemon.client_json("wait", cwd=root)
    [hit] = daemon.client_json("def", "demo_core::extra::brand_new", cwd=root)["results"]
    assert (hit["path"], hit["start_line"]) == ("core/src/extra.rs", 1)

    (root / "core/src/shapes/square.rs").unlink()
    daemon.client_json("wait", cwd=root)
    assert "Square" not in _names(daemon, root)
    status = daemon.client_json("status")["workspaces"][0]
    assert "core/src/shapes/square.rs" not in {
        h["path"] for h in daemon.client_json("symbols", cwd=root)["results"]
    }
    assert status["files"] == 5  # 5 - square.rs + extra.rs


def test_inserting_lines_shifts_spans_without_rewriting_content(
    daemon: DaemonEnv, indexed: Path
) -> None:
    root = indexed
    before = {
        h["name"]: h
        for h in daemon.client_json("symbols", "--path", "core/src/config.rs", cwd=root)["results"]
    }
    config = root / "core/src/config.rs"
    config.write_text("// one\n// two\n// three\n" + config.read_text())
    daemon.client_json("wait", cwd=root)
    after = {
        h["name"]: h
        for h in daemon.client_json("symbols", "--path", "core/src/config.rs", cwd=root)["results"]
    }
    for name in ("Config", "reload", "path"):
        assert after[name]["start_line"] == before[name]["start_line"] + 3
        assert after[name]["id"] == before[name]["id"]
    live = _live(daemon)
    assert live["items_updated"] == 0 and live["items_added"] == 0
    assert live["items_moved"] >= 3
    [delta] = live["recent"]
    assert delta["files"] == 1 and delta["ms"] == live["last_ms"]
    assert {"read", "parse", "diff", "apply", "index", "resolve"} <= set(delta["ms"])
    # The store writes run after the edit is queryable, and land soon after.
    deadline = time.monotonic() + 10
    while live["store_pending"] and time.monotonic() < deadline:
        time.sleep(0.05)
        live = _live(daemon)
    assert live["store_pending"] is False
    assert set(live["store_ms"]) == {"store", "graph store"}
    assert live["store_failures"] == 0


def test_sync_flag_waits_for_changes(daemon: DaemonEnv, indexed: Path) -> None:
    root = indexed
    (root / "core/src/config.rs").write_text("pub fn only_this() {}\n")
    names = [
        h["name"]
        for h in daemon.client_json("symbols", "--path", "core/src/config.rs", "--sync", cwd=root)[
            "results"
        ]
    ]
    assert names == ["only_this"]


def test_git_checkout_between_branches_is_one_batch(daemon: DaemonEnv, tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws")
    git = ["git", "-C", str(root), "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    subprocess.run([*git, "checkout", "-qb", "wide"], check=True)
    generated = root / "core/src/generated"
    generated.mkdir()
    (generated / "mod.rs").write_text("".join(f"pub mod g{i};\n" for i in range(500)))
    for i in range(500):
        (generated / f"g{i}.rs").write_text(f"pub fn generated_{i}() -> u32 {{\n    {i}\n}}\n")
    lib = root / "core/src/lib.rs"
    lib.write_text(lib.read_text() + "\npub mod generated;\n")
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "wide"], check=True)
    subprocess.run([*git, "checkout", "-q", "main"], check=True)
    daemon.client_json("index", str(root), "--wait")
    assert not any(n.startswith("generated_") for n in _names(daemon, root))
    batches = _live(daemon)["batches"]
    subprocess.run([*git, "checkout", "-q", "wide"], check=True)
    daemon.client_json("wait", cwd=root)
    names = _names(daemon, root, "--kind", "function")
    assert sum(n.startswith("generated_") for n in names) == 500
    [hit] = daemon.client_json("def", "demo_core::generated::g499::generated_499", cwd=root)[
        "results"
    ]
    assert hit["path"] == "core/src/generated/g499.rs"
    subprocess.run([*git, "checkout", "-q", "main"], check=True)
    daemon.client_json("wait", cwd=root)
    assert not any(n.startswith("generated_") for n in _names(daemon, root))
    assert _live(daemon)["batches"] - batches <= 2  # one batch per checkout


def test_kill_9_mid_batch_then_restart_reconciles(daemon: DaemonEnv, indexed: Path) -> None:
    root = indexed
    assert daemon.process is not None
    config = root / "core/src/config.rs"
    config.write_text(config.read_text().replace("pub fn reload(", "pub fn restored("))
    daemon.process.kill()  # SIGKILL, maybe in the middle of applying the change
    daemon.process.wait()
    daemon.process = None
    (root / "core/src/late.rs").write_text("pub fn written_while_down() {}\n")
    daemon.start()
    daemon.client_json("wait", cwd=root)
    names = _names(daemon, root)
    assert "restored" in names and "reload" not in names
    assert "written_while_down" in names


def test_kill_9_right_after_wait_loses_nothing(daemon: DaemonEnv, indexed: Path) -> None:
    """An edit is queryable before its store writes land; a kill in between is made up
    for at the next start, and the graph is the one a fresh resolution gives."""
    root = indexed
    assert daemon.process is not None
    config = root / "core/src/config.rs"
    config.write_text(config.read_text().replace("pub fn reload(", "pub fn refreshed("))
    daemon.client_json("wait", cwd=root)
    found = daemon.client_json("symbols", "--path", "core/src/config.rs", cwd=root)["results"]
    hits = [h for h in found if h["name"] == "refreshed"]
    assert len(hits) == 1
    assert "fn refreshed(" in hits[0]["snippet"]  # from memory if not yet in the store
    daemon.process.kill()
    daemon.process.wait()
    daemon.process = None
    daemon.start()
    daemon.client_json("wait", cwd=root)
    names = _names(daemon, root)
    assert "refreshed" in names and "reload" not in names
    after_restart = _graph(daemon, root)
    daemon.client_json("forget", str(root))
    daemon.client_json("index", str(root), "--wait")
    assert _graph(daemon, root) == after_restart


def _graph(daemon: DaemonEnv, root: Path) -> dict[int, Any]:
    """Every item's edges (``neighbors``), over one connection."""
    ids = [h["id"] for h in daemon.client_json("symbols", "--limit", "1000", cwd=root)["results"]]
    found = {}
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(str(daemon.socket))
        for n, item_id in enumerate(ids):
            request = make_request(n, "neighbors", {"id": item_id}, str(root))
            sock.sendall(encode_frame(dict(request)))
            response = recv_frame(sock)
            assert response["ok"], response
            edges = response["result"]["edges"]
            found[item_id] = sorted(sorted(e.items(), key=str) for e in edges)
    return found


def test_live_edits_leave_the_same_graph_as_a_restart_and_a_full_index(
    daemon: DaemonEnv, indexed: Path
) -> None:
    """The graph patched edit by edit, in memory and in the store, is the full resolution's."""
    root = indexed
    config = root / "core/src/config.rs"
    text = config.read_text()
    edits = [
        "// a comment on top\n" + text,  # every line shifts
        text.replace("pub fn reload(", "pub fn refresh("),  # a rename, callers re-resolved
        text.replace("pub fn reload(&mut self)", "pub fn reload(&mut self, force: bool)"),
    ]
    for edit in edits:
        config.write_text(edit)
        daemon.client_json("wait", cwd=root)
    assert any(_graph(daemon, root).values())
    _same_after_restart_and_fresh_index(daemon, root, _graph)


def _same_after_restart_and_fresh_index(
    daemon: DaemonEnv, root: Path, read: Callable[[DaemonEnv, Path], object]
) -> None:
    """``read`` gives the same after a restart (what the store kept) and after a fresh
    index of the same files (a full resolution) as it gives now."""
    live = read(daemon, root)
    assert daemon.stop() == 0
    daemon.start()
    daemon.client_json("wait", cwd=root)
    assert read(daemon, root) == live
    daemon.client_json("forget", str(root))
    daemon.client_json("index", str(root), "--wait")
    assert read(daemon, root) == live


MAKER = """
macro_rules! getter {
    ($name:ident) => {
        pub fn $name() -> u32 {
            1
        }
    };
}

getter!(made_one);
getter!(made_two);
"""


def _symbols(daemon: DaemonEnv, root: Path) -> list[tuple[str, str, int, int]]:
    hits = daemon.client_json("symbols", "--limit", "1000", cwd=root)["results"]
    return sorted((h["qualified_name"], h["path"], h["start_line"], h["end_line"]) for h in hits)


def test_macro_made_items_follow_edits_in_memory_and_in_the_store(
    daemon: DaemonEnv, indexed: Path
) -> None:
    root = indexed
    lib = root / "core/src/lib.rs"
    lib.write_text(lib.read_text() + MAKER)
    daemon.client_json("wait", cwd=root)
    assert "made_two" in _names(daemon, root)
    # The resolver the edit needed started from the index job's expansions.
    assert "resolver for edits ready" in daemon.log()
    assert "(from the index job's expansions)" in daemon.log()
    lib.write_text("// moved\n// down\n" + lib.read_text())  # every made item moves
    daemon.client_json("wait", cwd=root)
    lib.write_text(lib.read_text().replace("getter!(made_two);", "getter!(made_three);"))
    daemon.client_json("wait", cwd=root)
    live = _symbols(daemon, root)
    made = [s for s in live if s[0].endswith(("made_one", "made_two", "made_three"))]
    assert [s[0].rpartition("::")[2] for s in made] == ["made_one", "made_three"]
    hits = daemon.client_json("ask", "made_three", "--mode", "lexical", cwd=root)["results"]
    assert hits[0]["name"] == "made_three"
    _same_after_restart_and_fresh_index(daemon, root, _symbols)
