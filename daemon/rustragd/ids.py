"""Stable item ids (a hash of where and what an item is, as a signed 64-bit int) and the
one content hash of a source file."""

from __future__ import annotations

from blake3 import blake3

__all__ = ["content_hash", "hash64", "item_id"]


def item_id(path: str, qualified_name: str, kind: str, disambiguator: int = 0) -> int:
    """The id of an item: blake3 of its fields, first 8 bytes as a signed little-endian int64.

    ``disambiguator`` tells apart same-named items of one kind in one file (cfg'd
    twins); fields are joined with NUL, which none of them can contain.
    """
    key = "\0".join((path, qualified_name, kind, str(disambiguator))).encode("utf-8")
    return hash64(key)


def hash64(key: bytes) -> int:
    """blake3 of ``key``, first 8 bytes as a signed little-endian int64."""
    return int.from_bytes(blake3(key).digest(length=8), "little", signed=True)


def content_hash(source: bytes) -> str:
    """The 16-byte blake3 digest of a file's content, as hex: what tells a changed file."""
    return blake3(source).hexdigest(length=16)
