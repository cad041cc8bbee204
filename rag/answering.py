"""The answer pipeline, the one public way to ask.

    question (+history) --condense--> standalone query --hybrid search--> passages
        --gate--> refusal | --engine--> streamed text with [n] --verify--> Answer

`ask_stream` yields events as they happen (for the chat window and the
terminal); `ask` returns the finished Answer (for `rag ask --json` and
evaluation). Model faults never surface as tracebacks: after the client's
own retries the pipeline falls back to the extractive engine and says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field

from .citations import CitationStream, cited_numbers, split_sentences, strip_marks
from .config import Settings
from .conversation import clean_question, names_in, validate_history
from .engines import Engine, ExtractiveEngine, make_engine
from .errors import RagError
from .extractive import DISAGREEMENT, REFUSAL, Evidence
from .index import Index
from .keyword import query_terms
from .retrieval import Passage, search
from .verify import SUPPORTED, verify_claim


@dataclass
class Citation:
    n: int
    chunk_id: str
    source: str
    title: str
    quote: str  # verbatim span of the passage that supports the claim
    supported: bool  # verdict == "supported" (kept for compatibility)
    text: str  # the whole passage, for the source card
    quote_start: int  # offset of the quote in `text`
    location: str = ""
    author: str = ""
    date: str = ""
    url: str = ""
    start: int | None = None  # offset of the passage in its source file
    verdict: str = "unsupported"  # the verifier's: supported / contradicted / unsupported
    reason: str = ""  # why, e.g. "the passage says 20 years, not 40 years"
    passage_value: str = ""  # for a contradiction: what the passage states instead


@dataclass
class Answer:
    question: str
    standalone_question: str
    answer: str
    refused: bool
    engine: str
    citations: list[Citation] = field(default_factory=list)
    contexts: list[Passage] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)  # claims no cited passage supports (or contradicted)
    claims: list[dict] = field(default_factory=list)  # per claim: text, verdict, reason, citations
    disagreement: bool = False
    evidence: float = 0.0

    def to_dict(self) -> dict:
        """The stable JSON contract of `rag ask --json`."""
        return {
            "question": self.question,
            "standalone_question": self.standalone_question,
            "answer": self.answer,
            "refused": self.refused,
            "engine": self.engine,
            "citations": [
                {k: v for k, v in asdict(c).items() if k not in ("text", "quote_start")} for c in self.citations
            ],
            "contexts": [
                {k: v for k, v in p.to_dict().items() if k in ("chunk_id", "source", "title", "text", "score", "page", "section")}
                for p in self.contexts
            ],
            "notices": self.notices,
            "unsupported": self.unsupported,
            "claims": self.claims,
            "disagreement": self.disagreement,
            "evidence": round(self.evidence, 4),
        }


@dataclass
class Event:
    """One step of a streamed answer.

    kind: "standalone" (the rewritten query), "token" (text to append),
    "reset" (discard the text so far: a fallback follows; `text` says why),
    "done" (answer set).
    """

    kind: str
    text: str = ""
    answer: Answer | None = None


def _refusal(question: str, standalone: str, engine: str, passages: list[Passage], notices, evidence) -> Answer:
    """'The sources do not say', naming the closest sources (one passage each)."""
    closest: dict[str, Passage] = {}
    for p in passages:
        closest.setdefault(p.source, p)
    shown = list(closest.values())[:3]
    text = REFUSAL
    if shown:
        text += " The closest sources are: " + "; ".join(p.title for p in shown) + "."
    return Answer(question, standalone, text, True, engine, contexts=shown, notices=notices, evidence=evidence)


def ask_stream(
    question: str,
    history: list[dict] | None = None,
    *,
    index: Index,
    settings: Settings,
    engine: Engine | None = None,
    source: str | None = None,
    retrieve: Callable[[str], list[Passage]] | None = None,
    rewrite: bool = True,
    gate: bool = True,
) -> Iterator[Event]:
    """Answer `question` in the context of `history`, streaming as it goes.

    `retrieve` replaces the hybrid search (evaluation baselines use it);
    `rewrite=False` searches the question as typed; `gate=False` skips the
    refusal gate (evaluation applies thresholds afterwards).
    """
    q, notices = clean_question(question)
    if not q:
        raise RagError("the question is empty; type a question in words")
    history = validate_history(history)
    engine = engine or make_engine(settings)

    try:
        standalone = engine.condense(q, history) if rewrite else q
    except Exception as e:  # the model is unreachable: rewrite without it
        notices.append(f"The {engine.name} model could not rewrite the follow-up ({_reason(e)}); names from the conversation were carried over instead.")
        standalone = ExtractiveEngine().condense(q, history)
    yield Event("standalone", standalone)

    if not query_terms(strip_marks(standalone)) and not names_in(standalone):
        notices.append("The question has no words to search for (a citation marker alone is not a question).")
        answer = _refusal(q, standalone, engine.name, [], notices, 0.0)
        yield Event("token", answer.answer)
        yield Event("done", answer=answer)
        return

    if retrieve is None:
        passages = search(index, standalone, k=settings.k, source=source,
                          candidates=settings.candidates, max_per_source=settings.max_per_source)
    else:
        passages = retrieve(standalone)
    passages = engine.fit(passages)
    evidence = Evidence(standalone, passages, index, index.embedder)
    if not passages or (gate and evidence.strength < settings.min_evidence):
        answer = _refusal(q, standalone, engine.name, passages, notices, evidence.strength)
        yield Event("token", answer.answer)
        yield Event("done", answer=answer)
        return

    used = engine.name
    ids = set(range(1, len(passages) + 1))
    parser = CitationStream(ids)
    parts: list[str] = []
    try:
        for shown in _display(engine.stream(standalone, passages, evidence), parser):
            parts.append(shown)
            yield Event("token", shown)
        if not "".join(parts).strip():
            raise RuntimeError("the model returned an empty answer")
    except Exception as e:
        if not engine.generative:
            raise
        notices.append(f"The {engine.name} model failed ({_reason(e)}); this answer comes from the extractive engine.")
        used = f"extractive (fallback from {engine.name})"
        yield Event("reset", notices[-1])
        parser = CitationStream(ids)
        parts = []
        for shown in _display(ExtractiveEngine().stream(standalone, passages, evidence), parser):
            parts.append(shown)
            yield Event("token", shown)

    text = "".join(parts).strip()
    if text.startswith(REFUSAL.rstrip(".")):
        answer = _refusal(q, standalone, used, passages, notices, evidence.strength)
        yield Event("done", answer=answer)
        return
    answer = Answer(q, standalone, text, False, used, contexts=passages, notices=notices,
                    evidence=evidence.strength, disagreement=DISAGREEMENT.lower().rstrip(":") in text.lower())
    _verify(answer, [passages[i - 1] for i in parser.order], index.embedder)
    yield Event("done", answer=answer)


def _display(tokens: Iterator[str], parser: CitationStream) -> Iterator[str]:
    """Engine tokens as display text: prompt ids become citation numbers."""
    for token in tokens:
        shown = parser.feed(token)
        if shown:
            yield shown
    rest = parser.close()
    if rest:
        yield rest


def ask(question: str, history: list[dict] | None = None, **kwargs) -> Answer:
    """The finished Answer (see `ask_stream` for the arguments)."""
    for event in ask_stream(question, history, **kwargs):
        if event.kind == "done":
            return event.answer
    raise AssertionError("ask_stream ended without an answer")


def _verify(answer: Answer, cited: list[Passage], embedder=None) -> None:
    """Check every cited sentence against its passages (rag.verify); record verdicts and quotes.

    Each claim gets a verdict; each cited passage gets the best verdict it
    gives to a claim citing it (a passage that supports none is marked).
    """
    rank = {"supported": 0, "contradicted": 1, "unsupported": 2}
    best: dict[int, object] = {}
    for sentence in split_sentences(answer.answer):
        claim = strip_marks(sentence)
        if not query_terms(claim) or claim.rstrip(":") == DISAGREEMENT.rstrip(":"):
            continue
        numbers = [n for n in cited_numbers(sentence) if 1 <= n <= len(cited)]
        if not numbers:
            continue
        verdict, checks = verify_claim(claim, [(cited[n - 1].text, cited[n - 1].analysis) for n in numbers])
        if verdict.verdict != SUPPORTED:
            answer.unsupported.append(claim)
        answer.claims.append({
            "text": claim, "verdict": verdict.verdict, "reason": verdict.reason,
            "passage_value": verdict.passage_value,
            "citations": [{"n": n, "verdict": c.verdict, "reason": c.reason, "quote": c.quote,
                           "passage_value": c.passage_value} for n, c in zip(numbers, checks)],
        })
        for n, c in zip(numbers, checks):
            if n not in best or rank[c.verdict] < rank[best[n].verdict]:
                best[n] = c
    for n, p in enumerate(cited, 1):
        check = best.get(n)
        m = p.metadata
        answer.citations.append(Citation(
            n=n, chunk_id=p.chunk_id, source=p.source, title=p.title,
            quote=check.quote if check else "", supported=bool(check and check.supported),
            text=p.text, quote_start=check.start if check else 0, location=p.location,
            author=str(m.get("author", "")), date=str(m.get("date", "")), url=str(m.get("url", "")),
            start=m.get("start"),
            verdict=check.verdict if check else "unsupported",
            reason=check.reason if check else "no claim of the answer cites it",
            passage_value=check.passage_value if check else "",
        ))


def _reason(e: Exception) -> str:
    """A short, secret-free description of a failure."""
    name = type(e).__name__
    status = getattr(e, "status_code", None)
    if status:
        return f"{name}, HTTP {status}"
    return name
