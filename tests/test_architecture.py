"""The daemon's layering, as ARCHITECTURE.md states it, read from the import statements."""

from __future__ import annotations

from pathlib import Path

import import_map
import pytest

ARCHITECTURE = Path(__file__).resolve().parents[1] / "ARCHITECTURE.md"

#: Heavy third-party packages and the one module allowed to import each.
HEAVY = {
    "tree_sitter": "rustragd.syntax.parser",
    "tree_sitter_rust": "rustragd.syntax.parser",
    "pycozo": "rustragd.store.graph_store",
    "tantivy": "rustragd.search.lexical",
    "hnswlib": "rustragd.search.vector_index",
    "onnxruntime": "rustragd.search.embedder",
    "watchfiles": "rustragd.live.watcher",
}


def test_no_import_circles() -> None:
    assert import_map.circles(import_map.arrows()) == []


def test_no_import_from_a_lower_layer_to_a_higher_one() -> None:
    up = import_map.upward(import_map.arrows())
    assert [f"{a.source} -> {a.target}" for a in up] == []


def test_every_module_is_in_a_layer() -> None:
    stray = [
        name
        for name in import_map.modules()
        if name.count(".") >= 2 and name.split(".")[1] not in import_map.LAYERS
    ]
    assert stray == []


@pytest.mark.parametrize("package", sorted(HEAVY))
def test_a_heavy_dependency_has_one_importer(package: str) -> None:
    importers = {
        module
        for module, path in import_map.modules().items()
        for name, _ in import_map.imported_names(path)
        if name == package or name.startswith(package + ".")
    }
    assert importers == {HEAVY[package]}


def test_only_the_server_layer_imports_the_protocol() -> None:
    importers = {
        module
        for module, path in import_map.modules().items()
        for name, _ in import_map.imported_names(path)
        if name.split(".")[0] == "rustrag_protocol"
    }
    assert importers
    assert {m for m in importers if not m.startswith("rustragd.server.")} == set()


def test_architecture_names_every_subpackage() -> None:
    text = ARCHITECTURE.read_text()
    for layer in import_map.LAYERS[1:]:
        assert f"`{layer}/`" in text, layer
