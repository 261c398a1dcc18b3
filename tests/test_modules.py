"""The module tree of real Cargo workspaces: ``mod`` declarations as rustc follows them."""

from __future__ import annotations

from pathlib import Path

from rustragd.project.cfg import host_cfg
from rustragd.project.crates import discover_crates, library_modules, module_paths


def write(root: Path, files: dict[str, str]) -> list[str]:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return sorted(rel for rel in files if rel.endswith(".rs"))


def tree(root: Path, files: dict[str, str]) -> dict[str, str]:
    rs = write(root, files)
    return {
        rel: "::".join(mod) for rel, mod in module_paths(root, discover_crates(root), rs).items()
    }


def test_mod_rs_and_flat_layouts(tmp_path: Path) -> None:
    found = tree(
        tmp_path,
        {
            "Cargo.toml": '[package]\nname = "demo-lib"\n',
            "src/lib.rs": "pub mod flat;\nmod nested;\n",
            "src/flat.rs": "mod child;\n",
            "src/flat/child.rs": "pub fn f() {}\n",
            "src/nested/mod.rs": "mod inner;\n",
            "src/nested/inner.rs": "",
        },
    )
    assert found == {
        "src/lib.rs": "demo_lib",
        "src/flat.rs": "demo_lib::flat",
        "src/flat/child.rs": "demo_lib::flat::child",
        "src/nested/mod.rs": "demo_lib::nested",
        "src/nested/inner.rs": "demo_lib::nested::inner",
    }


def test_path_attributes(tmp_path: Path) -> None:
    found = tree(
        tmp_path,
        {
            "Cargo.toml": '[package]\nname = "p"\n',
            "src/lib.rs": '#[path = "platform/unix_impl.rs"]\nmod sys;\nmod a;\n',
            "src/platform/unix_impl.rs": "mod helper;\n",
            # A file loaded through #[path] owns its directory like a mod.rs.
            "src/platform/helper.rs": "",
            "src/a.rs": '#[path = "other.rs"]\nmod b;\n',
            # #[path] in a non-mod-rs file is relative to that file's directory.
            "src/other.rs": "",
        },
    )
    assert found["src/platform/unix_impl.rs"] == "p::sys"
    assert found["src/platform/helper.rs"] == "p::sys::helper"
    assert found["src/a.rs"] == "p::a"
    assert found["src/other.rs"] == "p::a::b"


def test_inline_modules(tmp_path: Path) -> None:
    found = tree(
        tmp_path,
        {
            "Cargo.toml": '[package]\nname = "p"\n',
            "src/lib.rs": 'mod a { pub mod x; #[path = "z"] mod y { mod w; } }\nmod m;\n',
            "src/a/x.rs": "",
            "src/a/z/w.rs": "",
            "src/m.rs": "mod inl { mod deep; }\n",
            # Inline modules in a non-mod-rs file live under the file's own directory.
            "src/m/inl/deep.rs": "",
        },
    )
    assert found["src/a/x.rs"] == "p::a::x"
    assert found["src/a/z/w.rs"] == "p::a::y::w"
    assert found["src/m/inl/deep.rs"] == "p::m::inl::deep"


def test_macro_wrapped_declarations(tmp_path: Path) -> None:
    found = tree(
        tmp_path,
        {
            "Cargo.toml": '[package]\nname = "p"\n',
            "src/lib.rs": (
                "cfg_if::cfg_if! {\n  if #[cfg(unix)] { mod unix; } else { mod other; }\n}\n"
            ),
            "src/unix.rs": "",
            "src/other.rs": "",
        },
    )
    assert found["src/unix.rs"] == "p::unix"
    assert found["src/other.rs"] == "p::other"


