"""BM25 lexical search over item names, signatures and docs (tantivy)."""

from __future__ import annotations

from rustragd.lexical import LexicalIndex, lexical_text, terms
from rustragd.model import Item


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
