"""The one settings object.

Every knob is read here, from `RAG_*` environment variables or a `.env` file,
and the resulting `Settings` is passed down explicitly; nothing deeper in the
library reads the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

EmbeddingName = Literal["minilm", "openai"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="RAG_", env_file=".env", extra="ignore", validate_default=True,
        populate_by_name=True,
    )

    # Where things live
    root: Path = Field(default_factory=Path.cwd, description="Project root; sources are named relative to it.")
    data_dir: Path = Field(Path("data"), description="Index folder (Chroma, keyword index, records).")
    corpus_dir: Path = Path("corpus")
    prompts_dir: Path = Path(__file__).resolve().parent.parent / "prompts"
    chroma_url: str | None = Field(None, description="http://host:port of a `chroma run` server; unset = persistent folder.")
    collection: str = "corpus"
    lease_seconds: float = Field(60.0, gt=0, description="Server mode: an ingest that stops renewing its write lease (killed, hung) blocks other writers this long.")

    # Indexing
    embedding: EmbeddingName = "minilm"
    openai_embedding_model: str = "text-embedding-3-small"
    chunk_size: int = Field(800, ge=100, le=8000)
    chunk_overlap: int = Field(120, ge=0, le=2000)
    max_file_mb: float = Field(10.0, gt=0, description="Larger files are refused with a message.")

    # Retrieval
    k: int = Field(6, ge=1, le=50)
    max_per_source: int = Field(3, ge=1, description="Diversity: at most this many passages from one source in the top k.")
    candidates: int = Field(30, ge=5, description="Passages taken from each retriever before fusion.")

    # Answering
    engine: str = Field("auto", description="`auto` or a registered engine (`rag engines` lists them; rag/engines.py).")
    openai_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("RAG_OPENAI_API_KEY", "OPENAI_API_KEY")
    )
    openai_model: str = "gpt-5-mini"
    base_url: str | None = Field(None, description="OpenAI-compatible server for the `openai-compatible` engine.")
    model: str | None = Field(None, description="Model name for the `openai-compatible` engine.")
    local_gguf: Path | None = Field(None, description="GGUF for the `local` engine; default: the bundled SmolLM2-135M.")
    local_ctx: int = 4096
    temperature: float | None = Field(None, description="Unset: the model's default (some OpenAI models accept no other).")
    max_tokens: int = 512
    context_chars: int = Field(12000, ge=1000, description="Most passage text sent to a model in one prompt.")
    timeout: float = Field(30.0, gt=0, description="Seconds before a model call counts as failed.")
    max_retries: int = Field(2, ge=0)

    @field_validator("engine")
    @classmethod
    def _known_engine(cls, name: str) -> str:
        from .engines import engine_names  # the registry (imported late: engines imports this module)

        if name not in engine_names():
            raise ValueError(f"unknown engine {name!r}; choose one of {', '.join(engine_names())}")
        return name

    def path(self, p: Path) -> Path:
        """Resolve a configured path against the project root."""
        return p if p.is_absolute() else self.root / p

    @property
    def data_path(self) -> Path:
        return self.path(self.data_dir)

    @property
    def corpus_path(self) -> Path:
        return self.path(self.corpus_dir)

    def resolved_engine(self) -> str:
        """`auto` means a configured generative engine if there is one, else extractive."""
        from .engines import resolve

        return resolve(self)
