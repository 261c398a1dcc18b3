"""Workspaces over the same libraries share one resolver base, and none sees another's
impls: a real path dependency's interface, real extraction and resolution."""

from __future__ import annotations

from pathlib import Path

from rustragd.graph.incremental import IncrementalResolver
from rustragd.graph.library import LibraryBlobs
from rustragd.graph.resolve import library_base, resolve_workspace
from rustragd.index.libraries import build_library, library_sources
from rustragd.model import Edge
from rustragd.project.cargo_sources import dependency_graph
from rustragd.syntax.extract import extract_file

HELPER = """\
pub struct Widget;
impl Widget {
    pub fn spin(&self) -> u32 {
        1
    }
}
pub trait Turn {
    fn turn(&self) -> u32 {
        0
    }
}
impl std::ops::Deref for Widget {
    type Target = u32;
    fn deref(&self) -> &u32 {
        &7
    }
}
"""

EXTENDS = """\
pub trait Extra {
    fn extra(&self) -> u32;
}
impl Extra for helper::Widget {
    fn extra(&self) -> u32 {
        2
    }
}
impl helper::Turn for helper::Widget {}
pub fn uses(w: helper::Widget) -> u32 {
    w.extra() + w.turn() + w.spin()
}
"""

PLAIN = """\
pub fn uses(w: helper::Widget) -> u32 {
    w.extra() + w.turn() + w.spin()
}
"""


def _crate(root: Path, name: str, deps: str, lib: str) -> None:
    (root / "src").mkdir(parents=True)
    (root / "Cargo.toml").write_text(
        f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n{deps}'
    )
    (root / "src/lib.rs").write_text(lib)


def _workspace(root: Path, lib: str) -> tuple[list[tuple[str, bytes]], LibraryBlobs]:
    """One crate on the path dependency ``helper``: its files' facts and its libraries
    (the helper only: std is not needed here)."""
    _crate(root, root.name, 'helper = { path = "../helper" }\n', lib)
    found = library_sources(dependency_graph(root))
    helper = [source for source in found.sources if source.label.startswith("helper ")]
    facts = extract_file("src/lib.rs", lib.encode(), [root.name]).facts
    return [("src/lib.rs", facts)], LibraryBlobs(tuple(map(build_library, helper)), found.links)


def _called(edges: list[Edge]) -> dict[str, str]:
    """Confidence of each call of ``uses`` by the name it resolved to (or was written)."""
    return {e.target: e.confidence for e in edges if e.rel == "calls"}


def test_workspaces_on_the_same_libraries_share_a_base_and_keep_their_impls(
    tmp_path: Path,
) -> None:
    _crate(tmp_path / "helper", "helper", "", HELPER)
    extends_files, libraries = _workspace(tmp_path / "extends", EXTENDS)
    plain_files, plain_libraries = _workspace(tmp_path / "plain", PLAIN)
    assert plain_libraries.blobs == libraries.blobs  # the same helper, built twice

    extends = IncrementalResolver(extends_files, libraries=libraries)
    base = library_base(libraries)
    assert library_base(plain_libraries) is base
    widget = next(i for i, d in base.defs.items() if d.qualified_name == "helper::Widget")
    assert set(base.method_table(widget)) == {"spin", "deref"}  # the helper's own
    assert [base.defs[i].kind for i in base.deref_impls[widget]] == ["impl"]

    called = _called(extends.resolution.edges)
    assert called["helper::Widget::spin"] == "exact"
    assert called["<extends::helper::Widget as Extra>::extra"] == "exact"
    assert called["helper::Turn::turn"] == "exact"  # the provided method, through the impl

    plain = _called(resolve_workspace(plain_files, plain_libraries).edges)
    assert plain["helper::Widget::spin"] == "exact"
    assert plain["extra"] == "unresolved"  # the other workspace's impl is not here
    assert plain["turn"] == "unresolved"
    # The base is as built: what the first workspace registered stayed in its own tables.
    assert set(base.method_table(widget)) == {"spin", "deref"}
    assert len(base.deref_impls[widget]) == 1
    assert library_base(libraries) is base
