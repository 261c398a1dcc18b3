"""Names resolved into dependencies and std, through the real daemon.

A real Cargo workspace with a path dependency outside it and a registry dependency
found through a directory source in ``.cargo/config.toml`` (Debian's crate registry),
resolved against the real std sources (Debian's ``rust-src``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import DaemonEnv
from rustragd.project.cargo_sources import std_sources

REGISTRY = Path("/usr/share/cargo/registry")

pytestmark = [
    pytest.mark.skipif(std_sources() is None, reason="no std sources (apt-get install rust-src)"),
    pytest.mark.skipif(
        not (REGISTRY / "regex-syntax-0.6.27").is_dir(),
        reason="Debian's librust-regex-syntax-dev is not installed",
    ),
]

HELPER = """\
mod private {
    pub mod deep {
        pub struct Widget {
            pub size: u32,
        }
        impl Widget {
            pub fn new() -> Widget {
                Widget { size: 1 }
            }
            pub fn spin(&self) -> u32 {
                self.size
            }
        }
        pub trait Turn {
            fn turn(&self) -> u32;
        }
    }
}
pub use private::deep::*;
pub mod again {
    pub use crate::Widget as Gadget;
}
"""

APP = """\
use helper::again::Gadget;
use helper::Turn;

pub struct Local;
impl Turn for Local {
    fn turn(&self) -> u32 {
        2
    }
}

pub fn make() -> Gadget {
    Gadget::new()
}

pub trait Measure {
    fn measure(&self) -> usize;
}
impl Measure for Vec<u8> {
    fn measure(&self) -> usize {
        self.len()
    }
}

pub fn lengths(v: Vec<u32>) -> usize {
    v.len()
}

pub fn spins(w: helper::Widget) -> u32 {
    w.spin()
}

pub fn shared(w: std::sync::Arc<helper::Widget>) -> u32 {
    w.spin()
}

pub fn sliced(v: Vec<u32>, s: String) -> bool {
    v.iter().count() > 0 && s.is_char_boundary(0)
}

pub fn parses() -> bool {
    regex_syntax::is_meta_character('x')
}

pub fn maybe() -> Option<u32> {
    Some(1)
}

#[cfg(unix)]
pub fn platform() -> u32 {
    1
}
#[cfg(windows)]
pub fn platform() -> u32 {
    2
}

pub fn which() -> u32 {
    platform()
}

macro_rules! flavour {
    ($value:expr) => {
        pub fn flavour() -> u32 {
            $value
        }
    };
}
#[cfg(windows)]
flavour!(4);
#[cfg(unix)]
flavour!(3);

pub fn tasted() -> u32 {
    flavour()
}
"""


def _crate(root: Path, name: str, deps: str, lib: str) -> None:
    (root / "src").mkdir(parents=True)
    (root / "Cargo.toml").write_text(
        f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n{deps}'
    )
    (root / "src/lib.rs").write_text(lib)


def _workspace(base: Path, deps: str, lib: str) -> Path:
    """A workspace under ``base`` whose crates.io is Debian's registry directory."""
    root = base / "ws"
    _crate(root, "app", deps, lib)
    (root / ".cargo").mkdir()
    (root / ".cargo/config.toml").write_text(
        '[source.crates-io]\nreplace-with = "debian"\n\n'
        f'[source.debian]\ndirectory = "{REGISTRY}"\n'
    )
    return root


def _callee(daemon: DaemonEnv, root: Path, function: str, name: str) -> dict[str, Any]:
    """The one callee ``name`` of ``function``."""
    results = daemon.client_json("callees", function, cwd=root)["results"]
    found = [hit for hit in results if hit["name"] == name]
    assert len(found) == 1, results
    return found[0]


