"""Stores: the only code that opens one. One small interface, an embedded Oxigraph behind it by default.

>>> store = open_store(None)   # in memory, for tests and one-off validation
>>> store.class_graph_hashes()
{}
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from pyoxigraph import QueryBoolean, QuerySolutions, QueryTriples

if TYPE_CHECKING:  # the emitter (and the parser tables it reads) stays unloaded for commands that only read
    from rolegraph.rdf import ClassGraph

__all__ = ["EXPORT_FORMATS", "QueryResult", "Store", "WriteSummary", "is_remote_location", "open_store"]

QueryResult = QuerySolutions | QueryBoolean | QueryTriples

# CLI format name -> (pyoxigraph RdfFormat attribute, whether the format keeps named graphs)
EXPORT_FORMATS: dict[str, tuple[str, bool]] = {
    "turtle": ("TURTLE", False),
    "trig": ("TRIG", True),
    "nt": ("N_TRIPLES", False),
    "nq": ("N_QUADS", True),
    "jsonld": ("JSON_LD", True),
    "xml": ("RDF_XML", False),
}


@dataclass
class WriteSummary:
    """What a write did: graphs written, left as they were (same content), and removed (stale); ``others`` are
    class graphs already in the store that this write neither produced nor removed (built from other files)."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    triples: int = 0
    others: list[str] = field(default_factory=list)

    def to_write(self, graphs: Iterable[ClassGraph], existing: Mapping[str, str],
                 produced: set[str]) -> Iterator[ClassGraph]:
        """Those of ``graphs`` a store does not hold as they are (``existing``: graph IRI -> content hash), listed
        as written when yielded; every graph is counted in ``triples``, named in ``produced``, and listed as
        unchanged when the store has it already."""
        for graph in graphs:
            name = graph.graph.value
            produced.add(name)
            self.triples += graph.size
            if existing.get(name) == graph.content_hash:
                self.unchanged.append(name)
                continue
            self.written.append(name)
            yield graph


class Store(Protocol):
    """What the pipeline needs of a store. Implementations: oxigraph.OxigraphStore (embedded, in memory),
    remote.RemoteStore (any SPARQL 1.1 server)."""

    location: str

    def replace_class_graphs(self, graphs: Iterable[ClassGraph],
                             replaces_sources: Iterable[str] = (), unchanged: Iterable[str] = (),
                             existing: Mapping[str, str] | None = None) -> WriteSummary:
        """Write each class graph in its own transaction (skipping unchanged ones) and drop graphs
        built earlier from ``replaces_sources`` (file names) that this build no longer produces.
        ``unchanged`` names graphs the build produces but did not emit again (the caller has checked that the
        store holds them as they are); ``existing`` is :meth:`class_graph_hashes` when the caller has just
        read it (8 s at 100k classes on disk), so the store does not read it again."""
        ...

    def replace_graph(self, graph: str, quads: Iterable[object]) -> None:
        """Replace one named graph (e.g. the ladder graph) in one transaction."""
        ...

    def graph_marker(self, graph: str) -> str | None:
        """The content hash a named graph records of itself (``<graph> rg:contentHash ?hash``), or None."""
        ...

    def change_graph(self, graph: str, removed: Iterable[object], added: Iterable[object], marker: str) -> None:
        """Remove and add quads of one named graph and record its new content hash, in one transaction."""
        ...

    def query(self, sparql: str) -> QueryResult:
        """Run a SPARQL 1.1 query; the default graph is the union of all named graphs."""
        ...

    def export(self, output: IO[bytes] | Path, format_name: str) -> None:
        """Write the whole dataset (or, for triple formats, the union graph) in a format of EXPORT_FORMATS, to a
        binary stream or a file (a path: the serializer writes it itself)."""
        ...

    def import_data(self, data: bytes, format_name: str) -> int:
        """Load a dataset exported earlier; returns the number of quads now in the store."""
        ...

    def class_graph_hashes(self) -> dict[str, str]:
        """Named graph IRI -> content hash, for every class graph in the store."""
        ...

    def compact(self) -> None:
        """Reorganise the store's files for reading, after a build that wrote much (no-op where the store is not
        ours to organise: in memory, or a server)."""
        ...

    def __len__(self) -> int: ...

    def close(self) -> None: ...


def is_remote_location(location: object) -> bool:
    """Return whether a ``--store`` value names a server (a URL) rather than a directory.

    >>> is_remote_location("http://127.0.0.1:7878"), is_remote_location("ftp://host")
    (True, True)
    >>> is_remote_location("rolegraph-data"), is_remote_location(None)
    (False, False)
    """
    return isinstance(location, str) and ("://" in location or location.lower().startswith(("http:", "https:")))


def open_store(location: str | Path | None, read_only: bool = False, lock_timeout: float = 60.0,
               on_wait: Callable[[str], None] | None = None) -> Store:
    """Open the store at ``location``: an http(s) URL (a SPARQL 1.1 server, see store.remote), a directory
    (embedded Oxigraph, created if missing) or None (memory).

    ``on_wait`` is told, once, why opening waits (another process holds the store) before it waits.
    """
    if is_remote_location(location):
        from rolegraph.store.remote import RemoteStore  # requests and its kin load only for a server

        return RemoteStore(str(location), read_only=read_only)
    from rolegraph.store.oxigraph import OxigraphStore

    return OxigraphStore(location, read_only=read_only, lock_timeout=lock_timeout, on_wait=on_wait)
