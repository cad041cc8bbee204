"""The streaming citation parser and sentence splitting."""

from rag.citations import CitationStream, cited_numbers, rewrite, split_sentences, strip_marks


def feed_all(tokens, valid):
    s = CitationStream(valid)
    return "".join(s.feed(t) for t in tokens) + s.close(), s.order


def test_ids_split_across_tokens_are_joined():
    text, order = feed_all(["Trotsky died in 1940 [", "1", "2", "]. Mercader [", "3]", " was jailed."], {3, 12})
    assert text == "Trotsky died in 1940 [1]. Mercader [2] was jailed."
    assert order == [12, 3]


def test_invalid_ids_are_dropped():
    text, order = feed_all(["A claim [7]", " and another [2][99]."], {1, 2, 3})
    assert text == "A claim  and another [1]."
    assert order == [2]


def test_repeated_ids_keep_their_number_and_renumber_by_first_appearance():
    text, order = feed_all(["First [5]. Second [2]. Third [5, 2]. Fourth [2;5]."], {2, 5})
    assert text == "First [1]. Second [2]. Third [1][2]. Fourth [2][1]."
    assert order == [5, 2]


def test_bracketed_text_that_is_not_a_citation_passes_through():
    text, _ = feed_all(["He wrote [sic", "] and [a] note [1"], {1})
    assert text == "He wrote [sic] and [a] note [1"  # an unclosed mark at the end is shown as typed
    assert rewrite("Plain [x] text.", {1})[0] == "Plain [x] text."


def test_text_is_released_as_soon_as_it_cannot_be_a_citation():
    s = CitationStream({1})
    assert s.feed("Hello ") == "Hello "
    assert s.feed("[") == ""
    assert s.feed("1") == ""
    assert s.feed("] world") == "[1] world"


def test_sentences_keep_their_citation_marks():
    parts = split_sentences("Trotsky died on 21 August 1940. [1] Mr. Mercader was jailed [2]. Sources differ: A. B.")
    assert parts[0] == "Trotsky died on 21 August 1940. [1]"
    assert parts[1] == "Mr. Mercader was jailed [2]."
    assert cited_numbers(parts[0]) == [1] and strip_marks(parts[1]) == "Mr. Mercader was jailed."
