"""What a question asks: its parts, each with an answer type and a focus.

"Who killed Trotsky and with what weapon?" has two parts: "Who killed
Trotsky" asks for a person, "with what weapon" for a thing that is a weapon;
both are about killing Trotsky. The reader (rag/reader.py) looks for
candidates of each part's type in sentences about its focus.

Answer types come from the question's grammar (its wh-word, the noun after
"what/which", "how many/old/long"), read from spaCy's parse through the
linguistic layer; nothing here knows the corpus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from . import language

# Answer types and the value kinds (rag/language.py) that can fill them.
KINDS = {
    "person": ("person", "org"),
    "date": ("date",),
    "time": ("time",),  # a time of day: "At what time ...?" -> "about 2:10 p.m."
    "place": ("place", "org"),
    "number": ("number", "quantity", "money", "percent"),
    "duration": ("duration", "number"),
    "quantity": ("quantity", "number"),
    "amount": ("money", "quantity", "percent"),  # bare "how much"
    "thing": ("thing", "name", "org", "place", "person"),
    "manner": ("thing",),
    "any": (),
}

# General English nouns that make "what/which X" a question for a date or a
# number rather than for a thing ("in what year", "what age").
_TIME_NOUNS = frozenset({"year", "date", "day", "month", "decade", "century", "time", "season"})
_COUNT_NOUNS = frozenset({"number", "age", "amount", "total", "count", "sum", "figure"})
_LENGTH_NOUNS = frozenset({"length", "duration", "period", "term", "span"})
# "What was the name of the operation?": the noun after "of" is the kind asked for.
_NAME_NOUNS = frozenset({"name", "title", "nickname", "alias", "codename"})
_PLACE_NOUNS = frozenset({"city", "town", "country", "village", "place", "state", "region", "location",
                          "street", "address", "province", "capital", "island", "area", "district"})
_PART_NOUNS = frozenset({"part", "side", "corner", "end", "edge"})  # of a place, a place
_HOW = {"many": "number", "much": "number", "old": "number", "long": "duration", "far": "quantity",
        "often": "number", "large": "quantity", "big": "quantity", "tall": "quantity", "high": "quantity",
        "wide": "quantity", "deep": "quantity", "heavy": "quantity"}
# Verbs whose "what" asks for an event, not for a thing.
_EVENT_VERBS = frozenset({"do", "happen", "occur"})
# Words a part boundary may sit after: "..., and with what weapon", "Where and when".
_JOINERS = frozenset({"and", "or", ",", ";", ":", ".", "?", "also", "then"})
_WH = frozenset({"who", "whom", "whose", "what", "which", "when", "where", "how", "why"})


@dataclass
class Part:
    """One thing the question asks."""

    asked: str  # the part as written: "with what weapon"
    type: str  # person, date, time, place, number, duration, quantity, amount, thing, manner, any
    target: str = ""  # the X of "what/which X" ("weapon"); "" when none
    prep: str = ""  # a leading preposition to say the answer with ("with")
    verb: str = ""  # lemma of the verb the part asks about ("kill")
    role: str = ""  # what the wh-word is to its verb: "agent", "patient" or ""
    lemmas: frozenset[str] = frozenset()  # the part's own content lemmas
    inverted: str = ""  # the part as an indirect question ("when he was attacked"), for refusals
    naming: bool = False  # a name is asked ("What was the name of the operation?"), whatever the X
    coordinate: bool = False  # its X is coordinated with the previous part's ("which service and unit"): another thing
    modifiers: frozenset[str] = frozenset()  # the nouns that narrow X ("police" in "which police officer")
    arguments: frozenset[str] = frozenset()  # common nouns the asked verb takes as subject or object ("body" in "Where was Klement's body found?")
    owner: str = ""  # the named one whose X is asked ("markov" for "Markov's profession"): what describes them may answer
    subject: str = ""  # the one of several named a distributive part asks about ("In what drink was each poison given?")
    bound: str = ""  # "end" for "until when", "start" for "since when": which end of a period is asked
    particle: str = ""  # the asked verb's particle: "down" of "come down", "hand down"
    stranded: str = ""  # a preposition left at the end whose object the wh-word is: "of" of "What did he die of?"
    described: str = ""  # the noun a "Who was the N who/sent ...?" describes the one asked by ("officer")

    @property
    def kinds(self) -> tuple[str, ...]:
        return KINDS[self.type]

    @property
    def measured(self) -> str:
        """What a number is asked about: "child" for "how many children", "tall"
        for "how tall"; "" for "how old" or "what age", whose noun is the type."""
        return self.target if self.type in ("number", "quantity") and self.target not in _COUNT_NOUNS else ""

    @property
    def open(self) -> bool:
        """A "what" with no X and a verb ("What should you say?"): any phrase may answer."""
        return self.type == "thing" and not self.target and bool(self.verb) and not self.stranded  # ("die of": a phrase)


@dataclass
class Question:
    text: str
    parts: list[Part]
    lemmas: frozenset[str]  # content lemmas of the whole question
    names: list[language.Value] = field(default_factory=list)  # what the question names
    words: dict[str, str] = field(default_factory=dict)  # lemma -> the word as asked ("bear" -> "born")
    # proper nouns the tagger gave no type ("the 1998 Tour de France"): they say what the
    # question is about (rag/reader.py refuses when no passage mentions any name), but as
    # untyped words they anchor no answer
    untyped: list[language.Value] = field(default_factory=list)
    # a yes/no question ("Was Litvinenko killed with plutonium?") is read as the
    # wh-question of its doubtful part ("With what was Litvinenko killed?"); this is
    # the value it put forward ("plutonium"), which the answer confirms or corrects
    claimed: str = ""

    @property
    def compound(self) -> bool:
        return len(self.parts) > 1


def _lemma(t) -> str:
    return t.lemma_.lower()


def _content(tokens) -> frozenset[str]:
    return frozenset(
        _lemma(t) for t in tokens
        if (t.pos_ in ("NOUN", "PROPN", "VERB", "ADJ", "NUM", "ADV") and not t.is_stop and t.is_alpha or t.like_num)
        and t.lower_ not in _WH
        and not (t.i > 0 and t.doc[t.i - 1].lower_ == "how" and t.lower_ in _HOW)  # "how long": the asked type
    )


def _asked_verb(verb) -> frozenset[str]:
    """The asked verb's lemma, though spaCy counts it a stop word ("move",
    "go", "say", "call"): "When did Skripal move to Salisbury?" is about moving."""
    if verb is None or verb.lemma_.lower() in _EVENT_VERBS | {"be", "have"} or not verb.is_alpha:
        return frozenset()
    return frozenset({_lemma(verb)})


def _starts(doc) -> list[int]:
    """Token indices where a part begins: a wh-word at the start of the
    question or after a joiner, with its leading prepositions."""
    starts = []
    for t in doc:
        if t.lower_ not in _WH or t.tag_ not in ("WP", "WDT", "WRB", "WP$"):
            continue
        i = t.i
        while i > 0 and doc[i - 1].pos_ == "ADP":  # "with what", "in which", "by whom"
            i -= 1
        if i == 0 or doc[i - 1].lower_ in _JOINERS or doc[i - 1].is_punct:
            if not starts or i > starts[-1]:
                starts.append(i)
    return starts


def _support(t) -> bool:
    """Is t the "did" of do-support, right before the subject ("Whom did
    the inquiry name ..."), which spaCy sometimes tags a verb? "What did he
    do instead" keeps its second "do"."""
    nxt = t.nbor(1) if t.i + 1 < len(t.doc) else None
    return t.lemma_.lower() == "do" and nxt is not None and nxt.pos_ in ("DET", "PROPN", "PRON", "NOUN", "ADJ", "NUM")


def _verb_of(tokens) -> object | None:
    verbs = [t for t in tokens if t.pos_ == "VERB" and t.dep_ != "amod"  # (not "the presiding judge",
             and not (t.i > 0 and t.text[:1].isupper() and t.ent_type_)]  # nor "Rosalind" of "Rosalind Franklin")
    # not "did" before the subject, nor the "had" of a perfect ("What operation had the son gone in for?")
    main = [t for t in verbs if not _support(t)
            and not (t.lemma_ == "have" and any(v.tag_ == "VBN" and v.i > t.i for v in verbs))]
    if main:
        return main[0]
    if verbs:  # only "did": the verb is the word after its subject ("What weapon did Pavel Sudoplatov use?", "use" tagged a noun)
        after = [t for t in tokens if t.i > verbs[0].i and t.pos_ not in ("PROPN", "DET", "PRON", "NUM", "ADJ", "PUNCT", "PART")]
        return after[0] if after else verbs[0]
    ids = {t.i for t in tokens}
    done = [t.head for t in tokens if t.dep_ == "aux" and t.lemma_ == "do" and t.head.i in ids and t.head.i != t.i]
    if done:  # "Which organisation did Okolovich lead?", with "lead" tagged a noun: what "did" supports
        return done[0]
    aux = [t for t in tokens if t.pos_ == "AUX"]
    return aux[0] if aux else None


# Verbs that raise their complement's subject ("Krasikov turned out to belong to
# the FSB", "seems to have died"): the act asked about is the complement's
_RAISING = frozenset({"seem", "appear", "prove", "happen", "turn"})


def _raised(verb):
    """The verb a raising verb's complement names ("belong" of "turn out to
    belong"), else the verb itself."""
    comp = next((c for c in verb.children if c.dep_ == "xcomp" and c.pos_ in ("VERB", "AUX")), None)
    lemma = verb.lemma_.lower()
    if comp is None or lemma not in _RAISING or lemma == "turn" and language.particle(verb) != "out":
        return verb
    return comp


def _reported(verb, tokens):
    """The verb a wh-argument belongs to: "Which service did the Kremlin say
    Krasikov belongs to?" asks what Krasikov belongs to, not what was said.
    A reporting verb with its own subject and a clausal complement hands the
    question to that complement; "When did Peskov say ...?" still asks when
    it was said."""
    ids = {t.i for t in tokens}
    wh = next((t for t in tokens if t.lower_ in ("who", "whom", "what", "which") and t.tag_ in ("WP", "WDT")), None)
    comp = [c for c in verb.children if c.dep_ == "ccomp" and c.pos_ in ("VERB", "AUX") and c.i in ids]
    if wh is None or not comp or any(c.dep_ == "dobj" for c in verb.children):
        return verb
    subjects = [c for c in verb.children if c.dep_ == "nsubj" and wh not in c.subtree]
    return comp[0] if subjects else verb


def _coordinated(toks) -> list[list]:
    """"Which service and unit did ...?" asks two things of one clause: one
    token list per coordinated noun after the wh-determiner."""
    wh = next((t for t in toks if t.lower_ in ("what", "which") and t.dep_ == "det"), None)
    if wh is None:
        return [toks]
    noun = wh.head
    conj = next((c for c in noun.children if c.dep_ == "conj" and c.pos_ == "NOUN"), None)
    if conj is None:
        return [toks]
    second = {t.i for t in conj.subtree}
    cc = {c.i for c in noun.children if c.dep_ == "cc"}
    first = [t for t in toks if t.i not in second | cc]
    other = [t for t in toks if not (wh.i < t.i < min(second)) or t.i in second]
    return [first, other]


_SITE_PREPS = language.IN_PREPOSITIONS | {"on"}  # prepositions of where something was: a stranded one is the asked one's


def _stranded(toks) -> str:
    """The preposition a question ends with when the wh-word is its object ("What did he die of?")."""
    words = [t for t in toks if not t.is_punct]
    last = words[-1] if words else None
    if last is not None and last.pos_ == "ADP" and (any(t.head.i == last.i and t.dep_ == "pobj" and t.lower_ in _WH
                                                        for t in words) or last.lower_ in _SITE_PREPS
                                                    and not any(c.dep_ == "pobj" for c in last.children)):
        return last.lower_  # (or a place's with no object of its own, the parse aside: "Which park was he shot in?")
    return ""


def _wh_phrase(toks) -> int:
    """How many of the part's first words (punctuation and prepositions aside)
    are its wh-phrase: "where" 1, "how long" 2, "how wide is ..." 2."""
    words = [t for t in toks if not t.is_punct and t.pos_ != "ADP"]
    n = 0
    for t in words:
        if t.tag_ in ("WP", "WDT", "WRB", "WP$") or n and words[n - 1].lower_ == "how" and t.pos_ in ("ADJ", "ADV"):
            n += 1
        else:
            break
    return n


def _described_noun(tokens) -> frozenset[str]:
    """{"man"} for "Who was the man who killed Trotsky?": the noun only stands for the one asked."""
    wh = next((t for t in tokens if t.lower_ == "who" and t.tag_ == "WP"), None)
    rel_wh = _relative_wh(wh) if wh is not None else None
    if rel_wh is not None:
        rel = next(t for t in (rel_wh, *rel_wh.ancestors) if t.dep_ == "relcl")
        return frozenset({_lemma(rel.head)})  # "man" of "the man who killed", "the man whose company built"
    described = _participle(wh) if wh is not None else None  # "the officer sent to kill Okolovich"
    return frozenset({_lemma(described.head)}) if described is not None else frozenset()


def _participle(wh):
    """The participle that describes the one a "Who was ...?" asks for: "sent"
    of "Who was the officer sent to kill Okolovich?", else None."""
    if wh.dep_ != "attr" or wh.head.lemma_ != "be":
        return None
    subj = next((c for c in wh.head.children if c.dep_ == "nsubj"), None)
    return next((c for c in subj.children if c.dep_ == "acl" and c.tag_ in ("VBN", "VBD")), None) if subj is not None else None


def _relative_wh(wh):
    """The "who" of "Who was the man who killed Trotsky?": the relative
    pronoun of the clause that describes the one a "Who was ...?" asks for."""
    if wh.dep_ != "attr" or wh.head.lemma_ != "be":
        return None
    subj = next((c for c in wh.head.children if c.dep_ == "nsubj"), None)
    rel = next((c for c in subj.children if c.dep_ == "relcl"), None) if subj is not None else None
    return next((c for c in rel.subtree if c.tag_ in ("WP", "WP$")), None) if rel is not None else None  # ("whose company built")


def _type_of(tokens) -> tuple[str, str, str]:
    """(type, target noun lemma, role) of a part from its wh-phrase."""
    wh = next((t for t in tokens if t.lower_ in _WH and t.tag_ in ("WP", "WDT", "WRB", "WP$")), None)
    if wh is None:
        return "any", "", ""
    w = wh.lower_
    after = [t for t in tokens if t.i > wh.i]
    role = "agent" if wh.dep_ in ("nsubj", "csubj") or wh.dep_ == "pobj" and wh.head.lower_ == "by" \
        else "patient" if wh.dep_ in ("dobj", "nsubjpass", "pobj") else ""  # "by whom" asks a passive's agent
    noun = next((t for t in after if t.pos_ not in ("NUM", "ADJ")), None)
    if role and noun is not None and noun.pos_ == "NOUN" and noun.head.i == wh.head.i and noun.dep_ in ("nsubj", "nsubjpass"):
        role = ""  # "Which two people waited": "which" determines the subject (the tagger took it for an object), as in "which officer"
    clause = wh.head.head if wh.head.dep_ == "aux" else wh.head  # "Whom was(aux) Klement investigating"
    if role == "agent" and any(c.dep_ == "nsubj" and c.i != wh.i for c in clause.children):
        role = "patient"  # "Whom was Klement investigating?": the verb has its own subject, so the wh-word is its object
    rel_wh = _relative_wh(wh)
    if not role and rel_wh is not None:  # "Who was the man who killed Trotsky?" asks who killed him
        role = "agent" if rel_wh.dep_ == "nsubj" else "patient" if rel_wh.dep_ in ("dobj", "nsubjpass") else ""
    elif not role and _participle(wh) is not None:
        role = "patient"  # "the officer sent to kill Okolovich" was sent
    if w in ("who", "whom", "whose"):
        copula = _verb_of(tokens)
        if w == "who" and copula is not None and copula.lemma_ == "be":
            np = next((c for c in copula.children if c.dep_ in ("attr", "nsubj") and c.i != wh.i), None)
            if np is not None and np.pos_ == "NOUN" and not np.text[0].isupper():
                return "person", _lemma(np), ""  # "Who was Trotsky's secretary?": the one the description names
        if w == "who" and copula is not None and copula.lemma_ == "be" and not any(t.lower_ in ("the",) for t in after[:2]) \
                and any(t.pos_ == "PROPN" for t in after):
            return "any", "", ""  # "Who was Ramón Mercader?": a description
        return "person", "", role
    if w == "when":
        return "date", "", ""
    if w == "where":
        return "place", "", ""
    if w == "why":
        return "any", "", ""
    if w == "how":
        nxt = after[0] if after else None
        if nxt is not None and nxt.lower_ in _HOW:
            if nxt.lower_ in ("many", "much"):  # "how many (Russian) diplomats": the counted noun
                counted = next((t for t in after[1:] if t.pos_ != "ADJ"), None)
                noun = _lemma(counted) if counted is not None and counted.pos_ == "NOUN" else ""
                if nxt.lower_ == "much" and not noun:
                    return "amount", "", ""  # "How much did it cost?": a sum or a measure, not a count ("one")
                return _HOW[nxt.lower_], noun, ""
            if nxt.lower_ == "old":
                return "number", "age", ""  # "how old" asks for an age, as "what age" does
            return _HOW[nxt.lower_], nxt.lower_ if _HOW[nxt.lower_] == "quantity" else "", ""  # "how tall": the measure
        return "manner", "", ""
    if w == "what" and wh.dep_ in ("dobj", "nsubj") and wh.head.lemma_ in _EVENT_VERBS:
        return "any", "", ""  # "What did Khokhlov do instead?", "What happened in ...?": an event, said by a sentence
    # what / which (X)
    nouns = []
    for k, t in enumerate(after):
        if t.pos_ in ("NOUN", "PROPN", "ADJ") or t.dep_ == "compound":
            if t.pos_ == "PROPN" and k + 1 < len(after) and after[k + 1].tag_ == "POS":
                continue  # "which of Trotsky's guards": the owner, not the kind asked
            nouns.append(t)
        elif t.pos_ == "ADP" and t.lower_ == "of" or t.tag_ == "POS" or t.pos_ in ("NUM", "DET") and not nouns:
            continue  # "type of helicopter", "which of the guards", "which two people"
        else:
            break
    nouns = [t for t in nouns if t.pos_ == "NOUN"] or nouns
    target = _lemma(nouns[-1]) if nouns else ""
    if not target and wh.dep_ in ("attr", "nsubj", "dobj"):
        # "What was the cause of X's death?": the noun it is equated with
        v = wh.head
        attr = [c for c in v.children if c.dep_ in ("attr", "nsubj") and c.i != wh.i and c.pos_ == "NOUN"]
        if attr and v.lemma_ == "be":
            target = _lemma(attr[0])
            if target in _NAME_NOUNS:  # "the name of the Ukrainian intelligence operation" -> an operation
                of = [g for c in attr[0].children if c.dep_ == "prep" and c.lower_ == "of" for g in c.children if g.pos_ == "NOUN"]
                target = _lemma(of[0]) if of else target
    if target == "time":  # "at what time": an hour ("what time of year" asks for a year, a date)
        return "time", target, role
    if target in _TIME_NOUNS:
        return "date", target, role
    if target in _COUNT_NOUNS:
        return "number", target, role
    if target in _LENGTH_NOUNS:
        return "duration", target, role
    if target in _PLACE_NOUNS or target in _PART_NOUNS and nouns and any(  # "which part of Ukraine": a place in it
            g.ent_type_ in ("GPE", "LOC") for c in nouns[-1].children if c.lower_ == "of" for g in c.children):
        return "place", target, role
    return "thing", target, role


def _asks_name(tokens, target: str) -> bool:
    """"Which alias ...?", "What was the name of the tanker?" (not "Which law
    gave the FSB its name?"): a name answers, whatever the X."""
    return target in _NAME_NOUNS or any(
        _lemma(t) in _NAME_NOUNS and t.dep_ in ("attr", "nsubj") and t.head.lemma_ == "be" for t in tokens)


def _target_token(tokens, target: str):
    return next((t for t in tokens if t.pos_ == "NOUN" and _lemma(t) == target), None)


def _owner(tokens, target: str) -> str:
    """The named one whose X is asked, folded: "markov" for "Markov's
    profession" or "the rank of Markov"; "" for "the cause of Glushkov's death",
    whose X is the death's."""
    x = _target_token(tokens, target)
    if x is None:
        return ""
    owners = [c for c in x.children if c.dep_ == "poss"]
    owners += [g for c in x.children if c.dep_ == "prep" and c.lower_ == "of" for g in c.children if g.dep_ == "pobj"]
    return next((language.fold(o.text) for o in owners if o.pos_ == "PROPN"), "")


def _modifiers(tokens, target: str) -> frozenset[str]:
    """The nouns compounded with the asked X, folded: "police" in "Which
    police officer ...?", "berlin" in "in which Berlin hospital"."""
    x = _target_token(tokens, target)
    if x is None:
        return frozenset()
    return frozenset(language.fold(c.lemma_) for c in x.children if c.dep_ == "compound" and c.pos_ in ("NOUN", "PROPN"))


def _arguments(verb, target: str) -> frozenset[str]:
    """The common nouns the asked verb takes as subject or object, other than
    the asked X: "body" for "Where was Klement's body found?"."""
    if verb is None:
        return frozenset()
    return frozenset(_lemma(c) for c in verb.children if c.dep_ in ("nsubj", "nsubjpass", "dobj")
                     and c.pos_ == "NOUN" and _lemma(c) != target)


def _inverted(tokens) -> str:
    """The part as an indirect question: "when was he attacked" -> "when he was attacked"."""
    words = [t for t in tokens if not t.is_punct or t.text in ("'", "’")]
    aux = next((t for t in words if t.pos_ == "AUX" and t.lemma_ == "be"), None)
    subj = next((t for t in words if t.dep_ in ("nsubj", "nsubjpass") and t.lower_ not in _WH), None)
    if aux is None or subj is None or subj.i < aux.i:
        return ""
    span = sorted({x.i for x in subj.subtree} & {t.i for t in words})
    out = []
    for t in words:
        if t.i == aux.i:
            continue
        glued = not t.whitespace_ and t.i + 1 < len(t.doc) and t.nbor(1).text.startswith(("'", "’"))  # "Khokhlov's"
        out.append(t.text_with_ws if t.whitespace_ or glued else t.text + " ")
        if t.i == span[-1]:
            out.append(aux.text + " ")
    return "".join(out).strip().rstrip(",")


def _untagged_names(doc, names: list[language.Value]) -> list[language.Value]:
    """Proper nouns the tagger gave no entity type ("the 1998 Tour de France"):
    the question names them all the same."""
    covered = {i for v in names for i in range(v.start, v.end)}
    out, run = [], []
    for t in list(doc) + [None]:
        if t is not None and t.pos_ == "PROPN" and not t.ent_type_ and t.idx not in covered and t.i > 0:
            run.append(t)
            continue
        if run and t is not None and t.pos_ in ("X", "ADP") and t.i + 1 < len(doc) and doc[t.i + 1].pos_ == "PROPN":
            run.append(t)  # "Tour de France"
            continue
        if run:
            a, b = run[0].idx, run[-1].idx + len(run[-1].text)
            span = doc.text[a:b]
            out.append(language.Value("name", a, b, language.fold(span), span))
        run = []
    return out


_YES_NO = frozenset({"is", "was", "were", "are", "did", "does", "do", "has", "had", "have"})
_CHECKED = frozenset({"right", "true", "correct", "so"})  # "Is that right?", "Is it true that ...?"
_WHERE_ENTS = frozenset({"GPE", "LOC", "FAC"})


def _claim_words(doc) -> list[tuple[str, str, str]] | None:
    """The words of the claim a yes/no question puts forward, in question order
    ("Was Litvinenko killed ..."), each as (text, POS, entity type); None when
    the question is not yes/no. "I have read that X. Is that right?" and "Is
    it true that X?" put forward X."""
    words = [t for t in doc if not t.is_punct]
    if not words or not doc.text.rstrip().endswith("?"):
        return None
    if words[-1].lower_ in _CHECKED or words[0].lower_ in _YES_NO and any(t.lower_ in _CHECKED for t in words[:4]):
        # the words after "read/heard/true that", to the end of their sentence (read in order:
        # spaCy's parse of such sentences is unreliable)
        that = next((t for t in doc if t.lower_ == "that" and t.i > 0 and doc[t.i - 1].pos_ in ("VERB", "ADJ")), None)
        if that is None:
            return None
        claim = [t for t in doc[that.i + 1 : that.sent.end] if not t.is_punct]
        verb = next((t for t in claim if t.pos_ == "VERB"), None)
        if verb is None:
            return None
        aux = next((t for t in claim if t.pos_ == "AUX" and t.i < verb.i), None)
        if aux is not None:  # "Litvinenko was killed" -> "was Litvinenko killed"
            return [(aux.text, "AUX", "")] + [(t.text, t.pos_, t.ent_type_) for t in claim if t.i != aux.i]
        return [("did", "AUX", "")] + [(t.lemma_ if t.i == verb.i else t.text, t.pos_, t.ent_type_) for t in claim]
    if words[0].lower_ in _YES_NO and words[0].i == 0:
        return [(t.text, t.pos_, t.ent_type_) for t in words]
    return None


def _as_wh(doc) -> tuple[str, str] | None:
    """(wh-question, claimed value) of a yes/no question whose doubtful part,
    its last, is a thing, a date or a place: "Was Litvinenko killed with
    plutonium?" -> ("With what was Litvinenko killed?", "plutonium"). A
    question about who did what to whom is left as asked."""
    words = _claim_words(doc)
    if not words or len(words) < 3:
        return None
    adp = max((k for k, (_, pos, _) in enumerate(words) if pos == "ADP"), default=None)
    tail = words[adp + 1:] if adp is not None else []
    if not tail or not all(pos in ("DET", "ADJ", "NOUN", "PROPN", "NUM", "PART") for _, pos, _ in tail) \
            or any(ent in ("PERSON", "ORG", "NORP") for _, _, ent in tail):
        return None
    claimed = " ".join(w for w, pos, _ in tail if pos != "DET")
    ents = {ent for _, _, ent in tail}
    wh = "When" if "DATE" in ents else "Where" if ents & _WHERE_ENTS else f"{words[adp][0].capitalize()} what"
    rest = " ".join(w for w, _, _ in words[:adp])
    return f"{wh} {rest[0].lower() + rest[1:]}?", claimed


_DISTRIBUTIVE = frozenset({"each", "respectively"})
_BOUNDS = {"until": "end", "till": "end", "since": "start", "from": "start"}  # "until when", "since when"


def _coordinated_names(doc, names: list[language.Value]) -> list[str]:
    """The names the question joins with "and" ("Khokhlov and Litvinenko"),
    whatever type the tagger gave them."""
    roots = {}  # token index of each name's head -> the name
    for v in names:
        span = doc.char_span(v.start, v.end, alignment_mode="expand")
        if span is not None:
            roots[span.root.i] = v.text
    for i, name in roots.items():  # the first name others are joined to, then those
        joined = [roots[j] for j in roots if doc[j].dep_ == "conj" and doc[j].head.i == i]
        if joined:
            return [name, *joined]
    return []


def _distributed(part: Part, doc, names: list[language.Value]) -> list[Part]:
    """A part asked of each of several the question names and joins
    ("Khokhlov and Litvinenko were both poisoned. In what drink was each
    poison given?"), as one part per name, each about that one."""
    words = {w.lower() for w in re.findall(r"\w+", part.asked)}
    each = [n for n in _coordinated_names(doc, names) if n not in part.asked] if words & _DISTRIBUTIVE else []
    if len(each) < 2:
        return [part]
    return [replace(part, asked=f"{part.asked} ({who})", inverted=f"{part.inverted} ({who})" if part.inverted else "", subject=who,
                    lemmas=part.lemmas | {language.fold(w) for w in who.split()}) for who in each]


def analyse_question(text: str) -> Question:
    """Parts, answer types and focus of a question."""
    doc = language.parse(text)
    checked = _as_wh(doc)
    if checked is not None:  # "Was Litvinenko killed with plutonium?": ask with what, then compare
        q = analyse_question(checked[0])
        q.text, q.claimed = text, checked[1]
        return q
    starts = _starts(doc) or [0]
    if starts[0] != 0 and all(not t.is_punct for t in doc[: starts[0]]):
        starts[0] = 0  # "Compare the weapons...: how long ..." keeps its lead-in with the first part
    bounds = starts + [len(doc)]
    raw = []
    for a, b in zip(bounds, bounds[1:]):
        toks = [t for t in doc[a:b]]
        while toks and (toks[-1].lower_ in _JOINERS or toks[-1].is_punct):
            toks.pop()
        if toks:
            raw.extend((k > 0, ts) for k, ts in enumerate(_coordinated(toks)))
    # "Where and when was X found dead?": a part that is only a wh-word shares the next part's clause.
    parts: list[Part] = []
    for i, (coordinate, toks) in enumerate(raw):
        clause = toks
        if _wh_phrase(toks) == len([t for t in toks if not t.is_punct and t.pos_ != "ADP"]):  # "where", "how long"
            if i + 1 < len(raw):
                nxt = raw[i + 1][1]
                clause = toks + nxt[max(_wh_phrase(nxt), 1):]
            elif i > 0:  # "When did Trotsky die, and where?": the previous part's clause
                prev = raw[i - 1][1]
                clause = toks + prev[max(_wh_phrase(prev), 1):]
        typ, target, role = _type_of(clause if len(toks) <= 2 else toks)
        verb = _verb_of(clause)
        verb = _reported(verb, clause) if verb is not None else None
        raised = _raised(verb) if verb is not None else None
        raising, verb = (verb if raised is not verb else None), raised
        prep = toks[0].lower_ if toks[0].pos_ == "ADP" and typ in ("thing", "manner", "place") else ""
        if not prep and target and typ in ("thing", "place") and _stranded(toks) in _SITE_PREPS:
            prep = _stranded(toks)  # "Which park was he shot in?" asks as "In which park ...?" does
        bound = _BOUNDS.get(toks[0].lower_, "") if typ == "date" else ""
        asked = "".join(t.text_with_ws for t in toks).strip()
        described = _described_noun(clause)
        parts.append(Part(asked=asked, type=typ, target=target, prep=prep, described=next(iter(described), ""),
                          verb=_lemma(verb) if verb is not None and verb.lemma_ != "be" else "",
                          role=role, lemmas=(_content(clause) | _asked_verb(verb)) - {target} - described
                          - ({_lemma(raising)} if raising is not None else set()),
                          inverted=_inverted(clause),
                          coordinate=coordinate, naming=_asks_name(clause, target), owner=_owner(clause, target),
                          arguments=_arguments(verb, target), modifiers=_modifiers(clause, target), bound=bound,
                          particle=language.particle(verb) if verb is not None else "", stranded=_stranded(toks)))
    if not parts:
        parts = [Part(asked=text, type="any", lemmas=_content(doc))]
    names = [v for s in language.analyse(text).sentences for v in s.values if v.kind in language.NAME_KINDS]
    untyped = _untagged_names(doc, names)
    parts = [d for p in parts for d in _distributed(p, doc, names + untyped)]
    words = {_lemma(t): t.lower_ for t in doc if t.is_alpha}
    return Question(text, parts, _content(doc), names, words, untyped)
