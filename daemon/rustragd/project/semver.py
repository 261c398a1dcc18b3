"""Semantic versions and Cargo's version requirements (``"1.2"``, ``"~0.3"``, ``">=1, <2"``).

A requirement matches as Cargo's does: a bare version is a caret requirement,
``*`` and ``x`` are wildcards, and a pre-release version matches only a
requirement with a pre-release comparator on the same ``major.minor.patch``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = ["Requirement", "Version", "parse_requirement", "parse_version"]

_VERSION = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?"
)
_COMPARATOR = re.compile(
    r"(=|>=|<=|>|<|~|\^)?\s*(\*|[xX]|\d+)(?:\.(\*|[xX]|\d+))?(?:\.(\*|[xX]|\d+))?"
    r"(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?"
)


@dataclass(frozen=True, slots=True, order=True)
class Version:
    """``major.minor.patch[-pre]``; orders as SemVer does (a pre-release before its release)."""

    major: int
    minor: int
    patch: int
    #: ``(1,)`` for a release; ``(0, identifiers...)`` for a pre-release, so it sorts first.
    pre: tuple[object, ...] = (1,)
    text: str = field(default="", compare=False)

    @property
    def core(self) -> tuple[int, int, int]:
        return self.major, self.minor, self.patch

    @property
    def is_pre(self) -> bool:
        return self.pre != (1,)

    def __str__(self) -> str:
        return self.text


def parse_version(text: str) -> Version | None:
    """The version ``text`` writes (``1.0.0-alpha.5+build``), or None."""
    match = _VERSION.fullmatch(text.strip())
    if match is None:
        return None
    major, minor, patch, pre = match.groups()
    return _version(int(major), int(minor), int(patch), pre, text.strip())


def _version(major: int, minor: int, patch: int, pre: str | None, text: str = "") -> Version:
    key: tuple[object, ...] = (1,)
    if pre:
        key = (0, *((0, int(p)) if p.isdigit() else (1, p) for p in pre.split(".")))
    text = text or f"{major}.{minor}.{patch}" + (f"-{pre}" if pre else "")
    return Version(major, minor, patch, key, text)


@dataclass(frozen=True, slots=True)
class _Bound:
    """``OP version`` with OP one of ``>=``, ``>``, ``<``, ``<=``, ``=``."""

    op: str
    version: Version

    def holds(self, v: Version) -> bool:
        if self.op == ">=":
            return v >= self.version
        if self.op == ">":
            return v > self.version
        if self.op == "<":
            return v < self.version
        if self.op == "<=":
            return v <= self.version
        return v == self.version


@dataclass(frozen=True, slots=True)
class Requirement:
    """A version requirement: bounds that must all hold; ``text`` as written."""

    bounds: tuple[_Bound, ...]
    text: str

    def matches(self, version: Version) -> bool:
        """Whether ``version`` satisfies every comparator (pre-releases only when asked)."""
        if not all(bound.holds(version) for bound in self.bounds):
            return False
        if not version.is_pre:
            return True
        return any(b.version.is_pre and b.version.core == version.core for b in self.bounds)


@lru_cache(maxsize=1024)
def parse_requirement(text: str) -> Requirement | None:
    """The requirement ``text`` writes (``""`` is ``*``), or None when it does not parse."""
    bounds: list[_Bound] = []
    for part in text.split(",") if text.strip() else ["*"]:
        match = _COMPARATOR.fullmatch(part.strip())
        found = None if match is None else _bounds(*match.groups())
        if found is None:
            return None
        bounds.extend(found)
    return Requirement(tuple(bounds), text.strip())


def _bounds(
    op: str | None, major: str, minor: str | None, patch: str | None, pre: str | None
) -> list[_Bound] | None:
    """The bounds of one comparator (``^1.2``, ``>=0.3``, ``1.*``...), None if invalid."""
    parts = [p for p in (major, minor, patch) if p is not None]
    wild = [p in ("*", "x", "X") for p in parts]
    nums = [int(p) for p, w in zip(parts, wild, strict=True) if not w]
    if any(wild[: len(nums)]) or (pre and len(nums) < 3):
        return None  # a number after a wildcard (1.*.3), or 1.2-alpha
    if not nums:
        return None if op else []  # *: every release
    op = op or ("=" if any(wild) else "^")
    major_n, minor_n, patch_n = [*nums, 0, 0][:3]
    low = _version(major_n, minor_n, patch_n, pre)
    past = _version(*_past(nums), None)
    if op == ">=":
        return [_Bound(">=", low)]
    if op == "<":
        return [_Bound("<", low)]
    if op in ("=", ">", "<=") and len(nums) == 3:
        return [_Bound(op, low)]
    if op == ">":
        return [_Bound(">=", past)]
    if op == "<=":
        return [_Bound("<", past)]
    if op == "=":
        return [_Bound(">=", low), _Bound("<", past)]
    if op == "~":
        return [_Bound(">=", low), _Bound("<", _version(*_past(nums[:2]), None))]
    return [_Bound(">=", low), _Bound("<", _version(*_caret_upper(nums), None))]


def _past(nums: list[int]) -> tuple[int, int, int]:
    """The first version past every one that ``nums`` is a prefix of: 1.2 -> 1.3.0."""
    padded = [*nums, 0, 0][:3]
    padded[len(nums) - 1] += 1
    return padded[0], padded[1], padded[2]


def _caret_upper(nums: list[int]) -> tuple[int, int, int]:
    """The exclusive upper bound of ``^nums``: the left-most non-zero part is kept."""
    for index, number in enumerate(nums):
        if number > 0 or index == len(nums) - 1:
            return _past(nums[: index + 1])
    return _past(nums)
