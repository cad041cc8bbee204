"""Evidence scoring and the extractive answer (no model).

Every sentence of the retrieved passages is scored against the question:
how much of the question's rarer words it holds (IDF-weighted), how close it
is in meaning (MiniLM cosine), and whether it holds the kind of thing the
question asks for (a date for "when", a name for "who", a number for "how
many"). The best score is the evidence the refusal gate reads. The extractive
engine answers with the best sentences, verbatim, each cited; when the best
sentences from different sources give different dates or numbers, it says
the sources differ and cites each.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .citations import sentence_spans
from .conversation import names_in
from .embeddings import embed_cached
from .keyword import query_terms, term_in, words_of
from .retrieval import Passage

REFUSAL = "The sources do not say."
DISAGREEMENT = "Sources differ:"

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_YEAR = re.compile(r"\b(1[6-9]\d\d|20\d\d)\b")
_DATE = re.compile(rf"\b(\d{{1,2}}\s+(?:{_MONTHS})\s+\d{{4}}|(?:{_MONTHS})\s+\d{{1,2}},\s+\d{{4}}|(?:{_MONTHS})\s+\d{{4}}|1[6-9]\d\d|20\d\d)\b")
_NUMBER = re.compile(r"\b\d[\d,.]*\b|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|hundred|thousand)\b", re.I)
# Phrases with which a source itself reports a disagreement or a correction.
_CUES = re.compile(r"\b(sources (?:differ|disagree|vary|do not agree)|do not agree|differ(?:s)? on|disagree|some (?:give|say|sources|versions)|others? (?:give|say|put)|one (?:source|version|site|calendar|blog) (?:says|gives|puts)|not borne out|could not be found|unverified|misprint(?:ed)?|is wrong|was wrong|an error)\b", re.I)

# Sentence score = lexical, semantic, has-the-asked-type, passage-rank prior.
WEIGHTS = (0.5, 0.35, 0.1, 0.05)

QUESTION_TYPES = (
    ("date", re.compile(r"^\s*(when|what year|which year|what date|on what date|in what year|how long ago)\b", re.I)),
    ("number", re.compile(r"\b(how many|how much|how old|what age|how long|number of)\b", re.I)),
    ("person", re.compile(r"^\s*(who|whom|whose|by whom)\b|\bwho\b", re.I)),
    ("place", re.compile(r"^\s*where\b|\bin which (city|country|town|place)\b", re.I)),
)


def question_type(question: str) -> str:
    for name, pattern in QUESTION_TYPES:
        if pattern.search(question):
            return name
    return "any"


def values(kind: str, sentence: str) -> list[str]:
    """The dates or numbers a sentence states (for disagreement checks)."""
    if kind == "date":
        return [m.group(1) for m in _DATE.finditer(sentence)]
    if kind == "number":
        return [m.group(0) for m in _NUMBER.finditer(sentence) if not _YEAR.fullmatch(m.group(0))]
    return []


def _has_type(kind: str, sentence: str, question: str) -> bool:
    if kind == "date":
        return bool(_DATE.search(sentence))
    if kind == "number":
        return bool(values("number", sentence))
    if kind in ("person", "place"):
        asked = {w for n in names_in(question) for w in n.split()}
        new = [n for n in names_in(sentence) if not set(n.split()) & asked]
        if kind == "place":
            return any(re.search(rf"\b(in|at|near|from|to|outside)\s+(the\s+)?{re.escape(n.split()[0])}", sentence) for n in new)
        return bool(new)
    return True


@dataclass
class Sentence:
    passage: int  # index into the passages list
    start: int  # offset in the passage text
    text: str
    lexical: float = 0.0
    semantic: float = 0.0
    typed: bool = False
    cue: bool = False
    score: float = 0.0
    terms: frozenset = frozenset()  # the question's words this sentence itself holds


class Evidence:
    """Scored sentences of the retrieved passages for one question."""

    def __init__(self, question: str, passages: list[Passage], index, embedder):
        self.question = question
        self.passages = passages
        self.kind = question_type(question)
        terms = query_terms(question)
        n = max(index.count(), 1)
        df = index.keywords.doc_freq(terms) if terms else {}
        weights = {t: math.log((n + 1) / (df.get(t, 0) + 0.5)) for t in terms}
        total = sum(weights.values()) or 1.0
        self.weights = {t: w / total for t, w in weights.items()}

        self.sentences: list[Sentence] = []
        for i, p in enumerate(passages):
            context = words_of(p.text)
            for s, e in sentence_spans(p.text):
                text = p.text[s:e]
                if len(text) < 15 or text.lstrip().startswith("#"):
                    continue
                words = words_of(text)
                held = frozenset(t for t in weights if term_in(t, words))
                lex = sum(weights[t] for t in held) / total
                ctx = sum(w for t, w in weights.items() if term_in(t, context)) / total
                self.sentences.append(
                    Sentence(i, s, text, lexical=0.75 * lex + 0.25 * ctx, terms=held,
                             typed=_has_type(self.kind, text, question), cue=bool(_CUES.search(text)))
                )
        if self.sentences:
            vecs = embed_cached(embedder, [question] + [x.text for x in self.sentences])
            for x, sim in zip(self.sentences, vecs[1:] @ vecs[0]):
                x.semantic = float(sim)
        for x in self.sentences:
            prior = 1.0 / (1 + x.passage)
            x.score = WEIGHTS[0] * x.lexical + WEIGHTS[1] * max(x.semantic, 0) + WEIGHTS[2] * x.typed + WEIGHTS[3] * prior
        self.sentences.sort(key=lambda x: x.score, reverse=True)

    @property
    def strength(self) -> float:
        """How well the best sentence answers the question (0..1); the refusal gate reads it."""
        return self.sentences[0].score if self.sentences else 0.0


def _similar(a: str, b: str) -> bool:
    wa, wb = set(query_terms(a)), set(query_terms(b))
    return bool(wa and wb) and len(wa & wb) / min(len(wa), len(wb)) > 0.7


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


_COMPOUND = re.compile(r"\b(and|both|each|compare|two|three)\b|\?.+\?", re.I)


def compose(ev: Evidence, max_sentences: int | None = None) -> str:
    """The extractive answer: best sentences verbatim, each cited by passage id (1-based).

    The best sentence; then, greedily, the sentences that add most of what
    the question asks and the answer does not cover yet (3 in all, 4 for a
    question in several parts); a source's own report of a disagreement;
    and the sentence right after any chosen one that announces but does
    not state the fact ("Sources differ on the year...").
    """
    if not ev.sentences:
        return REFUSAL
    if max_sentences is None:  # a question in several parts needs room for each
        max_sentences = 4 if _COMPOUND.search(ev.question) else 3
    best = ev.sentences[0]
    chosen = [best]

    def fits(c: Sentence) -> bool:
        return (ev.kind == "any" or c.typed) and not any(_similar(c.text, x.text) for x in chosen)

    # Then, greedily, the sentence that best adds what the answer does not
    # cover yet (the other half of a two-part question, the second case of a
    # comparison), or failing that a close runner-up from the top.
    covered = set(best.terms)
    pool = [c for c in ev.sentences[1:16] if c.score >= 0.6 * best.score]
    while len(chosen) < max_sentences:
        def gain(c: Sentence) -> float:
            return sum(ev.weights[t] for t in c.terms - covered)
        fresh = [c for c in pool if c not in chosen and fits(c) and gain(c) >= 0.15]
        if fresh:
            pick = max(fresh, key=lambda c: gain(c) + c.score)
        else:
            pick = next((c for c in pool if c not in chosen and fits(c) and c.score >= 0.8 * best.score), None)
        if pick is None:
            break
        chosen.append(pick)
        covered |= pick.terms
    # A source that itself reports a disagreement on this point belongs in the answer.
    if not any(c.cue for c in chosen):
        cue = next((c for c in ev.sentences[1:10] if c.cue and c.lexical >= 0.8 * best.lexical), None)
        if cue:
            chosen.append(cue)
    chosen = _with_followers(ev, chosen)
    parts = [f"{_clean(c.text)} [{c.passage + 1}]" for c in chosen]
    prefix = f"{DISAGREEMENT} " if _conflicting(ev, chosen) else ""
    return prefix + " ".join(parts)


def _with_followers(ev: Evidence, chosen: list[Sentence]) -> list[Sentence]:
    """Add the next sentence of the passage after a chosen one that lacks the
    asked-for value (a date, a number) or only announces a disagreement."""
    out: list[Sentence] = []
    for c in chosen:
        out.append(c)
        lacks = (ev.kind in ("date", "number") and not values(ev.kind, c.text)) or (c.cue and not values("date", c.text) and not values("number", c.text))
        if not lacks:
            continue
        nxt = next((x for x in sorted(ev.sentences, key=lambda x: x.start)
                    if x.passage == c.passage and x.start > c.start), None)
        if nxt and nxt not in chosen and nxt not in out:
            out.append(nxt)
    return out


def _conflicting(ev: Evidence, chosen: list[Sentence]) -> bool:
    """A chosen source reports a disagreement, or two sources answering the
    question equally well state different dates or numbers."""
    strong = [c for c in chosen if c.lexical >= 0.8 * chosen[0].lexical]
    if any(c.cue for c in strong):
        return True
    if ev.kind not in ("date", "number"):
        return False
    stated = [(ev.passages[c.passage].source, set(values(ev.kind, c.text))) for c in strong]
    for i, (src_a, va) in enumerate(stated):
        for src_b, vb in stated[i + 1 :]:
            if src_a != src_b and va and vb and not (va & vb) and not _years_overlap(va, vb):
                return True
    return False


def _years_overlap(a: set[str], b: set[str]) -> bool:
    ya = {m for v in a for m in _YEAR.findall(v)}
    yb = {m for v in b for m in _YEAR.findall(v)}
    return bool(ya & yb)
