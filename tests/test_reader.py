"""The typed reader on a small corpus of another field (chemistry, a court
case, a sports event) that the test writes: answer typing, parts, candidate
voting, refusal on type absence, disagreement vs agreement, compound
questions and follow-up resolution. Real spaCy, embedder and Chroma."""

from __future__ import annotations

import pytest

from rag.answering import ask, ask_stream
from rag.citations import split_sentences, strip_marks
from rag.conversation import readings
from rag.index import Index
from rag.question import analyse_question

from conftest import make_settings

DOCS = {
    "helium.md": """# The discovery of helium

Helium was first detected in the solar spectrum by the French astronomer Jules Janssen during the solar eclipse of 18 August 1868.
The English astronomer Norman Lockyer proposed the name helium, after the Greek word for the sun.

## Isolation

In 1895 the Scottish chemist William Ramsay isolated helium from the uranium mineral cleveite in London.
Ramsay treated the mineral with sulfuric acid and collected the gas that escaped.
""",
    "ramsay.md": """# William Ramsay's laboratory

On March 26, 1895, William Ramsay isolated helium in his laboratory at University College London.
He identified the new gas with a spectroscope.
Ramsay received the Nobel Prize in Chemistry in 1904.
In 1895 he was given the Davy Medal, a prize of the Royal Society.
""",
    "harlow-trial.md": """# The Harlow fraud trial

The trial of the accountant Daniel Harlow opened at Leeds Crown Court on 3 May 2019.
Harlow was accused of stealing 2.4 million pounds from a pension fund.
The jury found him guilty after six hours of deliberation.
Judge Miriam Okafor sentenced Harlow to seven years in prison.
""",
    "harlow-press.md": """# The Harlow case in the local press

The Yorkshire Courier wrote that Judge Miriam Okafor sentenced Daniel Harlow to nine years in prison.
The newspaper described the pension fund as the savings of four hundred families.
""",
    "lyon.md": """# Two poisonings in Lyon

The chemist Louise Perrin was poisoned with arsenic in Lyon in 1902, and she survived.
In 1904 the baker Henri Roux killed the banker Paul Girard with a revolver.
Years later the hired man Luc Morel killed the clerk Emil Faure in Nantes in 1910 and the notary Jean Picard there in 1912 with a poisoned dart.
""",
    "harlow-appeal.md": """# The Harlow appeal

Harlow's lawyers lodged an appeal against the verdict in June 2020.
Accounts of the appeal hearing differ: some give 14 October 2020, others 15 October 2020.
""",
    "gallery.md": """# The Harbour Gallery theft

The theft of the Vermeer sketch from the Harbour Gallery was planned by Oskar Brandt, the gallery's night guard, and by Marta Keller.
Marta Keller fled to Lisbon a week after the theft.
In March 2016 the court sentenced Oskar Brandt to four years' community service.
The gallery's restoration was ordered in 2012 and overseen by Lord Pemberly of Ashcombe.
The dealers who bought the stolen sketch have never been identified.
A ransom note was found in the gallery office.
""",
    "climber.md": """# A fall in the Alps

The climber Jonas Weber fell near Zermatt in 2015.
He was treated in a mountain rescue hospital and recovered.
""",
    "tour.md": """# The cyclist's crash

The cyclist Anna Lindqvist crashed during a stage race inside Norway and was treated in Oslo.
On 3 July 2019 Anna Lindqvist was moved to the Ullevål hospital in Oslo.
""",
    "marathon.md": """# The 2011 Lakeside marathon

The Kenyan runner Grace Wanjiru won the Lakeside marathon on 9 October 2011.
She finished in Lakeside Park, ahead of the Ethiopian runner Tirunesh Alemu.
Wanjiru was coached by the former champion Paul Tergat.
""",
    "courier.md": """# The Ghent robbery

The same courier, Emil Novak, had robbed the NATO writer Pieter Claes in Ghent in 1987.
Emil Novak did carry out his orders, robbing the NATO writer Pieter Claes in Ghent on a Sunday.
Pieter Claes, aged 58, retired to Bruges after the robbery.
""",
    "duarte.md": """# The sculptor Ines Duarte

The sculptor Ines Duarte died in a small hospice near the coast on 2 May 2001.
She had fallen in her studio, and she died nine days after the fall, at the age of 77.
""",
    "duarte-obituary.md": """# An obituary of Ines Duarte

Ines Duarte, whose bronzes stand in Lisbon, died in Portugal in 2001.
""",
    "waterworks.md": """# The Dunmore waterworks

The engineer Margaret Holt was born in Carlisle in 1841.
She trained in Glasgow and surveyed the estates of Sir Walter Grange.
She had long distrusted the old reservoir and in 1879 published a report, *On the Purity of Town Water*, urging a new source.
In 1880 the Dunmore Water Company had moved its intake upstream to Thames Ditton, while the Fenwick Company still drew water from the river near Ashby.
""",
    "dragan.md": """# The poet Ivo Dragan

The poet Ivo Dragan was jabbed at a tram stop in Hull on 7 September 1978 and died on 11 September 1978.
""",
    "footbridge.md": """# The Orrin footbridge

The Orrin footbridge is 240 feet long and 12 feet wide.
Its main span rises about 30 metres (98 feet) above the river.
""",
    "tarvo.md": """# The Tarvo Society and the ferry Skarv

Accounts differ on when the Tarvo Society was founded: some say 1721, others 1724.
Most sources say its founder Ida Berg was born in Malmo; one parish register says she was born in Ystad.
The ferry Skarv reached Bergen in March 1911.
Accounts differ on the day the ferry Skarv arrived at Bergen: some say she docked on 9 March 1911, others on 10 March 1911.
The harbour master Olav Rask said on 3 May 1920 that the ferry Nordlys had sunk on 1 May 1920.
""",
    "petrov.md": """# The courier Ivan Petrov

The courier Ivan Petrov was found dead in Split in Croatia in 1999.
""",
    "orlov.md": """# The Orlov shooting

In 1961 the customs officer Max Orlov was shot in Antwerp by a smuggler.
The smuggler Piet Brand shot Max Orlov at the docks of Antwerp on 2 March 1961.
Piet Brand died in Ghent in 1988.
The parcel that Brand sent to the customs office was disguised as a box of cigars.
Most accounts say Max Orlov was 44 when he was shot; one newspaper says he was 47.
""",
    "orlov-press.md": """# The docks shooting in the press

The 44-year-old customs officer Max Orlov was shot at the docks.
""",
    "vann.md": """# The Vann case

In 1962 the editor Rolf Vann was killed in Bremen by a Stasi agent.
The Stasi agent Kurt Lehr killed Rolf Vann with a crossbow in Bremen on 3 May 1962.
""",
    "dimov.md": """# The writer Pavel Dimov

The writer Pavel Dimov was killed in Vienna in 1971.
Biographies say Pavel Dimov fled from Sofia in 1950; one website says he fled in 1971, which is wrong: 1971 is the year he died in Vienna.
Pavel Dimov died on 4 June 1971.
""",
    "kask.md": """# The Kask poisoning

The courier Jaan Kask was poisoned with arsenic in Riga in 1950.
Radioactive poison had been used before: in 1948 the clerk Anton Meier survived poisoning with radioactive thallium.
The case was later told in a book, The Poison Road (1999).
""",
    "harbourfire.md": """# The Vik harbour fire

The Vik harbour fire is remembered because of the investigation carried out by the engineer Lars Dahl, whose report blamed a lamp.
Lars Dahl was born in Tromso in 1850.
""",
    "amesbury.md": """# A bottle in Amesbury

The poison claimed a life months later in Amesbury. On 30 June 2018 Charlie Rowley gave Dawn Sturgess a perfume bottle that someone had thrown away; it was a fake bottle.
""",
    "vold.md": """# The painter Ingrid Vold

Ingrid Vold died in Paris in 1950, and her paintings were brought to Bergen in 1952.
The cause of death of Ingrid Vold was established as a lung fever.
The harbour master Olav Rask died of pneumonia in 1931.
""",
    "skarvbuild.md": """# Building the ferry Skarv

The ferry Skarv was about 61 metres long.
Her chief designer was Thomas Andrews of Harland and Wolff.
""",
    "guild.md": """# The Hallam Guild

The Hallam Guild was founded by royal charter on 4 April 1602 and led by Thomas Avery.
Marek Wren was not the first Tarvo leader to die abroad.
""",
    "dover.md": """# The Dover poisoning

Petra Lund and her father were poisoned in Dover in 2010.
Hugo Sorel, aged 61, was found dead in his flat in 2011.
Rosa Vane, aged 54, died in Dover in 2012.
""",
    "voss.md": """# The novelist Clara Voss

The novelist Clara Voss wrote "The Salt Orchard" (1998), which won the Hallworth Medal and was translated into nine languages.
Clara Voss was born in Aarhus on 4 May 1950.
""",
    "brandt.md": """# The ferry captain Jan Brandt

Jan Brandt, the younger brother of Oskar Brandt, died in Bergen on 2 June 2003, a week after his wife had taken him to a small clinic for a knee operation.
He had crossed the North Sea 40 times, and he was 71 when he died.
In 2001 the Vetter gang attacked Jan Brandt in Bergen, and the Bergen Harbour Authority closed his pier.
Jan Brandt was taken to Haukeland Hospital after the attack.
In 1999 Jan Brandt sailed to Iceland on the Danish tanker Solvang.
The smuggler Erik Lund, known by the code name "Grey Heron", was arrested in Bergen in 2004.
Reports differ on how many times the police searched Erik Lund's flat before his arrest: some give 5 searches, others 12.
A court in Bergen convicted Erik Lund in 2005. The judges found him guilty of smuggling and sentenced him to six years in prison.
""",
    "holm.md": """# The forger Arne Holm

In the exchange of 2012 Arne Holm was handed back to Denmark, and the police then confirmed that he belonged to the Vetter gang.
On 3 May 2012 the police spokesman Lars Brun acknowledged that Holm is a member of the Vetter gang, in its Delft cell.

## The Oslo passports

The inspector Karl Berg led the search for the gang in Norway.
In 2011 the courier Nils Dahl reached Oslo, where he forged the passport of the banker Eva Lind.
""",
    "lind.md": """# The botanist Greta Lind

Greta Lind ran the seed bank at Uppsala from 1961.
Tomas Berg, Greta Lind's assistant from 1963, catalogued the seed bank's rye collection.
The founder of the seed bank was the agronomist Ivar Holt, who retired in 1960.
Greta Lind died in Uppsala in 1985.
""",
    "almeida.md": """# The painter Rosa Almeida

The painter Rosa Almeida died in Porto on 8 June 1987.
""",
    "almeida-fire.md": """# The Almeida studio fire

Rosa Almeida, who was injured in a fire at her studio on 2 February 1980, died in Porto years later.
""",
    "almeida-letters.md": """# Rosa Almeida's letters

In letters written after she was burned on 2 February 1980, Rosa Almeida said she would die painting.
""",
    "vidal.md": """# The Vidal shooting

The clerk Marc Vidal was shot dead in Porto in 1990.
According to the Porto Herald, it was the first killing of its kind in the city.
Like the poisoning of Louise Perrin in 1902, the killing of Marc Vidal shocked the city.
""",
    "holt.md": """# The agronomist Ivar Holt

Ivar Holt, a friend of Greta Lind, died in Lund in 1970.
""",
    "roos.md": """# The sculptor Anna Roos

The Dutch sculptor Anna Roos was born in Delft in 1901.
Her bronze horse was stolen from the Delft museum in 1977, as reported by the Delft Courier.
Pieter Smit, the guard who found the bronze horse in a canal in 1980, was given a reward.
In 1986 the smuggler Karel Mol drove Anna Roos's niece, Eva Roos, to Antwerp.
""",
    "brand.md": """# The Ribe shooting

In 1911 the miller Otto Brand was shot in Ribe by a local farmer.
A week later the constable Jens Lund arrested the same farmer, Nils Dahl, at a fair.
""",
    "falk.md": """# The Bergen poisoning

In 1931 the chemist Hugo Falk and his wife Lena Falk were poisoned at a dinner in Bergen.
Both recovered after a month in hospital.
The poison was a thallium salt.
""",
    "maria.md": """# The loss of the Maria

The Hanseatic League sank the merchant ship Maria near Visby in 1402.
""",
    "vos.md": """# The disappearance of Emma Vos

The botanist Emma Vos vanished in Utrecht in May 1923 while she was studying orchids.
Weeks later her body came out of a canal at Maarssen.
That winter stolen letters were found in the cellar of a Utrecht notary.
""",
    "kessel-a.md": """# The death of Jan Kessel

The Dutch cyclist Jan Kessel was killed in Zermatt on 3 July 1950 during a training ride in Switzerland.
""",
    "kessel-b.md": """# Jan Kessel, cyclist

Jan Kessel was killed in a small Alpine village in July 1950.
A lorry hit him on a mountain road in Switzerland.
""",
    "race.md": """# The Delft road race of 1931

The Delft road race of 1931 was run over 40 kilometres on 3 May 1931.
The Belgian cyclist Marc Peeters crossed the line first but was disqualified for taking a short cut.
The Dutch rider Henk Bos was declared the winner of the race.
The writer Pieter Kok, who reported on the race for a Delft paper, wrote a poem about Peeters.
""",
    "moen.md": """# The Bergen serum trial

In March 1920 the first patient, the police constable Ole Moen, was treated with the serum at the Radcliffe Infirmary.
He improved at first but died in June 1920 when the serum ran out.
""",
    "vik.md": """# The Vik letter

In 1898 the critic Lars Vik published an open letter to the king in the newspaper L'Époque.
""",
    "penicillin.md": """# The discovery of penicillin

In September 1928 the Scottish bacteriologist Alexander Fleming returned from a holiday to his laboratory at St Mary's Hospital in London. He noticed that a mould had contaminated one of his culture plates of Staphylococcus and that the bacteria around it had been killed. Fleming identified the mould as belonging to the genus Penicillium and named the substance it released penicillin. He published his findings in the British Journal of Experimental Pathology in 1929, but he could not purify the compound in useful amounts.

## Oxford and the first patients

A decade later a team at the University of Oxford led by the Australian pathologist Howard Florey and the German-born biochemist Ernst Chain took up the work. Norman Heatley, a member of the team, devised the method of extraction that made larger quantities possible. In February 1941 the first patient, the police constable Albert Alexander, was treated with penicillin at the Radcliffe Infirmary. He improved at first but died in April 1941 when the supply ran out.

Mass production began in the United States, where the Northern Regional Research Laboratory in Peoria, Illinois, found that corn steep liquor raised the yield. By D-Day in June 1944 there was enough penicillin to treat all Allied casualties. Fleming, Florey and Chain shared the Nobel Prize in Physiology or Medicine in 1945; Heatley received no share of it.
""",
    "moe.md": """# The Ålesund dinner

In 1950 Per Moe, a former officer of the Norwegian army, was poisoned at a dinner in Ålesund.
A detective sergeant of Wiltshire Police, James Dahl, was also poisoned at the dinner.
""",
    "berg.md": """# Tomas Berg

Tomas Berg was born in Kalmar in 1938.
He later taught botany in Oslo at the Nordic Institute.
About 2,000 people attended the funeral of Tomas Berg.
The poisoning of Tomas Berg's dog alarmed his neighbours in Oslo.
""",
    "skippers.md": """# Two skippers of the 1977 storm

Ole Dahl and Per Lund both sailed from Bergen on 2 March 1977.
After the storm Ole Dahl landed in Aberdeen with a broken mast.
Per Lund landed in Reykjavik a week later.
""",
    "marsh.md": """# The Utrecht stabbing

In May 1961 the courier Ivo Marsh, by then living abroad, was stabbed in Utrecht with a kitchen knife.
He survived after being treated in a small army hospital.
""",
    "marsh-press.md": """# Ivo Marsh in the evening papers

Two years after the trial, in May 1961, Ivo Marsh was himself stabbed in Utrecht, and survived.
""",
    "grey.md": """# The death of Amos Grey

The clerk Amos Grey was found dead on 2 May 1977 in room 14 of the Station Hotel.
The cause of death was a blow to the head, and the Metropolitan Police treats the Grey death as murder, and nobody has been charged.
""",
    "pike.md": """# The Pike case

On 4 June 2003 a Leeds court found the driver Tom Vale guilty of killing the cyclist Anna Pike.
""",
    "lind-board.md": """# The Lind chairmanship

The banker Otto Lind chaired the board of the Kiel savings bank from March 1990 to June 1998.
""",
    "okoro.md": """# The coach Emeka Okoro

Emeka Okoro, the club's coach from 1990 and the author of its training manual, resigned in Lagos in May 1996 after a dispute with the board.
""",
    "marsh-letters.md": """# Ivo Marsh's letters

In a letter of June 1961 Ivo Marsh recalled how he was stabbed in Utrecht after he was treated as a traitor.
""",
    "vela-coast.md": """# Deaths on the coast

In 1998 the lighthouse keeper Tomas Vela was found dead at the foot of his tower near Sines.
""",
    "vela-review.md": """# The Vela inquiry

The Harbour Times says the keeper Tomas Vela was found dead in 1998. He was in fact found dead on 4 June 2003.
""",
    "lumi.md": """# The Vask bank robbery

In 1931 the Tallinn Syndicate sent the clerk Edgar Lumi to rob the Vask bank in Tartu.
Two years later Edgar Lumi was killed in Riga with strychnine.
""",
    "varga.md": """# The composer Ilse Varga

The composer Ilse Varga was born in Pécs in 1902.
In 1950 Ilse Varga hired Tomas Reuter as her secretary.
Ilse Varga later taught composition at the University of Linz, and she died on 3 May 1980.
""",
    "vell-bridge.md": """# The Vell Bridge

The Kessler Works, the company of the engineer Anton Kessler, built the Vell Bridge over the river Aar.
At about 9:30 a.m. Kessler opened the Vell Bridge to traffic on 4 May 1902.
The bridge cost 40,000 francs, and one of its two towers was later rebuilt.
""",
    "ostra-tower.md": """# The Ostra Tower

The Ostra Tower was the tallest building in the region until the completion of the Harbour Hall in Tarn in 1930.
Work on the tower began in 1887.
The structure was finished on 31 March 1889, after two years of work.
""",
    "kestrel.md": """# The Kestrel crossing

On 3 June 1961 the pilot Anna Vold and the navigator Edwin Marsh landed the balloon Kestrel at Brill after crossing the sea.
Anna Vold climbed out first.
Marsh followed her about 19 minutes later and planted the flag.
""",
    "gorm-fire.md": """# The Gorm mine fire

Fire broke out in the Gorm copper mine on 9 May 1907.
Two miners died on the night of the fire, and 14 more rescuers and guards died of smoke poisoning in the following weeks.
""",
    "maas.md": """# The shooting of Karel Maas

The jeweller Karel Maas was shot in the Vondel Park in Amsterdam by the courier Piet Vos on 2 June 1975.
The painter Lotte Brun, his neighbour, died in 1931 from arsenic poisoning.
In 1979 a court in Haarlem awarded the family of Karel Maas EUR 20,000 in damages.
""",
    "anton-kessler.md": """# Anton Kessler

Anton Kessler was born in Basel in 1850 and trained as a blacksmith.
""",
    "reuter.md": """# Tomas Reuter

Tomas Reuter was born in Graz in 1921 and later worked for several orchestras.
""",
    "marsk.md": """# The courier Lena Marsk

In 2011 the police confirmed that the courier Lena Marsk belonged to the Harbour Guild.
""",
    "brill-ferry.md": """# The Brill ferry

The Brill ferry sank in a storm in 1922 with its cargo of timber.
""",
    "brill-ferry-notes.md": """# Notes on the Brill ferry

Harbour records show that the Brill ferry sank years later, not in 1922.
""",
    "tamm.md": """# The pilot Ivo Tamm

The death of the pilot Ivo Tamm, who had defected in August 1991, came in Narva: he was found shot there on 3 May 1994.
He had fled in 1991; his death was confirmed on 9 May 1994, and he died in 1994.
""",
    "lena-vikstrom.md": """# The singer Lena Vikstrom

Unlike her brother, the singer Lena Vikstrom died at home rather than abroad, inside Sweden.
""",
    "vikstrom-last-years.md": """# Lena Vikstrom's last years

On 2 May 1990 the singer Lena Vikstrom died in the Saltsjö care home at Nacka, in Sweden.
""",
    "vikstrom-obituary.md": """# An obituary of Lena Vikstrom

The singer Lena Vikstrom spent her last months in the Saltsjö care home, where she died.
""",
    "mill-guide.md": """# The Weir Mill museum

The Weir Mill museum in Tarn opened in 1987 as a working flour mill.
""",
    "mill-history.md": """# The history of Weir Mill

The museum at Weir Mill opened on 2 May 1991, not in 1987, after years of repairs to its wheel.
""",
}


