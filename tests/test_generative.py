"""The generative path for real: the `openai` client (through langchain-openai)
against the embedded llama.cpp server serving SmolLM2-135M on loopback.

These tests check the plumbing (streaming, citation parsing, verification,
fallback), not SmolLM2's wisdom: a 135M model cannot be trusted to answer.
"""

from __future__ import annotations

import pytest

from rag.answering import ask, ask_stream
from rag.engines import ExtractiveEngine, make_engine
from rag.local_server import LocalServer, bundled_gguf, get_local_server

from conftest import make_settings

CTX = 2048


@pytest.fixture(scope="module")
def local_settings(corpus_index):
    get_local_server(bundled_gguf(), CTX)  # load once for the module
    return make_settings(corpus_index.settings.data_path.parent, engine="local", local_gguf=bundled_gguf(),
                         local_ctx=CTX, max_tokens=48, timeout=120, context_chars=3000)


def test_local_engine_streams_a_parsed_and_verified_answer(corpus_index, local_settings):
    engine = make_engine(local_settings)
    assert engine.name == "local" and engine.generative
    events = list(ask_stream("Who killed Leon Trotsky?", index=corpus_index, settings=local_settings, engine=engine))
    tokens = [e.text for e in events if e.kind == "token"]
    answer = events[-1].answer
    assert len(tokens) > 3, "the answer should arrive in pieces"
    assert "reset" not in [e.kind for e in events] and not answer.notices
    assert answer.engine == "local" and answer.answer.strip()
    # Whatever SmolLM2 cited, every citation names a passage it was given,
    # numbered 1..n, and the text cites no number without a citation.
    assert {c.chunk_id for c in answer.citations} <= {p.chunk_id for p in answer.contexts}
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    import re
    assert {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)} <= {c.n for c in answer.citations}
    # Unsupported claims are marked, never silently shown as cited.
    for c in answer.citations:
        assert c.supported or c.quote == "" or c.quote in c.text


def test_model_rewrites_follow_ups(corpus_index, local_settings):
    engine = make_engine(local_settings)
    history = [{"role": "user", "content": "Who killed Bandera?"},
               {"role": "assistant", "content": "Bohdan Stashynsky killed Stepan Bandera [1]."}]
    rewritten = engine.condense("When was he caught?", history)
    # The model's first line, or (if it lost the question) the names carried over; never the bare pronoun.
    fallback = ExtractiveEngine().condense("When was he caught?", history)
    assert rewritten != "When was he caught?"
    assert rewritten == fallback or len(rewritten) <= 3 * len("When was he caught?") + 200


def test_openai_compatible_engine_against_the_same_server(corpus_index, local_settings):
    server = get_local_server(bundled_gguf(), CTX)
    s = local_settings.model_copy(update={"engine": "openai-compatible", "base_url": server.base_url, "model": server.model})
    answer = ask("Where was Georgi Markov attacked?", index=corpus_index, settings=s)
    assert answer.engine == "openai-compatible" and not answer.notices
    # The model's text went through the same parsing as the local engine's.
    assert {c.chunk_id for c in answer.citations} <= {p.chunk_id for p in answer.contexts}
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    assert answer.refused or answer.citations or answer.unsupported


def test_fallback_when_the_server_dies_mid_answer(corpus_index, local_settings):
    server = LocalServer(bundled_gguf(), ctx=CTX).start()
    try:
        s = local_settings.model_copy(update={"engine": "openai-compatible", "base_url": server.base_url,
                                              "model": server.model, "max_tokens": 400, "max_retries": 0})
        kinds = []
        answer = None
        for event in ask_stream("Who killed Leon Trotsky?", index=corpus_index, settings=s):
            kinds.append(event.kind)
            if event.kind == "token" and kinds.count("token") == 2:
                server.stop()  # the stream breaks halfway
            if event.kind == "done":
                answer = event.answer
    finally:
        server.stop()
    assert "reset" in kinds, "the broken stream must be discarded"
    assert answer.engine == "extractive (fallback from openai-compatible)"
    assert any("failed" in n and "extractive" in n for n in answer.notices)
    assert answer.citations and all(c.supported for c in answer.citations)
