"""`rag eval`: retrieval and answer quality, side by side with baselines.

Every configuration answers the same questions with the same engine; only
retrieval (and the follow-up rewrite) differs:

- tutorial: LangChain's RAG tutorial (RecursiveCharacterTextSplitter
  1000/200, dense only, top 4, no rewrite), in an in-memory Chroma;
- bm25: our chunks, keyword search only;
- dense: our chunks, dense search only;
- full: our pipeline (rewrite, hybrid search, fusion, diversity).

The set is split once into a dev part (for tuning) and a held-out part
(for reporting), fixed by id: each row's "split" field. The engine decides
refusals itself (the reader refuses when no candidate of the asked type is
supported); nothing is calibrated on the reported questions.
"""

from __future__ import annotations

import hashlib
import json
import math
import statistics
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .answering import Answer, ask
from .citations import cited_numbers, split_sentences, strip_marks
from .config import Settings
from .engines import Engine, make_engine
from .errors import RagError
from .reader import REFUSAL
from .index import Index
from .keyword import query_terms
from .retrieval import Passage, search

CATEGORIES = ("single", "followup", "multihop", "unanswerable", "conflict")
CONFIGS = ("tutorial", "bm25", "dense", "full")
SPLITS = ("dev", "heldout")
HELDOUT_SHARE = 3  # one question in three is held out when a row has no "split" field


def split_of(q: dict) -> str:
    """The row's split: its "split" field, else a fixed rule on its id (a third held out)."""
    if q.get("split") in SPLITS:
        return q["split"]
    digest = int(hashlib.sha1(q["id"].encode("utf-8")).hexdigest(), 16)
    return "heldout" if digest % HELDOUT_SHARE == 0 else "dev"


class EvalError(RagError):
    pass


def load_questions(path: Path) -> list[dict]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise EvalError(f"cannot read the question set {path}: {e.strerror}") from None
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            q = json.loads(line)
        except json.JSONDecodeError as e:
            raise EvalError(f"{path}:{n}: not valid JSON ({e.msg})") from None
        missing = {"id", "category", "question", "key_facts", "gold_sources", "answerable"} - set(q)
        if missing:
            raise EvalError(f"{path}:{n}: missing fields {sorted(missing)} (see eval/README.md)")
        out.append(q)
    return out


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = text.replace("–", "-").replace("—", "-")
    return re.sub(r"\s+", " ", text).casefold()


def fact_in(fact: str | list[str], text: str) -> bool:
    """A key fact (or any of its alternatives) occurs in the text as whole words."""
    options = fact if isinstance(fact, list) else [fact]
    hay = _norm(text)
    return any(re.search(r"(?<!\w)" + re.escape(_norm(o)) + r"(?!\w)", hay) for o in options)


# -- retrieval metrics ----------------------------------------------------------


def ranked_sources(passages: list[Passage]) -> list[str]:
    out: list[str] = []
    for p in passages:
        if p.source not in out:
            out.append(p.source)
    return out


def retrieval_metrics(sources: list[str], gold: list[str]) -> dict[str, float]:
    """Source-level metrics of a ranked list of sources against the gold sources."""
    gold_set = set(gold)
    rel = [1 if s in gold_set else 0 for s in sources]
    first = next((i for i, r in enumerate(rel) if r), None)
    dcg = sum(r / math.log2(i + 2) for i, r in enumerate(rel[:10]))
    idcg = sum(1 / math.log2(i + 2) for i in range(min(len(gold_set), 10)))
    return {
        "hit@1": float(bool(rel[:1] and rel[0])),
        "hit@5": float(any(rel[:5])),
        "recall@5": len(gold_set & set(sources[:5])) / len(gold_set),
        "recall@10": len(gold_set & set(sources[:10])) / len(gold_set),
        "mrr": 0.0 if first is None else 1.0 / (first + 1),
        "ndcg@10": dcg / idcg if idcg else 0.0,
    }


# -- configurations -------------------------------------------------------------


@dataclass
class Config:
    name: str
    label: str
    retrieve: Callable[[str, int], list[Passage]]  # (query, k) -> passages
    rewrite: bool
    answer_k: int


