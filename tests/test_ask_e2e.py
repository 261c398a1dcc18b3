"""ask and the vector index through the real daemon, with the real ONNX model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cargo_workspace import write_workspace
from conftest import DaemonEnv


@pytest.fixture
def embedding_daemon(daemon_env: DaemonEnv) -> DaemonEnv:
    daemon_env.env["RUSTRAG_EMBEDDINGS"] = "1"
    return daemon_env


def _write_config(daemon: DaemonEnv, text: str) -> None:
    config_dir = Path(daemon.env["XDG_CONFIG_HOME"]) / "rustrag"
    config_dir.mkdir(parents=True)
    (config_dir / "config.yaml").write_text(text)


IndexWorkspace = Callable[..., Path]


@pytest.fixture
def index_workspace(embedding_daemon: DaemonEnv, tmp_path: Path) -> IndexWorkspace:
    """Call it to start the embedding daemon (with ``config`` as its config.yaml, if
    given), write the demo workspace under ``tmp_path / "ws"`` and index it; returns the
    workspace root. Function-scoped: every test here but the first edits the workspace,
    restarts the daemon, damages its state or changes its config, so none can share."""

    def index(config: str | None = None) -> Path:
        if config is not None:
            _write_config(embedding_daemon, config)
        embedding_daemon.start()
        root = write_workspace(tmp_path / "ws")
        embedding_daemon.client_json("index", str(root), "--wait")
        return root

    return index


def _embedded_since_start(daemon: DaemonEnv) -> int:
    return int(daemon.client_json("status")["embeddings"]["embedded_since_start"])


def _vectors(daemon: DaemonEnv) -> dict[str, int]:
    return daemon.client_json("status")["workspaces"][0]["vectors"]


def test_ask_finds_the_code_with_its_context(
    embedding_daemon: DaemonEnv, index_workspace: IndexWorkspace
) -> None:
    daemon = embedding_daemon
    root = index_workspace()
    assert _vectors(daemon) == {"embedded": 17, "pending": 0}
    answer = daemon.client_json("ask", "how is the config reloaded from its file", cwd=root)
    assert answer["results"][0]["qualified_name"] == "demo_core::config::Config::reload"
    assert set(answer["results"][0]["ranks"]) == {"vector", "lexical"}
    assert answer["vectors_missing"] == 0 and answer["took_ms"] > 0
    area = daemon.client_json("ask", "area of a round shape", "-k", "3", cwd=root)
    top = area["results"][0]
    assert top["qualified_name"] == "<demo_core::Circle as demo_core::Shape>::area" or top[
        "name"
    ] in ("area", "Circle")
    reasons = {(c["reason"], c["qualified_name"]) for c in area["context"]}
    if top["qualified_name"] == "demo_core::Shape::area":  # a trait's method: its impls
        assert ("implementation", "<demo_core::Circle as Shape>::area") in reasons
    else:
        assert {reason for reason, _ in reasons} & {"implemented trait", "self type"}
    vector_only = daemon.client_json("ask", "reload config", "--mode", "vector", cwd=root)
    assert all(set(h["ranks"]) == {"vector"} for h in vector_only["results"])
    lexical_only = daemon.client_json("ask", "reload config", "--mode", "lexical", cwd=root)
    assert all(set(h["ranks"]) == {"lexical"} for h in lexical_only["results"])
    tight = daemon.client_json("ask", "circle", "--budget", "20", cwd=root)
    assert len(tight["results"]) == 1 and tight["context"] == []
    pack = daemon.client("ask", "how is the config reloaded", cwd=root)
    assert pack.returncode == 0
    assert "### core/src/config.rs:8-11 method" in pack.stdout and "```rust" in pack.stdout


def test_edits_reverts_and_restarts_reuse_cached_vectors(
    embedding_daemon: DaemonEnv, index_workspace: IndexWorkspace
) -> None:
    daemon = embedding_daemon
    root = index_workspace()
    assert _embedded_since_start(daemon) == 17
    config = root / "core/src/config.rs"
    original = config.read_text()
    # A body edit leaves the embedded text (kind, name, signature, doc) alone: no new vector,
    # but the lexical index and the snippet follow the new code.
    config.write_text(original.replace("read_to_string(&self.path)?", 'read_to_string("ok")?'))
    daemon.client_json("wait", cwd=root)
    assert _embedded_since_start(daemon) == 17
    found = daemon.client_json("ask", "read_to_string ok", "--mode", "lexical", cwd=root)
    assert '"ok"' in found["results"][0]["snippet"]
    # Lines inserted on top move every item: spans follow, nothing is embedded again.
    before = daemon.client_json("def", "demo_core::config::Config::reload", cwd=root)
    config.write_text("// one\n// two\n" + config.read_text())
    daemon.client_json("wait", cwd=root)
    after = daemon.client_json("def", "demo_core::config::Config::reload", cwd=root)
    assert after["results"][0]["start_line"] == before["results"][0]["start_line"] + 2
    assert _embedded_since_start(daemon) == 17
    config.write_text(original.replace("reload(&mut self)", "reload(&mut self, force: bool)"))
    daemon.client_json("wait", cwd=root)
    assert _embedded_since_start(daemon) == 18  # only the method whose signature changed
    config.write_text(original)
    daemon.client_json("wait", cwd=root)
    assert _embedded_since_start(daemon) == 18  # the revert hits the cache
    assert daemon.stop() == 0
    daemon.start()
    daemon.client_json("wait", cwd=root)
    assert _embedded_since_start(daemon) == 0 and _vectors(daemon)["embedded"] == 17


def test_body_edit_re_embeds_exactly_that_item_when_bodies_are_embedded(
    embedding_daemon: DaemonEnv, index_workspace: IndexWorkspace
) -> None:
    """With the ``full`` recipe (body in the text), a body edit re-embeds its one item."""
    daemon = embedding_daemon
    root = index_workspace("embed_recipe: full\n")
    indexed = _embedded_since_start(daemon)
    config = root / "core/src/config.rs"
    config.write_text(config.read_text().replace("read_to_string(&self.path)?", "String::new()"))
    daemon.client_json("wait", cwd=root)
    assert _embedded_since_start(daemon) == indexed + 1
    assert _vectors(daemon)["pending"] == 0
    [hit] = [
        h
        for h in daemon.client_json("ask", "reload the config", cwd=root)["results"]
        if h["name"] == "reload"
    ]
    assert "String::new()" in hit["snippet"]


def test_vector_index_saved_before_the_last_vectors_is_rebuilt(
    embedding_daemon: DaemonEnv, index_workspace: IndexWorkspace
) -> None:
    """A kill -9 after a re-embedding but before the index file is written again: the
    file has the same ids with an old vector; the start-up check notices and rebuilds."""
    daemon = embedding_daemon
    root = index_workspace("embed_recipe: full\n")  # bodies are embedded
    state_dir = Path(daemon.client_json("status")["workspaces"][0]["state_dir"])
    assert daemon.stop() == 0
    saved = {p.name: p.read_bytes() for p in state_dir.glob("vectors.hnsw*")}
    assert len(saved) == 2  # the index and its metadata
    daemon.start()
    config = root / "core/src/config.rs"
    config.write_text(config.read_text().replace("read_to_string(&self.path)?", "String::new()"))
    daemon.client_json("wait", cwd=root)
    assert _embedded_since_start(daemon) == 1
    assert daemon.stop() == 0
    for name, data in saved.items():  # as if the daemon died before writing the file
        (state_dir / name).write_bytes(data)
    daemon.start()
    daemon.client_json("wait", cwd=root)
    assert "rebuilding the vector index" in daemon.log()
    assert _embedded_since_start(daemon) == 0


@pytest.mark.parametrize("damage", ["corrupt", "truncate", "delete"])
def test_damaged_vector_index_is_rebuilt_without_embedding(
    embedding_daemon: DaemonEnv, index_workspace: IndexWorkspace, damage: str
) -> None:
    daemon = embedding_daemon
    root = index_workspace()
    state_dir = Path(daemon.client_json("status")["workspaces"][0]["state_dir"])
    assert daemon.stop() == 0
    index_file = state_dir / "vectors.hnsw"
    if damage == "corrupt":
        data = bytearray(index_file.read_bytes())
        data[len(data) // 2] ^= 0xFF
        index_file.write_bytes(bytes(data))
    elif damage == "truncate":
        index_file.write_bytes(index_file.read_bytes()[:100])
    else:
        index_file.unlink()
    daemon.start()
    daemon.client_json("wait", cwd=root)
    assert _embedded_since_start(daemon) == 0
    assert "rebuilding the vector index" in daemon.log()
    answer = daemon.client_json("ask", "reload the config", "--mode", "vector", cwd=root)
    assert answer["results"][0]["name"] in ("reload", "Config")


def test_model_change_re_embeds(
    embedding_daemon: DaemonEnv, index_workspace: IndexWorkspace
) -> None:
    daemon = embedding_daemon
    root = index_workspace()
    assert daemon.stop() == 0
    _write_config(daemon, "embed_max_tokens: 64\n")
    daemon.start()
    daemon.client_json("wait", cwd=root)
    assert _embedded_since_start(daemon) == 17
    assert daemon.client_json("ask", "reload config", cwd=root)["vectors_missing"] == 0


#: Questions about the docs-stripped regex-syntax of the practice kit (its docs' first
#: sentences, as the kit's queries are made), with the item that answers each.
QUESTIONS = {
    "Translate the given abstract syntax tree (AST) into a high level intermediate"
    " representation (HIR)": "regex_syntax::hir::translate::Translator::translate",
    "Returns true if the given character has significance in a regex": (
        "regex_syntax::is_meta_character"
    ),
    "When enabled, the parser will permit the construction of a regular expression that"
    " may match invalid UTF-8": "regex_syntax::parser::ParserBuilder::allow_invalid_utf8",
    "Return notes for the line indexed at i (zero-based)": (
        "regex_syntax::error::Spans::notate_line"
    ),
    "Extends each literal in this set with the bytes given": (
        "regex_syntax::hir::literal::Literals::cross_add"
    ),
}


def test_questions_about_a_real_crate_find_their_item_first(
    embedding_daemon: DaemonEnv,
) -> None:
    """The real model and indexes, on a real crate without its docs, answer each
    question with the item it is about first."""
    root = Path("/tmp/rustrag-practice/regex-syntax-nodoc")
    if not root.is_dir():
        pytest.fail(f"{root} is missing; .ci/run makes it (../shared/practice/setup.sh)")
    embedding_daemon.start()
    embedding_daemon.client_json("index", str(root), "--wait")
    for question, expected in QUESTIONS.items():
        answer = embedding_daemon.client_json("ask", question, "-k", "3", cwd=root)
        assert answer["results"][0]["qualified_name"] == expected, question
