"""BM25 lexical search over item names, signatures and docs (tantivy)."""

from __future__ import annotations

from collections import Counter

from rustragd.model import Item
from rustragd.search.lexical import LexicalIndex, _Text, lexical_text, terms


def item(id: int, name: str, qual: str, sig: str = "", doc: str = "") -> Item:
    return Item(id, "function", name, qual, "src/lib.rs", 1, 2, signature=sig, doc=doc)


ITEMS = [
    item(
        -(2**63),
        "is_match",
        "regex::Regex::is_match",
        "pub fn is_match(&self, haystack: &str) -> bool",
        "Returns true if and only if there is a match for the regex anywhere in the haystack.",
    ),
    item(2, "HashMap", "std::collections::HashMap", "pub struct HashMap<K, V>", "A hash map."),
    item(
        3,
        "find_iter",
        "regex::Regex::find_iter",
        "pub fn find_iter<'r, 'h>(&'r self, haystack: &'h str) -> Matches<'r, 'h>",
        "Returns an iterator over all non-overlapping successive matches.",
    ),
    item(
        2**63 - 1,
        "parse_http_request",
        "net::parseHTTPRequest",
        "fn parse_http_request(buf: &[u8]) -> Request",
        "",
    ),
]


def index() -> LexicalIndex:
    return LexicalIndex((i.id, lexical_text(i)) for i in ITEMS)


def test_query_terms_drop_stopwords_and_plurals() -> None:
    assert terms("Returns the matches of all the patterns in a class") == [
        "return",
        "match",
        "pattern",
        "class",
    ]


def test_terms_split_identifiers_and_keep_them_whole() -> None:
    assert terms("HashMap is_match parseHTTPRequest hash") == [
        "hashmap",
        "hash",
        "map",
        "match",
        "parsehttprequest",
        "parse",
        "http",
        "request",
    ]


def test_identifier_queries_match_in_every_spelling() -> None:
    ix = index()
    for query in ("HashMap", "hashmap", "hash map"):
        assert ix.search(query, k=1)[0][0] == 2, query
    assert ix.search("parse http request", k=1)[0][0] == 2**63 - 1
    assert ix.search("IsMatch", k=1)[0][0] == -(2**63)


def test_docs_are_searched_and_scores_are_descending() -> None:
    hits = index().search("iterator over successive matches", k=4)
    assert hits[0][0] == 3
    scores = [s for _, s in hits]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)


def test_no_terms_or_no_match_gives_nothing() -> None:
    ix = index()
    assert ix.search("", k=5) == []
    assert ix.search(":: -> &", k=5) == []
    assert ix.search("zebra", k=5) == []
    assert ix.search("regex", k=0) == []


def test_query_syntax_is_not_interpreted() -> None:
    assert index().search('haystack:"AND (OR NOT* ^2', k=2)


def test_upsert_replaces_and_delete_removes() -> None:
    ix = index()
    assert len(ix) == 4
    ix.upsert([(2, "BTreeMap ordered map")])
    assert len(ix) == 4
    assert ix.search("hashmap", k=5) == []
    assert ix.search("BTreeMap", k=1)[0][0] == 2
    ix.update((), [2, 999])
    assert len(ix) == 3
    assert ix.search("tree", k=5) == []


def test_updates_are_searchable_at_once_and_after_their_commit() -> None:
    ix = index()
    for round_ in range(20):  # some searches run while the background commit does
        ix.update([(3, f"find_iter version{round_} successive matches")], [2])
        assert ix.search(f"version{round_}", k=2) == [(3, ix.search(f"version{round_}")[0][1])]
        assert ix.search("hashmap", k=5) == []
        assert len(ix) == 3
    ix.flush()
    assert [i for i, _ in ix.search("version19 successive", k=5)] == [3]
    assert ix.search("version18", k=5) == []


def test_recent_texts_score_like_committed_ones() -> None:
    """The scores given to uncommitted texts follow tantivy's BM25 (same statistics)."""
    docs = [(i, f"alpha beta{i % 7} gamma{i % 3} " + "filler " * (i % 11)) for i in range(1, 300)]
    ix = LexicalIndex(docs)
    committed = dict(ix.search("alpha beta3 gamma1", k=300))
    searcher = ix._index.searcher()
    recent = {i: _Text(t.split(), Counter(t.split())) for i, t in docs[:40]}
    scored = dict(ix._score_recent(searcher, ["alpha", "beta3", "gamma1"], recent))
    assert scored.keys() == {i for i, _ in docs[:40]}
    top = max(committed.values())
    for item_id, score in scored.items():
        # Recent texts count twice in the document frequencies; tantivy rounds lengths.
        assert abs(score - committed[item_id]) <= 0.05 * top, item_id
    assert (
        sorted(scored, key=lambda i: -scored[i])[:5]
        == sorted(scored, key=lambda i: -committed[i])[:5]
    )
