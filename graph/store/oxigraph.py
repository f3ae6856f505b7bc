"""The embedded, persistent store: Oxigraph (pyoxigraph) in a directory, or in memory.

New class graphs are added by Oxigraph's bulk loader, whole graphs per ingestion; a changed class graph is
replaced by one SPARQL update, which Oxigraph applies as one transaction. Either way a build killed at any
moment leaves each class graph as it was or as it is now. A lock file keeps two writers apart; the second
waits up to ``lock_timeout`` seconds, then stops with a message naming the holder. Only the process that took the
lock holds it, never a process it forked, so a killed build leaves the store free (rolegraph.store.lock).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO, TYPE_CHECKING

import pyoxigraph as ox

from rolegraph.errors import QueryError, StoreError
from rolegraph.rdf.namespaces import PREFIXES, PROV, RG, SCHEMA
from rolegraph.store import EXPORT_FORMATS, QueryResult, WriteSummary
from rolegraph.store.lock import StoreLock

if TYPE_CHECKING:
    from rolegraph.rdf import ClassGraph

__all__ = ["OxigraphStore"]

SCHEMA_NAME = SCHEMA.name
CACHE_FOLDER = "parse-cache"  # see rolegraph.cache
MARKER_FILE = "ROLEGRAPH_STORE"  # says "this directory is a rolegraph store" before Oxigraph files exist
BATCH_QUADS = 200_000  # new class graphs are added this many quads per bulk ingestion...
FIRST_BATCH_QUADS = 25_000  # ...after batches doubling from this size, so loading starts early beside emitting
# A new graph given as Quad objects (the ladder graph) is added this many per ingestion: 200k Quads held at once
# were 110 MB of a 100k-class build's peak, as text they are a tenth of that
QUAD_BATCH = 50_000
DATASET_CLAUSE = re.compile(r"\bFROM\s+(?:NAMED\s+)?<", re.IGNORECASE)
FLUSH_EVERY_UPDATES = 200  # replaced class graphs between two flushes of Oxigraph's memory tables
UNION_TRIPLES = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"  # what nt, turtle and xml export


def _quad_text(quad: ox.Quad) -> str:
    return f"{quad.subject} {quad.predicate} {quad.object} ."


class _BackgroundLoader:
    """Feeds batches of N-Quads text to Oxigraph's bulk loader on a thread of its own.

    pyoxigraph parses and ingests text without holding the GIL, so the caller emits the next batch meanwhile.
    At most one batch is being loaded while the next is collected; leaving the ``with`` block waits for it,
    and a failed load is raised there (or at the next ``load``) as a StoreError.
    """

    def __init__(self, load: Callable[[bytes], None]) -> None:
        self._load = load
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="rolegraph-load")
        self._pending: Future[None] | None = None

    def load(self, data: bytes) -> None:
        self.wait()
        self._pending = self._executor.submit(self._load, data)

    @property
    def idle(self) -> bool:
        """Whether no batch is being loaded."""
        return self._pending is None or self._pending.done()

    def wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def __enter__(self) -> _BackgroundLoader:
        return self

    def __exit__(self, error_type: type[BaseException] | None, *rest: object) -> None:
        try:
            if error_type is None:
                self.wait()
            elif self._pending is not None:  # the caller failed: let the load in flight end, keep the first error
                futures.wait([self._pending])
        finally:
            self._executor.shutdown()


class OxigraphStore:
    """A rolegraph store backed by pyoxigraph. ``location`` None keeps everything in memory."""

    def __init__(self, location: str | Path | None, read_only: bool = False, lock_timeout: float = 60.0,
                 on_wait: Callable[[str], None] | None = None) -> None:
        self.location = str(location) if location is not None else ":memory:"
        self.read_only = read_only
        self._lock_held: StoreLock | None = None
        if location is None:
            self._store = ox.Store()
            return
        path = Path(location)
        self._check_directory(path, read_only)
        self._lock(path, exclusive=not read_only, timeout=lock_timeout, on_wait=on_wait)
        try:
            self._store = ox.Store.read_only(str(path)) if read_only else ox.Store(str(path))
        except OSError as error:
            self._unlock()
            raise StoreError(f"{path}: cannot open the store: {error}") from None

    @staticmethod
    def _check_directory(path: Path, read_only: bool) -> None:
        if path.exists() and not path.is_dir():
            raise StoreError(f"{path}: not a directory; --store names a directory (or an http(s) URL)")
        if read_only:
            if not (path / MARKER_FILE).exists():
                raise StoreError(f"{path}: no rolegraph store here; run 'rolegraph build SPECS --store {path}'")
            return
        if path.exists() and any(path.iterdir()) and not (path / MARKER_FILE).exists():
            raise StoreError(f"{path}: directory is not empty and is not a rolegraph store; "
                             "choose an empty or new directory")
        try:
            path.mkdir(parents=True, exist_ok=True)
            if not (path / MARKER_FILE).exists():
                (path / MARKER_FILE).write_text("rolegraph store (Oxigraph)\n", encoding="utf-8")
        except OSError as error:
            raise StoreError(f"{path}: cannot create the store: {error.strerror or error}") from None

    def _lock(self, path: Path, exclusive: bool, timeout: float, on_wait: Callable[[str], None] | None) -> None:
        self._lock_held = StoreLock(path, exclusive, timeout, on_wait)  # see rolegraph.store.lock

    def _unlock(self) -> None:
        if self._lock_held is not None:
            self._lock_held.release()
            self._lock_held = None

    @property
    def oxigraph(self) -> ox.Store:
        """The pyoxigraph Store itself, for engines that query it directly (the SPARQL validation engine)."""
        return self._store

    @property
    def cache_directory(self) -> Path | None:
        """Where a build keeps its parse cache: inside the store directory (none in memory or read-only)."""
        if self.location == ":memory:" or self.read_only:
            return None
        return Path(self.location) / CACHE_FOLDER

    def _writable(self) -> None:
        if self.read_only:
            raise StoreError(f"{self.location}: the store is open read-only")

    # -- writing ---------------------------------------------------------------------------------

    def replace_class_graphs(self, graphs: Iterable[ClassGraph],
                             replaces_sources: Iterable[str] = (), unchanged: Iterable[str] = (),
                             existing: Mapping[str, str] | None = None) -> WriteSummary:
        self._writable()
        summary = WriteSummary(unchanged=list(unchanged))
        existing = existing if existing is not None else self.class_graph_hashes()
        produced: set[str] = set(summary.unchanged)
        batch: list[bytes] = []  # N-Quads of new graphs, for the next bulk ingestion
        batch_quads, batch_limit = 0, FIRST_BATCH_QUADS
        # In memory a bulk ingestion makes no files, so its size does not matter: the loader is given what there is
        # whenever it is idle (it then never waits while quads are at hand, and little is left once all are made).
        eager = self.location == ":memory:"
        replaced = 0
        with _BackgroundLoader(self._load_nquads) as loader:
            for graph in summary.to_write(graphs, existing, produced):
                name = graph.graph.value
                if name in existing:  # replace: drop and insert in one update, one transaction
                    body = "\n".join(f"{line} ." for line in graph.triple_lines(with_marker=True))
                    shared = "".join(f"GRAPH {place} {{ {triple} . }}\n"
                                     for triple, place in (line.rsplit(" ", 1) for line in graph.shared_lines))
                    loader.wait()  # one writer at a time
                    self._update(f"DROP SILENT GRAPH <{name}> ;\n"
                                 f"INSERT DATA {{ GRAPH <{name}> {{\n{body}\n}}\n{shared}}}")
                    replaced += 1
                    if replaced % FLUSH_EVERY_UPDATES == 0:
                        self._store.flush()  # bounds memory
                else:  # new: added whole with other new graphs, one bulk ingestion per batch
                    batch += (graph.nquads, graph.marker_nquads(), graph.shared_nquads)
                    batch_quads += graph.size + 2
                    if batch_quads >= batch_limit or (eager and loader.idle):
                        loader.load(b"".join(batch))
                        batch, batch_quads, batch_limit = [], 0, min(2 * batch_limit, BATCH_QUADS)
            if batch:
                loader.load(b"".join(batch))
        for stale in sorted(self._graphs_from_sources(set(existing) - produced, set(replaces_sources))):
            self._update(f"DROP SILENT GRAPH <{stale}>")
            summary.removed.append(stale)
        summary.others = sorted(set(existing) - produced - set(summary.removed))
        return summary

    def replace_graph(self, graph: str, quads: Iterable[ox.Quad]) -> None:
        """Replace one named graph in one transaction; only the difference is written.

        An unchanged graph is not touched; a new graph is streamed in by bulk ingestion (one, so all or nothing,
        up to ``QUAD_BATCH``; beyond, complete once its content-hash marker, written last, is there); otherwise
        one update deletes the quads that went and inserts the new ones.
        """
        self._writable()
        node = ox.NamedNode(graph)
        if next(iter(self._store.quads_for_pattern(None, None, None, node)), None) is None:
            self._add_graph(node, quads)
            return
        new = {ox.Quad(quad.subject, quad.predicate, quad.object, node) for quad in quads}
        current = set(self._store.quads_for_pattern(None, None, None, node))
        if new == current:
            return
        gone = "\n".join(sorted(_quad_text(quad) for quad in current - new))
        added = "\n".join(sorted(_quad_text(quad) for quad in new - current))
        self._update(f"DELETE DATA {{ GRAPH <{graph}> {{\n{gone}\n}} }} ;\n"
                     f"INSERT DATA {{ GRAPH <{graph}> {{\n{added}\n}} }}")

    def _add_graph(self, node: ox.NamedNode, quads: Iterable[ox.Quad]) -> None:
        """Stream a new graph in, ``QUAD_BATCH`` quads per ingestion (the ladder graph of 10k classes held
        900k quads at once: half a GB); its content-hash marker (if any) goes in the last: a graph whose marker is
        there is complete."""
        markers: list[ox.Quad] = []
        chunk: list[ox.Quad] = []
        for quad in quads:
            if quad.graph_name != node:
                quad = ox.Quad(quad.subject, quad.predicate, quad.object, node)
            if quad.predicate == RG.contentHash:
                markers.append(quad)
                continue
            chunk.append(quad)
            if len(chunk) >= QUAD_BATCH:
                self._add_new(chunk)
                chunk = []
        chunk.extend(markers)
        if chunk:
            self._add_new(chunk)

    def graph_marker(self, graph: str) -> str | None:
        node = ox.NamedNode(graph)
        hashes = [quad.object.value for quad in self._store.quads_for_pattern(node, RG.contentHash, None, node)]
        return hashes[0] if len(hashes) == 1 else None

    def change_graph(self, graph: str, removed: Iterable[ox.Quad], added: Iterable[ox.Quad], marker: str) -> None:
        self._writable()
        gone = "\n".join(_quad_text(quad) for quad in removed)
        new = "\n".join(_quad_text(quad) for quad in added)
        self._update(f"DELETE WHERE {{ GRAPH <{graph}> {{ <{graph}> <{RG.contentHash.value}> ?hash }} }} ;\n"
                     f"DELETE DATA {{ GRAPH <{graph}> {{\n{gone}\n}} }} ;\n"
                     f"INSERT DATA {{ GRAPH <{graph}> {{\n{new}\n<{graph}> <{RG.contentHash.value}> "
                     f"{ox.Literal(marker)} .\n}} }}")

    def _add_new(self, quads: list[ox.Quad]) -> None:
        """Add quads with Oxigraph's bulk loader: sorted files ingested into the database in one step.

        The loader ingests each run of up to 1M quads (its batch size) atomically, so a batch of at most
        ``BATCH_QUADS`` is all written or not at all, even when the process is killed; it needs no flush and
        keeps nothing in memory tables.
        """
        self._bulk(lambda: self._store.bulk_extend(quads))

    def _load_nquads(self, data: bytes) -> None:
        """Bulk-load N-Quads text (as :meth:`_add_new`, but Oxigraph parses the text, without the GIL).

        The text is a class graph's, as rdf.emit writes it: every IRI in it was made a pyoxigraph NamedNode (which
        checks it) on its way there, and literals are quoted as Oxigraph writes them. So the loader reads it
        leniently, without checking every IRI again (a quarter of the load's time). In memory it is loaded in one
        transaction: the bulk loader's sorted files are for a store on disk (there, 15 % more time).
        """
        load = self._store.load if self.location == ":memory:" else self._store.bulk_load
        self._bulk(lambda: load(data, format=ox.RdfFormat.N_QUADS, lenient=True))

    def _bulk(self, write: Callable[[], None]) -> None:
        try:
            write()
        except OSError as error:
            raise StoreError(f"{self.location}: write failed, nothing of this batch was written: {error}") from None

    def _update(self, update: str) -> None:
        try:
            self._store.update(update)
        except OSError as error:
            raise StoreError(f"{self.location}: write failed, nothing was changed: {error}") from None

    def _graphs_from_sources(self, graphs: set[str], names: set[str]) -> set[str]:
        """Those of ``graphs`` (class graphs) built from a source file named in ``names``.

        Only the graphs a build did not produce are looked at, one by one: on a rebuild they are few.
        """
        if not names or not graphs:
            return set()
        found = set()
        for graph in graphs:
            node = ox.NamedNode(graph)
            documents = {quad.object for quad in self._store.quads_for_pattern(None, PROV.wasDerivedFrom, None, node)}
            if any(quad.object.value in names
                   for document in documents
                   for quad in self._store.quads_for_pattern(document, SCHEMA_NAME, None, node)):
                found.add(graph)
        return found

    def import_data(self, data: bytes, format_name: str) -> int:
        self._writable()
        rdf_format, keeps_graphs = self._format(format_name)
        if not keeps_graphs:
            raise StoreError(f"import needs a format that keeps named graphs (nq, trig, jsonld), "
                             f"not {format_name}")
        from rolegraph.cache import SNAPSHOT_STATE, forget_state  # the parse cache loads the model: only here

        forget_state(self.cache_directory, SNAPSHOT_STATE)  # the next build checks every class graph again
        try:
            self._store.load(data, format=rdf_format)
        except (SyntaxError, ValueError, OSError) as error:
            raise StoreError(f"cannot import: {error}") from None
        return len(self._store)

    # -- reading ---------------------------------------------------------------------------------

    def query(self, sparql: str, union: bool = True, default_graph: list[str] | None = None,
              named_graphs: list[str] | None = None, base_iri: str | None = None) -> QueryResult:
        """Run a query; ``default_graph``/``named_graphs`` (graph IRIs) replace its dataset, as the SPARQL
        protocol's default-graph-uri and named-graph-uri do (one given alone leaves the other empty);
        ``base_iri`` resolves relative IRIs (a BASE in the query wins)."""
        # A query with its own FROM / FROM NAMED names its dataset; the union would override it.
        dataset: dict[str, object] = {"use_default_graph_as_union": union and not DATASET_CLAUSE.search(sparql)}
        if default_graph is not None or named_graphs is not None:
            dataset = {"default_graph": [ox.NamedNode(graph) for graph in default_graph or []],
                       "named_graphs": [ox.NamedNode(graph) for graph in named_graphs or []]}
        try:
            return self._store.query(sparql, prefixes=PREFIXES, base_iri=base_iri, **dataset)
        except SyntaxError as error:
            raise QueryError(f"malformed SPARQL: {error}") from None
        except (OSError, ValueError, RuntimeError) as error:
            raise QueryError(f"query failed: {error}") from None

    def export(self, output: IO[bytes] | Path, format_name: str) -> None:
        """Write the dataset (nq, trig, jsonld) or the union of its graphs (nt, turtle, xml) to a binary stream or
        a file (a path, which Oxigraph opens and writes itself).

        The dataset is written by ``Store.dump``. The union is a CONSTRUCT over it (Oxigraph keeps each triple once,
        which takes memory for every distinct triple: 0.4 GB at 2,000 classes); its N-Triples and RDF/XML are
        written by the query result itself, no triple passing through Python; its Turtle by ``pyoxigraph.serialize``,
        the serializer that takes prefixes, which reads each triple as a Python object.
        """
        rdf_format, keeps_graphs = self._format(format_name)
        prefixes = PREFIXES if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None
        target = str(output) if isinstance(output, Path) else output
        if keeps_graphs:
            self._store.dump(target, format=rdf_format, prefixes=prefixes)
            return
        triples = self.query(UNION_TRIPLES)
        assert isinstance(triples, ox.QueryTriples)
        if prefixes is None:
            triples.serialize(target, format=rdf_format)
        else:
            ox.serialize(triples, target, format=rdf_format, prefixes=prefixes)

    @staticmethod
    def _format(format_name: str) -> tuple[ox.RdfFormat, bool]:
        if format_name not in EXPORT_FORMATS:
            raise StoreError(f"unknown format {format_name!r}; choose one of {', '.join(EXPORT_FORMATS)}")
        attribute, keeps_graphs = EXPORT_FORMATS[format_name]
        return getattr(ox.RdfFormat, attribute), keeps_graphs

    def class_graph_hashes(self) -> dict[str, str]:
        result = self.query(f"SELECT ?g ?hash WHERE {{ GRAPH ?g {{ ?g <{RG.contentHash.value}> ?hash ; "
                            f"<{RG.describes.value}> ?class }} }}",
                            union=False)
        return {solution["g"].value: solution["hash"].value for solution in result}

    def compact(self) -> None:
        """Merge the files a large build left (RocksDB's sorted tables, from its many bulk loads): at 100k classes
        (61 s to compact) a validation of the store took 31.5 s before, 25.3 s after."""
        if self.location != ":memory:":
            self._writable()
            self._store.optimize()

    def __len__(self) -> int:
        return len(self._store)

    def close(self) -> None:
        if getattr(self, "_store", None) is not None and not self.read_only:
            self._store.flush()
        self._store = None  # type: ignore[assignment]
        self._unlock()

    def __enter__(self) -> OxigraphStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
