"""Shared fixtures: real components only (Chroma, the MiniLM embedder, servers)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from rag.config import Settings
from rag.embeddings import MiniLMEmbeddings
from rag.index import Index
from rag.net import ChromaServer, free_port, wait_for_port  # noqa: F401  (tests import them from here)

ROOT = Path(__file__).resolve().parent.parent


def make_settings(tmp: Path, **kw) -> Settings:
    """Settings isolated from the developer's .env and environment."""
    base = dict(root=ROOT, data_dir=tmp / "data", engine="extractive", openai_api_key=None,
                base_url=None, chroma_url=None, local_gguf=None)
    base.update(kw)
    return Settings(_env_file=None, **base)


@pytest.fixture(scope="session")
def embedder() -> MiniLMEmbeddings:
    return MiniLMEmbeddings()


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory, embedder) -> Index:
    """The project's corpus, ingested once into a real persistent Chroma."""
    settings = make_settings(tmp_path_factory.mktemp("corpus-index"))
    index = Index(settings, embedder=embedder)
    report = index.ingest()
    assert not report.errors, report.errors
    return index


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    """A private copy of three corpus files, free to edit."""
    d = tmp_path / "corpus"
    d.mkdir()
    for name in ("articles/trotsky-assassination-soviet-pursuit.md", "briefs/markov.md", "briefs/bandera.md"):
        shutil.copy(ROOT / "corpus" / name, d / Path(name).name)
    return d


@pytest.fixture
def tmp_index(tmp_path, small_corpus, embedder) -> Index:
    settings = make_settings(tmp_path, root=tmp_path, corpus_dir=small_corpus)
    return Index(settings, embedder=embedder)


SMALL_FILES = ("articles/trotsky-assassination-soviet-pursuit.md", "briefs/markov.md", "briefs/bandera.md")


@pytest.fixture(scope="module")
def small_index_template(tmp_path_factory, embedder) -> Path:
    """A project folder with the three small-corpus files, ingested once per module."""
    root = tmp_path_factory.mktemp("small-index")
    (root / "corpus").mkdir()
    for name in SMALL_FILES:
        shutil.copy(ROOT / "corpus" / name, root / "corpus" / Path(name).name)
    index = Index(make_settings(root, root=root, corpus_dir=root / "corpus"), embedder=embedder)
    report = index.ingest()
    assert not report.errors, report.errors
    return root


@pytest.fixture
def ingested_index(tmp_path, small_index_template, embedder) -> Index:
    """A private copy of the module's ingested small index (corpus and data), free to change."""
    root = tmp_path / "project"
    shutil.copytree(small_index_template, root)
    return Index(make_settings(root, root=root, corpus_dir=root / "corpus"), embedder=embedder)


@pytest.fixture
def chroma_server(tmp_path):
    server = ChromaServer(tmp_path / "chroma-server")
    server.start()
    yield server
    server.stop()


def kill_mid_ingest(cmd: list[str], *, env: dict, cwd: Path, written: Callable[[], int], at: int, poll: float = 0.05) -> None:
    """Run an ingest process and SIGKILL it once `written()` reaches `at`."""
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180
        while written() < at:
            assert proc.poll() is None, "the ingest ended before it could be killed"
            assert time.monotonic() < deadline, "the ingest wrote too little in 180 s"
            time.sleep(poll)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
