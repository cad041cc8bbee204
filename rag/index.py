"""The index: Chroma vectors + BM25 keywords + a record manager, kept in step.

`Index.ingest` is incremental and idempotent. A file whose bytes and chunking
settings are unchanged is skipped before it is even parsed; a changed file
goes through LangChain's indexing API, which embeds only chunks it has not
seen and deletes the file's stale chunks; `--sync` and `remove` drop sources.
A file that cannot be read is reported and skipped; what is already indexed
for it stays.
"""

from __future__ import annotations

import difflib
import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import chromadb
from filelock import FileLock, Timeout
from langchain_chroma import Chroma
from langchain_classic.indexes import SQLRecordManager
from langchain_core.embeddings import Embeddings
from langchain_core.indexing import index as langchain_index

from . import chunking
from .config import Settings
from .errors import RagError
from .embeddings import embedder_id, make_embedder
from .keyword import KeywordIndex
from .loading import MB, LoadError, find_files, parse_file, read_file, source_name
from .store import HybridStore


class IndexProblem(RagError):
    """Base for index problems the user can act on; the message says how."""


class IndexUnavailable(IndexProblem):
    pass


class EmbedderMismatch(IndexProblem):
    pass


class IndexBusy(IndexProblem):
    pass


class UnknownSource(IndexProblem):
    pass


@dataclass
class FileResult:
    source: str
    status: str  # "added", "updated", "unchanged", "error", "removed"
    chunks_added: int = 0
    chunks_removed: int = 0
    message: str = ""


@dataclass
class IngestReport:
    files: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def errors(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "error"]

    @property
    def chunks_added(self) -> int:
        return sum(f.chunks_added for f in self.files)

    @property
    def chunks_removed(self) -> int:
        return sum(f.chunks_removed for f in self.files)

    def summary(self) -> str:
        return (
            f"{len(self.files)} files: {self.count('added')} added, {self.count('updated')} updated, "
            f"{self.count('unchanged')} unchanged, {self.count('removed')} removed, "
            f"{len(self.errors)} errors; chunks: {self.chunks_added} added, "
            f"{self.chunks_removed} removed ({self.seconds:.2f} s)"
        )


@dataclass(frozen=True)
class Progress:
    """What `ingest` reports while it works (for progress bars)."""

    kind: str  # "files" (total known), "file" (starting one), "chunks" (n written)
    n: int = 0
    source: str = ""


def _chroma_client(settings: Settings):
    if not settings.chroma_url:
        return chromadb.PersistentClient(path=str(settings.data_path / "chroma"))
    url = urlparse(settings.chroma_url)
    try:
        client = chromadb.HttpClient(
            host=url.hostname or "127.0.0.1",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
        )
        client.heartbeat()
    except Exception as e:  # chromadb raises several types for an unreachable server
        raise IndexUnavailable(
            f"cannot reach the Chroma server at {settings.chroma_url} ({type(e).__name__}). "
            "Start it with `chroma run --path DIR --port PORT`, or unset RAG_CHROMA_URL "
            "to use the local folder."
        ) from None
    return client


