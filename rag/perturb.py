"""A perturbation suite for the verifier: true and twisted claims made from real sentences.

Everything is made mechanically from the linguistic analysis of a passage
(rag.language), so it works on any English prose; nothing here knows a corpus.

Twisted kinds (each must be flagged unsupported or contradicted):
    number   a number, age, duration or quantity changed
    date     a date's year or day moved
    month    a date's month replaced by another month
    negation "not" put on the main predicate
    role     the agent and patient of the main verb swapped
    entity   a name replaced by another name of the same passage
    foreign  a name replaced by a name from another passage

True kinds (each must be accepted as supported):
    verbatim   the sentence itself
    dropped    a trailing or fronted phrase without values dropped
    paraphrase same values, other wording: a phrase moved, digits spelled, a name shortened
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from . import language
from .language import MONTHS, NAME_KINDS, Analysis, Sentence, Value
from .verify import SUPPORTED, verify_claim

TWISTED = ("number", "date", "month", "negation", "role", "entity", "foreign")
TRUE = ("verbatim", "dropped", "paraphrase")
MIN_WORDS = 6  # shorter sentences (headings, captions, fragments) are not claims
MAX_WORDS = 60  # longer ones are usually run-on lists the splitter could not cut

_PREPOSITIONS = ("in", "on", "at", "after", "before", "during", "by", "from", "until", "since", "within")
_SMALL_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
                "fifteen sixteen seventeen eighteen nineteen").split()
_TENS_WORDS = "twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_words(n: int) -> str | None:
    """0..99 in words ("forty-two"); None beyond."""
    if n < 20:
        return _SMALL_WORDS[n]
    if n < 100:
        t, u = divmod(n, 10)
        return _TENS_WORDS[t - 2] + (f"-{_SMALL_WORDS[u]}" if u else "")
    return None


@dataclass
class Claim:
    kind: str
    text: str
    passage: int  # index of the passage it is checked against
    source: str  # the sentence it was made from
    twisted: bool


def _sub(sentence: Sentence, v: Value, new: str) -> str:
    """The sentence with value `v`'s text replaced (offsets are into the passage)."""
    a, b = v.start - sentence.start, v.end - sentence.start
    return sentence.text[:a] + new + sentence.text[b:]


def _changed_number(text: str, rng: random.Random) -> str | None:
    m = re.search(r"\d+(?:,\d{3})*(?:\.\d+)?", text)
    if m:
        n = float(m.group(0).replace(",", ""))
        delta = max(1, round(abs(n) * rng.uniform(0.2, 0.6)))
        new = n + delta
        return text[: m.start()] + (str(int(new)) if new.is_integer() else f"{new:g}") + text[m.end():]
    for w in re.findall(r"[A-Za-z]+(?:-[A-Za-z]+)?", text):
        n = language.number_of(w)
        if n is not None and n < 50 and w.lower() not in ("a", "an"):
            new = number_words(int(n) * 2 if n >= 2 else int(n) + 3)
            return text.replace(w, new, 1) if new else None
    return None


def _twist_number(s: Sentence, rng) -> str | None:
    for v in s.values:
        if v.kind in ("number", "duration", "quantity", "money", "percent"):
            new = _changed_number(v.text, rng)
            if new and new != v.text:
                return _sub(s, v, new)
    return None


def _twist_date(s: Sentence, rng) -> str | None:
    for v in s.of_kind("date"):
        m = re.search(r"\b(1[0-9]\d\d|20\d\d)\b", v.text)
        day = re.search(r"\b(\d{1,2})(?:st|nd|rd|th)?\b(?!\d)", v.text)
        if day and (not m or day.start() != m.start()) and int(day.group(1)) <= 31:
            d = int(day.group(1))
            nd = d + 7 if d <= 21 else d - 7
            return _sub(s, v, v.text[: day.start(1)] + str(nd) + v.text[day.end(1):])
        if m:
            return _sub(s, v, v.text[: m.start()] + str(int(m.group(1)) + rng.choice((-3, -2, 2, 3))) + v.text[m.end():])
    return None


def _twist_month(s: Sentence, rng) -> str | None:
    for v in s.of_kind("date"):
        for i, month in enumerate(MONTHS):
            m = re.search(rf"\b{month}\b", v.text, re.I)
            if m:
                other = MONTHS[(i + rng.choice((2, 3, 4, 5))) % 12].capitalize()
                return _sub(s, v, v.text[: m.start()] + other + v.text[m.end():])
    return None


def _root(doc):
    return next((t for t in doc if t.dep_ == "ROOT"), None)


