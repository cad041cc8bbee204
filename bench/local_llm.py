"""Latency of the `local` engine's model on RAG-shaped prompts.

Starts the embedded llama.cpp server (rag.local_server), streams five
questions, each with the project's system prompt and about 600 words of
corpus text as numbered sources, and prints the medians as a Markdown table:
time to first token (mostly prompt processing) and generation speed.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import sys
import time
from pathlib import Path

from openai import OpenAI

from rag.local_server import LocalServer, bundled_gguf

ROOT = Path(__file__).resolve().parent.parent
CONTEXT_WORDS = 600
QUESTIONS = {
    "reiss.md": "Where and when was Ignace Reiss killed?",
    "markov.md": "How was Georgi Markov attacked in London?",
    "litvinenko.md": "What poison killed Alexander Litvinenko, and where was he poisoned?",
    "skripal.md": "Which nerve agent was used against Sergei Skripal?",
    "trotsky.md": "Who killed Leon Trotsky, and with what weapon?",
}


def rag_messages(brief: str, question: str) -> list[dict]:
    """System prompt, then ~600 words of the brief as three numbered sources, then the question."""
    text = (ROOT / "corpus" / "briefs" / brief).read_text(encoding="utf-8")
    words = text.split("---", 2)[-1].split()[:CONTEXT_WORDS]  # the body, without the front matter
    third = len(words) // 3
    sources = "\n\n".join(
        f'<source id="{i + 1}" title="{brief}">\n{" ".join(words[i * third:(i + 1) * third])}\n</source>'
        for i in range(3)
    )
    answer = (ROOT / "prompts" / "answer.txt").read_text(encoding="utf-8")
    return [
        {"role": "system", "content": (ROOT / "prompts" / "system.txt").read_text(encoding="utf-8")},
        {"role": "user", "content": answer.format(sources=sources, question=question)},
    ]


def measure(client: OpenAI, model: str, messages: list[dict], max_tokens: int) -> dict:
    start = time.perf_counter()
    first = last = None
    usage = None
    stream = client.chat.completions.create(model=model, messages=messages, max_tokens=max_tokens, temperature=0,
                                            stream=True, stream_options={"include_usage": True})
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            last = time.perf_counter()
            first = first or last
        usage = chunk.usage or usage
    n = usage.completion_tokens
    return {"ttft": first - start, "tps": (n - 1) / (last - first) if n > 1 else float("nan"),
            "prompt": usage.prompt_tokens, "completion": n}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gguf", type=Path, help="default: the bundled SmolLM2-135M")
    ap.add_argument("--ctx", type=int, default=4096)
    ap.add_argument("--threads", type=int)
    ap.add_argument("--max-tokens", type=int, default=128)
    args = ap.parse_args()

    gguf = args.gguf or bundled_gguf()
    t0 = time.perf_counter()
    with LocalServer(gguf, ctx=args.ctx, threads=args.threads) as server:
        started = time.perf_counter() - t0
        client = OpenAI(base_url=server.base_url, api_key="local", timeout=300, max_retries=0)
        runs = [measure(client, server.model, rag_messages(b, q), args.max_tokens) for b, q in QUESTIONS.items()]

    def p50(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    print(f"Model {gguf.name}, ctx {args.ctx}, threads {args.threads or 'default'}, {os.cpu_count()} CPUs, "
          f"{len(runs)} prompts, max_tokens {args.max_tokens}, temperature 0, streaming\n")
    print("| metric | p50 |\n|---|---|")
    print(f"| time to first token | {p50('ttft'):.2f} s |")
    print(f"| tokens/s (generation, after the first token) | {p50('tps'):.1f} |")
    print(f"| prompt tokens | {p50('prompt'):.0f} |")
    print(f"| completion tokens | {p50('completion'):.0f} |")
    print(f"| server start (model load) | {started:.2f} s |")
    command = shlex.join([sys.executable, "bench/local_llm.py", *sys.argv[1:]])
    print(f"\nReproduce: `cd {ROOT} && PYTHONPATH=. {command}`")


if __name__ == "__main__":
    main()