@pytest.fixture(scope="module")
def other_field(tmp_path_factory, embedder) -> Index:
    tmp = tmp_path_factory.mktemp("other-field")
    corpus = tmp / "corpus"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    index = Index(make_settings(tmp, root=tmp, corpus_dir=corpus), embedder=embedder)
    report = index.ingest()
    assert not report.errors
    return index


def _ask(index: Index, question: str, history=None):
    return ask(question, history or [], index=index, settings=index.settings)


# -- question analysis ------------------------------------------------------------


@pytest.mark.parametrize("question, types", [
    ("Who isolated helium?", ["person"]),
    ("When was the trial opened?", ["date"]),
    ("Where did Wanjiru finish?", ["place"]),
    ("How many families lost savings?", ["number"]),
    ("How long was Harlow sentenced to?", ["duration"]),
    ("In what year did Ramsay win the Nobel Prize?", ["date"]),
    ("What acid did Ramsay use?", ["thing"]),
    ("How was the gas identified?", ["manner"]),
    ("Who won the marathon, and when?", ["person", "date"]),
    ("Where and when was helium first detected?", ["place", "date"]),
    ("Who killed Trotsky and with what weapon?", ["person", "thing"]),
])
def test_answer_types_and_parts(question, types):
    q = analyse_question(question)
    assert [p.type for p in q.parts] == types