def tutorial_retriever(index: Index, settings: Settings) -> Callable[[str, int], list[Passage]]:
    """LangChain's RAG tutorial: 1000/200 chunks, dense only, top 4, in memory."""
    import chromadb
    from langchain_chroma import Chroma

    from .chunking import make_splitter
    from .loading import MB, find_files, load_file

    splitter = make_splitter(1000, 200)
    files, _ = find_files([settings.corpus_path])
    docs = []
    for f in files:
        pieces = load_file(f, root=settings.root, max_bytes=int(settings.max_file_mb * MB))
        whole = pieces[0].model_copy(update={"page_content": "\n\n".join(p.page_content for p in pieces)})
        docs += splitter.split_documents([whole])
    store = Chroma(
        collection_name="tutorial_baseline",
        embedding_function=index.embedder,
        client=chromadb.EphemeralClient(),
        collection_configuration={"hnsw": {"space": "cosine"}},
    )
    store.add_documents(docs, ids=[f"tutorial-{i}" for i in range(len(docs))])

    def retrieve(query: str, k: int) -> list[Passage]:
        hits = store.similarity_search_with_score(query, k=min(k, 4))
        return [Passage(d.id, d.page_content, d.metadata, score=1 - dist, similarity=1 - dist) for d, dist in hits]

    return retrieve


def configurations(index: Index, settings: Settings, names: tuple[str, ...]) -> list[Config]:
    def ours(dense: bool, keyword: bool):
        return lambda q, k: search(index, q, k=k, candidates=settings.candidates,
                                   max_per_source=settings.max_per_source if dense and keyword else k,
                                   dense=dense, keyword=keyword)

    made = {
        "tutorial": lambda: Config("tutorial", "LangChain tutorial (dense, 1000/200, top 4, no rewrite)",
                                   tutorial_retriever(index, settings), False, 4),
        "bm25": lambda: Config("bm25", "BM25 only", ours(False, True), True, settings.k),
        "dense": lambda: Config("dense", "dense only, our chunks", ours(True, False), True, settings.k),
        "full": lambda: Config("full", "full pipeline (rewrite + hybrid + RRF + diversity)", ours(True, True), True, settings.k),
    }
    unknown = set(names) - set(made)
    if unknown:
        raise EvalError(f"unknown configuration(s) {sorted(unknown)}; choose from {', '.join(CONFIGS)}")
    return [made[n]() for n in names]


# -- answer metrics -------------------------------------------------------------


@dataclass
class Row:
    """One question under one configuration."""

    id: str
    category: str
    answerable: bool
    retrieval: dict[str, float]
    evidence: float
    answer: str
    engine_refused: bool
    facts_found: list[bool]
    citations: list[dict]
    sentences: int
    sentences_supported: int
    conflict_values_found: list[bool] = field(default_factory=list)
    seconds: float = 0.0
    standalone: str = ""
    split: str = "dev"
    words: int = 0  # length of the answer in words (citation marks left out)
    short_answer: str = ""

    def refused(self, threshold: float = 0.0) -> bool:
        return self.engine_refused


def _row(q: dict, cfg: Config, answer: Answer, passages: list[Passage], seconds: float) -> Row:
    gold = q["gold_sources"]
    sentences = [s for s in split_sentences(answer.answer) if query_terms(strip_marks(s))]
    supported_n = {c.n for c in answer.citations if c.supported}
    return Row(
        id=q["id"], category=q["category"], answerable=q["answerable"],
        retrieval=retrieval_metrics(ranked_sources(passages), gold) if gold else {},
        evidence=answer.evidence, answer=answer.answer, engine_refused=answer.refused,
        facts_found=[fact_in(f, answer.answer) for f in q["key_facts"]],
        citations=[{"n": c.n, "source": c.source, "supported": c.supported} for c in answer.citations],
        sentences=len(sentences),
        sentences_supported=sum(1 for s in sentences if set(cited_numbers(s)) & supported_n),
        conflict_values_found=[fact_in(v, answer.answer) for v in q.get("conflict_values", [])],
        seconds=seconds, standalone=answer.standalone_question, split=split_of(q),
        words=len(strip_marks(answer.answer).split()) if not answer.refused else 0,
        short_answer=answer.short_answer,
    )


def summarise(rows: list[Row], threshold: float) -> dict[str, float]:
    """Overall metrics for one configuration at one refusal threshold."""
    answerable = [r for r in rows if r.answerable]
    unanswerable = [r for r in rows if not r.answerable]
    answered = [r for r in answerable if not r.refused(threshold)]
    with_retrieval = [r for r in rows if r.retrieval]
    cites = [c for r in answered for c in r.citations]
    conflicts = [r for r in rows if r.category == "conflict"]

    def mean(xs):
        xs = list(xs)
        return sum(xs) / len(xs) if xs else float("nan")

    out = {k: mean(r.retrieval[k] for r in with_retrieval) for k in ("hit@1", "hit@5", "recall@5", "recall@10", "mrr", "ndcg@10")}
    out.update({
        "key_fact_accuracy": mean(all(r.facts_found) and not r.refused(threshold) for r in answerable),
        "key_fact_recall": mean((sum(r.facts_found) / len(r.facts_found)) if r.facts_found and not r.refused(threshold) else 0.0 for r in answerable),
        "citation_precision": mean(c["supported"] for c in cites),
        "citation_coverage": mean(r.sentences_supported / r.sentences for r in answered if r.sentences),
        "refusal_accuracy": mean(r.refused(threshold) for r in unanswerable),
        "false_refusal_rate": mean(r.refused(threshold) for r in answerable),
        "conflict_surfaced": mean(all(r.conflict_values_found) and not r.refused(threshold) for r in conflicts),
        "median_words": float(statistics.median([r.words for r in answered])) if answered else float("nan"),
        "questions": len(rows),
        "seconds_per_question": mean(r.seconds for r in rows),
    })
    return out


