"""The linguistic layer on small texts the tests write (real spaCy pipeline)."""

from rag import language
from rag.language import Analysis, analyse, date_norm, duration_norm, number_of, same_value, truecased

TEXT = """## The attack

Ada Lovelace met Charles Babbage in London on 5 June 1833; she was 17 then.
The engine was never built. Babbage was not paid by the Treasury.
- The committee gave him twenty years and 1,500 pounds.
On June 5, 1833, the meeting happened."""


def kinds(sentence):
    return {(v.kind, v.norm) for v in sentence.values}


def test_sentences_have_exact_offsets_and_headings_stand_alone():
    a = analyse(TEXT)
    assert a.sentences[0].heading and a.sentences[0].text == "## The attack"
    for s in a.sentences:
        assert TEXT[s.start : s.end] == s.text and s.text == s.text.strip()
    texts = [s.text for s in a.sentences]
    assert "The engine was never built." in texts
    assert "The committee gave him twenty years and 1,500 pounds." in texts  # bullet marker dropped


def test_typed_values_are_normalised():
    a = analyse(TEXT)
    first = a.sentences[1]
    assert {("person", "ada lovelace"), ("person", "charles babbage"), ("place", "london"),
            ("date", "1833-06-05"), ("number", "17")} <= kinds(first)
    # the same date written the US way normalises to the same value
    last = a.sentences[-1]
    assert ("date", "1833-06-05") in kinds(last)
    bullet = next(s for s in a.sentences if "committee" in s.text)
    assert ("duration", "20 year") in kinds(bullet)


def test_negation_and_roles():
    a = analyse(TEXT)
    never = next(s for s in a.sentences if "never" in s.text)
    assert never.negated
    passive = next(s for s in a.sentences if "Treasury" in s.text)
    role = passive.roles[0]
    assert role.verb == "pay" and role.negated
    assert role.agents == ("treasury",) and role.patients == ("babbage",)
    met = a.sentences[1].roles
    meet = next(r for r in met if r.verb == "meet")
    assert meet.agents == ("ada lovelace",) and meet.patients == ("charles babbage",)


def test_noun_phrases_carry_their_head():
    a = analyse("The chemist poisoned the tea with a rare radioactive isotope.")
    heads = {p.head: p.norm for p in a.sentences[0].phrases}
    assert heads["isotope"] == "rare radioactive isotope"
    # a noun the tagger takes for an adjective is a phrase too: "arsenic" (ADJ, the object of "with")
    a = analyse("The courier Jaan Kask was poisoned with arsenic in Riga in 1950.")
    assert "arsenic" in {p.norm for p in a.sentences[0].phrases}


def test_analysis_survives_json_round_trip():
    a = analyse(TEXT)
    b = Analysis.from_json(a.to_json(), TEXT)
    assert [(s.start, s.end, s.values, s.roles, s.lemmas) for s in b.sentences] == \
        [(s.start, s.end, s.values, s.roles, s.lemmas) for s in a.sentences]
    assert Analysis.from_json('{"version": "old", "sentences": []}', TEXT) is None
    assert Analysis.from_json(None, TEXT) is None


def test_number_date_and_duration_normalisers():
    assert number_of("twenty-five") == 25 and number_of("2.5 million") == 2_500_000
    assert number_of("three hundred and twelve") == 312 and number_of("nearly 40") == 40
    assert number_of("several") is None
    assert date_norm("20 August 1940") == date_norm("August 20, 1940") == "1940-08-20"
    assert date_norm("in March 1953") == "1953-03" and date_norm("the 1930s") == "1930s"
    assert date_norm("12 October") == "--10-12"
    assert duration_norm("four days later") == "4 day" and duration_norm("forty years") == "40 year"


def test_values_agree_up_to_precision():
    assert same_value("1959", "1959-10-15", "date") and same_value("1959-10-15", "1959-10", "date")
    assert not same_value("1940-08-27", "1940-08-20", "date")
    assert same_value("1937", "1930s", "date") and not same_value("1941", "1930s", "date")
    assert same_value("mercader", "ramon mercader", "person")
    assert not same_value("leon trotsky", "ramon mercader", "person")
    assert not same_value("40", "20", "number")


