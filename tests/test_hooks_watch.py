"""Git hooks, the shell-prompt status and pushed events."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cargo_workspace import write_workspace
from conftest import DaemonEnv


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(root), "-c", "user.email=t@t", "-c", "user.name=t", *args],
        check=True,
        capture_output=True,
    )


def test_hooks_install_chain_and_uninstall(daemon: DaemonEnv, tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws")
    _git(root, "init", "-q", "-b", "main")
    hooks = root / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    existing = hooks / "post-commit"
    marker = tmp_path / "chained-ran"
    existing.write_text(f"#!/bin/sh\necho ran > {marker}\n")
    existing.chmod(0o755)
    done = daemon.client("hooks", "install", "--repo", str(root))
    assert done.returncode == 0, done.stderr
    for name in ("post-checkout", "post-merge", "post-rewrite", "post-commit"):
        assert "rustrag-client hooks install" in (hooks / name).read_text()
    assert (hooks / "post-commit.rustrag-chained").exists()
    daemon.client_json("index", str(root), "--wait")
    (root / "core/src/config.rs").write_text("pub fn after_commit() {}\n")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "one")  # runs the hooks: chained one, then the daemon nudge
    assert marker.read_text().strip() == "ran"
    daemon.client_json("wait", cwd=root)
    names = {h["name"] for h in daemon.client_json("symbols", cwd=root)["results"]}
    assert "after_commit" in names
    removed = daemon.client("hooks", "uninstall", "--repo", str(root))
    assert removed.returncode == 0
    assert not (hooks / "post-checkout").exists()
    assert existing.read_text().startswith("#!/bin/sh\necho ran")


def test_hooks_never_start_a_daemon_and_stay_quiet(daemon_env: DaemonEnv, tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws")
    _git(root, "init", "-q", "-b", "main")
    assert daemon_env.client("hooks", "install", "--repo", str(root)).returncode == 0
    _git(root, "add", "-A")
    commit = subprocess.run(
        ["git", "-C", str(root), "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "x"],
        capture_output=True,
        text=True,
        env=daemon_env.env,
        timeout=30,
    )
    assert commit.returncode == 0 and commit.stdout == "" and commit.stderr == ""
    assert not daemon_env.socket.exists()


def test_brief_status_for_shell_prompts(daemon: DaemonEnv, tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws")
    daemon.client_json("index", str(root), "--wait")
    brief = daemon.client("status", "--brief", "--no-start", "--timeout", "0.5", cwd=root / "core")
    assert brief.returncode == 0 and brief.stdout.strip() == "rustrag:fresh"
    outside = daemon.client("status", "--brief", "--no-start", cwd=tmp_path)
    assert outside.returncode == 0 and outside.stdout.strip() == ""


def test_watch_prints_indexed_events_with_changed_ids(daemon: DaemonEnv, tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws")
    daemon.client_json("index", str(root), "--wait")
    watcher = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rustrag_client",
            "--socket",
            str(daemon.socket),
            "watch",
            "--json",
            "--timeout",
            "20",
        ],
        cwd=root,
        env=daemon.env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert watcher.stdout is not None
        # The subscription is in place once the daemon has answered; prove it with an event.
        daemon.client_json("wait", cwd=root)
        config = root / "core/src/config.rs"
        config.write_text(
            config.read_text().replace("self.path = ", "self.path = String::new() + &")
        )
        daemon.client_json("wait", cwd=root)
        reload = daemon.client_json("def", "Config::reload", cwd=root)["results"][0]
        for line in watcher.stdout:
            event = json.loads(line)
            assert event["push"] is True
            if event["event"] == "indexed" and not event.get("full"):
                assert event["files"] == ["core/src/config.rs"]
                # The method, and the impl block whose text holds it.
                assert reload["id"] in event["changed"]
                changed = {h["id"]: h for h in daemon.client_json("symbols", cwd=root)["results"]}
                assert {changed[i]["kind"] for i in event["changed"]} <= {"method", "impl"}
                break
    finally:
        watcher.kill()
        watcher.wait()
