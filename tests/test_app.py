"""The Streamlit app through AppTest: real index, real extractive engine, no browser.

The app runs against the session's corpus index (tests/conftest.py), so the
corpus is embedded once for the whole test session.
"""

from __future__ import annotations

import json
import os

import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from conftest import ROOT


@pytest.fixture
def app_env(corpus_index, monkeypatch):
    """Environment for an app on the session's index, free of the developer's settings."""
    for name in [n for n in os.environ if n.startswith("RAG_") or n == "OPENAI_API_KEY"]:
        monkeypatch.delenv(name)
    settings = corpus_index.settings
    monkeypatch.setenv("RAG_ROOT", str(ROOT))
    monkeypatch.setenv("RAG_DATA_DIR", str(settings.data_path))
    monkeypatch.setenv("RAG_ENGINE", "extractive")
    monkeypatch.setenv("RAG_CHROMA_URL", "")  # outranks a developer's .env
    return settings


def new_app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)


def ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def answers(at: AppTest):
    return [t["answer"] for t in at.session_state["turns"]]


def test_answer_is_cited_with_source_cards(app_env):
    at = new_app().run()
    assert not at.exception
    ask(at, "Who was Ramon Mercader?")
    messages = at.chat_message
    assert [m.name for m in messages] == ["user", "assistant"]
    text = messages[1].markdown[0].value
    assert "\\[1\\]" in text  # escaped so it renders as the literal "[1]"
    labels = [e.label for e in messages[1].expander]
    assert labels and labels[0].startswith("[1] ")
    assert len(labels) == len(answers(at)[0].citations)
    card = messages[1].expander[0]
    assert any(":orange-background[" in m.value for m in card.markdown)  # the supporting quote
    assert any("File: corpus" in c.value for c in card.caption)
    assert any(c.value == "answered by: extractive" for c in messages[1].caption)
    assert len(at.feedback) == 1


def test_a_brief_card_lists_the_works_behind_the_brief(app_env):
    at = ask(new_app().run(), "What killed Litvinenko?")
    citations = answers(at)[0].citations
    cards = at.chat_message[1].expander
    briefs = [i for i, c in enumerate(citations) if c.source.startswith("corpus/briefs/")]
    assert briefs, [c.source for c in citations]
    captions = [c.value for c in cards[briefs[0]].caption]
    works = [c for c in captions if c.startswith("Sources of this brief:")]
    assert works and "](https://" in works[0], captions
    article = [i for i, c in enumerate(citations) if c.source.startswith("corpus/articles/")]
    for i in article:  # the seed article lists no works: no empty list on its card
        assert not any(c.value.startswith("Sources of this brief") for c in cards[i].caption)


@pytest.mark.xfail(reason="known gap: offline, 'How was Bohdan Stashynsky caught?' finds no sentence holding "
                          "'catch' or a near synonym and is refused (see the README's quality section)", strict=False)
def test_follow_up_uses_the_conversation_and_history_survives_reruns(app_env):
    at = new_app().run()
    ask(at, "Who killed Bandera?")
    ask(at, "How was he caught?")
    follow_up = answers(at)[1]
    assert not follow_up.refused
    # The follow-up was searched with the name from the conversation, and that is what it cites.
    assert "Stashynsky" in follow_up.standalone_question or "Bandera" in follow_up.standalone_question
    assert any(c.source == "corpus/briefs/bandera.md" for c in follow_up.citations)
    before = ([m.name for m in at.chat_message], [e.label for e in at.expander], [m.value for m in at.markdown])
    at.run()
    at.run()
    after = ([m.name for m in at.chat_message], [e.label for e in at.expander], [m.value for m in at.markdown])
    assert after == before
    assert after[0] == ["user", "assistant", "user", "assistant"]
    assert "Bandera" in at.chat_message[0].markdown[0].value


def test_unanswerable_question_is_refused_with_the_closest_sources(app_env):
    at = new_app().run()
    ask(at, "What is the capital of Australia?")
    reply = at.chat_message[1]
    assert reply.markdown[0].value.startswith("The sources do not say")
    closest = [e.label for e in reply.expander if e.label.startswith("Closest source:")]
    assert closest and len(closest) == len(answers(at)[0].contexts)
    assert not any(e.label.startswith("[1]") for e in reply.expander)


