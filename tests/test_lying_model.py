"""A lying model: a real OpenAI-compatible server on loopback that answers with
one true and one twisted sentence of the top passage, both cited [1]. Its lies
must come out marked, through the pipeline, `rag ask` and the app."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from rag.answering import ask

from conftest import ROOT, make_settings
from fault_server import LIE_KINDS, FaultServer
from test_reliability import cli_env, run_cli

QUESTIONS = ("Who killed Leon Trotsky?", "What happened to Georgi Markov?", "Who was Stepan Bandera?")


def _settings(corpus_index, srv):
    return make_settings(corpus_index.settings.data_path.parent, data_dir=corpus_index.settings.data_path,
                         engine="openai-compatible", base_url=srv.base_url, model="fake", timeout=10,
                         max_retries=0, min_evidence=0.0)


# Role swaps need a sentence naming both agent and patient; the top passages
# of these questions have none, so role lies are covered by tests/test_verify.py.
@pytest.mark.parametrize("kind", [k for k in LIE_KINDS if k != "role"])
def test_each_kind_of_lie_is_marked_and_the_truth_is_not(corpus_index, kind):
    flagged = told = 0
    with FaultServer("lie", lie_kinds=(kind,)) as srv:
        for q in QUESTIONS:
            a = ask(q, index=corpus_index, settings=_settings(corpus_index, srv))
            assert a.engine == "openai-compatible", a.notices
            if len(a.claims) < 2:
                continue  # this passage offers no twist of this kind
            told += 1
            true, twisted = a.claims[0], a.claims[-1]
            assert true["verdict"] == "supported", true
            flagged += twisted["verdict"] in ("contradicted", "unsupported") and twisted["text"] in a.unsupported
    assert told, f"no top passage offered a {kind} twist"
    assert flagged == told


def test_rag_ask_json_shows_the_lie_contradicted_with_its_reason(corpus_index, tmp_path):
    with FaultServer("lie", lie_kinds=("number", "date", "negation")) as srv:
        env = cli_env(RAG_ROOT=ROOT, RAG_DATA_DIR=corpus_index.settings.data_path,
                      RAG_ENGINE="openai-compatible", RAG_BASE_URL=srv.base_url, RAG_MODEL="fake",
                      RAG_TIMEOUT=10, RAG_MAX_RETRIES=0, RAG_MIN_EVIDENCE=0)
        proc = run_cli(["ask", "Who killed Leon Trotsky?", "--json"], env, tmp_path)
        assert proc.returncode == 0, proc.stderr
        out = json.loads(proc.stdout)
        plain = run_cli(["ask", "Who killed Leon Trotsky?"], env, tmp_path)
    assert out["engine"] == "openai-compatible"
    verdicts = [c["verdict"] for c in out["claims"]]
    assert verdicts == ["supported", "contradicted"], out["claims"]
    lie = out["claims"][1]
    assert lie["reason"].startswith("the passage") and lie["text"] in out["unsupported"]
    assert lie["citations"][0]["verdict"] == "contradicted"
    assert "contradicted by the cited passage" in plain.stdout, plain.stdout


def test_the_app_marks_the_lie_contradicted(corpus_index, monkeypatch):
    import os

    for name in [n for n in os.environ if n.startswith("RAG_") or n == "OPENAI_API_KEY"]:
        monkeypatch.delenv(name)
    with FaultServer("lie", lie_kinds=("number", "date", "negation")) as srv:
        for k, v in dict(RAG_ROOT=ROOT, RAG_DATA_DIR=corpus_index.settings.data_path, RAG_ENGINE="openai-compatible",
                         RAG_BASE_URL=srv.base_url, RAG_MODEL="fake", RAG_TIMEOUT=10, RAG_MAX_RETRIES=0,
                         RAG_MIN_EVIDENCE=0, RAG_CHROMA_URL="").items():
            monkeypatch.setenv(k, str(v))
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
        at.chat_input[0].set_value("Who killed Leon Trotsky?").run()
    assert not at.exception, [e.value for e in at.exception]
    answer = at.session_state["turns"][0]["answer"]
    assert [c["verdict"] for c in answer.claims] == ["supported", "contradicted"]
    errors = [e.value for e in at.chat_message[1].error]
    assert any("contradicted by the cited passage" in e and "the passage says" in e for e in errors), errors
