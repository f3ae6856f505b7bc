"""build(): read -> parse -> merge -> RDF -> store, with a summary of what happened.

A failed file is a result (listed in the summary), not an exception: every other file is still built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rolegraph.errors import SourceError
from rolegraph.merge import add_named_classes, merge_classes
from rolegraph.model import JobClass
from rolegraph.parser import parse_spec
from rolegraph.rdf import ClassGraph, Iris, emit_class_graphs
from rolegraph.readers import iter_source_paths, read_source
from rolegraph.store import Store, WriteSummary

__all__ = ["Failure", "Parsed", "BuildSummary", "parse_paths", "build"]

Progress = Callable[[Path], None]


@dataclass(frozen=True)
class Failure:
    """A file that could not be built, and why (one line)."""

    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class Parsed:
    """Job classes parsed and merged from a set of paths, with the files that failed."""

    classes: list[JobClass]
    files: list[Path]
    failures: list[Failure] = field(default_factory=list)

    @property
    def source_names(self) -> list[str]:
        return [path.name for path in self.files]


@dataclass
class BuildSummary:
    parsed: Parsed
    graphs: list[ClassGraph]
    written: WriteSummary

    @property
    def classes(self) -> int:
        return sum(1 for job_class in self.parsed.classes if not job_class.stub)

    @property
    def stubs(self) -> int:
        return sum(1 for job_class in self.parsed.classes if job_class.stub)

    @property
    def ok(self) -> bool:
        return not self.parsed.failures


def parse_paths(paths: Iterable[Path | str], progress: Progress | None = None) -> Parsed:
    """Read and parse every file under ``paths``, merge renderings of one class, add named stub classes."""
    parsed: list[JobClass] = []
    files: list[Path] = []
    failures: list[Failure] = []
    for path in iter_source_paths(paths):
        if progress is not None:
            progress(path)
        files.append(path)
        try:
            parsed.append(parse_spec(read_source(path)))
        except SourceError as error:
            failures.append(Failure(path, error.reason))
        except RecursionError:
            failures.append(Failure(path, "too deeply nested to parse"))
    return Parsed(add_named_classes(merge_classes(parsed)), files, failures)


def build(paths: Iterable[Path | str], store: Store, iris: Iris | None = None,
          progress: Progress | None = None) -> BuildSummary:
    """Build the specifications under ``paths`` into ``store``.

    Stages: read (readers) -> parse (parser) -> merge (merge) -> RDF (rdf.emit) -> store. Each class
    graph is written in its own transaction; graphs built earlier from the same files and no longer
    produced are removed.
    """
    parsed = parse_paths(paths, progress)
    graphs = emit_class_graphs(parsed.classes, iris)
    good_sources = [path.name for path in parsed.files if all(f.path != path for f in parsed.failures)]
    written = store.replace_class_graphs(graphs, replaces_sources=good_sources)
    return BuildSummary(parsed, graphs, written)
