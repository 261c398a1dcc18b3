"""Index jobs on a real local Ray cluster (started here, stopped after), against local ones."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from cargo_workspace import write_workspace
from conftest import DaemonEnv
from rustragd.store.graph_store import GraphStore

PRACTICE = Path("/tmp/rustrag-practice/regex-syntax")
RAY = Path(sys.executable).with_name("ray")
ITEMS = "?[path, id, kind, name, qualname, start_line, end_line] := *item{path, id, kind, name, qualname, start_line, end_line}"  # noqa: E501
EDGES = "?[file, src, rel, dst, line, target, confidence, via, extra] := *edge{file, src, rel, dst, line, target, confidence, via, extra}"  # noqa: E501
TYPES = "?[fingerprint, canonical, definition] := *type{fingerprint, canonical, definition}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """The address of a one-node Ray cluster with 2 CPUs, started for this module."""
    pytest.importorskip("ray", reason="ray is not installed (pip install '.[cluster]')")
    port = _free_port()
    temp = Path(tempfile.mkdtemp(prefix="rt", dir="/tmp"))  # Ray's socket paths are short
    started = subprocess.run(
        [
            *(str(RAY), "start", "--head", f"--port={port}", "--num-cpus=2"),
            *("--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={temp}"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if started.returncode != 0:
        pytest.skip(f"Ray cannot start here: {started.stderr[-500:]}")
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([str(RAY), "stop", "--force"], capture_output=True, timeout=120)
        shutil.rmtree(temp, ignore_errors=True)


def _graph(daemon: DaemonEnv, root: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every item, edge and type row of the workspace's store, sorted."""
    found = {}
    for name, script in (("items", ITEMS), ("edges", EDGES), ("types", TYPES)):
        answer = daemon.client_json("query", script, cwd=root)
        assert not answer["truncated"]
        found[name] = sorted(tuple(row) for row in answer["rows"])
    return found


def _index_both_ways(daemon: DaemonEnv, root: Path, address: str) -> tuple[Any, Any, Any]:
    """The workspace indexed on the cluster, then again locally: (the cluster's answer,
    its graph, the local graph)."""
    answer = daemon.client_json("index", str(root), "--wait", "--cluster", address)
    on_cluster = _graph(daemon, root)
    daemon.client_json("forget", str(root))
    daemon.client_json("index", str(root), "--wait", "--cluster", "local")
    return answer, on_cluster, _graph(daemon, root)


def _start(daemon: DaemonEnv, settings: str = "") -> None:
    config = Path(daemon.env["XDG_CONFIG_HOME"]) / "rustrag"
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.yaml").write_text("query_max_rows: 1000000\n" + settings)
    daemon.start()


def _vectors(state: Path) -> dict[int, Any]:
    """Every item's vector in the store under ``state`` (the daemon stopped)."""
    store = GraphStore(next(state.glob("rustrag/*/v*/graph.db")))
    try:
        rows = store.embeddings.item_vectors()
    finally:
        store.close()
    return {item_id: np.frombuffer(vector, dtype=np.float32) for item_id, vector in rows}


def test_a_cluster_index_equals_a_local_one(
    daemon_env: DaemonEnv, cluster: str, tmp_path: Path
) -> None:
    _start(daemon_env)
    fixture = write_workspace(tmp_path / "ws")
    for root in (fixture, PRACTICE):
        answer, on_cluster, local = _index_both_ways(daemon_env, root, cluster)
        assert answer["state"] == "ready" and answer["cluster"]["fallback_reason"] is None
        assert answer["cluster"]["address"] == cluster and answer["cluster"]["cpus"] == 2
        assert answer["cluster"]["tasks_done"] >= 2  # extraction batches and the resolution
        assert answer["cluster"]["bytes_shipped"] > 0
        assert on_cluster["items"] and on_cluster["edges"]
        assert on_cluster == local, root
    status = daemon_env.client_json("status")
    assert status["cluster"]["address"] == cluster and status["cluster"]["nodes"] == 1


