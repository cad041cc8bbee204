"""Index benchmarks: ingestion, no-op re-ingest, hybrid retrieval latency at scale, memory.

    python bench/index_bench.py [--sizes 1000,10000,100000] [--out docs/bench/index.json]

Everything runs on the real components: a persistent Chroma folder opened
through `rag.index.Index`, the SQLite FTS5 keyword index, and the MiniLM
int8 ONNX embedder. Each measurement runs in its own child process (this
same script with `--worker ...`), so peak RSS (`resource.getrusage`) is per
measurement and no process start-up, import or model loading is inside a
timed figure (those are reported separately).

1. Ingestion: `Index.ingest()` of the real corpus/ into a fresh temporary
   data folder (loading, chunking, MiniLM embedding, Chroma + FTS5 + record
   manager writes); then the MiniLM embedder alone on the corpus chunks.
2. No-op re-ingest: the same corpus again, median of 5 runs, both as the
   bare `ingest()` call on an open Index and as open-Index-then-ingest
   (what `rag ingest` does after interpreter start-up).
3. Retrieval latency of `rag.retrieval.search` (hybrid: query embedding +
   Chroma + FTS5 + reciprocal-rank fusion) at each size. Each index is the
   real corpus (ingested normally) plus synthetic chunks written directly
   through the stores the index uses, because embedding 100k chunks with
   MiniLM would take hours on this machine:
     * texts: random sentences (80-150 words per chunk) drawn from the
       corpus vocabulary with its word frequencies; source
       `synthetic/doc-N.md` (10 chunks per document), a title of 3-5
       capitalised corpus words and a section heading;
     * vectors: real MiniLM embeddings of a pool of distinct synthetic texts
       (2,000 by default), each reused with small Gaussian noise
       (sigma 0.015 per dimension, cosine to the original ~0.95) and
       re-normalised; a chunk's vector is therefore NOT the embedding of its
       own text (the figures are latency, not retrieval quality);
     * written with the underlying Chroma collection's `upsert(...,
       embeddings=...)` in batches of 5,000 and `index.keywords.upsert` (one
       transaction per batch), so both the dense and the keyword path hold
       every chunk. (The record manager is not written: it plays no part in
       search.)
   Queries: eval/qa.jsonl questions plus name/date queries, 200 by default,
   after a cold first query and 5 warm-up queries (reported separately).
4. Memory: peak RSS of each child process, and RSS of a process that has
   only opened the index and the embedder.

Prints a Markdown table and writes JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # runnable from a checkout without installing
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")  # no network here; keep Chroma quiet

CHUNKS_PER_DOC = 10
BATCH = 5000
NOISE_SIGMA = 0.015
NAME_QUERIES = [
    "Mercader ice axe", "Jacques Mornard", "NKVD 1940", "Skripal Novichok", "Ramón Mercader",
    "Frank Jacson", "Coyoacán 1940", "Sudoplatov", "Eitingon", "Siqueiros raid May 1940",
    "Markov umbrella ricin", "Waterloo Bridge 1978", "Litvinenko polonium", "Millennium Hotel 2006",
    "Lugovoy Kovtun", "Bandera cyanide Munich", "Stashynsky 1959", "Rebet 12 October 1957",
    "Konovalets Rotterdam 1938", "Sudoplatov chocolate box bomb", "Ignace Reiss Lausanne",
    "Rudolf Klement 1938", "Lev Sedov Paris clinic", "Khokhlov thallium", "Kuzminov Spain 2024",
    "Navalny Novichok Tomsk", "Salisbury 2018", "Khangoshvili Berlin 2019", "GRU Unit 29155",
    "Shelepin Khrushchev", "Waldfriedhof", "Kreittmayrstraße 7", "Petrov Boshirov",
    "Dawn Sturgess Amesbury", "Zelimkhan Khangoshvili Tiergarten", "Robert Service quote",
    "Trotsky 21 August 1940", "Sylvia Ageloff", "Caridad Mercader", "Lecumberri prison",
]


# -- small helpers ----------------------------------------------------------
def rss_now_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def dir_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    xs = sorted(values)
    if not xs:
        return float("nan")
    pos = (len(xs) - 1) * p / 100
    lo, hi = int(pos), min(int(pos) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def stats_ms(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "max_ms": round(max(ms), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
    }


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = ""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    from importlib.metadata import version

    versions = {}
    for dist in ("chromadb", "onnxruntime", "tokenizers", "langchain-core", "langchain-chroma", "numpy"):
        try:
            versions[dist] = version(dist)
        except Exception:
            versions[dist] = "?"
    import sqlite3

    versions["sqlite"] = sqlite3.sqlite_version
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": cpu,
        "ram": mem,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
    }


def git_state() -> dict:
    """The commit measured, and whether rag/ differed from it."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
        except Exception:
            return ""

    return {"commit": git("rev-parse", "--short", "HEAD"), "rag_dirty": bool(git("status", "--porcelain", "--", "rag"))}


