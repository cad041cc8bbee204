"""The sentence-vector cache and the embedder used for scoring."""

from __future__ import annotations

import gc
import threading
import weakref

import numpy as np

from rag.embeddings import MiniLMEmbeddings, VectorCache, embed_cached, scoring_embedder, vector_cache
from rag.index import Index

from conftest import make_settings


class CountingMiniLM(MiniLMEmbeddings):
    """The real MiniLM, counting the texts it is asked to embed."""

    def __init__(self):
        super().__init__()
        self.documents: list[str] = []
        self.queries = 0

    def embed_documents(self, texts):
        self.documents += list(texts)
        return super().embed_documents(texts)

    def embed_query(self, text):
        self.queries += 1
        return super().embed_query(text)


def test_cached_vectors_equal_fresh_ones_and_each_text_is_embedded_once(embedder):
    counting = CountingMiniLM()
    texts = ["Trotsky was attacked in Coyoacán.", "Mercader used an ice axe.", "Trotsky was attacked in Coyoacán."]
    first = embed_cached(counting, texts)
    again = embed_cached(counting, texts[:2])
    assert counting.documents == texts[:2]  # the duplicate and the second call cost nothing
    assert np.allclose(first[0], first[2]) and np.allclose(first[:2], again)
    assert np.allclose(first[:2], np.array(embedder.embed_documents(texts[:2])), atol=1e-6)


def test_the_cache_belongs_to_the_embedder_and_goes_with_it():
    a, b = CountingMiniLM(), CountingMiniLM()
    embed_cached(a, ["one sentence."])
    assert len(vector_cache(a)) == 1 and len(vector_cache(b)) == 0
    cache = weakref.ref(vector_cache(a))
    del a
    gc.collect()
    assert cache() is None


def test_the_lru_drops_the_least_recently_used_first():
    cache = VectorCache(maxsize=2)
    v = np.zeros(3, dtype=np.float32)
    cache.put_many({"a": v, "b": v})
    cache.get_many(["a"])  # a is now the most recent
    cache.put_many({"c": v})
    assert set(cache.get_many(["a", "b", "c"])) == {"a", "c"} and len(cache) == 2


def test_threads_share_one_cache_safely(embedder):
    counting = CountingMiniLM()
    texts = [f"Sentence number {i} about the archive." for i in range(40)]
    expected = embed_cached(embedder, texts)
    results, errors = [], []

    def work():
        try:
            results.append(embed_cached(counting, texts))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 8
    assert all(np.allclose(r, expected, atol=1e-6) for r in results)
    assert len(vector_cache(counting)) == 40


def test_scoring_uses_the_local_model_whatever_the_index_embeds_with(tmp_path, embedder):
    minilm_index = Index(make_settings(tmp_path / "m"), embedder=embedder)
    assert scoring_embedder(minilm_index) is embedder  # no second model when the index is MiniLM
    api_like = make_settings(tmp_path / "o", embedding="openai", openai_api_key="sk-test")
    scorer = scoring_embedder(api_like)
    assert isinstance(scorer, MiniLMEmbeddings) and scorer is scoring_embedder(api_like)


def test_an_answer_sends_no_passage_sentence_to_a_non_local_index_embedder(tmp_path, small_corpus):
    """With RAG_EMBEDDING=openai only the question goes to the index's embedder."""
    from rag.answering import ask

    remote = CountingMiniLM()  # stands in for the API embedder and counts what it is sent
    settings = make_settings(tmp_path, root=tmp_path, corpus_dir=small_corpus, embedding="openai",
                             openai_api_key="sk-test")
    index = Index(settings, embedder=remote)
    index.ingest()
    ingested = len(remote.documents)
    answer = ask("Where was Georgi Markov attacked?", index=index, settings=settings)
    assert not answer.refused and answer.citations
    assert len(remote.documents) == ingested  # no sentence was embedded by it
    assert remote.queries == 1  # the question, for the dense search
