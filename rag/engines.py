"""Answer engines: one interface, one registry.

An engine does two things: rewrite a follow-up into a standalone question,
and stream an answer that cites passages by their prompt ids ("[2]"). The
pipeline in `rag.answering` does everything else (retrieval, the refusal
gate, citation parsing, verification), so every engine yields the same
Answer and nothing downstream branches on which one ran.

Engines are registered with `@register` (the pattern of Simon Willison's
`llm` plugins): adding one is one class in this file. The settings
(`RAG_ENGINE`), the CLI (`--engine`, `rag engines`) and the app's engine menu
and its per-engine inputs all read `ENGINES`; `auto` picks the first
registered engine whose `configured(settings)` is true, else `extractive`.

A registered class may define, besides the `Engine` protocol:
- `create(settings)` (classmethod): build it, or raise EngineError saying
  what to set (default: `cls()`);
- `configured(settings)` (staticmethod): whether `auto` should choose it;
- `options`: the settings the app asks for when it is chosen (`Option`s);
- `summary`: one line for `rag engines` (default: the docstring's first line).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

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


@dataclass(frozen=True)
class Option:
    """A setting the app asks for when an engine is chosen."""

    field: str  # a Settings attribute
    label: str
    placeholder: str = ""
    secret: bool = False  # a password box; never shown, only kept in memory


AUTO = "auto"
FALLBACK = "extractive"  # what `auto` means when no generative engine is configured
ENGINES: dict[str, type] = {}


def register(cls: type) -> type:
    """Class decorator: make an engine available under `cls.name`."""
    if cls.name in ENGINES or cls.name == AUTO:
        raise ValueError(f"engine name {cls.name!r} is taken")
    ENGINES[cls.name] = cls
    return cls


def engine_names() -> list[str]:
    """`auto` and every registered engine, in the order menus show them."""
    return [AUTO, *sorted(ENGINES)]


def _choices() -> str:
    names = engine_names()
    return ", ".join(names[:-1]) + " or " + names[-1]


def resolve(settings: Settings, name: str | None = None) -> str:
    """`name` (default: the settings' engine), with `auto` made concrete."""
    name = name or settings.engine
    if name != AUTO:
        return name
    for engine_name, cls in ENGINES.items():
        configured: Callable[[Settings], bool] | None = getattr(cls, "configured", None)
        if configured is not None and configured(settings):
            return engine_name
    return FALLBACK


def options(name: str) -> tuple[Option, ...]:
    """The settings the app shows for engine `name` (none for `auto`)."""
    return tuple(getattr(ENGINES.get(name), "options", ()))


def describe() -> list[dict]:
    """One row per registered engine, for `rag engines`."""
    def summary(cls: type) -> str:
        return getattr(cls, "summary", "") or (cls.__doc__ or "").strip().split("\n")[0]

    return [{"name": n, "generative": ENGINES[n].generative, "summary": summary(ENGINES[n])} for n in sorted(ENGINES)]


@register
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


class PromptError(EngineError):
    """A prompt file cannot be filled in; the message names the file and the placeholder."""


_BRACES = "write {{ and }} for a literal brace"


def load_prompt(prompts_dir: Path, name: str) -> str:
    """A prompt file, read afresh each time: edits apply to the next question."""
    path = prompts_dir / f"{name}.txt"
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as e:
        raise EngineError(f"prompt file {path} cannot be read ({e.strerror}); restore it from git") from None


def render_prompt(prompts_dir: Path, name: str, **values: str) -> str:
    """Prompt file `name` filled in with `values` (LangChain's f-string template syntax).

    Every placeholder must be one of `values` and every value must have its
    placeholder, so a stray brace or a lost `{sources}` is a PromptError that
    names the file, not a KeyError or a prompt without its sources.
    """
    from langchain_core.prompts import PromptTemplate

    text = load_prompt(prompts_dir, name)
    path = prompts_dir / f"{name}.txt"
    allowed = ", ".join(f"{{{v}}}" for v in sorted(values))
    try:
        template = PromptTemplate.from_template(text)
    except ValueError as e:  # an unbalanced brace, a numbered or dotted field
        raise PromptError(f"prompt file {path} is not a valid template ({e}); {_BRACES}") from None
    unknown = sorted(set(template.input_variables) - set(values))
    if unknown:
        raise PromptError(f"prompt file {path} has an unknown placeholder {{{unknown[0]}}} "
                          f"(it may use {allowed}); {_BRACES}")
    missing = sorted(set(values) - set(template.input_variables))
    if missing:
        raise PromptError(f"prompt file {path} lacks the placeholder {{{missing[0]}}}; restore it from git")
    try:
        return template.format(**values)
    except (ValueError, KeyError, IndexError) as e:  # a format spec the values do not accept
        raise PromptError(f"prompt file {path} cannot be filled in ({type(e).__name__}: {e}); {_BRACES}") from None


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

    def _prompt(self, name: str, **values: str) -> str:
        if not values:
            return load_prompt(self.settings.prompts_dir, name)  # the system prompt: plain text
        return render_prompt(self.settings.prompts_dir, name, **values)

    def condense(self, question: str, history: list[dict]) -> str:
        if not history:
            return question
        turns = "\n".join(f"{m['role']}: {strip_marks(m['content'])[:600]}" for m in history[-6:])
        prompt = self._prompt("condense", history=turns, question=question)
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
            ("human", self._prompt("answer", sources=fence(passages), question=question)),
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
    """An OpenAI-style streaming chat model, through `init_chat_model`."""
    from langchain.chat_models import init_chat_model

    # The timeout is shared by the first attempt and its retries (429, 5xx,
    # connection errors, retried with backoff by the openai client), so a dead
    # server costs about `settings.timeout`, not a multiple of it.
    kwargs = dict(
        base_url=base_url, api_key=api_key,
        timeout=settings.timeout / (settings.max_retries + 1),
        max_retries=settings.max_retries, max_tokens=settings.max_tokens, streaming=True,
    )
    if temperature is not None:
        kwargs["temperature"] = temperature
    return init_chat_model(model, model_provider="openai", **kwargs)


def _key(settings: Settings) -> str | None:
    return settings.openai_api_key.get_secret_value() if settings.openai_api_key else None


_API_KEY = Option("openai_api_key", "API key", secret=True)


@register
class OpenAICompatibleEngine(ChatEngine):
    """A chat model on any OpenAI-compatible server (Ollama, vLLM, llama.cpp, ...)."""

    name = "openai-compatible"
    summary = "any OpenAI-compatible server: set RAG_BASE_URL and RAG_MODEL"
    options = (Option("base_url", "Server URL (base_url)", placeholder="http://127.0.0.1:11434/v1"),
               Option("model", "Model"), _API_KEY)

    @staticmethod
    def configured(settings: Settings) -> bool:
        return bool(settings.base_url)

    @classmethod
    def create(cls, settings: Settings) -> ChatEngine:
        if not settings.base_url:
            raise EngineError(
                "the openai-compatible engine needs a server: set RAG_BASE_URL (for example "
                "http://127.0.0.1:11434/v1 for Ollama) and RAG_MODEL"
            )
        chat = _chat(settings, model=settings.model or "default", base_url=settings.base_url,
                     api_key=_key(settings) or "not-needed", temperature=settings.temperature)
        return cls(cls.name, chat, settings, context_chars=settings.context_chars)


@register
class OpenAIEngine(ChatEngine):
    """OpenAI's API."""

    name = "openai"
    summary = "OpenAI's API: set OPENAI_API_KEY (model: RAG_OPENAI_MODEL)"
    options = (Option("openai_model", "Model"), _API_KEY)

    @staticmethod
    def configured(settings: Settings) -> bool:
        return bool(settings.openai_api_key)

    @classmethod
    def create(cls, settings: Settings) -> ChatEngine:
        key = _key(settings)
        if not key:
            raise EngineError(
                "the openai engine needs an API key: set OPENAI_API_KEY (in the environment or .env), "
                "or choose another engine (--engine extractive works offline)"
            )
        chat = _chat(settings, model=settings.openai_model, base_url=None, api_key=key, temperature=settings.temperature)
        return cls(cls.name, chat, settings, context_chars=settings.context_chars)


@register
class LocalEngine(ChatEngine):
    """A GGUF model served on 127.0.0.1 by the embedded llama.cpp server (rag.local_server)."""

    name = "local"
    summary = "a GGUF served on 127.0.0.1 (default: the bundled SmolLM2-135M; RAG_LOCAL_GGUF)"

    @staticmethod
    def configured(settings: Settings) -> bool:
        return bool(settings.local_gguf)

    @classmethod
    def create(cls, settings: Settings) -> ChatEngine:
        from .local_server import bundled_gguf, get_local_server

        server = get_local_server(settings.local_gguf or bundled_gguf(), settings.local_ctx)
        chat = _chat(settings, model=server.model, base_url=server.base_url, api_key="local",
                     temperature=settings.temperature if settings.temperature is not None else 0.2)
        # Leave room in the window for the instructions, the question and the answer.
        budget = max(1500, (settings.local_ctx - settings.max_tokens - 600) * 3)
        return cls(cls.name, chat, settings, context_chars=min(settings.context_chars, budget))


def make_engine(settings: Settings, name: str | None = None) -> Engine:
    """The engine called `name` (default: the settings' choice, `auto` resolved)."""
    name = resolve(settings, name)
    cls = ENGINES.get(name)
    if cls is None:
        raise EngineError(f"unknown engine '{name}' (choose {_choices()})")
    create = getattr(cls, "create", None)
    return create(settings) if create is not None else cls()
