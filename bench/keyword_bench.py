"""Keyword engines side by side at 100k chunks: the FTS5 query the index used
before (OR of the words, every match scored), a smarter FTS5 plan (only chunks
holding a rarer word are scored), and tantivy (top-k pruning, what
rag.keyword.KeywordIndex now uses), on the same synthetic chunks.

    python bench/keyword_bench.py [--n 100000] [--queries 200] [--out docs/bench/keyword.json]

The chunks are `index_bench.Synth` texts (the corpus vocabulary at its word
frequencies, so the commonest query words match about half the chunks, as in
index_bench). The index is built in one child process; the queries run in a
fresh child process per engine (cold caches of Python objects, warm OS page
cache, as a search process after the first query). Reported per engine:
p50/p95/max ms over the same queries (index_bench's mix of names and
eval/qa.jsonl questions), the load average, and how many of the current
plan's top-30 ids each engine also returns (agreement; quality on the real
corpus is `rag eval`, see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

K = 30  # candidates per retriever (Settings.candidates)


COMMON_DOCS = 5000  # fts5-plan: a word in more chunks than this only re-ranks
FTS_SCHEMA = """
CREATE TABLE chunks(rowid INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, header TEXT NOT NULL, text TEXT NOT NULL);
CREATE VIRTUAL TABLE chunks_fts USING fts5(header, text, content='chunks', content_rowid='rowid',
    tokenize='porter unicode61 remove_diacritics 2');
"""


def build(a) -> dict:
    import sqlite3

    import numpy as np

    from index_bench import Synth
    from rag.keyword import KeywordIndex

    out = Path(a.dir)
    if out.exists():
        import shutil

        shutil.rmtree(out)
    out.mkdir(parents=True)
    synth, rng = Synth(), np.random.default_rng(1940)
    kw = KeywordIndex(out / "keyword.sqlite")
    fts = sqlite3.connect(out / "fts.sqlite")
    fts.executescript(FTS_SCHEMA)
    t_kw = t_fts = 0.0
    for first in range(0, a.n, 5000):
        ids, texts, metas, _ = synth.chunks(rng, first, min(5000, a.n - first))
        t = time.perf_counter()
        kw.apply(list(zip(ids, texts, metas)), [], first)
        t_kw += time.perf_counter() - t
        t = time.perf_counter()
        with fts:
            fts.executemany("INSERT INTO chunks(id, header, text) VALUES (?, ?, ?)",
                            [(i, kw_header(m), x) for i, x, m in zip(ids, texts, metas)])
        t_fts += time.perf_counter() - t
    t = time.perf_counter()
    with fts:
        fts.execute("INSERT INTO chunks_fts(chunks_fts) VALUES ('rebuild')")
    t_fts += time.perf_counter() - t
    return {"chunks": kw.count(), "tantivy_build_s": t_kw, "fts5_build_s": t_fts}


def kw_header(m: dict) -> str:
    from rag.keyword import chunk_header

    return chunk_header(m)


class Fts5:
    """The two FTS5 plans, on bench's own FTS5 table."""

    def __init__(self, path: Path):
        import sqlite3

        self.db = sqlite3.connect(path)

    @staticmethod
    def _q(t: str) -> str:
        return '"' + t.replace('"', '""') + '"'

    def or_all(self, query: str, k: int, terms=None) -> list[str]:
        from rag.keyword import HEADER_WEIGHT, query_terms

        terms = query_terms(query) if terms is None else terms
        if not terms:
            return []
        rank = f"bm25(chunks_fts, {HEADER_WEIGHT}, 1.0)"
        sql = (f"SELECT c.id FROM (SELECT rowid, -{rank} AS score FROM chunks_fts WHERE chunks_fts MATCH ? "
               f"ORDER BY {rank} LIMIT ?) r JOIN chunks c ON c.rowid = r.rowid ORDER BY r.score DESC")
        return [r[0] for r in self.db.execute(sql, (" OR ".join(map(self._q, terms)), k))]

    def plan(self, query: str, k: int) -> list[str]:
        """Score only chunks holding a word in <= COMMON_DOCS chunks; common words
        still add their weight (two queries, with and without them, same phrases
        so the same BM25 scale); fall back to or_all when that finds < k."""
        from rag.keyword import HEADER_WEIGHT, query_terms

        terms = query_terms(query)
        if not terms:
            return []
        common = [t for t in terms if self.db.execute(
            "SELECT count(*) FROM (SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? LIMIT ?)",
            (self._q(t), COMMON_DOCS + 1)).fetchone()[0] > COMMON_DOCS]
        rare = [t for t in terms if t not in common]
        if not common or not rare:
            return self.or_all(query, k, terms)
        any_rare = "(" + " OR ".join(map(self._q, rare)) + ")"
        any_common = "(" + " OR ".join(map(self._q, common)) + ")"
        rank = f"bm25(chunks_fts, {HEADER_WEIGHT}, 1.0)"
        inner = f"SELECT rowid, -{rank} AS score FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY {rank} LIMIT ?"
        sql = (f"SELECT c.id FROM (SELECT * FROM ({inner}) UNION ALL SELECT * FROM ({inner})) r "
               "JOIN chunks c ON c.rowid = r.rowid ORDER BY r.score DESC LIMIT ?")
        rows = [r[0] for r in self.db.execute(sql, (f"{any_rare} AND {any_common}", k,
                                                     f"{any_rare} NOT {any_common}", k, k))]
        return rows if len(rows) >= k else self.or_all(query, k, terms)


