"""The answer pipeline, the one public way to ask.

    question (+history) --condense--> standalone query --bridge--> descriptions named
        --hybrid search--> passages --gate--> refusal | --engine--> streamed text with [n]
        --verify--> Answer

`ask_stream` yields events as they happen (for the chat window and the
terminal); `ask` returns the finished Answer (for `rag ask --json` and
evaluation). Model faults never surface as tracebacks: after the client's
own retries the pipeline falls back to the extractive engine and says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from functools import partial

from . import bridges, language
from .citations import CitationStream, cited_numbers, split_sentences, strip_marks
from .config import Settings
from .conversation import clean_question, readings, unresolved_person, validate_history
from .embeddings import scoring_embedder
from .engines import Engine, ExtractiveEngine, PromptError, make_engine
from .errors import RagError
from .index import Index, IndexProblem
from .keyword import query_terms
from .reader import DISPUTED, REFUSAL, Reading, names_a_person, parts_of, read, refusal_text, short_answer
from .retrieval import Passage, search
from .verify import SUPPORTED, verify_claim

PART_PASSAGES = 2  # best passages of each part's own search added for a question in several parts
DEEPER_PASSAGES = 2  # further passages of the best source read when a part found no value (Markov's pellet is his brief's 5th; dev figures unchanged)


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
    short_answer: str = ""  # the direct answer alone, cited ("Ramón Mercader [1], with an ice axe [1].")
    parts: list[dict] = field(default_factory=list)  # [{"asked", "type", "values": [{"value", "citations", "sources", "disputed_by"}]}]

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
            "short_answer": self.short_answer,
            "parts": self.parts,
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


def _refusal(question: str, standalone: str, engine: str, passages: list[Passage], notices, evidence,
             reading: Reading | None = None) -> Answer:
    """'The sources do not say who ...', naming the closest sources (one passage each)."""
    closest: dict[str, Passage] = {}
    for p in passages:
        closest.setdefault(p.source, p)
    shown = list(closest.values())[:3]
    text = refusal_text(reading) if reading else REFUSAL
    if shown:
        text += " The closest sources are: " + "; ".join(p.title for p in shown) + "."
    parts = [{"asked": p.part.asked, "type": p.part.type, "values": []} for p in reading.parts] if reading else []
    return Answer(question, standalone, text, True, engine, contexts=shown, notices=notices, evidence=evidence,
                  short_answer=text.split(" The closest sources")[0], parts=parts)


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

    # Offline, a follow-up may have several readings ("he" = the victim or
    # the killer): each is tried and the one the sources answer with the
    # stronger typed evidence is kept.
    options = [q]
    if rewrite and history:
        is_person = partial(names_a_person, embedder=scoring_embedder(index))
        if engine.generative:
            try:
                options = [engine.condense(q, history)]
            except PromptError:
                raise  # a broken prompt file is the user's to fix, not a model failure
            except Exception as e:  # the model is unreachable: rewrite without it
                notices.append(f"The {engine.name} model could not rewrite the follow-up ({_reason(e)}); "
                               "it was resolved against the conversation without the model instead.")
                options = readings(q, history, is_person)
        else:
            options = readings(q, history, is_person)
    standalone = options[0]

    early = None
    if who := unresolved_person(standalone):  # sources cannot say when "he" died, if nothing says who he is
        text = (f'Nothing in the question{" or earlier in the conversation" if history and rewrite else ""} says who '
                f'"{who}" is, so the sources cannot be asked: ask again with the name.')
        early = Answer(q, standalone, text, True, engine.name, notices=notices, short_answer=text)
    elif not query_terms(strip_marks(standalone)):
        notices.append("The question has no words to search for (a citation marker alone is not a question).")
        early = _refusal(q, standalone, engine.name, [], notices, 0.0)
    if early is not None:
        yield Event("standalone", standalone)
        yield Event("token", early.answer)
        yield Event("done", answer=early)
        return

    def find(query: str) -> list[Passage]:
        if retrieve is None:
            return search(index, query, k=settings.k, source=source,
                          candidates=settings.candidates, max_per_source=settings.max_per_source)
        return retrieve(query)

    best = None
    for option in options:
        found = engine.fit(find(option))
        option = language.truecased(option, [p.analysis for p in found])  # "who killed ramon mercader"
        r = read(option, found, index, scoring_embedder(index))
        if best is None or (not r.refused and (best[2].refused or r.strength > best[2].strength)):
            best = (option, found, r)
    standalone, passages, reading = best

    def deepen(question: str, passages: list[Passage], reading: Reading) -> tuple[list[Passage], Reading]:
        """A part no passage answers with a value: the source most about the question
        read further than the per-source cap allows ("How was Markov killed?": the
        ricin pellet is in the brief's fifth-best passage)."""
        if not passages or retrieve is not None or all(p.groups or p.part.type == "any" for p in reading.parts):
            return passages, reading
        have = {p.chunk_id for p in passages}
        deeper = [p for p in engine.fit(search(index, question, k=settings.k, source=passages[0].source,
                                               candidates=settings.candidates, max_per_source=settings.k))
                  if p.chunk_id not in have][:DEEPER_PASSAGES]
        if deeper:
            again = read(question, passages + deeper, index, scoring_embedder(index))
            if sum(bool(p.groups) for p in again.parts) > sum(bool(p.groups) for p in reading.parts):
                return passages + deeper, again
        return passages, reading

    if rewrite:  # "... in which city was the secretary born?": whom a description means is asked of the sources first
        standalone, passages, reading = _bridged(standalone, passages, reading, find, deepen, engine, index)
    passages, reading = _with_parts(standalone, passages, reading, find, engine, index)
    if rewrite:  # "Who murdered Trotsky, and where did the killer die?": the killer is the first part's answer
        standalone, passages, reading = _referred(standalone, passages, reading, find, engine, index)
    yield Event("standalone", standalone)
    passages, reading = deepen(standalone, passages, reading)
    if any(p.reanalysed for p in passages):
        notices.append("Some passages were indexed by an older release, so they were analysed again for this "
                       "question, which is slower; run `rag ingest` to bring the index up to date.")
    if not passages and not index.count():
        raise IndexProblem("nothing is indexed yet, so no question can be answered: run `rag ingest` "
                           "(it indexes the corpus folder), or upload sources in the app")
    if not passages or (gate and reading.refused):
        answer = _refusal(q, standalone, engine.name, passages, notices, reading.strength, reading)
        yield Event("token", answer.answer)
        yield Event("done", answer=answer)
        return

    used = engine.name
    ids = set(range(1, len(passages) + 1))
    parser = CitationStream(ids)
    parts: list[str] = []
    try:
        for shown in _display(engine.stream(standalone, passages, reading), parser):
            parts.append(shown)
            yield Event("token", shown)
        if not "".join(parts).strip():
            raise RuntimeError("the model returned an empty answer")
    except Exception as e:
        if not engine.generative or isinstance(e, PromptError):
            raise
        notices.append(f"The {engine.name} model failed ({_reason(e)}); this answer comes from the extractive engine.")
        used = f"extractive (fallback from {engine.name})"
        yield Event("reset", notices[-1])
        parser = CitationStream(ids)
        parts = []
        for shown in _display(ExtractiveEngine().stream(standalone, passages, reading), parser):
            parts.append(shown)
            yield Event("token", shown)

    text = "".join(parts).strip()
    renumber = {old: new for new, old in enumerate(parser.order, 1)}
    answer = Answer(q, standalone, text, reading.refused, used, contexts=passages, notices=notices,
                    evidence=reading.strength, disagreement=reading.disagreement,
                    short_answer=_renumbered(short_answer(reading), renumber) if not engine_generative(used) else _first_sentence(text),
                    parts=[{**p, "values": [{**v, **{k: [renumber[c] for c in v[k] if c in renumber]
                                                     for k in ("citations", "disputed_by")}}
                                            for v in p["values"]]} for p in parts_of(reading)])
    _verify(answer, [passages[i - 1] for i in parser.order], scoring_embedder(index))
    yield Event("done", answer=answer)


def _with_parts(question: str, passages: list[Passage], reading: Reading, find, engine: Engine, index: Index):
    """A question in several parts may need a passage for each: each part is
    searched too, and the question read again with what they add."""
    if not (reading.question.compound and passages):
        return passages, reading
    names = [v.text for v in reading.question.names]
    have = {p.chunk_id for p in passages}
    extra = []
    for part in reading.question.parts:
        # with the names the part itself holds, else the question's ("What sentence did
        # Stashynsky receive, and where was Khokhlov treated?": each part its own one)
        own = [n for n in names if n in part.asked] or names
        for p in engine.fit(find(" ".join([part.asked, *own])))[:PART_PASSAGES]:
            if p.chunk_id not in have:
                have.add(p.chunk_id)
                extra.append(p)
    if not extra:
        return passages, reading
    passages = passages + extra
    return passages, read(question, passages, index, scoring_embedder(index))


def _referred(question: str, passages: list[Passage], reading: Reading, find, engine: Engine, index: Index):
    """(question, passages, reading) with a later part's "the killer" or "he"
    replaced by the person an earlier part is answered with (rag/bridges.py),
    when the sources then answer that part, and, for a pronoun, answer it with
    stronger typed evidence than the other reading; else as they were."""
    answers = [p.groups[0].shown.value if p.groups and "person" in (p.part.type, p.groups[0].best.kind) else ""
               for p in reading.parts]  # (a "who" part's answer, or a person answering "the first patient's occupation")
    embedder = scoring_embedder(index)
    resolved = bridges.refer_back(question, [p.part.asked for p in reading.parts], answers,
                                  lambda noun: names_a_person(noun, embedder))
    if resolved is None:
        return question, passages, reading
    text, described, k = resolved
    have = {p.chunk_id for p in passages}
    more = passages + [p for p in engine.fit(find(text)) if p.chunk_id not in have]
    more, again = _with_parts(text, more, read(text, more, index, embedder), find, engine, index)
    if k >= len(again.parts) or not again.parts[k].answered:
        return question, passages, reading
    # the other parts as the question asked them (the name put in would not answer "Who murdered
    # Trotsky?" any more), read on the same passages so that citations stay put
    base = read(question, more, index, embedder) if len(more) > len(passages) else reading
    merged = Reading(base.question, more, base.parts[:k] + [again.parts[k]] + base.parts[k + 1:], base.sentences)
    better = described or not base.parts[k].answered or again.parts[k].groups and base.parts[k].groups and \
        again.parts[k].groups[0].votes > base.parts[k].groups[0].votes
    return (text, more, merged) if better else (question, passages, reading)


def _bridged(question: str, passages: list[Passage], reading: Reading, find, deepen, engine: Engine, index: Index):
    """(question, passages, reading) with each person the question only
    describes named as the sources name them (rag/bridges.py), when the
    sources then answer it; else as they were."""
    embedder = scoring_embedder(index)

    def named(asked: str) -> str:  # the one person or body the bridge's question is answered with, or ""
        found = engine.fit(find(asked))
        found, r = deepen(asked, found, read(asked, found, index, embedder))
        groups = r.parts[0].groups if r.parts and not r.refused else []
        return groups[0].shown.value if groups and groups[0].best.kind in ("person", "org") else ""

    bridged = bridges.rewrite(question, lambda noun: names_a_person(noun, embedder), named)
    if bridged == question:
        return question, passages, reading
    found = engine.fit(find(bridged))
    again = read(bridged, found, index, embedder)
    return (bridged, found, again) if not again.refused or reading.refused else (question, passages, reading)


def engine_generative(used: str) -> bool:
    return not used.startswith("extractive")


def _renumbered(text: str, renumber: dict[int, int]) -> str:
    """Passage ids [n] in a text the reader wrote, as the answer's citation numbers."""
    return re.sub(r"\[(\d+)\]", lambda m: f"[{renumber[int(m.group(1))]}]" if int(m.group(1)) in renumber else "", text)


def _first_sentence(text: str) -> str:
    sentences = split_sentences(text)
    return sentences[0] if sentences else text


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
    for sentence in _claims(answer.answer):
        claim = strip_marks(sentence)
        if not query_terms(claim):
            continue
        numbers = [n for n in cited_numbers(sentence) if 1 <= n <= len(cited)]
        if not numbers:  # a claim with no citation to a passage shown is never passed as sourced
            answer.unsupported.append(claim)
            answer.claims.append({"text": claim, "verdict": "unsupported", "reason": "no citation",
                                  "passage_value": "", "citations": []})
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


_DIFFER = re.compile(r"Sources differ(?: on [^:]*)?:")
_CITED_PIECE = re.compile(r"(?<=\])\s*,\s+")  # "Appendix operation [1], in Hamburg [2]": a comma after a citation
_DISPUTE = re.compile(rf",\s*{re.escape(DISPUTED)}(?:\s*\[\d+\])+")  # a pointer to the disputing sentence, quoted and checked itself


def _claims(text: str) -> list[str]:
    """The answer's sentences as claims to verify; a disagreement ("Sources
    differ: 13 February 2024 [1]; 2023 [2]") is one claim per value, and so
    is a sentence whose pieces cite different passages ("Appendix operation
    [1], in Hamburg [2]"): each is checked against the passages cited for
    it, not all values against all."""
    out = []
    for sentence in split_sentences(text):
        lead, *rest = _DIFFER.split(_DISPUTE.sub("", sentence), maxsplit=1)
        pieces = _CITED_PIECE.split(lead.strip().rstrip(","))
        if len({frozenset(cited_numbers(p)) for p in pieces}) == 1:
            pieces = [lead.strip().rstrip(",")]
        out += pieces
        if rest:
            out += [piece.strip().rstrip(".") for piece in rest[0].split(";")]
    return [c for c in out if c]


def _reason(e: Exception) -> str:
    """A short, secret-free description of a failure."""
    name = type(e).__name__
    status = getattr(e, "status_code", None)
    if status:
        return f"{name}, HTTP {status}"
    return name
