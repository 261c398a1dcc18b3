"""What a workspace keeps between an index job and its incremental resolver."""

from __future__ import annotations

from pathlib import Path

from rustragd.workspace.state import Workspace


def test_kept_expansions_serve_only_the_facts_they_were_made_from(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "ws", tmp_path / "state", None)
    try:
        files = [("src/lib.rs", b"facts of lib"), ("src/a.rs", b"facts of a")]
        workspace.keep_expansions(files, b"expanded")
        assert workspace.take_expansions(files) == b"expanded"
        assert workspace.take_expansions(files) == b""  # let go once taken
        workspace.keep_expansions(files, b"expanded")
        edited = [files[0], ("src/a.rs", b"facts of a, edited since")]
        assert workspace.take_expansions(edited) == b""  # other facts: expand again
        assert workspace.take_expansions(files) == b""  # and let go
    finally:
        workspace.store.close()