CHROMA_URL = os.environ.get("BENCH_CHROMA_URL", "")  # server mode: set by main() for its children


def settings_for(data: Path):
    from rag.config import Settings

    # Isolated from any .env / RAG_* environment, like the test-suite's settings.
    return Settings(_env_file=None, root=ROOT, data_dir=data, engine="extractive", openai_api_key=None,
                    base_url=None, chroma_url=CHROMA_URL or None, local_gguf=None,
                    collection=data.name if CHROMA_URL else "corpus")  # one server, a collection per index


def open_index(data: Path):
    """(index, embedder, seconds to load the embedder, seconds to open the index)."""
    from rag.embeddings import MiniLMEmbeddings
    from rag.index import Index

    t0 = time.perf_counter()
    embedder = MiniLMEmbeddings()
    t1 = time.perf_counter()
    index = Index(settings_for(data), embedder=embedder)
    t2 = time.perf_counter()
    return index, embedder, t1 - t0, t2 - t1


# -- synthetic chunks ---------------------------------------------------------
class Synth:
    """Random texts in the corpus vocabulary, with the corpus's word frequencies."""

    def __init__(self):
        import numpy as np

        counts: dict[str, int] = {}
        for f in sorted((ROOT / "corpus").rglob("*")):
            if f.is_file() and f.suffix in (".md", ".txt", ".html"):
                body = f.read_text(encoding="utf-8", errors="ignore").split("---", 2)[-1]
                for w in re.findall(r"[^\W_]+(?:[-'][^\W_]+)*", body):
                    counts[w] = counts.get(w, 0) + 1
        self.words = np.array(sorted(counts))
        freq = np.array([counts[w] for w in self.words], dtype=np.float64)
        self.p = freq / freq.sum()
        caps = [i for i, w in enumerate(self.words) if w[:1].isupper() and len(w) > 3]
        self.caps = np.array(caps)

    def text(self, rng) -> str:
        n = int(rng.integers(80, 151))
        words = self.words[rng.choice(len(self.words), size=n, p=self.p)]
        out, i = [], 0
        while i < n:
            k = min(int(rng.integers(8, 21)), n - i)
            s = " ".join(words[i : i + k])
            out.append(s[:1].upper() + s[1:] + ".")
            i += k
        return " ".join(out)

    def title(self, rng) -> str:
        """Three to five capitalised corpus words (uniformly drawn, so titles vary)."""
        return " ".join(self.words[rng.choice(self.caps, size=int(rng.integers(3, 6)))])

    def section(self, rng) -> str:
        words = self.words[rng.choice(len(self.words), size=int(rng.integers(2, 5)), p=self.p)]
        s = " ".join(words)
        return s[:1].upper() + s[1:]

    def chunks(self, rng, first: int, count: int):
        """ids, texts, metadatas, embedded documents (header + text) for chunks first..first+count-1."""
        from rag.keyword import chunk_header

        ids, texts, metas, docs = [], [], [], []
        titles: dict[int, str] = {}
        for i in range(first, first + count):
            doc = i // CHUNKS_PER_DOC
            title = titles.setdefault(doc, self.title(rng))
            text = self.text(rng)
            meta = {
                "source": f"synthetic/doc-{doc}.md",
                "title": title,
                "section": self.section(rng),
                "kind": "synthetic",
                "file_type": "md",
                "chunk": i % CHUNKS_PER_DOC,
                "start": 700 * (i % CHUNKS_PER_DOC),
                "end": 700 * (i % CHUNKS_PER_DOC) + len(text),
            }
            ids.append(hashlib.sha256(f"synthetic-{i}".encode()).hexdigest())
            texts.append(text)
            metas.append(meta)
            docs.append(f"{chunk_header(meta)}\n\n{text}")  # as rag.store.HybridStore embeds and stores it
        return ids, texts, metas, docs