def test_an_unreachable_cluster_falls_back_to_the_local_pools(
    daemon_env: DaemonEnv, tmp_path: Path
) -> None:
    _start(daemon_env)
    root = write_workspace(tmp_path / "ws")
    address = f"localhost:{_free_port()}"  # nothing listens there (and not "local")
    answer = daemon_env.client_json("index", str(root), "--wait", "--cluster", address)
    assert answer["state"] == "ready" and answer["items"] > 0
    reason = answer["cluster"]["fallback_reason"]
    assert f"nothing answers at {address}" in reason
    assert daemon_env.client_json("status")["cluster"]["fallback_reason"] == reason


def _resolving() -> list[str]:
    """The Ray workers running a workspace's resolution now."""
    found = subprocess.run(["pgrep", "-f", "ray::resolve_files"], capture_output=True, text=True)
    return found.stdout.split()


@contextlib.contextmanager
def _killing_while_resolving(victims: Callable[[], list[str]]) -> Iterator[list[int]]:
    """While the block runs, SIGKILL the processes ``victims`` names once, as soon as the
    cluster is resolving; yields the pids killed."""
    killed: list[int] = []
    stop = threading.Event()

    def kill() -> None:
        while not stop.is_set() and not killed:
            if _resolving():
                for pid in victims():
                    os.kill(int(pid), signal.SIGKILL)
                    killed.append(int(pid))
            time.sleep(0.01)

    killer = threading.Thread(target=kill)
    killer.start()
    try:
        yield killed
    finally:
        stop.set()
        killer.join()


def test_a_worker_killed_mid_job_is_survived(daemon_env: DaemonEnv, cluster: str) -> None:
    """The resolution's worker is killed while it runs: Ray runs the task again and the
    job ends with the graph a local job makes."""
    _start(daemon_env)
    with _killing_while_resolving(_resolving) as killed:
        answer, on_cluster, local = _index_both_ways(daemon_env, PRACTICE, cluster)
    assert killed, "the resolution's worker was never seen"
    assert answer["state"] == "ready" and answer["cluster"]["fallback_reason"] is None
    assert on_cluster == local


def test_the_cluster_embeds_a_jobs_vectors_as_the_daemon_does(
    daemon_env: DaemonEnv, cluster: str, tmp_path: Path
) -> None:
    """The job's bulk of vectors goes to the cluster's embedder actors (the daemon's
    model, on each CPU): the same vectors as a local job's."""
    daemon_env.env["RUSTRAG_EMBEDDINGS"] = "1"
    root = tmp_path / "ws"  # one file of 40 functions: one batch of the job, a bulk
    (root / "src").mkdir(parents=True)
    (root / "Cargo.toml").write_text('[package]\nname = "many"\nversion = "0.1.0"\n')
    functions = (
        f"/// Step {n} of the pipeline.\npub fn step_{n}(x: u32) -> u32 {{ x + {n} }}\n"
        for n in range(40)
    )
    (root / "src" / "lib.rs").write_text("".join(functions))
    found = {}
    for where in (cluster, "local"):
        state = tmp_path / f"state-{len(found)}"
        daemon_env.env["XDG_STATE_HOME"] = str(state)
        _start(daemon_env, "embed_batch: 2\n")  # batches of 8: 40 pending are a bulk
        answer = daemon_env.client_json("index", str(root), "--wait", "--cluster", where)
        assert answer["state"] == "ready"
        if where == cluster:
            assert answer["cluster"]["embedders"] == 2, answer["cluster"]
            assert answer["cluster"]["embedded"] >= 16  # two batches at least
        daemon_env.stop()
        found[where] = _vectors(state)
    on_cluster, local = found[cluster], found["local"]
    assert len(local) == 40 and on_cluster.keys() == local.keys()
    for item_id, vector in local.items():
        assert float(vector @ on_cluster[item_id]) > 0.9999, item_id


