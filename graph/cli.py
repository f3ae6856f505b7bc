"""The ``rolegraph`` command: parse options, call one core function, print, pick the exit code. No logic.

Exit codes: 0 all good; 1 ran and found problems (failed files, findings); 2 could not run (bad usage,
unreadable input named by the user, unusable store).

Each command imports what it needs when it runs: importing this module (``rolegraph --help``, or a query) loads
click and the store's few names, not the parser, SHACL (rdflib, pySHACL), ladders (networkx, numpy) or rich's
tables; tests/test_startup.py keeps it so.
"""

from __future__ import annotations

import functools
import io
import os
import resource
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

import click

from rolegraph import __version__
from rolegraph.errors import RolegraphError
from rolegraph.rdf.iris import DEFAULT_BASE
from rolegraph.settings import DEFAULT_STORE, Settings
from rolegraph.store import EXPORT_FORMATS, is_remote_location, open_store

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["main", "cli"]

EXIT_OK, EXIT_FINDINGS, EXIT_CANNOT_RUN = 0, 1, 2
RESULT_FORMATS = {"json": "JSON", "csv": "CSV", "tsv": "TSV", "xml": "XML"}
COVERAGE_SHOWN = 10  # unparsed sections listed after a build; `rolegraph coverage` lists all
PROGRESS_MIN_FILES = 20  # below this a progress bar only flickers

F = TypeVar("F", bound=Callable[..., Any])


@functools.cache
def console(err: bool = False) -> Console:
    """rich's console on stdout (or stderr), made the first time a command prints through it."""
    from rich.console import Console

    return Console(stderr=err, soft_wrap=True)


class TableChoice(click.Choice):
    """A choice among the keys of a table in another module (``"rolegraph.validate:FORMAT_TO_WRITER"``), read the
    first time they are needed (the command's help, or a value given), so that starting the CLI does not load that
    module. ``reverse`` lists them last to first (severities: the strongest first)."""

    def __init__(self, table: str, reverse: bool = False) -> None:
        self.table, self.reverse, self.case_sensitive = table, reverse, True

    @functools.cached_property
    def choices(self) -> tuple[str, ...]:  # type: ignore[override]
        module, name = self.table.split(":")
        names: Iterable[str] = getattr(import_module(module), name)
        return tuple(reversed(list(names)) if self.reverse else names)


def fail(message: str, code: int = EXIT_CANNOT_RUN) -> None:
    """Print ``rolegraph: message`` on stderr and exit."""
    click.echo(f"rolegraph: {message}", err=True)
    sys.exit(code)


def say_waiting(message: str) -> None:
    """Tell the user, once, that the store is busy and this command is waiting for it."""
    click.echo(f"rolegraph: {message}", err=True)