def test_pipeline_is_loaded_once():
    assert language.nlp() is language.nlp()


def test_the_parse_is_stored_and_rebuilt_without_the_model():
    text = "In 1904 the baker Henri Roux killed the banker Paul Girard with a revolver.  \n\nHe fled to Geneva."
    a = language.analyse(text)
    stored = language.Analysis.from_json(a.to_json(), text)
    for s, t in zip(a.sentences, stored.sentences):
        rebuilt, parsed = t.doc(), language.parse(s.text)
        assert rebuilt.text == s.text
        assert [(w.text, w.lemma_, w.pos_, w.dep_, w.head.i, w.ent_type_) for w in rebuilt] == \
               [(w.text, w.lemma_, w.pos_, w.dep_, w.head.i, w.ent_type_) for w in parsed if not w.is_space or w.i < len(rebuilt)]


def test_a_name_runs_to_its_head_and_tags_follow_the_values():
    # the small model tags "Ferdinand Walsin" and leaves out "Esterhazy", its head
    s = analyse("The real author of the letter was Major Ferdinand Walsin Esterhazy.").sentences[0]
    assert ("person", "ferdinand walsin esterhazy") in kinds(s)
    d = s.doc()
    assert [t.ent_type_ for t in d if t.text in ("Ferdinand", "Walsin", "Esterhazy")] == ["PERSON"] * 3
    # "from 5 April 1882 to 23 January 1962": the "to" is in neither date, as value or as tag
    s = analyse("Anna Berg, his second wife, lived from 5 April 1882 to 23 January 1962.").sentences[0]
    assert {v.text for v in s.values if v.kind == "date"} == {"5 April 1882", "23 January 1962"}
    assert next(t for t in s.doc() if t.text == "to").ent_type_ == ""


def test_a_subject_the_tagger_hangs_on_a_dates_preposition_is_stored_as_the_subject():
    # spaCy parses "Rowley" here as the object of "On"; the verb has no subject
    a = analyse("The poison claimed a life months later in Amesbury. "
                "On 30 June 2018 Charlie Rowley gave Dawn Sturgess a perfume bottle that someone had thrown away.")
    doc = a.sentences[1].doc()
    rowley = next(t for t in doc if t.text == "Rowley")
    assert (rowley.dep_, rowley.head.text) == ("nsubj", "gave")


def test_a_question_typed_in_lower_case_takes_the_passages_spelling_of_names():
    passage = analyse("The jeweller Karel Maas was shot in the Vondel Park in Amsterdam. "
                      "Edwin Brandauer climbed the Axel Heiberg Glacier in the park.")
    assert truecased("which park in amsterdam was karel maas shot in", [passage]) == \
        "which park in Amsterdam was Karel Maas shot in"  # "park" is written in lower case there: a common word
    assert truecased("which glacier did brandauer climb", [passage]) == "which glacier did Brandauer climb"
    assert truecased("Where was karel maas shot?", [passage]) == "Where was Karel Maas shot?"  # a capital first letter only
    assert truecased("Where was Karel maas shot?", [passage]) == "Where was Karel maas shot?"  # capitals of its own: as typed


def test_a_sum_after_a_currency_code_and_a_time_before_a_name():
    s = analyse("At about 2:10 p.m. Vos paid EUR 20,000 for the house.").sentences
    assert len(s) == 1  # no sentence break after "p.m."
    kinds = {v.text: v.kind for v in s[0].values}
    assert kinds.get("about 2:10 p.m.") == "time" and kinds.get("EUR 20,000") == "money", kinds
    assert [v.norm for v in analyse("The court awarded EUR 20 million.").sentences[0].values] == ["20000000"]
    assert len(analyse("He left at 5 p.m. The next day he died.").sentences) == 2  # a sentence may begin after "p.m."
