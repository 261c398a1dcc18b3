"""Dependency sources and std sources of real Cargo workspaces written into a temp dir.

The registry dependencies come from Debian's crate registry, a directory source
(``/usr/share/cargo/registry``) that each workspace's ``.cargo/config.toml`` names.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rustragd.project.cargo_sources import (
    DependencyGraph,
    Package,
    StdSources,
    dependency_graph,
    std_sources,
)
from rustragd.project.cfg import CfgSet, host_cfg

REGISTRY = Path("/usr/share/cargo/registry")
DEBIAN_STD = Path("/usr/lib/rustlib/src/rust/library")

needs_registry = pytest.mark.skipif(
    not (REGISTRY / "regex-1.7.1").is_dir(), reason=f"{REGISTRY}/regex-1.7.1 is not installed"
)
linux_x86_64 = pytest.mark.skipif(
    not (sys.platform.startswith("linux") and platform.machine() == "x86_64"),
    reason="the target keys are written for x86_64-unknown-linux-gnu",
)


def write(root: Path, rel: str, text: str = "") -> Path:
    assert not rel.startswith("/"), rel
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def package(root: Path, rel: str, name: str, version: str = "0.1.0", body: str = "") -> None:
    """A package ``name`` in ``root/rel`` with an empty library (``version`` may be
    ``"workspace"``: inherited)."""
    version = "version.workspace = true" if version == "workspace" else f'version = "{version}"'
    write(root / rel, "Cargo.toml", f'[package]\nname = "{name}"\n{version}\n{body}')
    write(root / rel, "src/lib.rs")


def registry_config(folder: Path, directory: Path = REGISTRY) -> None:
    """``folder/.cargo/config.toml`` replacing crates.io with a directory source."""
    write(
        folder,
        ".cargo/config.toml",
        '[source.crates-io]\nreplace-with = "local"\n\n'
        f'[source.local]\ndirectory = "{directory}"\n',
    )


def graph(root: Path) -> DependencyGraph:
    """The graph of ``root`` with an empty ``$CARGO_HOME`` (this machine's is not read)."""
    return dependency_graph(root, cargo_home=root / "no-cargo-home")


def by_name(g: DependencyGraph, name: str) -> Package:
    (found,) = [p for p in g.packages.values() if p.name == name]
    return found


@needs_registry
def test_workspace_member_path_and_registry_dependencies(tmp_path: Path) -> None:
    """(a) members, path dependencies, regex from the directory source, features unified."""
    registry_config(tmp_path)  # in a parent of the workspace: read up the tree
    ws = tmp_path / "ws"
    write(
        ws,
        "Cargo.toml",
        '[workspace]\nmembers = ["crates/*"]\nexclude = ["crates/old"]\n\n'
        '[workspace.package]\nedition = "2021"\nversion = "0.3.0"\n\n'
        '[workspace.dependencies]\nregex = "1"\n',
    )
    package(
        ws,
        "crates/app",
        "app",
        "workspace",
        body="edition.workspace = true\n\n[dependencies]\n"
        'regex = { workspace = true, features = ["unstable"] }\n'
        'util = { path = "../../util" }\nhelper-kit = { path = "../../../outside/helper" }\n',
    )
    package(ws, "crates/old", "old", body='[dependencies]\nnowhere = "1"\n')
    package(ws, "util", "util", body='[lib]\nname = "util_core"\npath = "lib.rs"\n')
    package(tmp_path, "outside/helper", "helper-kit", "2.0.0")

    g = graph(ws)

    app, regex = g.packages["app 0.3.0"], g.packages["regex 1.7.1"]
    assert (app.origin, app.edition, app.root) == ("workspace", "2021", ws / "crates/app")
    assert app.deps == (
        ("helper_kit", "helper-kit 2.0.0"),
        ("regex", "regex 1.7.1"),
        ("util_core", "util 0.1.0"),
    )
    util = g.packages["util 0.1.0"]
    assert (util.origin, util.edition, util.lib_name, util.lib_path) == (
        "workspace",
        "2015",
        "util_core",
        "lib.rs",
    )
    assert g.packages["helper-kit 2.0.0"].origin == "dependency"
    assert g.members == ["app 0.3.0", "util 0.1.0"]
    assert (regex.root, regex.origin, regex.edition) == (
        REGISTRY / "regex-1.7.1",
        "dependency",
        "2018",
    )
    assert {"default", "std", "perf-literal", "unicode", "unstable", "pattern"} <= regex.features
    syntax = by_name(g, "regex-syntax")
    assert syntax.root.parent == REGISTRY
    assert {"default", "unicode", "unicode-perl", "unicode-case"} <= syntax.features
    for name in ("aho-corasick", "memchr"):  # optional, enabled by regex's perf-literal
        found = [p for p in g.packages.values() if p.name == name]
        if any(REGISTRY.glob(f"{name}-*")):
            assert found and found[0].root.parent == REGISTRY
            assert dict(regex.deps)[name.replace("-", "_")] == found[0].key
        else:
            assert any(m.startswith(f"{name} ") for m in g.missing)
    assert "old 0.1.0" not in g.packages
    assert not any(m.startswith("nowhere") for m in g.missing)


@needs_registry
def test_features_unify_across_the_graph(tmp_path: Path) -> None:
    """rand: ``x/f`` turns optional deps on, ``default-features = false`` holds everywhere."""
    if not all((REGISTRY / d).is_dir() for d in ("rand-0.8.5", "getrandom-0.2.8", "libc-0.2.139")):
        pytest.skip("rand 0.8.5, getrandom 0.2.8 or libc 0.2.139 is not in the registry")
    registry_config(tmp_path)
    package(tmp_path, "", "app", body='[dependencies]\nrand = "0.8"\n')

    g = graph(tmp_path)

    rand = by_name(g, "rand")
    assert rand.features == {
        "default",
        "std",
        "std_rng",
        "alloc",
        "getrandom",
        "libc",
        "rand_chacha",
    }
    assert [name for name, _ in rand.deps] == ["libc", "rand_chacha", "rand_core"]
    # rand_chacha: default-features = false, then rand's std asks "rand_chacha/std"
    assert by_name(g, "rand_chacha").features == {"std"}
    assert by_name(g, "rand_core").features == {"alloc", "getrandom", "std"}
    # libc: every dependent turns its defaults off
    assert by_name(g, "libc").features == frozenset()
    getrandom = by_name(g, "getrandom")
    assert getrandom.features == {"std"}
    # its optional `core = { package = "rustc-std-workspace-core" }` stays off
    assert [name for name, _ in getrandom.deps] == ["cfg_if", "libc"]
    assert g.members == ["app 0.1.0"] and g.missing == []


@needs_registry
def test_a_renamed_dependency_is_known_by_its_key(tmp_path: Path) -> None:
    """(b) ``re = { package = "regex" }`` is extern crate ``re``."""
    registry_config(tmp_path)
    package(
        tmp_path,
        "",
        "app",
        body='[dependencies]\nre = { package = "regex", version = "1" }\n'
        'syntax-kit = { package = "regex-syntax", version = "0.6", default-features = false }\n',
    )

    app = graph(tmp_path).packages["app 0.1.0"]

    assert app.deps == (("re", "regex 1.7.1"), ("syntax_kit", "regex-syntax 0.6.27"))


def vendored_foo(root: Path) -> None:
    """A ``vendor/`` directory source with foo 1.0.0 and 1.2.0 and a plain ``bar/``."""
    for version in ("1.0.0", "1.2.0", "2.0.0-beta.1"):
        package(root, f"vendor/foo-{version}", "foo", version)
        write(root, f"vendor/foo-{version}/.cargo-checksum.json", '{"files": {}}')
    package(root, "vendor/bar", "bar", "0.4.2")  # `cargo vendor` names a lone version so
    write(root, "vendor/bar/.cargo-checksum.json", '{"files": {}}')
    write(
        root,
        ".cargo/config",  # the legacy name
        '[source.crates-io]\nreplace-with = "vendored-sources"\n\n'
        '[source.vendored-sources]\ndirectory = "vendor"\n',
    )
    package(root, "", "app", body='[dependencies]\nfoo = "1"\nbar = "0.4"\n')


LOCKS = {
    "v1": """
[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "bar 0.4.2 (registry+https://github.com/rust-lang/crates.io-index)",
 "foo 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)",
]

[[package]]
name = "bar"
version = "0.4.2"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "foo"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "foo"
version = "1.2.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
""",
    "v3": """
version = 3

[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "bar",
 "foo 1.0.0",
]

[[package]]
name = "bar"
version = "0.4.2"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "foo"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "foo"
version = "1.2.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
""",
}


def test_without_a_lock_the_newest_matching_version(tmp_path: Path) -> None:
    """No lock: foo "1" is 1.2.0 (not the 2.0.0 pre-release); bar from its manifest."""
    vendored_foo(tmp_path)

    g = graph(tmp_path)

    assert g.packages["app 0.1.0"].deps == (("bar", "bar 0.4.2"), ("foo", "foo 1.2.0"))
    assert g.packages["foo 1.2.0"].root == tmp_path / "vendor/foo-1.2.0"
    assert g.packages["bar 0.4.2"].root == tmp_path / "vendor/bar"


@pytest.mark.parametrize("layout", sorted(LOCKS))
def test_a_lock_file_pins_the_version(tmp_path: Path, layout: str) -> None:
    """(c) Cargo.lock (v1 and v3 layouts) pins foo 1.0.0 although 1.2.0 is there."""
    vendored_foo(tmp_path)
    write(tmp_path, "Cargo.lock", LOCKS[layout])

    g = graph(tmp_path)

    assert g.packages["app 0.1.0"].deps == (("bar", "bar 0.4.2"), ("foo", "foo 1.0.0"))
    assert "foo 1.2.0" not in g.packages
    assert g.missing == []


def test_a_locked_version_that_is_not_there_is_missing(tmp_path: Path) -> None:
    vendored_foo(tmp_path)
    write(
        tmp_path,
        "Cargo.lock",
        'version = 3\n\n[[package]]\nname = "app"\nversion = "0.1.0"\ndependencies = ["foo"]\n\n'
        '[[package]]\nname = "foo"\nversion = "1.1.0"\nsource = "registry+https://x"\n',
    )

    g = graph(tmp_path)

    assert "foo" not in dict(g.packages["app 0.1.0"].deps)
    assert [m for m in g.missing if m.startswith("foo ")] == [
        f"foo 1 (locked 1.1.0, not in {tmp_path / 'vendor'})"
    ]


LIB_FEATURES = """
[dependencies]
serde_json = { version = "1", optional = true }
serde = { version = "1", optional = true, default-features = false }

[features]
json = ["dep:serde_json"]
derive = ["serde?/derive"]
"""


@needs_registry
@pytest.mark.parametrize("serde", [False, True])
def test_an_optional_dependency_only_with_its_feature(tmp_path: Path, serde: bool) -> None:
    """(d) ``dep:x``, the implicit feature of an optional dep, and ``x?/f``."""
    registry_config(tmp_path)
    asked = ["json", "derive", *(["serde"] if serde else [])]
    package(
        tmp_path,
        "",
        "app",
        body=f'[dependencies]\nlib = {{ path = "lib", features = {json.dumps(asked)} }}\n',
    )
    package(tmp_path, "lib", "lib", body=LIB_FEATURES)

    g = graph(tmp_path)

    lib = g.packages["lib 0.1.0"]
    names = [name for name, _ in lib.deps]
    # dep:serde_json hides the implicit feature serde_json
    assert lib.features == {"json", "derive", *(["serde"] if serde else [])}
    assert names == (["serde", "serde_json"] if serde else ["serde_json"])
    if serde:
        serde_pkg = by_name(g, "serde")
        # serde?/derive took effect once serde was on; std comes from serde_json's std
        # ("serde/std"); no default: lib and serde_json both turn serde's defaults off
        assert serde_pkg.features == {"derive", "serde_derive", "std"}
        assert any(p.name == "serde_derive" for p in g.packages.values())
    else:
        assert not any(p.name == "serde_derive" for p in g.packages.values())


@needs_registry
@linux_x86_64
def test_target_specific_dependencies(tmp_path: Path) -> None:
    """(e) cfg(windows) and a foreign triple are off, cfg(unix) and the host triple on."""
    registry_config(tmp_path)
    package(
        tmp_path,
        "",
        "app",
        body="[target.'cfg(windows)'.dependencies]\nwindows-sys = \"0.48\"\n\n"
        "[target.'cfg(unix)'.dependencies]\nlibc = \"0.2\"\n\n"
        '[target.x86_64-pc-windows-msvc.dependencies]\nwinapi = "0.3"\n\n'
        '[target.x86_64-unknown-linux-gnu.dependencies]\ncfg-if = "1"\n',
    )

    g = graph(tmp_path)

    assert g.packages["app 0.1.0"].deps == (("cfg_if", "cfg-if 1.0.0"), ("libc", "libc 0.2.139"))
    assert g.missing == []  # the windows dependencies are not even looked for
    windows = CfgSet(
        frozenset({"windows"}),
        frozenset({("target_os", "windows"), ("target_family", "windows")}),
        "x86_64-pc-windows-msvc",
    )
    g = dependency_graph(tmp_path, cargo_home=tmp_path / "none", target=windows)
    assert g.packages["app 0.1.0"].deps == ()
    assert sorted(m.split()[0] for m in g.missing) == ["winapi", "windows-sys"]


@needs_registry
def test_missing_dependencies_are_listed_not_raised(tmp_path: Path) -> None:
    """(f) an unknown crate, no matching version, a path without a package."""
    registry_config(tmp_path)
    package(
        tmp_path,
        "",
        "app",
        body='[dependencies]\ndoes-not-exist = "1"\nregex = "99"\n'
        'gone = { path = "../gone" }\nlog = "0.4"\n',
    )

    g = graph(tmp_path)

    assert sorted(m.split(" (")[0] for m in g.missing) == ["does-not-exist 1", "gone *", "regex 99"]
    assert f"does-not-exist 1 (no match in {REGISTRY})" in g.missing
    assert g.packages["app 0.1.0"].deps == (("log", "log 0.4.17"),)


@needs_registry
def test_a_patch_replaces_the_registry_crate(tmp_path: Path) -> None:
    registry_config(tmp_path)
    ws = tmp_path / "ws"
    package(
        ws,
        "",
        "app",
        body='[dependencies]\nregex = "1"\n\n'
        '[patch.crates-io]\nregex_fork = { path = "../fork", package = "regex" }\n',
    )
    package(tmp_path, "fork", "regex", "1.8.0", body='[features]\ndefault = ["std"]\nstd = []\n')

    g = graph(ws)

    regex = g.packages["regex 1.8.0"]
    assert (regex.root, regex.features) == (tmp_path / "fork", {"default", "std"})
    assert "regex 1.7.1" not in g.packages


def test_a_git_dependency_from_a_checkout(tmp_path: Path) -> None:
    """A git dependency in ``$CARGO_HOME/git/checkouts/<repo>-<hash>/<rev>/``, in a workspace."""
    home = tmp_path / "home"
    checkout = home / "git/checkouts/tools-5d1c0a7e2b9f4c31/1a2b3c4"
    write(
        checkout,
        "Cargo.toml",
        '[workspace]\nmembers = ["crates/*"]\n[workspace.package]\nversion = "0.9.1"\n'
        'edition = "2021"\n',
    )
    package(checkout, "crates/other", "other")
    package(checkout, "crates/mytool", "mytool", "workspace", body="edition.workspace = true\n")
    package(
        tmp_path,
        "ws",
        "app",
        body='[dependencies]\nmytool = { git = "https://example.org/org/tools.git", '
        'rev = "1a2b3c4d5e" }\n',
    )

    g = dependency_graph(tmp_path / "ws", cargo_home=home)

    tool = g.packages["mytool 0.9.1"]
    assert (tool.root, tool.edition, tool.origin) == (
        checkout / "crates/mytool",
        "2021",
        "dependency",
    )
    assert g.packages["app 0.1.0"].deps == (("mytool", "mytool 0.9.1"),)


def test_registry_src_of_cargo_home(tmp_path: Path) -> None:
    """Without source replacement: ``$CARGO_HOME/registry/src/<index>/<name>-<version>/``."""
    home = tmp_path / "home"
    index = home / "registry/src/index.crates.io-6f17d22bba15001f"
    package(index, "smol-1.2.3", "smol", "1.2.3", body='[lib]\npath = "src/smol.rs"\n')
    package(index, "smol-1.3.0", "smol", "1.3.0")
    package(tmp_path, "ws", "app", body='[dependencies]\nsmol = "~1.2"\n')

    g = dependency_graph(tmp_path / "ws", cargo_home=home)

    smol = g.packages["smol 1.2.3"]
    assert (smol.root, smol.lib_path, smol.lib_name) == (
        index / "smol-1.2.3",
        "src/smol.rs",
        "smol",
    )


def test_no_manifest_is_an_empty_graph(tmp_path: Path) -> None:
    assert graph(tmp_path) == DependencyGraph()


def test_std_sources_from_debian(tmp_path: Path) -> None:
    """(g) Debian's rust-src, when neither RUST_SRC_PATH nor a rustc sysroot has one."""
    if not (DEBIAN_STD / "core/src/lib.rs").is_file():
        pytest.skip(f"{DEBIAN_STD} is absent (Debian's rust-src package is not installed)")
    found = std_sources({"RUSTC": str(tmp_path / "no-rustc")})
    assert found == StdSources(DEBIAN_STD, "debian")
    assert all((found.path / c / "src/lib.rs").is_file() for c in ("core", "alloc", "std"))


def test_std_sources_of_this_machine() -> None:
    """(g) what this machine has: the rustc sysroot's rust-src, else Debian's."""
    found = std_sources({k: v for k, v in os.environ.items() if k != "RUST_SRC_PATH"})
    if found is None:
        pytest.skip("no rust-src on this machine")
    assert found.how in ("sysroot", "debian")
    assert (found.path / "core/src/lib.rs").is_file()


@pytest.mark.parametrize("point_at", ["library", "."])
def test_rust_src_path_wins(tmp_path: Path, point_at: str) -> None:
    """(g) ``$RUST_SRC_PATH`` at ``library/`` or at its parent comes first."""
    for crate in ("core", "alloc", "std"):
        write(tmp_path, f"library/{crate}/src/lib.rs")
    found = std_sources({"RUST_SRC_PATH": str(tmp_path / point_at)})
    assert found == StdSources(tmp_path / "library", "RUST_SRC_PATH")


def test_a_rust_src_path_without_sources_is_passed_over(tmp_path: Path) -> None:
    write(tmp_path, "library/core/src/lib.rs")  # no alloc, no std
    found = std_sources({"RUST_SRC_PATH": str(tmp_path), "RUSTC": str(tmp_path / "no-rustc")})
    assert found is None or found.how == "debian"


@needs_registry
@pytest.mark.skipif(shutil.which("cargo") is None, reason="cargo is not installed")
def test_the_same_graph_as_cargo_metadata(tmp_path: Path) -> None:
    """Versions, features and extern names as ``cargo metadata --offline`` resolves them."""
    registry_config(tmp_path)
    write(tmp_path, "Cargo.toml", '[workspace]\nmembers = ["app", "lib"]\nresolver = "2"\n')
    package(
        tmp_path,
        "app",
        "app",
        body='edition = "2021"\n\n[dependencies]\nre = { package = "regex", version = "1" }\n'
        'rand = { version = "0.8", default-features = false, features = ["small_rng"] }\n'
        'lib = { path = "../lib", features = ["json", "derive", "serde"] }\n'
        "[target.'cfg(unix)'.dependencies]\nlibc = \"0.2\"\n"
        "[target.'cfg(windows)'.dependencies]\neither = \"1\"\n",
    )
    package(tmp_path, "lib", "lib", body='edition = "2021"\n' + LIB_FEATURES)
    host = host_cfg().triple
    env = {**os.environ, "CARGO_HOME": str(tmp_path / "no-cargo-home"), "CARGO_NET_OFFLINE": "1"}
    done = subprocess.run(
        ["cargo", "metadata", "--format-version=1", "--offline", "--filter-platform", host],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cargo metadata failed: {done.stderr.strip()[-600:]}")
    metadata = json.loads(done.stdout)
    keys = {p["id"]: f"{p['name']} {p['version']}" for p in metadata["packages"]}
    expected = {
        keys[node["id"]]: (
            set(node["features"]),
            sorted((dep["name"], keys[dep["pkg"]]) for dep in node["deps"]),
        )
        for node in metadata["resolve"]["nodes"]
    }

    g = dependency_graph(tmp_path, cargo_home=tmp_path / "no-cargo-home")

    found = {key: (set(p.features), list(p.deps)) for key, p in g.packages.items()}
    assert found == expected
    assert sorted(g.members) == sorted(keys[m] for m in metadata["workspace_members"])


def test_cargo_home_config_and_a_chain_of_replacements(tmp_path: Path) -> None:
    """``$CARGO_HOME/config.toml``: crates-io -> mirror -> a directory (relative to the home's
    parent); the workspace's own config wins where both say something."""
    home = tmp_path / "home"
    package(tmp_path, "mirror-dir/foo-1.4.0", "foo", "1.4.0")
    write(
        home,
        "config.toml",
        '[source.crates-io]\nreplace-with = "mirror"\n\n'
        '[source.mirror]\nreplace-with = "disk"\n\n'
        '[source.disk]\ndirectory = "mirror-dir"\n',
    )
    package(tmp_path, "ws", "app", body='[dependencies]\nfoo = "1"\n')

    g = dependency_graph(tmp_path / "ws", cargo_home=home)
    assert g.packages["foo 1.4.0"].root == tmp_path / "mirror-dir/foo-1.4.0"

    write(
        tmp_path / "ws",
        ".cargo/config.toml",
        '[source.crates-io]\nreplace-with = "archives"\n\n'
        '[source.archives]\nlocal-registry = "/nowhere/registry"\n',
    )
    package(tmp_path, "ws", "app", body='[dependencies]\nfoo = "1"\nbar = "1"\n')
    g = dependency_graph(tmp_path / "ws", cargo_home=home)
    # the archives are not read; the other directory source is still searched
    assert "foo 1.4.0" in g.packages
    assert g.missing == [
        f"bar 1 (no match in {tmp_path / 'mirror-dir'}; local-registry /nowhere/registry not read)"
    ]
