"""BM25 search over item names, qualified names, signatures, docs and source, with tantivy.

The only module importing tantivy. The index lives in memory and is built from
(id, text) pairs, in about a second per 100k items; updates are incremental
(delete by id term, add, commit) and searchable before their commit lands.
Text is indexed with identifiers kept whole and also split on case and ``_``
(``HashMap`` -> ``hashmap hash map``), and queries are split the same way, so
``hash map``, ``HashMap`` and ``hashmap`` all match.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import tantivy

from rustragd.model import Item
from rustragd.search.embed_text import split_identifier

__all__ = ["LexicalIndex", "lexical_text", "terms"]

log = logging.getLogger(__name__)

# Identifiers that may be compound (not all lowercase letters): the only ones to split.
_COMPOUND = re.compile(r"(\b[a-z0-9]*[A-Z_][A-Za-z0-9_]*)")
# tantivy's default tokenizer: runs of alphanumerics, lowercased, <= 40 bytes.
_WORD = re.compile(r"[^\W_]+")
_MAX_TERM = 40
#: Words and identifiers longer than this are split or normalised without their answer
#: being cached: source and questions repeat short ones, and a request may hold 1 MiB.
_CACHED = 64


def _with_parts(text: str) -> str:
    """``text`` with each compound identifier followed by its words."""
    pieces = _COMPOUND.split(text)  # the compound identifiers at the odd indices
    pieces[1::2] = [
        _cached_identifier(piece) if len(piece) <= _CACHED else _identifier_with_parts(piece)
        for piece in pieces[1::2]
    ]
    return "".join(pieces)


def _identifier_with_parts(identifier: str) -> str:
    """``HashMap`` -> ``HashMap Hash Map``; an identifier of one word stays as it is."""
    parts = split_identifier(identifier)
    return identifier if len(parts) < 2 else f"{identifier} {' '.join(parts)}"


_cached_identifier = lru_cache(maxsize=1 << 16)(_identifier_with_parts)


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
    words = _WORD.findall(_with_parts(text).lower())
    return [term for word in words if (term := _cached_term(word) if len(word) <= _CACHED else "")]


def _term(word: str) -> str:
    """The index term of one lowercased word ("" when longer than tantivy keeps): code
    repeats its words, so each is normalised once (indexing a workspace's source is
    most of a cold index's main-thread time otherwise)."""
    return normalize(word) if len(word.encode()) <= _MAX_TERM else ""


_cached_term = lru_cache(maxsize=1 << 17)(_term)


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


#: tantivy's BM25 parameters, for scoring the recent texts the same way.
_K1, _B = 1.2, 0.75
#: Updates up to this many texts are searchable at once and committed in the background;
#: bigger ones (a start, a branch switch) commit before ``update`` returns.
RECENT_MAX = 256


@dataclass(frozen=True, slots=True)
class _Text:
    """An item's new index terms, searchable before tantivy has committed them."""

    words: list[str]
    counts: Counter[str]


class LexicalIndex:
    """An in-memory BM25 index of item texts keyed by item id.

    A tantivy commit costs milliseconds, so small updates do not wait for one:
    their texts (or removals) are kept in a recent-texts map that every search
    consults, scoring them with the index's own BM25 statistics, while a
    background thread hands them to tantivy and commits (tantivy releases the
    GIL meanwhile). Once the commit is searchable the map forgets them.
    """

    def __init__(self, docs: Iterable[tuple[int, str]] = ()) -> None:
        self._schema = _schema()
        self._index = tantivy.Index(self._schema)
        # Reload on our own commits: the default policy makes each reload wait ~100 ms.
        self._index.config_reader(reload_policy="Manual")
        self._writer = self._index.writer(64_000_000, num_threads=1)
        self._ids: set[int] = set()
        """Items with a text, committed or recent."""
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._queued: dict[int, _Text | None] = {}
        """Recent texts (None: removed) not yet handed to the writer."""
        self._committing: dict[int, _Text | None] = {}
        """Recent texts the writer is committing now."""
        self._committer: threading.Thread | None = None
        self._indexed: dict[int, int] = {}
        """Committed items and their lengths in terms (written by the committer only)."""
        self._mean_length = 1.0
        self.upsert(docs)
        self.flush()

    def __len__(self) -> int:
        return len(self._ids)

    def upsert(self, docs: Iterable[tuple[int, str]]) -> None:
        """Add or replace the texts of items."""
        self.update(docs, ())

    def update(self, docs: Iterable[tuple[int, str]], removed: Iterable[int]) -> None:
        """Remove the ``removed`` items (unknown ids are ignored) and add or replace ``docs``;
        searchable on return (see the class docstring)."""
        changes: dict[int, _Text | None] = {i: None for i in removed if i in self._ids}
        for item_id, text in docs:
            words = _words(text)
            changes[item_id] = _Text(words, Counter(words))
        if not changes:
            return
        with self._lock:
            for item_id, change in changes.items():
                if change is None:
                    self._ids.discard(item_id)
                else:
                    self._ids.add(item_id)
            self._queued.update(changes)
            if self._committer is None:
                self._committer = threading.Thread(
                    target=self._commit_queued, name="lexical-commit", daemon=True
                )
                self._committer.start()
        if len(changes) > RECENT_MAX:
            self.flush()

    def flush(self) -> None:
        """Wait until every update is committed to tantivy."""
        with self._changed:
            self._changed.wait_for(lambda: self._committer is None)

    def search(self, query: str, k: int = 10) -> list[tuple[int, float]]:
        """The ``k`` best items for ``query`` as (id, BM25 score), best first."""
        words = terms(query)
        if not words or k <= 0:
            return []
        with self._lock:  # before the searcher: a text leaves this map once committed
            recent = {**self._committing, **self._queued}
        clauses = [
            (tantivy.Occur.Should, tantivy.Query.term_query(self._schema, "text", w)) for w in words
        ]
        searcher = self._index.searcher()
        query_ = tantivy.Query.boolean_query(clauses)
        hits = searcher.search(query_, limit=k + len(recent), count=False).hits
        ids = searcher.fast_field_values("id", [addr for _, addr in hits])
        found = [
            (i, float(score))
            for (score, _), i in zip(hits, ids, strict=True)
            if isinstance(i, int) and i not in recent
        ]
        if recent:
            found.extend(self._score_recent(searcher, words, recent))
            found.sort(key=lambda hit: -hit[1])
        return found[:k]

    def _score_recent(
        self, searcher: tantivy.Searcher, words: list[str], recent: dict[int, _Text | None]
    ) -> list[tuple[int, float]]:
        """BM25 scores of the recent texts that contain a query term (document counts: the
        committed ones plus the recent ones, a replaced text counted twice)."""
        texts = [text for text in recent.values() if text is not None]
        docs = searcher.num_docs + len(texts)
        idf = {}
        for word in words:
            frequency = searcher.doc_freq("text", word)
            frequency += sum(word in text.counts for text in texts)
            idf[word] = math.log(1 + (docs - frequency + 0.5) / (frequency + 0.5))
        scored = []
        for item_id, text in recent.items():
            if text is None:
                continue
            norm = _K1 * (1 - _B + _B * len(text.words) / self._mean_length)
            score = 0.0
            for word in words:
                count = text.counts.get(word, 0)
                if count:
                    score += idf[word] * count * (_K1 + 1) / (count + norm)
            if score > 0:
                scored.append((item_id, score))
        return scored

    def _commit_queued(self) -> None:
        """The committer thread: hand queued texts to tantivy and commit, until none are left."""
        while True:
            with self._lock:
                if not self._queued:
                    self._committer = None
                    self._changed.notify_all()
                    return
                batch = self._committing = self._queued
                self._queued = {}
            try:
                self._write(batch)
            except Exception:  # the thread must end cleanly; the texts stay findable
                log.exception("lexical index commit failed; %d texts stay uncommitted", len(batch))
                with self._lock:
                    self._queued = {**batch, **self._queued}
                    self._committing = {}
                    self._committer = None
                    self._changed.notify_all()
                return
            with self._lock:
                self._committing = {}

    def _write(self, batch: dict[int, _Text | None]) -> None:
        indexed = self._indexed
        for item_id, text in batch.items():
            if item_id in indexed:  # deleting costs; new items need none
                self._writer.delete_documents_by_term("id", item_id)
                del indexed[item_id]
            if text is not None:
                document = tantivy.Document(id=item_id, text=" ".join(text.words))
                self._writer.add_document(document)
                indexed[item_id] = len(text.words)
        self._writer.commit()
        self._index.reload()
        self._mean_length = max(1.0, sum(indexed.values()) / max(1, len(indexed)))
