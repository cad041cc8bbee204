"""A real, deliberately misbehaving OpenAI-compatible chat server for tests.

`FaultServer(mode)` runs a `ThreadingHTTPServer` on 127.0.0.1 (a free port)
that speaks enough of the chat-completions API for the `openai` client
(through langchain-openai): POST /v1/chat/completions answered as an SSE
stream of `data: {...}` chunks ending with `data: [DONE]`, sent with
chunked transfer encoding as real servers (OpenAI, vLLM, llama.cpp) do.

Modes:
    "ok"           always a good streamed answer
    "429-then-ok"  the first request gets 429 (Retry-After: 0), later ones a good answer
    "500"          always 500
    "401"          always 401 with an OpenAI-style body (the key masked, as OpenAI does)
    "hang"         accepts the connection, reads the request and never answers
    "cut"          starts a good stream, sends a few chunks, then closes the socket
                   without finishing the chunked body (no final chunk, no [DONE])
    "lie"          a lying model: one true sentence of source 1 and one twisted
                   sentence made from source 1 (a value, a date, a month, a
                   negation, a role or a name changed; rag.perturb makes it), both cited [1]

The good answer is the first sentence of the prompt's `<source id="1">` block
followed by " [1]" (so it is supported by the passage it cites), streamed in
small pieces with the citation mark split across two chunks. Every request is
recorded (`requests`: path, headers with lower-case names, parsed JSON body) so a test can count
the client's retries and see what was sent.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from rag.net import free_port

MODES = ("ok", "429-then-ok", "500", "401", "hang", "cut", "lie")
LIE_KINDS = ("number", "date", "month", "negation", "role", "entity")  # tried in this order
_SOURCE_1 = re.compile(r'<source id="1"[^>]*>\n(.*?)\n</source>', re.S)


def first_source_sentence(body: dict) -> str:
    """The first sentence of source 1 in the prompt (what a faithful model would say)."""
    prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
    m = _SOURCE_1.search(prompt)
    if not m:
        return "The sources do not say."
    text = " ".join(m.group(1).split())
    end = re.search(r"(?<=[.!?])\s", text)
    return text[: end.start()] if end else text


def source_text(body: dict) -> str:
    prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
    m = _SOURCE_1.search(prompt)
    return m.group(1) if m else ""


def lie(body: dict, kinds: tuple[str, ...] = LIE_KINDS) -> tuple[str, str, str]:
    """(answer, true sentence, twisted sentence) for the prompt's source 1."""
    from rag import perturb

    text = source_text(body)
    claims = perturb.make_claims([text]) if text else []
    true = next((c.text for c in claims if c.kind == "verbatim"), "")
    for kind in kinds:
        twisted = next((c for c in claims if c.kind == kind), None)
        if twisted:
            truth = next((c.text for c in claims if c.kind == "verbatim" and c.text != twisted.source), true)
            return f"{truth} [1] {twisted.text} [1]", truth, twisted.text
    return (f"{true} [1]" if true else "The sources do not say."), true, ""


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    return free_port()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, format, *args):  # keep test output clean
        pass

    # -- helpers ------------------------------------------------------
    def _json(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _event(self, payload: dict | str) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload)
        self._chunk(f"data: {text}\n\n".encode())

    def _delta(self, content: str | None, finish: str | None = None, role: bool = False) -> dict:
        delta: dict = {}
        if role:
            delta["role"] = "assistant"
        if content is not None:
            delta["content"] = content
        return {
            "id": "chatcmpl-fault", "object": "chat.completion.chunk", "created": int(time.time()),
            "model": self.server.model_name,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    def _pieces(self, body: dict) -> list[str]:
        if self.server.mode == "lie":
            answer = lie(body, self.server.lie_kinds)[0]
            self.server.lies.append(answer)
            return [w if i == 0 else " " + w for i, w in enumerate(answer.split(" "))]
        answer = self.server.answer or first_source_sentence(body) + " [1]"
        words = answer.replace(" [1]", " [").split(" ")
        pieces = [w if i == 0 else " " + w for i, w in enumerate(words)]
        if answer.endswith(" [1]"):
            pieces.append("1]")  # the citation mark arrives split across two chunks
        return pieces

    def _stream(self, body: dict, cut_after: int | None = None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self._event(self._delta("", role=True))
        for i, piece in enumerate(self._pieces(body)):
            if cut_after is not None and i == cut_after:
                # Drop the connection mid-body: no terminating chunk, no [DONE].
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self._event(self._delta(piece))
        self._event(self._delta(None, finish="stop"))
        self._event("[DONE]")
        self._chunk(b"")  # the terminating zero-length chunk

    # -- the API --------------------------------------------------------
    def do_GET(self):
        if self.path.rstrip("/").endswith("/models"):
            self._json(200, {"object": "list", "data": [{"id": self.server.model_name, "object": "model"}]})
        else:
            self._json(404, {"error": {"message": "not found"}})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            body = {}
        with self.server.lock:
            self.server.requests.append({"path": self.path, "body": body,
                                         "headers": {k.lower(): v for k, v in self.headers.items()}})
            n = len(self.server.requests)
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._json(404, {"error": {"message": f"no route {self.path}"}})
            return
        mode = self.server.mode
        if mode == "hang":
            self.close_connection = True
            self.server.release.wait()  # until the server stops
            return
        if mode == "500":
            self._json(500, {"error": {"message": "internal error (on purpose)", "type": "server_error"}})
            return
        if mode == "401":
            key = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
            masked = key[:8] + "*" * max(0, len(key) - 12) + key[-4:] if len(key) > 12 else "****"
            self._json(401, {"error": {"message": f"Incorrect API key provided: {masked}.",
                                       "type": "invalid_request_error", "code": "invalid_api_key"}})
            return
        if mode == "429-then-ok" and n == 1:
            self._json(429, {"error": {"message": "rate limited (on purpose)", "type": "rate_limit"}},
                       headers={"Retry-After": "0"})
            return
        try:
            self._stream(body, cut_after=self.server.cut_after if mode == "cut" else None)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # a client hanging up (its timeout, a retry) is expected here, not news


class FaultServer:
    """Context manager: `with FaultServer("500") as srv: srv.base_url ...`."""

    def __init__(self, mode: str, *, answer: str | None = None, cut_after: int = 3, model: str = "fake",
                 lie_kinds: tuple[str, ...] = LIE_KINDS):
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; one of {MODES}")
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.mode = mode
        self.httpd.answer = answer
        self.httpd.cut_after = cut_after
        self.httpd.model_name = model
        self.httpd.lie_kinds = lie_kinds
        self.httpd.lies = []  # the answers a "lie" server gave
        self.httpd.requests = []
        self.httpd.lock = threading.Lock()
        self.httpd.release = threading.Event()
        self.port = self.httpd.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def requests(self) -> list[dict]:
        with self.httpd.lock:
            return list(self.httpd.requests)

    def completions(self) -> int:
        """How many chat-completion requests arrived (first attempt + retries)."""
        return sum(1 for r in self.requests if r["path"].rstrip("/").endswith("/chat/completions"))

    def start(self) -> "FaultServer":
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.release.set()  # let hanging handlers return
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> "FaultServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
