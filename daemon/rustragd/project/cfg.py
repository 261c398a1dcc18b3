"""Rust ``cfg`` predicates, evaluated against a set of active options (the host's).

:func:`host_cfg` is what rustc sets for a normal build on this machine (no
``test``, ``doc``, ``docsrs``, ``miri``...); :func:`evaluate` reads the text
inside ``cfg(...)``; :func:`cfg_active` the facts' cfg column; :func:`target_matches`
a Cargo ``[target.KEY]`` key. A predicate that does not parse is true: code is
never hidden on a parser's doubt.
"""

from __future__ import annotations

import platform
import re
import struct
import sys
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

__all__ = ["CfgSet", "cfg_active", "evaluate", "host_cfg", "target_matches"]


@dataclass(frozen=True, slots=True)
class CfgSet:
    """The active cfg options: bare names (``unix``) and ``key = "value"`` pairs.

    ``triple`` is the target triple the options describe (``x86_64-unknown-linux-gnu``),
    what a Cargo ``[target.TRIPLE]`` key is compared with.
    """

    names: frozenset[str] = frozenset()
    pairs: frozenset[tuple[str, str]] = frozenset()
    triple: str = ""

    def with_features(self, features: Iterable[str]) -> CfgSet:
        """The same options with ``feature = "..."`` exactly ``features``."""
        kept = {pair for pair in self.pairs if pair[0] != "feature"}
        return replace(self, pairs=frozenset(kept | {("feature", f) for f in features}))


#: ``platform.machine()`` spellings -> (rustc's target_arch, triple's arch, target features).
_ARCHES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "x86_64": ("x86_64", "x86_64", ("fxsr", "sse", "sse2")),
    "amd64": ("x86_64", "x86_64", ("fxsr", "sse", "sse2")),
    "i386": ("x86", "i686", ("fxsr", "sse", "sse2")),
    "i686": ("x86", "i686", ("fxsr", "sse", "sse2")),
    "aarch64": ("aarch64", "aarch64", ("neon",)),
    "arm64": ("aarch64", "aarch64", ("neon",)),
    "armv7l": ("arm", "armv7", ()),
    "riscv64": ("riscv64", "riscv64gc", ()),
    "ppc64le": ("powerpc64", "powerpc64le", ()),
    "s390x": ("s390x", "s390x", ()),
}


def host_cfg(features: Iterable[str] = ()) -> CfgSet:
    """The options rustc sets for a normal (debug, non-test) build for this host, and features."""
    machine = platform.machine().lower()
    arch, triple_arch, target_features = _ARCHES.get(machine, (machine, machine, ()))
    os_name, family, vendor, env = _host_os()
    width = str(struct.calcsize("P") * 8)
    endian = "little" if sys.byteorder == "little" else "big"
    pairs = {
        ("target_family", family),
        ("target_os", os_name),
        ("target_arch", arch),
        ("target_pointer_width", width),
        ("target_endian", endian),
        ("target_env", env),
        ("target_vendor", vendor),
        ("target_abi", ""),
        ("panic", "unwind"),
        # every arch above has 64-bit atomics
        *(("target_has_atomic", w) for w in ("8", "16", "32", "64", "ptr")),
        *(("target_feature", f) for f in target_features),
    }
    names = {"debug_assertions", "overflow_checks", *([family] if family else [])}
    triple_os = "darwin" if os_name == "macos" else os_name
    triple = "-".join(part for part in (triple_arch, vendor, triple_os, env) if part)
    return CfgSet(frozenset(names), frozenset(pairs), triple).with_features(features)


def _host_os() -> tuple[str, str, str, str]:
    """``(target_os, target_family, target_vendor, target_env)`` of this host."""
    if sys.platform.startswith("linux"):
        env = "gnu" if platform.libc_ver()[0] in ("glibc", "") else "musl"
        return "linux", "unix", "unknown", env
    if sys.platform == "darwin":
        return "macos", "unix", "apple", ""
    if sys.platform in ("win32", "cygwin"):
        return "windows", "windows", "pc", "msvc"
    name = re.sub(r"\d+$", "", sys.platform)
    return name, "unix", "unknown", ""


class _Malformed(Exception):
    """The predicate text is not a cfg predicate."""


