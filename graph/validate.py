"""Validation: quads + SHACL shapes -> a Report of Findings an HR analyst (and a CI) can read.

The checking is SHACL as pySHACL does it, run by one of two engines (``ENGINES``): by default the shapes run
as set-oriented SPARQL queries on the Oxigraph store (``rolegraph.shacl_sparql``), with the same results as
pySHACL; pySHACL itself (every quad copied into rdflib) is the reference, and runs shapes that the SPARQL
engine does not compile. This module adds what SHACL cannot know: which job class a finding is about,
and the file and line it comes from (rdflib's parsers keep no positions, rolegraph's provenance does), read
from the store through its indexes, or from the rdflib graph on the pySHACL path.
A finding points at the line of the fact (``rg:lineStart`` of a fact node or of the ``rg:factSource``
of a literal) or, for a missing fact, at the line of the class's title.

Writers turn a Report into text, turtle, json, junit, github or sarif (``FORMAT_TO_WRITER``).
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote
from xml.etree import ElementTree

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from rdflib.plugins.sparql import prepareQuery
from rdflib.term import Node

from rolegraph import __version__
from rolegraph.errors import ShapesError
from rolegraph.rdf.namespaces import PROV, RG, SCHEMA
from rolegraph.resources import shape_files
from rolegraph.shacl_sparql import (
    ShaclPlan,
    ShaclResult,
    UnsupportedShapes,
    compile_shapes,
    flatten,
    report_graph,
    run_plan,
    term_converter,
)

if TYPE_CHECKING:
    from rolegraph.store import Store

__all__ = [
    "SEVERITIES",
    "ENGINES",
    "FORMAT_TO_WRITER",
    "Finding",
    "CheckedClass",
    "ShapeInfo",
    "Report",
    "load_shapes",
    "data_graph",
    "run_pyshacl",
    "validate_quads",
    "validate_store",
    "write_report",
    "severity_rank",
    "source_paths_of",
]

SEVERITIES = ("info", "warning", "violation")  # weakest first: the order is the meaning
# auto: SPARQL on the store, pySHACL when the shapes use what the SPARQL engine does not run; sparql: only
# the SPARQL engine (an error if it cannot); pyshacl: the reference (every quad into rdflib, then pySHACL).
ENGINES = ("auto", "sparql", "pyshacl")
SH_TO_SEVERITY = {SH.Info: "info", SH.Warning: "warning", SH.Violation: "violation"}
# advanced: the completeness shapes target "every job class but stubs" with a SHACL-AF SPARQL target.
PYSHACL_OPTIONS = {"inference": "none", "advanced": True, "abort_on_first": False, "allow_infos": True,
                   "allow_warnings": True, "meta_shacl": False}
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
# Results that say a fact is absent: reported at the line of the class's title.
MISSING_FACT_COMPONENTS = {SH.MinCountConstraintComponent, SH.QualifiedMinCountConstraintComponent}

_URI = {name: URIRef(term.value) for name, term in (
    ("name", SCHEMA.name), ("identifier", SCHEMA.identifier), ("factSource", RG.factSource),
    ("property", RG.property), ("lineStart", RG.lineStart), ("derived", PROV.wasDerivedFrom),
    ("describes", RG.describes), ("stub", RG.stub), ("JobClass", RG.JobClass), ("fromClass", RG.fromClass))}


def severity_rank(severity: str) -> int:
    """The rank of a severity name, weakest first.

    >>> severity_rank("info") < severity_rank("warning") < severity_rank("violation")
    True
    """
    return SEVERITIES.index(severity)


@dataclass(frozen=True)
class Finding:
    """One thing a shape found, said for a person: where, how bad, what."""

    severity: str  # info | warning | violation
    shape: str  # the shape's sh:name
    shape_id: str  # a stable identifier (local name of the shape IRI): SARIF rule id, JUnit testcase
    message: str
    focus_class: str  # IRI of the job class the finding is about ("" when none could be told)
    file: str | None
    line: int | None
    focus_node: str
    path: str | None = None
    value: str | None = None

    def where(self) -> str:
        """``file:line`` (or what is known of it).

        >>> Finding("info", "S", "S", "m", "", "a.txt", 7, "x").where()
        'a.txt:7'
        """
        return f"{self.file or '<unknown file>'}{f':{self.line}' if self.line else ''}"


@dataclass(frozen=True)
class CheckedClass:
    """A job class the shapes were checked against, with where its title was read."""

    iri: str
    title: str
    code: str | None
    file: str | None
    line: int | None
    stub: bool = False

    @property
    def label(self) -> str:
        return f"{self.title} ({self.code})" if self.code else self.title


@dataclass(frozen=True)
class ShapeInfo:
    """A named shape of the shapes graph: what JUnit lists as a testcase and SARIF as a rule."""

    shape_id: str
    name: str
    message: str
    severity: str


@dataclass
class Report:
    """Everything a validation run found, in a stable order, plus pySHACL's own report graph."""

    findings: list[Finding]
    classes: list[CheckedClass]
    shapes: list[ShapeInfo]
    report_graph: Graph | Callable[[], Graph] = field(repr=False, default_factory=Graph)
    engine: str = "pyshacl"  # the engine that found the findings: "sparql" or "pyshacl"

    @property
    def graph(self) -> Graph:
        """The sh:ValidationReport graph (pySHACL's, or the same content made from the SPARQL engine's results,
        made on first use)."""
        if not isinstance(self.report_graph, Graph):
            self.report_graph = self.report_graph()
        return self.report_graph

    def counts(self) -> dict[str, int]:
        """Findings per severity, every severity present (0 when none)."""
        counted = Counter(finding.severity for finding in self.findings)
        return {severity: counted[severity] for severity in reversed(SEVERITIES)}

    def shape_counts(self) -> dict[str, int]:
        """Findings per shape name, most first (ties by name)."""
        counted = Counter(finding.shape for finding in self.findings)
        return dict(sorted(counted.items(), key=lambda item: (-item[1], item[0])))

    def at_or_above(self, fail_on: str) -> list[Finding]:
        rank = severity_rank(fail_on)
        return [finding for finding in self.findings if severity_rank(finding.severity) >= rank]

    def fails(self, fail_on: str = "violation") -> bool:
        """True when a finding is at or above ``fail_on`` (what makes the command exit 1)."""
        return bool(self.at_or_above(fail_on))


