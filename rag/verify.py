"""The verifier: is a cited claim stated by the passage it cites?

Every engine's answer goes through `verify_claim`. For one claim (a sentence
of the answer, citation marks stripped) and the passages it cites:

1. Verbatim: a claim that is a verbatim span of a passage is `supported`
   (the extractive engine's case; a regex search, no parsing).
2. Align: the passage sentence, or pair of adjacent sentences, whose content
   lemmas cover the claim's best.
3. Values: every date, number, age, duration, quantity, money, percentage and
   name the claim states must be stated by the aligned text, after
   normalisation (`language.same_value`). A differing value of the same kind
   in the same slot is a contradiction ("the passage says 20 years, not 40
   years"); a value the passage does not state makes the claim unsupported.
4. Polarity: a negation on a predicate that the passage states without it
   (or the reverse) is a contradiction.
5. Roles: the agent and patient of a verb must not be swapped against the
   passage's ("Trotsky killed Mercader" vs "Mercader killed Trotsky"),
   passives and "by" phrases included.
6. Content: the aligned text must cover most of the claim's content lemmas.

A claim without a verb ("Ramón Mercader, with an ice axe.", the extractive
engine's short answers) is checked as a phrase of values: each value and
noun phrase must be stated by the cited passage.

Verdicts: "supported", "unsupported", "contradicted", each with a reason and,
for contradictions, the passage's own value.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from . import language
from .language import NAME_KINDS, Analysis, Sentence, Value, fold, same_value

SUPPORTED, UNSUPPORTED, CONTRADICTED = "supported", "unsupported", "contradicted"
VERDICTS = (SUPPORTED, CONTRADICTED, UNSUPPORTED)  # best first

# Share of the claim's content lemmas the aligned text must hold. Measured on
# the perturbation suite (docs/eval/verifier.md): true claims (verbatim,
# clause dropped, light paraphrase) cover >= 0.7 of their lemmas; claims
# about another sentence of the same passage cover less than 0.5.
CONTENT_MIN = 0.6
# A pair of adjacent sentences is preferred to the best single one only when
# it covers clearly more of the claim (a fused claim), not by chance words.
PAIR_GAIN = 0.15
# A short deleted run around a negation word is a removed negation; a longer
# one is a dropped clause (a true claim may drop a negated clause).
NEG_RUN_MAX = 2
# A replaced run is a value swapped in its slot when the passage's run is at
# most this many words longer than the claim's ("the Soviet Union" for
# "Ramón Mercader"); longer runs are the same words in another order.
SLOT_SLACK = 2

_NEGATIONS = frozenset({"not", "never", "no", "neither", "nor", "nobody", "nothing", "none", "cannot"})
_WORD = re.compile(r"\w+(?:'\w+)?")


@dataclass
class Check:
    """The verdict of one passage on one claim."""

    verdict: str
    reason: str
    quote: str = ""  # the passage's aligned text (verbatim span)
    start: int = 0  # offset of the quote in the passage
    passage_value: str = ""  # for contradictions: what the passage says instead
    claim_value: str = ""

    @property
    def supported(self) -> bool:
        return self.verdict == SUPPORTED


def _rank(c: Check) -> int:
    return VERDICTS.index(c.verdict)


def _words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def _is_neg(w: str) -> bool:
    return w in _NEGATIONS or w.endswith("n't")


def verbatim_span(claim: str, passage: str) -> tuple[int, int] | None:
    """Where `claim` occurs in `passage` word for word (spacing free), or None."""
    words = claim.strip().rstrip(".!?;:,").split()
    if not words:
        return None
    m = re.search(r"\s+".join(re.escape(w) for w in words), passage)
    return (m.start(), m.end()) if m else None


# -- the claim's analysis -------------------------------------------------------


def _merge(sentences: list[Sentence], text: str) -> Sentence:
    """Several sentences as one (a claim spaCy split, or two aligned sentences)."""
    if len(sentences) == 1:
        return sentences[0]
    return Sentence(
        sentences[0].start, sentences[-1].end, text[sentences[0].start : sentences[-1].end],
        values=[v for s in sentences for v in s.values],
        phrases=[v for s in sentences for v in s.phrases],
        lemmas=frozenset().union(*(s.lemmas for s in sentences)),
        roles=[r for s in sentences for r in s.roles],
    )


def _content(lemmas: frozenset[str]) -> frozenset[str]:
    return frozenset(x for x in lemmas if not _is_neg(x))


def _coverage(claim: Sentence, cand: Sentence, values: bool = True) -> float:
    lemmas = _content(claim.lemmas)
    if not values:  # the claim's words other than its values (those are checked one by one)
        vwords = {w for v in claim.values for w in _words(v.text or v.norm)}
        lemmas = frozenset(x for x in lemmas if fold(x) not in vwords)
    if not lemmas:
        return 1.0
    cwords = set(_words(cand.text))
    return sum(1 for x in lemmas if x in cand.lemmas or fold(x) in cwords) / len(lemmas)


def _align(claim: Sentence, analysis: Analysis) -> tuple[Sentence, float] | None:
    sents = [s for s in analysis.sentences if not s.heading] or analysis.sentences
    if not sents:
        return None
    scored = [(_coverage(claim, s), -len(s.text), i) for i, s in enumerate(sents)]
    best_cov, _, bi = max(scored)
    best = sents[bi]
    for i in range(len(sents) - 1):
        pair = _merge([sents[i], sents[i + 1]], analysis.text)
        cov = _coverage(claim, pair)
        if cov >= best_cov + PAIR_GAIN:
            best, best_cov = pair, cov
    return best, best_cov


# -- values -----------------------------------------------------------------------


def _family(kind: str) -> str:
    """Kinds that compare with each other: spaCy may call one name a person or a place."""
    if kind in NAME_KINDS:
        return "name"
    if kind in ("number", "ordinal", "percent", "money", "quantity"):
        return "measure"
    return kind  # date, duration, time


def _numbers(norm: str) -> set[str]:
    return set(re.findall(r"\d+(?:\.\d+)?", norm))


def _stated(v: Value, aligned: Sentence) -> bool:
    """Is claim value `v` stated by the aligned text?"""
    fam = _family(v.kind)
    for w in aligned.values:
        if _family(w.kind) == fam and same_value(v.norm, w.norm, "name" if fam == "name" else w.kind if fam != "measure" else None):
            return True
        if fam == "measure" and v.kind == w.kind and v.norm == w.norm:
            return True
    text = " ".join(_words(aligned.text))
    vt = " ".join(_words(v.text or v.norm))
    if vt and re.search(rf"(?<!\w){re.escape(vt)}(?!\w)", text):
        return True
    if fam == "name":  # "Mercader" stated as part of a longer name the tagger missed
        words = set(_words(aligned.text))
        return bool(_words(v.norm)) and all(x in words for x in _words(v.norm))
    if fam in ("measure", "duration"):  # the same number under another tag ("aged 60" / "60-year-old")
        nums = _numbers(v.norm)
        unit = v.norm.split()[-1] if fam == "duration" else ""
        for w in aligned.values:
            if _family(w.kind) in ("measure", "duration") and nums and nums == _numbers(w.norm):
                if not unit or unit in w.norm:
                    return True
    return False


def _value_words(v: Value) -> set[str]:
    return set(_words(v.text or v.norm))


def _compatible(v: Value, w: Value) -> bool:
    fam = _family(v.kind)
    if _family(w.kind) != fam:
        return False
    if fam == "duration":  # a duration in other units is not this slot
        return v.norm.split()[-1] == w.norm.split()[-1]
    return True


def _same(v: Value, w: Value) -> bool:
    fam = _family(v.kind)
    return same_value(v.norm, w.norm, "name" if fam == "name" else v.kind if fam != "measure" else None)


def _replacements(claim_text: str, aligned: Sentence) -> list[tuple[set[str], set[str]]]:
    """(claim words, passage words) of each replaced run when the claim is laid over the passage."""
    cw, pw = _words(claim_text), _words(aligned.text)
    sm = difflib.SequenceMatcher(None, cw, pw, autojunk=False)
    return [(set(cw[i1:i2]), set(pw[j1:j2])) for tag, i1, i2, j1, j2 in sm.get_opcodes() if tag == "replace"]


def _slot_value(v: Value, claim_text: str, aligned: Sentence, claim: Sentence) -> str:
    """What the aligned text states in the slot where the claim states `v`, or ""."""
    vw = _value_words(v)
    for cs, ps in _replacements(claim_text, aligned):
        if vw & cs:
            for w in aligned.values:
                if _compatible(v, w) and _value_words(w) & ps:
                    return w.text or w.norm
    # No aligned wording: another value of the same kind the claim does not state.
    others = [w for w in aligned.values if _compatible(v, w)
              and not any(_compatible(c, w) and _same(c, w) for c in claim.values if c is not v)]
    if _family(v.kind) == "measure":
        others = [w for w in others if w.kind == v.kind] or others
    return (others[0].text or others[0].norm) if others else ""


def _swapped_value(claim: Sentence, aligned: Sentence, claim_text: str) -> Check | None:
    """A passage value replaced in its slot by a different claim value ("Hero of the X")."""
    # Only like-for-like runs: a long passage run against a short claim run is a reordering.
    runs = [(cs, ps) for cs, ps in _replacements(claim_text, aligned) if len(ps) <= len(cs) + SLOT_SLACK]
    for cs, ps in runs:
        for v in claim.values:
            if not _value_words(v) & cs:
                continue
            for w in aligned.values:
                if (_compatible(v, w) and _value_words(w) & ps and not _same(v, w)
                        and not any(_compatible(c, w) and _same(c, w) for c in claim.values)):
                    return Check(CONTRADICTED, f"the passage says {w.text or w.norm}, not {v.text or v.norm}",
                                 passage_value=w.text or w.norm, claim_value=v.text or v.norm)
    # A value the tagger did not see in the claim: a name or number in place of the passage's value.
    tokens = re.findall(r"\w+", claim_text)
    named = {fold(t) for t in tokens if t[0].isdigit() or t[0].isupper()}
    claim_words = set(_words(claim_text))
    for cs, ps in runs:
        said = list(dict.fromkeys(t for t in tokens if fold(t) in cs & named))
        if not said:
            continue
        for w in aligned.values:
            if _value_words(w) & ps and not _value_words(w) <= claim_words:
                return Check(CONTRADICTED, f"the passage says {w.text or w.norm}, not {' '.join(said)}",
                             passage_value=w.text or w.norm, claim_value=" ".join(said))
    return None


def _passage_span(aligned: Sentence, words: list[str]) -> str:
    """The passage's own text for a run of its folded words."""
    if not words:
        return ""
    pattern = r"\W+".join(re.escape(w) for w in words)
    m = re.search(pattern, fold(aligned.text))
    if m and len(fold(aligned.text)) == len(aligned.text):
        return aligned.text[m.start() : m.end()]
    return " ".join(words)


