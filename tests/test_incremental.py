"""The incremental resolver against a full re-resolution, edit after edit: the edge
multiset it maintains is exactly ``resolve_workspace``'s, and body-only edits take
the fast path."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from rustragd.graph import file_facts
from rustragd.graph.file_facts import RECENT
from rustragd.graph.incremental import IncrementalResolver, Update
from rustragd.graph.resolve import resolve_expanded, resolve_workspace
from rustragd.macros.expansion import pack_expansions
from rustragd.macros.macro_rules import expand
from rustragd.model import Edge
from rustragd.project.crates import discover_crates, module_paths
from rustragd.project.walker import rust_sources
from rustragd.syntax.extract import extract_file
from test_type_macros import TUPLES

CALLGRAPH = Path(__file__).parent / "fixtures" / "callgraph"
PRACTICE = Path("/tmp/rustrag-practice")

Row = tuple[object, ...]


def rows(edges: list[Edge]) -> Counter[Row]:
    return Counter(tuple(edge) for edge in edges)


class Workspace:
    """A workspace's sources in memory, edited and re-extracted file by file."""

    def __init__(self, root: Path, seeded: bool = False) -> None:
        """``seeded``: the resolver starts from the expansions of a full resolution (as
        the daemon's does after an index job), and must then expand nothing itself."""
        files = sorted(rust_sources(root))
        self.modules = module_paths(root, discover_crates(root), files)
        self.sources = {f: (root / f).read_bytes() for f in files}
        self.blobs = {f: self._facts(f) for f in files}
        expanded = b""
        if seeded:
            expanded = pack_expansions(resolve_expanded(list(self.blobs.items()))[1])
            expand.cache_clear()
        self.resolver = IncrementalResolver(list(self.blobs.items()), expanded)
        if seeded:
            assert expand.cache_info().misses == 0
        self.edges = rows(self.resolver.resolution.edges)
        self.items = self.resolver.resolution.items
        assert self.edges == rows(resolve_workspace(list(self.blobs.items())).edges)

    def _facts(self, path: str) -> bytes:
        return extract_file(path, self.sources[path], self.modules[path]).facts

    def edit(self, path: str, old: str, new: str, count: int = 1) -> Update:
        """Replace ``old`` (a regex) with ``new`` in one file and check the update."""
        text = self.sources[path].decode()
        edited, done = re.subn(old, new, text, count=count)
        assert done, f"{old!r} not in {path}"
        self.sources[path] = edited.encode()
        self.blobs[path] = self._facts(path)
        return self._check(self.resolver.update([(path, self.blobs[path])], []))

    def create(self, path: str, module: list[str], text: str) -> Update:
        """Add a new file of module ``module`` (its path's segments)."""
        self.modules[path] = module
        self.sources[path] = text.encode()
        self.blobs[path] = self._facts(path)
        return self._check(self.resolver.update([(path, self.blobs[path])], []))

    def remove(self, path: str) -> Update:
        del self.sources[path], self.blobs[path]
        return self._check(self.resolver.update([], [path]))

    def _check(self, update: Update) -> Update:
        """Applying the update gives exactly what a full resolution of the new files gives."""
        kept = Counter({row: n for row, n in self.edges.items() if row[5] not in update.paths})
        kept.update(rows(update.edges))
        expected = resolve_workspace(list(self.blobs.items()))
        assert kept == rows(expected.edges)
        assert rows(self.resolver.resolution.edges) == kept
        assert self.resolver.resolution.items == expected.items
        if update.items is not None:
            assert update.items == expected.items
            # The made-item delta turns the items before into these.
            made = update.made
            before = {i.id: i for i in self.items}
            after = {i.id: i for i in expected.items}
            assert made is not None
            assert set(made.removed) == before.keys() - after.keys()
            assert {i.id for i in made.added} == after.keys() - before.keys()
            assert {i.id for i in made.updated + made.moved} == {
                i for i in before.keys() & after.keys() if before[i] != after[i]
            }
        self.items = expected.items
        known = {t.fingerprint for t in self.resolver.resolution.types}
        assert {t.fingerprint for t in expected.types} <= known
        self.edges = kept
        return update


