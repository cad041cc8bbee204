"""The index: Chroma holds the truth, each process keeps a keyword cache of it.

Chroma (a local folder, or a `chroma run` server shared by every process and
machine) holds the chunks with their metadata, and in a companion collection
the source catalogue, a change log and the ingest lease (see `rag.store`).
The keyword index (`rag.keyword`) is a cache derived from Chroma: the writer
updates it as it writes, every other process replays the change log into its
own copy before it searches, at most `SYNC_SECONDS` behind.

`Index.ingest` is incremental and idempotent. A file whose bytes and chunking
settings are unchanged is skipped before it is even parsed; for a changed
file, only chunks Chroma does not hold yet (by content hash) are embedded,
and the file's stale chunks are deleted; `--sync` and `remove` drop sources.
A file that cannot be read is reported and skipped; what is already indexed
for it stays. A file is marked `pending` in the catalogue while it is being
written, so an interrupted run is finished (or undone) by whichever process
writes next, and only that file is touched.
"""

from __future__ import annotations

import difflib
import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import chromadb
from filelock import FileLock, Timeout
from langchain_chroma import Chroma
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.indexing.api import _get_document_with_hash

from . import chunking
from .config import Settings
from .errors import RagError
from .embeddings import embedder_id, make_embedder
from .keyword import KeywordIndex, chunk_header
from .loading import MB, LoadError, find_files, parse_file, read_file, source_name
from .store import SharedState

# How stale another process's writes may be in this process's keyword cache.
# A sync that finds nothing new is one filtered read of the state collection:
# p50/p95 3.6/8.4 ms on a local folder, 9.7/20 ms against a loopback server
# (300 change records, 2 loaded cores). At most once a second keeps it off
# most searches and well inside "visible within a few seconds".
SYNC_SECONDS = 1.0
EMBED_BATCH = 32  # chunks embedded and written per Chroma call
READ_BATCH = 1000  # chunks fetched per Chroma read when a cache is (re)filled
LOG_KEEP = 5000  # change records kept; a cache further behind reloads everything
LEASE_POLL = 0.5  # seconds between tries while waiting for another writer


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


def passage_of(document: str, metadata: dict) -> str:
    """The passage text of a chunk, from the text Chroma embedded ("header\n\npassage")."""
    prefix = f"{chunk_header(metadata)}\n\n"
    return document[len(prefix):] if document.startswith(prefix) else document


