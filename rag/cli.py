"""The `rag` command: a thin shell over the library.

Each command parses its options, calls one library function and prints the
result (plain text for people, `--json` for other tools). Errors the user
can act on are printed as one red line with exit code 1, never a traceback.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
import sys
from pathlib import Path
from typing import Annotated, Optional

import click
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .config import Settings
from .errors import RagError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Research chatbot over a cited corpus.")
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


ENGINE_HELP = "auto (the default: a configured model, else extractive) or an engine that `rag engines` lists."


class UserError(RagError):
    """A problem with the command line itself."""


def _settings(**overrides) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def _open(settings: Settings, rebuild: bool = False):
    from .index import Index

    return Index(settings, rebuild=rebuild)


def _progress(disable: bool = False) -> Progress:
    """The one progress display (on stderr, gone when done)."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=err, transient=True, disable=disable)


@contextmanager
def _ingest_progress(disable: bool = False):
    """The ingest progress bars (files, chunks embedded), as an `on_progress` callback."""
    with _progress(disable=disable) as bar:
        files = bar.add_task("files", total=None)
        chunks = bar.add_task("chunks embedded", total=None)

        def on_progress(p) -> None:
            if p.kind == "files":
                bar.update(files, total=p.n)
            elif p.kind == "file":
                bar.update(files, description=p.source, advance=1)
            elif p.kind == "chunks":
                bar.advance(chunks, p.n)

        yield on_progress


def _open_for_questions(settings: Settings):
    """The index, with the corpus ingested first if nothing is indexed yet
    (as the app does on its first start), said on stderr."""
    index = _open(settings)
    if not index.count():
        err.print(f"[dim]Nothing is indexed yet: indexing {escape(str(settings.corpus_dir))} first (once).[/dim]")
        with _ingest_progress() as on_progress:
            report = index.ensure_indexed(on_progress)
        if report is not None:
            err.print(f"[dim]{escape(report.summary())}[/dim]", highlight=False)
    return index


def _print_files(report, *, counts: bool = True) -> None:
    """The one per-file report: skipped files in red on stderr, changes on stdout."""
    for f in report.files:  # file names are shown as they are ("notes [draft].md"), not as markup
        if f.status == "error":
            err.print(f"[red]skipped[/red] {escape(f.source)}: {escape(f.message)}", highlight=False)
        elif f.status != "unchanged":
            extra = f" (+{f.chunks_added} / -{f.chunks_removed} chunks)" if counts else ""
            out.print(f"{f.status:8} {escape(f.source)}{extra}", highlight=False)


def run() -> None:
    """Entry point: turn known errors into one clear line."""
    try:
        rc = app(standalone_mode=False)
    except RagError as e:
        # The message may quote user text (paths, history, file names): never markup.
        err.print(f"[red]error:[/red] {escape(str(e))}", highlight=False)
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
    with _ingest_progress(disable=as_json) as on_progress:
        report = index.ingest(paths or None, sync=sync, wait=wait, on_progress=on_progress)
    if as_json:
        out.print_json(data={"files": [vars(f) for f in report.files], "seconds": report.seconds})
        return
    _print_files(report)
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
    index = _open_for_questions(settings)
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
        out.print(f"[bold]\\[{n}] {escape(p.title)}[/bold] ({escape(p.source)}{escape(where)}) score {p.score:.4f}", highlight=False)
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
        table.add_row(escape(r["source"]), escape(r["title"] or ""), str(r["chunks"]))
    out.print(table)
    out.print(f"{len(rows)} sources, {sum(r['chunks'] for r in rows)} chunks")