@pytest.mark.parametrize("seeded", [False, True])
def test_callgraph_edits(seeded: bool) -> None:
    ws = Workspace(CALLGRAPH, seeded)
    alpha, lib, config = "core/src/alpha.rs", "core/src/lib.rs", "core/src/config.rs"
    update = ws.edit(alpha, r"(?m)^    0$", "    1 + leaf_count()")  # body edit
    assert not update.full and update.paths == {alpha} and update.items is None
    update = ws.edit(lib, r"\A", "// one\n// two\n\n")  # lines at the top, a macro-made fn moves
    assert not update.full and update.items is not None
    assert [i.start_line for i in update.items if i.name == "seven"] == [22]
    update = ws.edit(config, r"c\.clone\(\)", "{ crate::alpha::leaf(); c.clone() }")
    assert not update.full and update.paths == {config}
    assert any(e.rel == "calls" and e.target == "cg_core::alpha::leaf" for e in update.edges)
    update = ws.edit(alpha, r"\binner\b", "inner2", count=0)  # renamed: where it is used
    assert not update.full and update.paths == {alpha}  # beta.rs has its own `inner`
    update = ws.edit(alpha, r"\Z", "\npub fn extra() -> u32 {\n    leaf()\n}\n")  # added
    assert not update.full and update.paths == {alpha}
    update = ws.edit(alpha, r"extra\(\) -> u32 \{\n    leaf\(\)", "extra() -> u32 {\n    inner2()")
    assert not update.full
    assert ws.edit(alpha, r"use crate::config::Config;", "use crate::config::*;").full
    assert ws.remove("core/src/beta.rs").full
    assert not ws.edit(alpha, r"(?m)^    1 \+", "    2 +").full  # fast again after a full
    # A macro_rules! body edited: its invocations are expanded again; only a change in the
    # items they make re-resolves everything.
    update = ws.edit(lib, r"(?m)^            7$", "            7 + leaf_count()")
    assert not update.full and update.items is not None
    assert any(e.target.endswith("leaf_count") for e in update.edges if e.rel == "calls")
    assert ws.edit(lib, r"pub fn \$name\(\)", "pub fn $name(x: u8)").full is False
    assert ws.edit(lib, r"\(\$name:ident\)", "($name:ident, $other:ident)").full


def calls_from(update: Update, source: str) -> set[str]:
    """The targets of the calls whose written name is ``source`` (or resolved to it)."""
    return {e.target for e in update.edges if e.rel == "calls" and e.target.endswith(source)}