def reports_errors(command: F) -> F:
    """Turn RolegraphError into one line on stderr and exit 2; a traceback only with --debug."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except RolegraphError as error:
            if click.get_current_context().find_root().params.get("debug"):
                raise
            fail(str(error))
        except KeyboardInterrupt:
            fail("interrupted", 130)

    return wrapper  # type: ignore[return-value]


def _store_location(_ctx: click.Context, _param: click.Parameter, value: str | Path | None) -> str | Path | None:
    """A --store value: an http(s) URL stays a string (a SPARQL server); anything else is a directory."""
    return value if value is None or is_remote_location(str(value)) else Path(str(value))


store_option = click.option(
    "--store", "store_dir", type=click.UNPROCESSED, callback=_store_location, default=DEFAULT_STORE,
    show_default=True, metavar="DIR|URL",
    help="Store directory (embedded Oxigraph) or http(s) URL of a SPARQL 1.1 server.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rolegraph")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def cli(debug: bool) -> None:
    """rolegraph: job specifications in, a knowledge graph of job classes out.

    Typical use: `rolegraph build examples/specs`, then `rolegraph show 1341` or `rolegraph query`.
    """


def peak_memory() -> str:
    """This process's peak resident memory, and its worker processes' (the largest one), in MB.

    >>> peak_memory().split()[1]  # e.g. "118 MB", or "2,160 MB (largest worker 1,042 MB)"
    'MB'
    """
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is in bytes on macOS, in KB elsewhere
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale / 2**20
    # A Python worker takes 30 MB and more; smaller children are helpers the libraries ran (uname).
    return f"{own:,.0f} MB" + (f" (largest worker {workers:,.0f} MB)" if workers >= 20 else "")


class BuildProgress:
    """A build's progress on stderr: files read, then each later stage, one bar each.

    The display is redrawn by the build's own calls (at most ``REDRAWS_PER_SECOND``), not by a thread of rich's:
    a process running no other thread may fork its parse workers.
    """

    REDRAWS_PER_SECOND = 8

    def __init__(self, files: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bars = Progress(TextColumn("{task.description:<26}"), BarColumn(), MofNCompleteColumn(),
                             TimeElapsedColumn(), console=console(err=True), transient=True, auto_refresh=False)
        self.current = self.bars.add_task("reading", total=files)
        self.drawn = 0.0

    def __enter__(self) -> BuildProgress:
        self.bars.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.bars.stop()

    def file_read(self, path: Path) -> None:
        self.advance()

    def stage(self, name: str, total: int | None) -> Callable[[], None]:
        self.bars.update(self.current, completed=self.bars.tasks[self.current].total)
        self.current = self.bars.add_task(name, total=total)
        self.redraw(force=True)
        return self.advance

    def advance(self) -> None:
        self.bars.advance(self.current)
        self.redraw()

    def redraw(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.drawn >= 1 / self.REDRAWS_PER_SECOND:
            self.bars.refresh()
            self.drawn = now


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@store_option
@click.option("--base", default=DEFAULT_BASE, show_default=True, help="Base IRI of the job classes.")
@click.option("--lock-timeout", default=60.0, show_default=True, help="Seconds to wait for another build.")
@click.option("--full", is_flag=True, help="Check every class graph in the store against the files, as a first "
              "build does, rather than rebuild from the changed files alone (for a store written by other means).")
@reports_errors
def build(paths: tuple[Path, ...], store_dir: Path, base: str, lock_timeout: float, full: bool) -> None:
    """Read the job specifications under PATHS (files or folders) into the store.

    Files that cannot be read are listed with the reason; the rest are still built (exit status 1).
    """
    from rich.table import Table

    from rolegraph.collector import collector_paused
    from rolegraph.coverage import format_coverage
    from rolegraph.pipeline import build as build_specs
    from rolegraph.rdf.iris import Iris
    from rolegraph.readers import list_source_files

    started = time.monotonic()
    settings = Settings(store=store_dir, base_iri=base, lock_timeout=lock_timeout)
    files = list_source_files(paths)
    store = open_store(settings.store, lock_timeout=settings.lock_timeout, on_wait=say_waiting)
    try:
        # the cyclic collector paused: a build makes millions of acyclic objects that live until the command ends
        with collector_paused(keep=True):
            if len(files) >= PROGRESS_MIN_FILES:
                with BuildProgress(len(files)) as progress:
                    summary = build_specs(files, store, Iris(settings.base_iri), progress=progress.file_read,
                                          stages=progress.stage, full=full)
            else:
                summary = build_specs(files, store, Iris(settings.base_iri), full=full)
        total = summary.quads if summary.quads is not None else len(store)
    finally:
        store.close()
    table = Table(title=f"rolegraph build -> {store_dir}", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for label, value in (
        ("build", "by difference" if summary.by_difference else f"full: {summary.full_because}"),
        ("files read", len(summary.parsed.files)),
        ("job classes", summary.classes),
        ("named classes (stubs)", summary.stubs),
        ("source documents", len(summary.parsed.files) - len(summary.parsed.failures) - len(summary.parsed.skipped)),
        ("not job specifications (skipped)", len(summary.parsed.skipped)),
        ("triples built", summary.written.triples),
        ("class graphs written", len(summary.written.written)),
        ("class graphs unchanged", len(summary.written.unchanged)),
        ("class graphs removed", len(summary.written.removed)),
        ("quads in store", total),
        ("promotion steps", summary.promotions),
        ("failures", len(summary.parsed.failures)),
        ("time", f"{time.monotonic() - started:.1f} s"),
        ("peak memory", peak_memory()),
    ):
        table.add_row(label, str(value))
    console().print(table)
    if summary.classes:
        click.echo(format_coverage(summary.coverage, limit=COVERAGE_SHOWN,
                                   only_stated=True))
    for skipped in summary.parsed.skipped:
        click.echo(f"rolegraph: skipped {skipped}", err=True)
    for failure in summary.parsed.failures:
        click.echo(f"rolegraph: {failure}", err=True)
    if summary.parsed.failures:
        sys.exit(EXIT_FINDINGS)


@cli.command()
@click.argument("name")
@store_option
@reports_errors
def show(name: str, store_dir: Path) -> None:
    """Show one job class (by code or title) with the source line of every fact."""
    from rolegraph.lookup import class_details, find_class

    stdout = console()
    store = open_store(store_dir, read_only=True, on_wait=say_waiting)
    try:
        details = class_details(store, find_class(store, name))
    finally:
        store.close()
    ref = details.ref
    stdout.print(f"[bold]{ref.title}[/bold]" + (f"  (code {ref.code})" if ref.code else ""), highlight=False)
    stdout.print(f"[dim]{ref.iri}[/dim]", highlight=False)
    if ref.stub:
        stdout.print("Named by another specification, not specified itself.")

    def line(label: str, fact: Any, indent: str = "  ") -> None:
        where = f"  [dim]({fact.where})[/dim]" if fact.where else ""
        detail = f" [italic]{fact.detail}[/italic]:" if fact.detail else ""
        stdout.print(f"{indent}{label}{detail} {_escape(fact.value)}{where}",
                     highlight=False)

    for key, label in (("occupationLocation", "Jurisdiction"), ("payGrade", "Pay grade"), ("estimatedSalary", "Salary"),
                       ("department", "Department"), ("branch", "Branch"), ("group", "Group"), ("series", "Series"),
                       ("effectiveDate", "Effective"), ("description", "Summary")):
        for fact in details.facts.get(key, []):
            line(f"{label}:", fact, "")
    if details.sources:
        stdout.print("Sources: " + ", ".join(f"{source.value} (sha256 {source.detail[:12]})"
                                             for source in details.sources), highlight=False)
    if details.duties:
        stdout.print("\n[bold]Duties[/bold]")
        for number, (duty, tasks) in enumerate(details.duties, start=1):
            line(f"{number}.", duty)
            for task in tasks:
                line("-", task, "     ")
    for key, label in (("knowledge", "Knowledge"), ("skill", "Skills"), ("ability", "Abilities"),
                       ("competency", "Other competencies"), ("education", "Education"),
                       ("requirementPath", "Minimum qualifications (any one path)"), ("experience", "Experience"),
                       ("license", "Licenses and certificates")):
        facts = details.facts.get(key, [])
        if facts:
            stdout.print(f"\n[bold]{label}[/bold]")
            for fact in facts:
                line("-", fact)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


@cli.command()
@store_option
@click.option("--format", "format_name", type=click.Choice([*EXPORT_FORMATS, "kaggle-csv"]), default="trig",
              show_default=True, help="RDF format; turtle, nt and xml hold the union of all class graphs. "
              "kaggle-csv: the City of Los Angeles 25-field template, one row per requirement set/subset.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to FILE instead of stdout.")
@reports_errors
def export(store_dir: Path, format_name: str, output: Path | None) -> None:
    """Export the whole graph."""
    store = open_store(store_dir, read_only=True, on_wait=say_waiting)
    try:
        if format_name == "kaggle-csv":
            from rolegraph.kaggle import kaggle_rows, write_kaggle_csv

            text = io.StringIO()
            write_kaggle_csv(kaggle_rows(store), text)
            _write(text.getvalue().encode("utf-8"), output)
            return
        with _streamed(output) as target:  # streamed: at 100k classes the N-Quads are 5 GB
            store.export(target, format_name)
    finally:
        store.close()


@contextmanager
def _streamed(output: Path | None) -> Iterator[BinaryIO | Path]:
    """Where to write an export: stdout, or a file written whole or not at all (a partial file, then renamed).

    The file is given as a path: the store's serializer (Rust) opens and writes it itself, not block by block
    through a Python file object.
    """
    if output is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    partial = output.with_name(f".{output.name}.{os.getpid()}.partial")
    try:
        partial.open("wb").close()  # can the file be made? (a missing folder is named here, not by the store)
        yield partial
        os.replace(partial, output)
    except OSError as error:
        partial.unlink(missing_ok=True)
        fail(f"{output}: cannot write: {error.strerror or error}")
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--store", "store_dir", type=click.Path(path_type=Path), default=None,
              help="Report on a built store instead of reading PATHS.")
@reports_errors
def coverage(paths: tuple[Path, ...], store_dir: Path | None) -> None:
    """For each field, how many specifications yielded it; every section kept only as text, with file:line."""
    from rolegraph.coverage import coverage_of_classes, coverage_of_store, format_coverage
    from rolegraph.pipeline import parse_paths

    if bool(paths) == bool(store_dir):
        fail("give PATHS to read, or --store DIR, not both")
    if store_dir is not None:
        store = open_store(store_dir, read_only=True, on_wait=say_waiting)
        try:
            report = coverage_of_store(store)
        finally:
            store.close()
    else:
        parsed = parse_paths(paths)
        report = coverage_of_classes(parsed.classes)
        for failure in parsed.failures:
            click.echo(f"rolegraph: {failure}", err=True)
    click.echo(format_coverage(report))


def _write(data: bytes, output: Path | None) -> None:
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        output.write_bytes(data)
    except OSError as error:
        fail(f"{output}: cannot write: {error.strerror or error}")


@cli.command()
@click.argument("query_text", metavar="QUERY-or-@FILE")
@store_option
@click.option("--format", "format_name", type=click.Choice(["table", *RESULT_FORMATS]), default="table",
              show_default=True, help="SELECT/ASK results format (SPARQL 1.1 JSON, CSV, TSV, XML).")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to FILE instead of stdout.")
@reports_errors
def query(query_text: str, store_dir: Path, format_name: str, output: Path | None) -> None:
    """Run a SPARQL query over the union of all class graphs (prefixes rg:, schema:, skos:, prov: known).

    CONSTRUCT and DESCRIBE print Turtle.
    """
    if query_text.startswith("@"):
        try:
            query_text = Path(query_text[1:]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            fail(f"{query_text[1:]}: cannot read the query: {getattr(error, 'strerror', None) or error}")
    import pyoxigraph as ox

    store = open_store(store_dir, read_only=True, on_wait=say_waiting)
    try:
        result = store.query(query_text)
        buffer = io.BytesIO()
        if isinstance(result, ox.QueryTriples):
            from rolegraph.rdf.namespaces import PREFIXES

            ox.serialize(result, buffer, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
        elif format_name == "table":
            _print_table(result)
            return
        else:
            result.serialize(buffer, format=getattr(ox.QueryResultsFormat, RESULT_FORMATS[format_name]))
    finally:
        store.close()
    _write(buffer.getvalue(), output)


def _term_text(term: Any) -> str:
    return "" if term is None else term.value


def _print_table(result: Any) -> None:
    import pyoxigraph as ox

    if isinstance(result, ox.QueryBoolean):
        click.echo("true" if bool(result) else "false")  # as rich printed it; an ASK need not load rich
        return
    from rich.table import Table

    stdout = console()

    variables = [variable.value for variable in result.variables]
    table = Table(*variables, show_lines=False)
    rows = 0
    for solution in result:
        table.add_row(*(_escape(_term_text(solution[name])) for name in variables))
        rows += 1
    stdout.print(table)
    stdout.print(f"{rows} row{'s' if rows != 1 else ''}", style="dim")


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--store", "store_dir", type=click.UNPROCESSED, callback=_store_location, metavar="DIR|URL",
              help="Validate this store (directory or SPARQL server URL) instead of PATHS.")
@click.option("--shapes", "shape_paths", multiple=True, type=click.Path(path_type=Path),
              help="More SHACL shapes: a .ttl file or a folder of them (repeatable); shipped shapes run too.")
@click.option("--format", "format_name", type=TableChoice("rolegraph.validate:FORMAT_TO_WRITER"), default="text",
              show_default=True, help="Report format.")
@click.option("--fail-on", type=TableChoice("rolegraph.validate:SEVERITIES", reverse=True), default="violation",
              show_default=True, help="Exit 1 when a finding is at or above this severity.")
@click.option("--max-per-shape", type=click.IntRange(min=1), help="Show at most N findings per shape (text).")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the report to FILE.")
@click.option("--engine", type=TableChoice("rolegraph.validate:ENGINES"), default="auto", show_default=True,
              help="auto: SHACL as SPARQL queries on the store, pySHACL for shapes that engine cannot run; "
                   "sparql: that engine only; pyshacl: the reference (slow on large stores).")
@reports_errors
def validate(paths: tuple[Path, ...], store_dir: Path | None, shape_paths: tuple[Path, ...], format_name: str,
             fail_on: str, max_per_shape: int | None, output: Path | None, engine: str) -> None:
    """Check job specifications (PATHS, built in memory) or a --store against the SHACL shapes.

    Exit 0: nothing at or above --fail-on; 1: findings at or above it; 2: could not run (bad usage,
    unreadable input, bad shapes file).
    """
    from rolegraph.pipeline import build as build_specs
    from rolegraph.validate import load_shapes, source_paths_of, validate_store, write_report

    if bool(paths) == (store_dir is not None):
        fail("give the specifications to validate (PATHS) or --store DIR: one of the two")
    shapes = load_shapes(shape_paths)
    if paths:
        store = open_store(None)
        summary = build_specs(paths, store)
        for failure in summary.parsed.failures:
            click.echo(f"rolegraph: {failure}", err=True)
        if summary.parsed.failures:
            store.close()
            sys.exit(EXIT_CANNOT_RUN)
        source_paths = source_paths_of(summary.parsed.files)
    else:
        store = open_store(store_dir, read_only=True, on_wait=say_waiting)
        source_paths = {}
    try:
        report = validate_store(store, shapes, source_paths, engine=engine)
    finally:
        store.close()
    _write(write_report(report, format_name, fail_on, max_per_shape).encode("utf-8"), output)
    sys.exit(EXIT_FINDINGS if report.fails(fail_on) else EXIT_OK)


@cli.command()
@click.argument("from_class", metavar="FROM")
@click.argument("to_class", metavar="[TO]", required=False)
@store_option
@click.option("--max-steps", default=4, show_default=True, type=click.IntRange(1, 10),
              help="Longest path, in promotion steps.")
@click.option("--format", "format_name", type=TableChoice("rolegraph.ladders.render:FORMAT_TO_WRITER"),
              default="text",
              show_default=True, help="text (readable, each step explained), json, dot, graphml or svg.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to FILE instead of stdout.")
@reports_errors
def ladder(from_class: str, to_class: str | None, store_dir: Path, max_steps: int, format_name: str,
           output: Path | None) -> None:
    """Promotion paths from job class FROM (code or title), or only those reaching TO.

    Each step says why it exists: stated in a specification (explicit) or derived from grades,
    experience and shared skills, with the months still to gain and the skills shared and missing.
    """
    from rolegraph.ladders import paths as ladder_paths
    from rolegraph.ladders.query import paths_by_employer
    from rolegraph.ladders.render import FORMAT_TO_WRITER as LADDER_WRITERS

    store = open_store(store_dir, read_only=True, on_wait=say_waiting)
    try:
        if format_name == "text":  # two names several employers share: each employer's ladder in turn
            results = paths_by_employer(store, from_class, to_class, max_steps=max_steps)
        else:  # one picture or document: one ladder
            results = [ladder_paths(store, from_class, to_class, max_steps=max_steps)]
    finally:
        store.close()
    text = "\n".join(LADDER_WRITERS[format_name](result) for result in results)
    _write(text.encode("utf-8"), output)


@cli.command()
@store_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds a SPARQL query may run before it is stopped (503).")
@click.option("--threads", type=click.IntRange(1, 256),
              help="Request threads  [default: two per CPU core, from 4 to 8]")
@reports_errors
def serve(store_dir: Path, host: str, port: int, timeout: float, threads: int | None) -> None:
    """Serve the store read-only: SPARQL endpoint at /sparql, pages for people at /."""
    from rolegraph.web.server import default_threads
    from rolegraph.web.server import serve as serve_web

    serve_web(Settings(store=store_dir, query_timeout=timeout), host, port, threads or default_threads())


def main() -> None:
    """Console entry point."""
    cli(prog_name="rolegraph")


if __name__ == "__main__":
    main()
