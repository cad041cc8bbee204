"""Load check in server mode: 3 processes ask questions while a 4th ingests.

    python bench/load_bench.py [--askers 3] [--questions 20] [--files 50] [--out docs/bench/load.json]

One real `chroma run` on loopback. A first process ingests the corpus. Then,
at the same moment, `--askers` processes (each with its own data folder, as
separate machines would have) each ask `--questions` questions from
eval/qa.jsonl through `rag.answering.ask` (extractive engine), while one more
process ingests `--files` new Markdown files (several chunks each) into the
same collection. Recorded: errors in any process, p50/p95 answer latency, and
afterwards the chunk ids counted in every store: the server's collection,
and each process's keyword cache (after it syncs): none lost, none twice.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from rag.net import ChromaServer  # noqa: E402


def settings(data: Path, url: str, root: Path):
    from rag.config import Settings

    return Settings(_env_file=None, root=root, data_dir=data, corpus_dir=ROOT / "corpus", engine="extractive",
                    openai_api_key=None, base_url=None, chroma_url=url, local_gguf=None, lease_seconds=60)


def worker_ask(a) -> dict:
    from rag.answering import ask
    from rag.engines import make_engine
    from rag.index import Index

    s = settings(Path(a.data), a.url, Path(a.root))
    index = Index(s)
    engine = make_engine(s)
    qs = [json.loads(x)["question"] for x in (ROOT / "eval/qa.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    random.Random(a.seed).shuffle(qs)
    ready = Path(a.go)
    while not ready.exists():
        time.sleep(0.05)
    times, errors, counts = [], [], []
    for q in qs[: a.questions]:
        t = time.perf_counter()
        try:
            ans = ask(q, index=index, settings=s, engine=engine)
            assert ans.answer
        except Exception:
            errors.append(traceback.format_exc(limit=3))
        times.append(time.perf_counter() - t)
        counts.append(index.count())
    return {"times": times, "errors": errors, "counts_seen": counts}


def worker_ingest(a) -> dict:
    from rag.index import Index

    s = settings(Path(a.data), a.url, Path(a.root))
    index = Index(s)
    ready = Path(a.go)
    while not ready.exists():
        time.sleep(0.05)
    try:
        r = index.ingest([Path(a.root) / "new"], wait=600)
        return {"errors": [f.message for f in r.errors], "chunks_added": r.chunks_added,
                "files": len(r.files), "seconds": r.seconds}
    except Exception:
        return {"errors": [traceback.format_exc(limit=3)]}


def worker_count(a) -> dict:
    """Ids in the server and in this data folder's cache (synced), and their agreement."""
    from rag.index import Index

    index = Index(settings(Path(a.data), a.url, Path(a.root)))
    c = index.consistency()
    ids = index.keywords.ids()
    got = index._collection.get(include=[])["ids"]
    return {"consistency": c, "cache_ids": len(ids), "server_ids": len(got), "server_unique": len(set(got))}


WORKERS = {"ask": worker_ask, "ingest": worker_ingest, "count": worker_count}


def child(kind: str, a, **kw) -> subprocess.Popen:
    cmd = [sys.executable, __file__, "--worker", kind, "--url", a.url, "--root", str(a.root), "--go", str(a.go),
           "--questions", str(a.questions)]
    for k, v in kw.items():
        cmd += [f"--{k}", str(v)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


def result(p: subprocess.Popen) -> dict:
    out, err = p.communicate(timeout=1800)
    if p.returncode != 0:
        return {"errors": [f"exit {p.returncode}: {err[-2000:]}"]}
    return json.loads(out.strip().splitlines()[-1])


def new_files(d: Path, n: int) -> None:
    words = ("ledger courier parcel station harbour cipher winter archive witness border ferry telegram "
             "embassy garden tram bridge lantern quarry orchard violin").split()
    rng = random.Random(50)
    d.mkdir(parents=True)
    for i in range(n):
        paras = [f"Report {i}.{j}: " + " ".join(rng.choice(words) for _ in range(120)) + "." for j in range(3)]
        (d / f"report-{i:02d}.md").write_text(f"# Load report {i}\n\n" + "\n\n".join(paras) + "\n", encoding="utf-8")


def pct(v: list[float], p: float) -> float:
    v = sorted(v)
    return v[min(len(v) - 1, int(p * len(v)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--askers", type=int, default=3)
    ap.add_argument("--questions", type=int, default=20)
    ap.add_argument("--files", type=int, default=50)
    ap.add_argument("--out", default="docs/bench/load.json")
    ap.add_argument("--worker", choices=sorted(WORKERS))
    ap.add_argument("--url")
    ap.add_argument("--root")
    ap.add_argument("--go")
    ap.add_argument("--data")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    if a.worker:
        print(json.dumps(WORKERS[a.worker](a)))
        return

    work = Path(tempfile.mkdtemp(prefix="rag-load-bench-"))
    server = ChromaServer(work / "server").start()
    a.url, a.root, a.go = server.url, work, work / "go"
    res: dict = {"date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                 "command": "python bench/load_bench.py " + " ".join(sys.argv[1:]),
                 "cpus": os.cpu_count(), "loadavg_start": os.getloadavg()}
    try:
        new_files(work / "new", a.files)
        from rag.index import Index

        first = Index(settings(work / "data-0", a.url, work)).ingest()
        assert not first.errors
        corpus_chunks = first.chunks_added
        askers = [child("ask", a, data=work / f"data-ask{i}", seed=i) for i in range(a.askers)]
        writer = child("ingest", a, data=work / "data-writer")
        time.sleep(20)  # every child has loaded its embedder and opened the index
        t0 = time.perf_counter()
        a.go.touch()
        ask_res = [result(p) for p in askers]
        ing = result(writer)
        res["wall_s"] = round(time.perf_counter() - t0, 1)
        res["loadavg_end"] = os.getloadavg()
        times = [t for r in ask_res for t in r.get("times", [])]
        errors = [e for r in [*ask_res, ing] for e in r.get("errors", [])]
        counts = [result(child("count", a, data=d)) for d in
                  [work / "data-0", work / "data-writer", *[work / f"data-ask{i}" for i in range(a.askers)]]]
        expected = corpus_chunks + ing.get("chunks_added", 0)
        res.update({
            "askers": a.askers, "questions_each": a.questions, "files_ingested": ing.get("files"),
            "corpus_chunks": corpus_chunks, "chunks_added_during_load": ing.get("chunks_added"),
            "ingest_seconds": round(ing.get("seconds", 0), 1),
            "answers": len(times), "errors": errors,
            "answer_p50_s": round(pct(times, 0.5), 3) if times else None,
            "answer_p95_s": round(pct(times, 0.95), 3) if times else None,
            "answer_max_s": round(max(times), 3) if times else None,
            "chunks_expected": expected,
            "stores": counts,
            "lost": sum(max(0, expected - c["server_ids"]) + max(0, expected - c["cache_ids"]) for c in counts),
            "duplicated": sum(c["server_ids"] - c["server_unique"] for c in counts)
                          + sum(max(0, c["cache_ids"] - expected) for c in counts),
            "counts_seen_by_askers": [r.get("counts_seen") for r in ask_res],
        })
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    out = ROOT / a.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in res.items() if k not in ("stores", "counts_seen_by_askers")}, indent=1))


if __name__ == "__main__":
    main()