@pytest.mark.parametrize(("seeded", "recent"), [(False, RECENT), (True, 1)])
def test_structural_edits(seeded: bool, recent: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """``recent``: files kept unpacked between edits (1: nearly every read unpacks)."""
    monkeypatch.setattr(file_facts, "RECENT", recent)
    """Items, imports and modules added, renamed and removed: each update equals a full
    resolution (``Workspace._check``), re-resolves only the files it can reach, and only
    the edits that cannot be bounded (glob imports added or removed) resolve everything."""
    ws = Workspace(CALLGRAPH, seeded)
    alpha, beta, lib = "core/src/alpha.rs", "core/src/beta.rs", "core/src/lib.rs"
    shapes, config, main, local = (
        "core/src/shapes.rs",
        "core/src/config.rs",
        "app/src/main.rs",
        "app/src/local.rs",
    )
    update = ws.edit(alpha, r"\Z", "\npub fn unused() -> u32 {\n    leaf()\n}\n")  # added
    assert not update.full and update.paths == {alpha}
    update = ws.edit(alpha, r"pub fn leaf\(\)", "pub fn leaf2()")  # renamed: callers break
    assert not update.full and update.paths == {alpha, beta}
    assert any(e.target == "leaf" and e.confidence == "unresolved" for e in update.edges)
    assert not ws.edit(alpha, r"pub fn leaf2\(\)", "pub fn leaf()").full  # and back
    update = ws.edit(beta, r"\nfn inner\(\) -> u32 \{\n    2\n\}\n", "")  # removed
    assert not update.full and update.paths == {beta}
    # A trait's default method added: every impl of the trait has it now.
    update = ws.edit(
        shapes, r"(fn twice\(&self\) -> f64 \{)", r"fn half(&self) -> f64 { 0.5 }\n    \1"
    )
    assert not update.full
    owners = {e.src for e in update.edges if e.rel == "has_method" and e.target.endswith("half")}
    assert len(owners) == 2
    # A method of the same name as the trait's, in an inherent impl.
    assert not ws.edit(
        shapes, r"(impl Circle \{\n)", r"\1    pub fn area(&self) -> f64 { 1.0 }\n"
    ).full
    # `use` lines added and removed.
    update = ws.edit(config, r"\A", "use crate::shapes::Circle;\n")
    assert not update.full and update.paths == {config}
    update = ws.edit(alpha, r"use crate::config::Config;\n", "")
    assert not update.full
    assert not ws.edit(alpha, r"\A", "use crate::config::Config;\n").full
    # A struct renamed in its file: imports of it elsewhere (`Config as Cfg`) follow.
    update = ws.edit(config, r"\bConfig\b", "Settings", count=0)
    assert not update.full and {alpha, main} <= update.paths
    assert not ws.edit(config, r"\bSettings\b", "Config", count=0).full
    # Glob imports added and removed cannot be bounded.
    assert ws.edit(alpha, r"\A", "use crate::shapes::*;\n").full
    assert ws.edit(alpha, r"use crate::shapes::\*;\n", "").full
    # An inline module added, used from elsewhere, and removed.
    update = ws.edit(
        lib, r"\Z", "\npub mod extra {\n    pub fn seven() -> u32 {\n        8\n    }\n}\n"
    )
    assert not update.full
    update = ws.edit(main, r"(fn main_helper\(\) -> u32 \{\n)", r"\1    cg_core::extra::seven();\n")
    assert calls_from(update, "seven") == {"cg_core::extra::seven"}
    update = ws.edit(lib, r"\npub mod extra \{\n.*\n.*\n.*\n\}\n", "")
    assert not update.full and main in update.paths
    # A local item shadows what a glob import brought (`Square` of `cg_core::shapes::*`).
    update = ws.edit(main, r"\Z", "\nstruct Square;\n")
    assert not update.full
    assert "cg_core::shapes::Square::new" not in calls_from(update, "new")
    assert "cg_core::shapes::Square::new" in calls_from(
        ws.edit(main, r"\nstruct Square;\n", ""), "new"
    )
    # A file's `mod` declaration removed and added again: the module's file follows.
    update = ws.edit(main, r"mod local;\n", "")
    assert not update.full and local in update.paths
    assert not ws.edit(main, r"(fn main\(\))", r"mod local;\n\n\1").full
    # A new file, then the `mod` that declares it.
    update = ws.create(
        "core/src/gamma.rs", ["cg_core", "gamma"], "pub fn gamma() -> u32 {\n    1\n}\n"
    )
    assert not update.full
    update = ws.edit(lib, r"(pub mod shapes;)", r"\1\npub mod gamma;")
    assert not update.full
    update = ws.edit(beta, r"(inner\(\) \+)", r"crate::gamma::gamma() + \1")
    assert calls_from(update, "gamma") == {"cg_core::gamma::gamma"}
    # An enum and its variants, used from another file.
    ws.edit(config, r"\Z", "\npub enum Mode {\n    Fast,\n    Slow,\n}\n")
    ws.edit(
        alpha, r"\Z", "\npub fn mode() -> crate::config::Mode {\n    crate::config::Mode::Fast\n}\n"
    )
    assert not ws.edit(config, r"    Fast,\n", "").full  # a variant removed
    update = ws.edit(config, r"pub enum Mode\b", "pub enum Mode2")
    assert not update.full and alpha in update.paths


@pytest.mark.skipif(not (PRACTICE / "serde").is_dir(), reason="practice crates not installed")
@pytest.mark.parametrize(("seeded", "recent"), [(False, RECENT), (True, 1)])
def test_serde_edits(seeded: bool, recent: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(file_facts, "RECENT", recent)
    ws = Workspace(PRACTICE / "serde", seeded)
    impls, private = "src/de/impls.rs", "src/private/de.rs"
    visit_char = r"(fn visit_char<E>\(self, v: char\) -> Result<Self::Value, E>\n[^{]*\{\n)"
    update = ws.edit(impls, visit_char, r"\1        let _ = v.len_utf8();\n")
    assert not update.full and update.paths == {impls}
    update = ws.edit(impls, r"\A", "// one\n// two\n")  # every macro-made item moves down
    assert not update.full and update.items is not None
    update = ws.edit(
        impls, visit_char, r"\1        let _ = crate::__private::de::missing_field::<(), E>;\n"
    )
    assert not update.full
    update = ws.edit(
        private,
        r"(?m)^(pub fn missing_field<'de, V, E>\(field: &'static str\)[^{]*\{\n)",
        r"\1    crate::de::size_hint_probe();\n",
    )
    assert not update.full
    # Renamed: the items inside it are new items too (their names are resolved again).
    assert not ws.edit(private, r"\bborrow_cow_bytes\b", "borrow_cow_octets", count=0).full
    update = ws.edit(private, r"\Z", "\npub fn extra() -> u8 {\n    0\n}\n")
    assert not update.full and update.paths == {private}
    assert ws.edit(impls, r"use seed::InPlaceSeed;", "use seed::*;").full
    assert ws.remove("src/std_error.rs").full
    assert not ws.edit(impls, r"let _ = v\.len_utf8\(\);", "let _ = v.is_alphabetic();").full
    # Inside an item-making invocation (`serde_if_integer128! { fn visit_i128 .. }`, whose
    # body the extractor reads as items): the file is re-expanded, and the items renamed.
    ignored = "src/de/ignored_any.rs"
    i128_body = r"(fn visit_i128<E>\(self, x: i128\)[^{]*\{\n)"
    assert not ws.edit(ignored, i128_body, r"\1            let _ = x.count_ones();\n").full
    assert not ws.edit(ignored, r"fn visit_i128<", "fn visit_i128_renamed<").full


def test_type_position_macro_edits(tmp_path: Path) -> None:
    """Tuple impls whose self types a local macro writes (itertools'): edits of the
    invocation, of the type-position macro and of a user keep equal to a full resolution."""
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "demo"\nversion = "0.1.0"\n')
    (tmp_path / "src").mkdir()
    (tmp_path / "src/lib.rs").write_bytes(TUPLES + b"pub mod user;\n")
    user = "pub fn n() -> usize {\n    <(u8, u8) as crate::TupleCollect>::num_items()\n}\n"
    (tmp_path / "src/user.rs").write_text(user)
    ws = Workspace(tmp_path)
    lib = "src/lib.rs"
    assert {i.qualified_name for i in ws.items if i.kind == "impl"} == {
        "<(A, A, A, A) as TupleCollect>",
        "<(A, A, A) as TupleCollect>",
        "<(A, A) as TupleCollect>",
        "<(A,) as TupleCollect>",
    }
    assert not ws.edit("src/user.rs", r"num_items\(\)", "num_items() + 1").full
    assert ws.edit(lib, r"dummy, a, b, c, d,", "dummy, a, b, c,").full  # items made change
    update = ws.edit(lib, r"=> \{\$\(\$t\)\*\}", "=> {Option<$($t)*>}")  # the type macro
    assert update.items is not None
    assert "<(Option<A>, Option<A>) as TupleCollect>" in {i.qualified_name for i in update.items}