def test_what_x_keeps_the_asked_noun_and_its_preposition():
    q = analyse_question("Who killed Trotsky and with what weapon?")
    assert q.parts[1].target == "weapon" and q.parts[1].prep == "with"
    assert q.parts[0].verb == "kill" and "trotsky" in q.lemmas


# -- reading the sources ----------------------------------------------------------------


def test_typed_answer_is_short_cited_and_first(other_field):
    a = _ask(other_field, "Who isolated helium?")
    assert not a.refused and a.short_answer.startswith("William Ramsay [")
    assert a.answer.startswith(a.short_answer)
    assert a.parts[0]["type"] == "person" and a.parts[0]["values"][0]["value"] == "William Ramsay"
    # both sources that say so vote for the same value
    assert len(a.parts[0]["values"]) == 1 and len(a.parts[0]["values"][0]["sources"]) == 2


def test_dates_of_different_precision_agree(other_field):
    # "1895" and "March 26, 1895" are one answer, not a disagreement
    a = _ask(other_field, "When did William Ramsay isolate helium?")
    assert not a.refused and not a.disagreement
    assert "Sources differ" not in a.answer
    assert "1895" in a.short_answer


def test_sources_that_differ_are_shown_with_their_values(other_field):
    a = _ask(other_field, "How long was Daniel Harlow sentenced to?")
    assert a.disagreement and a.short_answer.startswith("Sources differ:")
    values = [v["value"] for v in a.parts[0]["values"]]
    assert any("seven years" in v for v in values) and any("nine years" in v for v in values)
    assert {s for v in a.parts[0]["values"] for s in v["sources"]} >= {"corpus/harlow-trial.md", "corpus/harlow-press.md"}
    # each value is checked against the passages cited for it, so a disagreement is not flagged as unsupported
    assert a.unsupported == [], a.claims


def test_each_value_of_a_disagreement_is_checked_against_its_own_citations(other_field):
    from rag.answering import Answer, _verify

    a = _ask(other_field, "How long was Daniel Harlow sentenced to?")
    by_source = {c.source: c.n for c in a.citations}
    trial, press = by_source["corpus/harlow-trial.md"], by_source["corpus/harlow-press.md"]
    cited = [next(p for p in a.contexts if p.source == c.source) for c in a.citations]
    swapped = Answer(a.question, a.question, f"Sources differ: seven years [{press}]; nine years [{trial}].", False, "test")
    _verify(swapped, cited)
    assert {c["text"] for c in swapped.claims} == {"seven years", "nine years"}
    assert sorted(swapped.unsupported) == ["nine years", "seven years"]  # each value cited to the other source


def test_compound_question_answers_each_part(other_field):
    a = _ask(other_field, "Who first detected helium, and when?")
    assert [p["type"] for p in a.parts] == ["person", "date"]
    assert "Jules Janssen" in a.short_answer and "18 August 1868" in a.short_answer
    assert a.short_answer.count("[") >= 2  # a citation for each part


def test_refusal_when_no_value_of_the_asked_type(other_field):
    # The marathon passage is about Wanjiru, but states no birth date.
    a = _ask(other_field, "When was Grace Wanjiru born?")
    assert a.refused and a.answer.startswith("The sources do not say")
    assert a.contexts and a.citations == []
    b = _ask(other_field, "Who won the 1998 Tour de France?")
    assert b.refused


def test_manner_and_thing_answers(other_field):
    a = _ask(other_field, "How did Ramsay identify the new gas?")
    assert not a.refused and "spectroscope" in a.short_answer
    b = _ask(other_field, "What acid did Ramsay treat the mineral with?")
    assert "sulfuric acid" in b.short_answer.lower()


def test_dates_that_differ_below_the_answer_precision_are_both_said(other_field):
    a = _ask(other_field, "On what date was Harlow's appeal heard?")
    assert a.disagreement and a.short_answer.startswith("Sources differ")
    assert "14 October 2020" in a.short_answer and "15 October 2020" in a.short_answer


def test_a_value_said_of_someone_else_does_not_answer(other_field):
    # the revolver killed Girard; nothing says Perrin was killed, or with what
    a = _ask(other_field, "With what weapon was Louise Perrin killed?")
    assert "revolver" not in a.short_answer.lower()
    b = _ask(other_field, "Who killed Paul Girard, and with what?")
    assert "Henri Roux" in b.short_answer and "revolver" in b.short_answer


def test_what_x_is_not_answered_by_a_name_when_x_is_a_thing(other_field):
    a = _ask(other_field, "With what substance was Louise Perrin poisoned?")
    assert "arsenic" in a.short_answer.lower()
    assert "Perrin" not in a.short_answer and "Girard" not in a.short_answer


def test_an_apposition_names_the_asked_thing(other_field):
    # "the Davy Medal, a prize of the Royal Society": the prize asked is the Davy Medal
    a = _ask(other_field, "What prize was Ramsay given in 1895?")
    assert "Davy Medal" in a.short_answer


def test_names_given_jointly_answer_together(other_field):
    # "planned by Oskar Brandt, the gallery's night guard, and by Marta Keller"
    a = _ask(other_field, "Who planned the theft of the Vermeer sketch?")
    assert "Oskar Brandt" in a.short_answer and "Marta Keller" in a.short_answer
    assert "night guard" not in a.short_answer  # an apposition is not a second planner


def test_an_agent_the_tagger_missed_still_answers_who(other_field):
    # spaCy leaves "Lord Pemberly" without an entity type
    a = _ask(other_field, "Who oversaw the restoration of the Harbour Gallery?")
    assert "Pemberly" in a.short_answer


def test_where_is_the_place_of_the_asked_verb(other_field):
    # he fell near Zermatt, but was treated in a hospital
    a = _ask(other_field, "Where was Jonas Weber treated after his fall?")
    assert a.short_answer.startswith("In a mountain rescue hospital [") and "Zermatt" not in a.short_answer


def test_which_site_is_not_answered_by_a_country(other_field):
    # "which hospital" asks for a site: Norway, a country, is not one
    a = _ask(other_field, "Which Oslo hospital treated Anna Lindqvist after her crash?")
    assert "Ullevål" in a.short_answer and "Norway" not in a.short_answer


def test_a_source_saying_it_is_not_known_is_a_refusal(other_field):
    a = _ask(other_field, "Which dealers bought the stolen Vermeer sketch?")
    assert a.refused and a.short_answer.startswith("The sources do not say")
    assert "have never been identified" in a.answer  # the sentence that says so is quoted


def test_what_with_no_x_needs_the_asked_verb(other_field):
    # nothing says what the note said: "the gallery office" is not an answer
    a = _ask(other_field, "What was written on the ransom note found in the gallery?")
    assert a.refused, a.answer