# -- shapes ------------------------------------------------------------------------------------------

def _shape_sources(extra: Iterable[Path], shipped: bool) -> list[Path | Traversable]:
    sources: list[Path | Traversable] = list(shape_files()) if shipped else []
    for given in extra:
        path = Path(given)
        if path.is_dir():
            sources.extend(sorted(entry for entry in path.iterdir() if entry.suffix in (".ttl", ".trig")))
        else:
            sources.append(path)
    return sources


def load_shapes(extra: Iterable[Path] = (), shipped: bool = True) -> Graph:
    """Return the shapes graph: the shipped shapes (unless ``shipped`` is False) plus every ``.ttl`` file
    in ``extra`` (files, or folders of them).

    Raises:
        ShapesError: naming the file and why it cannot be read.
    """
    graph = Graph()
    files: list[tuple[str, Graph]] = []
    shipped_files = {str(source) for source in shape_files()} if shipped else set()
    for source in _shape_sources(extra, shipped):
        name = str(source)
        try:
            text = source.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ShapesError(f"{name}: shapes file not found") from None
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or error
            raise ShapesError(f"{name}: cannot read the shapes file: {reason}") from None
        one = Graph()
        try:
            syntax = "trig" if name.endswith(".trig") else "turtle"
            one.parse(data=text, format=syntax, publicID=_public_id(name))
        except Exception as error:  # rdflib raises many types for bad syntax; each becomes one line
            raise ShapesError(f"{name}: not valid Turtle: {_one_line(error)}") from None
        graph += one
        if name not in shipped_files:  # the shipped shapes are checked by the test suite (test_shipped_sparql_parses)
            files.append((name, one))
    for name, one in files:
        _check_sparql(name, one, graph)
    return graph


def _check_sparql(name: str, shapes: Graph, everything: Graph) -> None:
    """Raise ShapesError naming ``name`` if one of its SPARQL constraints does not parse.

    pySHACL would only fail once a focus node reaches the constraint, without naming the file.
    """
    prefixes = "".join(f"PREFIX {everything.value(declaration, SH.prefix)}: "
                       f"<{everything.value(declaration, SH.namespace)}>\n"
                       for declaration in set(everything.objects(None, SH.declare)))
    for predicate in (SH.select, SH.ask, SH.construct):
        for query in shapes.objects(None, predicate):
            try:
                prepareQuery(prefixes + str(query))
            except Exception as error:  # pyparsing and rdflib errors: each becomes one line
                raise ShapesError(f"{name}: a SPARQL constraint does not parse: {_one_line(error)}") from None


def _public_id(name: str) -> str:
    return "file:///" + quote(Path(name).name)


def _one_line(error: BaseException) -> str:
    return re.sub(r"\s+", " ", str(error)).strip()[:300] or type(error).__name__


def _local_name(iri: str) -> str:
    """The last segment of an IRI.

    >>> _local_name("https://w3id.org/rolegraph/shapes#PayGrade")
    'PayGrade'
    """
    return re.split(r"[#/]", iri.rstrip("#/"))[-1]


def _shape_id(shape: Node, name: str) -> str:
    if isinstance(shape, URIRef):
        return _local_name(str(shape))
    return re.sub(r"[^A-Za-z0-9]+", "", name.title()) or "Shape"


def _named_shape(shapes: Graph, shape: Node) -> Node:
    """The shape a finding is reported under: ``shape`` or the nearest named shape it is a property of."""
    seen = {shape}
    current = shape
    while shapes.value(current, SH.name) is None:
        parent = next(iter(shapes.subjects(SH.property, current)), None) or next(
            iter(shapes.subjects(SH.node, current)), None)
        if parent is None or parent in seen:
            return shape
        seen.add(parent)
        current = parent
    return current


def _shape_infos(shapes: Graph) -> list[ShapeInfo]:
    """Shapes that have a target (the checks a class is put through), sorted by id."""
    targets = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)
    infos: dict[str, ShapeInfo] = {}
    for shape in {shape for target in targets for shape in shapes.subjects(target, None)}:
        info = _shape_info(shapes, shape)
        infos.setdefault(info.shape_id, info)
    return sorted(infos.values(), key=lambda info: info.shape_id)


def _shape_info(shapes: Graph, shape: Node) -> ShapeInfo:
    name = str(shapes.value(shape, SH.name) or _local_name(str(shape)))
    severity = SH_TO_SEVERITY.get(shapes.value(shape, SH.severity), "violation")  # type: ignore[arg-type]
    return ShapeInfo(_shape_id(shape, name), name, str(shapes.value(shape, SH.message) or ""), severity)