def _drivers(daemon: DaemonEnv) -> list[str]:
    """The daemon's Ray driver processes (spawned children)."""
    assert daemon.process is not None
    found = subprocess.run(
        ["pgrep", "-P", str(daemon.process.pid), "-f", "multiprocessing.spawn"],
        capture_output=True,
        text=True,
    )
    return found.stdout.split()


def test_the_driver_exits_when_idle_and_comes_back_for_the_next_job(
    daemon_env: DaemonEnv, cluster: str, tmp_path: Path
) -> None:
    _start(daemon_env, "cluster_idle_s: 1\n")
    root = write_workspace(tmp_path / "ws")
    first = daemon_env.client_json("index", str(root), "--wait", "--cluster", cluster)
    assert first["cluster"]["fallback_reason"] is None
    deadline = time.monotonic() + 30
    while _drivers(daemon_env) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _drivers(daemon_env)  # its memory given back
    daemon_env.client_json("forget", str(root))
    again = daemon_env.client_json("index", str(root), "--wait", "--cluster", cluster)
    assert again["cluster"]["fallback_reason"] is None and again["cluster"]["tasks_done"] > 0
    assert again["items"] == first["items"]


def test_a_job_whose_driver_dies_fails_clearly_and_keeps_the_index(
    daemon_env: DaemonEnv, cluster: str, tmp_path: Path
) -> None:
    """The driver process is killed while the cluster resolves: the job fails with the
    reason, the daemon keeps serving the index it has, and a local job repairs the graph
    to what a fresh local index makes."""
    root = tmp_path / "regex-syntax"
    shutil.copytree(PRACTICE, root)
    _start(daemon_env, "watch: false\n")  # the edit below waits for the cluster's job
    daemon_env.client_json("index", str(root), "--wait", "--cluster", "local")
    before = daemon_env.client_json("symbols", "--kind", "trait", cwd=root)
    with (root / "src" / "lib.rs").open("a") as source:  # work for the cluster: a file
        source.write("\npub fn added_for_the_cluster() -> bool { is_meta_character('x') }\n")
    daemon = daemon_env.process
    assert daemon is not None
    with _killing_while_resolving(lambda: _drivers(daemon_env)) as killed:
        done = daemon_env.client("index", str(root), "--wait", "--cluster", cluster, "--json")
    assert killed, "the driver was never killed"
    assert done.returncode != 0 and "stopped answering" in done.stdout + done.stderr
    assert daemon.poll() is None
    assert daemon_env.client_json("symbols", "--kind", "trait", cwd=root) == before
    daemon_env.client_json("index", str(root), "--wait", "--cluster", "local")
    repaired = _graph(daemon_env, root)
    daemon_env.client_json("forget", str(root))
    daemon_env.client_json("index", str(root), "--wait", "--cluster", "local")
    assert repaired == _graph(daemon_env, root)


def test_the_daemon_outlives_its_cluster(daemon_env: DaemonEnv, cluster: str) -> None:
    """The cluster stops (last in this module: it stops the module's cluster). Ray ends
    the driver process once the cluster is silent (after 3 s here, 60 by default); the
    daemon keeps serving and indexes the next job on its local pools."""
    daemon_env.env["RAY_gcs_rpc_server_reconnect_timeout_s"] = "3"
    _start(daemon_env)
    answer = daemon_env.client_json("index", str(PRACTICE), "--wait", "--cluster", cluster)
    assert answer["cluster"]["fallback_reason"] is None
    subprocess.run([str(RAY), "stop", "--force"], capture_output=True, timeout=120)
    time.sleep(8)  # well past Ray's timeout: the driver process has ended
    assert daemon_env.process is not None and daemon_env.process.poll() is None
    again = daemon_env.client_json("index", str(PRACTICE), "--wait", "--cluster", cluster)
    assert again["state"] == "ready"
    assert "nothing answers" in again["cluster"]["fallback_reason"]