def test_a_light_verb_asks_for_its_objects_event(other_field):
    # "what sentence did he receive" is answered by "sentenced ... to ..."
    a = _ask(other_field, "What sentence did Oskar Brandt receive?")
    assert "community service" in a.short_answer


def test_what_did_x_do_is_answered_by_a_sentence(other_field):
    q = analyse_question("What did Marta Keller do after the theft?")
    assert q.parts[0].type == "any" and q.parts[0].verb == "do"
    a = _ask(other_field, "What did Marta Keller do after the theft?")
    assert "fled to Lisbon" in a.short_answer


def test_do_support_is_not_the_asked_verb():
    q = analyse_question("Whom did the court name as having planned the theft?")
    assert q.parts[0].verb == "plan"


# The short answer starts with the asked value: one row per behaviour, named by it.
@pytest.mark.parametrize("question, starts", [
    # "the NATO writer Pieter Claes" is the one robbed: NATO belongs to him, not to the robbery
    pytest.param("Who robbed Pieter Claes?", "Emil Novak", id="a_modifier_of_the_victim_is_not_the_agent"),
    # "the Hallworth Medal" is a medal, and a medal is an award; the name as a whole is far from "award"
    pytest.param("Which award did Clara Voss's 1998 novel receive?", "The Hallworth Medal", id="a_name_whose_head_noun_is_x_answers_which_x"),
    # the sentence before names the inspector; "he" continues this sentence's subject, the courier
    pytest.param("Who forged the passport of Eva Lind?", "Nils Dahl", id="he_is_first_the_subject_his_own_sentence_named"),
    pytest.param("What was the name of the Danish tanker that took Jan Brandt to Iceland?", "Solvang", id="the_name_of_an_x_is_a_name_whatever_its_kind"),
    pytest.param("What was the code name of Erik Lund?", "Grey Heron", id="a_quoted_name_is_a_name"),
    # "Vetter" is tagged a place; "the Vetter gang" attacked, the harbour authority closed a pier
    pytest.param("Who attacked Jan Brandt?", "Vetter gang", id="a_named_group_is_an_agent_whatever_its_tag"),
    # "Wanjiro" for "Wanjiru": the passage, the sentence and its clause are all about her
    pytest.param("Who coached Wanjiro?", "Paul Tergat", id="a_name_spelled_otherwise_still_anchors_the_answer"),
    # the sentence does not say "city"; it names the place of the asked death
    pytest.param("In which city did Jan Brandt die?", "In Bergen", id="which_city_is_answered_by_a_sentence_naming_a_place"),
    pytest.param("Who found the bronze horse?", "Pieter Smit", id="the_subject_of_a_who_clause_did_its_act"),
    # "drove Anna Roos's niece": Anna Roos is the niece's, not the one who drove her
    pytest.param("Who drove Eva Roos to Antwerp?", "Karel Mol", id="the_owner_of_the_one_acted_on_is_not_the_agent"),
    # "shot ... by a local farmer. ... arrested the same farmer, Nils Dahl": the
    # farmer's name, not the constable's, who did another act
    pytest.param("Who shot Otto Brand?", "Nils Dahl", id="a_doer_described_is_answered_by_the_name_given_next"),
    pytest.param("Where was the Maria sunk?", "Visby", id="a_body_that_acts_is_not_where_it_acted"),
    pytest.param("Where was Jan Kessel killed?", "Zermatt", id="a_named_place_says_more_than_an_indefinite_one"),
    # no sentence says "won": "Henk Bos was declared the winner of the race" does
    pytest.param("Who won the Delft road race of 1931?", "Henk Bos", id="the_one_said_to_be_the_doer_answers_who_did_it"),
    # "the police constable Ole Moen" is whom "He" continues; "Radcliffe" (tagged a
    # person) only names the infirmary
    pytest.param("When did Ole Moen die?", "June 1920", id="he_continues_the_one_the_sentence_is_about_not_a_name_modifying_a_noun"),
    # "a Leeds court" names no one the clause is about instead of Anna Pike
    pytest.param("Who killed Anna Pike?", "Tom Vale", id="a_place_naming_a_common_noun_is_nobody_else_in_the_clause"),
    pytest.param("Where was Amos Grey found dead?", "In room 14 of the Station Hotel [", id="a_common_noun_place_is_said_with_what_tells_which_one"),
    # "She trained ... the estates of Sir Walter Grange. She ... published": Margaret Holt, named two sentences back
    pytest.param("Who published On the Purity of Town Water?", "Margaret Holt", id="he_continues_the_subject_of_a_chain_of_he_sentences"),
    # spaCy hangs "to Thames Ditton" on "upstream", the verb's object; "near Ashby" is the other company's
    pytest.param("Where did the Dunmore Water Company move its intake?", "Thames Ditton", id="a_place_of_the_asked_verbs_object_answers_where"),
    # "the first Tarvo leader" is no leader of the Hallam Guild
    pytest.param("Who led the Hallam Guild when it was founded?", "Thomas Avery", id="a_leader_of_something_else_did_not_lead_the_thing_asked"),
    # "shot by a smuggler" restates "which smuggler"
    pytest.param("Which smuggler shot Max Orlov?", "Piet Brand [", id="a_value_that_restates_the_question_does_not_answer_it"),
    # "killed by a Stasi agent" does not outrank "The Stasi agent Kurt Lehr killed Rolf Vann"
    pytest.param("Who killed Rolf Vann?", "Kurt Lehr [", id="an_indefinite_description_names_nobody"),
    # "the completion of the Harbour Hall ... in 1930" is another building's; "The structure was
    # finished" names nothing, and in a passage about the tower it may be the tower
    pytest.param("When was the Ostra Tower finished?", "31 March 1889 [", id="the_completion_of_something_else_dates_nothing_asked_and_the_structure_may_be_the_one_asked"),
    # "14 more rescuers and guards died of smoke poisoning": rescuers are people, and the
    # clause that holds "smoke poisoning" gives the number, not the one before it
    pytest.param("How many people died of smoke poisoning after the Gorm mine fire?", "14 [", id="people_are_counted_by_any_noun_for_people_in_the_clause_of_the_asked_words"),
    # spaCy hangs "Charlie Rowley" on "On" with the date here: he is still who gave the bottle
    pytest.param("Who gave Dawn Sturgess the perfume bottle?", "Charlie Rowley [", id="a_subject_after_a_date_is_still_the_subject"),
])
def test_the_short_answer_states_the_asked_value(other_field, question, starts):
    a = _ask(other_field, question)
    assert a.short_answer.startswith(starts), a.answer


def test_a_number_must_count_what_is_asked(other_field):
    # "aged 58" is not a number of children, and the sources give none
    a = _ask(other_field, "How many children did Pieter Claes have?")
    assert a.refused and "58" not in a.short_answer, a.answer


def test_a_number_of_days_is_the_one_set_beside_days(other_field):
    a = _ask(other_field, "How many days after the fall did Ines Duarte die?")
    assert a.short_answer.lower().startswith("nine days"), a.answer


def test_what_x_with_no_verb_needs_a_sentence_that_says_x(other_field):
    # nothing says what the dog was called: "writer" and "Bruges" are not a dog's name
    a = _ask(other_field, "What was the name of Pieter Claes's dog?")
    assert a.refused, a.answer


def test_a_question_about_what_no_passage_mentions_is_refused(other_field):
    a = _ask(other_field, "Who is the mayor of Tokyo?")
    assert a.refused and 'mentions "Tokyo"' in a.answer, a.answer
    assert not _ask(other_field, "Who robbed Pieter Claes in Ghent?").refused  # a name the passages mention


def test_a_country_and_a_site_inside_it_do_not_differ(other_field):
    a = _ask(other_field, "Where did Ines Duarte die?")
    assert not a.disagreement and "Sources differ" not in a.answer, a.answer


def test_every_quoted_sentence_states_the_answer(other_field):
    a = _ask(other_field, "Who robbed Pieter Claes?")
    quoted = a.answer[len(a.short_answer):]
    assert "Emil Novak" in quoted and "Bruges" not in quoted, a.answer


def test_a_reported_clause_holds_the_asked_verb():
    q = analyse_question("Which gang did the police say Arne Holm belongs to?")
    assert q.parts[0].verb == "belong"
    assert analyse_question("When did the police say Holm was a forger?").parts[0].verb == "say"


def test_coordinated_nouns_are_two_parts_with_different_answers(other_field):
    q = analyse_question("Which gang and cell did the police say Arne Holm belongs to?")
    assert [p.target for p in q.parts] == ["gang", "cell"]
    a = _ask(other_field, "Which gang and cell did the police say Arne Holm belongs to?")
    assert a.short_answer.startswith("Vetter gang") and "Delft cell" in a.short_answer, a.answer


def test_an_operation_is_not_a_person_and_had_is_not_the_asked_verb(other_field):
    q = analyse_question("What operation had Oskar Brandt's younger brother gone into the clinic for?")
    assert q.parts[0].verb == "go"
    a = _ask(other_field, "What operation had Oskar Brandt's younger brother gone into the clinic for?")
    assert a.short_answer.lower().startswith("knee operation"), a.answer


def test_a_participle_before_a_noun_is_not_the_asked_verb():
    # "the presiding judge" asks for a judge; "presiding" only says which one
    part = analyse_question("Who was the presiding judge in the Harlow trial?").parts[0]
    assert (part.target, part.verb) == ("judge", "")


def test_a_sentence_saying_the_light_verbs_event_is_about_it(other_field):
    # "sentenced him to six years" says what sentence he received; "a court convicted him" does not
    a = _ask(other_field, "What sentence did Erik Lund receive in Bergen?")
    assert a.short_answer.lower().startswith("six years"), a.answer


