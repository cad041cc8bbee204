"""Server mode: one real `chroma run` shared by real `rag` processes, each with
its own data folder (as separate machines would have).

Each test works in its own collection of one module-wide server, so the tests
stay independent while the server starts once. Processes are real: the `rag`
script, or a long-lived Python process (`_SESSION`) that keeps one Index open
the way the app or a chat session does, so "visible without a restart" is
tested on a process that was already running.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import chromadb
import pytest

from rag.index import SYNC_SECONDS, Index

from conftest import ROOT, ChromaServer, kill_mid_ingest, make_settings

RAG = Path(sys.executable).parent / "rag"
LEASE = 6  # seconds; short so the SIGKILL test does not wait a minute for the dead writer's lease
VISIBLE = SYNC_SECONDS + 10  # "within a few seconds", with room for a loaded test machine

_SESSION = """
import json, sys
from rag.config import Settings
from rag.index import Index
from rag.retrieval import search
index = Index(Settings(_env_file=None))
print("ready", flush=True)
for line in sys.stdin:
    cmd, _, arg = line.strip().partition(" ")
    if cmd == "search":
        out = [[p.source, p.text] for p in search(index, arg, k=5)]
    elif cmd == "count":
        out = index.count()
    elif cmd == "sources":
        out = [s["source"] for s in index.sources()]
    elif cmd == "check":
        out = index.consistency()
    print(json.dumps(out), flush=True)
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = ChromaServer(tmp_path_factory.mktemp("chroma-server"))
    s.start()
    yield s
    s.stop()


def env_for(server, root: Path, data: str, collection: str, **more) -> dict[str, str]:
    """A process's environment: the shared server, its own data folder (its 'machine')."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("RAG_", "OPENAI_")) and "proxy" not in k.lower()}
    env.update(RAG_CHROMA_URL=server.url, RAG_ROOT=str(root), RAG_DATA_DIR=str(root / data),
               RAG_COLLECTION=collection, RAG_ENGINE="extractive", RAG_LEASE_SECONDS=str(LEASE),
               PYTHONPATH=str(ROOT))
    env.update({k: str(v) for k, v in more.items()})
    return env


def rag(args: list[str], env: dict, timeout: float = 900) -> subprocess.CompletedProcess:
    p = subprocess.run([str(RAG), *args], env=env, cwd=env["RAG_ROOT"], capture_output=True,
                       text=True, timeout=timeout)
    assert "Traceback" not in p.stderr, p.stderr
    return p


def ingest_json(args: list[str], env: dict) -> dict:
    p = rag(["ingest", "--json", *args], env)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


class Session:
    """A long-lived process holding one open Index."""

    def __init__(self, env: dict, script: Path):
        script.write_text(_SESSION, encoding="utf-8")
        self.proc = subprocess.Popen([sys.executable, str(script)], env=env, cwd=env["RAG_ROOT"], text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.proc.stdout.readline().strip()
        assert line == "ready", self.proc.stderr.read()

    def ask(self, cmd: str):
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, self.proc.stderr.read()
        return json.loads(line)

    def until(self, cmd: str, ok, timeout: float = VISIBLE):
        """Ask until `ok(answer)`; the answer and the seconds it took."""
        t0 = time.monotonic()
        while True:
            got = self.ask(cmd)
            if ok(got) or time.monotonic() - t0 > timeout:
                return got, time.monotonic() - t0
            time.sleep(0.2)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def sessions():
    opened: list[Session] = []
    yield opened
    for s in opened:
        s.close()


def chroma_chunks(server, collection: str) -> list[tuple[str, str]]:
    """(id, source) of every chunk the server holds, read with Chroma's own client."""
    client = chromadb.HttpClient(host="127.0.0.1", port=server.port)
    try:
        got = client.get_collection(collection).get(include=["metadatas"])
    except Exception:
        return []
    return [(i, m["source"]) for i, m in zip(got["ids"], got["metadatas"])]


def assert_sound(env: dict) -> dict:
    """`rag check` from this process's data folder: its cache equals the server."""
    p = rag(["check"], env)
    assert p.returncode == 0, p.stdout + p.stderr
    return json.loads(p.stdout)


WORDS = ("ledger courier parcel station harbour cipher winter archive witness border ferry "
         "telegram embassy garden tram bridge lantern quarry orchard violin").split()


def dossiers(d: Path, prefix: str, n: int, paragraphs: int = 4) -> None:
    """n Markdown files of distinct text, several chunks each at chunk size 200."""
    d.mkdir(parents=True, exist_ok=True)
    rng = random.Random(prefix)
    for i in range(n):
        lines = [f"# {prefix} dossier {i:02d}", ""]
        for j in range(paragraphs):
            lines += [f"Entry {prefix}{i}x{j} " + " ".join(rng.choice(WORDS) for _ in range(20)) + ".", ""]
        (d / f"{prefix}-{i:02d}.md").write_text("\n".join(lines), encoding="utf-8")


SMALL = dict(RAG_CHUNK_SIZE=200, RAG_CHUNK_OVERLAP=0)


# ------------------------------------------------------------------ the scenario