# -- data --------------------------------------------------------------------------------------------

@dataclass
class _Data:
    graph: Graph
    class_of_graph: dict[Node, Node]
    graph_of_node: dict[Node, Node]


_term_converter = term_converter


def data_graph(quads: Iterable[ox.Quad]) -> Graph:
    """Return the union of the quads' graphs as one rdflib Graph (what pySHACL validates).

    >>> node = ox.NamedNode("https://example.org/a")
    >>> len(data_graph([ox.Quad(node, node, ox.Literal("x"), node)]))
    1
    """
    return _read_data(quads).graph


def _read_data(quads: Iterable[ox.Quad]) -> _Data:
    graph = Graph()
    convert = _term_converter()
    class_of_graph: dict[Node, Node] = {}
    graph_of_node: dict[Node, Node] = {}
    describes = RG.describes
    add = graph.store.add  # the store's own add: Graph.add only re-checks the terms convert() made
    for quad in quads:
        subject, predicate, obj = convert(quad.subject), convert(quad.predicate), convert(quad.object)
        add((subject, predicate, obj), graph, False)
        if isinstance(quad.graph_name, ox.DefaultGraph):
            continue
        name = convert(quad.graph_name)
        graph_of_node.setdefault(subject, name)
        if quad.predicate == describes and quad.subject == quad.graph_name:
            class_of_graph[name] = obj
    return _Data(graph, class_of_graph, graph_of_node)


# -- validation --------------------------------------------------------------------------------------

def run_pyshacl(data: Graph, shapes: Graph) -> tuple[bool, Graph]:
    """Run pySHACL (no inference, every severity reported) on ``data`` in place; return (conforms, report).

    Raises:
        ShapesError: when pySHACL cannot use the shapes (e.g. a malformed SPARQL constraint).
    """
    import pyshacl  # here: the reference engine; every other command need not load it (0.3 s)

    try:
        conforms, report, _text = pyshacl.validate(data, shacl_graph=shapes, inplace=True, **PYSHACL_OPTIONS)
    except Exception as error:  # pySHACL raises its own and rdflib's errors for unusable shapes
        raise ShapesError(f"the shapes cannot be used: {_one_line(error)}") from None
    return bool(conforms), report


