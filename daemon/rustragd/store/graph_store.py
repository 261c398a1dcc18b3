"""The graph store: one embedded CozoDB per workspace (the only module importing pycozo)."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import fields
from functools import lru_cache
from pathlib import Path
from typing import Any

from pycozo.client import Client

from rustragd.delta import Delta
from rustragd.ids import hash64
from rustragd.model import (
    CONFIDENCES,
    ITEM_FIELDS,
    RELATIONS,
    Edge,
    FileExtract,
    Item,
    Resolution,
    TypeRecord,
)
from rustragd.store.embedding_cache import SCHEMA as EMBEDDING_SCHEMA
from rustragd.store.embedding_cache import EmbeddingCache
from rustragd.store.read_only import bounded_script

#: Bumped when what is stored changes meaning (5: macro-made items a wrapper's layers
#: repeat are merged; 6: facts carry the trait bounds of type parameters; 7: a file
#: row holds its target kind and package; 8-10: facts carry more of what types a
#: receiver (cfg of invocations, newtype fields, primitives, patterns); 11: macros in
#: type and expression position inside an expansion are expanded, renaming the items
#: made; 12: tuple types' heads; 13: receivers of literals and casts; 14: a trait's
#: supertraits; 15: where-clause bounds on an enclosing item's parameters; 16: bounds of
#: associated types; 17: a file's gate, the cfg of the mods reaching it; 18: raw pointers
#: are heads of their own), so that a state written before is rebuilt, not trusted.
SCHEMA_VERSION = 18
#: Edge or type rows per transaction when a whole graph is written.
GRAPH_CHUNK = 8192
#: Files whose edges one transaction drops when a whole graph is replaced.
_FILE_CHUNK = 256
#: Seconds a measure of the store's size on disk stays current.
DISK_BYTES_TTL_S = 2.0
#: RocksDB's memtable size by default. RocksDB holds up to two of them and, under
#: Cozo's transactions, as much again of flushed ones: its default of 64 MiB kept about
#: 110 MB resident after a cold index of a 100k-line crate.
WRITE_BUFFER_MB = 8

#: The RocksDB options file Cozo reads from the database directory (``options``): Cozo's
#: own defaults, but for the memtable size.
_ROCKSDB_OPTIONS = """\
[Version]
  rocksdb_version=8.1.1
  options_file_version=1.1

[DBOptions]
  max_background_jobs=6
  bytes_per_sync=1048576

[CFOptions "default"]
  write_buffer_size={write_buffer_bytes}
  max_write_buffer_number=2
  compression=kLZ4Compression
  bottommost_compression=kZSTD
  level_compaction_dynamic_level_bytes=true
  compaction_pri=kMinOverlappingRatio

[TableOptions/BlockBasedTable "default"]
  block_size=16384
  format_version=5
  cache_index_and_filter_blocks=true
  pin_l0_filter_and_index_blocks_in_cache=true