# -- workers (child processes) ---------------------------------------------------
def worker_ingest(a) -> dict:
    from rag import chunking
    from rag.index import Index
    from rag.keyword import chunk_header
    from rag.loading import find_files, load_file

    data = Path(a.data)
    load = loadavg()
    index, embedder, t_model, t_open = open_index(data)
    report = index.ingest()
    assert not report.errors, [(e.source, e.message) for e in report.errors]
    first = {
        "files": len(report.files),
        "chunks": report.chunks_added,
        "seconds": round(report.seconds, 3),
        "chunks_per_s": round(report.chunks_added / report.seconds, 2),
        "files_per_s": round(len(report.files) / report.seconds, 2),
        "model_load_s": round(t_model, 3),
        "index_open_s": round(t_open, 3),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "data_mb": round(dir_mb(data), 2),
    }

    # The embedder alone, on the corpus chunks exactly as the store embeds them.
    files, _ = find_files([ROOT / "corpus"])
    docs = []
    for f in files:
        for c in chunking.split(load_file(f, root=ROOT, max_bytes=int(index.settings.max_file_mb * 1024 * 1024)), index.settings):
            docs.append(f"{chunk_header(c.metadata)}\n\n{c.page_content}")
    target = a.embed_chunks
    sample = (docs * (target // len(docs) + 1))[:target] if len(docs) < target else docs[:target]
    embedder.embed_documents(sample[:8])  # warm-up
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        embedder.embed_documents(sample)
        runs.append(time.perf_counter() - t)
    embed = {
        "chunks": len(sample),
        "distinct_chunks": len(set(sample)),
        "corpus_chunks": len(docs),
        "runs_s": [round(r, 3) for r in runs],
        "median_s": round(statistics.median(runs), 3),
        "chunks_per_s": round(len(sample) / statistics.median(runs), 2),
        "threads": embedder.session.get_session_options().intra_op_num_threads,
        "batch_size": embedder.batch_size,
    }

    # No-op re-ingest: the bare call on the open Index, then open + call.
    bare = []
    for _ in range(a.repeats):
        r = index.ingest()
        assert r.count("unchanged") == len(r.files) and not r.chunks_added, r.summary()
        bare.append(r.seconds)
    opened = []
    for _ in range(a.repeats):
        t = time.perf_counter()
        r = Index(settings_for(data), embedder=embedder).ingest()
        opened.append(time.perf_counter() - t)
        assert r.count("unchanged") == len(r.files) and not r.chunks_added, r.summary()
    noop = {
        "runs": a.repeats,
        "ingest_call_median_ms": round(statistics.median(bare) * 1000, 2),
        "ingest_call_runs_ms": [round(x * 1000, 2) for x in bare],
        "open_and_ingest_median_ms": round(statistics.median(opened) * 1000, 2),
        "open_and_ingest_runs_ms": [round(x * 1000, 2) for x in opened],
    }
    return {"ingest": first, "embed": embed, "noop_reingest": noop, "loadavg": [load, loadavg()]}


def worker_pool(a) -> dict:
    """Embed the pool of distinct synthetic texts once; saved for the build workers."""
    import numpy as np

    from rag.embeddings import MiniLMEmbeddings

    synth = Synth()
    rng = np.random.default_rng(a.seed + 1_000_003)
    _, _, _, docs = synth.chunks(rng, 0, a.pool)
    embedder = MiniLMEmbeddings()
    t = time.perf_counter()
    vecs = np.asarray(embedder.embed_documents(docs), dtype=np.float32)
    seconds = time.perf_counter() - t
    np.save(a.pool_file, vecs)
    return {"texts": len(docs), "seconds": round(seconds, 2), "texts_per_s": round(len(docs) / seconds, 2)}


def worker_build(a) -> dict:
    import numpy as np

    data = Path(a.data)
    load = loadavg()
    index, _, _, _ = open_index(data)
    r = index.ingest()  # the real corpus, so real questions have real answers in every index
    assert not r.errors
    corpus_chunks = index.count()
    n_synth = max(0, a.chunks - corpus_chunks)
    pool = np.load(a.pool_file)
    synth = Synth()
    rng = np.random.default_rng(a.seed)
    collection = index.vectors._collection  # the langchain Chroma's chromadb collection
    t_gen = t_chroma = t_fts = 0.0
    t0 = time.perf_counter()
    for first in range(0, n_synth, BATCH):
        count = min(BATCH, n_synth - first)
        t = time.perf_counter()
        ids, texts, metas, docs = synth.chunks(rng, first, count)
        vecs = pool[rng.integers(0, len(pool), size=count)] + rng.normal(0, NOISE_SIGMA, (count, pool.shape[1])).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        t_gen += time.perf_counter() - t
        t = time.perf_counter()
        collection.upsert(ids=ids, embeddings=vecs, documents=docs, metadatas=metas)
        t_chroma += time.perf_counter() - t
        t = time.perf_counter()
        # Written around the change log (a bulk load), so the cache is told it is current.
        index.keywords.apply(list(zip(ids, texts, metas)), [], index.state.head(), collection=str(collection.id))
        t_fts += time.perf_counter() - t
    total = time.perf_counter() - t0
    chroma_n, fts_n = collection.count(), index.keywords.count()
    assert chroma_n == fts_n == corpus_chunks + n_synth, (chroma_n, fts_n, corpus_chunks, n_synth)
    return {
        "chunks": chroma_n,
        "corpus_chunks": corpus_chunks,
        "synthetic_chunks": n_synth,
        "corpus_ingest_s": round(r.seconds, 2),
        "build_s": round(total, 2),
        "build_write_s": round(t_chroma + t_fts, 2),
        "chroma_upsert_s": round(t_chroma, 2),
        "fts_upsert_s": round(t_fts, 2),
        "generate_s": round(t_gen, 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "rss_mb": round(rss_now_mb(), 1),
        "data_mb": round(dir_mb(data), 1),
        "loadavg": [load, loadavg()],
    }


def queries(n: int) -> list[str]:
    qa = [json.loads(line)["question"] for line in (ROOT / "eval/qa.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    n_names = min(len(NAME_QUERIES), n // 4)
    mixed = NAME_QUERIES[:n_names] + qa[: n - n_names]
    while len(mixed) < n:
        mixed += mixed[: n - len(mixed)]
    # Interleave deterministically so name queries are spread over the run.
    import random

    random.Random(7).shuffle(mixed)
    return mixed


def worker_query(a) -> dict:
    from rag.retrieval import search

    data = Path(a.data)
    index, embedder, t_model, t_open = open_index(data)
    opened = {"model_load_s": round(t_model, 3), "index_open_s": round(t_open, 3),
              "rss_after_open_mb": round(rss_now_mb(), 1), "peak_rss_after_open_mb": round(peak_rss_mb(), 1)}
    s = index.settings
    qs = queries(a.queries)
    kw = dict(k=s.k, candidates=s.candidates, max_per_source=s.max_per_source)
    load = loadavg()

    t = time.perf_counter()
    first = search(index, "Who killed Leon Trotsky, and with what weapon?", **kw)
    cold_ms = (time.perf_counter() - t) * 1000
    assert first, "no passages for the warm-up question"
    for q in qs[:5]:
        search(index, q, **kw)

    times, empty = [], 0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for q in qs:
        t = time.perf_counter()
        got = search(index, q, **kw)
        times.append(time.perf_counter() - t)
        empty += not got
    # CPU time of this process (all threads) over the loop: wall >> CPU means waiting for a core.
    cpu_ms = (time.process_time() - cpu0) / len(qs) * 1000
    wall_ms = (time.perf_counter() - wall0) / len(qs) * 1000
    # Where the time goes: the same queries, one component at a time.
    parts: dict[str, list[float]] = {"embed_query": [], "chroma": [], "keyword": [], "fetch_texts": []}
    for q in qs:
        t = time.perf_counter()
        vec = embedder.embed_query(q)
        parts["embed_query"].append(time.perf_counter() - t)
        t = time.perf_counter()
        hits = index.vectors.similarity_search_by_vector_with_relevance_scores(vec, k=s.candidates)
        parts["chroma"].append(time.perf_counter() - t)
        t = time.perf_counter()
        kh = index.keywords.search(q, s.candidates)
        parts["keyword"].append(time.perf_counter() - t)
        t = time.perf_counter()
        index.keywords.get(list({d.id for d, _ in hits} | {h.id for h in kh}))
        parts["fetch_texts"].append(time.perf_counter() - t)
    # How many chunks the queries' words are in (what made FTS5's OR query slow).
    from rag.keyword import query_terms

    n = index.count()
    terms = {t for q in qs for t in query_terms(q)}
    df = index.keywords.doc_freq(sorted(terms))
    return {
        "chunks": n,
        "commonest_query_terms": [(t, round(c / n, 3)) for t, c in sorted(df.items(), key=lambda x: -x[1])[:8]],
        "opened": opened,
        "first_query_ms": round(cold_ms, 2),
        "search": stats_ms(times),
        "search_cpu_ms_per_query": round(cpu_ms, 2),
        "search_wall_ms_per_query": round(wall_ms, 2),
        "empty_results": empty,
        "components": {k: stats_ms(v) for k, v in parts.items()},
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "rss_mb": round(rss_now_mb(), 1),
        "data_mb": round(dir_mb(data), 1),
        "loadavg": [load, loadavg()],
    }


WORKERS = {"ingest": worker_ingest, "pool": worker_pool, "build": worker_build, "query": worker_query}


def run_worker(kind: str, args: argparse.Namespace, **extra) -> dict:
    """This script in a child process; its result comes back through a JSON file."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        result = Path(f.name)
    cmd = [sys.executable, __file__, "--worker", kind, "--result", str(result), "--seed", str(args.seed),
           "--queries", str(args.queries), "--repeats", str(args.repeats), "--embed-chunks", str(args.embed_chunks),
           "--pool", str(args.pool)]
    for k, v in extra.items():
        cmd += [f"--{k.replace('_', '-')}", str(v)]
    t = time.perf_counter()
    print(f"  [{kind}] {' '.join(shlex.quote(c) for c in cmd[2:])}", file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    out = json.loads(result.read_text())
    result.unlink()
    out["process_wall_s"] = round(time.perf_counter() - t, 2)
    return out


# -- report -------------------------------------------------------------------------
def markdown(res: dict) -> str:
    m = res["machine"]
    lines = [f"Machine: {m['nproc']} CPUs ({m['cpu_model']}), {m['ram']} RAM; {res['date']}", ""]
    if "ingest" in res:
        lines += ingest_markdown(res)
    lines += [
        "| chunks | build s | data MB | search p50 ms | p95 ms | max ms | first query ms | peak RSS build MB | peak RSS query MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    return scales_markdown(res, lines)


def ingest_markdown(res: dict) -> list[str]:
    ing, emb, noop = res["ingest"]["ingest"], res["ingest"]["embed"], res["ingest"]["noop_reingest"]
    return [
        "| Ingestion (corpus/) | files | chunks | seconds | chunks/s |",
        "|---|---:|---:|---:|---:|",
        f"| `Index.ingest()`, fresh data dir, embedding included | {ing['files']} | {ing['chunks']} | {ing['seconds']} | {ing['chunks_per_s']} |",
        f"| MiniLM `embed_documents` alone (median of 3) | | {emb['chunks']} | {emb['median_s']} | {emb['chunks_per_s']} |",
        "",
        "| No-op re-ingest (median of %d) | ms |" % noop["runs"],
        "|---|---:|",
        f"| `ingest()` on an open Index | {noop['ingest_call_median_ms']} |",
        f"| open Index + `ingest()` | {noop['open_and_ingest_median_ms']} |",
        "",
    ]


def scales_markdown(res: dict, lines: list[str]) -> str:
    for sc in res["scales"]:
        b, q = sc.get("build"), sc["query"]
        lines.append(
            f"| {q['chunks']:,} | {b['build_s'] if b else '-'} | {q['data_mb']} | {q['search']['p50_ms']} | "
            f"{q['search']['p95_ms']} | {q['search']['max_ms']} | {q['first_query_ms']} | "
            f"{b['peak_rss_mb'] if b else res['ingest']['ingest']['peak_rss_mb']} | {q['peak_rss_mb']} |"
        )
    lines += ["", "| chunks | embed_query p50/p95 | Chroma p50/p95 | keyword p50/p95 | fetch texts p50/p95 |", "|---:|---|---|---|---|"]
    for sc in res["scales"]:
        c = sc["query"]["components"]
        lines.append(f"| {sc['query']['chunks']:,} | " + " | ".join(
            f"{c[k]['p50_ms']} / {c[k]['p95_ms']}" for k in ("embed_query", "chroma", "keyword", "fetch_texts")) + " |")
    lines += ["", "| chunks | commonest query terms (share of chunks) |", "|---:|---|"]
    for sc in res["scales"]:
        q = sc["query"]
        lines.append(f"| {q['chunks']:,} | " + ", ".join(f"{t} {c}" for t, c in q["commonest_query_terms"][:5]) + " |")
    o = res["scales"][0]["query"]["opened"] if res["scales"] else {"rss_after_open_mb": "-", "peak_rss_after_open_mb": "-"}
    lines += ["", f"RSS of a process that has only opened the index and the embedder: {o['rss_after_open_mb']} MB "
              f"(peak {o['peak_rss_after_open_mb']} MB)."]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000", help="total chunks per index, comma-separated")
    ap.add_argument("--out", default="docs/bench/index.json")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=5, help="no-op re-ingest runs")
    ap.add_argument("--embed-chunks", type=int, default=200, help="chunks for the embedder-alone figure")
    ap.add_argument("--pool", type=int, default=2000, help="distinct synthetic texts embedded with MiniLM")
    ap.add_argument("--seed", type=int, default=1940)
    ap.add_argument("--workdir", default=None, help="where the temporary data folders go (default: system temp)")
    ap.add_argument("--keep", action="store_true", help="keep the data folders")
    ap.add_argument("--skip-ingest", action="store_true", help="skip the corpus ingestion figures and the corpus-only index")
    ap.add_argument("--pool-cache", default="", help="reuse (or save) the embedded pool here, to skip re-embedding it")
    ap.add_argument("--server", action="store_true", help="server mode: every index in one real `chroma run` on loopback")
    # internal: one measurement in a child process
    ap.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--chunks", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--pool-file", help=argparse.SUPPRESS)
    a = ap.parse_args()

    if a.worker:
        out = WORKERS[a.worker](a)
        Path(a.result).write_text(json.dumps(out))
        return

    sizes = [int(x) for x in a.sizes.split(",") if x.strip()]
    work = Path(tempfile.mkdtemp(prefix="rag-index-bench-", dir=a.workdir))
    server = None
    if a.server:
        from rag.net import ChromaServer

        server = ChromaServer(work / "server").start()
        os.environ["BENCH_CHROMA_URL"] = server.url
    started = time.perf_counter()
    res: dict = {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": "python bench/index_bench.py " + " ".join(shlex.quote(x) for x in sys.argv[1:]),
        "machine": machine(),
        "git": git_state(),
        "mode": "server (chroma run on 127.0.0.1)" if a.server else "local (persistent folder)",
        "loadavg_start": loadavg(),
        "method": {
            "synthetic_texts": "random sentences (80-150 words per chunk) from the corpus vocabulary and word frequencies; "
                               f"source synthetic/doc-N.md, {CHUNKS_PER_DOC} chunks per document, title (3-5 capitalised corpus words) + section",
            "synthetic_vectors": f"real MiniLM embeddings of {a.pool} distinct synthetic texts, each reused with Gaussian noise "
                                 f"(sigma {NOISE_SIGMA}) and re-normalised; not the embedding of the chunk's own text",
            "write_path": f"index.vectors._collection.upsert(embeddings=...) and index.keywords.apply(), batches of {BATCH}",
            "each index": "the real corpus ingested with Index.ingest(), plus synthetic chunks up to the size",
            "queries": f"{a.queries} (eval/qa.jsonl questions + name/date queries), after 1 cold + 5 warm-up queries",
            "search": "rag.retrieval.search with the default settings (k, candidates, max_per_source)",
        },
    }
    try:
        print("1-2. ingestion and no-op re-ingest", file=sys.stderr)
        scales = []
        if not a.skip_ingest:
            res["ingest"] = run_worker("ingest", a, data=work / "corpus")
            scales = [{"size": "corpus", "build": None, "query": run_worker("query", a, data=work / "corpus")}]
        if sizes:
            pool_file = work / "pool.npy"
            if a.pool_cache and Path(a.pool_cache).exists():  # the same seed and size give the same pool
                shutil.copy(a.pool_cache, pool_file)
                res["pool"] = {"reused": a.pool_cache}
            else:
                print(f"3. embedding the pool of {a.pool} synthetic texts", file=sys.stderr)
                res["pool"] = run_worker("pool", a, pool_file=pool_file)
                if a.pool_cache:
                    shutil.copy(pool_file, a.pool_cache)
            for n in sizes:
                print(f"3. {n:,} chunks", file=sys.stderr)
                data = work / f"n{n}"
                build = run_worker("build", a, data=data, chunks=n, pool_file=pool_file)
                query = run_worker("query", a, data=data)
                scales.append({"size": n, "build": build, "query": query})
                if not a.keep:
                    shutil.rmtree(data, ignore_errors=True)
        res["scales"] = scales
    finally:
        if server:
            server.stop()
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"data kept in {work}", file=sys.stderr)
    res["loadavg_end"] = loadavg()
    res["total_wall_s"] = round(time.perf_counter() - started, 1)
    table = markdown(res)
    res["markdown"] = table
    out = Path(a.out)
    if not out.is_absolute():
        out = ROOT / out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(table)
    print(f"\nwrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
