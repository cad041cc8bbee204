"""The `rag` command: a thin shell over the library.

Each command parses its options, calls one library function and prints the
result (plain text for people, `--json` for other tools). Errors the user
can act on are printed as one red line with exit code 1, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import click
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .config import Settings
from .errors import RagError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Research chatbot over a cited corpus.")
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


class UserError(RagError):
    """A problem with the command line itself."""


def _settings(**overrides) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def _open(settings: Settings, rebuild: bool = False):
    from .index import Index

    return Index(settings, rebuild=rebuild)


def run() -> None:
    """Entry point: turn known errors into one clear line."""
    try:
        rc = app(standalone_mode=False)
    except RagError as e:
        err.print(f"[red]error:[/red] {e}", highlight=False)
        sys.exit(1)
    except click.exceptions.Abort:
        err.print("aborted")
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    sys.exit(rc if isinstance(rc, int) else 0)


@app.command()
def ingest(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Files or folders (default: corpus/).")] = None,
    sync: Annotated[bool, typer.Option(help="Also remove indexed sources that are no longer among PATHS.")] = False,
    rebuild: Annotated[bool, typer.Option(help="Delete the index first and embed everything again.")] = False,
    wait: Annotated[float, typer.Option(help="Seconds to wait if another ingest is running.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Index files (incremental: unchanged files are skipped).

    Exit code 2 when some files could not be read (they are listed; the rest
    is indexed)."""
    settings = _settings()
    index = _open(settings, rebuild=rebuild)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True, disable=as_json) as bar:
        files = bar.add_task("files", total=None)
        chunks = bar.add_task("chunks embedded", total=None)

        def on_progress(p) -> None:
            if p.kind == "files":
                bar.update(files, total=p.n)
            elif p.kind == "file":
                bar.update(files, description=p.source, advance=1)
            elif p.kind == "chunks":
                bar.advance(chunks, p.n)

        report = index.ingest(paths or None, sync=sync, wait=wait, on_progress=on_progress)
    if as_json:
        out.print_json(data={"files": [vars(f) for f in report.files], "seconds": report.seconds})
        return
    for f in report.files:
        if f.status == "error":
            err.print(f"[red]skipped[/red] {f.source}: {f.message}", highlight=False)
        elif f.status != "unchanged":
            out.print(f"{f.status:8} {f.source} (+{f.chunks_added} / -{f.chunks_removed} chunks)", highlight=False)
    out.print(report.summary(), highlight=False)
    if report.errors:
        raise typer.Exit(2)  # partial success: scripts can tell


@app.command()
def search(
    query: str,
    k: Annotated[Optional[int], typer.Option(help="How many passages.")] = None,
    source: Annotated[Optional[str], typer.Option(help="Only this source (as `rag sources` names it).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Ranked passages for QUERY (hybrid dense + keyword)."""
    from .retrieval import search as hybrid_search

    settings = _settings(k=k)
    index = _open(settings)
    passages = hybrid_search(
        index, query, k=settings.k, source=source,
        candidates=settings.candidates, max_per_source=settings.max_per_source,
    )
    if as_json:
        sys.stdout.write(json.dumps([p.to_dict() for p in passages], ensure_ascii=False, indent=2) + "\n")
        return
    if not passages:
        out.print("No passages found.")
    for n, p in enumerate(passages, 1):
        where = f", {p.location}" if p.location else ""
        out.print(f"[bold][{n}] {p.title}[/bold] ({p.source}{where}) score {p.score:.4f}", highlight=False)
        out.print(p.text, highlight=False, markup=False)
        out.print()


@app.command()
def sources(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """What is indexed, with chunk counts."""
    index = _open(_settings())
    rows = index.sources()
    if as_json:
        out.print_json(data=rows)
        return
    table = Table("source", "title", "chunks")
    for r in rows:
        table.add_row(r["source"], r["title"] or "", str(r["chunks"]))
    out.print(table)
    out.print(f"{len(rows)} sources, {sum(r['chunks'] for r in rows)} chunks")


@app.command()
def remove(source: str, wait: Annotated[float, typer.Option()] = 0) -> None:
    """Remove one source's chunks from the index (the file is left alone)."""
    result = _open(_settings()).remove(source, wait=wait)
    out.print(f"removed {result.source} ({result.chunks_removed} chunks)", highlight=False)


@app.command()
def check() -> None:
    """Verify that Chroma, the keyword index and the records agree."""
    report = _open(_settings()).consistency()
    out.print_json(data=report)
    if any(v for k, v in report.items() if k != "chunks"):
        raise UserError("the index is inconsistent; run `rag ingest` to repair it")
