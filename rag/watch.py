"""Keep the index following folders: new, changed and deleted files are synced.

Polling (a snapshot of every file's mtime and size) rather than OS file
events: it works the same on every platform and on network folders, and one
look at a corpus folder costs a directory walk.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from .loading import find_files


def snapshot(roots: list[Path]) -> dict[Path, tuple[int, int]]:
    """Every indexable file under `roots` with its (mtime_ns, size)."""
    files, _ = find_files(roots)
    out = {}
    for f in files:
        try:
            st = f.stat()
        except OSError:  # deleted between the walk and now
            continue
        out[f] = (st.st_mtime_ns, st.st_size)
    return out


def watch(index, roots: list[Path], *, interval: float = 2.0, on_report: Callable | None = None,
          cycles: int | None = None, sleep: Callable[[float], None] = time.sleep) -> int:
    """Sync the index with `roots` whenever a file changes; returns how many syncs ran.

    Each look compares a snapshot with the last one; on a change the roots are
    ingested with `sync=True` (deleted files leave the index) and the report
    goes to `on_report`. Runs until interrupted, or for `cycles` looks.
    """
    last, syncs, n = None, 0, 0
    while cycles is None or n < cycles:
        now = snapshot(roots)
        if now != last:
            report = index.ingest(roots, sync=True, wait=60)
            syncs += 1
            if on_report is not None:
                on_report(report)
            last = now
        n += 1
        if cycles is None or n < cycles:
            sleep(interval)
    return syncs
