"""Answer engines: one interface, four implementations.

An engine does two things: rewrite a follow-up into a standalone question,
and stream an answer that cites passages by their prompt ids ("[2]"). The
pipeline in `rag.answering` does everything else (retrieval, the refusal
gate, citation parsing, verification), so every engine yields the same
Answer and nothing downstream branches on which one ran.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from .citations import strip_marks
from .config import Settings
from .conversation import carry_entities
from .errors import RagError
from .reader import Reading, compose
from .retrieval import Passage


class EngineError(RagError):
    pass


class Engine(Protocol):
    name: str
    generative: bool

    def condense(self, question: str, history: list[dict]) -> str: ...

    def fit(self, passages: list[Passage]) -> list[Passage]: ...

    def stream(self, question: str, passages: list[Passage], evidence: Reading) -> Iterator[str]: ...


class ExtractiveEngine:
    """No model: the best-supported sentences, verbatim, each cited."""

    name = "extractive"
    generative = False

    def condense(self, question: str, history: list[dict]) -> str:
        return carry_entities(question, history)

    def fit(self, passages: list[Passage]) -> list[Passage]:
        return passages  # no context window to fill

    def stream(self, question: str, passages: list[Passage], evidence: Reading) -> Iterator[str]:
        text = compose(evidence)
        # Word by word, so a UI streams it like any other engine's output.
        for i, word in enumerate(text.split(" ")):
            yield word if i == 0 else " " + word


def load_prompt(prompts_dir: Path, name: str) -> str:
    """A prompt file, read afresh each time: edits apply to the next question."""
    path = prompts_dir / f"{name}.txt"
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as e:
        raise EngineError(f"prompt file {path} cannot be read ({e.strerror}); restore it from git") from None


_TAG = re.compile(r"<(\s*/?\s*source)", re.I)


def _defang(text: str) -> str:
    """Source text that cannot open or close a <source> fence (any case or spacing)."""
    return _TAG.sub(r"&lt;\1", text)


def _attr(text: str) -> str:
    """A title or section as one quoted attribute value: one line, no quote, no tag."""
    return _defang(" ".join(text.split())).replace('"', "'")


def fence(passages: list[Passage]) -> str:
    """Passages as data blocks; a passage cannot close its own fence.

    The title and section come from the file too (front matter, headings), so
    they are defanged like the text.
    """
    blocks = []
    for i, p in enumerate(passages, 1):
        text = _defang(p.text)
        where = f' where="{_attr(p.location)}"' if p.location else ""
        blocks.append(f'<source id="{i}" title="{_attr(p.title)}"{where}>\n{text}\n</source>')
    return "\n\n".join(blocks)


class ChatEngine:
    """Any OpenAI-compatible chat model, through langchain-openai."""

    generative = True

    def __init__(self, name: str, chat, settings: Settings, context_chars: int):
        self.name = name
        self.chat = chat
        self.settings = settings
        self.context_chars = context_chars

    def _prompt(self, name: str) -> str:
        return load_prompt(self.settings.prompts_dir, name)

    def condense(self, question: str, history: list[dict]) -> str:
        if not history:
            return question
        turns = "\n".join(f"{m['role']}: {strip_marks(m['content'])[:600]}" for m in history[-6:])
        prompt = self._prompt("condense").format(history=turns, question=question)
        text = str(self.chat.invoke(prompt).content).strip().splitlines()
        rewritten = text[0].strip().strip('"') if text else ""
        # A rewrite that lost the question (empty, or a rambling answer) is not used.
        if not rewritten or len(rewritten) > 3 * len(question) + 200:
            return carry_entities(question, history)
        return rewritten

    def fit(self, passages: list[Passage]) -> list[Passage]:
        """The passages that fit the model's context budget, best first."""
        kept, used = [], 0
        for p in passages:
            if kept and used + len(p.text) > self.context_chars:
                break
            kept.append(p)
            used += len(p.text)
        return kept

    def stream(self, question: str, passages: list[Passage], evidence: Reading) -> Iterator[str]:
        messages = [
            ("system", self._prompt("system")),
            ("human", self._prompt("answer").format(sources=fence(passages), question=question)),
        ]
        # The client's timeout bounds each wait; this bounds the whole answer,
        # so a server that trickles tokens cannot hold the user forever.
        deadline = time.monotonic() + self.settings.timeout + self.settings.max_tokens / 5
        for chunk in self.chat.stream(messages):
            if time.monotonic() > deadline:
                raise TimeoutError("the model took too long to answer")
            if chunk.content:
                yield str(chunk.content)


def _chat(settings: Settings, *, model: str, base_url: str | None, api_key: str, temperature: float | None):
    from langchain_openai import ChatOpenAI

    # The timeout is shared by the first attempt and its retries (429, 5xx,
    # connection errors, retried with backoff by the openai client), so a dead
    # server costs about `settings.timeout`, not a multiple of it.
    kwargs = dict(
        model=model, base_url=base_url, api_key=api_key,
        timeout=settings.timeout / (settings.max_retries + 1),
        max_retries=settings.max_retries, max_tokens=settings.max_tokens, streaming=True,
    )
    if temperature is not None:
        kwargs["temperature"] = temperature
    return ChatOpenAI(**kwargs)


def make_engine(settings: Settings, name: str | None = None) -> Engine:
    """The engine called `name` (default: the settings' choice, `auto` resolved)."""
    name = name or settings.resolved_engine()
    if name == "auto":
        name = settings.resolved_engine()
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    if name == "extractive":
        return ExtractiveEngine()
    if name == "openai":
        if not key:
            raise EngineError(
                "the openai engine needs an API key: set OPENAI_API_KEY (in the environment or .env), "
                "or choose another engine (--engine extractive works offline)"
            )
        chat = _chat(settings, model=settings.openai_model, base_url=None, api_key=key, temperature=settings.temperature)
        return ChatEngine("openai", chat, settings, context_chars=settings.context_chars)
    if name == "openai-compatible":
        if not settings.base_url:
            raise EngineError(
                "the openai-compatible engine needs a server: set RAG_BASE_URL (for example "
                "http://127.0.0.1:11434/v1 for Ollama) and RAG_MODEL"
            )
        chat = _chat(settings, model=settings.model or "default", base_url=settings.base_url,
                     api_key=key or "not-needed", temperature=settings.temperature)
        return ChatEngine("openai-compatible", chat, settings, context_chars=settings.context_chars)
    if name == "local":
        from .local_server import bundled_gguf, get_local_server

        server = get_local_server(settings.local_gguf or bundled_gguf(), settings.local_ctx)
        chat = _chat(settings, model=server.model, base_url=server.base_url, api_key="local",
                     temperature=settings.temperature if settings.temperature is not None else 0.2)
        # Leave room in the window for the instructions, the question and the answer.
        budget = max(1500, (settings.local_ctx - settings.max_tokens - 600) * 3)
        return ChatEngine("local", chat, settings, context_chars=min(settings.context_chars, budget))
    raise EngineError(f"unknown engine '{name}' (choose auto, extractive, local, openai or openai-compatible)")
