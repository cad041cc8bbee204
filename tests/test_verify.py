"""The verifier (rag/verify.py) with real spaCy, on passages the tests write."""

from __future__ import annotations

import pytest

from rag import perturb
from rag.verify import CONTRADICTED, SUPPORTED, UNSUPPORTED, check, verify_claim

PASSAGE = (
    "Ramón Mercader killed Leon Trotsky with an ice axe in Coyoacán on 20 August 1940. "
    "The 60-year-old Trotsky died the next day. "
    "Mercader was sentenced to twenty years in prison. "
    "He was later made a Hero of the Soviet Union. "
    "The killing was a state operation."
)


@pytest.mark.parametrize("claim, reason", [
    ("Trotsky killed Mercader with an ice axe.", "other way round"),
    ("Mercader did not kill Trotsky.", "without the negation"),
    ("Mercader was sentenced to forty years in prison.", "twenty years, not forty years"),
])
def test_the_three_claims_of_the_issue_are_contradicted_with_a_reason(claim, reason):
    c = check(claim, PASSAGE)
    assert c.verdict == CONTRADICTED and reason in c.reason, (c.verdict, c.reason)


@pytest.mark.parametrize("claim, passage_value", [
    ("The 63-year-old Trotsky died the next day.", "60-year-old"),
    ("Ramón Mercader killed Leon Trotsky with an ice axe in Coyoacán on 27 August 1940.", "20 August 1940"),
    ("Ramón Mercader killed Leon Trotsky with an ice axe in Coyoacán on 20 October 1940.", "20 August 1940"),
    ("He was later made a Hero of the Ramón Mercader.", "the Soviet Union"),
    ("The killing was not a state operation.", "The killing was a state operation."),
])
def test_twisted_values_and_polarity_are_contradicted_with_the_passages_value(claim, passage_value):
    c = check(claim, PASSAGE)
    assert c.verdict == CONTRADICTED and c.passage_value == passage_value, (c.verdict, c.reason)


def test_a_passive_with_a_by_phrase_is_the_same_claim_and_its_swap_is_not():
    assert check("Leon Trotsky was killed by Ramón Mercader.", PASSAGE).verdict == SUPPORTED
    assert check("Ramón Mercader was killed by Leon Trotsky.", PASSAGE).verdict == CONTRADICTED


def test_verbatim_is_supported_with_the_exact_span():
    claim = "Mercader was sentenced to twenty years in prison."
    c = check(claim, PASSAGE)
    assert c.verdict == SUPPORTED and PASSAGE[c.start : c.start + len(c.quote)] == c.quote == claim.rstrip(".")


def test_a_value_the_passage_does_not_state_is_unsupported():
    c = check("Mercader was sentenced to twenty years in prison in 1943.", PASSAGE)
    assert c.verdict == UNSUPPORTED and "1943" in c.reason


def test_a_claim_about_something_else_is_unsupported():
    assert check("The weather in Paris was mild that spring.", PASSAGE).verdict == UNSUPPORTED


def test_a_phrase_of_values_is_checked_value_by_value():
    assert check("Ramón Mercader, with an ice axe.", PASSAGE).verdict == SUPPORTED
    assert check("Ramón Mercader, with a pistol.", PASSAGE).verdict == UNSUPPORTED


def test_a_claim_citing_two_passages_may_join_them():
    a = "Ramón Mercader killed Leon Trotsky in Coyoacán."
    b = "The attack took place on 20 August 1940."
    verdict, checks = verify_claim("Ramón Mercader killed Leon Trotsky in Coyoacán on 20 August 1940.", [(a, None), (b, None)])
    assert verdict.verdict == SUPPORTED and len(checks) == 2


# A few paragraphs of another field: the suite must not depend on this corpus.
OTHER_FIELD = [
    "The Forth Bridge was opened on 4 March 1890 by the Prince of Wales. It was designed by John Fowler and "
    "Benjamin Baker, and it carries two railway tracks across the Firth of Forth. The main spans are 521 metres "
    "long. Fifty-seven men died during the seven years of its construction. William Arrol built the bridge for "
    "the North British Railway.",
    "Marie Curie discovered polonium in July 1898 with her husband Pierre Curie. She was awarded the Nobel Prize "
    "in Chemistry in 1911. In 1903 she had shared the physics prize with Henri Becquerel. The Radium Institute "
    "in Paris was founded in 1909 and she directed its laboratory for twenty years. Albert Einstein admired her "
    "work greatly.",
    "Roald Amundsen reached the South Pole on 14 December 1911 with four companions. Robert Falcon Scott arrived "
    "there on 17 January 1912. Scott and his four men died on the return journey. Amundsen used 52 dogs to pull "
    "the sledges. The Norwegian team returned to their base after 99 days.",
]


def test_the_perturbation_suite_meets_its_targets_on_another_field():
    result = perturb.run_suite(OTHER_FIELD)
    misses = [(c.kind, c.text, v, why) for c, v, why in result.misses]
    assert sum(result.counts.get(k, 0) for k in perturb.TWISTED) >= 20, result.counts
    assert result.twisted_rate() >= 0.95, misses
    assert result.rate("verbatim") >= 0.98, misses
    assert result.rate("dropped") >= 0.85 and result.rate("paraphrase") >= 0.85, misses


def test_twisted_claims_are_made_of_each_kind():
    kinds = {c.kind for c in perturb.make_claims(OTHER_FIELD)}
    assert kinds >= set(perturb.TWISTED) | set(perturb.TRUE), kinds
