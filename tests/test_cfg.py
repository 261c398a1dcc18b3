"""cfg predicates from real crates (std, libc, tokio, ...) evaluated for this host."""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys

import pytest
from rustragd.project.cfg import CfgSet, cfg_active, evaluate, host_cfg, target_matches

LINUX_X86_64 = sys.platform.startswith("linux") and platform.machine() == "x86_64"
linux_only = pytest.mark.skipif(not LINUX_X86_64, reason="the table is written for Linux x86_64")

#: (predicate, without features, with feature "std") for a Linux x86_64 host.
PREDICATES = [
    ("unix", True, True),
    ("windows", False, False),
    ('all(unix, not(target_os = "macos"))', True, True),
    ('any(target_os = "linux", target_os = "android")', True, True),
    ('any(target_pointer_width = "32", target_pointer_width = "64")', True, True),
    ('target_pointer_width = "16"', False, False),
    ('all(target_arch = "x86_64", target_feature = "sse2")', True, True),
    ('target_feature = "avx2"', False, False),
    ('all(target_os = "linux", target_env = "gnu")', True, True),
    ('target_env = "musl"', False, False),
    ('target_has_atomic = "64"', True, True),
    ('target_has_atomic = "ptr"', True, True),
    ('target_endian = "little"', True, True),
    ('target_vendor = "apple"', False, False),
    ('panic = "unwind"', True, True),
    ("debug_assertions", True, True),
    ('feature = "std"', False, True),
    ('not(feature = "std")', True, False),
    ('all(feature = "std", not(target_family = "wasm"))', False, True),
    ("all(loom, test)", False, False),
    ("not(test)", True, True),
    ("docsrs", False, False),
    ("not(miri)", True, True),
    ("doc", False, False),
    ('all(tokio_unstable, feature = "tracing")', False, False),
    ('any(\n    target_os = "linux",\n    target_os = "l4re",\n)', True, True),
    ('  all( unix ,\n\tnot ( target_os="macos" ) )  ', True, True),
    ("all()", True, True),
    ("any()", False, False),
    ("true", True, True),
    ("false", False, False),
    # malformed: true, whatever the host
    ("all(unix", True, True),
    ("not(unix, windows)", True, True),
    ("target_os = linux", True, True),
    ('version("1.80")', True, True),
    ("", True, True),
    ("unix windows", True, True),
]


@linux_only
@pytest.mark.parametrize(("predicate", "plain", "with_std"), PREDICATES)
def test_predicates(predicate: str, plain: bool, with_std: bool) -> None:
    assert evaluate(predicate, host_cfg()) is plain
    assert evaluate(predicate, host_cfg(["std"])) is with_std


@linux_only
def test_host_cfg_is_what_the_spec_lists() -> None:
    host = host_cfg(["std", "alloc"])
    assert host.names == {"unix", "debug_assertions", "overflow_checks"}
    assert {
        ("target_os", "linux"),
        ("target_family", "unix"),
        ("target_arch", "x86_64"),
        ("target_env", "gnu"),
        ("target_vendor", "unknown"),
        ("target_pointer_width", "64"),
        ("feature", "std"),
        ("feature", "alloc"),
    } <= host.pairs
    assert host.triple == "x86_64-unknown-linux-gnu"


@pytest.mark.skipif(shutil.which("rustc") is None, reason="rustc is not installed")
def test_host_cfg_agrees_with_rustc() -> None:
    printed = subprocess.run(
        ["rustc", "--print", "cfg"], capture_output=True, text=True, timeout=30, check=True
    ).stdout.split()
    names = {line for line in printed if "=" not in line}
    pairs = {(k, v.strip('"')) for k, v in (line.split("=", 1) for line in printed if "=" in line)}
    host = host_cfg()
    # rustc prints overflow_checks only with -C overflow-checks on nightly
    assert host.names - {"overflow_checks"} == names
    assert host.pairs == pairs
    host_line = subprocess.run(
        ["rustc", "-vV"], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    assert f"host: {host.triple}" in host_line


def test_with_features_replaces_the_features() -> None:
    active = CfgSet(frozenset({"unix"}), frozenset({("feature", "a")})).with_features(["b"])
    assert active.pairs == {("feature", "b")}
    assert active.names == {"unix"}


def test_cfg_active_reads_the_facts_column() -> None:
    active = CfgSet(frozenset({"unix"}), frozenset({("feature", "std")}))
    assert cfg_active("", active)
    assert cfg_active("#[cfg(unix)]", active)
    assert cfg_active('#[cfg(unix)]\n#[cfg(feature = "std")]', active)
    assert not cfg_active("#[cfg(unix)]\n#[cfg(test)]", active)
    assert not cfg_active("#[cfg(windows)]", active)
    assert cfg_active("#![cfg(unix)]", active)
    # not a cfg: cfg_attr never hides an item
    assert cfg_active('#[cfg_attr(docsrs, doc(cfg(feature = "x")))]', active)
    # a cut-off attribute is a doubt: shown
    assert cfg_active("#[cfg(all(windows, test)", active)


@linux_only
def test_target_keys_of_cargo_manifests() -> None:
    host = host_cfg()
    assert target_matches("cfg(unix)", host)
    assert target_matches('cfg(target_os = "linux")', host)
    assert not target_matches("cfg(windows)", host)
    assert not target_matches('cfg(all(target_arch = "wasm32", target_os = "unknown"))', host)
    assert target_matches("x86_64-unknown-linux-gnu", host)
    assert not target_matches("x86_64-pc-windows-msvc", host)
    assert not target_matches("wasm32-unknown-unknown", host)
    assert target_matches(" cfg(not(windows)) ", host)