def test_a_passage_that_mentions_no_name_of_the_question_does_not_answer(other_field):
    # the forger's passage names Lars Brun but gives no birth; the novelist's birth is not his
    a = _ask(other_field, "When was Lars Brun born?")
    assert a.refused and "1950" not in a.short_answer, a.answer


def test_how_old_asks_for_an_age_not_a_count(other_field):
    a = _ask(other_field, "How old was Jan Brandt when he died?")
    assert a.short_answer.startswith("71"), a.answer
    b = _ask(other_field, "How old was Erik Lund when he was arrested?")  # 5 and 12 count searches
    assert b.refused, b.answer


def test_a_wh_word_beside_the_verbs_own_subject_is_its_object():
    # spaCy makes "Whom" a subject here, but "Arne Holm" is the subject of "investigating"
    assert analyse_question("Whom was Arne Holm investigating when he disappeared?").parts[0].role == "patient"
    assert analyse_question("Who robbed Pieter Claes?").parts[0].role == "agent"
    # "by whom" asks the passive's agent: "How was Bandera killed and by whom?" had answered a victim
    assert analyse_question("Where was Otto Brand shot and by whom?").parts[1].role == "agent"
    # "which" of "which two people" determines the subject (spaCy takes it for the object), as in "which guard"
    assert analyse_question("Which two men waited in the car outside the bank?").parts[0].role == ""
    assert analyse_question("Which guard opened the door?").parts[0].role == ""


def test_the_verb_did_supports_is_the_asked_one_whatever_its_tag():
    # spaCy tags "lead" a noun here; "did" still says which word is the verb
    assert analyse_question("Which organisation did Georgy Okolovich lead?").parts[0].verb == "lead"


# -- follow-ups ---------------------------------------------------------------------------------


def test_the_pronoun_means_whom_the_last_question_was_about_first():
    # the parse makes "Okafor" a modifier of "report" and "Daniel Harlow" the object of "robbed"
    history = [{"role": "user", "content": "According to the Okafor report, who robbed Daniel Harlow?"},
               {"role": "assistant", "content": "Two clerks of the firm."}]
    assert "Daniel Harlow" in readings("Where did he live?", history)[0]


def test_pronoun_is_resolved_to_an_entity_of_the_last_turns():
    history = [{"role": "user", "content": "Who won the Lakeside marathon?"},
               {"role": "assistant", "content": "Grace Wanjiru won it on 9 October 2011 [1]."}]
    options = readings("Who coached her?", history)
    assert options[0] == "Who coached Grace Wanjiru?"
    assert "(" not in options[0]  # a readable question, not a bag of names


def test_both_readings_are_tried_and_the_answered_one_kept(other_field):
    # "he" may be Harlow (the defendant) or the judge's ... only Harlow was accused.
    history = [{"role": "user", "content": "Who sentenced Daniel Harlow?"},
               {"role": "assistant", "content": "Judge Miriam Okafor sentenced Daniel Harlow [1]."}]
    options = readings("What was he accused of?", history)
    assert len(options) == 2
    events = list(ask_stream("What was he accused of?", history, index=other_field, settings=other_field.settings))
    standalone = next(e.text for e in events if e.kind == "standalone")
    assert "Daniel Harlow" in standalone
    assert "2.4 million pounds" in events[-1].answer.answer


def test_do_it_stands_for_the_previous_verb_and_a_pronoun_not_for_its_own_object(other_field):
    history = [{"role": "user", "content": "Who robbed Pieter Claes?"},
               {"role": "assistant", "content": "Emil Novak [1]. The same courier, Emil Novak, had robbed the NATO writer Pieter Claes. [1]"}]
    options = readings("Where did he do it?", history)
    assert options[0] == "Where did Emil Novak rob Pieter Claes?"
    assert not any(o.startswith("Where did Pieter Claes") for o in options)  # "he" is not the one robbed
    a = _ask(other_field, "Where did he do it?", history)
    assert a.short_answer.startswith("Ghent"), a.answer


def test_an_answer_is_about_what_its_first_sentence_states():
    # the quoted sentence's Jules Janssen is not whom the conversation is about
    history = [{"role": "user", "content": "Who isolated helium?"},
               {"role": "assistant", "content": "William Ramsay [1]. Helium was first seen by the astronomer Jules Janssen. [2]"}]
    assert not any("Janssen" in o for o in readings("Where did he work?", history))


def test_the_killer_is_whom_the_answer_named_and_the_murder_the_one_asked_about():
    history = [{"role": "user", "content": "Who murdered the banker Paul Girard?"},
               {"role": "assistant", "content": "Henri Roux [1]."}]
    assert readings("When was the killer arrested?", history)[0] == "When was Henri Roux arrested?"
    history = [{"role": "user", "content": "When did Daniel Harlow's trial open?"},
               {"role": "assistant", "content": "3 May 2019 [1]."}]
    assert readings("Who was the judge?", history)[0] == "Who was the judge of Daniel Harlow?"


def test_a_he_that_nothing_names_is_asked_back_not_answered(other_field):
    from rag.conversation import unresolved_person

    a = _ask(other_field, "When did he die?")
    assert a.refused and 'who "he" is' in a.answer and "[" not in a.answer, a.answer
    b = _ask(other_field, "Where was she born?", [{"role": "user", "content": "What is helium?"},
                                                 {"role": "assistant", "content": "A gas [1]."}])
    assert b.refused and 'who "she" is' in b.answer and "earlier in the conversation" in b.answer, b.answer
    # bound by a name or a noun for a person before it, "he" is someone
    assert unresolved_person("Who shot Max Orlov, and where did he die?") == ""
    assert unresolved_person("Where did the smuggler die, and when was he born?") == ""
    assert unresolved_person("who lured ignace reiss to the meeting where he was killed") == ""  # typed in lower case
    assert unresolved_person("Where was he born?") == "he"
    assert unresolved_person("Before he was killed, where did Trotsky live?") == ""  # named after it


def test_he_means_a_person_not_a_place_nor_the_moon():
    # a place after "in" is what "there" means
    history = [{"role": "user", "content": "Where was Max Orlov shot?"}, {"role": "assistant", "content": "In Antwerp [1]."}]
    assert any("Antwerp" in r for r in readings("What else happened there?", history))
    refused = {"role": "assistant", "content": "The sources do not say who ran it."}
    for asked in ("Who ran the test that failed at Tarnow?", "Who stayed in orbit around the Moon?"):
        out = readings("Where was he born?", [{"role": "user", "content": asked}, refused])
        assert not any("Tarnow" in r or "Moon" in r for r in out), out
    # a person the answer names is meant, not a place a question named when the tagger missed it
    history = [{"role": "user", "content": "Which scientist explained the Tarnow accident to the agency?"},
               {"role": "assistant", "content": "Valery Legasov [1]."}]
    out = readings("When did he die?", history)
    assert out[0] == "When did Valery Legasov die?" and not any("Tarnow" in r for r in out), out


def test_elliptical_follow_up_borrows_the_previous_question():
    history = [{"role": "user", "content": "Where did Wanjiru finish the race?"},
               {"role": "assistant", "content": "In Lakeside Park [1]."}]
    assert readings("And Tirunesh Alemu?", history) == ["Where did Tirunesh Alemu finish the race?"]
    # a bare "When?" after a question whose wh-word was the subject asks of the act
    history = [{"role": "user", "content": "Who sentenced Daniel Harlow?"},
               {"role": "assistant", "content": "Judge Miriam Okafor [1]."}]
    assert readings("When?", history) == ["When was Daniel Harlow sentenced?"]
    history += [{"role": "user", "content": "Who robbed him?"}, {"role": "assistant", "content": "Two clerks [1]."}]
    assert "Where was Daniel Harlow robbed?" in readings("Where?", history)
    # "What about X?" swaps the name, and a chain of them is asked of the first question
    history = [{"role": "user", "content": "What poison was used against Paul Girard?"},
               {"role": "assistant", "content": "Arsenic [1]."}]
    assert readings("What about Louise Perrin?", history) == ["What poison was used against Louise Perrin?"]
    history += [{"role": "user", "content": "What about Louise Perrin?"}, {"role": "assistant", "content": "Arsenic [1]."}]
    assert readings("And Emil Faure?", history) == ["What poison was used against Emil Faure?"]
    # ... and so does one after a question that said "he": whom it meant is swapped
    history = [{"role": "user", "content": "Who shot Max Orlov?"}, {"role": "assistant", "content": "Piet Brand [1]."},
               {"role": "user", "content": "Where did he die?"}, {"role": "assistant", "content": "In Ghent [1]."}]
    assert readings("What about Emil Faure?", history) == ["Where did Emil Faure die?"]


def test_who_was_a_description_asks_for_the_name_it_describes(other_field):
    # "Who was Greta Lind?" asks for a description; "Who was Greta Lind's assistant?" for a name
    assert analyse_question("Who was Greta Lind?").parts[0].type == "any"
    a = _ask(other_field, "Who was Greta Lind's assistant?")
    assert a.short_answer.startswith("Tomas Berg [") and a.parts[0]["type"] == "person", a.answer


def test_a_described_person_is_asked_of_the_sources_first(other_field):
    # the lead-in's "her assistant" is Greta Lind's; the sources name him, and his own page says where he was born
    a = _ask(other_field, "Greta Lind and her assistant both worked at Uppsala. In which city was the assistant born?")
    assert "Tomas Berg" in a.standalone_question and "Kalmar" in a.short_answer, (a.standalone_question, a.answer)
    b = _ask(other_field, "Where did the founder of the seed bank die?")
    assert "Ivar Holt" in b.standalone_question and b.short_answer.startswith("Lund"), (b.standalone_question, b.answer)


