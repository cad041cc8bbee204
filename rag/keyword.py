"""The persistent keyword index: SQLite FTS5 with BM25 ranking.

Dense embeddings miss exact names, aliases and dates ("Jacques Mornard",
"NKVD", "1940"); BM25 finds them. The index lives in one SQLite file per
Chroma collection (`keyword-<collection>.sqlite`) and is a cache derived from
Chroma: the writer updates it as it writes Chroma, every other process
replays Chroma's change log into it before it searches (see `rag.store`).
It remembers the last generation it has applied and which collection (by
Chroma's collection id) it describes.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    header, text, content='chunks', content_rowid='rowid',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS chunks_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, header, text) VALUES (new.rowid, new.header, new.text);
END;
CREATE TRIGGER IF NOT EXISTS chunks_ad AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, header, text) VALUES ('delete', old.rowid, old.header, old.text);
END;
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

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
    if len(term) <= 3:
        return any(term + end in words for end in ("s", "d", "ed", "es"))
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
        self._lock = threading.Lock()
        # Called before every search, to bring the cache up to date (set by the Index).
        self.before_read: Callable[[], None] | None = None
        with self._lock:
            self._db.executescript(_SCHEMA)

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
        with self._lock, self._db:
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

    def doc_freq(self, terms: list[str]) -> dict[str, int]:
        """How many chunks contain each term (after FTS5's stemming)."""
        if self.before_read:
            self.before_read()
        out = {}
        with self._lock:
            for t in terms:
                q = '"' + t.replace('"', '""') + '"'
                out[t] = self._db.execute(
                    "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", (q,)
                ).fetchone()[0]
        return out

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM chunks").fetchone()[0]

    def search(self, query: str, k: int, source: str | None = None) -> list[KeywordHit]:
        if self.before_read:
            self.before_read()
        terms = query_terms(query)
        if not terms:
            return []
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        rank = f"bm25(chunks_fts, {HEADER_WEIGHT}, 1.0)"
        if source:
            sql = (f"SELECT c.id, -{rank} FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid "
                   f"WHERE chunks_fts MATCH ? AND c.source = ? ORDER BY {rank} LIMIT ?")
            args: tuple = (match, source, k)
        else:
            # Rank inside the full-text table first, then fetch only the k ids:
            # joining every match before the LIMIT costs 2x at 100k chunks.
            sql = (f"SELECT c.id, r.score FROM (SELECT rowid, -{rank} AS score FROM chunks_fts "
                   f"WHERE chunks_fts MATCH ? ORDER BY {rank} LIMIT ?) r JOIN chunks c ON c.rowid = r.rowid "
                   "ORDER BY r.score DESC")
            args = (match, k)
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [KeywordHit(i, s) for i, s in rows]

    def chunks_per_source(self) -> dict[str, int]:
        with self._lock:
            return dict(self._db.execute("SELECT source, count(*) FROM chunks GROUP BY source"))

    def chunk_ids_of(self, source: str) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT id FROM chunks WHERE source = ?", (source,))]