def _twist_negation(s: Sentence, rng) -> str | None:
    if s.negated:
        return None
    doc = language.parse(s.text)
    root = _root(doc)
    if root is None or root.pos_ not in ("VERB", "AUX") or any(c.dep_ == "neg" for c in root.children):
        return None
    aux = [c for c in root.children if c.dep_ in ("aux", "auxpass") and c.i < root.i]
    if aux:  # "was killed" -> "was not killed", "has said" -> "has not said"
        t = aux[0]
        return s.text[: t.idx + len(t.text)] + " not" + s.text[t.idx + len(t.text):]
    if root.lemma_ == "be":  # "was a state operation" -> "was not a state operation"
        return s.text[: root.idx + len(root.text)] + " not" + s.text[root.idx + len(root.text):]
    do = {"VBD": "did", "VBZ": "does", "VBP": "do"}.get(root.tag_)
    if not do:
        return None
    return s.text[: root.idx] + f"{do} not {root.lemma_}" + s.text[root.idx + len(root.text):]


def _names(s: Sentence) -> list[Value]:
    return [v for v in s.values if v.kind in NAME_KINDS]


def _twist_role(s: Sentence, rng) -> str | None:
    for r in s.roles[:1]:
        if not r.agents or not r.patients:
            continue
        names = _names(s)
        ag = next((v for v in names if v.norm == r.agents[0]), None)
        pa = next((v for v in names if v.norm == r.patients[0]), None)
        if not ag or not pa or ag.start == pa.start or language.same_value(ag.norm, pa.norm, "name"):
            continue
        first, second = sorted((ag, pa), key=lambda v: v.start)
        a, b = first.start - s.start, second.start - s.start
        t = s.text
        return t[:a] + second.text + t[first.end - s.start : b] + first.text + t[second.end - s.start :]
    return None


def _replace_name(s: Sentence, pool: list[Value], rng) -> str | None:
    names = [v for v in _names(s) if len(v.text) > 2]
    rng.shuffle(names)
    for v in names:
        fam = "person" if v.kind == "person" else None
        options = [w for w in pool if (fam is None or w.kind == fam) and w.kind in NAME_KINDS
                   and not any(language.same_value(w.norm, x.norm, "name") for x in _names(s))]
        if options:
            return _sub(s, v, rng.choice(options).text)
    return None


def _drop_phrase(s: Sentence, rng) -> str | None:
    """Drop a phrase hanging off the main verb that states no value."""
    doc = language.parse(s.text)
    root = _root(doc)
    if root is None:
        return None
    value_chars = {i for v in s.values for i in range(v.start - s.start, v.end - s.start)}
    for c in sorted(root.children, key=lambda c: -c.i):
        if c.dep_ not in ("prep", "advcl", "advmod", "npadvmod", "conj"):
            continue
        sub = list(c.subtree)
        a, b = sub[0].idx, sub[-1].idx + len(sub[-1].text)
        if any(i in value_chars for i in range(a, b)) or b - a < 4:
            continue
        if c.dep_ == "conj":  # take the "and" with it
            cc = [x for x in root.children if x.dep_ == "cc" and x.i < c.i]
            if cc:
                a = cc[-1].idx
        out = (s.text[:a].rstrip(" ,;") + " " + s.text[b:].lstrip(" ,;")).strip()
        out = re.sub(r"\s+([.,;:!?])", r"\1", out)
        if len(out.split()) >= MIN_WORDS - 2 and out != s.text:
            return out[0].upper() + out[1:]
    return None


def _paraphrase(s: Sentence, rng) -> str | None:
    """Same values, other wording."""
    text = s.text
    # A fronted phrase moved to the end: "In 1940, X did Y." -> "X did Y in 1940."
    m = re.match(r"^([A-Z][^,]{3,40}),\s+(.+?)([.!?])$", text)
    if m and len(m.group(2).split()) >= 4 and m.group(1).split()[0].lower() in _PREPOSITIONS:
        head, rest = m.group(1), m.group(2)
        return rest[0].upper() + rest[1:] + " " + head[0].lower() + head[1:] + m.group(3)
    # A full name shortened to its last word ("Ramón Mercader" -> "Mercader").
    for v in _names(s):
        if v.kind == "person" and len(v.text.split()) >= 2:
            return _sub(s, v, v.text.split()[-1])
    # Digits spelled out, or words as digits.
    for v in s.values:
        if v.kind in ("number", "duration", "quantity") and re.fullmatch(r"\d{1,2}(?:[\s-]\w+)*", v.text):
            n = re.search(r"\b\d{1,2}\b", v.text)
            if n and number_words(int(n.group(0))):
                return _sub(s, v, v.text[: n.start()] + number_words(int(n.group(0))) + v.text[n.end():])
    # A trailing phrase moved to the front.
    doc = language.parse(text)
    root = _root(doc)
    if root is not None:
        tail = [c for c in root.children if c.dep_ == "prep" and c.i > root.i]
        if tail:
            sub = list(tail[-1].subtree)
            a, b = sub[0].idx, sub[-1].idx + len(sub[-1].text)
            if text[b:].strip() in (".", "!", "?", ""):
                phrase = text[a:b]
                rest = text[:a].rstrip(" ,") + text[b:]
                return phrase[0].upper() + phrase[1:] + ", " + rest[0].lower() + rest[1:] \
                    if not rest.split()[0][0].isupper() or rest.split()[0].lower() in ("the", "a", "an", "he", "she", "it", "they") \
                    else phrase[0].upper() + phrase[1:] + ", " + rest
    return None