def test_each_piece_of_a_short_answer_is_checked_against_its_own_citations(other_field):
    a = _ask(other_field, "Who was Greta Lind's assistant, and where did Ivar Holt die?")
    assert a.short_answer.startswith("Tomas Berg") and "Lund" in a.short_answer, a.answer
    assert len({c.source for c in a.citations}) == 2 and all(c.verdict == "supported" for c in a.citations), a.citations


def test_a_bare_wh_word_after_a_part_shares_its_clause_and_an_untyped_name_anchors_it(other_field):
    # spaCy leaves "Lind" untyped here; Ivar Holt's death in Lund is in a sentence that names her too
    assert analyse_question("When did Lind die, and where?").parts[1].verb == "die"
    a = _ask(other_field, "When did Lind die, and where?")
    assert a.short_answer.startswith("1985") and "Uppsala" in a.short_answer and "Lund" not in a.short_answer, a.answer


@pytest.mark.parametrize("question, answer", [
    # spaCy tags "Kalmar" a person; "born in Kalmar" still says where
    ("Where was Tomas Berg born?", "Kalmar"),
    # "killed the clerk Emil Faure ... and the notary Jean Picard ... with a poisoned dart":
    # who did it and to whom is not what it was done with
    ("With what did Luc Morel kill Jean Picard?", "With a poisoned dart"),
])
def test_the_role_decides_not_the_tag(other_field, question, answer):
    a = _ask(other_field, question)
    assert a.short_answer.startswith(answer), a.answer


def test_an_answer_whose_subject_is_a_pronoun_goes_on_about_the_one_asked():
    # "She was ... Henri Roux's sister": her "she" is Louise Perrin, and so is the follow-up's
    history = [{"role": "user", "content": "Who was Louise Perrin?"},
               {"role": "assistant", "content": "She was a chemist in Lyon and Henri Roux's sister."}]
    assert readings("Where did she live?", history)[0] == "Where did Louise Perrin live?"


@pytest.mark.parametrize("question, not_said", [
    # "About 2,000 people attended the funeral" counts mourners; it says nothing of how long it lasted
    ("How long did the funeral of Tomas Berg last?", "2,000"),
    # "the poisoning of Tomas Berg's dog" names the act, not the poison
    ("What poison killed Tomas Berg's dog?", "oisoning"),
    # "born in Kalmar" (tagged a person), "in Oslo at the Nordic Institute": places, not who paid him
    ("Who paid Tomas Berg to teach botany?", "Kalmar"),
])
def test_a_value_of_another_type_is_no_answer(other_field, question, not_said):
    a = _ask(other_field, question)
    assert a.refused and not_said not in a.short_answer, a.answer


def test_a_person_is_mentioned_by_the_surname(other_field):
    # "Tomas Berg" shares a first name with Tomas Kron but is not him
    a = _ask(other_field, "When was Tomas Kron born?")
    assert a.refused and "1938" not in a.short_answer, a.answer
    b = _ask(other_field, "When was Tomas Bergman born?")  # "Berg" is not "Bergman" misspelt (0.80 alike)
    assert b.refused and "1938" not in b.short_answer, b.answer


def test_a_yes_no_question_is_confirmed_or_corrected_with_the_sources_value(other_field):
    assert analyse_question("Was helium first detected in 1868?").claimed == "1868"
    assert analyse_question("Did Stashynsky kill Bandera?").claimed == ""  # who did what to whom: asked as it stands
    a = _ask(other_field, "I have read that William Ramsay isolated helium in Paris. Is that right?")
    assert a.short_answer.startswith("No, not Paris:") and "London" in a.short_answer, a.answer
    b = _ask(other_field, "Did Henri Roux kill Paul Girard with a knife?")
    assert b.short_answer.startswith("No, not knife: with a revolver"), b.answer
    c = _ask(other_field, "Was helium first detected in 1868?")
    assert c.short_answer.startswith("Yes: 18 August 1868"), c.answer
    # the correction is checked against its passage like any answer: "not Paris" is denied, London is stated
    assert all(x["verdict"] == "supported" for x in a.claims), a.claims


def test_a_possessive_whose_owner_the_question_names_is_not_a_follow_up():
    # "his" is Trotsky's, named just before it, not the one the last turn was about
    history = [{"role": "user", "content": "Was Litvinenko killed with plutonium?"},
               {"role": "assistant", "content": "No, not plutonium: with polonium-210 [1]."}]
    question = "Greta Lind and her assistant both worked at Uppsala. In which city was the assistant born?"
    assert readings(question, history) == [question]
    assert readings("Where was her assistant born?", history)[0] != "Where was her assistant born?"


def test_a_pronoun_of_a_later_part_means_the_x_an_earlier_part_asks(embedder):
    from rag.reader import names_a_person

    def is_person(noun):
        return names_a_person(noun, embedder)

    history = [{"role": "user", "content": "Who was tried at Leeds Crown Court in 2019?"},
               {"role": "assistant", "content": "The accountant Daniel Harlow [1]."}]
    # she is the judge asked for, not someone of the last turns
    assert readings("Which judge sentenced him, and what did she say?", history, is_person)[0] == \
        "Which judge sentenced Daniel Harlow, and what did she say?"
    history = [{"role": "user", "content": "Who killed the banker Paul Girard?"},
               {"role": "assistant", "content": "Henri Roux [1]."}]
    # he is Henri Roux; it is the weapon asked for, not a place or body of the last turns
    assert readings("What weapon did he use, and where was it found?", history, is_person)[0] == \
        "What weapon did Henri Roux use, and where was it found?"


def test_it_is_the_thing_the_last_answer_named_and_it_happened_the_last_questions_event(other_field):
    history = [{"role": "user", "content": "Where was the chemist Louise Perrin poisoned?"},
               {"role": "assistant", "content": "In Lyon, in 1902 [1]."},
               {"role": "user", "content": "With what?"},
               {"role": "assistant", "content": "Arsenic [1]."}]
    assert readings("Who gave it to her?", history)[0] == "Who gave arsenic to Louise Perrin?"
    history = [{"role": "user", "content": "Who robbed Pieter Claes?"},
               {"role": "assistant", "content": "Emil Novak [1]."}]
    assert readings("Where did it happen?", history)[0] == "Where was Pieter Claes robbed?"
    a = _ask(other_field, "Where did it happen?", history)
    assert a.short_answer.startswith("Ghent"), a.answer


def test_an_answer_naming_someone_the_tagger_took_for_a_body_is_whom_he_means():
    # the small model tags the bare "Ivar Holt." an organisation
    history = [{"role": "user", "content": "Who founded the seed bank at Uppsala?"},
               {"role": "assistant", "content": "Ivar Holt."}]
    assert readings("Where did he die?", history)[0] == "Where did Ivar Holt die?"


def test_a_date_of_another_event_does_not_disagree_with_the_asked_one(other_field):
    # "who was injured in a fire on 2 February 1980, died ..." dates the fire, not the death
    a = _ask(other_field, "When did Rosa Almeida die?")
    assert a.short_answer.startswith("8 June 1987") and not a.disagreement, a.answer


def test_whom_an_act_was_done_to_and_who_reports_it_are_not_who_did_it(other_field):
    # "the poisoning of Louise Perrin": she suffered it; "According to the Porto Herald": it reports
    a = _ask(other_field, "Who killed Marc Vidal?")
    assert "Perrin" not in a.short_answer and "Herald" not in a.short_answer, a.answer


def test_what_describes_the_one_asked_answers_their_attribute(other_field):
    # no sentence says "profession": "the Dutch sculptor Anna Roos" does
    a = _ask(other_field, "What was Anna Roos's profession?")
    assert a.short_answer.lower().startswith("sculptor"), a.answer


def test_who_reports_an_act_or_did_another_did_not_do_it(other_field):
    # "as reported by the Delft Courier" tells of the theft; "the guard who found
    # the bronze horse" and "Karel Mol drove ..." did other acts: no one is said to have stolen it
    a = _ask(other_field, "Who stole the bronze horse of Anna Roos?")
    assert a.refused, a.answer


def test_what_x_is_said_to_be_answers_and_those_it_was_used_on_do_not(other_field):
    # "were poisoned" is no noun "poison" beside the Falks, and a person is no substance;
    # "The poison was a thallium salt" says what the poison was
    a = _ask(other_field, "What poison was used against the Falks?")
    assert a.short_answer.lower().startswith("thallium salt"), a.answer


def test_the_asked_act_done_to_something_else_does_not_answer(other_field):
    # "stolen letters were found in the cellar": a finding, but not of her body
    a = _ask(other_field, "Where was Emma Vos's body found?")
    assert "cellar" not in a.short_answer, a.answer


def test_a_name_that_says_which_thing_is_not_a_doer(other_field):
    # "a Delft paper" names no one who disqualified Peeters, and no sentence says who did
    a = _ask(other_field, "Who disqualified Marc Peeters?")
    assert a.refused, a.answer


def test_which_x_is_answered_by_the_name_set_beside_x_not_by_x(other_field):
    a = _ask(other_field, "In which newspaper did Lars Vik publish his letter?")
    assert "L'Époque" in a.short_answer and "the newspaper" not in a.short_answer, a.answer


def test_a_sentence_naming_neither_the_one_asked_nor_the_event_dates_nothing_of_them(other_field):
    # "In February 1941 the first patient ... was treated" says nothing of Florey's birth
    a = _ask(other_field, "When was Howard Florey born?")
    assert a.refused, a.answer


def test_which_x_narrowed_by_a_noun_is_answered_by_one_so_narrowed(other_field):
    # a former army officer is no police officer; Wiltshire Police is the sergeant's service
    a = _ask(other_field, "Which police officer was poisoned at the dinner in Ålesund?")
    assert a.short_answer.startswith("James Dahl [") and "Police" not in a.short_answer, a.answer