@app.command()
def engines(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The answer engines (registered in rag/engines.py) and which one `auto` picks now."""
    from .engines import describe, resolve

    rows, chosen = describe(), resolve(_settings())
    if as_json:
        out.print_json(data={"engines": rows, "auto": chosen})
        return
    table = Table("engine", "model", "about")
    for r in rows:
        table.add_row(r["name"], "yes" if r["generative"] else "no", escape(r["summary"]))
    out.print(table)
    out.print(f"auto picks: {chosen}", highlight=False)


@app.command()
def remove(source: str, wait: Annotated[float, typer.Option()] = 0) -> None:
    """Remove one source's chunks from the index (the file is left alone)."""
    result = _open(_settings()).remove(source, wait=wait)
    out.print(f"removed {escape(result.source)} ({result.chunks_removed} chunks)", highlight=False)


@app.command()
def check() -> None:
    """Verify that Chroma, the keyword index and the records agree."""
    index = _open(_settings())
    report = {**index.consistency(), "outdated": len(index.outdated())}
    out.print_json(data=report)
    if any(v for k, v in report.items() if k not in ("chunks", "outdated")):
        raise UserError("the index is inconsistent; run `rag ingest` to repair it")
    if report["outdated"]:
        err.print(f"{report['outdated']} sources were indexed by another release or with other chunk settings; "
                  "answers are slower until `rag ingest` redoes them", highlight=False)


@app.command("eval")
def evaluate(
    question_set: Annotated[Path, typer.Option("--set", help="Question set (JSON Lines, see eval/README.md).")] = Path("eval/qa.jsonl"),
    engine: Annotated[Optional[str], typer.Option(help=ENGINE_HELP)] = None,
    configs: Annotated[str, typer.Option(help="Comma-separated: tutorial,bm25,dense,full.")] = "tutorial,bm25,dense,full",
    out_dir: Annotated[Path, typer.Option("--out", help="Where the report, chart and JSON go.")] = Path("docs/eval"),
    limit: Annotated[Optional[int], typer.Option(help="Evaluate an evenly spread sample of N questions (for slow engines).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    verifier: Annotated[bool, typer.Option("--verifier", help="Run the verifier's perturbation suite on the corpus instead (writes verifier.md).")] = False,
    per_kind: Annotated[int, typer.Option(help="With --verifier: claims sampled per kind.")] = 60,
) -> None:
    """Measure retrieval and answers against the question set, with baselines."""
    from .engines import make_engine
    from .evaluation import load_questions, run_eval, sample_questions, write_report

    settings = _settings()
    if verifier:
        _eval_verifier(settings, settings.path(out_dir), per_kind, as_json)
        return
    questions = sample_questions(load_questions(settings.path(question_set)), limit)
    names = tuple(c.strip() for c in configs.split(",") if c.strip())
    index = _open_for_questions(settings)
    chosen = make_engine(settings, engine)
    with _progress() as bar:
        task = bar.add_task("evaluating", total=len(questions) * len(names))
        run = run_eval(questions, index=index, settings=settings, engine=chosen, configs=names,
                       on_step=lambda name: bar.update(task, advance=1, description=f"evaluating ({name})"))
    command = "rag eval " + " ".join(sys.argv[2:]) if len(sys.argv) > 2 else "rag eval"
    report = write_report(run, settings.path(out_dir), str(question_set), command)
    from .evaluation import SPLITS

    if as_json:
        sys.stdout.write(json.dumps({"summary": {sp: run.summary(sp) for sp in SPLITS},
                                     "report": str(report)}, indent=1) + "\n")
        return
    table = Table("split", "configuration", "hit@5", "MRR", "key facts", "median words", "cit. precision",
                  "refusal acc.", "false refusals", "conflicts")
    for sp in SPLITS:
        for name, m in run.summary(sp).items():
            table.add_row(sp, name, *(f"{m[k]:.2f}" for k in ("hit@5", "mrr", "key_fact_accuracy", "median_words", "citation_precision",
                                                                  "refusal_accuracy", "false_refusal_rate", "conflict_surfaced")))
    out.print(table)
    out.print(f"report: {report}; {run.seconds:.0f} s", highlight=False)


def _eval_verifier(settings, out_dir: Path, per_kind: int, as_json: bool) -> None:
    """The perturbation suite over the corpus's chunks (see rag/perturb.py)."""
    import time

    from . import perturb

    files = sorted(p for p in settings.corpus_path.rglob("*") if p.is_file() and not p.name.startswith("."))
    started = time.time()
    with err.status("chunking and analysing the corpus"):
        texts, analyses = perturb.passages_of_files(files, settings)
    with err.status(f"verifying claims made from {len(texts)} passages"):
        result = perturb.run_suite(texts, analyses, per_kind=per_kind)
    seconds = time.time() - started
    body = perturb.report(result, f"The corpus ({len(files)} files, {len(texts)} passages, up to {per_kind} claims per kind)")
    misses = "\n".join(f"- {c.kind}: “{c.text}” → {v} ({why})" for c, v, why in result.misses[:30])
    doc = (f"# Verifier: perturbation suite\n\nCommand: `rag eval --verifier --per-kind {per_kind}` ({seconds:.0f} s).\n\n"
           "Claims are made mechanically from the linguistic analysis of each passage's sentences "
           "(rag/perturb.py) and verified against the passage they came from (rag/verify.py). "
           "A twisted claim is right when flagged (unsupported or contradicted); a true claim when supported.\n\n"
           "Targets: twisted flagged >= 0.95 overall and >= 0.9 per kind; verbatim accepted >= 0.98; "
           "paraphrased accepted >= 0.85.\n\n" + body + "\n### Misses\n\n" + (misses or "none") + "\n")
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "verifier.md").write_text(doc, encoding="utf-8")
    summary = {k: round(result.rate(k), 4) for k in result.counts} | {"twisted": round(result.twisted_rate(), 4)}
    if as_json:
        sys.stdout.write(json.dumps({"summary": summary, "counts": result.counts, "report": str(out_dir / "verifier.md")}, indent=1) + "\n")
        return
    out.print(body, highlight=False)
    out.print(f"report: {out_dir / 'verifier.md'}", highlight=False)


def _print_sources(answer) -> None:
    for c in answer.citations:
        mark = ("" if c.supported else " [red](contradicted)[/red]" if c.verdict == "contradicted"
                else " [yellow](unsupported)[/yellow]")
        where = f", {c.location}" if c.location else ""
        out.print(f"  [bold][{c.n}][/bold] {escape(c.title)} ({escape(c.source)}{escape(where)}){mark}", highlight=False)
        if c.quote:
            out.print(f"      “{escape(c.quote.strip())}”", highlight=False)
    if answer.refused and answer.contexts:
        out.print("  closest sources: " + "; ".join(escape(p.source) for p in answer.contexts), highlight=False)
    verdicts = {c["text"]: c for c in answer.claims}
    for claim in answer.unsupported:
        v = verdicts.get(claim, {})
        if v.get("verdict") == "contradicted":
            said = f"; the passage says: {escape(v['passage_value'])}" if v.get("passage_value") else ""
            out.print(f"  [red]contradicted by the cited passage:[/red] {escape(claim)} ({escape(v['reason'])}){said}", highlight=False)
        else:
            why = f" ({escape(v['reason'])})" if v.get("reason") else ""
            out.print(f"  [yellow]not supported by the cited passage:[/yellow] {escape(claim)}{why}", highlight=False)
    for notice in answer.notices:
        out.print(f"  [yellow]notice:[/yellow] {escape(notice)}", highlight=False)


@app.command()
def ask(
    question: str,
    history: Annotated[Optional[Path], typer.Option(help="JSON file: a list of {role, content} messages.")] = None,
    engine: Annotated[Optional[str], typer.Option(help=ENGINE_HELP)] = None,
    source: Annotated[Optional[str], typer.Option(help="Only search this source.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object.")] = False,
) -> None:
    """Answer QUESTION with numbered citations."""
    from .answering import ask as answer_question
    from .conversation import load_history
    from .engines import make_engine

    settings = _settings()
    messages = load_history(history) if history else []
    index = _open_for_questions(settings)
    answer = answer_question(question, messages, index=index, settings=settings,
                             engine=make_engine(settings, engine), source=source)
    if as_json:
        sys.stdout.write(json.dumps(answer.to_dict(), ensure_ascii=False) + "\n")
        return
    out.print(escape(answer.answer), highlight=False)
    out.print(f"[dim]engine: {answer.engine}; searched: {escape(answer.standalone_question)}[/dim]", highlight=False)
    _print_sources(answer)


@app.command()
def chat(
    engine: Annotated[Optional[str], typer.Option(help=ENGINE_HELP)] = None,
) -> None:
    """Interactive chat in the terminal (empty line or Ctrl-D to quit)."""
    from .answering import ask_stream
    from .engines import make_engine

    settings = _settings()
    index = _open_for_questions(settings)
    chosen = make_engine(settings, engine)
    history: list[dict] = []
    out.print(f"[dim]engine: {chosen.name}; {index.count()} passages from {len(index.sources())} sources. "
              "Empty line to quit.[/dim]")
    while True:
        try:
            question = out.input("[bold green]you>[/bold green] ").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if not question:
            break
        answer = None
        try:
            for event in ask_stream(question, history, index=index, settings=settings, engine=chosen):
                if event.kind == "token":
                    out.print(escape(event.text), end="", highlight=False)
                elif event.kind == "reset":
                    out.print("\n[yellow](the model failed; extractive answer follows)[/yellow]")
                elif event.kind == "done":
                    answer = event.answer
        except RagError as e:
            out.print(f"[red]error:[/red] {escape(str(e))}")
            continue
        out.print()
        _print_sources(answer)
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.answer}]


@app.command()
def watch(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Files or folders (default: corpus/).")] = None,
    interval: Annotated[float, typer.Option(help="Seconds between looks.")] = 2.0,
    cycles: Annotated[Optional[int], typer.Option(help="Stop after this many looks (default: until Ctrl-C).")] = None,
) -> None:
    """Keep the index following a folder: new, changed and deleted files are synced."""
    from .watch import watch as follow

    settings = _settings()
    index = _open(settings)
    roots = [settings.path(p) for p in (paths or [settings.corpus_dir])]
    out.print(f"watching {', '.join(str(r) for r in roots)} (Ctrl-C to stop)", highlight=False)
    try:
        follow(index, roots, interval=interval, cycles=cycles,
               on_report=lambda report: _print_files(report, counts=False))
    except KeyboardInterrupt:
        out.print("stopped")