"""

#: Item columns in :data:`ITEM_FIELDS` order (``qualified_name`` is stored as ``qualname``).
_ITEM_COLUMNS = tuple("qualname" if name == "qualified_name" else name for name in ITEM_FIELDS)
#: Item columns keying an item row; the others are its values.
_ITEM_KEY = ("path", "id")
_ITEM_VALUES = tuple(column for column in _ITEM_COLUMNS if column not in _ITEM_KEY)
#: Each item column's Cozo type, from its field's annotation.
_ITEM_TYPES = {
    column: {"int": "Int", "str": "String"}[str(f.type)]
    for column, f in zip(_ITEM_COLUMNS, fields(Item), strict=True)
}


def _typed(columns: Iterable[str]) -> str:
    return ", ".join(f"{column}: {_ITEM_TYPES[column]}" for column in columns)


_ITEM_SCHEMA = f"{{{_typed(_ITEM_KEY)} => {_typed(_ITEM_VALUES)}}}"
#: The item columns of a query or of a ``:put``, listed.
_ITEM_LISTED = ", ".join(_ITEM_COLUMNS)
_ITEM_PUT = f"{', '.join(_ITEM_KEY)} => {', '.join(_ITEM_VALUES)}"
#: What :meth:`GraphStore.load_items` reads: doc and snippet stay on disk until a hit needs them.
_BRIEF_COLUMNS = tuple(column for column in _ITEM_COLUMNS if column not in ("doc", "snippet"))
_BRIEF_FIELDS = tuple(ITEM_FIELDS[_ITEM_COLUMNS.index(column)] for column in _BRIEF_COLUMNS)
_BRIEF_LISTED = ", ".join(_BRIEF_COLUMNS)

_SCHEMA = (
    ":create meta {key: String => value: String}",
    ":create file {path: String => hash: String, lines: Int, size: Int, errors: Int,"
    " module: String, target: String, crate: String, gate: String}",
    ":create facts {path: String => blob: Bytes}",
    f":create item {_ITEM_SCHEMA}",
    # Items made by expanding crate-local macros: replaced with the graph, not per file.
    f":create derived_item {_ITEM_SCHEMA}",
    # Keyed by the file the reference is written in first (its id, see edge_file): a
    # file's edges are one range. Relations and confidences are their index in
    # rustragd.model.RELATIONS and CONFIDENCES: each string in a row costs Cozo's
    # parameter conversion ~2 us, the biggest share of writing a graph's ~100k rows.
    ":create edge {file: Int, src: Int, rel: Int, dst: Int, line: Int, target: String"
    " => confidence: Int, via: Int, extra: String}",
    ":create edge_file {file: Int => path: String}",
    ":create type {fingerprint: String => canonical: String, definition: Int}",
    # The names of the codes in edge rows, for the read-only query console.
    ":create relation_name {code: Int => name: String}",
    ":create confidence_name {code: Int => name: String}",
    *EMBEDDING_SCHEMA,
)
#: Characters of a Cozo error a failed query's message keeps.
_QUERY_ERROR_CHARS = 600

#: Columns of an ``edge`` row, as :func:`_edge_row` orders them; the key first.
_EDGE_COLUMNS = "file, src, rel, dst, line, target, confidence, via, extra"
_EDGE_KEY = "file, src, rel, dst, line, target"
_RELATION_CODES = {name: code for code, name in enumerate(RELATIONS)}
_CONFIDENCE_CODES = {name: code for code, name in enumerate(CONFIDENCES)}


class StoreError(Exception):
    """The store cannot be opened or written."""


class QueryFailed(ValueError):
    """Cozo could not run a read-only query (its message, cut)."""


def _write_options(path: Path, write_buffer_mb: int) -> None:
    """Put the RocksDB options in the database directory, where Cozo reads them on open."""
    path.mkdir(parents=True, exist_ok=True)
    options = _ROCKSDB_OPTIONS.format(write_buffer_bytes=write_buffer_mb << 20)
    target = path / "options"
    if not target.is_file() or target.read_text() != options:
        written = path / "options.tmp"
        written.write_text(options)
        written.replace(target)


class GraphStore:
    """Files and items of one workspace, persisted in CozoDB (RocksDB engine).

    Writes of one batch of files happen in one transaction, so a kill at any
    moment leaves each file either fully old or fully new.
    """

    def __init__(self, path: Path, write_buffer_mb: int = WRITE_BUFFER_MB) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._disk_bytes, self._disk_bytes_at = 0, -DISK_BYTES_TTL_S
        try:
            _write_options(path, write_buffer_mb)
            self._db = Client("rocksdb", str(path), dataframe=False)
        except Exception as exc:
            raise StoreError(f"cannot open the store at {path}: {exc}") from exc
        self._ensure_schema()
        #: The embedding cache, in this database.
        self.embeddings = EmbeddingCache(self._run)

    def _run(self, script: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
        with self._lock:
            result = self._db.run(script, params or {})
        rows: list[list[Any]] = result["rows"]
        return rows

    def _ensure_schema(self) -> None:
        existing = {row[0] for row in self._run("::relations")}
        for statement in _SCHEMA:
            name = statement.split()[1]
            if name not in existing:
                self._run(statement)
        self._run(
            "?[key, value] <- [['schema', $v]] :put meta {key => value}",
            {"v": str(SCHEMA_VERSION)},
        )
        for relation, names in (("relation_name", RELATIONS), ("confidence_name", CONFIDENCES)):
            self._run(
                f"?[code, name] <- $rows :put {relation} {{code => name}}",
                {"rows": [[code, name] for code, name in enumerate(names)]},
            )

    def query(self, script: str, timeout_s: float, max_rows: int) -> dict[str, Any]:
        """A read-only CozoScript's answer, ``{headers, rows, took_ms, truncated}``
        (:func:`~rustragd.store.read_only.bounded_script` says what is run; raises its
        ``QueryRefused``, or :class:`QueryFailed`)."""
        bounded = bounded_script(script, timeout_s, max_rows)
        started = time.perf_counter()
        try:
            with self._lock:
                result = self._db.run(bounded, {}, immutable=True)
        except Exception as exc:  # pycozo raises its own error type with Cozo's message
            message = " ".join(str(exc).split())
            if len(message) > _QUERY_ERROR_CHARS:
                message = message[:_QUERY_ERROR_CHARS] + "..."
            raise QueryFailed(message) from exc
        rows: list[list[Any]] = result["rows"]
        return {
            "headers": result["headers"],
            "rows": rows[:max_rows],
            "took_ms": round((time.perf_counter() - started) * 1000, 3),
            "truncated": len(rows) > max_rows,
        }

    def close(self) -> None:
        """Flush and close the database."""
        with self._lock:
            self._db.close()

    def file_stats(self) -> list[tuple[str, str, int, int, str, str, str, str]]:
        """``(path, hash, lines, errors, module, target, crate, gate)`` of every stored file."""
        columns = "path, hash, lines, errors, module, target, crate, gate"
        rows = self._run(f"?[{columns}] := *file{{{columns}}}")
        return [(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]) for r in rows]

    def load_items(self, relation: str = "item") -> list[Item]:
        """Every stored item, without doc and snippet (kept on disk until a hit needs them).

        ``relation`` is ``item`` (items of files) or ``derived_item`` (macro-made).
        """
        rows = self._run(f"?[{_BRIEF_LISTED}] := *{relation}{{{_BRIEF_LISTED}}}")
        return [Item(**dict(zip(_BRIEF_FIELDS, row, strict=True))) for row in rows]

    def load_facts(self) -> dict[str, bytes]:
        """Every file's facts blob, for whole-workspace resolution."""
        return {
            path: bytes(blob) for path, blob in self._run("?[path, blob] := *facts{path, blob}")
        }

    def graph_stale(self) -> bool:
        """Whether files changed since the graph was last resolved."""
        rows = self._run("?[value] := *meta{key: 'graph_stale', value}")
        return bool(rows) and rows[0][0] == "1"

    def load_edges(self) -> list[Edge]:
        """Every stored edge."""
        paths = dict(self._run("?[file, path] := *edge_file{file, path}"))
        rows = self._run(f"?[{_EDGE_COLUMNS}] := *edge{{{_EDGE_COLUMNS}}}")
        return [  # a callee's name or a type's fingerprint, held once (interned)
            Edge(
                src,
                RELATIONS[rel],
                dst,
                CONFIDENCES[confidence],
                line,
                paths[file],
                sys.intern(target),
                via,
                sys.intern(extra),
            )
            for file, src, rel, dst, line, target, confidence, via, extra in rows
        ]

    def patch_edges(
        self,
        removed: Sequence[Edge],
        added: Sequence[Edge],
        types: Sequence[TypeRecord],
        made: Delta | None,
    ) -> None:
        """Drop the ``removed`` edges and put the ``added`` ones, add ``types`` and apply
        the derived items' delta, in one transaction: an edit's share of the graph."""
        self._write_graph(removed, added, types, None, made)

    def replace_graph(self, resolution: Resolution) -> None:
        """Swap every edge, type and derived item for ``resolution``'s.

        In transactions of :data:`GRAPH_CHUNK` rows: converting a whole graph's rows at
        once held 200 to 260 MB on 78k edges, a chunk holds a tenth. The graph is marked
        stale in the first and fresh in the last, so a kill in between leaves a graph
        that the next start resolves again (as after any change of files).
        """
        stale = "{ ?[key, value] <- [['graph_stale', '1']] :put meta {key => value} }"
        files = [row[0] for row in self._run("?[file] := *edge_file{file}")]
        self._run(stale)
        for start in range(0, len(files), _FILE_CHUNK):
            self._run(
                f"{{ f[file] <- $files ?[{_EDGE_KEY}] := f[file], *edge{{{_EDGE_KEY}}}"
                f" :rm edge {{{_EDGE_KEY}}} }}"
                "{ ?[file] <- $files :rm edge_file {file} }",
                {"files": [[file] for file in files[start : start + _FILE_CHUNK]]},
            )
        self._run("?[fingerprint] := *type{fingerprint} :rm type {fingerprint}")
        edges = list(dict.fromkeys(resolution.edges))
        for start in range(0, len(edges), GRAPH_CHUNK):
            self._write_graph([], edges[start : start + GRAPH_CHUNK], [], None, fresh=False)
        types = resolution.types
        for start in range(0, len(types), GRAPH_CHUNK):
            self._write_graph([], [], types[start : start + GRAPH_CHUNK], None, fresh=False)
        self._write_graph([], [], [], resolution.items)

    def _write_graph(
        self,
        removed: Sequence[Edge],
        edges: Sequence[Edge],
        types: Sequence[TypeRecord],
        items: Sequence[Item] | None,
        made: Delta | None = None,
        fresh: bool = True,
    ) -> None:
        """One transaction: drop the ``removed`` edges, put ``edges`` and ``types``,
        replace the derived items when ``items`` is given or apply their delta ``made``,
        and mark the graph ``fresh``."""
        script = f"{{ ?[{_EDGE_KEY}] <- $removed :rm edge {{{_EDGE_KEY}}} }}"
        script += (
            "{ ?[file, path] <- $files :put edge_file {file => path} }"
            f"{{ ?[{_EDGE_COLUMNS}] <- $edges"
            f" :put edge {{{_EDGE_KEY} => confidence, via, extra}} }}"
            "{ ?[fingerprint, canonical, definition] <- $types"
            " :put type {fingerprint => canonical, definition} }"
        )
        if items is not None:
            script += (
                "{ ?[path, id] := *derived_item{path, id} :rm derived_item {path, id} }"
                f"{{ ?[{_ITEM_LISTED}] <- $items :put derived_item {{{_ITEM_PUT}}} }}"
            )
        written: list[Item] = []
        if made is not None:
            written = made.added + made.updated + made.moved
            script += (
                "{ r[id] <- $gone ?[path, id] := r[id], *derived_item{path, id}"
                " :rm derived_item {path, id} }"
                f"{{ ?[{_ITEM_LISTED}] <- $items :put derived_item {{{_ITEM_PUT}}} }}"
            )
        if fresh:
            script += "{ ?[key, value] <- [['graph_stale', '0']] :put meta {key => value} }"
        self._run(
            script,
            {
                "gone": [[item_id] for item_id in made.removed] if made is not None else [],
                "removed": [_edge_row(e)[:6] for e in removed],
                "files": [(_file_id(path), path) for path in {e.path for e in edges}],
                # The relation is a set: equal edges (a call made twice on a line) are one
                # row, so convert each once.
                "edges": [_edge_row(e) for e in dict.fromkeys(edges)],
                "types": [[t.fingerprint, t.canonical, t.definition] for t in types],
                "items": [item.as_row() for item in items or written],
            },
        )

    def type_heads(self, fingerprints: Iterable[str]) -> dict[str, int]:
        """``fingerprint -> defining item`` of the types whose expression is headed by a
        local item (``Map<String, Value>``: ``Map``)."""
        keys = [[fingerprint] for fingerprint in fingerprints]
        if not keys:
            return {}
        rows = self._run(
            "k[fingerprint] <- $keys"
            " ?[fingerprint, definition] := k[fingerprint], *type{fingerprint, definition},"
            " definition != 0",
            {"keys": keys},
        )
        return {row[0]: row[1] for row in rows}

    def items_of(self, path: str) -> list[Item]:
        """The stored items of one file, with doc and snippet."""
        # ``path`` bound before the atom: a key-prefix scan, not a scan of every item.
        rows = self._run(
            f"?[{_ITEM_LISTED}] := path = $path, *item{{{_ITEM_LISTED}}}", {"path": path}
        )
        return [Item.from_row(row) for row in rows]

    def item_details(self, keys: Iterable[tuple[str, int]]) -> dict[int, tuple[str, str]]:
        """``id -> (doc, snippet)`` for the given ``(path, id)`` keys."""
        key_rows = [[path, item_id] for path, item_id in keys]
        if not key_rows:
            return {}
        rows = self._run(
            "k[path, id] <- $keys"
            " ?[id, doc, snippet] := k[path, id], *item{path, id, doc, snippet}"
            " ?[id, doc, snippet] := k[path, id], *derived_item{path, id, doc, snippet}",
            {"keys": key_rows},
        )
        return {row[0]: (row[1], row[2]) for row in rows}

    def replace_files(self, extracts: Sequence[FileExtract], removed: Sequence[str] = ()) -> None:
        """Replace the items of the given files, and drop ``removed`` files, in one transaction."""
        paths = [[e.path] for e in extracts] + [[p] for p in removed]
        if not paths:
            return
        item_rows = [item.as_row() for e in extracts for item in e.items]
        file_rows = [
            [
                e.path,
                e.content_hash,
                e.lines,
                e.size,
                e.error_count,
                e.module,
                e.target,
                e.crate,
                e.gate,
            ]
            for e in extracts
        ]
        facts_rows = [[e.path, e.facts] for e in extracts]
        script = (
            "{ p[path] <- $paths ?[path, id] := p[path], *item{path, id} :rm item {path, id} }"
            "{ ?[path] <- $paths :rm file {path} }"
            "{ ?[path] <- $paths :rm facts {path} }"
            f"{{ ?[{_ITEM_LISTED}] <- $items :put item {{{_ITEM_PUT}}} }}"
            "{ ?[path, hash, lines, size, errors, module, target, crate, gate] <- $files"
            " :put file {path => hash, lines, size, errors, module, target, crate, gate} }"
            "{ ?[path, blob] <- $facts :put facts {path => blob} }"
            "{ ?[key, value] <- [['graph_stale', '1']] :put meta {key => value} }"
        )
        self._run(
            script, {"paths": paths, "items": item_rows, "files": file_rows, "facts": facts_rows}
        )

    def full_items(self) -> list[Item]:
        """Every item with doc and snippet (start-up of the retrieval indexes)."""
        items = []
        for relation in ("item", "derived_item"):
            rows = self._run(f"?[{_ITEM_LISTED}] := *{relation}{{{_ITEM_LISTED}}}")
            items += [Item.from_row(row) for row in rows]
        return items

    def disk_bytes(self) -> int:
        """Bytes used on disk by the database (a RocksDB directory), measured at most every
        :data:`DISK_BYTES_TTL_S` (``status`` asks often; a shell prompt may ask per line)."""
        now = time.monotonic()
        if now - self._disk_bytes_at > DISK_BYTES_TTL_S:
            self._disk_bytes = sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())
            self._disk_bytes_at = now
        return self._disk_bytes


@lru_cache(maxsize=65536)
def _file_id(path: str) -> int:
    """The signed 64-bit id of a workspace-relative path in ``edge`` rows."""
    return hash64(path.encode())


def _edge_row(edge: Edge) -> tuple[int, int, int, int, int, str, int, int, str]:
    """An edge as an ``edge`` row (columns in :data:`_EDGE_COLUMNS` order)."""
    return (
        _file_id(edge.path),
        edge.src,
        _RELATION_CODES[edge.rel],
        edge.dst,
        edge.line,
        edge.target,
        _CONFIDENCE_CODES[edge.confidence],
        edge.via,
        edge.extra,
    )
