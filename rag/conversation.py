"""Conversation history and the standalone rewrite of follow-up questions.

A follow-up ("When did he die?") is searched as a standalone query. With a
generative engine the model rewrites it (prompts/condense.txt); without one,
`readings` resolves it: each pronoun or definite description ("he", "his
killer", "that service", "in which town?") is replaced by an entity of the
right kind from the last turns, answers included. Where two entities fit
("he" after "Who killed Bandera?" may be Bandera or his killer), every
reading is returned and the pipeline keeps the one the sources answer with
the stronger typed evidence.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

from .citations import strip_marks
from .errors import RagError
from .language import PRONOUN_KINDS as _PRONOUN_KINDS

MAX_QUESTION_CHARS = 2000


class HistoryError(RagError):
    pass


def validate_history(history: object) -> list[dict]:
    """History as OpenAI-style messages, or a HistoryError saying what is wrong."""
    if history is None:
        return []
    if not isinstance(history, list):
        raise HistoryError("history must be a JSON list of messages like {\"role\": \"user\", \"content\": \"...\"}")
    out = []
    for i, m in enumerate(history):
        if not isinstance(m, dict) or m.get("role") not in ("user", "assistant") or not isinstance(m.get("content"), str):
            raise HistoryError(
                f"history message {i} must be an object with \"role\" (\"user\" or \"assistant\") "
                f"and \"content\" (a string); got {json.dumps(m, ensure_ascii=False)[:80]}"
            )
        out.append({"role": m["role"], "content": m["content"]})
    return out


def load_history(path: Path) -> list[dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HistoryError(f"history file {path} does not exist") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise HistoryError(f"history file {path} is not valid JSON: {e}") from None
    return validate_history(data)


def clean_question(question: str) -> tuple[str, list[str]]:
    """Normalise a question; (text, notices). Control characters go, length is capped."""
    notices = []
    text = "".join(
        " " if unicodedata.category(c) in ("Cc", "Cf") and c not in "\n\t" else c for c in question
    )
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) > MAX_QUESTION_CHARS:
        text = text[:MAX_QUESTION_CHARS].rsplit(" ", 1)[0]
        notices.append(f"The question was longer than {MAX_QUESTION_CHARS} characters; only its start was used.")
    return text, notices


def unresolved_person(question: str) -> str:
    """The "he" or "she" of a question that nothing in it can mean: no noun
    or name in it ("When did he die?" asked first, or after turns that name
    no one). "" when there is none, or something in the question may be
    whom it means ("Where did the smuggler die, and when was he born?",
    "Before he was killed, where did Trotsky live?", "who lured ignace
    reiss to the meeting where he was killed", typed in lower case)."""
    from . import language

    doc = language.parse(question)
    he = next((t for t in doc if t.pos_ == "PRON" and _PRONOUN_KINDS.get(t.lower_) == ("person",)), None)
    if he is None or any(u.pos_ in ("NOUN", "PROPN") or u.ent_type_ for u in doc):
        return ""
    return he.text


def carry_entities(question: str, history: list[dict], limit: int = 4) -> str:
    """A standalone query for a follow-up without a model: its likeliest reading."""
    return readings(question, history)[0]


# -- offline follow-up resolution ---------------------------------------------------

HISTORY_TURNS = 4  # messages looked back for an antecedent (two question-answer pairs)
MAX_READINGS = 3  # readings of one follow-up tried against the sources

_DEMONSTRATIVES = frozenset({"that", "this", "the", "these", "those"})


def _antecedents(history: list[dict], kinds: tuple[str, ...]) -> list[str]:
    """Entities of the given kinds in the last turns: the first one each
    message names (the most recent message first), then the others."""
    from . import language

    turns = history[-HISTORY_TURNS:]
    texts = [strip_marks(m["content"]) for m in turns]
    per_message = []
    for m, analysis in reversed(list(zip(turns, language.analyse_many(texts)))):
        # an answer is about what its first sentence states ("Pavel Sudoplatov [1]."), not
        # about everyone its quoted sentences mention ("Stepan Bandera led the OUN ...")
        said = [s for s in analysis.sentences if not s.heading]
        said = said[:1] if m["role"] == "assistant" else said
        if m["role"] == "assistant" and said and _continues(said[0]):
            continue  # "She was Trotsky's second wife": its she is whom the question was about, not Trotsky
        docs = [s.doc() for s in said]
        spans = {id(v): s.span(v, d) for s, d in zip(said, docs) for v in s.values}
        values = [v for s, d in zip(said, docs) for v in _by_salience(s, d)
                  if not (v.kind == "person" and (_placed(spans[id(v)]) or _the_one_word(spans[id(v)])))]
        got = [v for v in values if v.kind in kinds]
        if not got and "name" in kinds and m["role"] == "assistant" and said and _bare(said[0]):
            got = _bare(said[0])  # "Radioactive thallium." answers what "it" was
        if not got and "person" in kinds and not any(per_message):
            # a question about someone ("Who was Natalia Sedova?") whose name
            # the small model tagged as an organisation or a place; an answer
            # that starts with someone so tagged ("Vadim Krasikov, who shot him"),
            # though not a body named with "the" ("The Dawn Sturgess Inquiry")
            # (only while no later message names a person: "When did he die?" after "Which scientist explained
            # the Chernobyl accident?" - "Valery Legasov [1]." means Legasov, not Chernobyl)
            got = [v for v in values if v.kind in language.NAME_KINDS and v.kind != "group"
                   and not _placed(spans[id(v)])] if m["role"] == "user" else [  # ("went wrong at Chernobyl": a place)
                v for s, d in zip(said, docs) for v in s.values if v.kind == "org" and v.start == s.start and _named_alone(s.span(v, d))]
        per_message.append(got)
    ordered = [vs[0] for vs in per_message if vs] + [v for vs in per_message for v in vs[1:]]
    found: list[str] = []
    norms: list[tuple[str, str]] = []
    for v in ordered:
        if any(language.same_value(v.norm, n, k) for n, k in norms if k == v.kind):
            continue
        text = re.sub(r"^(the|a|an)\s+", "", v.text, flags=re.I) if v.kind == "person" else v.text
        found.append(re.sub(r"['’]s$", "", text))
        norms.append((v.norm, v.kind))
    return found


def _placed(span) -> bool:
    """Is a name the object of a place preposition ("In Lyon, in 1902", which the tagger took for a person;
    "went wrong at Chernobyl"): a place, not whom a pronoun means?"""
    from .language import IN_PREPOSITIONS

    return span is not None and span.root.dep_ == "pobj" and span.root.head.lower_ in IN_PREPOSITIONS


def _the_one_word(span) -> bool:
    """Is a "person" one word after "the" ("around the Moon", "the Kremlin"): a thing, whatever its tag?"""
    return span is not None and len(span) == 1 and span.start > 0 and span.doc[span.start - 1].lower_ == "the"


def _named_alone(span) -> bool:
    """Is a name the head of its phrase, without "the" ("Vadim Krasikov, who
    shot him"; not "The Dawn Sturgess Inquiry" nor "NKVD officers")?"""
    return span is not None and span.root.dep_ not in ("compound", "amod", "poss") and span[0].lower_ != "the"


def _bare(sentence) -> list:
    """An answer that is a noun phrase and no clause ("Radioactive thallium."), as a value."""
    from . import language

    doc = sentence.doc()
    chunk = next(iter(doc.noun_chunks), None)
    if chunk is None or any(t.pos_ in ("VERB", "AUX") for t in doc):
        return []
    text = re.sub(r"^(the|a|an)\s+", "", chunk.text, flags=re.I)
    if not chunk[0].ent_type_:  # "Arsenic." is a common noun at the start of a sentence
        text = text[0].lower() + text[1:]
    return [language.Value("name", sentence.start + chunk.start_char, sentence.start + chunk.end_char,
                           language.fold(text), text)]


def _continues(sentence) -> bool:
    """Is a sentence's subject a pronoun ("She was ...")? Then it goes on
    about whom the turn before named, and so does a follow-up's pronoun."""
    return any(t.dep_ in ("nsubj", "nsubjpass") and t.head.dep_ == "ROOT" and t.lower_ in _PRONOUN_KINDS
               for t in sentence.doc())


_SALIENT_DEPS = {"nsubj": 0, "nsubjpass": 0, "dobj": 0, "attr": 0, "ROOT": 0, "pobj": 1, "conj": 1}


def _by_salience(sentence, doc) -> list:
    """A sentence's values, the most salient first: a subject or object of a
    verb before a name inside a prepositional phrase, before a name that only
    modifies a noun ("who poisoned Alexander Litvinenko?" is about Litvinenko
    more than "according to the Owen inquiry")."""

    def rank(v) -> int:
        span = sentence.span(v, doc)
        return _SALIENT_DEPS.get(span.root.dep_, 2) if span is not None else 2

    return sorted(sentence.values, key=rank)  # stable: position breaks ties


def _previous_question(history: list[dict], resolved: bool = False) -> str:
    """The last question asked, standing alone: "And Khokhlov?" after "What
    about Markov?" after "What poison was used against Litvinenko?" is asked
    of "What poison was used against Georgi Markov?". With `resolved`, its
    pronouns too, by their likeliest reading: "What about Collip?" after
    "Where was he born?" is asked of "Where was Collip born?"."""
    from . import language

    at = next((i for i in range(len(history) - 1, -1, -1) if history[i]["role"] == "user"), None)
    if at is None:
        return ""
    previous = strip_marks(history[at]["content"])
    doc = language.parse(previous)
    if at and (not any(t.pos_ in ("VERB", "AUX") for t in doc) or resolved and any(
            t.lower_ in _PRONOUN_KINDS and t.pos_ == "PRON" for t in doc)):
        previous = readings(previous, history[:at])[0]  # itself elliptical, or "he": resolved as it was
    return previous


def _wh_rest(doc) -> tuple[int, int] | None:
    """(start, end) of the first wh-phrase of a question: "Where", "In which town"."""
    for t in doc:
        if t.tag_ in ("WP", "WDT", "WRB", "WP$"):
            a = t.i
            while a > 0 and doc[a - 1].pos_ == "ADP":
                a -= 1
            b = t.i + 1
            if t.lower_ in ("what", "which", "how"):
                while b < len(doc) and (doc[b].pos_ in ("NOUN", "ADJ", "PROPN") or doc[b].dep_ == "compound"):
                    b += 1
            return a, b
    return None


def _verb_object(previous: str):
    """The previous question's verb and its object's words ("Who killed Lev
    Rebet?" -> killed, "Lev Rebet"), or None."""
    from . import language

    return _verb_object_of(language.parse(previous)) if previous else None


def _verb_object_of(pdoc):
    """`_verb_object` of a question already parsed."""
    verb = next((t for t in pdoc if t.pos_ == "VERB" and t.dep_ in ("ROOT", "relcl", "conj", "xcomp")), None)
    if verb is None:
        return None
    obj = next((c for c in verb.children if c.dep_ == "dobj"), None)
    return verb, pdoc[obj.left_edge.i : obj.right_edge.i + 1].text if obj is not None else ""


def _pro_verb(doc, previous: str) -> str:
    """ "do it/that/so" stands for the previous question's verb and object:
    "Where did he do it?" after "Who killed Lev Rebet?" -> "Where did he kill Lev Rebet?"."""
    pro = next((t for t in doc if t.lower_ in ("it", "that", "so") and t.head.lemma_ == "do"
                and t.dep_ in ("dobj", "advmod") and t.i > t.head.i), None)
    event = _verb_object(previous) if pro is not None else None
    if event is None:
        return doc.text
    verb, obj = event
    phrase = verb.lemma_ + (" " + obj if obj else "")
    do = pro.head
    return (doc[: do.i].text_with_ws + phrase + pro.whitespace_ + doc[pro.i + 1 :].text).strip()


def _bridged(doc, history: list[dict]) -> list[str]:
    """A follow-up that names no one but speaks of "the killer" or "the
    murder": the killer is whom the last answer named, when the last question
    asked who killed; the murder is the one the last question was about
    ("Who was convicted of the murder?" -> "... of the murder of Zelimkhan
    Khangoshvili")."""
    from . import language
    from .keyword import term_in

    chunk = next((c for c in doc.noun_chunks if c[0].lower_ == "the" and c.root.pos_ == "NOUN"
                  and not any(t.dep_ == "prep" and t.lower_ == "of" for t in c.root.children)), None)
    previous = _previous_question(history)
    if chunk is None or not previous:
        return []
    pverb = next((t.lemma_.lower() for t in language.parse(previous) if t.pos_ == "VERB"), "")
    noun = chunk.root.lemma_.lower()
    # an agent noun: made from the verb asked ("killer" for "kill", "assassin" for "assassinate"),
    # or after a "who" question, one with an agent suffix ("the killer" after "Who murdered Trotsky?")
    agentive = noun != pverb and not noun.endswith(("ing", "ion", "ment")) and (
        bool(pverb) and term_in(pverb, {noun})
        or previous.lower().startswith("who") and noun.endswith(("er", "or", "ist", "man", "ant")))
    before, after = doc[: chunk.start].text_with_ws, doc[chunk.end - 1].whitespace_ + doc[chunk.end :].text
    if agentive:  # "the killer" after "Who murdered Trotsky?": the one the answer named
        return [before + name + after for name in _antecedents(history, ("person", "org"))[:MAX_READINGS]]
    last_question = [m for m in history if m["role"] == "user"][-1:]
    names = _antecedents(last_question, ("person", "org", "place"))
    return [before + chunk.text + " of " + name + after for name in names[:1]]


def _binders(doc, is_person) -> list[tuple[int, set[bool]]]:
    """Where each later part of the question starts, with what a pronoun
    there may mean among the X of earlier "which/what X" parts (True: a
    person). "Which coroner held the inquest, and what verdict did he
    record?": he is the coroner; "What weapon did he use, and where did he
    throw it?": it is the weapon. Neither is someone of the last turns. A
    "who" part binds nothing: in "Who rented the car, and near which city
    was he killed?" he is the one asked about before."""
    from .question import _starts, analyse_question

    out = []
    for start in _starts(doc)[1:]:
        asked = {is_person(p.target) for p in analyse_question(doc[:start].text).parts if p.type == "thing" and p.target}
        out.append((start, asked))
    return out


def _event_of(doc, previous: str) -> str:
    """ "When did it happen?" after "Who killed Yevhen Konovalets?": the
    previous question's event, said in the passive ("When was Yevhen
    Konovalets killed?"); the question itself when it has no such "it"."""
    it = next((t for t in doc if t.lower_ in ("it", "this", "that") and t.dep_ == "nsubj"
               and t.head.lemma_ in ("happen", "occur")), None)
    aux = next((c for c in it.head.children if c.dep_ == "aux" and c.i < it.i), None) if it is not None else None
    said = _passive(_verb_object(previous)) if aux is not None else None
    if said is None:
        return doc.text
    return (doc[: aux.i].text_with_ws + said + it.head.whitespace_ + doc[it.head.i + 1 :].text).strip()


def _elliptical(wh: str, pdoc, pwh: tuple[int, int]) -> str:
    """A bare wh-phrase asked of the previous question: "In which town?"
    after "Where was Mercader born?" -> "In which town was Mercader born?";
    after "Who poisoned him?", whose wh-word was the subject, "Where?" asks
    of the act, in the passive: "Where was him poisoned?" (the pronoun is
    resolved next)."""
    subject = any(t.tag_ in ("WP", "WDT") and t.dep_ in ("nsubj", "nsubjpass") for t in pdoc[pwh[0] : pwh[1]])
    said = _passive(_verb_object_of(pdoc)) if subject and wh.lower() not in ("who", "whom") else None
    return f"{wh} {said}?" if said else f"{wh} {pdoc[pwh[1]:].text}".strip()


def _passive(event) -> str | None:
    """The previous question's act said in the passive ("was Lev Rebet
    killed"), when it has an object and its verb a past form."""
    if event is None or not event[1] or event[0].tag_ not in ("VBD", "VBN"):
        return None
    return f"was {event[1]} {event[0].text}"


def readings(question: str, history: list[dict], is_person=lambda noun: False) -> list[str]:
    """Standalone readings of a follow-up, the likeliest first (the question
    itself when it stands alone). `is_person` says whether a common noun
    stands for a person ("coroner"), for pronouns bound inside the question."""
    from . import language

    if not history:
        return [question]
    doc = language.parse(question)
    previous = _previous_question(history)
    redone = _event_of(doc, previous)
    if redone != question:  # "Where did it happen?" -> "Where was Yevhen Konovalets killed?"
        question, doc = redone, language.parse(redone)
    redone = _pro_verb(doc, previous)
    if redone != question:  # "Where did he do it?" -> "Where did he kill Lev Rebet?"
        question, doc = redone, language.parse(redone)
    has_verb = any(t.pos_ in ("VERB", "AUX") for t in doc)
    own_names = [e for e in doc.ents if e.label_ in ("PERSON", "ORG", "GPE", "LOC", "FAC", "NORP")]
    # Elliptical follow-ups: "In which town?", "And Markov?"
    if not has_verb:
        if previous:
            pdoc = language.parse(previous)
            wh, pwh = _wh_rest(doc), _wh_rest(pdoc)
            swap = len(doc) > 1 and doc[0].lower_ in ("what", "how") and doc[1].lower_ == "about"  # "What about Markov?"
            if wh and pwh and not swap:
                question = _elliptical(doc[wh[0]:wh[1]].text, pdoc, pwh)
                doc = language.parse(question)
                if not any(t.lower_ in _PRONOUN_KINDS and t.pos_ == "PRON" for t in doc):
                    return [question]
                own_names = [e for e in doc.ents if e.label_ in ("PERSON", "ORG", "GPE", "LOC", "FAC", "NORP")]
            said = [e.text for e in own_names] or [  # a name the tagger left untyped: "And Emil Faure?"
                " ".join(t.text for t in doc if t.pos_ == "PROPN")]
            if said[0]:
                pnames = [e for e in pdoc.ents if e.label_ in ("PERSON", "ORG", "GPE", "LOC", "FAC")]
                if not pnames and swap:  # "What about Collip?" after "Where was he born?": whom "he" meant
                    previous = _previous_question(history, resolved=True)
                    pnames = [e for e in language.parse(previous).ents if e.label_ in ("PERSON", "ORG", "GPE", "LOC", "FAC")]
                if pnames:
                    return [previous.replace(pnames[0].text, said[0], 1)]
    # Pronouns and definite descriptions -> entities of the right kind.
    slots = []  # (token start, token end, kinds, possessive)
    binders = _binders(doc, is_person) if any(t.lower_ in _PRONOUN_KINDS for t in doc) else []
    for t in doc:
        low = t.lower_
        if low in _PRONOUN_KINDS and (t.pos_ == "PRON" or low == "there" and t.dep_ == "advmod"):
            if low == "it" and t.dep_ == "nsubj" and t.head.lemma_ == "be" and t.i == 1:
                continue  # "Was it ...": a dummy subject
            poss = t.tag_ == "PRP$" or t.dep_ == "poss"
            if poss and any(e.end <= t.i and (e.label_ == "PERSON" or "person" not in _PRONOUN_KINDS[low]) for e in own_names):
                continue  # "Trotsky's elder son and his secretary": "his" is Trotsky's, named in the question itself
            if any(start <= t.i and (_PRONOUN_KINDS[low] == ("person",)) in asked for start, asked in binders):
                continue  # the X an earlier part of the question asks for
            slots.append((t.i, t.i + 1, _PRONOUN_KINDS[low], poss))
    for chunk in doc.noun_chunks:  # "that service", "this inquiry": an entity named before
        first = chunk[0]
        if first.lower_ in ("that", "this", "these", "those") and first.dep_ == "det" and chunk.root.pos_ == "NOUN":
            slots.append((chunk.start, chunk.end, ("org", "name"), False))
    slots.sort()
    if not slots and not own_names:
        return _bridged(doc, history) or [question]
    if not slots:
        return [question]
    # The first slot of each kind is resolved ("How old was Markov when he
    # died"); later pronouns of that kind are left as written.
    firsts, seen_kinds = [], set()
    for sl in slots:
        if sl[2] not in seen_kinds:
            firsts.append(sl)
            seen_kinds.add(sl[2])
    slots = firsts
    options: list[str] = []
    first_kinds = slots[0][2]
    rest = language.fold(" ".join(t.text for t in doc if not any(sl[0] <= t.i < sl[1] for sl in slots)))
    # a pronoun is not someone its own question names ("Where did he kill Lev Rebet?" is not asked of Rebet)
    entities = [e for e in _antecedents(history, first_kinds) if language.fold(e) not in rest]
    for entity in entities[:MAX_READINGS]:
        out = []
        for k, t in enumerate(doc):
            slot = next((sl for sl in slots if sl[0] == t.i), None)
            if slot is not None:
                other = _antecedents(history, slot[2])[:1]
                name = entity if slot[2] == first_kinds else (other[0] if other else doc[slot[0]:slot[1]].text)
                if slot[3]:
                    out.append(name + "'s" + t.whitespace_)
                elif doc[slot[0]].lower_ in _DEMONSTRATIVES and slot[1] - slot[0] > 1:
                    out.append(("the " if not name.lower().startswith("the ") else "") + name + doc[slot[1] - 1].whitespace_)
                else:
                    out.append(name + t.whitespace_)
                continue
            if any(sl[0] < t.i < sl[1] for sl in slots):
                continue
            out.append(t.text_with_ws)
        text = "".join(out).strip()
        if text and text not in options:
            options.append(text[0].upper() + text[1:])
    return options[:MAX_READINGS] or [question]
