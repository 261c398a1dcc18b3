"""``query``: read-only CozoScript over a real workspace's store, through the real daemon
(and the client command), with writes refused and runaway scripts stopped."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from cargo_workspace import write_workspace
from conftest import DaemonEnv

CALLS = "*relation_name{code: rel, name: 'calls'}"


@pytest.fixture
def workspace(daemon_env: DaemonEnv, tmp_path: Path) -> tuple[DaemonEnv, Path]:
    """A daemon whose queries stop after 1 s and answer 50 rows at most, on a workspace."""
    config = Path(daemon_env.env["XDG_CONFIG_HOME"]) / "rustrag" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text("query_timeout_s: 1\nquery_max_rows: 50\n")
    daemon_env.start()
    root = write_workspace(tmp_path / "ws")
    assert daemon_env.request("index", {"path": str(root), "wait": True})["ok"]
    return daemon_env, root


def _query(daemon: DaemonEnv, root: Path, script: str, **args: Any) -> dict[str, Any]:
    return daemon.request("query", {"script": script, **args}, root=str(root))


def _rows(daemon: DaemonEnv, root: Path, script: str) -> list[list[Any]]:
    response = _query(daemon, root, script)
    assert response["ok"], response
    return sorted(response["result"]["rows"])


def test_items_edges_and_recursive_rules(workspace: tuple[DaemonEnv, Path]) -> None:
    daemon, root = workspace
    structs = _rows(daemon, root, "?[name] := *item{name, kind: 'struct'}")
    assert ["Circle"] in structs and ["Config"] in structs and ["Square"] in structs
    # Who calls Circle::new, through a join with the relation names.
    callers = _rows(
        daemon,
        root,
        f"?[caller] := *edge{{src, dst, rel}}, {CALLS},"
        " *item{id: dst, qualname: 'demo_core::Circle::new'}, *item{id: src, qualname: caller}",
    )
    assert callers == [["app::main"]]
    # Transitive callers with a recursive rule (the same answer: main calls new directly).
    transitive = _rows(
        daemon,
        root,
        f"reach[src] := *edge{{src, dst, rel}}, {CALLS}, *item{{id: dst, name: 'new'}}\n"
        f"reach[src] := reach[mid], *edge{{src, dst: mid, rel}}, {CALLS}\n"
        "?[name] := reach[id], *item{id, qualname: name}",
    )
    assert ["app::main"] in transitive
    implementors = _rows(
        daemon,
        root,
        "?[impl] := *edge{src, dst, rel}, *relation_name{code: rel, name: 'implements'},"
        " *item{id: dst, name: 'Shape'}, *item{id: src, qualname: impl}",
    )
    assert implementors and all("Shape" in row[0] for row in implementors)
    confidences = _rows(daemon, root, "?[name] := *confidence_name{name}")
    assert confidences == [["ambiguous"], ["exact"], ["unresolved"]]
    relations = _rows(daemon, root, "::relations")
    assert {"item", "edge", "relation_name", "confidence_name"} <= {row[0] for row in relations}


@pytest.mark.parametrize(
    ("script", "words"),
    [
        ("?[path, id, name] <- [['x.rs', 1, 'x']] :put item {path, id => name}", ":put"),
        ("?[path, id] := *item{path, id}\n:rm item {path, id}", ":rm"),
        (":create evil {a: Int}", ":create"),
        ("::remove item", "::remove is not read-only"),
        ("::index create item:by_name {name}", "::index is not read-only"),
        ("::compact", "::compact is not read-only"),
        ("{?[a] <- [[1]]} {?[b] <- [[2]]}", "chained"),
        ("?[a] := *nonexistent{a}", "query failed"),
    ],
)
def test_writes_and_bad_scripts_are_refused_and_change_nothing(
    workspace: tuple[DaemonEnv, Path], script: str, words: str
) -> None:
    daemon, root = workspace
    count = "?[count(id)] := *item{id}"
    before = _rows(daemon, root, count)
    response = _query(daemon, root, script)
    assert response["ok"] is False
    assert response["error"]["code"] == "bad_request"
    assert words in response["error"]["message"]
    assert _rows(daemon, root, count) == before
    assert daemon.request("hello")["ok"]


def test_runaway_scripts_stop_and_rows_are_bounded(workspace: tuple[DaemonEnv, Path]) -> None:
    daemon, root = workspace
    started = time.monotonic()
    runaway = _query(daemon, root, "n[x] := x = 0\nn[y] := n[x], y = x + 1\n?[count(x)] := n[x]")
    assert time.monotonic() - started < 20
    assert runaway["ok"] is False and runaway["error"]["code"] == "bad_request"
    assert "killed" in runaway["error"]["message"]
    many = _query(daemon, root, "?[x] := x in int_range(1000)")
    assert many["ok"] and many["result"]["truncated"] is True
    assert len(many["result"]["rows"]) == 50  # query_max_rows
    few = _query(daemon, root, "?[x] := x in int_range(1000)", limit=7)
    assert len(few["result"]["rows"]) == 7 and few["result"]["truncated"] is True
    own = _query(daemon, root, "?[x] := x in int_range(1000)\n:limit 3")
    assert len(own["result"]["rows"]) == 3 and own["result"]["truncated"] is False
    assert set(many["result"]) == {"headers", "rows", "took_ms", "truncated"}


def test_the_client_command_reads_a_script_from_stdin(workspace: tuple[DaemonEnv, Path]) -> None:
    daemon, root = workspace
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "rustrag_client", "--socket", str(daemon.socket), "query", "-"],
        input="?[name] := *item{name, kind: 'trait'}",
        env=daemon.env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "name" and "Shape" in lines[1:]


def test_the_documented_examples_run(workspace: tuple[DaemonEnv, Path]) -> None:
    """Each example of PROTOCOL.md's ``query`` section answers without an error."""
    daemon, root = workspace
    text = (Path(__file__).resolve().parent.parent / "protocol" / "PROTOCOL.md").read_text()
    section = text.split("### query", 1)[1].split("### ", 1)[0]
    block = section.split("```", 2)[1]
    examples = [part.strip() for part in block.split("\n#") if part.strip()]
    scripts = [example.split("\n", 1)[1] for example in examples]
    assert len(scripts) == 4
    answers = [_query(daemon, root, script) for script in scripts]
    assert all(answer["ok"] for answer in answers), answers
    assert answers[0]["result"]["rows"]  # the workspace has structs
    assert answers[2]["result"]["rows"]  # and impls of Shape