def test_a_part_asked_of_each_of_several_people_is_answered_for_each(other_field):
    a = _ask(other_field, "Ole Dahl and Per Lund both sailed from Bergen. Where did each land?")
    assert [p["asked"].rsplit("(", 1)[-1] for p in a.parts] == ["Ole Dahl)", "Per Lund)"]
    assert "Ole Dahl: Aberdeen" in a.short_answer and "Per Lund: Reykjavik" in a.short_answer, a.short_answer


def test_the_place_of_the_asked_act_outranks_a_place_of_another_act_said_more_often(other_field):
    # Utrecht is said by three sources, but of the stabbing, not of the treatment
    a = _ask(other_field, "Where was Ivo Marsh treated after he was stabbed in 1961?")
    assert "army hospital" in a.short_answer and "Utrecht" not in a.short_answer, a.short_answer


def test_a_date_of_a_description_in_the_answers_sentence_is_no_alternative(other_field):
    # "from 1990" belongs to "coach", "in May 1996" to "resigned": one date of the resignation
    a = _ask(other_field, "When did Emeka Okoro resign?")
    assert a.short_answer.startswith("May 1996") and not a.disagreement, a.short_answer


def test_the_asked_verb_done_to_something_else_does_not_answer(other_field):
    # the police "treat the Grey death", nobody is said to have treated Grey
    a = _ask(other_field, "Which hospital treated Amos Grey?")
    assert a.refused, a.answer


def test_an_asked_verb_spacy_counts_a_stop_word_is_still_asked(other_field):
    # "move" is on spaCy's stop list; the year of his birth says nothing of a move
    a = _ask(other_field, "When did Tomas Berg move to Oslo?")
    assert a.refused, a.answer
    assert "move" in analyse_question("When did Tomas Berg move to Oslo?").parts[0].lemmas


@pytest.mark.parametrize("question, start", [
    ("Until when did Otto Lind chair the board of the Kiel savings bank?", "June 1998 ["),
    ("From when did Otto Lind chair the board of the Kiel savings bank?", "March 1990 ["),
])
def test_until_when_and_from_when_ask_one_end_of_a_period(other_field, question, start):
    a = _ask(other_field, question)
    assert a.short_answer.startswith(start) and not a.disagreement, a.answer


@pytest.mark.parametrize("question", ["How old was Petra Lund when she was poisoned?",
                                      "How old was Petra Lund when she was poisoned in Dover?"])
def test_an_age_set_beside_someone_else_is_not_the_one_askeds(other_field, question):
    # "Hugo Sorel, aged 61, was found dead in his flat": "his" is Sorel; "Rosa Vane, aged 54": Vane's age
    a = _ask(other_field, question)
    assert a.refused, a.answer


def test_two_acts_of_one_sentence_give_no_alternatives(other_field):
    # "jabbed on 7 September and died on 11 September": the attack's date is no rival of the death's
    a = _ask(other_field, "When did Ivo Dragan die?")
    assert a.short_answer.startswith("11 September 1978") and not a.disagreement, a.answer


def test_a_measure_is_of_the_adjective_it_hangs_on(other_field):
    # "240 feet long and 12 feet wide": the width is not a rival of the length
    a = _ask(other_field, "How wide is the Orrin footbridge?")
    assert a.short_answer.startswith("12 feet") and not a.disagreement, a.answer
    # "How long and how wide ...?": the bare first part shares the second's clause
    first = analyse_question("How long and how wide is the Orrin footbridge?").parts[0]
    assert first.asked == "How long" and "footbridge" in first.lemmas


def test_a_value_restated_in_brackets_is_no_rival(other_field):
    a = _ask(other_field, "How high does the main span of the Orrin footbridge rise?")
    assert a.short_answer.lower().startswith("about 30 metres") and not a.disagreement, a.answer


def test_a_value_never_leaves_a_bracket_open():
    from rag.reader import _balanced

    assert _balanced("State Security (Darzhavna Sigurnost") == "State Security"
    assert _balanced("the Charité (Berlin)") == "the Charité (Berlin)"


@pytest.mark.parametrize("question, values", [
    ("When was the Tarvo Society founded?", ("1721", "1724")),
    ("Where was Ida Berg born?", ("Malmo", "Ystad")),
    # the month most passages give, and the two days one sentence reports
    ("On which date did the ferry Skarv reach Bergen?", ("9 March 1911", "10 March 1911")),
])
def test_what_different_sources_are_said_to_say_differs(other_field, question, values):
    a = _ask(other_field, question)
    assert a.disagreement and all(v in a.short_answer for v in values), a.answer


@pytest.mark.parametrize("question, stated, disputed", [
    # one passage reports another as saying 1998 and states 4 June 2003 itself, in its next sentence
    ("When was Tomas Vela found dead?", "4 June 2003", "1998"),
    # one passage denies 1987 ("not in 1987")
    ("When did the Weir Mill museum open?", "2 May 1991", "1987"),
])
def test_a_value_its_own_sentence_sets_aside_is_disputed_not_voted_for(other_field, question, stated, disputed):
    a = _ask(other_field, question)
    assert a.disagreement and a.short_answer.startswith(f"Sources differ: {stated} ["), a.answer
    side = next(v for p in a.parts for v in p["values"] if v["value"] == disputed)
    judge = next(v for p in a.parts for v in p["values"] if v["value"] == stated)
    # the disputing passage is cited for the value it states, not for the one it sets aside
    assert side["disputed_by"] and not set(side["disputed_by"]) & set(side["citations"]), a.parts
    assert f"{disputed} [{side['citations'][0]}], disputed by [{side['disputed_by'][0]}]" in a.short_answer, a.answer
    judging = {c.n: c for c in a.citations}[side["disputed_by"][0]]
    assert stated in judging.text, judging.text  # the disputing passage states the other value
    quoted = [q for q in split_sentences(a.answer) if q.endswith(f"[{judging.n}]") and disputed in q]
    assert quoted and strip_marks(quoted[0]).strip() in judging.text, a.answer  # and is quoted, verbatim
    assert not judge["disputed_by"]
    assert not [c for c in a.claims if "disputed" in c["text"]], a.claims  # the pointer is no claim to check


def test_a_relative_clauses_date_and_the_date_a_death_was_confirmed_are_not_the_deaths(other_field):
    a = _ask(other_field, "When did Ivo Tamm die?")
    assert a.short_answer.startswith(("3 May 1994 [", "1994 [")) and not a.disagreement, a.answer
    assert "1991" not in a.short_answer and "9 May" not in a.short_answer, a.answer


def test_a_site_said_with_its_country_says_where_more_precisely(other_field):
    a = _ask(other_field, "Where did Lena Vikstrom die?")
    assert "Saltsjö care home" in a.short_answer.split(".")[0] and not a.disagreement, a.answer


def test_an_answer_a_passage_denies_says_so_though_no_rival_is_found(other_field):
    a = _ask(other_field, "When did the Brill ferry sink?")
    assert a.short_answer.startswith("1922 [") and ", disputed by [" in a.short_answer, a.answer
    assert not a.unsupported, a.unsupported  # the pointer to the disputing passage is no claim


def test_when_a_thing_was_said_is_no_rival_of_what_was_said(other_field):
    a = _ask(other_field, "When did the ferry Nordlys sink?")
    assert a.short_answer.startswith("1 May 1920") and not a.disagreement, a.answer


def test_a_place_and_the_place_it_lies_in_are_no_disagreement(other_field):
    a = _ask(other_field, "Where was Ivan Petrov found dead?")
    assert a.short_answer.startswith(("Split", "In Split")) and not a.disagreement, a.answer


def test_a_part_of_a_place_is_a_place_and_a_phrasal_verb_keeps_its_particle():
    assert analyse_question("In which part of Norway did the plane come down?").parts[0].type == "place"
    assert analyse_question("Which part of the report was redacted?").parts[0].type == "thing"
    part = analyse_question("What sentence did the court hand down to Harlow?").parts[0]
    assert (part.verb, part.particle) == ("hand", "down")


def test_a_later_part_may_mean_an_earlier_parts_answer(other_field):
    a = _ask(other_field, "Who shot Max Orlov, and where did the killer die?")
    assert "Piet Brand" in a.standalone_question, a.standalone_question
    assert a.short_answer.startswith("Piet Brand [") and "Ghent" in a.short_answer, a.answer


def test_a_thing_is_said_with_what_it_is_of(other_field):
    a = _ask(other_field, "What was the parcel disguised as?")
    assert a.short_answer.lower().startswith("box of cigars ["), a.answer


def test_what_sources_are_said_to_say_is_compared_beside_another_passages_answer(other_field):
    a = _ask(other_field, "How old was Max Orlov when he was shot?")
    assert a.disagreement and "44" in a.short_answer and "47" in a.short_answer, a.answer


def test_values_of_other_acts_do_not_differ_from_the_answer(other_field):
    # "fled from Sofia" (another act, also reported) is no rival of "killed in Vienna"
    a = _ask(other_field, "Where did Pavel Dimov die?")
    assert a.short_answer.startswith(("Vienna", "In Vienna")) and not a.disagreement, a.answer


def test_what_x_is_named_by_xs_own_verb_not_by_a_sentence_about_someone_else(other_field):
    # "poisoned with arsenic" names the poison; "Radioactive poison had been used" is about Anton Meier,
    # and the book "The Poison Road" is no poison
    a = _ask(other_field, "What poison was used against Jaan Kask?")
    assert a.short_answer.lower().startswith("arsenic ["), a.answer


