"""Crate discovery and module paths on a real temporary Cargo workspace."""

from __future__ import annotations

from pathlib import Path

import pytest
from rustragd.project.crates import Crate, discover_crates, module_path_for


def write(root: Path, rel: str, text: str = "") -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    write(tmp_path, "Cargo.toml", '[workspace]\nmembers = ["regex-syntax", "tools/cli"]\n')
    write(tmp_path, "regex-syntax/Cargo.toml", '[package]\nname = "regex-syntax"\n')
    write(tmp_path, "tools/cli/Cargo.toml", '[package]\nname = "cli"\n[lib]\nname = "cli_core"\n')
    write(tmp_path, "custom/Cargo.toml", '[package]\nname = "custom"\n[lib]\npath = "lib.rs"\n')
    write(tmp_path, "target/debug/build/x/Cargo.toml", '[package]\nname = "ignored"\n')
    write(tmp_path, ".git/Cargo.toml", '[package]\nname = "ignored_too"\n')
    write(tmp_path, "broken/Cargo.toml", "[package\n")
    return tmp_path


def test_discover_crates(workspace: Path) -> None:
    assert discover_crates(workspace) == [
        Crate(name="custom", root="custom", lib_path="lib.rs"),
        Crate(name="regex_syntax", root="regex-syntax"),
        Crate(name="cli_core", root="tools/cli"),
    ]


def test_root_package(tmp_path: Path) -> None:
    write(tmp_path, "Cargo.toml", '[package]\nname = "serde_json"\n')
    (crate,) = discover_crates(tmp_path)
    assert crate == Crate(name="serde_json", root="")
    assert module_path_for([crate], "src/value/de.rs") == ["serde_json", "value", "de"]


@pytest.mark.parametrize(
    ("rel_path", "module_path"),
    [
        ("regex-syntax/src/lib.rs", ["regex_syntax"]),
        ("regex-syntax/src/main.rs", ["regex_syntax"]),
        ("regex-syntax/src/ast/mod.rs", ["regex_syntax", "ast"]),
        ("regex-syntax/src/ast/parse.rs", ["regex_syntax", "ast", "parse"]),
        (
            "regex-syntax/src/unicode_tables/perl-word.rs",
            ["regex_syntax", "unicode_tables", "perl_word"],
        ),
        ("regex-syntax/src/bin/dump.rs", ["dump"]),
        ("regex-syntax/src/bin/gen-tables/main.rs", ["gen_tables"]),
        ("regex-syntax/src/bin/gen-tables/emit.rs", ["gen_tables", "emit"]),
        ("regex-syntax/tests/api.rs", ["api"]),
        ("regex-syntax/tests/suite/main.rs", ["suite"]),
        ("regex-syntax/tests/common/mod.rs", ["common"]),
        ("regex-syntax/benches/bench.rs", ["bench"]),
        ("regex-syntax/examples/shootout-regex-dna.rs", ["shootout_regex_dna"]),
        ("regex-syntax/build.rs", ["build_script_build"]),
        ("tools/cli/src/lib.rs", ["cli_core"]),
        ("tools/cli/src/run.rs", ["cli_core", "run"]),
        ("custom/lib.rs", ["custom"]),
        ("stray/file.rs", ["file"]),
    ],
)
def test_module_path_for(workspace: Path, rel_path: str, module_path: list[str]) -> None:
    assert module_path_for(discover_crates(workspace), rel_path) == module_path


def test_practice_layout() -> None:
    crate = Crate(name="regex_syntax", root="")
    assert module_path_for([crate], "src/hir/literal/mod.rs") == ["regex_syntax", "hir", "literal"]