def make_claims(passages: list[str], analyses: list[Analysis] | None = None, *, seed: int = 0,
                per_kind: int | None = None) -> list[Claim]:
    """True and twisted claims from the sentences of `passages`."""
    rng = random.Random(seed)
    analyses = analyses or language.analyse_many(passages)
    pools = [[v for s in a.sentences for v in _names(s)] for a in analyses]
    claims: list[Claim] = []
    for pi, a in enumerate(analyses):
        others = [v for j, pool in enumerate(pools) if j != pi for v in pool
                  if not any(language.same_value(v.norm, w.norm, "name") for w in pools[pi])]
        for s in a.sentences:
            if s.heading or not (MIN_WORDS <= len(s.text.split()) <= MAX_WORDS) or not s.text.rstrip().endswith((".", "!", "?")):
                continue
            made = {
                "verbatim": s.text,
                "dropped": _drop_phrase(s, rng),
                "paraphrase": _paraphrase(s, rng),
                "number": _twist_number(s, rng),
                "date": _twist_date(s, rng),
                "month": _twist_month(s, rng),
                "negation": _twist_negation(s, rng),
                "role": _twist_role(s, rng),
                "entity": _replace_name(s, [v for v in pools[pi]], rng),
                "foreign": _replace_name(s, others, rng),
            }
            for kind, text in made.items():
                if text and (kind == "verbatim" or text.strip() != s.text.strip()):
                    claims.append(Claim(kind, text, pi, s.text, kind in TWISTED))
    if per_kind:
        by: dict[str, list[Claim]] = defaultdict(list)
        for c in claims:
            by[c.kind].append(c)
        claims = [c for kind in by for c in (rng.sample(by[kind], per_kind) if len(by[kind]) > per_kind else by[kind])]
    return claims


@dataclass
class SuiteResult:
    counts: dict[str, int]
    correct: dict[str, int]
    verdicts: dict[str, Counter]
    misses: list[tuple[Claim, str, str]]

    def rate(self, kind: str) -> float:
        return self.correct[kind] / self.counts[kind] if self.counts.get(kind) else float("nan")

    def twisted_rate(self) -> float:
        n = sum(self.counts.get(k, 0) for k in TWISTED)
        return sum(self.correct.get(k, 0) for k in TWISTED) / n if n else float("nan")


def run_suite(passages: list[str], analyses: list[Analysis] | None = None, **kwargs) -> SuiteResult:
    """Verify every claim against the passage it came from; count the right verdicts per kind."""
    analyses = analyses or language.analyse_many(passages)
    claims = make_claims(passages, analyses, **kwargs)
    counts, correct = Counter(), Counter()
    verdicts: dict[str, Counter] = defaultdict(Counter)
    misses = []
    for c in claims:
        verdict, _ = verify_claim(c.text, [(passages[c.passage], analyses[c.passage])])
        ok = (verdict.verdict != SUPPORTED) if c.twisted else verdict.verdict == SUPPORTED
        counts[c.kind] += 1
        correct[c.kind] += ok
        verdicts[c.kind][verdict.verdict] += 1
        if not ok:
            misses.append((c, verdict.verdict, verdict.reason))
    return SuiteResult(dict(counts), dict(correct), dict(verdicts), misses)


def report(result: SuiteResult, title: str) -> str:
    lines = [f"## {title}", "", "| kind | claims | right verdict | rate | verdicts |", "|---|---|---|---|---|"]
    for kind in TWISTED + TRUE:
        if result.counts.get(kind):
            v = ", ".join(f"{k} {n}" for k, n in sorted(result.verdicts[kind].items()))
            lines.append(f"| {kind}{' (twisted)' if kind in TWISTED else ' (true)'} | {result.counts[kind]} | "
                         f"{result.correct[kind]} | {result.rate(kind):.3f} | {v} |")
    lines += ["", f"Twisted claims flagged overall: {result.twisted_rate():.3f}", ""]
    return "\n".join(lines)


def passages_of_files(paths, settings) -> tuple[list[str], list[Analysis]]:
    """The chunks of files, as ingest makes them (text and stored analysis)."""
    from pathlib import Path

    from . import chunking
    from .loading import load_file

    texts, analyses = [], []
    for path in sorted(Path(p) for p in paths):
        docs = load_file(path, root=path.parent, max_bytes=settings.max_file_mb * 2**20)
        for c in chunking.split(docs, settings):
            texts.append(c.page_content)
            analyses.append(language.stored_analysis(c.page_content, c.metadata))
    return texts, analyses
