"""Type fingerprints: a type's canonical token stream, hashed with blake3 to 16 bytes."""

from __future__ import annotations

import sys

from blake3 import blake3

from rustragd.model import TypeRecord

__all__ = ["TypeTable", "canonical_text", "fingerprint"]


def canonical_text(tokens: list[str]) -> str:
    """Tokens joined with a space only between two word characters (formatting-independent)."""
    out: list[str] = []
    previous = ""
    for token in tokens:
        if previous and _wordy(previous[-1]) and _wordy(token[0]):
            out.append(" ")
        out.append(token)
        previous = token
    return "".join(out)


def fingerprint(canonical: str) -> str:
    """The 16-byte blake3 digest of a canonical type text, as hex (interned: every
    ``uses_type`` edge holds one, and a workspace's edges name a few thousand types)."""
    return sys.intern(blake3(canonical.encode("utf-8")).hexdigest(length=16))


def _wordy(char: str) -> bool:
    return char.isalnum() or char in "_'"


class TypeTable:
    """Distinct types seen while resolving: fingerprint -> canonical text -> definition."""

    def __init__(self) -> None:
        self._records: dict[str, TypeRecord] = {}

    def add(self, tokens: list[str], definition: int) -> str:
        """Record a resolved type's tokens; return its fingerprint."""
        text = canonical_text(tokens)
        key = fingerprint(text)
        if key not in self._records:
            self._records[key] = TypeRecord(key, text, definition)
        return key

    def records(self) -> list[TypeRecord]:
        """Every distinct type, in first-seen order."""
        return list(self._records.values())