@dataclass(frozen=True, slots=True)
class _Option:
    """``name`` (value None) or ``name = "value"``."""

    name: str
    value: str | None


@dataclass(frozen=True, slots=True)
class _Group:
    """``all(...)``, ``any(...)`` or ``not(...)``."""

    op: str
    children: tuple[_Predicate, ...]


_Predicate = _Option | _Group | bool

_TOKEN = re.compile(r'\s*(?:([A-Za-z_][A-Za-z0-9_]*)|"((?:[^"\\]|\\.)*)"|([=,()]))', re.S)


def evaluate(predicate: str, active: CfgSet) -> bool:
    """Whether the predicate inside ``cfg(...)`` holds for ``active``; True if it does not parse."""
    parsed = _parse(predicate)
    return True if parsed is None else _holds(parsed, active)


def cfg_active(attrs: str, active: CfgSet) -> bool:
    """Whether every ``#[cfg(...)]`` line of ``attrs`` holds (``""``: True).

    Lines that are not a ``cfg`` attribute (``#[cfg_attr(...)]`` among them) do not gate.
    """
    for line in attrs.splitlines():
        line = line.strip()
        for opening in ("#[cfg(", "#![cfg("):
            if line.startswith(opening):
                if line.endswith(")]") and not evaluate(line[len(opening) : -2], active):
                    return False
                break
    return True


def target_matches(key: str, active: CfgSet) -> bool:
    """Whether a Cargo target key (``cfg(unix)`` or a triple) applies to ``active``."""
    key = key.strip()
    if key.startswith("cfg(") and key.endswith(")"):
        return evaluate(key[4:-1], active)
    return key == active.triple


def _holds(predicate: _Predicate, active: CfgSet) -> bool:
    if isinstance(predicate, bool):
        return predicate
    if isinstance(predicate, _Option):
        if predicate.value is None:
            return predicate.name in active.names
        return (predicate.name, predicate.value) in active.pairs
    results = [_holds(child, active) for child in predicate.children]
    if predicate.op == "all":
        return all(results)
    if predicate.op == "any":
        return any(results)
    return not results[0]


@lru_cache(maxsize=4096)
def _parse(text: str) -> _Predicate | None:
    """The predicate ``text`` writes, or None when it does not parse."""
    try:
        tokens = _tokens(text)
        predicate, end = _predicate(tokens, 0)
    except _Malformed:
        return None
    return predicate if end == len(tokens) else None


def _tokens(text: str) -> list[tuple[str, str]]:
    """``(kind, text)`` tokens: kind ``id``, ``str`` or the punctuation itself."""
    tokens: list[tuple[str, str]] = []
    text, position = text.strip(), 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise _Malformed(text)
        ident, string, punct = match.groups()
        if ident is not None:
            tokens.append(("id", ident))
        elif string is not None:
            tokens.append(("str", re.sub(r"\\(.)", r"\1", string)))
        else:
            tokens.append((punct, punct))
        position = match.end()
    return tokens


def _predicate(tokens: list[tuple[str, str]], at: int) -> tuple[_Predicate, int]:
    """The predicate starting at token ``at``, and the index after it."""
    kind, name = tokens[at] if at < len(tokens) else ("end", "")
    if kind != "id":
        raise _Malformed(name)
    following = tokens[at + 1][0] if at + 1 < len(tokens) else "end"
    if following == "=":
        if at + 2 >= len(tokens) or tokens[at + 2][0] != "str":
            raise _Malformed(name)
        return _Option(name, tokens[at + 2][1]), at + 3
    if following != "(":
        if name in ("true", "false"):
            return name == "true", at + 1
        return _Option(name, None), at + 1
    if name not in ("all", "any", "not"):
        raise _Malformed(name)
    children: list[_Predicate] = []
    at += 2
    while at < len(tokens) and tokens[at][0] != ")":
        child, at = _predicate(tokens, at)
        children.append(child)
        if at < len(tokens) and tokens[at][0] == ",":
            at += 1
        elif at >= len(tokens) or tokens[at][0] != ")":
            raise _Malformed(name)
    if at >= len(tokens) or (name == "not" and len(children) != 1):
        raise _Malformed(name)
    return _Group(name, tuple(children)), at + 1