def test_a_person_the_question_only_describes_is_asked_of_the_sources_first(other_field):
    from rag import bridges

    found = bridges.find("The Apollo 13 astronaut who stirred the oxygen tanks was later elected to which body?",
                         lambda noun: True)
    assert [b.asked for b in found] == ["Who was the Apollo 13 astronaut who stirred the oxygen tanks?"]
    found = bridges.find("Trotsky's elder son and his secretary both died in 1938. In which city was the secretary born?",
                         lambda noun: True)
    assert [b.asked for b in found] == ["Who was Trotsky's secretary?"]
    a = _ask(other_field, "In which city did the smuggler who shot Max Orlov die?")
    assert "Piet Brand" in a.standalone_question and a.short_answer.startswith(("Ghent", "In Ghent")), a.answer


def test_descriptions_by_a_participle_a_possessive_or_a_clause_before_the_verb_are_bridges():
    from rag import bridges

    def asked(question):
        return [b.asked for b in bridges.find(question, lambda noun: True)]

    assert asked("What poison was the clerk sent to rob the Vask bank later killed with?") == [
        "Who was the clerk sent to rob the Vask bank?"]  # the participle's clause, without "later"
    assert asked("In which town did the opposition leader poisoned on the Tomsk-Moscow flight die?") == [
        "Who was the opposition leader poisoned on the Tomsk-Moscow flight?"]  # a hyphen ends nothing
    assert asked("When was the man who murdered Trotsky born?") == ["Who was the man who murdered Trotsky?"]
    # the auxiliary of the noun's own part, not of an earlier one
    assert asked("Who was Piet Brand, and when did the clerk sent to rob the Vask bank die?") == [
        "Who was the clerk sent to rob the Vask bank?"]
    assert asked("In which city was Ilse Varga's secretary born?") == ["Who was Ilse Varga's secretary?"]
    # the participle that is the question's own verb, and a relation already named, are no bridges
    assert asked("Where was the officer poisoned in 2018?") == []
    assert asked("When did Ilse Varga's secretary Tomas Reuter leave?") == []
    # a relation that is neither subject nor object is not what the question is about
    assert asked("Through whom did the thief gain access to Ilse Varga's household?") == []


@pytest.mark.parametrize("question, standalone, answer", [
    # an officer, clerk or secretary is a person: not the syndicate that sent him
    ("What poison was the clerk sent to rob the Vask bank later killed with?", "Edgar Lumi", "strychnine"),
    ("In which city was Ilse Varga's secretary born?", "Tomas Reuter", "Graz"),
])
def test_a_described_person_is_named_before_the_question_is_answered(other_field, question, standalone, answer):
    a = _ask(other_field, question)
    assert standalone in a.standalone_question, a.standalone_question
    assert answer.lower() in a.short_answer.lower(), a.answer


def test_a_man_whose_company_acted_is_a_bridge(other_field):
    a = _ask(other_field, "In which city was the man whose company built the Vell Bridge born?")
    assert "Anton Kessler" in a.standalone_question and "Basel" in a.short_answer, (a.standalone_question, a.answer)


def test_what_the_one_asked_acts_on_is_left_open_by_a_question_without_an_object(other_field):
    # "taught composition": the object does not make the sentence about something else
    a = _ask(other_field, "At which university did Ilse Varga later teach?")
    assert "University of Linz" in a.short_answer, a.answer


def test_a_name_tagged_once_in_a_passage_is_a_name_wherever_it_stands_there(other_field):
    # the tagger misses "Marsh" in "Marsh followed her"; "Edwin Marsh" before is a person,
    # and "about 19 minutes later", tagged a time, is a length
    a = _ask(other_field, "Who followed Anna Vold out of the Kestrel, and how long after her?")
    assert a.short_answer.startswith(("Edwin Marsh [", "Marsh [")) and "19 minutes" in a.short_answer, a.answer
    assert a.answer.count("Marsh followed her") == 1, a.answer  # the sentence both parts rest on, quoted once


@pytest.mark.parametrize("question", ["Which park was Karel Maas shot in?",
                                      "which park in amsterdam was karel maas shot in"])  # typed in lower case
def test_a_preposition_left_at_the_end_asks_where_as_one_in_front_does(other_field, question):
    a = _ask(other_field, question)
    assert a.short_answer.startswith("In ") and "Vondel Park" in a.short_answer, a.answer
    assert "Karel Maas" in a.standalone_question, a.standalone_question  # the names as the sources spell them


def test_how_much_asks_for_a_sum_or_a_measure_not_a_count(other_field):
    a = _ask(other_field, "How much did the Vell Bridge cost?")
    assert a.short_answer.startswith("40,000 francs ["), a.answer
    b = _ask(other_field, "How much did the Gorm mine fire cost?")  # "Two miners", "14 more rescuers" are counts
    assert b.refused, b.answer
    c = _ask(other_field, "How much did the Haarlem court award the family of Karel Maas?")  # a sum after its currency code
    assert c.short_answer.startswith("EUR 20,000 ["), c.answer


def test_died_from_says_died_of(other_field):
    a = _ask(other_field, "What did Lotte Brun die of?")
    assert a.short_answer.lower().startswith("arsenic poisoning ["), a.answer


def test_at_what_time_asks_for_a_time_of_day(other_field):
    assert analyse_question("At what time did Kessler open the bridge?").parts[0].type == "time"
    assert analyse_question("At what time of year did Kessler open the bridge?").parts[0].type == "date"
    a = _ask(other_field, "At what time did Kessler open the Vell Bridge?")
    # the name after "a.m." is no part of the time
    assert a.short_answer.lower().startswith("about 9:30 a.m. [") and "1902" not in a.short_answer, a.answer


def test_a_raising_verb_asks_about_its_complement(other_field):
    part = analyse_question("Which guild did Lena Marsk turn out to belong to?").parts[0]
    assert part.verb == "belong" and "turn" not in part.lemmas
    assert analyse_question("Where does Lena Marsk appear to have lived?").parts[0].verb == "live"
    a = _ask(other_field, "Which guild did Lena Marsk turn out to belong to?")
    assert a.short_answer.lower().startswith(("harbour guild", "the harbour guild")), a.answer


def test_the_noun_a_name_is_set_beside_is_that_name_not_someone_else(other_field):
    # "carried out by the engineer Lars Dahl": the engineer is Dahl, not another person in the clause
    a = _ask(other_field, "Who investigated the Vik harbour fire?")
    assert a.short_answer.startswith("Lars Dahl ["), a.answer
    a = _ask(other_field, "In which town was the engineer who investigated the Vik harbour fire born?")
    assert "Tromso" in a.short_answer, a.answer


def test_a_date_reported_of_another_act_is_no_rival(other_field):
    # "one website says he fled in 1971" is about his flight; "Biographies say ... in 1950" is no rival of his death
    a = _ask(other_field, "When did Pavel Dimov die?")
    assert a.short_answer.startswith("4 June 1971") and not a.disagreement, a.answer


def test_who_was_the_one_who_did_it_asks_who_did_it(other_field):
    part = analyse_question("Who was the man who shot Max Orlov?").parts[0]
    assert (part.verb, part.role) == ("shoot", "agent") and "man" not in part.lemmas
    a = _ask(other_field, "In which city did the man who shot Max Orlov die?")
    assert "Piet Brand" in a.standalone_question and "Ghent" in a.short_answer, a.answer


def test_the_subject_of_another_verb_did_not_do_the_asked_act(other_field):
    # "Ingrid Vold died ..., and her paintings were brought to Bergen": she brought nothing
    a = _ask(other_field, "Who brought the paintings to Bergen?")
    assert a.refused, a.answer


def test_who_did_the_act_is_not_where_it_happened(other_field):
    # "Piet Brand, who shot Max Orlov": the one who shot him is not where he was shot
    part = analyse_question("In which harbour was Max Orlov shot?").parts[0]
    assert part.prep == "in"
    a = _ask(other_field, "In which harbour was Max Orlov shot?")
    assert "Piet Brand" not in a.short_answer, a.answer


@pytest.mark.parametrize("question, start", [
    ("What did Olav Rask die of?", "pneumonia ["),
    ("What did Ingrid Vold die of?", "lung fever ["),
])
def test_what_one_died_of_is_the_asked_verbs_of_phrase_or_the_cause_said(other_field, question, start):
    part = analyse_question(question).parts[0]
    assert (part.verb, part.stranded) == ("die", "of")
    a = _ask(other_field, question)
    assert a.short_answer.lower().startswith(start), a.answer


def test_a_count_is_not_a_length_and_a_firm_of_the_answer_is_no_partner(other_field):
    a = _ask(other_field, "How many sailors were aboard the ferry Skarv?")
    assert a.refused, a.answer  # "about 61 metres long" counts no sailors
    a = _ask(other_field, "Who was the chief designer of the ferry Skarv?")
    assert a.short_answer.startswith("Thomas Andrews [") and "Wolff" not in a.short_answer, a.answer


def test_a_date_after_someone_else_named_is_theirs(other_field):
    # "killed the clerk Emil Faure in Nantes in 1910 and the notary Jean Picard there in 1912": 1912 is Picard's
    from rag import bridges

    assert bridges.find("Where and when was the clerk Emil Faure killed?", lambda noun: True) == []  # he is named
    a = _ask(other_field, "Where and when was the clerk Emil Faure killed?")
    assert "1910" in a.short_answer and "1912" not in a.short_answer and not a.disagreement, a.answer


def test_a_persons_role_is_said_only_as_itself(other_field):
    # "Her chief designer was Thomas Andrews": a designer is no engineer, whatever MiniLM says
    a = _ask(other_field, "Who was the chief engineer of the ferry Skarv?")
    assert a.refused, a.answer
