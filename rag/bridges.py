"""Bridges of a multi-hop question: someone the question only describes.

"Trotsky's elder son and his secretary both died in 1938. ... in which city
was the secretary born?" asks about a person it never names. Before the
question is answered, each such description is asked of the sources on its
own ("Who was Trotsky's secretary?"), and the name they give stands in for
it: "... in which city was Rudolf Klement born?". The rewritten question is
shown, as a follow-up's is.

A description is a bridge when it is
- a definite noun ("the secretary") whose noun the lead-in before the
  questions used ("his secretary"): the lead-in's phrase is asked, its
  possessive resolved ("Trotsky's secretary");
- a definite noun for a person with a phrase or clause of its own ("the man
  Litvinenko said his superiors wanted killed", "the officer sent to kill
  Okolovich"): that phrase is asked;
- a named person's relation, as the question's subject or object ("Where was Trotsky's killer born?").

A later part may also refer back to the person an earlier part asks for:
"Who murdered Trotsky, and where did the killer die?" (`refer_back`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import language

_DEFINITE = frozenset({"the", "that", "this"})
_WH_TAGS = frozenset({"WP", "WDT", "WRB", "WP$"})
_ARGUMENTS = frozenset({"nsubj", "nsubjpass", "dobj"})


@dataclass(frozen=True)
class Bridge:
    start: int  # characters of the description in the question ("the secretary")
    end: int
    asked: str  # the question that names it ("Who was Trotsky's secretary?")


def _owner(doc, before: int) -> str:
    """The name a possessive pronoun at token `before` refers back to: the last one named before it."""
    names = [e for e in doc.ents if e.end <= before and e.label_ in ("PERSON", "ORG", "NORP", "GPE")]
    if names:
        return names[-1].text
    propn = [t for t in doc[:before] if t.pos_ == "PROPN"]
    return propn[-1].text if propn else ""


def _phrase(doc, noun) -> str:
    """The lead-in's phrase for `noun` without what is coordinated with it,
    a possessive pronoun replaced by its owner ("his secretary" -> "Trotsky's secretary")."""
    skip = set()
    for c in noun.children:
        if c.dep_ in ("conj", "cc", "punct", "appos", "relcl"):
            skip.update(t.i for t in c.subtree)
    words = []
    for t in noun.subtree:
        if t.i in skip:
            continue
        if t.tag_ == "PRP$":
            owner = _owner(doc, t.i)
            if not owner:
                return ""
            words.append(owner + "'s" + t.whitespace_)
        else:
            words.append(t.text_with_ws)
    return "".join(words).strip()


def _asks_itself(noun) -> bool:
    """Is the noun what a "Who was ...?" asks about ("Who was the victim of ...?"): no bridge, the question."""
    head = noun.head
    return noun.dep_ in ("attr", "nsubj") and head.lemma_ == "be" and any(
        c.tag_ in _WH_TAGS and c.dep_ in ("attr", "nsubj") for c in head.children)


def _part_end(doc, i: int) -> int:
    """Where the part holding token i ends: at punctuation, or at "and" before another wh-phrase."""
    while i < len(doc) and not (doc[i].is_punct and doc[i].tag_ != "HYPH"):  # ("the Tomsk-Moscow flight")
        nxt = doc[i + 1] if i + 1 < len(doc) else None
        if doc[i].lower_ == "and" and nxt is not None and (nxt.tag_ in _WH_TAGS or nxt.pos_ == "ADP"):
            break
        i += 1
    return i


def _verb_last(doc, t, end: int) -> int | None:
    """Where the question's own verb stands when an auxiliary before the
    noun t leaves it last in the part ("When did the man who killed Trotsky
    die?", "When was the man who murdered Trotsky born?", "... was the
    officer sent to kill Okolovich later poisoned with?"), else None."""
    # the auxiliary of the noun's own part: the nearest before it ("Who was Markov, and when did the clerk ... die?")
    aux = next((u for u in reversed(doc[: t.i]) if u.lemma_ in ("do", "be") and u.pos_ in ("AUX", "VERB")), None)
    v = end - 1
    while v > t.i and doc[v].pos_ in ("ADP", "PART"):  # a stranded preposition: "poisoned with?"
        v -= 1
    if aux is None or v <= t.i:
        return None
    # after do-support the last word is the verb, whatever its tag ("die" tagged a noun)
    return v if aux.lemma_ == "do" or doc[v].tag_ in ("VBN", "VBD") else None


def _trimmed(doc, t, stop: int) -> int:
    """The description's end without an adverb of the question's verb ("later poisoned")."""
    while stop - 1 > t.i and doc[stop - 1].pos_ == "ADV":
        stop -= 1
    return stop


def _described(doc, t) -> int:
    """The end (token index) of the phrase or clause that describes noun t:
    "the victim of the next Novichok poisoning", "the man Litvinenko said ...
    wanted killed"; t.i + 1 when none follows."""
    nxt = doc[t.i + 1] if t.i + 1 < len(doc) else None
    if nxt is None:
        return t.i + 1
    if nxt.lower_ == "of":  # "of" and its noun phrase
        end = _part_end(doc, t.i)
        verb = _verb_last(doc, t, end)  # "When did the leader of the OUN die?"
        end = end if verb is None else verb
        j = t.i + 2
        while j < end and (doc[j].pos_ in ("DET", "ADJ", "NOUN", "PROPN", "NUM") or doc[j].tag_ == "POS"):
            j += 1
        return j if j > t.i + 2 else t.i + 1
    if nxt.tag_ in ("VBN", "VBD") and nxt.pos_ == "VERB":
        # a participle's clause before the question's own verb: "the opposition leader poisoned
        # on the flight [die]"; not "Where was the officer poisoned in 2018?", whose verb it is
        v = _verb_last(doc, t, _part_end(doc, nxt.i))
        return _trimmed(doc, t, v) if v is not None and v > nxt.i + 1 else t.i + 1
    j = nxt.i
    while j < len(doc) and doc[j].pos_ in ("PROPN", "PRON"):
        j += 1
    # a relative clause: "the man who ...", or reduced, a name and a finite verb ("the man Litvinenko
    # said ..."); "the defector Ignace Reiss murdered" is a noun and its name, before a participle
    root = t.sent.root.i
    if nxt.lower_ in ("who", "whom", "whose", "that") or j > nxt.i and j < len(doc) and doc[j].tag_ in ("VBD", "VBZ", "VBP") \
            and j != root:
        end = _part_end(doc, nxt.i)
        verb = _verb_last(doc, t, end)  # "In which city did the man who killed Trotsky die?"
        end = end if verb is None else verb
        # the question's own verb ends the clause: "Where was the man who killed Trotsky born?", and so
        # does the relative clause's end: "The astronaut who stirred the oxygen tanks [was later elected]"
        rel = next((c for c in t.children if c.dep_ == "relcl" and c.i > t.i), None)
        if rel is not None:
            end = min(end, rel.right_edge.i + 1)
        stops = [u.i for u in doc[nxt.i + 1 : end] if u.i == root or u.head.i == t.i and u.dep_ == "acl"]
        return _trimmed(doc, t, stops[0] if stops else end)
    return t.i + 1


def find(question: str, is_person: Callable[[str], bool]) -> list[Bridge]:
    """The descriptions of `question` that may be bridges, each with the question that names it."""
    doc = language.parse(question)
    wh = [t for t in doc if t.tag_ in _WH_TAGS]
    if not wh:
        return []
    ask_start = wh[0].sent.start  # the lead-in is the sentences before the first question
    lead = {t.lemma_.lower(): t for t in doc[:ask_start] if t.pos_ == "NOUN"}
    out: list[Bridge] = []
    for t in doc[ask_start:]:
        d = t.i - 1  # the determiner, before what modifies the noun: "the elder son", "The Apollo 13 astronaut",
        while d > ask_start and (doc[d].pos_ in ("ADJ", "NUM") or doc[d].dep_ in ("compound", "nmod")
                                 and doc[d].pos_ in ("PROPN", "NOUN")):  # "the opposition leader"
            d -= 1
        if d < 0:
            continue
        owner = d  # or a named owner: "Ignace Reiss's boyhood friend" (one person, so a singular noun)
        if doc[d].tag_ == "POS" and t.tag_ == "NN":
            while owner - 1 >= ask_start and doc[owner - 1].pos_ == "PROPN":
                owner -= 1
        if owner < d:
            # (the one the question is about, its subject or object; not "access to Trotsky's household")
            if is_person(t.lemma_.lower()) and not _asks_itself(t) and t.pos_ == "NOUN" and t.dep_ in _ARGUMENTS \
                    and not (t.i + 1 < len(doc) and doc[t.i + 1].pos_ in ("NOUN", "PROPN")):  # "Trotsky's secretary Rudolf Klement"
                stop = max(_described(doc, t), t.i + 1)
                sub = doc[owner:stop].text
                out.append(Bridge(doc[owner].idx, doc[stop - 1].idx + len(doc[stop - 1].text), f"Who was {sub}?"))
            continue
        if t.pos_ != "NOUN" or doc[d].lower_ not in _DEFINITE or _asks_itself(t) \
                or t.i + 1 < len(doc) and doc[t.i + 1].pos_ == "NOUN" \
                or t.dep_ == "compound" and t.head.pos_ == "PROPN":
            # (a noun before a noun modifies it, "the coroner record", and one that modifies a name is named: "the OUN
            # writer Lev Rebet"; "the man Litvinenko said ..." is a description)
            continue
        lemma = t.lemma_.lower()
        start, end = doc[d].idx, t.idx + len(t.text)
        if lemma in lead:
            phrase = _phrase(doc, lead[lemma])
            if phrase:
                out.append(Bridge(start, end, f"Who was {phrase}?"))
        elif (stop := _described(doc, t)) > t.i + 1 and is_person(lemma):
            sub = doc[d:stop].text
            out.append(Bridge(start, doc[stop - 1].idx + len(doc[stop - 1].text), f"Who was {sub[0].lower() + sub[1:]}?"))
    return out


def rewrite(question: str, is_person: Callable[[str], bool], answer: Callable[[str], str]) -> str:
    """`question` with each bridge that the sources name replaced by the name
    (`answer(asked)` gives it, or "" when the sources do not say)."""
    out, at = [], 0
    for b in find(question, is_person):
        name = answer(b.asked)
        if not name or b.start < at:
            continue
        out.append(question[at:b.start] + name)
        at = b.end
    return "".join(out) + question[at:] if out else question


_PERSONS = frozenset(w for w, kinds in language.PRONOUN_KINDS.items() if kinds == ("person",))


def refer_back(question: str, parts: list[str], answers: list[str],
               is_person: Callable[[str], bool]) -> tuple[str, bool, int] | None:
    """`question` with the first back-reference of a later part to an earlier
    part's answer replaced by it: a bare definite noun for a person ("the
    killer", "that agent") or a personal pronoun ("where was he tried?").
    `answers[i]` is the person part i is answered with, or "". Returns (the
    rewritten question, whether it was a description, the part's index), or
    None when no part refers back to an answered one."""
    doc = language.parse(question)
    at = 0
    for k, asked in enumerate(parts):
        start = question.find(asked, at)
        if start < 0:
            return None
        at = start + len(asked)
        earlier = next((a for a in reversed(answers[:k]) if a), "")
        if not k or not earlier:
            continue
        for t in (t for t in doc if start <= t.idx < at):
            if t.lower_ in _PERSONS and t.dep_ in ("nsubj", "nsubjpass", "dobj", "pobj"):
                begin, described = t.idx, False
            elif t.pos_ == "NOUN" and doc[t.i - 1].idx >= start and doc[t.i - 1].lower_ in _DEFINITE \
                    and is_person(t.lemma_.lower()) and (t.i + 1 == len(doc) or doc[t.i + 1].pos_ not in ("ADP", "NOUN", "PROPN")):
                begin, described = doc[t.i - 1].idx, True  # "the killer", not "the man who ..."
            else:
                continue
            return question[:begin] + earlier + question[t.idx + len(t.text):], described, k
    return None