def validate_quads(quads: Iterable[ox.Quad], shapes: Graph | None = None,
                   source_paths: Mapping[str, str] | None = None, engine: str = "auto") -> Report:
    """Validate the union of ``quads`` against ``shapes`` (default: the shipped shapes).

    ``source_paths`` maps a source document's name (as the store keeps it) to the path to report, e.g.
    the path given on the command line, so that a CI can annotate the right file. ``engine`` is one of
    ENGINES.
    """
    shapes = shapes if shapes is not None else load_shapes()
    if engine not in ENGINES:
        raise ValueError(f"unknown validation engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if engine == "pyshacl":
        return _validate_pyshacl(quads, shapes, dict(source_paths or {}))
    quads = list(quads)
    store = ox.Store()
    store.bulk_extend(quads)
    first_graph: dict[object, ox.NamedNode | ox.BlankNode] = {}  # as the pySHACL path reads them: in order
    for quad in quads:
        if not isinstance(quad.graph_name, ox.DefaultGraph):
            first_graph.setdefault(quad.subject, quad.graph_name)
    report = _validate_oxigraph(store, shapes, dict(source_paths or {}), engine, quads, first_graph)
    assert report is not None  # with the quads at hand, it falls back to pySHACL
    return report


def validate_store(store: Store, shapes: Graph | None = None,
                   source_paths: Mapping[str, str] | None = None, engine: str = "auto") -> Report:
    """Validate everything in ``store`` (every class graph, the shared graph and the ladder graph)."""
    shapes = shapes if shapes is not None else load_shapes()
    if engine not in ENGINES:
        raise ValueError(f"unknown validation engine {engine!r}; choose one of {', '.join(ENGINES)}")
    report = _validate_embedded(store, shapes, dict(source_paths or {}), engine) if engine != "pyshacl" else None
    if report is not None:
        return report
    # pySHACL, or a remote store validated as its export, in its order. No local of this function holds the
    # store's Oxigraph: rdflib's SPARQL parser keeps the frames of the calls it ran under (pyparsing's
    # cache), and an Oxigraph held there would keep the store's lock after the store is closed.
    buffer = io.BytesIO()
    store.export(buffer, "nq")
    return validate_quads(ox.parse(buffer.getvalue(), format=ox.RdfFormat.N_QUADS), shapes, source_paths, engine)


def _validate_embedded(store: Store, shapes: Graph, source_paths: dict[str, str], engine: str) -> Report | None:
    """The SPARQL engine on the Oxigraph inside ``store``; None for a remote store or shapes the engine does
    not compile (and ``engine`` auto)."""
    embedded = _oxigraph_store(store)
    if embedded is None:
        return None
    return _validate_oxigraph(embedded, shapes, source_paths, engine, fallback=False)


def _oxigraph_store(store: Store) -> ox.Store | None:
    """The pyoxigraph Store behind an embedded rolegraph store (None for a remote one: it is copied)."""
    inner = getattr(store, "oxigraph", None)
    return inner if isinstance(inner, ox.Store) else None


def _validate_pyshacl(quads: Iterable[ox.Quad], shapes: Graph, source_paths: dict[str, str]) -> Report:
    data = _read_data(quads)
    _conforms, results = run_pyshacl(data.graph, shapes)
    locator = _Locator(data, source_paths)
    return _report(_results_of(results), locator, _checked_classes(locator), shapes, results, "pyshacl")


def _validate_oxigraph(store: ox.Store, shapes: Graph, source_paths: dict[str, str], engine: str,
                       quads: list[ox.Quad] | None = None,
                       first_graph: dict[object, ox.NamedNode | ox.BlankNode] | None = None,
                       fallback: bool = True) -> Report | None:
    """The SPARQL engine on ``store``. When it cannot run the shapes: pySHACL on ``quads`` (with
    ``fallback``), else None. ``first_graph``: subject -> its graph, when the quads came in an order of their
    own (else the store's export order decides)."""
    try:
        results, (locator, classes) = _check_and_locate(compile_shapes(shapes), store, source_paths, first_graph)
    except (UnsupportedShapes, SyntaxError) as error:
        if engine == "sparql":
            raise ShapesError(f"the SPARQL engine cannot run these shapes: {_one_line(error)}") from None
        if not fallback or quads is None:
            return None
        del store  # see validate_store: pySHACL parses SPARQL under this frame
        return _validate_pyshacl(quads, shapes, source_paths)
    every = flatten(results)  # with the sh:detail results of sh:node, as in pySHACL's report
    blank_nodes = locator.blank_node_graph(every)  # read now: the report must not keep the store open

    def make_graph() -> Graph:
        return report_graph(shapes, results, blank_nodes)

    return _report(every, locator, classes, shapes, make_graph, "sparql")


def _check_and_locate(plan: ShaclPlan, store: ox.Store, source_paths: dict[str, str],
                      first_graph: dict[object, ox.NamedNode | ox.BlankNode] | None
                      ) -> tuple[list[ShaclResult], tuple[_StoreLocator, list[CheckedClass]]]:
    """Run ``plan`` while, in a thread of its own, the locator reads the job classes and their titles and
    makes the checked classes (both mostly wait on Oxigraph, which works without the GIL)."""
    with ThreadPoolExecutor(1) as pool:
        locating = pool.submit(_locate_classes, store, source_paths, first_graph)
        return run_plan(plan, store), locating.result()


def _locate_classes(store: ox.Store, source_paths: dict[str, str],
                    first_graph: dict[object, ox.NamedNode | ox.BlankNode] | None
                    ) -> tuple[_StoreLocator, list[CheckedClass]]:
    """A locator on ``store`` and the job classes it found, as the report lists them."""
    locator = _StoreLocator(store, source_paths, first_graph)
    return locator, _checked_classes(locator)


def _results_of(results: Graph) -> list[ShaclResult]:
    """pySHACL's report graph as result records."""
    found = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        found.append(ShaclResult(
            results.value(result, SH.focusNode), results.value(result, SH.sourceShape),  # type: ignore[arg-type]
            results.value(result, SH.sourceConstraintComponent),  # type: ignore[arg-type]
            results.value(result, SH.resultSeverity), tuple(results.objects(result, SH.resultMessage)),  # type: ignore[arg-type]
            results.value(result, SH.resultPath), results.value(result, SH.value),
            results.value(result, SH.sourceConstraint)))
    return found


class _Locator:
    """Finds the job class, file and line of a node of the data graph."""

    def __init__(self, data: _Data, source_paths: dict[str, str]) -> None:
        self.data, self.graph, self.source_paths = data, data.graph, source_paths
        self._files: dict[Node, str | None] = {}

    def is_subject(self, node: Node) -> bool:
        return (node, None, None) in self.graph

    def job_classes(self) -> set[Node]:
        return set(self.graph.subjects(RDF.type, _URI["JobClass"]))

    def owner(self, node: Node) -> Node | None:
        """The job class a node belongs to: by its named graph, else a class pointing at it."""
        graph = self.graph
        if (node, RDF.type, _URI["JobClass"]) in graph:
            return node
        owner = self.data.class_of_graph.get(self.data.graph_of_node.get(node))  # type: ignore[arg-type]
        if owner is not None:
            return owner
        start = graph.value(node, _URI["fromClass"])
        if start is not None:
            return start
        pointing = sorted(subject for subject, predicate in graph.subject_predicates(node)
                          if predicate != RDF.type and (subject, RDF.type, _URI["JobClass"]) in graph)
        return pointing[0] if pointing else None

    def file(self, node: Node) -> str | None:
        if node not in self._files:
            names = sorted(str(self.graph.value(source, _URI["name"]) or "")
                           for source in self.graph.objects(node, _URI["derived"]))
            name = names[0] if names and names[0] else None
            self._files[node] = self.source_paths.get(name, name) if name else None
        return self._files[node]

    def position(self, node: Node | None) -> tuple[str | None, int | None]:
        """(file, line) of a node with rg:lineStart, else (None, None)."""
        if node is None:
            return None, None
        line = self.graph.value(node, _URI["lineStart"])
        if line is None:
            return None, None
        return self.file(node), int(line)

    def fact_position(self, subject: Node, predicate: Node) -> tuple[str | None, int | None]:
        """(file, line) of the rg:factSource that says where ``subject predicate ...`` was read."""
        facts = sorted(fact for fact in self.graph.objects(subject, _URI["factSource"])
                       if self.graph.value(fact, _URI["property"]) == predicate)
        return self.position(facts[0]) if facts else (None, None)

    def title_position(self, job_class: Node | None) -> tuple[str | None, int | None]:
        if job_class is None:
            return None, None
        return self.fact_position(job_class, _URI["name"])

    def locate(self, focus: Node, path: Node | None, value: Node | None, owner: Node | None,
               missing: bool = False) -> tuple[str | None, int | None]:
        """The line of the fact a finding is about; for a missing fact, the line of the class's title."""
        if missing:
            where = self.title_position(owner)
            if where[1] is not None:
                return where
        candidates = (
            lambda: self.position(value) if isinstance(value, URIRef) else (None, None),
            lambda: self.fact_position(focus, path) if isinstance(path, URIRef) else (None, None),
            lambda: self.position(focus),
            lambda: self.title_position(owner),
        )
        for candidate in candidates:
            where = candidate()
            if where[1] is not None:
                return where
        return self.file(owner) if owner is not None else None, None

    def checked_class(self, job_class: Node) -> CheckedClass:
        graph = self.graph
        file, line = self.title_position(job_class)
        code = graph.value(job_class, _URI["identifier"])
        return CheckedClass(str(job_class), str(graph.value(job_class, _URI["name"]) or job_class),
                            str(code) if code is not None else None, file or self.file(job_class), line,
                            bool(graph.value(job_class, _URI["stub"])))


class _StoreFacts:
    """The triples the locator reads, looked up in a pyoxigraph Store on demand (one index lookup each) and
    kept; answers as the rdflib Graph of everything would."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self.convert = term_converter()
        self._out: dict[tuple[Node, Node], list[Node]] = {}
        self._incoming: dict[Node, list[tuple[Node, Node]]] = {}
        self._subjects: dict[Node, bool] = {}

    def term(self, node: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        if isinstance(node, URIRef):
            return ox.NamedNode(str(node))
        if isinstance(node, BNode):
            return ox.BlankNode(str(node))
        assert isinstance(node, Literal)
        if node.language:
            return ox.Literal(str(node), language=node.language)
        return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype or XSD_STRING)))

    def objects(self, subject: Node, predicate: Node) -> list[Node]:
        key = (subject, predicate)
        if key not in self._out:
            if isinstance(subject, Literal):
                self._out[key] = []
            else:
                found = self.store.quads_for_pattern(self.term(subject), self.term(predicate), None, None)
                self._out[key] = sorted({self.convert(quad.object) for quad in found})
        return self._out[key]

    def value(self, subject: Node, predicate: Node) -> Node | None:
        found = self.objects(subject, predicate)
        return found[0] if found else None

    def subject_predicates(self, obj: Node) -> list[tuple[Node, Node]]:
        if obj not in self._incoming:
            found = self.store.quads_for_pattern(None, None, self.term(obj), None)
            self._incoming[obj] = sorted({(self.convert(quad.subject), self.convert(quad.predicate))
                                          for quad in found})
        return self._incoming[obj]

    def is_subject(self, node: Node) -> bool:
        if node not in self._subjects:
            self._subjects[node] = not isinstance(node, Literal) and next(
                iter(self.store.quads_for_pattern(self.term(node), None, None, None)), None) is not None
        return self._subjects[node]

    def __contains__(self, triple: tuple[Node, Node | None, Node | None]) -> bool:
        subject, predicate, obj = triple
        if predicate is None:
            return self.is_subject(subject)
        return obj in self.objects(subject, predicate)


class _ClassOfGraph:
    """class graph -> the job class it describes (``?g rg:describes ?class`` in ?g), looked up on demand."""

    def __init__(self, facts: _StoreFacts) -> None:
        self.facts = facts
        self._found: dict[Node, Node | None] = {}

    def get(self, graph: Node | None) -> Node | None:
        if graph is None:
            return None
        if graph not in self._found:
            term = self.facts.term(graph)
            found = sorted({self.facts.convert(quad.object) for quad in
                            self.facts.store.quads_for_pattern(term, ox.NamedNode(str(_URI["describes"])), None,
                                                               term)})  # type: ignore[arg-type]
            self._found[graph] = found[-1] if found else None
        return self._found[graph]


class _GraphOfNode:
    """node -> the first named graph, in export order, with the node as a subject; looked up on demand.

    The export order of graphs is read (one scan of the store) only for a node in several graphs that would
    have different owners."""

    def __init__(self, facts: _StoreFacts, class_of_graph: _ClassOfGraph,
                 first_graph: dict[object, ox.NamedNode | ox.BlankNode] | None = None) -> None:
        self.facts, self.class_of_graph, self.first_graph = facts, class_of_graph, first_graph
        self._rank: dict[Node, int] | None = None
        self._found: dict[Node, Node | None] = {}

    def rank(self) -> dict[Node, int]:
        if self._rank is None:
            order = self.facts.store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
            self._rank = {self.facts.convert(row["g"]): index for index, row in enumerate(order)}  # type: ignore[union-attr]
        return self._rank

    def get(self, node: Node | None) -> Node | None:
        if node is None or isinstance(node, Literal):
            return None
        if node not in self._found and self.first_graph is not None:
            graph = self.first_graph.get(self.facts.term(node))
            self._found[node] = self.facts.convert(graph) if graph is not None else None
        if node not in self._found:
            graphs = sorted({self.facts.convert(quad.graph_name)
                             for quad in self.facts.store.quads_for_pattern(self.facts.term(node), None, None, None)
                             if not isinstance(quad.graph_name, ox.DefaultGraph)})
            if len({self.class_of_graph.get(graph) for graph in graphs}) > 1:
                rank = self.rank()
                graphs.sort(key=lambda graph: rank.get(graph, len(rank)))
            self._found[node] = graphs[0] if graphs else None
        return self._found[node]


class _StoreLocator(_Locator):
    """The locator over a pyoxigraph Store: lookups go to the store's indexes; the job classes, their titles
    and the lines of their titles are read by three set-oriented queries."""

    def __init__(self, store: ox.Store, source_paths: dict[str, str],
                 first_graph: dict[object, ox.NamedNode | ox.BlankNode] | None = None) -> None:
        self.store = store
        self.facts = _StoreFacts(store)
        classes = _ClassOfGraph(self.facts)
        graphs = _GraphOfNode(self.facts, classes, first_graph)
        data = _Data(self.facts, classes, graphs)  # type: ignore[arg-type]
        super().__init__(data, source_paths)
        self.classes: dict[Node, dict[Node, list[Node]]] = {}
        self.titles: dict[Node, list[tuple[Node, Node | None, list[Node]]]] = {}
        self._load_classes()

    def _select(self, query: str) -> Iterable[ox.QuerySolution]:
        return self.store.query(query, use_default_graph_as_union=True)  # type: ignore[return-value]

    def _load_classes(self) -> None:
        """Read the job classes, their names, codes and stub flags, and where their titles were read, in three
        queries shaped for Oxigraph: a pattern under its own SELECT is joined by hash (one index scan), not
        looked up once per job class; a title fact is found from its rg:property, not from each class's
        facts. A class's prov:wasDerivedFrom is looked up when needed (rarely)."""
        convert = self.facts.convert
        uri = {name: f"<{term}>" for name, term in _URI.items()}
        for row in self._select(f"SELECT ?c WHERE {{ ?c a {uri['JobClass']} }}"):
            self.classes[convert(row["c"])] = {}
        wanted = ("name", "identifier", "stub")
        union = " UNION ".join(f"{{ SELECT ?c ?o ({uri[name]} AS ?p) WHERE {{ ?c {uri[name]} ?o }} }}"
                               for name in wanted)
        for row in self._select(f"SELECT ?c ?p ?o WHERE {{ {{ SELECT ?c WHERE {{ ?c a {uri['JobClass']} }} }} "
                                f"{{ {union} }} }}"):
            self.classes[convert(row["c"])].setdefault(convert(row["p"]), []).append(convert(row["o"]))
        source_names: dict[Node, set[Node]] = {}
        for row in self._select(f"""SELECT ?c ?f ?line ?source ?name WHERE {{
                ?f {uri['property']} {uri['name']} . ?c {uri['factSource']} ?f .
                OPTIONAL {{ ?f {uri['lineStart']} ?line }}
                OPTIONAL {{ ?f {uri['derived']} ?source OPTIONAL {{ ?source {uri['name']} ?name }} }} }}"""):
            job_class = convert(row["c"])
            if job_class not in self.classes:  # a title fact of something else
                continue
            line = convert(row["line"]) if row["line"] is not None else None
            source = [convert(row["source"])] if row["source"] is not None else []
            self.titles.setdefault(job_class, []).append((convert(row["f"]), line, source))
            if source:
                names = source_names.setdefault(source[0], set())
                if row["name"] is not None:
                    names.add(convert(row["name"]))
        for source, names in source_names.items():  # every name of each source was read
            self.facts._out.setdefault((source, _URI["name"]), sorted(names))
        for job_class, values in self.classes.items():  # seed the lookups with what was read in bulk
            for name in wanted:
                key = (job_class, _URI[name])
                self.facts._out.setdefault(key, sorted(set(values.get(_URI[name], []))))
            self.facts._out.setdefault((job_class, RDF.type), [_URI["JobClass"]])

    def job_classes(self) -> set[Node]:
        return set(self.classes)

    def title_position(self, job_class: Node | None) -> tuple[str | None, int | None]:
        if job_class is None or job_class not in self.classes:
            return super().title_position(job_class)
        facts: dict[Node, tuple[Node | None, list[Node]]] = {}
        for fact, line, sources in self.titles.get(job_class, []):
            known = facts.setdefault(fact, (line, []))
            known[1].extend(sources)
        if not facts:
            return None, None
        first = min(facts)
        line, sources = facts[first]
        if line is None:
            return None, None
        self.facts._out.setdefault((first, _URI["derived"]), sorted(set(sources)))
        return self.file(first), int(line)

    def blank_node_graph(self, results: list[ShaclResult]) -> Graph:
        """The triples of blank focus nodes and values (pySHACL copies them into its report graph)."""
        graph = Graph()
        todo = [node for result in results for node in (result.focus, result.value) if isinstance(node, BNode)]
        seen: set[Node] = set()
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            for quad in self.store.quads_for_pattern(ox.BlankNode(str(node)), None, None, None):
                obj = self.facts.convert(quad.object)
                graph.add((node, self.facts.convert(quad.predicate), obj))
                if isinstance(obj, BNode):
                    todo.append(obj)
        return graph


def _checked_classes(locator: _Locator | _StoreLocator) -> list[CheckedClass]:
    """Every job class of the data, in the order of their files and title lines."""
    return sorted((locator.checked_class(job_class) for job_class in locator.job_classes()),
                  key=lambda checked: (checked.file or "\uffff", checked.line or 0, checked.iri))


def _report(results: list[ShaclResult], locator: _Locator | _StoreLocator, classes: list[CheckedClass],
            shapes: Graph, graph: Graph | Callable[[], Graph], engine: str) -> Report:
    infos: dict[Node | None, tuple[ShapeInfo, bool]] = {}
    findings = [_finding(shapes, result, locator, infos) for result in results]
    findings.sort(key=lambda f: (f.file or "\uffff", f.line or 0, f.focus_class, -severity_rank(f.severity),
                                 f.shape, f.message, f.focus_node, f.path or "", f.value or ""))
    return Report(_dedupe(findings), classes, _shape_infos(shapes), graph, engine)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[Finding] = set()
    unique = []
    for finding in findings:
        if finding not in seen:
            seen.add(finding)
            unique.append(finding)
    return unique


def _source_shape_info(shapes: Graph, source_shape: Node | None) -> tuple[ShapeInfo, bool]:
    """The named shape a result of ``source_shape`` is reported under, and whether ``source_shape`` (or one of
    its SPARQL constraints) words its own messages."""
    named = _named_shape(shapes, source_shape) if source_shape is not None else None
    info = _shape_info(shapes, named) if named is not None else ShapeInfo("Shape", "Shape", "", "violation")
    own_message = source_shape is not None and (
        shapes.value(source_shape, SH.message) is not None
        or any(shapes.value(constraint, SH.message) is not None
               for constraint in shapes.objects(source_shape, SH.sparql)))
    return info, own_message


def _finding(shapes: Graph, result: ShaclResult, locator: _Locator | _StoreLocator,
             infos: dict[Node | None, tuple[ShapeInfo, bool]]) -> Finding:
    """The finding of one result; ``infos`` keeps each source shape's ``_source_shape_info``."""
    focus, source_shape, path, value = result.focus, result.shape, result.path, result.value
    if source_shape not in infos:
        infos[source_shape] = _source_shape_info(shapes, source_shape)
    info, own_message = infos[source_shape]
    messages = sorted(str(message) for message in result.messages)
    message = (messages[0] if own_message and messages else info.message or (messages[0] if messages else ""))
    if isinstance(value, URIRef) and not locator.is_subject(focus):
        # A shape that runs one query for the whole graph (sh:targetNode rg:JobClass, a node the data does
        # not describe) names the node at fault as the value: that node is what the finding is about.
        focus, value = value, None
    owner = locator.owner(focus)
    missing = result.component in MISSING_FACT_COMPONENTS
    file, line = locator.locate(focus, path, value, owner, missing)
    severity = SH_TO_SEVERITY.get(result.severity, "violation")  # type: ignore[arg-type]
    return Finding(severity, info.name, info.shape_id, message, str(owner) if owner is not None else "",
                   file, line, str(focus), str(path) if isinstance(path, URIRef) else None,
                   None if value is None else str(value))


# -- writers -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class WriteOptions:
    fail_on: str = "violation"
    max_per_shape: int | None = None


def _plural(count: int, word: str) -> str:
    """``count word`` in the singular or plural.

    >>> _plural(1, "violation"), _plural(2, "job class"), _plural(0, "info")
    ('1 violation', '2 job classes', '0 info')
    """
    if count == 1 or word == "info":
        return f"{count} {word}"
    return f"{count} {word}{'es' if word.endswith('s') else 's'}"


def _line(finding: Finding) -> str:
    return f"{finding.where()}: {finding.severity}: {finding.message} ({finding.shape})"


def write_text(report: Report, options: WriteOptions) -> str:
    """Findings grouped by job class, ``file:line: severity: message (shape)``, then a summary."""
    lines: list[str] = []
    by_class: dict[str, list[Finding]] = {}
    for finding in report.findings:
        by_class.setdefault(finding.focus_class, []).append(finding)
    labels = {checked.iri: checked for checked in report.classes}
    shown: Counter[str] = Counter()
    hidden: Counter[str] = Counter()
    order = [checked.iri for checked in report.classes if checked.iri in by_class]
    order += sorted(set(by_class) - set(order))
    for iri in order:
        printed = []
        for finding in by_class[iri]:
            if options.max_per_shape is not None and shown[finding.shape] >= options.max_per_shape:
                hidden[finding.shape] += 1
                continue
            shown[finding.shape] += 1
            printed.append(f"  {_line(finding)}")
        if not printed:
            continue
        checked = labels.get(iri)
        lines.append(checked.label if checked else (iri or "(not part of a job class)"))
        lines.extend(printed)
        lines.append("")
    for shape, count in sorted(hidden.items()):
        lines.append(f"... {_plural(count, 'more finding')} of {shape} not shown (--max-per-shape "
                     f"{options.max_per_shape})")
    counts = report.counts()
    affected = len({finding.focus_class for finding in report.findings})
    lines.append(", ".join(_plural(count, severity) for severity, count in counts.items())
                 + f" in {_plural(affected, 'job class')} of {len(report.classes)} checked")
    if report.findings:
        per_shape = report.shape_counts().items()
        lines.append("by shape: " + "; ".join(f"{shape} {count}" for shape, count in per_shape))
    return "\n".join(lines) + "\n"


def write_turtle(report: Report, options: WriteOptions) -> str:
    """pySHACL's own validation report graph, as Turtle."""
    return report.graph.serialize(format="turtle")


def write_json(report: Report, options: WriteOptions) -> str:
    document = {
        "conforms": not report.fails(options.fail_on),
        "failOn": options.fail_on,
        "counts": report.counts(),
        "shapes": report.shape_counts(),
        "classes": [asdict(checked) for checked in report.classes],
        "findings": [asdict(finding) for finding in report.findings],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write_junit(report: Report, options: WriteOptions) -> str:
    """One testsuite per job class, one testcase per shape; findings at or above --fail-on are failures."""
    by_class_shape: dict[tuple[str, str], list[Finding]] = {}
    for finding in report.findings:
        by_class_shape.setdefault((finding.focus_class, finding.shape_id), []).append(finding)
    shapes = list(report.shapes)
    known = {info.shape_id for info in shapes}
    shapes += sorted({ShapeInfo(f.shape_id, f.shape, "", f.severity) for f in report.findings
                      if f.shape_id not in known}, key=lambda info: info.shape_id)
    classes = list(report.classes)
    if any(not f.focus_class for f in report.findings):
        classes.append(CheckedClass("", "(not part of a job class)", None, None, None))
    root = ElementTree.Element("testsuites", name="rolegraph validate")
    total_tests = total_failures = 0
    for checked in classes:
        suite = ElementTree.SubElement(root, "testsuite", name=checked.label)
        if checked.file:
            suite.set("file", checked.file)
        failures = 0
        for info in shapes:
            case = ElementTree.SubElement(suite, "testcase", name=info.name, classname=checked.label)
            found = by_class_shape.get((checked.iri, info.shape_id), [])
            failing = [f for f in found if severity_rank(f.severity) >= severity_rank(options.fail_on)]
            if failing:
                failures += 1
                first = failing[0]
                if first.file:
                    case.set("file", first.file)
                if first.line:
                    case.set("line", str(first.line))
                failure = ElementTree.SubElement(case, "failure", message=first.message, type=first.severity)
                failure.text = "\n".join(_line(f) for f in failing)
            others = [f for f in found if f not in failing]
            if others:
                out = ElementTree.SubElement(case, "system-out")
                out.text = "\n".join(_line(f) for f in others)
        suite.set("tests", str(len(shapes)))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        total_tests += len(shapes)
        total_failures += failures
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", "0")
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"


GITHUB_COMMANDS = {"violation": "error", "warning": "warning", "info": "notice"}


def _github_escape(text: str, property_value: bool = False) -> str:
    r"""Escape text for a GitHub workflow command.

    >>> _github_escape("a,b:c", property_value=True)
    'a%2Cb%3Ac'
    """
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


def write_github(report: Report, options: WriteOptions) -> str:
    """GitHub Actions workflow commands: ``::error file=..,line=..,title=shape::message``."""
    lines = []
    for finding in report.findings:
        properties = []
        if finding.file:
            properties.append(f"file={_github_escape(finding.file, True)}")
        if finding.line:
            properties.append(f"line={finding.line}")
        properties.append(f"title={_github_escape(finding.shape, True)}")
        lines.append(f"::{GITHUB_COMMANDS[finding.severity]} {','.join(properties)}::"
                     f"{_github_escape(finding.message)}")
    return "".join(line + "\n" for line in lines)


SARIF_LEVELS = {"violation": "error", "warning": "warning", "info": "note"}
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def write_sarif(report: Report, options: WriteOptions) -> str:
    """SARIF 2.1.0: one rule per shape, one result per finding with its file and line."""
    shapes = list(report.shapes)
    known = {info.shape_id for info in shapes}
    shapes += sorted({ShapeInfo(f.shape_id, f.shape, "", f.severity) for f in report.findings
                      if f.shape_id not in known}, key=lambda info: info.shape_id)
    index = {info.shape_id: position for position, info in enumerate(shapes)}
    rules = [{
        "id": info.shape_id,
        "name": info.shape_id,
        "shortDescription": {"text": info.name},
        "fullDescription": {"text": info.message or info.name},
        "defaultConfiguration": {"level": SARIF_LEVELS.get(info.severity, "error")},
    } for info in shapes]
    results = []
    for finding in report.findings:
        result: dict[str, object] = {
            "ruleId": finding.shape_id,
            "ruleIndex": index[finding.shape_id],
            "level": SARIF_LEVELS[finding.severity],
            "message": {"text": finding.message},
        }
        if finding.file:
            location: dict[str, object] = {"artifactLocation": {"uri": quote(Path(finding.file).as_posix())}}
            if finding.line:
                location["region"] = {"startLine": finding.line}
            result["locations"] = [{"physicalLocation": location}]
        if finding.focus_class:
            result["properties"] = {"jobClass": finding.focus_class, "focusNode": finding.focus_node}
        results.append(result)
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "rolegraph", "version": __version__,
                                "informationUri": "https://w3id.org/rolegraph", "rules": rules}},
            "results": results,
        }],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


FORMAT_TO_WRITER: dict[str, Callable[[Report, WriteOptions], str]] = {
    "text": write_text,
    "turtle": write_turtle,
    "json": write_json,
    "junit": write_junit,
    "github": write_github,
    "sarif": write_sarif,
}


def write_report(report: Report, format_name: str = "text", fail_on: str = "violation",
                 max_per_shape: int | None = None) -> str:
    """Return ``report`` in one of FORMAT_TO_WRITER's formats."""
    if format_name not in FORMAT_TO_WRITER:
        choices = ", ".join(FORMAT_TO_WRITER)
        raise ValueError(f"unknown report format {format_name!r}; choose one of {choices}")
    return FORMAT_TO_WRITER[format_name](report, WriteOptions(fail_on, max_per_shape))


def source_paths_of(files: Sequence[Path]) -> dict[str, str]:
    """Source document name -> the path it was read from, for reporting paths the user recognises."""
    return {path.name: str(path) for path in files}
