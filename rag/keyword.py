"""The persistent keyword index: BM25 over the passages (tantivy), texts in SQLite.

Dense embeddings miss exact names, aliases and dates ("Jacques Mornard",
"NKVD", "1940"); BM25 finds them. Per Chroma collection the index is a SQLite
file (`keyword-<collection>.sqlite`: passage texts, metadata, the generation
applied) and a tantivy index beside it (`keyword-<collection>.tantivy/`),
whose top-k search prunes (block-max WAND) instead of scoring every chunk
that shares a word with the query: at 100k chunks keyword search p95 went
from 526 ms (SQLite FTS5, OR of the words) to under 10 ms on the same loaded
machine (bench/keyword_bench.py, docs/benchmarks.md).

Both are a cache derived from Chroma: the writer updates it as it writes
Chroma, every other process replays Chroma's change log into it before it
searches (see `rag.store`). It remembers the last generation it has applied
and which collection (by Chroma's collection id) it describes. Writes are
serialised across processes by a file lock (tantivy allows one writer), and
tantivy commits before SQLite records the generation, so a crash between
the two only makes the next sync apply the same change again.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import tantivy
from filelock import FileLock

_SCHEMA = """
PRAGMA journal_mode=WAL;
CREATE TABLE IF NOT EXISTS chunks(
    rowid INTEGER PRIMARY KEY,
    id TEXT UNIQUE NOT NULL,
    source TEXT NOT NULL,
    header TEXT NOT NULL,
    text TEXT NOT NULL,
    metadata TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_source ON chunks(source);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
DROP TRIGGER IF EXISTS chunks_ai;
DROP TRIGGER IF EXISTS chunks_ad;
DROP TABLE IF EXISTS chunks_fts;
"""
WRITER_HEAP = 15_000_000  # bytes: tantivy's minimum per writer thread; batches are small


def _tantivy_schema():
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_text_field("source", tokenizer_name="raw")
    # Porter-style English stemming, as FTS5's porter tokenizer had; no positions (no phrase queries).
    sb.add_text_field("header", tokenizer_name="en_stem", index_option="freq")
    sb.add_text_field("text", tokenizer_name="en_stem", index_option="freq")
    return sb.build()


# Words that carry no evidence; matching them would rank every chunk.
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers herself him himself his how
    i if in into is it its itself just me more most my myself no nor not now of off on
    once only or other our ours out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would
    you your yours tell know say said says did does whose one""".split()
)

_WORD = re.compile(r"\w+", re.UNICODE)
HEADER_WEIGHT = 0.5  # a title word counts half as much as a word of the passage itself


def chunk_header(metadata: dict) -> str:
    """Where a chunk stands ("Title / Section"): indexed with it, so a passage
    that says "he" is still found under the name its document is about."""
    parts = [str(metadata.get("title", "")), str(metadata.get("section", ""))]
    return " / ".join(p for p in parts if p)


def query_terms(text: str) -> list[str]:
    """Lower-cased content words of a query, in order, without repeats."""
    seen: dict[str, None] = {}
    for w in _WORD.findall(text.lower()):
        if w not in STOPWORDS and (len(w) > 1 or w.isdigit()):
            seen.setdefault(w, None)
    return list(seen)


def _prefix(word: str) -> str:
    return word if len(word) <= 4 else word[: max(4, len(word) - 3)]