class Index:
    """Open (or create) the index described by `settings`."""

    def __init__(self, settings: Settings, embedder: Embeddings | None = None, *, rebuild: bool = False):
        self.settings = settings
        self.embedder_id = embedder_id(settings)
        self.where = settings.chroma_url or str(settings.data_path / "chroma")
        # The keyword index and records describe one Chroma collection, so a
        # server-mode index keeps them apart from the local folder's.
        state = settings.data_path
        if settings.chroma_url:
            u = urlparse(settings.chroma_url)
            state = state / f"server-{u.hostname}-{u.port}"
        state.mkdir(parents=True, exist_ok=True)
        self.state_dir = state
        self.client = _chroma_client(settings)
        if rebuild:
            self._wipe()
        self._check_embedder()
        self.embedder = embedder or make_embedder(settings)
        self._open(settings)

    def _open(self, settings: Settings) -> None:
        self.vectors = Chroma(
            collection_name=settings.collection,
            embedding_function=self.embedder,
            client=self.client,
            collection_metadata={"embedder": self.embedder_id},
            collection_configuration={"hnsw": {"space": "cosine"}},
        )
        self.keywords = KeywordIndex(self.state_dir / "keyword.sqlite")
        self.records = SQLRecordManager(
            f"chroma/{settings.collection}", db_url=f"sqlite:///{self.state_dir / 'records.sqlite'}"
        )
        self.records.create_schema()
        self.store = HybridStore(self.vectors, self.keywords)

    def _check_embedder(self) -> None:
        try:
            existing = self.client.get_collection(self.settings.collection)
        except Exception:
            return  # not created yet
        built_with = (existing.metadata or {}).get("embedder")
        if built_with and built_with != self.embedder_id:
            raise EmbedderMismatch(
                f"the index at {self.where} was built with the embedder '{built_with}', but the "
                f"settings ask for '{self.embedder_id}'. Rebuild it with `rag ingest --rebuild`, "
                f"or set RAG_EMBEDDING back to the embedder it was built with."
            )

    # -- reading ----------------------------------------------------------
    def sources(self) -> list[dict]:
        return self.keywords.sources()

    def count(self) -> int:
        return self.keywords.count()

    def _ids(self) -> tuple[set[str], set[str], set[str]]:
        """Chunk ids in Chroma, in the keyword index and in the records."""
        return set(self.vectors.get(include=[])["ids"]), self.keywords.ids(), set(self.records.list_keys())

    def consistency(self) -> dict[str, int]:
        """Differences between Chroma, the keyword index and the records (all 0 when sound)."""
        dense, words, recs = self._ids()
        return {
            "chunks": len(recs),
            "only_in_chroma": len(dense - words),
            "only_in_keywords": len(words - dense),
            "unrecorded": len((dense | words) - recs),
            "recorded_but_missing": len(recs - (dense & words)),
        }

    # -- writing ----------------------------------------------------------
    @contextmanager
    def _writing(self, wait: float) -> Iterator[None]:
        lock = FileLock(str(self.state_dir / "ingest.lock"))
        try:
            lock.acquire(timeout=wait)
        except Timeout:
            raise IndexBusy(
                f"another ingest is writing to {self.state_dir}; wait for it to finish "
                "(or pass --wait SECONDS to queue behind it)"
            ) from None
        try:
            yield
        finally:
            lock.release()

    def _repair(self) -> None:
        """Bring the three stores back in step after an interrupted run.

        Chunks written but never recorded are deleted; records whose chunk is
        missing from either store are dropped, and their files are marked
        for re-indexing.
        """
        dense, words, recs = self._ids()
        stray = (dense | words) - recs
        lost = recs - (dense & words)
        if lost:
            for src in [x["source"] for x in self.keywords.sources()]:
                if lost.intersection(self.records.list_keys(group_ids=[src])):
                    self.keywords.forget_source(src)
            self.records.delete_keys(list(lost))
        if stray or lost:
            self.store.delete(sorted(stray | lost))

    def ingest(
        self,
        paths: list[Path] | None = None,
        *,
        sync: bool = False,  # also drop indexed sources under `paths` whose files are gone
        wait: float = 0,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> IngestReport:
        """Index files and folders (default: the corpus folder)."""
        t0 = time.perf_counter()
        s = self.settings
        paths = paths or [s.corpus_path]
        report = IngestReport()
        say = on_progress or (lambda p: None)
        with self._writing(wait):
            self._repair()
            files, problems = find_files([s.path(p) for p in paths])
            report.files += [FileResult(source_name(e.path, s.root), "error", message=e.reason) for e in problems]
            say(Progress("files", len(files)))
            self.store.on_written = lambda n: say(Progress("chunks", n))
            seen: set[str] = {source_name(e.path, s.root) for e in problems}
            for path in files:
                source = source_name(path, s.root)
                seen.add(source)
                say(Progress("file", source=source))
                report.files.append(self._ingest_file(path, source))
            if sync:
                roots = [s.path(p).absolute() for p in paths]
                for src in [x["source"] for x in self.keywords.sources() if x["source"] not in seen]:
                    where = s.path(Path(src)).absolute()
                    if any(where == r or r in where.parents for r in roots):
                        report.files.append(self._remove(src))
            self.store.on_written = None
        report.seconds = time.perf_counter() - t0
        return report

    def _ingest_file(self, path: Path, source: str) -> FileResult:
        s = self.settings
        signature = f"{chunking.signature(s)};{self.embedder_id}"
        try:
            data = read_file(path, max_bytes=int(s.max_file_mb * MB))
            sha = hashlib.sha256(data).hexdigest()
            before = self.keywords.source_record(source)
            if before == (sha, signature):
                return FileResult(source, "unchanged")
            twin = self.keywords.source_with_hash(sha)
            if twin and twin != source and s.path(Path(twin)).exists():
                raise LoadError(path, f"same content as {twin}, which is already indexed; not indexed twice")
            docs = parse_file(path, data, root=s.root)
        except LoadError as e:
            return FileResult(source, "error", message=e.reason)
        except OSError as e:
            return FileResult(source, "error", message=f"cannot read: {e.strerror or e}")
        chunks = chunking.split(docs, s)
        result = langchain_index(
            chunks,
            self.records,
            self.store,
            cleanup="incremental",
            source_id_key="source",
            key_encoder="sha256",
            batch_size=max(1, len(chunks)),
        )
        title = str(docs[0].metadata.get("title", source)) if docs else source
        self.keywords.record_source(source, sha, signature, title)
        return FileResult(
            source,
            "updated" if before else "added",
            chunks_added=result["num_added"],
            chunks_removed=result["num_deleted"],
        )

    def _remove(self, source: str) -> FileResult:
        ids = sorted(set(self.records.list_keys(group_ids=[source])) | set(self.keywords.chunk_ids_of(source)))
        self.store.delete(ids)
        self.records.delete_keys(ids)
        self.keywords.forget_source(source)
        return FileResult(source, "removed", chunks_removed=len(ids))

    def remove(self, source: str, *, wait: float = 0) -> FileResult:
        """Drop one source's chunks from every store."""
        known = [x["source"] for x in self.keywords.sources()]
        if source not in known:
            close = difflib.get_close_matches(source, known, n=3, cutoff=0.4)
            hint = f" Did you mean: {', '.join(close)}?" if close else " `rag sources` lists them."
            raise UnknownSource(f"no indexed source is named '{source}'.{hint}")
        with self._writing(wait):
            return self._remove(source)

    def _wipe(self) -> None:
        """Delete this index (vectors, keywords, records); the files stay."""
        with self._writing(0):
            try:
                self.client.delete_collection(self.settings.collection)
            except Exception:
                pass  # there was none
            for name in ("keyword.sqlite", "keyword.sqlite-wal", "keyword.sqlite-shm", "records.sqlite"):
                (self.state_dir / name).unlink(missing_ok=True)