def _value_check(claim: Sentence, aligned: Sentence, claim_text: str) -> Check | None:
    missing = None
    for v in claim.values:
        if v.kind == "time" or _stated(v, aligned):
            continue
        other = _slot_value(v, claim_text, aligned, claim)
        if other and not _words(other) == _words(v.text):
            return Check(CONTRADICTED, f"the passage says {other}, not {v.text or v.norm}",
                         passage_value=other, claim_value=v.text or v.norm)
        missing = missing or v
    if missing is None:
        return _swapped_value(claim, aligned, claim_text)
    if missing is not None:
        return Check(UNSUPPORTED, f"the passage does not state {missing.text or missing.norm}",
                     claim_value=missing.text or missing.norm)
    return None


# -- polarity and roles -----------------------------------------------------------


def _names_match(a: str, b: str) -> bool:
    return same_value(a, b, "name")


def _role_check(claim: Sentence, aligned: Sentence) -> Check | None:
    for r in claim.roles:
        same_verb = [p for p in aligned.roles if p.verb == r.verb]
        if not same_verb:
            continue
        if all(p.negated != r.negated for p in same_verb):
            said = _gist(aligned.text)
            return Check(CONTRADICTED, "the passage states it without the negation" if r.negated
                         else "the passage negates it", passage_value=said,
                         claim_value=("not " if r.negated else "") + r.verb)
        for p in same_verb:
            swapped = (
                any(any(_names_match(a, x) for x in p.patients) and not any(_names_match(a, y) for y in p.agents)
                    for a in r.agents)
                or any(any(_names_match(a, x) for x in p.agents) and not any(_names_match(a, y) for y in p.patients)
                       for a in r.patients)
            )
            if swapped:
                who = ", ".join(p.agents) or "someone"
                whom = ", ".join(p.patients) or "someone"
                return Check(CONTRADICTED, f"the passage says {who} {r.verb} {whom}, the other way round",
                             passage_value=f"{who} {r.verb} {whom}",
                             claim_value=f"{', '.join(r.agents)} {r.verb} {', '.join(r.patients)}")
    return None


