"""Keyword engines side by side at 100k chunks: the current FTS5 plan, a
smarter FTS5 plan, and tantivy (top-k pruning), on the same synthetic chunks.

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


def build(a) -> dict:
    import numpy as np

    from index_bench import Synth
    from rag.keyword import KeywordIndex

    out = Path(a.dir)
    out.mkdir(parents=True, exist_ok=True)
    synth, rng = Synth(), np.random.default_rng(1940)
    kw = KeywordIndex(out / "keyword.sqlite")
    t0 = time.perf_counter()
    gen_s = 0.0
    for first in range(0, a.n, 5000):
        g = time.perf_counter()
        ids, texts, metas, _ = synth.chunks(rng, first, min(5000, a.n - first))
        gen_s += time.perf_counter() - g
        kw.apply(list(zip(ids, texts, metas)), [], first)
    return {"chunks": kw.count(), "build_s": time.perf_counter() - t0 - gen_s}


def query(a) -> dict:
    import statistics

    from index_bench import queries
    from rag.keyword import KeywordIndex

    kw = KeywordIndex(Path(a.dir) / "keyword.sqlite")
    qs = queries(a.queries)
    fn = {"fts5-or": kw._search_fts_or, "current": kw.search}[a.engine]
    fn(qs[0], K)  # first query opens files
    times, results = [], []
    for q in qs:
        t = time.perf_counter()
        hits = fn(q, K)
        times.append(time.perf_counter() - t)
        results.append([h.id for h in hits])
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
    res = {"built": run("--worker", "build"), "engines": {}}
    base = None
    for engine in ("fts5-or", "current"):
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