def test_two_processes_share_the_corpus_and_a_note(server, tmp_path, sessions):
    """A ingests the corpus, B one note: both see every chunk; a third machine re-embeds nothing."""
    root = tmp_path
    shutil.copytree(ROOT / "corpus", root / "corpus")
    (root / "notes").mkdir()
    (root / "notes/visit.md").write_text(
        "# Field note\n\nThe archivist Oksana Veremchuk photographed the Coyoacán guest book in 2019.\n",
        encoding="utf-8")
    a, b, c = (env_for(server, root, d, "shared") for d in ("data-a", "data-b", "data-c"))
    watcher = Session(b, tmp_path / "session.py")  # B is running before anything is indexed
    sessions.append(watcher)
    assert watcher.ask("count") == 0

    first = ingest_json([], a)
    corpus_chunks = sum(f["chunks_added"] for f in first["files"])
    assert corpus_chunks >= 100
    second = ingest_json(["notes"], b)
    assert [(f["source"], f["status"], f["chunks_added"]) for f in second["files"]] == [("notes/visit.md", "added", 1)]

    held = chroma_chunks(server, "shared")
    assert len(held) == len({i for i, _ in held}) == corpus_chunks + 1  # nothing deleted, nothing twice
    # The running session sees both processes' writes, dense and keyword, without a restart.
    got, took = watcher.until("count", lambda n: n == corpus_chunks + 1)
    assert got == corpus_chunks + 1 and took < VISIBLE
    hits = watcher.ask("search Oksana Veremchuk guest book")
    assert hits[0][0] == "notes/visit.md" and "Veremchuk" in hits[0][1]
    assert any(src.startswith("corpus/") for src, _ in watcher.ask("search Ramon Mercader ice axe"))
    for env in (a, b):
        report = assert_sound(env)
        assert report["chunks"] == corpus_chunks + 1
        listed = json.loads(rag(["sources", "--json"], env).stdout)
        assert "notes/visit.md" in {r["source"] for r in listed}
        assert sum(r["chunks"] for r in listed) == corpus_chunks + 1

    # A new machine (empty data folder) searches at once, and its ingest embeds nothing.
    found = json.loads(rag(["search", "--json", "Oksana Veremchuk guest book"], c).stdout)
    assert found and found[0]["source"] == "notes/visit.md" and "Veremchuk" in found[0]["text"]
    again = ingest_json(["corpus", "notes"], c)
    assert {f["status"] for f in again["files"]} == {"unchanged"}
    assert len(chroma_chunks(server, "shared")) == corpus_chunks + 1


