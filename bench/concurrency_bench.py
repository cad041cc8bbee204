"""Concurrent questions against ONE shared Index in one process.

    python bench/concurrency_bench.py [--threads 20] [--rounds 3] [--out docs/bench/concurrency.json]

N threads each ask a different answerable question from eval/qa.jsonl through
`rag.answering.ask` with the extractive engine, all against one shared
`rag.index.Index` (one persistent Chroma client, one SQLite keyword index,
one MiniLM session) and one shared engine. The threads are released together
by a barrier.

Reference: the same questions asked one after another in the same process.
Checks, for every round: no exception; every answer identical to the
sequential one (`Answer.to_dict()`, which covers the text, refusal,
citations with their quotes, contexts and evidence); every question the
sequential pipeline answers with all its key facts is answered, not refused,
with all its key facts.

The questions are picked round-robin over the corpus's cases (one question
per case in turn) among those the sequential pipeline answers with all
their key facts, so the check is meaningful for every thread.

Before every timed run the process-wide sentence-vector memo
(`rag.embeddings._MEMOS`) is cleared, so each run does the same embedding
work (a warm memo would make the later runs look faster than a cold server).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import statistics
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
sys.path.insert(0, str(ROOT / "bench"))

from index_bench import git_state, loadavg, machine, peak_rss_mb, percentile, settings_for  # noqa: E402


def clear_memo() -> None:
    from rag import embeddings

    embeddings._MEMOS.clear()


def pick(questions: list[dict]) -> list[dict]:
    """Answerable single-turn questions, round-robin over the cases (id prefix)."""
    groups: dict[str, list[dict]] = {}
    for q in questions:
        if q["answerable"] and not q.get("history"):
            groups.setdefault(q["id"].rsplit("-", 1)[0], []).append(q)
    order, i = [], 0
    while any(len(g) > i for g in groups.values()):
        order += [g[i] for g in groups.values() if len(g) > i]
        i += 1
    return order


def complete(q: dict, answer) -> bool:
    from rag.evaluation import fact_in

    return not answer.refused and all(fact_in(f, answer.answer) for f in q["key_facts"])


def stats(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {"p50_ms": round(percentile(ms, 50), 1), "p95_ms": round(percentile(ms, 95), 1),
            "max_ms": round(max(ms), 1), "mean_ms": round(statistics.fmean(ms), 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3, help="concurrent rounds (each compared with the sequential run)")
    ap.add_argument("--data", default=None, help="an existing data folder with the corpus indexed (default: a fresh temporary one)")
    ap.add_argument("--out", default="docs/bench/concurrency.json")
    a = ap.parse_args()

    from rag.answering import ask
    from rag.embeddings import MiniLMEmbeddings
    from rag.engines import make_engine
    from rag.evaluation import load_questions
    from rag.index import Index

    tmp = None
    if a.data:
        data = Path(a.data)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="rag-concurrency-bench-")
        data = Path(tmp.name) / "data"
    class CountingMiniLM(MiniLMEmbeddings):
        """The real embedder, counting the texts it embeds (to compare the work done)."""

        texts = 0
        lock = threading.Lock()

        def embed_documents(self, texts):
            with self.lock:
                CountingMiniLM.texts += len(texts)
            return super().embed_documents(texts)

    settings = settings_for(data)
    index = Index(settings, embedder=CountingMiniLM())
    report = index.ingest()
    assert not report.errors, report.errors
    print(f"index: {index.count()} chunks ({report.summary()})", file=sys.stderr)
    engine = make_engine(settings)
    assert engine.name == "extractive", engine.name
    kw = dict(index=index, settings=settings, engine=engine)

    # Selection (and the process's warm-up): sequential answers, keep the complete ones.
    questions = load_questions(ROOT / "eval/qa.jsonl")
    chosen, skipped = [], []
    for q in pick(questions):
        if len(chosen) == a.threads:
            break
        (chosen if complete(q, ask(q["question"], **kw)) else skipped).append(q)
    assert len(chosen) == a.threads, f"only {len(chosen)} questions answered completely"
    print(f"picked {len(chosen)} questions ({len(skipped)} skipped: {[q['id'] for q in skipped]})", file=sys.stderr)

    # Sequential reference, cold memo.
    clear_memo()
    CountingMiniLM.texts = 0
    seq_answers, seq_times = [], []
    t0 = time.perf_counter()
    for q in chosen:
        t = time.perf_counter()
        seq_answers.append(ask(q["question"], **kw))
        seq_times.append(time.perf_counter() - t)
    seq_wall = time.perf_counter() - t0
    seq_embedded = CountingMiniLM.texts
    reference = [x.to_dict() for x in seq_answers]
    seq_complete = [complete(q, x) for q, x in zip(chosen, seq_answers)]

    rounds = []
    for r in range(a.rounds):
        clear_memo()
        CountingMiniLM.texts = 0
        barrier = threading.Barrier(len(chosen) + 1)
        answers: list = [None] * len(chosen)
        errors: list = [None] * len(chosen)
        times = [0.0] * len(chosen)
        ends = [0.0] * len(chosen)

        def work(i: int) -> None:
            barrier.wait()
            t = time.perf_counter()
            try:
                answers[i] = ask(chosen[i]["question"], **kw)
            except Exception:
                errors[i] = traceback.format_exc()
            ends[i] = time.perf_counter()
            times[i] = ends[i] - t

        threads = [threading.Thread(target=work, args=(i,), name=f"q{i}") for i in range(len(chosen))]
        for th in threads:
            th.start()
        load = loadavg()
        barrier.wait()
        t0 = time.perf_counter()
        for th in threads:
            th.join()
        wall = max(ends) - t0
        diffs = []
        for i, (q, ans) in enumerate(zip(chosen, answers)):
            if ans is None:
                continue
            got = ans.to_dict()
            if got != reference[i]:
                keys = sorted(k for k in got if got[k] != reference[i][k])
                diffs.append({"id": q["id"], "fields": keys,
                              "sequential": {k: reference[i][k] for k in keys if k in ("answer", "refused", "evidence")},
                              "concurrent": {k: got[k] for k in keys if k in ("answer", "refused", "evidence")}})
        incomplete = [q["id"] for q, ans, ok in zip(chosen, answers, seq_complete) if ok and (ans is None or not complete(q, ans))]
        rounds.append({
            "round": r + 1,
            "wall_s": round(wall, 2),
            "questions_per_s": round(len(chosen) / wall, 2),
            "sentences_embedded": CountingMiniLM.texts,
            "latency": stats(times),
            "errors": [{"id": chosen[i]["id"], "traceback": e} for i, e in enumerate(errors) if e],
            "different_from_sequential": diffs,
            "missing_key_facts_or_refused": incomplete,
            "loadavg": load,
        })
        print(f"round {r + 1}: wall {wall:.2f} s, p50 {rounds[-1]['latency']['p50_ms']} ms, "
              f"p95 {rounds[-1]['latency']['p95_ms']} ms, errors {len(rounds[-1]['errors'])}, "
              f"differences {len(diffs)}, incomplete {len(incomplete)}", file=sys.stderr)

    ok = all(not x["errors"] and not x["different_from_sequential"] and not x["missing_key_facts_or_refused"] for x in rounds)
    res = {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": "python bench/concurrency_bench.py " + " ".join(shlex.quote(x) for x in sys.argv[1:]),
        "machine": machine(),
        "git": git_state(),
        "index_chunks": index.count(),
        "threads": len(chosen),
        "questions": [{"id": q["id"], "category": q["category"], "question": q["question"],
                       "key_facts": q["key_facts"], "sequential_complete": c,
                       "sequential_answer": x["answer"]} for q, c, x in zip(chosen, seq_complete, reference)],
        "skipped_while_picking": [q["id"] for q in skipped],
        "sequential": {"wall_s": round(seq_wall, 2), "questions_per_s": round(len(chosen) / seq_wall, 2),
                       "sentences_embedded": seq_embedded, "latency": stats(seq_times)},
        "concurrent_rounds": rounds,
        "all_identical_and_complete": ok,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "loadavg_end": loadavg(),
    }
    c = rounds[0]
    lines = [
        f"| run ({len(chosen)} questions) | wall s | questions/s | sentences embedded | p50 ms | p95 ms | max ms | identical to sequential | complete | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| sequential | {res['sequential']['wall_s']} | {res['sequential']['questions_per_s']} | {seq_embedded} | {res['sequential']['latency']['p50_ms']} | "
        f"{res['sequential']['latency']['p95_ms']} | {res['sequential']['latency']['max_ms']} | (reference) | "
        f"{sum(seq_complete)}/{len(chosen)} | 0 |",
    ]
    for c in rounds:
        n_ok = len(chosen) - len(c["different_from_sequential"]) - len(c["errors"])
        lines.append(
            f"| {len(chosen)} threads, round {c['round']} | {c['wall_s']} | {c['questions_per_s']} | {c['sentences_embedded']} | {c['latency']['p50_ms']} | {c['latency']['p95_ms']} | "
            f"{c['latency']['max_ms']} | {n_ok}/{len(chosen)} | {sum(seq_complete) - len(c['missing_key_facts_or_refused'])}/{len(chosen)} | "
            f"{len(c['errors'])} |")
    res["markdown"] = "\n".join(lines)
    out = Path(a.out)
    if not out.is_absolute():
        out = ROOT / out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(res["markdown"])
    print(f"\nall identical and complete: {ok}; wrote {out}", file=sys.stderr)
    if tmp:
        tmp.cleanup()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
