"""BM25 search over item names, qualified names, signatures, docs and source, with tantivy.

The only module importing tantivy. The index lives in memory and is built from
(id, text) pairs, in about a second per 100k items; upserts and deletes are
incremental (delete by id term, add, commit). Text is indexed with identifiers
kept whole and also split on case and ``_`` (``HashMap`` -> ``hashmap hash
map``), and queries are split the same way, so ``hash map``, ``HashMap`` and
``hashmap`` all match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import tantivy

from rustragd.embed_text import split_identifier
from rustragd.model import Item

__all__ = ["LexicalIndex", "lexical_text", "terms"]

# Identifiers that may be compound (not all lowercase letters): the only ones to split.
_COMPOUND = re.compile(r"\b[a-z0-9]*[A-Z_][A-Za-z0-9_]*")
# tantivy's default tokenizer: runs of alphanumerics, lowercased, <= 40 bytes.
_WORD = re.compile(r"[^\W_]+")
_MAX_TERM = 40


def _with_parts(text: str) -> str:
    """``text`` with each compound identifier followed by its words."""

    def expand(m: re.Match[str]) -> str:
        parts = split_identifier(m.group())
        return m.group() if len(parts) < 2 else f"{m.group()} {' '.join(parts)}"

    return _COMPOUND.sub(expand, text)


#: English words too common in questions to tell items apart.
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if in
    into is it its itself just me more most my myself no nor not now of off on once only or
    other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your yours
    yourself yourselves""".split()  # noqa: SIM905
)


def normalize(word: str) -> str:
    """A lowercased word with a plural ending dropped (``matches`` -> ``match``)."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _words(text: str) -> list[str]:
    """Index terms of ``text``: identifiers whole and split, lowercased, plurals dropped."""
    return [
        normalize(w)
        for w in _WORD.findall(_with_parts(text).lower())
        if len(w.encode()) <= _MAX_TERM
    ]


def terms(text: str) -> list[str]:
    """The distinct query terms of ``text``, in order, without stopwords."""
    return list(dict.fromkeys(w for w in _words(text) if w not in STOPWORDS))


def lexical_text(item: Item) -> str:
    """What the lexical index holds for an item: name, qualified name, signature, doc, source.

    Identifier splitting happens when the text is indexed, not here.
    """
    parts = (item.name, item.qualified_name, item.signature, item.doc, item.snippet)
    return "\n".join(p for p in parts if p)


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("id", stored=False, indexed=True, fast=True)
    sb.add_text_field("text", stored=False, tokenizer_name="default", index_option="freq")
    return sb.build()


class LexicalIndex:
    """An in-memory BM25 index of item texts keyed by item id."""

    def __init__(self, docs: Iterable[tuple[int, str]] = ()) -> None:
        self._schema = _schema()
        self._index = tantivy.Index(self._schema)
        # Reload on our own commits: the default policy makes each reload wait ~100 ms.
        self._index.config_reader(reload_policy="Manual")
        self._writer = self._index.writer(64_000_000, num_threads=1)
        self._ids: set[int] = set()
        self.upsert(docs)

    def __len__(self) -> int:
        return int(self._index.searcher().num_docs)

    def upsert(self, docs: Iterable[tuple[int, str]]) -> None:
        """Add or replace the texts of items, then make them searchable."""
        self.update(docs, ())

    def update(self, docs: Iterable[tuple[int, str]], removed: Iterable[int]) -> None:
        """Remove the ``removed`` items (unknown ids are ignored), add or replace ``docs``,
        in one commit (none when nothing changes: a commit costs milliseconds)."""
        changed = False
        for item_id in removed:
            if item_id in self._ids:
                self._ids.discard(item_id)
                self._writer.delete_documents_by_term("id", item_id)
                changed = True
        for item_id, text in docs:
            if item_id in self._ids:  # deleting costs; new items need none
                self._writer.delete_documents_by_term("id", item_id)
            self._ids.add(item_id)
            self._writer.add_document(tantivy.Document(id=item_id, text=" ".join(_words(text))))
            changed = True
        if changed:
            self._commit()

    def search(self, query: str, k: int = 10) -> list[tuple[int, float]]:
        """The ``k`` best items for ``query`` as (id, BM25 score), best first."""
        words = terms(query)
        if not words or k <= 0:
            return []
        clauses = [
            (tantivy.Occur.Should, tantivy.Query.term_query(self._schema, "text", w)) for w in words
        ]
        searcher = self._index.searcher()
        hits = searcher.search(tantivy.Query.boolean_query(clauses), limit=k, count=False).hits
        ids = searcher.fast_field_values("id", [addr for _, addr in hits])
        return [
            (i, float(score)) for (score, _), i in zip(hits, ids, strict=True) if isinstance(i, int)
        ]

    def _commit(self) -> None:
        self._writer.commit()
        self._index.reload()
