"""record_feedback: one JSON line per rating, next to the index."""

from __future__ import annotations

import json

import pytest

from rag.answering import Answer, Citation
from rag.errors import RagError
from rag.feedback import record_feedback

from conftest import make_settings


def test_ratings_are_appended_as_json_lines(tmp_path):
    settings = make_settings(tmp_path, openai_api_key="sk-secret-should-not-appear")
    c = Citation(n=1, chunk_id="abc", source="corpus/briefs/markov.md", title="Markov", quote="q",
                 supported=False, text="q", quote_start=0)
    a = Answer("Where?", "Where?", "London. [1]", False, "extractive", citations=[c])
    path = record_feedback(settings, "Where?", a, "up")
    record_feedback(settings, "Where?", a, "down", comment="wrong bridge")
    assert path == settings.data_path / "feedback.jsonl"
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert [x["rating"] for x in lines] == ["up", "down"]
    first = lines[0]
    assert first["question"] == "Where?" and first["answer"] == "London. [1]" and first["engine"] == "extractive"
    assert first["citations"] == [{"n": 1, "source": "corpus/briefs/markov.md", "chunk_id": "abc", "supported": False}]
    assert first["timestamp"] and lines[1]["comment"] == "wrong bridge"
    assert "sk-secret" not in path.read_text()


def test_unknown_ratings_are_refused(tmp_path):
    a = Answer("q", "q", "a", False, "extractive")
    with pytest.raises(RagError, match="'up' or 'down'"):
        record_feedback(make_settings(tmp_path), "q", a, "meh")
