"""Cargo's version requirements against versions, as the semver crate matches them."""

from __future__ import annotations

import pytest
from rustragd.project.semver import parse_requirement, parse_version

#: (requirement, version, matches)
CASES = [
    ("1", "1.7.1", True),
    ("1", "2.0.0", False),
    ("1.7", "1.7.0", True),
    ("1.7.2", "1.7.1", False),
    ("^1.2.3", "1.9.0", True),
    ("0.6.27", "0.6.29", True),
    ("0.6.27", "0.7.0", False),
    ("^0.0.3", "0.0.4", False),
    ("^0.0.3", "0.0.3", True),
    ("^0.0", "0.0.9", True),
    ("^0.0", "0.1.0", False),
    ("0", "0.9.0", True),
    ("~1.2.3", "1.2.9", True),
    ("~1.2.3", "1.3.0", False),
    ("~1", "1.9.0", True),
    ("~0.3", "0.3.5", True),
    ("~0.3", "0.4.0", False),
    ("=1.2.3", "1.2.3", True),
    ("=1.2.3", "1.2.4", False),
    ("=1.2", "1.2.9", True),
    ("=1.2", "1.3.0", False),
    (">=1.2, <1.5", "1.4.9", True),
    (">=1.2, <1.5", "1.5.0", False),
    (">=1.2,<1.5", "1.1.0", False),
    (">1.2", "1.2.9", False),
    (">1.2", "1.3.0", True),
    (">1.2.3", "1.2.4", True),
    ("<=1.2", "1.2.9", True),
    ("<=1.2", "1.3.0", False),
    ("*", "0.0.1", True),
    ("", "3.1.4", True),
    ("1.*", "1.9.9", True),
    ("1.*", "2.0.0", False),
    ("1.2.x", "1.2.7", True),
    ("1.2.*", "1.3.0", False),
    # pre-releases only when a comparator asks for that major.minor.patch
    ("1", "1.1.0-alpha", False),
    ("*", "1.0.0-alpha.5", False),
    ("=1.0.0-alpha.5", "1.0.0-alpha.5", True),
    ("1.0.0-alpha.5", "1.0.0-alpha.9", True),
    ("1.0.0-alpha.5", "1.0.0-alpha.4", False),
    ("1.0.0-alpha.5", "1.0.1-alpha.9", False),
    ("1.0.0-alpha.5", "1.0.0", True),
    ("1.0.0-alpha.10", "1.0.0-alpha.9", False),
    ("1.0.0-alpha", "1.0.0-beta", True),
]


@pytest.mark.parametrize(("req", "version", "expected"), CASES)
def test_requirement_matches(req: str, version: str, expected: bool) -> None:
    requirement = parse_requirement(req)
    parsed = parse_version(version)
    assert requirement is not None and parsed is not None
    assert requirement.matches(parsed) is expected


def test_versions_order_as_semver() -> None:
    texts = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta.2", "1.0.0-beta.11"]
    texts += ["1.0.0-rc.1", "1.0.0", "1.0.1", "1.10.0", "2.0.0"]
    versions = [parse_version(t) for t in texts]
    assert all(v is not None for v in versions)
    assert sorted(versions, key=str) != versions  # text order is not version order
    assert sorted(v for v in versions if v is not None) == versions
    assert str(versions[0]) == "1.0.0-alpha"


@pytest.mark.parametrize("text", ["1.*.3", "1.2-alpha", "abc", "1.2.3.4", ">= x", "^"])
def test_bad_requirements_are_none(text: str) -> None:
    assert parse_requirement(text) is None


@pytest.mark.parametrize("text", ["1.2", "01.2.3", "1.2.3-", "v1.2.3"])
def test_bad_versions_are_none(text: str) -> None:
    assert parse_version(text) is None


def test_build_metadata_is_ignored() -> None:
    a, b = parse_version("1.0.0+build.5"), parse_version("1.0.0")
    assert a == b