def words_of(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def term_in(term: str, words: set[str]) -> bool:
    """Does `term` occur among `words`, up to a crude stem? ("die" ~ "died",
    "poisoned" ~ "poisoning"): one rule for every lexical check in the library."""
    if term in words:
        return True
    if len(term) <= 3:  # "win" ~ "wins", "winner", "winning"
        doubled = term + term[-1]
        return any(term + end in words for end in ("s", "d", "ed", "es")) or any(
            stem + end in words for stem in (term, doubled) for end in ("er", "ers", "ing"))
    p = _prefix(term)
    return any(w.startswith(p) for w in words)


@dataclass(frozen=True)
class KeywordHit:
    id: str
    score: float  # BM25, higher is better


class KeywordIndex:
    """BM25 over chunk texts: a cache of one Chroma collection."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=30)
        self._lock = threading.RLock()
        # Called before every search, to bring the cache up to date (set by the Index).
        self.before_read: Callable[[], None] | None = None
        self._write_lock = FileLock(str(path) + ".lock")
        tv_dir = path.with_suffix(".tantivy")
        with self._write_lock, self._lock:
            self._db.executescript(_SCHEMA)
            fresh = not (tv_dir.is_dir() and tantivy.Index.exists(str(tv_dir)))
            tv_dir.mkdir(exist_ok=True)
            self._schema = _tantivy_schema()
            self._tv = tantivy.Index(self._schema, path=str(tv_dir))
            if fresh:  # no search index for these rows (new, or an FTS5-era cache): refill
                with self._db:
                    self._db.execute("DELETE FROM chunks")
                    self._db.execute("DELETE FROM meta")
        self._reloaded_at = self.state()[0]

    # -- what the cache has applied -------------------------------------
    def state(self) -> tuple[int, str]:
        """(generation applied, collection id) -- (-1, "") for a cache never filled."""
        with self._lock:
            rows = dict(self._db.execute("SELECT key, value FROM meta"))
        return int(rows.get("gen", -1)), rows.get("collection", "")

    def _set_state(self, gen: int, collection: str | None = None) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES ('gen', ?)", (str(gen),))
        if collection is not None:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('collection', ?)", (collection,))

    def apply(self, upserts: list[tuple[str, str, dict]], deletes: list[str], gen: int | None = None,
              *, reload_sources: list[str] = (), collection: str | None = None, replace: bool = False) -> None:
        """One transaction: drop `deletes` (or everything, if `replace`, or the
        chunks of `reload_sources`), write `upserts` (id, text, metadata) and
        record the generation reached."""
        rows = [(i, m.get("source", ""), chunk_header(m), t, json.dumps(m, ensure_ascii=False))
                for i, t, m in upserts]
        with self._write_lock, self._lock:
            w = self._tv.writer(heap_size=WRITER_HEAP, num_threads=1)
            if replace:
                w.delete_all_documents()
            for src in reload_sources:
                w.delete_documents_by_term("source", src)
            for i in deletes + [r[0] for r in rows]:
                w.delete_documents_by_term("id", i)
            for i, src, header, text, _ in rows:
                w.add_document(tantivy.Document(id=i, source=src, header=header, text=text))
            w.commit()
            del w  # releases tantivy's writer lock
            self._apply_rows(rows, deletes, gen, reload_sources, collection, replace)
            self._tv.reload()

    def _apply_rows(self, rows, deletes, gen, reload_sources, collection, replace) -> None:
        with self._db:
            if replace:
                self._db.execute("DELETE FROM chunks")
            for src in reload_sources:
                self._db.execute("DELETE FROM chunks WHERE source = ?", (src,))
            self._db.executemany("DELETE FROM chunks WHERE id = ?", [(i,) for i in deletes + [r[0] for r in rows]])
            self._db.executemany(
                "INSERT INTO chunks(id, source, header, text, metadata) VALUES (?, ?, ?, ?, ?)", rows
            )
            if gen is not None:
                self._set_state(gen, collection)

    def close(self) -> None:
        self._db.close()

    # -- chunks ---------------------------------------------------------
    def upsert(self, ids: list[str], texts: list[str], metadatas: list[dict]) -> None:
        self.apply(list(zip(ids, texts, metadatas, strict=True)), [])

    def delete(self, ids: list[str]) -> None:
        self.apply([], list(ids))

    def ids(self) -> set[str]:
        with self._lock:
            return {r[0] for r in self._db.execute("SELECT id FROM chunks")}

    def get(self, ids: list[str]) -> dict[str, tuple[str, dict]]:
        """id -> (text, metadata) for the ids that exist."""
        out: dict[str, tuple[str, dict]] = {}
        with self._lock:
            for b in range(0, len(ids), 500):
                part = ids[b : b + 500]
                q = f"SELECT id, text, metadata FROM chunks WHERE id IN ({','.join('?' * len(part))})"
                for i, t, m in self._db.execute(q, part):
                    out[i] = (t, json.loads(m))
        return out

    def _searcher(self):
        """A searcher on the newest commit (another process may have written this cache)."""
        gen = self.state()[0]
        if gen != self._reloaded_at:
            self._tv.reload()
            self._reloaded_at = gen
        return self._tv.searcher()

    def _parse(self, terms: list[str]):
        # Terms are \w+ words, lower-cased: nothing the query language would read as syntax.
        return self._tv.parse_query(" ".join(terms), ["header", "text"], field_boosts={"header": HEADER_WEIGHT})

    def doc_freq(self, terms: list[str]) -> dict[str, int]:
        """How many chunks contain each term (after stemming)."""
        if self.before_read:
            self.before_read()
        with self._lock:
            searcher = self._searcher()
            return {t: searcher.search(self._parse([t]), 1, count=True).count for t in terms}

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM chunks").fetchone()[0]

    def search(self, query: str, k: int, source: str | None = None) -> list[KeywordHit]:
        """The k best chunks by BM25 over the query's content words (any of them)."""
        if self.before_read:
            self.before_read()
        terms = query_terms(query)
        if not terms:
            return []
        q = self._parse(terms)
        if source:
            q = tantivy.Query.boolean_query([
                (tantivy.Occur.Must, q),
                (tantivy.Occur.Must, tantivy.Query.const_score_query(
                    tantivy.Query.term_query(self._schema, "source", source), 0.0)),
            ])
        with self._lock:
            searcher = self._searcher()
            hits = searcher.search(q, k, count=False).hits
            found = [KeywordHit(searcher.doc(addr)["id"][0], score) for score, addr in hits]
        # equal scores in id order, not in the segment order of the moment (merges change it)
        return sorted(found, key=lambda h: (-h.score, h.id))

    def chunks_per_source(self) -> dict[str, int]:
        with self._lock:
            return dict(self._db.execute("SELECT source, count(*) FROM chunks GROUP BY source"))

    def chunk_ids_of(self, source: str) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT id FROM chunks WHERE source = ?", (source,))]