class Index:
    """Open (or create) the index described by `settings`."""

    def __init__(self, settings: Settings, embedder: Embeddings | None = None, *, rebuild: bool = False):
        self.settings = settings
        self.embedder_id = embedder_id(settings)
        self.where = settings.chroma_url or str(settings.data_path / "chroma")
        self.shared = bool(settings.chroma_url)
        # The keyword cache describes one collection of one Chroma, so a
        # server-mode cache is kept apart from the local folder's.
        state = settings.data_path
        if settings.chroma_url:
            u = urlparse(settings.chroma_url)
            state = state / f"server-{u.hostname}-{u.port}"
        state.mkdir(parents=True, exist_ok=True)
        self.state_dir = state
        self.client = _chroma_client(settings)
        self.state = SharedState(self.client, settings.collection)
        self.keywords = KeywordIndex(state / f"keyword-{settings.collection}.sqlite")
        self.keywords.before_read = self.sync
        self._sync_lock = threading.RLock()
        self._synced_at = float("-inf")
        self._epoch: int | None = None  # the lease held while writing (server mode)
        self._renewed = 0.0
        self._gen = 0  # the next generation to write, while writing
        self._catalogue: dict[str, dict] = {}  # the source catalogue, read once per ingest
        if rebuild:
            with self._writing(0):
                self._drop_collection()
                self.embedder = embedder or make_embedder(settings)
                self._open_vectors()
                self.state.clear()
                self._log("reset")
                self.keywords.apply([], [], self._gen - 1, collection=str(self._collection.id), replace=True)
        else:
            self._check_embedder()
            self.embedder = embedder or make_embedder(settings)
            self._open_vectors()
        self.sync(force=True)

    def _open_vectors(self) -> None:
        self._vectors = Chroma(
            collection_name=self.settings.collection,
            embedding_function=self.embedder,
            client=self.client,
            collection_metadata={"embedder": self.embedder_id},
            collection_configuration={"hnsw": {"space": "cosine"}},
        )
        self._collection = self._vectors._collection

    def _drop_collection(self) -> None:
        try:
            self.client.delete_collection(self.settings.collection)
        except Exception:
            pass  # there was none

    @property
    def vectors(self) -> Chroma:
        """The Chroma collection, through LangChain (this process's cache synced first)."""
        self.sync()
        return self._vectors

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

    # -- the keyword cache follows Chroma -----------------------------------
    def _fetch(self, **where) -> list[tuple[str, str, dict]]:
        """(id, passage, metadata) of chunks in Chroma, by `ids=` or `where=` (paged)."""
        out: list[tuple[str, str, dict]] = []
        offset = 0
        while True:
            got = self._collection.get(**where, include=["documents", "metadatas"], limit=READ_BATCH, offset=offset)
            out += [(i, passage_of(d or "", m or {}), m or {})
                    for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])]
            if len(got["ids"]) < READ_BATCH:
                return out
            offset += READ_BATCH

    def sync(self, force: bool = False) -> None:
        """Replay into the keyword cache what other processes wrote to Chroma."""
        if not force and time.monotonic() - self._synced_at < SYNC_SECONDS:
            return
        with self._sync_lock:
            if not force and time.monotonic() - self._synced_at < SYNC_SECONDS:
                return
            self._synced_at = time.monotonic()
            gen, collection = self.keywords.state()
            if gen < 0:
                return self._reload()
            changes = self.state.changes_after(gen)
            if changes and changes[0].gen != gen + 1:
                return self._reload()  # the records in between were compacted away
            if collection != str(self._collection.id) and not any(c.op == "reset" for c in changes):
                return self._reload()  # the cache is of a collection since deleted
            for c in changes:
                if c.op == "reset":
                    self._open_vectors()
                    self.keywords.apply([], [], c.gen, collection=str(self._collection.id), replace=True)
                elif c.op == "add":
                    self.keywords.apply(self._fetch(ids=list(c.ids)), [], c.gen)
                elif c.op == "delete":
                    self.keywords.apply([], list(c.ids), c.gen)
                elif c.op == "source":
                    self.keywords.apply(self._fetch(where={"source": c.source}), [], c.gen,
                                        reload_sources=[c.source])

    def _reload(self) -> None:
        """Fill the cache from the whole collection (a new process, or one far behind)."""
        self._open_vectors()
        head = self.state.head()  # read first: later changes are replayed again, harmlessly
        self.keywords.apply(self._fetch(), [], head, collection=str(self._collection.id), replace=True)

    # -- reading ----------------------------------------------------------
    def sources(self) -> list[dict]:
        self.sync()
        counts = self.keywords.chunks_per_source()
        rows = [m for m in self.state.catalogue().values() if m.get("sha256") and not m.get("pending")]
        return sorted(
            ({"source": m["source"], "title": m.get("title"), "indexed_at": m.get("indexed_at"),
              "chunks": counts.get(m["source"], 0)} for m in rows),
            key=lambda r: r["source"],
        )

    def count(self) -> int:
        self.sync()
        return self.keywords.count()

    def outdated(self) -> list[str]:
        """Sources indexed under other chunk settings or an older linguistic
        layer (`chunking.signature`) than this process uses. They still answer,
        but their passages' stored analysis is not this release's, so it is
        made again for every question until `rag ingest` redoes them."""
        signature = self._signature()
        return sorted(src for src, m in self.state.catalogue().items()
                      if m.get("sha256") and not m.get("pending") and m.get("signature") != signature)

    def _signature(self) -> str:
        """What a source's chunks were made with: chunk settings, linguistic layer and embedder."""
        return f"{chunking.signature(self.settings)};{self.embedder_id}"

    def _chroma_ids(self) -> dict[str, str]:
        """chunk id -> source, for every chunk in Chroma."""
        out: dict[str, str] = {}
        offset = 0
        while True:
            got = self._collection.get(include=["metadatas"], limit=10 * READ_BATCH, offset=offset)
            out.update((i, (m or {}).get("source", "")) for i, m in zip(got["ids"], got["metadatas"]))
            if len(got["ids"]) < 10 * READ_BATCH:
                return out
            offset += 10 * READ_BATCH

    def consistency(self) -> dict[str, int]:
        """Differences between Chroma, this process's keyword cache and the catalogue (all 0 when sound).

        `unrecorded`: chunks of a source the catalogue does not hold as complete
        (an interrupted write); `recorded_but_missing`: complete sources with no chunk.
        """
        self.sync(force=True)
        dense = self._chroma_ids()
        words = self.keywords.ids()
        done = {s for s, m in self.state.catalogue().items() if m.get("sha256") and not m.get("pending")}
        return {
            "chunks": len(dense),
            "only_in_chroma": len(dense.keys() - words),
            "only_in_keywords": len(words - dense.keys()),
            "unrecorded": sum(1 for src in dense.values() if src not in done),
            "recorded_but_missing": len(done - set(dense.values())),
        }

    # -- writing ----------------------------------------------------------
    @contextmanager
    def _writing(self, wait: float) -> Iterator[None]:
        """Hold the right to write: a file lock in local mode, the shared lease in server mode."""
        busy = IndexBusy(
            f"another ingest is writing to {self.where} (collection '{self.settings.collection}'); wait "
            "for it to finish (or pass --wait SECONDS to queue behind it)"
        )
        if not self.shared:
            lock = FileLock(str(self.state_dir / f"ingest-{self.settings.collection}.lock"))
            try:
                lock.acquire(timeout=wait)
            except Timeout:
                raise busy from None
            try:
                self._gen = self.state.head() + 1
                yield
            finally:
                lock.release()
            return
        deadline = time.monotonic() + wait
        while (epoch := self.state.try_acquire(self.settings.lease_seconds)) is None:
            if time.monotonic() >= deadline:
                raise busy
            time.sleep(LEASE_POLL)
        self._epoch, self._renewed = epoch, time.monotonic()
        try:
            self._gen = self.state.head() + 1
            yield
        finally:
            self._epoch = None
            self.state.release(epoch)

    def _still_writer(self) -> None:
        """Renew the lease (server mode) before a write; stop if it was lost."""
        if self._epoch is None or time.monotonic() - self._renewed < self.settings.lease_seconds / 4:
            return
        if not self.state.renew(self._epoch, self.settings.lease_seconds):
            raise IndexBusy(
                f"this ingest stalled for more than {self.settings.lease_seconds:g} s and another "
                "process took over the index; run `rag ingest` again to finish"
            )
        self._renewed = time.monotonic()

    def _log(self, op: str, *, ids: list[str] | None = None, source: str = "") -> int:
        gen, self._gen = self._gen, self._gen + 1
        self.state.append(gen, op, ids=ids, source=source)
        return gen

    def _add_chunks(self, docs: list[Document], on_written: Callable[[int], None]) -> None:
        for b in range(0, len(docs), EMBED_BATCH):
            batch = docs[b : b + EMBED_BATCH]
            ids = [d.id for d in batch]
            self._still_writer()
            # Embedded with its header (title / section); the cache keeps the passage itself.
            self._vectors.add_documents(
                [Document(page_content=f"{chunk_header(d.metadata)}\n\n{d.page_content}", metadata=d.metadata)
                 for d in batch],
                ids=ids,
            )
            gen = self._log("add", ids=ids)
            self.keywords.apply([(d.id, d.page_content, d.metadata) for d in batch], [], gen)
            on_written(len(batch))

    def _delete_chunks(self, ids: list[str]) -> None:
        for b in range(0, len(ids), 500):
            part = ids[b : b + 500]
            self._still_writer()
            self._collection.delete(ids=part)
            gen = self._log("delete", ids=part)
            self.keywords.apply([], part, gen)

    def _unfinished(self) -> dict[str, str]:
        """Sources an interrupted run left half-written: source -> "ingest" or "remove"."""
        catalogue = self._catalogue
        out = {s: str(m["pending"]) for s, m in catalogue.items() if m.get("pending")}
        # Chunks of a source with no catalogue record at all (an index from before
        # the catalogue lived in Chroma). The synced cache is enough to find them:
        # chunks that reached Chroma without a change record belong to a pending source.
        for src in set(self.keywords.chunks_per_source()) - set(catalogue):
            out[src] = "ingest"
        for src in out:
            # Chunks may have reached Chroma without their change record: every cache reloads the source.
            gen = self._log("source", source=src)
            self.keywords.apply(self._fetch(where={"source": src}), [], gen, reload_sources=[src])
        return out

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
            self.sync(force=True)
            # Read once: no one else writes while this process holds the lock.
            self._catalogue = self.state.catalogue()
            unfinished = self._unfinished()
            files, problems = find_files([s.path(p) for p in paths])
            report.files += [FileResult(source_name(e.path, s.root), "error", message=e.reason) for e in problems]
            say(Progress("files", len(files)))
            written = lambda n: say(Progress("chunks", n))  # noqa: E731
            seen: set[str] = {source_name(e.path, s.root) for e in problems}
            for path in files:
                source = source_name(path, s.root)
                seen.add(source)
                say(Progress("file", source=source))
                report.files.append(self._ingest_file(path, source, written))
            # What an interrupted run left outside these paths: finished if this
            # machine has the file, else undone (its next ingest adds it again).
            for src, op in unfinished.items():
                if src in seen:
                    continue
                where = s.path(Path(src))
                if op == "ingest" and where.is_file():
                    report.files.append(self._ingest_file(where, src, written))
                else:
                    report.files.append(self._remove(src))
            if sync:
                roots = [s.path(p).absolute() for p in paths]
                for src in [x["source"] for x in self.sources() if x["source"] not in seen]:
                    where = s.path(Path(src)).absolute()
                    if any(where == r or r in where.parents for r in roots):
                        report.files.append(self._remove(src))
            self.state.compact(LOG_KEEP)
        report.seconds = time.perf_counter() - t0
        return report

    def ensure_indexed(self, on_progress: Callable[[Progress], None] | None = None) -> IngestReport | None:
        """Ingest the corpus folder once when the index is empty (a first start):
        a question asked of an empty index would only be refused. None when
        something is indexed already."""
        if self.count():
            return None
        return self.ingest(on_progress=on_progress)

    def _ingest_file(self, path: Path, source: str, on_written: Callable[[int], None]) -> FileResult:
        s = self.settings
        signature = self._signature()
        try:
            data = read_file(path, max_bytes=int(s.max_file_mb * MB))
            sha = hashlib.sha256(data).hexdigest()
            before = self._catalogue.get(source)
            complete = bool(before and before.get("sha256") and not before.get("pending"))
            if complete and (before["sha256"], before["signature"]) == (sha, signature):
                return FileResult(source, "unchanged")
            twin = min((x for x, m in self._catalogue.items()
                        if m.get("sha256") == sha and not m.get("pending")), default=None)
            if twin and twin != source and s.path(Path(twin)).exists():
                raise LoadError(path, f"same content as {twin}, which is already indexed; not indexed twice")
            docs = parse_file(path, data, root=s.root)
        except LoadError as e:
            return FileResult(source, "error", message=e.reason)
        except OSError as e:
            return FileResult(source, "error", message=f"cannot read: {e.strerror or e}")
        chunks: dict[str, Document] = {}
        for c in chunking.split(docs, s):
            c = _get_document_with_hash(c, key_encoder="sha256")  # the id is a hash of text + metadata
            chunks.setdefault(c.id, c)
        self._still_writer()
        self.state.put_source(source, pending="ingest")
        held = set(self._collection.get(where={"source": source}, include=[])["ids"])
        new = [c for cid, c in chunks.items() if cid not in held]
        stale = sorted(held - chunks.keys())
        self._add_chunks(new, on_written)
        self._delete_chunks(stale)
        title = str(docs[0].metadata.get("title", source)) if docs else source
        self._catalogue[source] = self.state.put_source(source, sha256=sha, signature=signature, title=title,
                                                        indexed_at=time.time(), pending="")
        return FileResult(
            source,
            "updated" if before and before.get("sha256") else "added",
            chunks_added=len(new),
            chunks_removed=len(stale),
        )

    def _remove(self, source: str) -> FileResult:
        self._still_writer()
        self.state.put_source(source, pending="remove")
        ids = sorted(self._collection.get(where={"source": source}, include=[])["ids"])
        self._delete_chunks(ids)
        self.state.drop_source(source)
        self._catalogue.pop(source, None)
        return FileResult(source, "removed", chunks_removed=len(ids))

    def remove(self, source: str, *, wait: float = 0) -> FileResult:
        """Drop one source's chunks from every store."""
        known = list(self.state.catalogue())
        if source not in known:
            close = difflib.get_close_matches(source, known, n=3, cutoff=0.4)
            hint = f" Did you mean: {', '.join(close)}?" if close else " `rag sources` lists them."
            raise UnknownSource(f"no indexed source is named '{source}'.{hint}")
        with self._writing(wait):
            self.sync(force=True)
            self._catalogue = self.state.catalogue()
            return self._remove(source)