def test_references_resolve_into_dependencies_and_std(daemon: DaemonEnv, tmp_path: Path) -> None:
    _crate(tmp_path / "helper", "helper", "", HELPER)
    deps = 'helper = { path = "../helper" }\nregex-syntax = "0.6"\n'
    root = _workspace(tmp_path, deps, APP)
    daemon.client_json("index", str(root), "--wait")

    new = _callee(daemon, root, "app::make", "new")  # through a re-export chain and a rename
    assert new["confidence"] == "exact"
    assert new["qualified_name"] == "helper::private::deep::Widget::new"
    assert new["path"] == str((tmp_path / "helper/src/lib.rs").resolve())
    assert (new["start_line"], new["origin"], new["crate"]) == (7, "dependency", "helper 0.1.0")

    spin = _callee(daemon, root, "app::spins", "spin")  # a method on a dependency's type
    assert (spin["confidence"], spin["start_line"]) == ("exact", 10)

    through = _callee(daemon, root, "app::shared", "spin")  # Arc<Widget> derefs to Widget
    assert (through["confidence"], through["start_line"]) == ("exact", 10)

    iterate = _callee(daemon, root, "app::sliced", "iter")  # Vec derefs to a slice
    assert (iterate["confidence"], iterate["crate"]) == ("exact", "core")
    assert iterate["path"].endswith("/library/core/src/slice/mod.rs")
    boundary = _callee(daemon, root, "app::sliced", "is_char_boundary")  # String to str
    assert (boundary["confidence"], boundary["crate"]) == ("exact", "core")
    assert boundary["path"].endswith("/library/core/src/str/mod.rs")

    length = _callee(daemon, root, "app::lengths", "len")  # a method call on a Vec
    assert length["confidence"] == "exact"
    assert length["qualified_name"] == "alloc::vec::Vec::len"
    assert length["path"].endswith("/library/alloc/src/vec/mod.rs")
    assert (length["origin"], length["crate"]) == ("std", "alloc")

    meta = _callee(daemon, root, "app::parses", "is_meta_character")  # a registry crate
    assert meta["confidence"] == "exact"
    assert "/regex-syntax-0.6.27/src/" in meta["path"]
    assert meta["crate"] == "regex-syntax 0.6.27"

    some = _callee(daemon, root, "app::maybe", "Some")  # the prelude's tuple variant
    assert (some["confidence"], some["qualified_name"]) == ("exact", "core::option::Option::Some")

    platform = _callee(daemon, root, "app::which", "platform")  # the cfg alternative compiled
    unix = APP.splitlines().index("#[cfg(unix)]") + 2
    assert (platform["confidence"], platform["start_line"]) == ("exact", unix)

    assert platform["cfg_active"] is True
    # The inactive alternative stays indexed and says so.
    both = daemon.client_json("def", "app::platform", cwd=root)["results"]
    assert sorted((h["start_line"], h["cfg_active"]) for h in both) == [
        (unix, True),
        (unix + 4, False),
    ]

    flavour = _callee(daemon, root, "app::tasted", "flavour")  # made under a cfg'd invocation
    made_at = APP.splitlines().index("flavour!(3);") + 1
    assert (flavour["confidence"], flavour["start_line"]) == ("exact", made_at)

    # The graph's ops on dependency items: impls of a foreign trait name its crate,
    # a library type's methods, the callers of a dependency's method.
    impls = daemon.client_json("impls", "Turn", cwd=root)
    assert [(i["type"], i["crate"]) for i in impls["impls"]] == [("Local", "app 0.1.0")]
    [trait] = impls["traits"]
    assert (trait["qualified_name"], trait["origin"]) == (
        "helper::private::deep::Turn",
        "dependency",
    )
    assert trait["crate"] == "helper 0.1.0"
    methods = daemon.client_json("methods", "Vec", cwd=root)
    push = [m for m in methods["methods"] if m["name"] == "push"]
    assert [(m["qualified_name"], m["crate"], m["via_trait"]) for m in push] == [
        ("alloc::vec::Vec::push", "alloc", "")
    ]
    assert "Clone" in methods["traits"] and "Measure" in methods["traits"]
    [measure] = [m for m in methods["methods"] if m["name"] == "measure"]  # the workspace's
    assert (measure["origin"], measure["crate"], measure["via_trait"]) == (
        "workspace",
        "app 0.1.0",
        "Measure",
    )
    [found] = daemon.client_json("def", "Vec::push", cwd=root)["results"]
    assert (found["qualified_name"], found["origin"]) == ("alloc::vec::Vec::push", "std")
    callers = daemon.client_json("callers", "Widget::spin", cwd=root)
    assert callers["targets"] == ["helper::private::deep::Widget::spin"]
    assert sorted(hit["qualified_name"] for hit in callers["results"]) == [
        "app::shared",
        "app::spins",
    ]

    status = daemon.client_json("status", "--root", str(root))
    [entry] = [w for w in status["workspaces"] if w["root"] == str(root)]
    libraries = entry["libraries"]
    assert libraries["std"] == "found" and libraries["missing"] == []
    assert libraries["crates"] == 7  # core, alloc, std, proc_macro, test, helper, regex-syntax

    # A second workspace on the same dependency reads the shared interfaces: none built.
    lib = "pub fn f() -> bool {\n    regex_syntax::is_meta_character('x')\n}\n"
    other = _workspace(tmp_path / "second", 'regex-syntax = "0.6"\n', lib)
    daemon.client_json("index", str(other), "--wait")
    status = daemon.client_json("status", "--root", str(other))
    [entry] = [w for w in status["workspaces"] if w["root"] == str(other)]
    assert (entry["libraries"]["crates"], entry["libraries"]["built"]) == (6, 0)
    meta = _callee(daemon, other, "app::f", "is_meta_character")
    assert meta["confidence"] == "exact"


def test_dependencies_off_stop_names_at_the_workspace(
    daemon_env: DaemonEnv, tmp_path: Path
) -> None:
    lib = "pub fn f() -> bool {\n    regex_syntax::is_meta_character('x')\n}\n"
    root = _workspace(tmp_path, 'regex-syntax = "0.6"\n', lib)
    daemon_env.env["RUSTRAG_DEPENDENCIES"] = "0"
    daemon_env.start()
    daemon_env.client_json("index", str(root), "--wait")
    [hit] = daemon_env.client_json("callees", "app::f", cwd=root)["results"]
    assert hit["confidence"] == "unresolved"
    status = daemon_env.client_json("status", "--root", str(root))
    [entry] = [w for w in status["workspaces"] if w["root"] == str(root)]
    assert entry["libraries"] == {"off": True}
    daemon_env.stop()