def test_concurrent_ingests_of_disjoint_folders(server, tmp_path):
    root = tmp_path
    dossiers(root / "left", "left", 12)
    dossiers(root / "right", "right", 12)
    envs = [env_for(server, root, f"data-{side}", "disjoint", **SMALL) for side in ("left", "right")]
    procs = [subprocess.Popen([str(RAG), "ingest", "--json", "--wait", "300", side], env=env, cwd=root,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for side, env in zip(("left", "right"), envs)]
    outs = [p.communicate(timeout=400) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outs]
    reports = [json.loads(o[0]) for o in outs]
    added = sum(f["chunks_added"] for r in reports for f in r["files"])
    assert all(f["status"] == "added" for r in reports for f in r["files"])
    held = chroma_chunks(server, "disjoint")
    assert len(held) == len({i for i, _ in held}) == added
    assert {s for _, s in held} == {f"{side}/{side}-{i:02d}.md" for side in ("left", "right") for i in range(12)}
    for env in envs:
        assert assert_sound(env)["chunks"] == added


def test_sigkill_mid_ingest_is_finished_by_the_other_process(server, tmp_path):
    root = tmp_path
    dossiers(root / "keep", "keep", 1)
    dossiers(root / "bulk", "bulk", 30)
    a, b = (env_for(server, root, d, "killed", **SMALL) for d in ("data-a", "data-b"))
    ingest_json(["keep"], b)  # a source the killed process never wrote
    kept = sorted(chroma_chunks(server, "killed"))

    # The reference: the same files ingested cleanly into another collection.
    clean = ingest_json(["bulk"], env_for(server, root, "data-clean", "killed-clean", **SMALL))
    total = sum(f["chunks_added"] for f in clean["files"])

    kill_mid_ingest([str(RAG), "ingest", "bulk"], env=a, cwd=root,
                    written=lambda: len(chroma_chunks(server, "killed")), at=len(kept) + total // 3)
    written = len(chroma_chunks(server, "killed")) - len(kept)
    assert total // 3 <= written < total, f"the kill did not land mid-way ({written} of {total})"

    # The dead writer's lease blocks B only until it expires; then B repairs and finishes.
    t0 = time.monotonic()
    report = ingest_json(["--wait", str(4 * LEASE), "bulk"], b)
    assert time.monotonic() - t0 < 4 * LEASE + 120
    statuses = [f["status"] for f in report["files"]]
    assert statuses.count("added") + statuses.count("unchanged") == 30 and statuses.count("added") > 0
    held = chroma_chunks(server, "killed")
    assert len(held) == len({i for i, _ in held}) == len(kept) + total
    assert sorted(x for x in held if x[1].startswith("keep/")) == kept  # untouched
    # Both processes' caches agree with the server, the killed one's included.
    for env in (a, b):
        assert assert_sound(env)["chunks"] == len(kept) + total
    again = ingest_json(["bulk", "keep"], a)
    assert {f["status"] for f in again["files"]} == {"unchanged"}


def test_removal_is_seen_by_the_other_process(server, tmp_path, sessions):
    root = tmp_path
    dossiers(root / "docs", "gone", 3)
    a, b = (env_for(server, root, d, "removal", **SMALL) for d in ("data-a", "data-b"))
    ingest_json(["docs"], a)
    watcher = Session(b, tmp_path / "session.py")
    sessions.append(watcher)
    before = watcher.ask("count")
    assert "docs/gone-01.md" in watcher.ask("sources")
    p = rag(["remove", "docs/gone-01.md"], a)
    assert p.returncode == 0, p.stderr
    got, took = watcher.until("sources", lambda s: "docs/gone-01.md" not in s)
    assert "docs/gone-01.md" not in got and took < VISIBLE
    left = len(chroma_chunks(server, "removal"))
    assert left < before and watcher.ask("count") == left
    hits = watcher.ask("search gone1x0 ledger courier")
    assert hits and all(src != "docs/gone-01.md" for src, _ in hits)
    assert watcher.ask("check")["only_in_keywords"] == 0


def test_rebuild_rebuilds_the_shared_index(server, tmp_path, sessions):
    root = tmp_path
    dossiers(root / "one", "one", 3)
    dossiers(root / "two", "two", 2)
    a, b = (env_for(server, root, d, "rebuilt", **SMALL) for d in ("data-a", "data-b"))
    ingest_json(["one"], a)
    ingest_json(["two"], b)
    watcher = Session(b, tmp_path / "session.py")
    sessions.append(watcher)
    both = len(chroma_chunks(server, "rebuilt"))
    assert watcher.ask("count") == both
    # A rebuilds from its folder only: the shared index is emptied and refilled as a whole.
    report = ingest_json(["--rebuild", "one"], a)
    assert {f["status"] for f in report["files"]} == {"added"}
    held = chroma_chunks(server, "rebuilt")
    assert {s for _, s in held} == {f"one/one-{i:02d}.md" for i in range(3)}
    assert len(held) == len({i for i, _ in held}) == sum(f["chunks_added"] for f in report["files"])
    # B's running session follows: no stale chunks of "two", searches still work.
    got, took = watcher.until("count", lambda n: n == len(held))
    assert got == len(held) and took < VISIBLE
    assert watcher.ask("sources") == sorted(s for s in {s for _, s in held})
    assert watcher.ask("search one0x1 ledger")
    for env in (a, b):
        assert assert_sound(env)["chunks"] == len(held)


def test_collection_switch_keeps_each_collection_apart(server, tmp_path):
    root = tmp_path
    dossiers(root / "red", "red", 2)
    dossiers(root / "blue", "blue", 2)
    red, blue = (env_for(server, root, "data", name, **SMALL) for name in ("switch-red", "switch-blue"))
    ingest_json(["red"], red)
    ingest_json(["blue"], blue)  # the same data folder, another collection
    again = ingest_json(["red"], red)  # switching back: nothing repaired away, nothing re-embedded
    assert {f["status"] for f in again["files"]} == {"unchanged"}
    assert {s for _, s in chroma_chunks(server, "switch-red")} == {"red/red-00.md", "red/red-01.md"}
    assert {s for _, s in chroma_chunks(server, "switch-blue")} == {"blue/blue-00.md", "blue/blue-01.md"}
    for env, name in ((red, "switch-red"), (blue, "switch-blue")):
        assert assert_sound(env)["chunks"] == len(chroma_chunks(server, name))


def test_local_mode_keeps_state_per_collection(tmp_path, embedder):
    """The embedded default: two collections in one folder no longer share a keyword index."""
    dossiers(tmp_path / "red", "red", 2)
    dossiers(tmp_path / "blue", "blue", 2)
    kw = dict(root=tmp_path, chunk_size=200, chunk_overlap=0)
    red = Index(make_settings(tmp_path, collection="red", **kw), embedder=embedder)
    red.ingest([tmp_path / "red"])
    blue = Index(make_settings(tmp_path, collection="blue", **kw), embedder=embedder)
    blue.ingest([tmp_path / "blue"])
    red_again = Index(make_settings(tmp_path, collection="red", **kw), embedder=embedder)
    assert {f.status for f in red_again.ingest([tmp_path / "red"]).files} == {"unchanged"}
    for index, colour in ((red_again, "red"), (blue, "blue")):
        c = index.consistency()
        assert c["chunks"] > 0 and sum(v for k, v in c.items() if k != "chunks") == 0, c
        assert {s["source"] for s in index.sources()} == {f"{colour}/{colour}-00.md", f"{colour}/{colour}-01.md"}
    assert (tmp_path / "data/keyword-red.sqlite").exists() and (tmp_path / "data/keyword-blue.sqlite").exists()
