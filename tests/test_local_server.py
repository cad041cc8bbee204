"""The embedded llama.cpp server with the bundled SmolLM2, through the real openai client."""

from __future__ import annotations

import re
import socket
from urllib.parse import urlsplit

import pytest
from openai import OpenAI

from rag.local_server import LocalModelError, LocalServer, bundled_gguf, get_local_server

pytestmark = pytest.mark.slow

QUESTION = [{"role": "user", "content": "What is the capital of France?"}]


@pytest.fixture(scope="module")
def server():
    """One server for the module: the model loads once."""
    server = get_local_server(bundled_gguf(), 2048)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(server) -> OpenAI:
    return OpenAI(base_url=server.base_url, api_key="local", timeout=60, max_retries=0)


def test_server_is_cached_and_reports_its_model(server, client):
    assert get_local_server(bundled_gguf(), 2048) is server
    assert server.running and server.base_url.startswith("http://127.0.0.1:")
    assert server.model == bundled_gguf().stem
    assert [m.id for m in client.models.list()] == [server.model]


def test_chat_completion_returns_text(server, client):
    reply = client.chat.completions.create(model=server.model, messages=QUESTION, max_tokens=16, temperature=0)
    assert reply.choices[0].message.content.strip()


def test_streaming_yields_several_deltas(server, client):
    stream = client.chat.completions.create(model=server.model, messages=QUESTION, max_tokens=16,
                                            temperature=0, stream=True)
    deltas = [c.choices[0].delta.content for c in stream if c.choices and c.choices[0].delta.content]
    assert len(deltas) >= 3 and "".join(deltas).strip()


def test_stop_frees_the_port():
    with LocalServer(bundled_gguf(), ctx=512) as server:
        port = urlsplit(server.base_url).port
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert not server.running
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)
    server.stop()  # idempotent


def test_missing_gguf_is_named(tmp_path):
    missing = tmp_path / "nope.gguf"
    with pytest.raises(LocalModelError, match=re.escape(str(missing))):
        LocalServer(missing).start()


def test_unloadable_gguf_is_named(tmp_path):
    """A file with a GGUF header but no model: the server process fails, the error names the file."""
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + bytes(64))
    server = LocalServer(broken)
    with pytest.raises(LocalModelError, match=re.escape(str(broken))):
        server.start()
    assert not server.running
