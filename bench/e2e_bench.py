"""End-to-end latency: `ask()` per engine, the `rag ask` command, app cold start.

    python bench/e2e_bench.py [--questions 10] [--out docs/bench/e2e.json]

- in-process `ask()` per engine over the real corpus index (start-up excluded):
  extractive; local (SmolLM2-135M via the embedded llama.cpp server);
  openai-compatible (the same server through RAG_BASE_URL). The `openai`
  engine needs a key and OpenAI's servers, which this machine cannot reach.
- the `rag ask` command as a user runs it (process start-up included);
- the Streamlit app from `streamlit run` to the first cited answer in
  chromium (Playwright), when /usr/bin/chromium exists.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.answering import ask  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.engines import make_engine  # noqa: E402
from rag.net import free_port  # noqa: E402
from rag.index import Index  # noqa: E402
from rag.local_server import bundled_gguf, get_local_server  # noqa: E402


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def questions(n: int) -> list[str]:
    rows = [json.loads(line) for line in (ROOT / "eval/qa.jsonl").read_text().splitlines() if line.strip()]
    return [r["question"] for r in rows if r["category"] == "single"][:n]


def time_engine(index: Index, settings: Settings, qs: list[str]) -> dict:
    engine = make_engine(settings)
    times = []
    for q in qs:
        t = time.perf_counter()
        answer = ask(q, index=index, settings=settings, engine=engine)
        times.append(time.perf_counter() - t)
        assert not answer.notices or settings.engine == "extractive", answer.notices
    return {"n": len(times), "p50_s": round(pct(times, 50), 3), "p95_s": round(pct(times, 95), 3)}


def app_cold_start(data_dir: Path) -> float | None:
    if not Path("/usr/bin/chromium").exists():
        return None
    from playwright.sync_api import sync_playwright

    port = free_port()
    env = {**os.environ, "RAG_DATA_DIR": str(data_dir), "RAG_ENGINE": "extractive"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.address",
         "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"])
            page = browser.new_page()
            deadline = time.time() + 120
            while True:
                try:
                    page.goto(f"http://127.0.0.1:{port}", timeout=5000)
                    break
                except Exception:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.2)
            box = page.get_by_placeholder("Ask a question about the sources…")
            box.wait_for(timeout=120_000)
            box.fill("Who was Ramon Mercader?")
            box.press("Enter")
            page.get_by_text("[1]").first.wait_for(timeout=120_000)
            elapsed = time.perf_counter() - t0
            browser.close()
            return elapsed
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", type=int, default=10)
    ap.add_argument("--out", default="docs/bench/e2e.json")
    args = ap.parse_args()
    qs = questions(args.questions)
    data = Path(tempfile.mkdtemp(prefix="rag-e2e-"))
    base = Settings(root=ROOT, data_dir=data, engine="extractive", _env_file=None)
    index = Index(base)
    index.ingest()
    results: dict = {"questions": len(qs)}

    results["extractive"] = time_engine(index, base, qs)
    server = get_local_server(bundled_gguf(), 4096)
    small = {"max_tokens": 128, "timeout": 300}
    results["local"] = time_engine(index, base.model_copy(update={"engine": "local", "local_gguf": bundled_gguf(), **small}), qs[:5])
    compat = {"engine": "openai-compatible", "base_url": server.base_url, "model": server.model, "context_chars": 9000, **small}
    results["openai-compatible"] = time_engine(index, base.model_copy(update=compat), qs[:5])
    server.stop()

    env = {**os.environ, "RAG_DATA_DIR": str(data), "RAG_ENGINE": "extractive"}
    rag = Path(sys.executable).parent / "rag"
    cli = []
    for q in qs[:3]:
        t = time.perf_counter()
        subprocess.run([str(rag), "ask", q, "--json"], cwd=ROOT, env=env, check=True, capture_output=True)
        cli.append(time.perf_counter() - t)
    results["rag_ask_cli_extractive"] = {"n": len(cli), "p50_s": round(pct(cli, 50), 2)}
    cold = app_cold_start(data)
    results["app_cold_start_to_first_answer_s"] = None if cold is None else round(cold, 1)

    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1))
    print("| measurement | n | p50 | p95 |\n|---|---|---|---|")
    for name in ("extractive", "local", "openai-compatible"):
        r = results[name]
        print(f"| ask(), {name} engine | {r['n']} | {r['p50_s']} s | {r['p95_s']} s |")
    print(f"| `rag ask --json` (process start-up included), extractive | {cli and len(cli)} | {results['rag_ask_cli_extractive']['p50_s']} s | |")
    print(f"| app: `streamlit run` to first cited answer in chromium | 1 | {results['app_cold_start_to_first_answer_s']} s | |")


if __name__ == "__main__":
    main()
