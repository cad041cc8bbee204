"""diversify, retrieval_metrics and sample_questions on inputs written here."""

from __future__ import annotations

import pytest

from rag.evaluation import retrieval_metrics, sample_questions
from rag.keyword import term_in
from rag.retrieval import Passage, diversify


def ranked(*sources: str) -> list[Passage]:
    return [Passage(chunk_id=f"c{i}", text=f"text {i}", metadata={"source": s}) for i, s in enumerate(sources)]


def ids(passages: list[Passage]) -> list[str]:
    return [p.chunk_id for p in passages]


def test_a_short_verb_is_found_in_its_doer_and_its_act():
    assert term_in("win", {"winner"}) and term_in("win", {"winning"}) and term_in("run", {"runners"})
    assert term_in("die", {"died"}) and not term_in("win", {"wine"}) and not term_in("run", {"rung"})


def test_diversify_caps_passages_per_source_in_rank_order():
    r = ranked("a", "a", "a", "b", "c", "a")
    assert ids(diversify(r, k=4, max_per_source=2)) == ["c0", "c1", "c3", "c4"]


def test_diversify_fills_with_held_passages_when_nothing_else_is_left():
    r = ranked("a", "a", "a", "b")
    assert ids(diversify(r, k=4, max_per_source=1)) == ["c0", "c3", "c1", "c2"]


def test_diversify_returns_at_most_k():
    assert ids(diversify(ranked("a", "b", "c"), k=2, max_per_source=3)) == ["c0", "c1"]
    assert diversify([], k=3, max_per_source=1) == []


def test_retrieval_metrics_of_a_ranked_list():
    m = retrieval_metrics(["x", "g1", "y", "z", "w", "g2"], ["g1", "g2"])
    assert m["hit@1"] == 0.0 and m["hit@5"] == 1.0
    assert m["mrr"] == pytest.approx(0.5)
    assert m["recall@5"] == pytest.approx(0.5) and m["recall@10"] == pytest.approx(1.0)
    dcg = 1 / 1.584962500721156 + 1 / 2.807354922057604  # ranks 2 and 6
    idcg = 1 + 1 / 1.584962500721156
    assert m["ndcg@10"] == pytest.approx(dcg / idcg)


def test_retrieval_metrics_perfect_and_empty_rankings():
    perfect = retrieval_metrics(["g"], ["g"])
    assert perfect == {"hit@1": 1.0, "hit@5": 1.0, "recall@5": 1.0, "recall@10": 1.0, "mrr": 1.0, "ndcg@10": 1.0}
    none = retrieval_metrics([], ["g"])
    assert none == {"hit@1": 0.0, "hit@5": 0.0, "recall@5": 0.0, "recall@10": 0.0, "mrr": 0.0, "ndcg@10": 0.0}


def test_sample_questions_spreads_evenly_and_keeps_all_without_a_limit():
    qs = list(range(10))
    assert sample_questions(qs, 5) == [0, 2, 4, 6, 8]
    assert sample_questions(qs, None) == qs and sample_questions(qs, 20) == qs


def test_ingested_index_copies_are_private(ingested_index, small_index_template):
    from rag.index import Index

    from conftest import make_settings

    before = ingested_index.count()
    assert before > 0 and ingested_index.ingest().chunks_added == 0  # built once, not re-embedded
    (ingested_index.settings.corpus_path / "markov.md").unlink()
    ingested_index.ingest(sync=True)
    assert ingested_index.count() < before
    template = Index(make_settings(small_index_template, root=small_index_template,
                                   corpus_dir=small_index_template / "corpus"))
    assert template.count() == before  # the module's template is untouched