def query(a) -> dict:
    import statistics

    from index_bench import queries
    from rag.keyword import KeywordIndex

    qs = queries(a.queries)
    if a.engine == "tantivy":
        kw = KeywordIndex(Path(a.dir) / "keyword.sqlite")
        fn = lambda q, k: [h.id for h in kw.search(q, k)]  # noqa: E731
    else:
        f = Fts5(Path(a.dir) / "fts.sqlite")
        fn = {"fts5-or": f.or_all, "fts5-plan": f.plan}[a.engine]
    fn(qs[0], K)  # first query opens files
    times, results = [], []
    for q in qs:
        t = time.perf_counter()
        ids = fn(q, K)
        times.append(time.perf_counter() - t)
        results.append(ids)
    times.sort()
    pct = lambda p: 1000 * times[min(len(times) - 1, int(p * len(times)))]  # noqa: E731
    return {"engine": a.engine, "p50_ms": pct(0.5), "p95_ms": pct(0.95), "max_ms": 1000 * times[-1],
            "mean_ms": 1000 * statistics.fmean(times), "load": os.getloadavg(), "results": results}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--dir", default="/tmp/keyword-bench")
    ap.add_argument("--out", default="")
    ap.add_argument("--worker", default="")
    ap.add_argument("--engine", default="")
    a = ap.parse_args()
    if a.worker:
        print(json.dumps({"build": build, "query": query}[a.worker](a)))
        return
    me = [sys.executable, __file__, "--n", str(a.n), "--queries", str(a.queries), "--dir", a.dir]
    run = lambda *x: json.loads(subprocess.run([*me, *x], capture_output=True, text=True, check=True).stdout)  # noqa: E731
    res = {"built": run("--worker", "build"), "engines": {}, "load_before": os.getloadavg()}
    print("built", res["built"], flush=True)
    base = None
    for engine in ("fts5-or", "fts5-plan", "tantivy"):
        r = run("--worker", "query", "--engine", engine)
        results = r.pop("results")
        if base is None:
            base = results
        r["agreement_top30"] = sum(len(set(x) & set(y)) for x, y in zip(base, results)) / sum(len(x) for x in base)
        res["engines"][engine] = r
        print(engine, {k: (round(v, 2) if isinstance(v, float) else v) for k, v in r.items()}, flush=True)
    if a.out:
        Path(a.out).write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
