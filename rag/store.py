"""What the index shares through Chroma, besides the chunks themselves.

Chroma holds the truth. The chunk collection holds every chunk: its id, its
embedding, the text it was embedded as ("header\\n\\npassage") and its
metadata, `source` included. Everything else a process needs is either kept
next to the chunks, in a small companion collection `<collection>-state`
(1-d dummy embeddings, metadata only), or derived from the two:

- the source catalogue: one record per indexed file (sha256, chunking
  signature, title, time), with a `pending` mark while a file is being
  written or removed, so an interrupted run is recognised by whoever comes
  next;
- the change log: one record per write, numbered by a generation that only
  the ingest-lease holder advances ("add"/"delete" with the chunk ids,
  "source" = reload one source, "reset" = the collection was rebuilt). Each
  process's keyword index is a cache that replays the records it has not
  seen (`rag.index.Index.sync`);
- the ingest lease: who may write, across machines. Chroma's `add` never
  overwrites an existing id, so writing lease number n+1 and reading it back
  tells which of several contenders won; a lease that is not renewed expires,
  so a SIGKILLed writer blocks the others only for `lease_seconds`.

The record manager LangChain's indexing API would keep (which chunk ids belong
to which source) is not kept at all: it is Chroma's own `source` metadata,
queried with `where={"source": ...}`.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from dataclasses import dataclass

DUMMY = [1.0]  # the state collection's records are found by id and metadata, never by vector
LOG_IDS = 500  # chunk ids per change record (a delete of a large source spans several)


def state_name(collection: str) -> str:
    return f"{collection}-state"


@dataclass(frozen=True)
class Change:
    gen: int
    op: str  # "add", "delete", "source", "reset"
    ids: tuple[str, ...] = ()
    source: str = ""


class SharedState:
    """The catalogue, change log and ingest lease of one collection."""

    def __init__(self, client, collection: str):
        self.client = client
        self.name = state_name(collection)
        self.col = client.get_or_create_collection(self.name, embedding_function=None)
        self.owner = f"{socket.gethostname()}:{uuid.uuid4().hex[:12]}"

    # -- catalogue --------------------------------------------------------
    @staticmethod
    def _sid(source: str) -> str:
        return f"source:{source}"

    def catalogue(self) -> dict[str, dict]:
        """source -> its record (sha256, signature, title, indexed_at, pending)."""
        got = self.col.get(where={"kind": "source"}, include=["metadatas"])
        return {m["source"]: m for m in got["metadatas"]}

    def source(self, source: str) -> dict | None:
        got = self.col.get(ids=[self._sid(source)], include=["metadatas"])
        return got["metadatas"][0] if got["ids"] else None

    def put_source(self, source: str, **fields) -> dict:
        meta = dict(self.source(source) or {"sha256": "", "signature": "", "title": source, "indexed_at": 0.0})
        meta.update(fields, kind="source", source=source)
        self.col.upsert(ids=[self._sid(source)], embeddings=[DUMMY], metadatas=[meta])
        return meta

    def drop_source(self, source: str) -> None:
        self.col.delete(ids=[self._sid(source)])

    # -- change log -------------------------------------------------------
    @staticmethod
    def _cid(gen: int) -> str:
        return f"change:{gen:012d}"

    def head(self) -> int:
        """The newest generation written (0 for none)."""
        ids = self.col.get(where={"kind": "change"}, include=[])["ids"]
        return max((int(i.split(":")[1]) for i in ids), default=0)

    def append(self, gen: int, op: str, *, ids: list[str] | None = None, source: str = "") -> None:
        meta = {"kind": "change", "gen": gen, "op": op, "ids": json.dumps(ids or []), "source": source}
        self.col.add(ids=[self._cid(gen)], embeddings=[DUMMY], metadatas=[meta])

    def changes_after(self, gen: int) -> list[Change]:
        got = self.col.get(where={"$and": [{"kind": "change"}, {"gen": {"$gt": gen}}]}, include=["metadatas"])
        out = [Change(m["gen"], m["op"], tuple(json.loads(m.get("ids") or "[]")), m.get("source", ""))
               for m in got["metadatas"]]
        return sorted(out, key=lambda c: c.gen)

    def clear(self) -> None:
        """Forget the catalogue and the change log (for a rebuild; the lease stays)."""
        for kind in ("source", "change"):
            ids = self.col.get(where={"kind": kind}, include=[])["ids"]
            for b in range(0, len(ids), 5000):
                self.col.delete(ids=ids[b : b + 5000])

    def compact(self, keep: int) -> None:
        """Drop all but the newest `keep` change records. A cache older than
        what is left sees a gap in the numbers and reloads everything."""
        ids = sorted(self.col.get(where={"kind": "change"}, include=[])["ids"])
        old = ids[: max(0, len(ids) - keep)]
        for b in range(0, len(old), 5000):
            self.col.delete(ids=old[b : b + 5000])

    # -- ingest lease -------------------------------------------------------
    @staticmethod
    def _lid(epoch: int) -> str:
        return f"lease:{epoch:012d}"

    def _leases(self) -> list[dict]:
        got = self.col.get(where={"kind": "lease"}, include=["metadatas"])
        return sorted(got["metadatas"], key=lambda m: m["epoch"])

    def holder(self) -> dict | None:
        """The current lease if it is held (not released, not expired)."""
        leases = self._leases()
        if leases and leases[-1]["expires"] > time.time():
            return leases[-1]
        return None

    def try_acquire(self, seconds: float) -> int | None:
        """The epoch of a lease now held by this process, or None if another holds one."""
        leases = self._leases()
        top = leases[-1] if leases else None
        if top and top["expires"] > time.time():
            return None
        epoch = top["epoch"] + 1 if top else 1
        meta = {"kind": "lease", "epoch": epoch, "owner": self.owner, "expires": time.time() + seconds}
        self.col.add(ids=[self._lid(epoch)], embeddings=[DUMMY], metadatas=[meta])  # never overwrites
        got = self.col.get(ids=[self._lid(epoch)], include=["metadatas"])
        if not got["ids"] or got["metadatas"][0]["owner"] != self.owner:
            return None  # another process added this epoch first
        older = [self._lid(m["epoch"]) for m in leases]
        if older:
            self.col.delete(ids=older)
        return epoch

    def renew(self, epoch: int, seconds: float) -> bool:
        """Extend the lease; False if it was lost (expired and taken by another)."""
        got = self.col.get(where={"$and": [{"kind": "lease"}, {"epoch": {"$gte": epoch}}]}, include=["metadatas"])
        mine = [m for m in got["metadatas"] if m["epoch"] == epoch and m["owner"] == self.owner]
        if not mine or len(got["ids"]) > 1:
            return False
        meta = dict(mine[0], expires=time.time() + seconds)
        self.col.upsert(ids=[self._lid(epoch)], embeddings=[DUMMY], metadatas=[meta])
        return True

    def release(self, epoch: int) -> None:
        got = self.col.get(ids=[self._lid(epoch)], include=["metadatas"])
        if got["ids"] and got["metadatas"][0]["owner"] == self.owner:
            meta = dict(got["metadatas"][0], expires=0.0)
            self.col.upsert(ids=[self._lid(epoch)], embeddings=[DUMMY], metadatas=[meta])