def test_export_feedback_and_new_chat(app_env, monkeypatch):
    exported: list[bytes] = []
    original = MemoryMediaFileStorage.load_and_get_id

    def spy(self, path_or_data, mimetype, kind, filename=None):
        if mimetype.startswith("text/markdown"):
            exported.append(path_or_data if isinstance(path_or_data, bytes) else str(path_or_data).encode())
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", spy)
    at = new_app().run()
    ask(at, "Where was Georgi Markov attacked?")
    md = exported[-1].decode()
    assert "## 1. Where was Georgi Markov attacked?" in md
    cited = {c.source for c in answers(at)[0].citations}
    assert "## Bibliography" in md and cited and all(src in md for src in cited), (cited, md[-600:])

    feedback = app_env.data_path / "feedback.jsonl"
    lines_before = feedback.read_text().splitlines() if feedback.exists() else []
    at.feedback[0].set_value(0).run()  # thumbs down
    lines = feedback.read_text().splitlines()
    assert len(lines) == len(lines_before) + 1
    record = json.loads(lines[-1])
    assert record["rating"] == "down" and record["question"] == "Where was Georgi Markov attacked?"
    assert record["engine"] == "extractive" and record["citations"]
    assert [t.value for t in at.toast]

    new_chat = next(b for b in at.sidebar.button if b.label == "New chat")
    new_chat.click().run()
    assert at.session_state["turns"] == [] and not at.chat_message


def test_engine_errors_are_shown_without_a_traceback(app_env):
    at = new_app().run()
    at.sidebar.selectbox[0].set_value("openai").run()
    assert not at.exception
    assert any("API key" in e.value for e in at.error)
    assert at.chat_input[0].disabled
    at.sidebar.selectbox[0].set_value("extractive").run()
    assert not at.error and not at.chat_input[0].disabled


def test_sessions_keep_independent_histories(app_env):
    questions = [
        "Who was Ramon Mercader?",
        "What poison killed Alexander Litvinenko?",
        "Where was Georgi Markov attacked?",
        "Who was Walter Krivitsky?",
        "What nerve agent was used against Sergei Skripal?",
    ]
    apps = [new_app().run() for _ in questions]
    for at, q in zip(apps, questions):
        ask(at, q)
    for at, q in zip(apps, questions):
        at.run()
        assert not at.exception
        assert [t["question"] for t in at.session_state["turns"]] == [q]
        assert at.chat_message[0].markdown[0].value.startswith(q.split()[0])
        assert len(at.chat_message) == 2


def test_a_failing_model_falls_back_to_the_extractive_answer(app_env, monkeypatch):
    from conftest import free_port

    monkeypatch.setenv("RAG_MAX_RETRIES", "0")
    monkeypatch.setenv("RAG_TIMEOUT", "5")
    at = new_app().run()
    at.sidebar.selectbox[0].set_value("openai-compatible").run()
    # Nothing listens on this port: the model call fails for real.
    at.sidebar.text_input[0].set_value(f"http://127.0.0.1:{free_port()}/v1").run()
    ask(at, "Where was Georgi Markov attacked?")
    answer = answers(at)[0]
    assert answer.engine == "extractive (fallback from openai-compatible)"
    assert not answer.refused and answer.citations
    assert any("failed" in w.value for w in at.chat_message[1].warning)
    assert any(c.value.startswith("answered by: extractive \\(fallback") for c in at.chat_message[1].caption)


def test_a_bad_upload_is_refused_and_changes_nothing(app_env, monkeypatch, tmp_path, corpus_index):
    corpus = tmp_path / "corpus"
    monkeypatch.setenv("RAG_CORPUS_DIR", str(corpus))  # uploads land here, not in the repository
    at = new_app().run()
    sources, count = corpus_index.sources(), corpus_index.count()
    at.sidebar.file_uploader[0].set_value([
        ("../../notes.md", b"\x00\x01\x02binary\x00", "text/markdown"),  # not text: the loader refuses it
        ("empty.txt", b"", "text/plain"),  # nothing to index
    ]).run()
    next(b for b in at.sidebar.button if b.label == "Ingest").click().run()
    assert not at.exception
    errors = " ".join(e.value for e in at.sidebar.error).replace("\\", "")  # shown escaped
    assert "binary file" in errors and "empty.txt: the file is empty" in errors
    assert not any(p.is_file() for p in corpus.rglob("*"))  # the refused upload was not kept
    assert not (ROOT.parent / "notes.md").exists()
    assert corpus_index.sources() == sources and corpus_index.count() == count
