"""Shared fixtures: real components only (Chroma, the MiniLM embedder, servers)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.config import Settings
from rag.embeddings import MiniLMEmbeddings
from rag.index import Index
from rag.net import free_port  # noqa: F401  (tests import it from here)

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


def wait_for_port(port: int, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


class ChromaServer:
    """A real `chroma run` process on a loopback port."""

    def __init__(self, path: Path):
        self.path = path
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        chroma = Path(sys.executable).parent / "chroma"
        self.proc = subprocess.Popen(
            [str(chroma), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


@pytest.fixture
def chroma_server(tmp_path):
    server = ChromaServer(tmp_path / "chroma-server")
    server.start()
    yield server
    server.stop()