@dataclass
class EvalRun:
    engine: str
    rows: dict[str, list[Row]]
    labels: dict[str, str]
    seconds: float
    threshold: float = 0.0  # no after-the-fact gate: the engine refuses by itself

    def summary(self, split: str | None = None) -> dict[str, dict[str, float]]:
        return {name: summarise([r for r in rows if split is None or r.split == split], self.threshold)
                for name, rows in self.rows.items()}

    def by_category(self, split: str | None = None) -> dict[str, dict[str, dict[str, float]]]:
        return {
            name: {c: summarise([r for r in rows if r.category == c and (split is None or r.split == split)], self.threshold)
                   for c in CATEGORIES}
            for name, rows in self.rows.items()
        }

    def to_dict(self) -> dict:
        return {
            "engine": self.engine, "seconds": round(self.seconds, 1), "configurations": self.labels,
            "summary": {sp: self.summary(sp) for sp in SPLITS}, "by_category": {sp: self.by_category(sp) for sp in SPLITS},
            "rows": {n: [vars(r) for r in rows] for n, rows in self.rows.items()},
        }


def run_eval(
    questions: list[dict],
    *,
    index: Index,
    settings: Settings,
    engine: Engine | None = None,
    configs: tuple[str, ...] = CONFIGS,
    on_step: Callable[[str], None] | None = None,
) -> EvalRun:
    t0 = time.perf_counter()
    engine = engine or make_engine(settings)
    step = on_step or (lambda _: None)
    rows: dict[str, list[Row]] = {}
    labels = {}
    for cfg in configurations(index, settings, configs):
        labels[cfg.name] = cfg.label
        rows[cfg.name] = []
        for q in questions:
            seen: list[Passage] = []

            def retrieve(query: str, cfg=cfg, seen=seen) -> list[Passage]:
                ranked = cfg.retrieve(query, 10)
                if not seen:  # the question's own search (later ones: other readings, parts)
                    seen[:] = ranked
                return ranked[: cfg.answer_k]

            t = time.perf_counter()
            answer = ask(q["question"], q.get("history") or [], index=index, settings=settings, engine=engine,
                         retrieve=retrieve, rewrite=cfg.rewrite)
            rows[cfg.name].append(_row(q, cfg, answer, seen, time.perf_counter() - t))
            step(cfg.name)
    return EvalRun(engine.name, rows, labels, time.perf_counter() - t0)


# -- report ---------------------------------------------------------------------

_SHOWN = [
    ("hit@1", "hit@1"), ("hit@5", "hit@5"), ("recall@5", "recall@5"), ("recall@10", "recall@10"),
    ("mrr", "MRR"), ("ndcg@10", "nDCG@10"), ("key_fact_accuracy", "key facts"),
    ("citation_precision", "citation precision"), ("citation_coverage", "citation coverage"),
    ("refusal_accuracy", "refusal acc."), ("false_refusal_rate", "false refusals"),
    ("conflict_surfaced", "conflict surfaced"), ("median_words", "median words"),
]
TARGETS = {"hit@5": 0.95, "mrr": 0.85, "key_fact_accuracy": 0.85, "citation_precision": 0.95,
           "refusal_accuracy": 0.8, "false_refusal_rate": 0.05, "conflict_surfaced": 0.9, "median_words": 45}
CATEGORY_TARGETS = {"followup": 0.8, "multihop": 0.6}
_AT_MOST = {"false_refusal_rate", "median_words"}


def _fmt(x: float) -> str:
    if x != x:
        return "–"
    return f"{x:.0f}" if abs(x) >= 2 else f"{x:.2f}"


