"""The CLI commands search, sources, check, eval, watch and chat, as a user runs them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from rag.index import Index

from conftest import ROOT, make_settings

FILES = ("articles/trotsky-assassination-soviet-pursuit.md", "briefs/markov.md", "briefs/bandera.md")


@pytest.fixture(scope="module")
def cli_root(tmp_path_factory, embedder):
    """A project folder with three corpus files, indexed once for the module."""
    root = tmp_path_factory.mktemp("cli")
    for name in FILES:
        (root / "corpus").mkdir(exist_ok=True)
        shutil.copy(ROOT / "corpus" / name, root / "corpus" / name.split("/")[-1])
    index = Index(make_settings(root, root=root), embedder=embedder)
    assert not index.ingest().errors
    return root


def rag(root, *args, stdin: str | None = None, timeout: float = 300, **settings: str):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_") and k != "OPENAI_API_KEY"}
    env.update(PYTHONPATH=str(ROOT), RAG_ROOT=str(root), RAG_DATA_DIR=str(root / "data"), RAG_ENGINE="extractive",
               RAG_PROMPTS_DIR=str(ROOT / "prompts"), COLUMNS="200", **settings)
    return subprocess.run([sys.executable, "-c", "from rag.cli import run; run()", *args], cwd=root, env=env,
                          input=stdin, capture_output=True, text=True, timeout=timeout)


def test_search_ranks_the_passage_that_holds_the_answer_first(cli_root):
    r = rag(cli_root, "search", "Georgi Markov umbrella Waterloo Bridge", "--k", "3", "--json")
    assert r.returncode == 0, r.stderr
    hits = json.loads(r.stdout)
    assert len(hits) == 3 and hits[0]["source"] == "corpus/markov.md"
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    only = json.loads(rag(cli_root, "search", "Markov", "--source", "corpus/bandera.md", "--json").stdout)
    assert only and {h["source"] for h in only} == {"corpus/bandera.md"}


def test_sources_lists_each_indexed_file_with_its_chunks(cli_root):
    r = rag(cli_root, "sources", "--json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert sorted(row["source"] for row in rows) == ["corpus/bandera.md", "corpus/markov.md",
                                                      "corpus/trotsky-assassination-soviet-pursuit.md"]
    assert all(row["chunks"] > 0 for row in rows)
    text = rag(cli_root, "sources").stdout
    assert f"3 sources, {sum(row['chunks'] for row in rows)} chunks" in text


def test_check_passes_on_a_consistent_index_and_fails_on_a_broken_one(cli_root, tmp_path):
    r = rag(cli_root, "check")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["chunks"] > 0 and not any(v for k, v in report.items() if k != "chunks")
    broken = tmp_path / "broken"
    shutil.copytree(cli_root, broken)
    # Chroma holds the truth and the keyword index is a cache rebuilt from it,
    # so the break that matters is a catalogued source whose chunks are gone.
    import chromadb

    client = chromadb.PersistentClient(path=str(broken / "data" / "chroma"))
    chunks = client.get_collection("corpus")
    some = chunks.get(include=["metadatas"], limit=1)["metadatas"][0]["source"]
    chunks.delete(where={"source": some})
    del client
    r = rag(broken, "check")
    assert r.returncode == 1 and "inconsistent" in r.stderr


def test_check_of_an_index_made_by_another_release_prints_one_json_object(cli_root):
    # other chunk settings stand for another release: the sources are outdated, and the
    # note about it goes to stderr, so that stdout stays one JSON object for other tools
    r = rag(cli_root, "check", RAG_CHUNK_SIZE="700")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["outdated"] == len(FILES)
    assert "indexed by another release" in r.stderr


def test_eval_with_limit_measures_a_sample_of_the_question_file(cli_root):
    questions = [
        {"id": "m1", "category": "single", "question": "Where was Georgi Markov attacked?", "history": [],
         "key_facts": ["Waterloo Bridge"], "gold_sources": ["corpus/markov.md"], "answerable": True},
        {"id": "b1", "category": "single", "question": "Who killed Stepan Bandera?", "history": [],
         "key_facts": ["Stashynsky"], "gold_sources": ["corpus/bandera.md"], "answerable": True},
        {"id": "n1", "category": "unanswerable", "question": "What is the capital of Australia?", "history": [],
         "key_facts": [], "gold_sources": [], "answerable": False},
    ]
    for q in questions:
        q["split"] = "dev"
    (cli_root / "qa.jsonl").write_text("\n".join(json.dumps(q) for q in questions) + "\n")
    r = rag(cli_root, "eval", "--set", "qa.jsonl", "--configs", "full", "--limit", "2", "--out", "report", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    full = data["summary"]["dev"]["full"]
    assert full["hit@5"] == 1.0  # the sample is m1 and b1 (every 1.5th), both answerable and found
    assert (cli_root / "report").is_dir() and any((cli_root / "report").iterdir())


def test_watch_one_cycle_syncs_new_and_deleted_files(cli_root, tmp_path):
    root = tmp_path / "w"
    shutil.copytree(cli_root, root)
    (root / "corpus" / "note.md").write_text("# Note\n\nThe archive of Zorvath holds forty letters.\n")
    (root / "corpus" / "bandera.md").unlink()
    r = rag(root, "watch", "--cycles", "1", "--interval", "0")
    assert r.returncode == 0, r.stderr
    assert "added    corpus/note.md" in r.stdout and "deleted  corpus/bandera.md" in r.stdout.replace("removed ", "deleted ")
    rows = json.loads(rag(root, "sources", "--json").stdout)
    assert "corpus/note.md" in {x["source"] for x in rows} and "corpus/bandera.md" not in {x["source"] for x in rows}


def test_chat_answers_piped_questions_and_follows_up(cli_root):
    r = rag(cli_root, "chat", stdin="Who killed Stepan Bandera?\nHow was he caught?\n\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("you>") >= 2
    assert "Stashynsky" in r.stdout and "[1]" in r.stdout
    assert "corpus/bandera.md" in r.stdout  # the cited source is listed under the answer


def test_a_first_question_on_an_empty_index_indexes_the_corpus_first(tmp_path):
    # a newcomer who runs `rag ask` before `rag ingest` gets an answer, not "the sources do not say"
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "lyon.md").write_text(
        "# Lyon\n\nIn 1904 the baker Henri Roux killed the banker Paul Girard with a revolver.\n", encoding="utf-8")
    r = rag(tmp_path, "ask", "Who killed Paul Girard?", "--json")
    assert r.returncode == 0, r.stderr
    assert "Nothing is indexed yet" in r.stderr
    answer = json.loads(r.stdout)
    assert not answer["refused"] and "Henri Roux" in answer["short_answer"]
    again = rag(tmp_path, "ask", "Who killed Paul Girard?")
    assert "Nothing is indexed yet" not in again.stderr  # only once