def test_a_library_compiles_what_the_cfg_of_a_macro_invocation_allows(tmp_path: Path) -> None:
    """std's `#[cfg(doc)] cfg_if! { if #[cfg(not(windows))] { mod c; } }` is not built."""
    rs = write(
        tmp_path,
        {
            "src/lib.rs": (
                "#[cfg(doc)]\ncfg_if::cfg_if! {\n  if #[cfg(not(windows))] { mod docs; }\n}\n"
                "#[cfg(unix)]\ncfg_if::cfg_if! {\n  if #[cfg(not(windows))] { mod host; }\n}\n"
            ),
            "src/docs.rs": "",
            "src/host.rs": "",
        },
    )
    found = library_modules(tmp_path, "p", "src/lib.rs", rs, host_cfg())
    assert found == {"src/lib.rs": ["p"], "src/host.rs": ["p", "host"]}


def test_targets_and_lib_path(tmp_path: Path) -> None:
    found = tree(
        tmp_path,
        {
            "Cargo.toml": (
                '[package]\nname = "tool-kit"\n[lib]\npath = "lib/root.rs"\n'
                '[[bin]]\nname = "runner"\npath = "tools/run.rs"\n'
            ),
            "lib/root.rs": "mod util;\n",
            "lib/util.rs": "",
            "src/main.rs": "mod cli;\n",
            "src/cli.rs": "",
            "src/bin/dump.rs": "",
            "src/bin/gen/main.rs": "mod emit;\n",
            "src/bin/gen/emit.rs": "",
            "tools/run.rs": "mod opts;\n",
            "tools/opts.rs": "",
            "tests/api.rs": "mod common;\n",
            "tests/common/mod.rs": "",
            "examples/demo.rs": "",
            "benches/speed.rs": "",
            "build.rs": "",
        },
    )
    assert found == {
        "lib/root.rs": "tool_kit",
        "lib/util.rs": "tool_kit::util",
        "src/main.rs": "tool_kit",
        "src/cli.rs": "tool_kit::cli",
        "src/bin/dump.rs": "dump",
        "src/bin/gen/main.rs": "gen",
        "src/bin/gen/emit.rs": "gen::emit",
        "tools/run.rs": "runner",
        "tools/opts.rs": "runner::opts",
        "tests/api.rs": "api",
        "tests/common/mod.rs": "api::common",
        "examples/demo.rs": "demo",
        "benches/speed.rs": "speed",
        "build.rs": "build_script_build",
    }


def test_workspace_members(tmp_path: Path) -> None:
    found = tree(
        tmp_path,
        {
            "Cargo.toml": '[workspace]\nmembers = ["core", "app"]\n',
            "core/Cargo.toml": '[package]\nname = "demo-core"\n',
            "core/src/lib.rs": "pub mod config;\n",
            "core/src/config.rs": "",
            "app/Cargo.toml": '[package]\nname = "app"\n',
            "app/src/main.rs": "mod config;\n",
            "app/src/config.rs": "",
        },
    )
    assert found == {
        "core/src/lib.rs": "demo_core",
        "core/src/config.rs": "demo_core::config",
        "app/src/main.rs": "app",
        "app/src/config.rs": "app::config",
    }


def test_orphans_fall_back_to_the_layout(tmp_path: Path) -> None:
    found = tree(
        tmp_path,
        {
            "Cargo.toml": '[package]\nname = "p"\n',
            "src/lib.rs": "mod used;\n",
            "src/used.rs": "",
            "src/unused/deep.rs": "",
            "src/missing_decl.rs": "",
            "stray.rs": "",
        },
    )
    assert found["src/used.rs"] == "p::used"
    assert found["src/unused/deep.rs"] == "p::unused::deep"
    assert found["src/missing_decl.rs"] == "p::missing_decl"
    assert found["stray.rs"] == "p::stray"


def test_declared_twice_is_walked_once(tmp_path: Path) -> None:
    found = tree(
        tmp_path,
        {
            "Cargo.toml": '[package]\nname = "p"\n',
            "src/lib.rs": (
                '#[cfg(unix)]\nmod imp;\n#[cfg(not(unix))]\n#[path = "imp.rs"]\nmod imp;\n'
            ),
            "src/imp.rs": "mod x;\n",
            "src/imp/x.rs": "",
        },
    )
    assert found["src/imp.rs"] == "p::imp"
    assert found["src/imp/x.rs"] == "p::imp::x"