GIST_CHARS = 120  # a passage sentence shown as "the passage's own value" is cut to this


def _gist(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= GIST_CHARS else text[: GIST_CHARS - 1].rsplit(" ", 1)[0] + "…"


def _negation_diff(claim_text: str, aligned: Sentence) -> Check | None:
    """A negation word inserted into, or removed from, the passage's wording."""
    cw, pw = _words(claim_text), _words(aligned.text)
    sm = difflib.SequenceMatcher(None, cw, pw, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        cneg = any(_is_neg(w) for w in cw[i1:i2])
        pneg = any(_is_neg(w) for w in pw[j1:j2])
        if cneg and not pneg and i2 - i1 <= NEG_RUN_MAX + (j2 - j1):
            return Check(CONTRADICTED, "the passage states it without the negation",
                         passage_value=_gist(aligned.text), claim_value=" ".join(cw[i1:i2]))
        if pneg and not cneg and j2 - j1 <= NEG_RUN_MAX + (i2 - i1):
            return Check(CONTRADICTED, "the passage negates it", passage_value=_gist(aligned.text),
                         claim_value=" ".join(cw[i1:i2]))
    return None


# -- one claim, one passage ----------------------------------------------------------


def _denied(v: Value, claim: Sentence) -> bool:
    """Is the value set after "not" ("No, not plutonium: polonium-210")? The claim denies it; the passage need not state it."""
    before = claim.text[: v.start - claim.start].strip().lower()
    return before == "not" or before.endswith(" not")


def _phrase_check(claim: Sentence, analysis: Analysis) -> Check:
    """A verbless claim: each value and noun phrase must be stated by the passage (but one it denies)."""
    whole = _merge([s for s in analysis.sentences if not s.heading] or analysis.sentences, analysis.text) \
        if analysis.sentences else Sentence(0, len(analysis.text), analysis.text)
    for v in claim.values:
        if v.kind != "time" and not _denied(v, claim) and not _stated(v, whole):
            return Check(UNSUPPORTED, f"the passage does not state {v.text or v.norm}", claim_value=v.text or v.norm)
    words = set(_words(analysis.text))
    lemmas = whole.lemmas
    for ph in [p for p in claim.phrases if not _denied(p, claim)]:
        content = [w for w in _words(ph.text) if w not in _NEGATIONS]
        if content and not all(w in words or w in lemmas for w in content) and ph.head not in lemmas:
            return Check(UNSUPPORTED, f"the passage does not mention {ph.text}", claim_value=ph.text)
    quote_s = max((s for s in analysis.sentences if not s.heading), key=lambda s: _coverage(claim, s), default=None)
    if quote_s is None:
        return Check(SUPPORTED, "each value is stated by the passage")
    return Check(SUPPORTED, "each value is stated by the passage", quote=quote_s.text, start=quote_s.start)


def check(claim_text: str, passage: str, analysis: Analysis | None = None, claim: Sentence | None = None) -> Check:
    """The verdict of one passage on one claim (marks already stripped)."""
    span = verbatim_span(claim_text, passage)
    if span:
        return Check(SUPPORTED, "verbatim in the passage", quote=passage[span[0] : span[1]], start=span[0])
    analysis = analysis or language.analyse(passage)
    claim = claim or _claim(claim_text)
    if not claim.roles:  # no verb: a phrase of values
        return _phrase_check(claim, analysis)
    got = _align(claim, analysis)
    if got is None:
        return Check(UNSUPPORTED, "the passage is empty")
    aligned, _ = got
    quote = dict(quote=aligned.text, start=aligned.start)
    cov = _coverage(claim, aligned, values=False)
    if cov < CONTENT_MIN:
        return Check(UNSUPPORTED, f"no sentence of the passage states this (the closest holds {cov:.0%} of its words)", **quote)
    for step in (_role_check(claim, aligned), _value_check(claim, aligned, claim_text), _negation_diff(claim_text, aligned)):
        if step:
            step.quote, step.start = quote["quote"], quote["start"]
            return step
    return Check(SUPPORTED, "its values, polarity and roles agree with the passage", **quote)


def _claim(text: str) -> Sentence:
    a = language.analyse(text)
    sents = [s for s in a.sentences if not s.heading] or a.sentences
    if not sents:
        return Sentence(0, len(text), text)
    return _merge(sents, a.text)


# -- one claim, all its passages ------------------------------------------------------


def verify_claim(claim_text: str, passages: list[tuple[str, Analysis | None]]) -> tuple[Check, list[Check]]:
    """(the claim's verdict, one Check per cited passage).

    Supported when one passage supports it; otherwise, with several passages,
    the claim is checked against their aligned texts together (a claim may
    join facts of two passages); otherwise contradicted if a passage
    contradicts it, else unsupported.
    """
    if not passages:
        return Check(UNSUPPORTED, "it cites no passage"), []
    checks: list[Check] = []
    claim: Sentence | None = None
    for text, analysis in passages:
        if verbatim_span(claim_text, text):
            checks.append(check(claim_text, text))
            continue
        claim = claim or _claim(claim_text)
        checks.append(check(claim_text, text, analysis, claim))
    best = min(checks, key=_rank)
    if best.supported or len(passages) < 2:
        return best, checks
    # Several passages: their aligned sentences together.
    joined_text = "\n\n".join(c.quote for c in checks if c.quote)
    if joined_text:
        joint = check(claim_text, joined_text, None, claim)
        if joint.supported:
            return Check(SUPPORTED, "stated by the cited passages together", quote=best.quote, start=best.start), checks
    return best, checks
