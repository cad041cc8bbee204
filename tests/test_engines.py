"""The engine registry: one class makes an engine that settings, CLI and app offer."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from rag import engines
from rag.engines import ENGINES, EngineError, ExtractiveEngine, Option, make_engine, register, resolve

from conftest import ROOT, make_settings


class EchoEngine:
    """Test engine: answers with the question."""

    name = "echo-test"
    generative = False
    options = (Option("model", "Echo model"),)

    @classmethod
    def create(cls, settings):
        engine = cls()
        engine.model = settings.model
        return engine

    def condense(self, question, history):
        return question

    def fit(self, passages):
        return passages

    def stream(self, question, passages, evidence):
        yield question


@pytest.fixture
def echo():
    register(EchoEngine)
    yield EchoEngine
    ENGINES.pop(EchoEngine.name)


def test_a_registered_class_is_accepted_by_settings_and_built_by_make_engine(tmp_path, echo):
    s = make_settings(tmp_path, engine="echo-test", model="m1")
    assert "echo-test" in engines.engine_names()
    engine = make_engine(s)
    assert isinstance(engine, EchoEngine) and engine.model == "m1"
    assert engines.options("echo-test") == EchoEngine.options
    assert {"name": "echo-test", "generative": False, "summary": "Test engine: answers with the question."} in engines.describe()


def test_an_unregistered_name_is_refused_by_settings_and_make_engine(tmp_path):
    with pytest.raises(ValidationError, match="unknown engine 'echo-test'"):
        make_settings(tmp_path, engine="echo-test")
    with pytest.raises(EngineError, match=r"unknown engine 'nope' \(choose auto, extractive, local, openai or openai-compatible\)"):
        make_engine(make_settings(tmp_path), "nope")


def test_a_name_cannot_be_registered_twice():
    class Twin(ExtractiveEngine):
        pass

    with pytest.raises(ValueError, match="taken"):
        register(Twin)
    assert ENGINES["extractive"] is ExtractiveEngine


@pytest.mark.parametrize("update,expected", [
    ({}, "extractive"),
    ({"local_gguf": ROOT / "x.gguf"}, "local"),
    ({"openai_api_key": "sk-test", "local_gguf": ROOT / "x.gguf"}, "openai"),
    ({"base_url": "http://127.0.0.1:1/v1", "openai_api_key": "sk-test"}, "openai-compatible"),
])
def test_auto_picks_the_first_configured_engine(tmp_path, update, expected):
    s = make_settings(tmp_path, engine="auto", **update)
    assert resolve(s) == s.resolved_engine() == expected
    assert resolve(s, "extractive") == "extractive"  # an explicit name is kept


def test_openai_style_engines_get_a_streaming_client_with_the_shared_timeout(tmp_path):
    s = make_settings(tmp_path, engine="openai-compatible", base_url="http://127.0.0.1:1/v1", model="m",
                      timeout=9.0, max_retries=2, max_tokens=77)
    engine = make_engine(s)
    assert engine.name == "openai-compatible" and engine.generative
    chat = engine.chat
    assert chat.model_name == "m" and chat.openai_api_base == "http://127.0.0.1:1/v1"
    assert chat.streaming and chat.max_retries == 2 and chat.max_tokens == 77
    assert chat.request_timeout == pytest.approx(3.0)  # 9 s shared by the first attempt and 2 retries


def test_missing_configuration_says_what_to_set(tmp_path):
    with pytest.raises(EngineError, match="OPENAI_API_KEY"):
        make_engine(make_settings(tmp_path), "openai")
    with pytest.raises(EngineError, match="RAG_BASE_URL"):
        make_engine(make_settings(tmp_path), "openai-compatible")


def test_cli_lists_the_engines_and_what_auto_picks(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_") and k != "OPENAI_API_KEY"}
    env.update(PYTHONPATH=str(ROOT), RAG_BASE_URL="http://127.0.0.1:1/v1")
    r = subprocess.run([sys.executable, "-c", "from rag.cli import run; run()", "engines", "--json"],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    import json

    data = json.loads(r.stdout)
    assert [e["name"] for e in data["engines"]] == sorted(ENGINES)
    assert data["auto"] == "openai-compatible"


# ---------------------------------------------------------------- prompt files

from rag.engines import PromptError, render_prompt  # noqa: E402

from fault_server import FaultServer  # noqa: E402


def _prompts(tmp_path, **files):
    d = tmp_path / "prompts"
    d.mkdir(exist_ok=True)
    for name in ("system", "answer", "condense"):
        (d / f"{name}.txt").write_text((ROOT / "prompts" / f"{name}.txt").read_text())
    for name, text in files.items():
        (d / f"{name}.txt").write_text(text)
    return d


@pytest.mark.parametrize("text,says", [
    ("Sources: {sources}\nReply as JSON {\"answer\": ...}\n{question}", 'unknown placeholder {"answer"}'),
    ("Sources: {sources} {question} {context}", "unknown placeholder {context}"),
    ("Sources: {sources} {question} and a lone {", "not a valid template"),
    ("Sources: {sources} {question} and a lone }", "not a valid template"),
    ("Question: {question}", "lacks the placeholder {sources}"),
])
def test_a_bad_prompt_file_is_named_with_its_placeholder(tmp_path, text, says):
    d = _prompts(tmp_path, answer=text)
    with pytest.raises(PromptError) as e:
        render_prompt(d, "answer", sources="S", question="Q")
    assert str(d / "answer.txt") in str(e.value) and says in str(e.value)


def test_doubled_braces_are_literal_and_values_are_not_parsed(tmp_path):
    d = _prompts(tmp_path, answer='Reply as JSON {{"answer": "..."}}\n{sources}\n{question}')
    text = render_prompt(d, "answer", sources="a {brace} in a source", question="Q?")
    assert text == 'Reply as JSON {"answer": "..."}\na {brace} in a source\nQ?'


def test_a_broken_prompt_stops_the_answer_with_its_name_not_a_model_fallback(tmp_path, corpus_index):
    from rag.answering import ask

    d = _prompts(tmp_path, answer="{sources}\n{question}\nReply as JSON: {\"answer\": text}")
    with FaultServer("ok") as srv:
        s = corpus_index.settings.model_copy(update={
            "engine": "openai-compatible", "base_url": srv.base_url, "model": "fake", "prompts_dir": d,
            "max_retries": 0, "timeout": 10})
        with pytest.raises(PromptError, match=r"answer\.txt has an unknown placeholder"):
            ask("Where was Georgi Markov attacked?", index=corpus_index, settings=s)
        assert srv.completions() == 0  # nothing was sent
        (d / "answer.txt").write_text('{sources}\n{question}\nReply as JSON: {{"answer": text}}')
        answer = ask("Where was Georgi Markov attacked?", index=corpus_index, settings=s)
    assert answer.engine == "openai-compatible" and not answer.notices
    sent = srv.requests[-1]["body"]["messages"][-1]["content"]
    assert sent.endswith('Reply as JSON: {"answer": text}')