def write_report(run: EvalRun, out_dir: Path, question_set: str, command: str) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(run.to_dict(), indent=1, ensure_ascii=False), encoding="utf-8")
    summary = run.summary("heldout")
    chart = _chart(summary, out_dir / "chart.png")
    counts = {sp: next(iter(run.summary(sp).values()))["questions"] for sp in SPLITS}
    lines = [
        "# Evaluation report", "",
        f"Question set `{question_set}`: {counts['dev']} dev questions (used for tuning) and "
        f"{counts['heldout']} held-out questions (never tuned on; the figures to quote); engine `{run.engine}`; "
        f"{run.seconds:.0f} s in all. Refusals are the engine's own decisions (no threshold calibrated on this set).", "",
        f"Reproduce: `{command}`", "",
    ]
    cats = {sp: run.by_category(sp) for sp in SPLITS}
    for sp, title in (("heldout", "Held-out"), ("dev", "Dev")):
        summ = run.summary(sp)
        lines += [f"## {title}: overall", "",
                  "| configuration | " + " | ".join(h for _, h in _SHOWN) + " |",
                  "|---|" + "---|" * len(_SHOWN)]
        for name, m in summ.items():
            lines.append(f"| {run.labels[name]} | " + " | ".join(_fmt(m[k]) for k, _ in _SHOWN) + " |")
        if "full" in summ:
            lines += ["", f"### Targets ({title.lower()}, full pipeline)", "", "| metric | target | measured | met |", "|---|---|---|---|"]
            checks = [(k, t, summ["full"][k]) for k, t in TARGETS.items()]
            checks += [(f"{c} key facts", t, cats[sp]["full"][c]["key_fact_accuracy"]) for c, t in CATEGORY_TARGETS.items()]
            for k, target, v in checks:
                low = k in _AT_MOST
                ok = v <= target if low else v >= target
                lines.append(f"| {k} | {'<=' if low else '>='} {target} | {_fmt(v)} | {'yes' if ok else '**no**'} |")
        keys = [("hit@5", "hit@5"), ("mrr", "MRR"), ("key_fact_accuracy", "key facts"), ("citation_precision", "citation precision"),
                ("refusal_accuracy", "refusal acc."), ("false_refusal_rate", "false refusals"), ("conflict_surfaced", "conflict surfaced"),
                ("median_words", "median words")]
        lines += ["", f"### {title}: by category", ""]
        for name in run.rows:
            lines += [f"#### {run.labels[name]}", "", "| category | n | " + " | ".join(h for _, h in keys) + " |",
                      "|---|---|" + "---|" * len(keys)]
            for c in CATEGORIES:
                m = cats[sp][name][c]
                lines.append(f"| {c} | {m['questions']} | " + " | ".join(_fmt(m[k]) for k, _ in keys) + " |")
            lines.append("")
    if chart:
        lines += ["## Chart", "", f"![evaluation chart]({chart.name})", ""]
    lines += ["## Failures of the full pipeline", ""] + _failures(run) + [""]
    path = out_dir / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _failures(run: EvalRun) -> list[str]:
    rows = run.rows.get("full") or next(iter(run.rows.values()))
    out = []
    for r in rows:
        refused = r.refused(run.threshold)
        why = []
        if not r.answerable and not refused:
            why.append("answered an unanswerable question")
        if r.answerable and refused:
            why.append("refused")
        if r.answerable and not refused and not all(r.facts_found):
            why.append(f"missing {sum(not f for f in r.facts_found)} of {len(r.facts_found)} key facts")
        if r.category == "conflict" and not refused and not all(r.conflict_values_found):
            why.append("disagreement not surfaced")
        if r.retrieval and not r.retrieval["hit@5"]:
            why.append("no gold source in the top 5")
        if any(not c["supported"] for c in r.citations) and not refused:
            why.append("unsupported citation")
        if why:
            answer = REFUSAL if refused else r.answer
            out.append(f"- `{r.id}` ({r.category}, {r.split}): {'; '.join(why)}. Answer: {answer[:220]}")
    return out or ["None."]


def _chart(summary: dict[str, dict[str, float]], path: Path) -> Path | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [("hit@5", "hit@5"), ("mrr", "MRR"), ("ndcg@10", "nDCG@10"), ("key_fact_accuracy", "key facts"),
            ("citation_precision", "cit. precision"), ("refusal_accuracy", "refusal acc."), ("conflict_surfaced", "conflicts")]
    fig, ax = plt.subplots(figsize=(10, 4.2), dpi=110)
    width = 0.8 / len(summary)
    for i, (name, m) in enumerate(summary.items()):
        xs = [j + i * width for j in range(len(keys))]
        ax.bar(xs, [0 if m[k] != m[k] else m[k] for k, _ in keys], width, label=name)
    ax.set_xticks([j + width * (len(summary) - 1) / 2 for j in range(len(keys))], [h for _, h in keys])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score")
    ax.set_title("Retrieval and answer quality by configuration (eval/qa.jsonl)")
    ax.legend(ncol=len(summary), loc="lower center", bbox_to_anchor=(0.5, -0.28), frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def sample_questions(questions: list, limit: int | None) -> list:
    """An evenly spread sample of `limit` questions (all of them when limit is unset or larger).

    The set is sorted by category, so an even spread samples every category.
    """
    if not limit or limit >= len(questions):
        return list(questions)
    step = len(questions) / limit
    return [questions[int(i * step)] for i in range(limit)]
