"""A SHACL engine that runs shapes as set-oriented SPARQL queries on a pyoxigraph Store.

Each constraint of each shape is checked for all its focus nodes at once (not once per focus node), and
the constraints that share a set of focus nodes share a query (``_bulk_queries``), so a graph of millions
of triples is validated in seconds. The results are those pySHACL gives (advanced mode,
no inference, every severity reported) for the same data and shapes: focus node, value, result path,
source shape, constraint component, severity and messages, down to pySHACL's own wording of its default
messages, which this module borrows from pySHACL rather than copies.

What the compiler cannot run exactly raises ``UnsupportedShapes`` naming the construct; the caller then
runs pySHACL instead. Supported: targets (class with rdfs:subClassOf*, node, subjects of, objects of,
SHACL-AF SPARQL targets); paths (predicate, inverse, sequence, alternative, zero-or-more, one-or-more,
zero-or-one); sh:minCount, sh:maxCount, sh:class, sh:datatype, sh:nodeKind, the four range components,
sh:in, sh:hasValue, sh:or, sh:and, sh:not, sh:xone, sh:property, sh:qualifiedValueShape with
sh:qualifiedMinCount/MaxCount, and SHACL-SPARQL constraints (sh:sparql with sh:select, sh:prefixes,
``$this``, ``$PATH``, message templates).

A value check that SPARQL and pySHACL could judge differently (a datatype's lexical form, a comparison of
literals) is written as a condition that is sufficient for conformance; the few values that do not meet it
are judged again in Python the way pySHACL judges them.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD
from rdflib.term import Node

__all__ = ["UnsupportedShapes", "ShaclResult", "ShaclPlan", "compile_shapes", "run_plan", "flatten",
           "report_graph", "term_converter", "conforms"]

XSD_STRING = str(XSD.string)
ALLOWED_SEVERITIES = {SH.Info, SH.Warning}  # allow_infos and allow_warnings: these never make a shape fail
NESTING_LIMIT = 8

# Predicates of a shape that are not constraints (or are read with the constraint that owns them).
NOT_CONSTRAINTS = {
    RDF.type, SH.name, SH.description, SH.message, SH.severity, SH.path, SH.targetClass, SH.targetNode,
    SH.targetSubjectsOf, SH.targetObjectsOf, SH.target, SH.deactivated, SH.order, SH.group, SH.defaultValue,
    SH.qualifiedMinCount, SH.qualifiedMaxCount, SH.qualifiedValueShapesDisjoint, SH.prefixes, SH.declare,
    SH.select, SH.labelTemplate,
}
# Constructs that change what pySHACL does beyond the shapes' own constraints.
UNSUPPORTED_TYPES = (SH.ConstraintComponent, SH.SPARQLFunction, SH.TargetType, SH.SPARQLTargetType, SH.JSTarget,
                     SH.JSTargetType, SH.SPARQLRule, SH.TripleRule, SH.JSRule, SH.JSConstraint)
UNSUPPORTED_PREDICATES = (SH.rule, SH.entailment, SH.js, SH.expression, SH.ask, SH.construct)
CLASS_TYPES = {RDFS.Class, OWL.Class}
# Lexical forms that rdflib reads as well-typed values of pySHACL's checked Python type.
LEXICAL = {
    XSD.integer: r"^[+-]?[0-9]+$",
    XSD.decimal: r"^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)$",
    XSD.boolean: r"^(true|false|1|0)$",
}
NUMERIC = {XSD.integer, XSD.decimal, XSD.double, XSD.float, XSD.int, XSD.long, XSD.short, XSD.byte,
           XSD.nonNegativeInteger, XSD.positiveInteger, XSD.negativeInteger, XSD.nonPositiveInteger,
           XSD.unsignedInt, XSD.unsignedLong, XSD.unsignedShort, XSD.unsignedByte}
NODE_KINDS = {
    SH.IRI: "isIRI({0})", SH.BlankNode: "isBlank({0})", SH.Literal: "isLiteral({0})",
    SH.BlankNodeOrIRI: "(isBlank({0}) || isIRI({0}))", SH.BlankNodeOrLiteral: "(isBlank({0}) || isLiteral({0}))",
    SH.IRIOrLiteral: "(isIRI({0}) || isLiteral({0}))",
}
RANGES = {  # parameter -> (component, SPARQL operator that passes, test of compare_literal's answer)
    SH.minExclusive: (SH.MinExclusiveConstraintComponent, ">", lambda cmp: cmp > 0),
    SH.minInclusive: (SH.MinInclusiveConstraintComponent, ">=", lambda cmp: cmp >= 0),
    SH.maxExclusive: (SH.MaxExclusiveConstraintComponent, "<", lambda cmp: cmp < 0),
    SH.maxInclusive: (SH.MaxInclusiveConstraintComponent, "<=", lambda cmp: cmp <= 0),
}
LOGICAL = {SH["or"]: SH.OrConstraintComponent, SH["and"]: SH.AndConstraintComponent,
           SH["not"]: SH.NotConstraintComponent, SH.xone: SH.XoneConstraintComponent}
DEFAULT_PREFIXES = {"rdf": str(RDF), "rdfs": str(RDFS), "owl": str(OWL)}  # pySHACL's, for every SPARQL query
THIS = re.compile(r"([\s{}()])[$?]this", re.M)  # pySHACL's tests for pre-bound variables
PATH_VAR = re.compile(r"([\s{}()])[$?]PATH", re.M)
SHAPES_GRAPH_VARS = re.compile(r"([\s{}()])[$?](shapesGraph|currentShape)", re.M)


class UnsupportedShapes(Exception):
    """The shapes use something this engine does not run exactly (pySHACL has to)."""


@dataclass(frozen=True)
class ShaclResult:
    """One validation result, as pySHACL would report it."""

    focus: Node
    shape: Node  # sh:sourceShape
    component: URIRef  # sh:sourceConstraintComponent
    severity: Node
    messages: tuple[Literal, ...]
    path: Node | None = None
    value: Node | None = None
    source_constraint: Node | None = None
    root_severity: Node = SH.Violation  # severity of the shape whose targets found the focus node
    details: tuple[ShaclResult, ...] = ()  # sh:detail: for sh:node, the node shape's results on the value


def term_converter() -> Callable[[object], Node]:
    """Return a function turning pyoxigraph terms into the rdflib terms rolegraph hands pySHACL."""
    cache: dict[object, Node] = {}

    def convert(term: object) -> Node:
        known = cache.get(term)
        if known is not None:
            return known
        if isinstance(term, ox.NamedNode):
            made: Node = URIRef(term.value)
        elif isinstance(term, ox.BlankNode):
            made = BNode(term.value)
        elif isinstance(term, ox.Literal):
            if term.language:
                made = Literal(term.value, lang=term.language)
            elif term.datatype.value == XSD_STRING:
                made = Literal(term.value)
            else:
                made = Literal(term.value, datatype=URIRef(term.datatype.value))
        else:
            raise TypeError(f"not an RDF term: {term!r}")
        cache[term] = made
        return made

    return convert


# -- the plan ----------------------------------------------------------------------------------------

@dataclass
class _Check:
    """One query and how its rows become results."""

    kind: str  # "count" (focus only), "value" (focus, value), "sparql"
    query: str
    shape: Node
    component: URIRef
    param: URIRef | None  # the parameter whose pySHACL component words the default message
    root_severity: Node
    residue: Callable[[Node], bool] | None = None  # for "value": True when the value still conforms
    sparql: _SparqlCheck | None = None
    # For a shape under a property shape: queries of (?rgouter, ?this) pairs, outermost first. pySHACL checks
    # such a shape once per pair, so a value of several focus nodes gets its results that many times.
    weights: tuple[str, ...] = ()
    detail: int | None = None  # results go to this sh:node's group (by focus node), not to the report
    group: int | None = None  # for "node": the group holding the node shape's results
    bulk: _Bulk | None = None  # the same check as a piece of a query shared by the checks of one focus


@dataclass(frozen=True)
class _Bulk:
    """A check said without its focus nodes, so that the checks of one set of focus nodes run in one query
    (``_bulk_queries``) that finds the focus nodes once (a SPARQL target costs an index lookup per node).

    ``absent``: ``piece`` is a SPARQL expression of ?this, true when the focus node passes (a count check, a
    node shape's value check). Else ``piece`` binds the results ?this and ?value without knowing the focus
    nodes, from the triples of a path whose every step is a predicate (or its inverse), to be joined with
    them by hash: Oxigraph evaluates a FILTER (NOT) EXISTS once per value, an index lookup each, which at
    100,000 focus nodes takes seconds per check.
    """

    prolog: str
    focus: str
    piece: str
    absent: bool


@dataclass
class _SparqlCheck:
    node: Node
    messages: tuple[Literal, ...]
    has_this: bool
    focus_query: str  # SELECT ?this: the focus nodes (for queries that do not use $this)
    projects_this: bool


@dataclass
class ShaclPlan:
    shapes: Graph
    checks: list[_Check] = field(default_factory=list)


def _sparql_term(node: Node) -> str:
    if isinstance(node, URIRef):
        return f"<{node}>"
    if isinstance(node, Literal):
        return node.n3()
    raise UnsupportedShapes(f"a blank node as a constant in a shape: {node}")


class _Compiler:
    def __init__(self, shapes: Graph) -> None:
        self.g = shapes
        self.fresh = itertools.count()
        self.groups = itertools.count()
        self.checks: list[_Check] = []
        self.named_focus: set[str] = set()  # focus patterns of sh:targetNode alone: a few nodes, not worth a scan

    def var(self, stem: str) -> str:
        return f"?rg{stem}{next(self.fresh)}"

    def one(self, node: Node, predicate: URIRef) -> Node | None:
        values = list(self.g.objects(node, predicate))
        if len(values) > 1:
            raise UnsupportedShapes(f"{predicate} has more than one value on {node}")
        return values[0] if values else None

    def severity(self, shape: Node) -> Node:
        return next(iter(set(self.g.objects(shape, SH.severity))), SH.Violation)

    def deactivated(self, shape: Node) -> bool:
        value = next(iter(set(self.g.objects(shape, SH.deactivated))), None)
        return isinstance(value, Literal) and bool(value.value)

    def items(self, head: Node) -> list[Node]:
        return list(self.g.items(head))

    # -- paths ---------------------------------------------------------------------------------------

    def path(self, node: Node, depth: int = 0) -> str:
        if depth > NESTING_LIMIT:
            raise UnsupportedShapes("a property path nested too deep")
        if isinstance(node, URIRef):
            return f"<{node}>"
        if (node, RDF.first, None) in self.g:
            return "(" + "/".join(self.path(step, depth + 1) for step in self.items(node)) + ")"
        for predicate, template in ((SH.inversePath, "^{}"), (SH.zeroOrMorePath, "{}*"),
                                    (SH.oneOrMorePath, "{}+"), (SH.zeroOrOnePath, "{}?")):
            inner = self.one(node, predicate)
            if inner is not None:
                return template.format(self.wrap(self.path(inner, depth + 1)))
        alternatives = self.one(node, SH.alternativePath)
        if alternatives is not None:
            return "(" + "|".join(self.path(step, depth + 1) for step in self.items(alternatives)) + ")"
        raise UnsupportedShapes(f"a property path this engine does not read: {node}")

    def scannable(self, node: Node) -> bool:
        """True when every step of a path is a predicate or its inverse (in sequences and alternatives): its
        pairs can be read from the indexes without a start node, whereas ``p*`` would pair every node."""
        if isinstance(node, URIRef):
            return True
        if (node, RDF.first, None) in self.g:
            return all(self.scannable(step) for step in self.items(node))
        inverse = self.one(node, SH.inversePath)
        if inverse is not None:
            return self.scannable(inverse)
        alternatives = self.one(node, SH.alternativePath)
        return alternatives is not None and all(self.scannable(step) for step in self.items(alternatives))

    def path_pattern(self, node: Node, subject: str, obj: str) -> str:
        """A graph pattern matching ``subject`` and ``obj`` joined by the path: for an alternative path, the
        UNION of its alternatives (Oxigraph answers an EXISTS over a UNION with index lookups, but over an
        alternative path with its slower path evaluator)."""
        alternatives = None if isinstance(node, URIRef) else self.one(node, SH.alternativePath)
        if alternatives is None:
            return f"{subject} {self.path(node)} {obj}"
        return " UNION ".join(f"{{ {subject} {self.path(step)} {obj} }}" for step in self.items(alternatives))

    @staticmethod
    def wrap(path: str) -> str:
        return path if path.startswith(("(", "<")) else f"({path})"

    # -- shapes --------------------------------------------------------------------------------------

    def check_graph(self) -> None:
        for kind in UNSUPPORTED_TYPES:
            if (None, RDF.type, kind) in self.g:
                raise UnsupportedShapes(f"the shapes use {kind}")
        for predicate in UNSUPPORTED_PREDICATES:
            if (None, predicate, None) in self.g:
                raise UnsupportedShapes(f"the shapes use {predicate}")

    def roots(self) -> list[Node]:
        targets = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)
        roots = {shape for target in targets for shape in self.g.subjects(target, None)}
        shape_types = (SH.NodeShape, SH.PropertyShape)
        for kind in shape_types:
            for shape in self.g.subjects(RDF.type, kind):
                if set(self.g.objects(shape, RDF.type)) & self.class_types():
                    raise UnsupportedShapes(f"an implicit class target: {shape}")
        return sorted(roots, key=str)

    def class_types(self) -> set[Node]:
        return CLASS_TYPES | set(self.g.subjects(RDFS.subClassOf, RDFS.Class))

    def focus(self, shape: Node) -> tuple[str, dict[str, str]] | None:
        """The SPARQL pattern ``{ SELECT DISTINCT ?this ... }`` of a shape's targets, with its prefixes."""
        if set(self.g.objects(shape, RDF.type)) & self.class_types():
            raise UnsupportedShapes(f"an implicit class target: {shape}")
        parts: list[str] = []
        prefixes: dict[str, str] = {}
        nodes = list(self.g.objects(shape, SH.targetNode))
        if nodes:
            parts.append("{ VALUES ?this { " + " ".join(_sparql_term(node) for node in nodes) + " } }")
        for cls in self.g.objects(shape, SH.targetClass):
            parts.append(f"[[instances {_sparql_term(cls)} ?this]]")
        for predicate in self.g.objects(shape, SH.targetSubjectsOf):
            parts.append(f"{{ ?this {_sparql_term(predicate)} {self.var('o')} }}")
        for predicate in self.g.objects(shape, SH.targetObjectsOf):
            parts.append(f"{{ {self.var('s')} {_sparql_term(predicate)} ?this }}")
        for target in self.g.objects(shape, SH.target):
            selects = list(self.g.objects(target, SH.select))
            if not selects:
                raise UnsupportedShapes(f"a custom target that is not a SPARQL target: {target}")
            _merge(prefixes, self.prefixes(target))
            own, select = _inner_select(str(selects[0]))
            _merge(prefixes, own)
            parts.append("{ " + select + " }")
        if not parts:
            return None
        pattern = "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(parts) + " } }"
        if len(parts) == 1 and nodes:
            self.named_focus.add(pattern)
        return pattern, prefixes

    def prefixes(self, node: Node) -> dict[str, str]:
        """pySHACL's prefixes of a SPARQL query (``collect_prefixes``)."""
        found = dict(DEFAULT_PREFIXES)
        declared_sets = list(self.g.objects(node, SH.prefixes))
        if not declared_sets:
            return found
        ontologies = set(self.g.subjects(RDF.type, OWL.Ontology))
        global_declares = {d for ontology in ontologies for d in self.g.objects(ontology, SH.declare)}
        for declared in declared_sets:
            own = set(self.g.objects(declared, SH.declare))
            for declaration in (own if own and declared in ontologies else global_declares | own):
                prefix = self.one(declaration, SH.prefix)
                namespace = self.one(declaration, SH.namespace)
                if prefix is None or namespace is None:
                    raise UnsupportedShapes("an sh:declare without one sh:prefix and one sh:namespace")
                found[str(prefix)] = str(namespace)
        return found

    def compile(self) -> list[_Check]:
        self.check_graph()
        for shape in self.roots():
            if self.deactivated(shape):
                continue
            focus = self.focus(shape)
            if focus is None:
                continue
            pattern, prefixes = focus
            self.shape(shape, pattern, prefixes, self.severity(shape), 0)
        return self.checks

    def values(self, shape: Node, focus: str) -> str:
        """A pattern binding ?this (a focus node) and ?value (each of its value nodes)."""
        path = self.one(shape, SH.path)
        if path is None:
            return f"{focus} BIND (?this AS ?value)"
        return f"{focus} ?this {self.path(path)} ?value ."

    def shape(self, shape: Node, focus: str, prefixes: dict[str, str], root_severity: Node, depth: int,
              weights: tuple[str, ...] = (), detail: int | None = None) -> None:
        if depth > NESTING_LIMIT:
            raise UnsupportedShapes(f"shapes nested too deep at {shape}")
        if self.deactivated(shape):
            return
        path = self.one(shape, SH.path)
        prolog = _prolog(prefixes)
        values = self.values(shape, focus)
        step = self.path(path) if path is not None else ""
        scannable = path is not None and focus not in self.named_focus and self.scannable(path)
        seen: set[URIRef] = set()
        for predicate in sorted(set(self.g.predicates(shape, None)), key=str):
            if predicate in NOT_CONSTRAINTS or predicate in seen:
                continue
            if not str(predicate).startswith(str(SH)):
                continue  # not a SHACL word (rdfs:comment, ...); custom components were refused above
            seen.add(predicate)
            objects = list(self.g.objects(shape, predicate))

            def add(kind: str, query: str, component: URIRef, param: URIRef | None,
                    residue: Callable[[Node], bool] | None = None, passes: str | None = None,
                    rows: str | None = None) -> None:
                bulk = None
                if passes is not None:
                    bulk = _Bulk(prolog, focus, passes, absent=True)
                elif rows is not None and scannable:
                    bulk = _Bulk(prolog, focus, rows, absent=False)
                self.checks.append(_Check(kind, prolog + query, shape, component, param, root_severity, residue,
                                          weights=weights, detail=detail, bulk=bulk))

            if predicate in (SH.minCount, SH.maxCount):
                if path is None:
                    raise UnsupportedShapes(f"{predicate} on a node shape")
                count = _integer(objects, predicate)
                if predicate == SH.minCount and count == 0:
                    continue
                if predicate == SH.minCount and count == 1:  # the common cases, without counting
                    some = self.path_pattern(path, "?this", self.var("v"))
                    add("count", f"SELECT ?this WHERE {{ {focus} FILTER NOT EXISTS {{ {some} }} }}",
                        SH.MinCountConstraintComponent, predicate, passes=f"EXISTS {{ {some} }}")
                    continue
                if predicate == SH.maxCount and count < 3:
                    too_many = self.distinct_values('?this', step, count + 1)
                    add("count", f"SELECT ?this WHERE {{ {focus} FILTER EXISTS {{ {too_many} }} }}",
                        SH.MaxCountConstraintComponent, predicate, passes=f"NOT EXISTS {{ {too_many} }}")
                    continue
                test = f"< {count}" if predicate == SH.minCount else f"> {count}"
                component = (SH.MinCountConstraintComponent if predicate == SH.minCount
                             else SH.MaxCountConstraintComponent)
                add("count", f"SELECT ?this WHERE {{ {focus} OPTIONAL {{ ?this {self.path(path)} ?value }} }} "
                             f"GROUP BY ?this HAVING (COUNT(DISTINCT ?value) {test})", component, predicate)
            elif predicate == SH["class"]:
                for cls in objects:
                    add("value", f"SELECT DISTINCT ?this ?value WHERE {{ {values} "
                                 f"FILTER (!{self.condition_class(cls, '?value')}) }}", SH.ClassConstraintComponent,
                        predicate, **self.value_piece(path, step, partial(self.condition_class, cls), f"?this {step} "
                                                      f"?value MINUS {{ [[instances {_sparql_term(cls)} ?value]] }}"))
            elif predicate == SH.datatype:
                datatype = _single(objects, predicate)
                add("value", f"SELECT DISTINCT ?this ?value WHERE {{ {values} FILTER "
                             f"(!{self.condition_datatype(datatype, '?value', exact=False)}) }}",
                    SH.DatatypeConstraintComponent, predicate, residue=_datatype_check(datatype),
                    **self.value_piece(path, step, partial(self.condition_datatype, datatype, exact=False)))
            elif predicate == SH.nodeKind:
                kind = _single(objects, predicate)
                add("value", f"SELECT DISTINCT ?this ?value WHERE {{ {values} FILTER "
                             f"(!{self.condition_node_kind(kind, '?value')}) }}", SH.NodeKindConstraintComponent,
                    predicate, **self.value_piece(path, step, partial(self.condition_node_kind, kind)))
            elif predicate in RANGES:
                component, _operator, _test = RANGES[predicate]
                for bound in objects:
                    add("value", f"SELECT DISTINCT ?this ?value WHERE {{ {values} FILTER "
                                 f"(!{self.condition_range(predicate, bound, '?value', exact=False)}) }}",
                        component, predicate, residue=_range_check(predicate, bound),
                        **self.value_piece(path, step, partial(self.condition_range, predicate, bound, exact=False)))
            elif predicate == SH["in"]:
                members = self.items(_single(objects, predicate))
                add("value", f"SELECT DISTINCT ?this ?value WHERE {{ {values} FILTER "
                             f"(!{self.condition_in(members, '?value')}) }}", SH.InConstraintComponent, predicate,
                    residue=lambda value, members=frozenset(members): value in members,
                    **self.value_piece(path, step, partial(self.condition_in, members)))
            elif predicate == SH.hasValue:
                for expected in objects:
                    term = _sparql_term(expected)
                    if path is None:
                        add("count", f"SELECT ?this WHERE {{ {focus} FILTER (!sameTerm(?this, {term})) }}",
                            SH.HasValueConstraintComponent, predicate, passes=f"sameTerm(?this, {term})")
                    else:
                        add("count", f"SELECT ?this WHERE {{ {focus} FILTER NOT EXISTS {{ ?this {step} {term} }} }}",
                            SH.HasValueConstraintComponent, predicate, passes=f"EXISTS {{ ?this {step} {term} }}")
            elif predicate in LOGICAL:
                for head in objects:
                    members = self.items(head) if predicate != SH["not"] else [head]
                    condition = self.condition_logical(predicate, members, "?value", depth + 1)
                    add("value", f"SELECT DISTINCT ?this ?value WHERE {{ {values} FILTER (!{condition}) }}",
                        LOGICAL[predicate], predicate,
                        **self.value_piece(path, step, partial(self.condition_logical, predicate, members,
                                                               depth=depth + 1)))
            elif predicate == SH.qualifiedValueShape:
                self.qualified(shape, objects, focus, path, add, depth)
            elif predicate == SH.property:
                inner_focus, inner_weights = focus, weights
                if path is not None and detail is not None:
                    raise UnsupportedShapes("a property shape under a property shape of a sh:node shape")
                if path is not None:
                    pairs = (f"SELECT DISTINCT ?rgouter ?this WHERE {{ {{ SELECT (?this AS ?rgouter) WHERE "
                             f"{{ {focus} }} }} ?rgouter {self.path(path)} ?this }}")
                    inner_focus = f"{{ SELECT DISTINCT ?this WHERE {{ {pairs} }} }}"
                    inner_weights = (*weights, prolog + pairs)
                for inner in objects:
                    if self.one(inner, SH.path) is None:
                        raise UnsupportedShapes(f"sh:property {inner} is not a property shape")
                    self.shape(inner, inner_focus, prefixes, root_severity, depth + 1, inner_weights, detail)
            elif predicate == SH.sparql:
                for constraint in objects:
                    self.sparql(shape, constraint, focus, prefixes, root_severity, weights, detail)
            elif predicate == SH.node:
                # pySHACL checks the node shape on each value; when it reports anything, one sh:node result
                # carries those results as sh:detail (and they are validation results of their own).
                alias = self.var("node")
                value_focus = (f"{{ SELECT DISTINCT ?this WHERE {{ {{ SELECT (?value AS {alias}) WHERE "
                               f"{{ {values} }} }} BIND ({alias} AS ?this) }} }}")
                for inner in objects:
                    if self.one(inner, SH.path) is not None:
                        raise UnsupportedShapes(f"sh:node {inner} is not a node shape")
                    group = next(self.groups)
                    self.shape(inner, value_focus, prefixes, root_severity, depth + 1, (), group)
                    self.checks.append(_Check("node", prolog + f"SELECT DISTINCT ?this ?value WHERE {{ {values} }}",
                                              shape, SH.NodeConstraintComponent, predicate, root_severity,
                                              weights=weights, detail=detail, group=group))
            else:
                raise UnsupportedShapes(f"{predicate} (on {shape})")

    @staticmethod
    def value_piece(path: Node | None, step: str, passes: Callable[[str], str], rows: str | None = None
                    ) -> dict[str, object]:
        """The bulk form of a value check whose values pass when ``passes(var)`` is true: for a node shape,
        the condition on ?this (the value); for a property shape, ``rows`` (default: the values along
        ``step`` that do not pass)."""
        if path is None:
            return {"passes": passes("?this")}
        return {"rows": rows if rows is not None else f"?this {step} ?value FILTER (!{passes('?value')})"}

    def qualified(self, shape: Node, objects: list[Node], focus: str, path: Node | None,
                  add: Callable[..., None], depth: int) -> None:
        if path is None:
            raise UnsupportedShapes("sh:qualifiedValueShape on a node shape")
        disjoint = self.one(shape, SH.qualifiedValueShapesDisjoint)
        if isinstance(disjoint, Literal) and bool(disjoint.value):
            raise UnsupportedShapes("sh:qualifiedValueShapesDisjoint")
        low = self.one(shape, SH.qualifiedMinCount)
        high = self.one(shape, SH.qualifiedMaxCount)
        for inner in objects:
            condition = self.conforms(inner, "?value", depth + 1)
            count = (f"SELECT ?this (COUNT(DISTINCT ?value) AS ?rgn) WHERE {{ {focus} OPTIONAL {{ ?this "
                     f"{self.path(path)} ?value FILTER ({condition}) }} }} GROUP BY ?this")
            if high is not None:
                most = _integer([high], SH.qualifiedMaxCount)
                add("count", f"SELECT ?this WHERE {{ {{ {count} }} FILTER (?rgn > {most}) }}",
                    SH.QualifiedMaxCountConstraintComponent, SH.qualifiedValueShape)
            if low is not None:
                least = _integer([low], SH.qualifiedMinCount)
                if least == 1:
                    some = f"?this {self.path(path)} ?value FILTER ({condition})"
                    add("count", f"SELECT ?this WHERE {{ {focus} FILTER NOT EXISTS {{ {some} }} }}",
                        SH.QualifiedMinCountConstraintComponent, SH.qualifiedValueShape,
                        passes=f"EXISTS {{ {some} }}")
                else:
                    add("count", f"SELECT ?this WHERE {{ {{ {count} }} FILTER (?rgn < {least}) }}",
                        SH.QualifiedMinCountConstraintComponent, SH.qualifiedValueShape)

    def sparql(self, shape: Node, constraint: Node, focus: str, prefixes: dict[str, str], root_severity: Node,
               weights: tuple[str, ...], detail: int | None = None) -> None:
        if self.deactivated(constraint):
            return
        selects = list(self.g.objects(constraint, SH.select))
        if len(selects) != 1:
            raise UnsupportedShapes(f"an sh:sparql constraint without one sh:select: {constraint}")
        text = str(selects[0])
        own = self.prefixes(constraint)
        merged = dict(prefixes)
        _merge(merged, own)
        if SHAPES_GRAPH_VARS.search(text):
            raise UnsupportedShapes("$shapesGraph or $currentShape in a SPARQL constraint")
        if re.search(r"\b(MINUS|VALUES|SERVICE)\b", text, re.I):
            raise UnsupportedShapes("MINUS, VALUES or SERVICE in a SPARQL constraint (pySHACL refuses them)")
        path = self.one(shape, SH.path)
        if path is not None:
            from pyshacl.helper.path_helper import shacl_path_to_sparql_path

            text = PATH_VAR.sub(lambda match: match.group(1) + shacl_path_to_sparql_path(self.g, path,
                                                                                          prefixes=None), text)
        elif PATH_VAR.search(text):
            raise UnsupportedShapes("$PATH in a SPARQL constraint of a node shape")
        messages = tuple(sorted(set(self.g.objects(constraint, SH.message)), key=str))
        has_this = bool(THIS.search(text))
        prolog, projection, body = _split_select(text)
        projects_this = projection.strip() == "*" or bool(re.search(r"(^|\s)[$?]this\b", projection))
        if detail is not None and projects_this:
            raise UnsupportedShapes("a SPARQL constraint selecting $this in a sh:node shape")
        if has_this:
            if re.search(r"\bSELECT\b", body, re.I):
                raise UnsupportedShapes("a nested SELECT in a SPARQL constraint that uses $this")
            star = projection.strip() == "*"
            inner = re.sub(r"[$]this\b", "?this", body)
            query = (f"{_prolog(merged)}{prolog}\nSELECT {'*' if star else '(?this AS ?rgfocus) ' + projection} "
                     f"WHERE {{ {focus} {inner} }}")
        else:
            query = _prolog(own) + text
        check = _SparqlCheck(constraint, messages, has_this, _prolog(prefixes) + f"SELECT ?this WHERE {{ {focus} }}",
                             projects_this)
        self.checks.append(_Check("sparql", query, shape, SH.SPARQLConstraintComponent, None, root_severity,
                                  sparql=check, weights=weights, detail=detail))

    # -- conditions: SPARQL expressions true when a node conforms ------------------------------------

    def condition_class(self, cls: Node, var: str) -> str:
        """SHACL instance of ``cls``: a placeholder, spelled out against the data by ``_expand_classes``."""
        return f"[[class {_sparql_term(cls)} {var}]]"

    def condition_datatype(self, datatype: Node, var: str, exact: bool) -> str:
        if datatype == XSD.string:
            return f"(isLiteral({var}) && datatype({var}) = <{XSD.string}> && lang({var}) = \"\")"
        pattern = LEXICAL.get(datatype)  # type: ignore[call-overload]
        if pattern is None:
            if exact:
                raise UnsupportedShapes(f"sh:datatype {datatype} inside another shape")
            return "false"
        return (f"(isLiteral({var}) && datatype({var}) = {_sparql_term(datatype)} && "
                f"REGEX(STR({var}), \"{pattern}\"))")

    def condition_node_kind(self, kind: Node, var: str) -> str:
        if kind not in NODE_KINDS:
            raise UnsupportedShapes(f"sh:nodeKind {kind}")
        return NODE_KINDS[kind].format(var)  # type: ignore[index]

    def condition_range(self, predicate: URIRef, bound: Node, var: str, exact: bool) -> str:
        numeric = isinstance(bound, Literal) and bound.datatype in NUMERIC and bound.value is not None
        if not numeric:
            if exact:
                raise UnsupportedShapes(f"{predicate} {bound} (not a number) inside another shape")
            return "false"
        operator = RANGES[predicate][1]
        return f"(isNumeric({var}) && {var} {operator} {_sparql_term(bound)})"

    def condition_in(self, members: list[Node], var: str) -> str:
        if not members:
            return "false"
        return "(" + " || ".join(f"sameTerm({var}, {_sparql_term(member)})" for member in members) + ")"

    def condition_logical(self, predicate: URIRef, members: list[Node], var: str, depth: int) -> str:
        conditions = [self.conforms(member, var, depth) for member in members]
        if predicate == SH["not"]:
            return f"(!{conditions[0]})"
        if predicate == SH["or"]:
            return "(" + " || ".join(conditions) + ")" if conditions else "false"
        if predicate == SH["and"]:
            return "(" + " && ".join(conditions) + ")" if conditions else "true"
        return "((" + " + ".join(f"IF({condition}, 1, 0)" for condition in conditions) + ") = 1)" \
            if conditions else "false"

    def distinct_values(self, var: str, step: str, count: int) -> str:
        """A pattern matching when ``var`` has at least ``count`` distinct values along ``step``."""
        if count > 4:
            raise UnsupportedShapes("a count above 4 inside another shape")
        names = [self.var("v") for _ in range(count)]
        pairs = [f"!sameTerm({a}, {b})" for a, b in itertools.combinations(names, 2)]
        return f"{var} {step} {', '.join(names)} ." + (f" FILTER ({' && '.join(pairs)})" if pairs else "")

    def conforms(self, shape: Node, var: str, depth: int) -> str:
        """A SPARQL expression that is true when the node in ``var`` conforms to ``shape`` as pySHACL decides
        it for a shape checked from another one (sh:or, sh:and, sh:not, sh:xone, sh:qualifiedValueShape):
        with infos and warnings allowed, a shape of such a severity conforms whatever it reports; any other
        conforms when its own constraints hold and its property shapes conform (in the same sense)."""
        return self.passes(shape, var, depth, any_result=False)

    def passes(self, shape: Node, var: str, depth: int, any_result: bool) -> str:
        """``conforms``, or with ``any_result``: true when ``shape`` reports nothing at all on the node, of
        any severity, property shapes included (what sh:node asks: pySHACL reports a sh:node failure when the
        node shape reports anything)."""
        if depth > NESTING_LIMIT:
            raise UnsupportedShapes(f"shapes nested too deep at {shape}")
        if self.deactivated(shape) or (not any_result and self.severity(shape) in ALLOWED_SEVERITIES):
            return "true"
        path = self.one(shape, SH.path)
        parts: list[str] = []
        for predicate in sorted(set(self.g.predicates(shape, None)), key=str):
            if predicate in NOT_CONSTRAINTS or not str(predicate).startswith(str(SH)):
                continue
            objects = list(self.g.objects(shape, predicate))
            if predicate in (SH.minCount, SH.maxCount):
                if path is None:
                    raise UnsupportedShapes(f"{predicate} on a node shape")
                count = _integer(objects, predicate)
                step = self.path(path)
                if predicate == SH.minCount and count > 0:
                    parts.append(f"EXISTS {{ {self.distinct_values(var, step, count)} }}")
                elif predicate == SH.maxCount:
                    parts.append(f"NOT EXISTS {{ {self.distinct_values(var, step, count + 1)} }}")
                continue
            if predicate == SH.property:
                for inner in objects:
                    if self.one(inner, SH.path) is None:
                        raise UnsupportedShapes(f"sh:property {inner} is not a property shape")
                    if path is None:
                        parts.append(self.passes(inner, var, depth + 1, any_result))
                    else:
                        value = self.var("v")
                        parts.append(f"NOT EXISTS {{ {var} {self.path(path)} {value} "
                                     f"FILTER (!{self.passes(inner, value, depth + 1, any_result)}) }}")
                continue
            value = var if path is None else self.var("v")
            conditions = []
            if predicate == SH["class"]:
                conditions = [self.condition_class(cls, value) for cls in objects]
            elif predicate == SH.datatype:
                conditions = [self.condition_datatype(_single(objects, predicate), value, exact=True)]
            elif predicate == SH.nodeKind:
                conditions = [self.condition_node_kind(_single(objects, predicate), value)]
            elif predicate in RANGES:
                conditions = [self.condition_range(predicate, bound, value, exact=True) for bound in objects]
            elif predicate == SH["in"]:
                conditions = [self.condition_in(self.items(_single(objects, predicate)), value)]
            elif predicate in LOGICAL:
                conditions = [self.condition_logical(predicate, self.items(head) if predicate != SH["not"]
                                                     else [head], value, depth + 1) for head in objects]
            elif predicate == SH.node:
                conditions = [self.passes(inner, value, depth + 1, any_result=True) for inner in objects]
            elif predicate == SH.hasValue:
                for expected in objects:
                    term = _sparql_term(expected)
                    parts.append(f"sameTerm({var}, {term})" if path is None
                                 else f"EXISTS {{ {var} {self.path(path)} {term} }}")
                continue
            else:
                raise UnsupportedShapes(f"{predicate} inside another shape (on {shape})")
            condition = " && ".join(conditions)
            if path is None:
                parts.append(f"({condition})")
            else:
                parts.append(f"NOT EXISTS {{ {var} {self.path(path)} {value} FILTER (!({condition})) }}")
        return "(" + " && ".join(parts) + ")" if parts else "true"


def _single(objects: list[Node], predicate: URIRef) -> Node:
    if len(objects) != 1:
        raise UnsupportedShapes(f"{predicate} needs exactly one value")
    return objects[0]


def _integer(objects: list[Node], predicate: URIRef) -> int:
    value = _single(objects, predicate)
    if not isinstance(value, Literal) or not isinstance(value.value, int) or isinstance(value.value, bool):
        raise UnsupportedShapes(f"{predicate} {value} is not an integer")
    return int(value.value)


def _merge(into: dict[str, str], more: dict[str, str]) -> None:
    for prefix, namespace in more.items():
        if into.setdefault(prefix, namespace) != namespace:
            raise UnsupportedShapes(f"prefix {prefix}: declared for two namespaces")


def _prolog(prefixes: dict[str, str]) -> str:
    return "".join(f"PREFIX {prefix}: <{namespace}>\n" for prefix, namespace in sorted(prefixes.items()))


PROLOG_LINE = re.compile(r"^\s*(PREFIX\s+[^:\s]*:\s*<[^>]*>|BASE\s*<[^>]*>|#[^\n]*)", re.I)


def _split_select(text: str) -> tuple[str, str, str]:
    """(prolog, projection, inside of the WHERE braces) of a SELECT query without solution modifiers.

    >>> _split_select("PREFIX a: <x:> SELECT ?value WHERE { ?value a:b 1 }")
    ('PREFIX a: <x:>', '?value', ' ?value a:b 1 ')
    """
    rest, prolog = text, []
    while match := PROLOG_LINE.match(rest):
        prolog.append(match.group(1).strip())
        rest = rest[match.end():]
    found = re.match(r"\s*SELECT\s+(?:DISTINCT\s+|REDUCED\s+)?(.*?)\s*(?:WHERE\s*)?\{", rest, re.I | re.S)
    if not found or "{" in found.group(1):
        raise UnsupportedShapes("a SPARQL constraint this engine cannot read")
    start = found.end()
    end = rest.rfind("}")
    if end < start or rest[end + 1:].strip():
        raise UnsupportedShapes("a SPARQL constraint with solution modifiers after its WHERE clause")
    return " ".join(line for line in prolog if not line.startswith("#")), found.group(1), rest[start:end]


def _inner_select(text: str) -> tuple[dict[str, str], str]:
    """A target's own prefixes, and its SELECT without them, to nest as a subquery (the prefixes go to the
    outer query).

    >>> _inner_select("PREFIX ex: <https://example.org/> SELECT ?this WHERE { ?this a ex:C }")
    ({'ex': 'https://example.org/'}, 'SELECT ?this WHERE { ?this a ex:C }')
    """
    rest, prefixes = text, {}
    while match := PROLOG_LINE.match(rest):
        line = match.group(1)
        if line.upper().startswith("BASE"):
            raise UnsupportedShapes("BASE in a SPARQL target")
        declared = re.match(r"PREFIX\s+([^:\s]*):\s*<([^>]*)>", line, re.I)
        if declared:
            _merge(prefixes, {declared.group(1): declared.group(2)})
        rest = rest[match.end():]
    return prefixes, rest.strip()


def _datatype_check(datatype: Node) -> Callable[[Node], bool]:
    """pySHACL's DatatypeConstraintComponent on one value: True when it conforms."""
    from pyshacl.constraints.core.value_constraints import DatatypeConstraintComponent

    def actual(value: Literal) -> bool:  # the method reads nothing of its instance
        return bool(DatatypeConstraintComponent._assert_actual_datatype(None, value, datatype))  # type: ignore[arg-type]

    def check(value: Node) -> bool:
        if not isinstance(value, Literal):
            return False
        if value.datatype == datatype:
            return False if getattr(value, "ill_typed", None) is True else actual(value)
        if datatype == RDFS.Literal:
            return True
        if datatype == RDFS.Datatype and value.datatype:
            return True
        if value.datatype is None and value.language is None and datatype == XSD.string:
            return actual(value)
        if datatype == RDF.langString and value.language:
            return actual(value)
        return False

    return check


def _range_check(predicate: URIRef, bound: Node) -> Callable[[Node], bool]:
    """pySHACL's range components on one value: True when it conforms."""
    from pyshacl.rdfutil import compare_literal

    test = RANGES[predicate][2]
    if not isinstance(bound, Literal):
        raise UnsupportedShapes(f"{predicate} {bound} is not a literal")
    bound_is_string = isinstance(bound.value, str)

    def check(value: Node) -> bool:
        if not isinstance(value, Literal):
            return False
        if bound_is_string != isinstance(value.value, str):
            return False
        try:
            return bool(test(compare_literal(value, bound)))
        except (TypeError, NotImplementedError):
            return False

    return check


def compile_shapes(shapes: Graph) -> ShaclPlan:
    """Return the queries that validate data against ``shapes``.

    Raises:
        UnsupportedShapes: naming the first construct this engine cannot run exactly as pySHACL does.
    """
    return ShaclPlan(shapes, _Compiler(shapes).compile())


# -- running -----------------------------------------------------------------------------------------

class _Messages:
    """The sh:resultMessage values of results, as pySHACL's ``make_v_result`` makes them."""

    def __init__(self, shapes: Graph, store: ox.Store) -> None:
        self.shapes, self.store = shapes, store
        self.convert = term_converter()
        self._shape_messages: dict[Node, list[Literal]] = {}
        self._components: dict[tuple[Node, URIRef], object] = {}
        self._sg: object | None = None
        self._data: Graph | None = None

    def of_shape(self, shape: Node) -> list[Literal]:
        if shape not in self._shape_messages:
            self._shape_messages[shape] = list(set(self.shapes.objects(shape, SH.message)))  # type: ignore[arg-type]
        return self._shape_messages[shape]

    def data_graph(self, nodes: Iterable[Node]) -> Graph:
        """An rdflib graph for pySHACL's wording of nodes: empty but for the triples of blank nodes."""
        if self._data is None:
            self._data = Graph()
        for node in nodes:
            if isinstance(node, BNode) and (node, None, None) not in self._data:
                self._add_blank(node, 0)
        return self._data

    def _add_blank(self, node: BNode, depth: int) -> None:
        assert self._data is not None
        for quad in self.store.quads_for_pattern(ox.BlankNode(str(node)), None, None, None):
            obj = self.convert(quad.object)
            self._data.add((node, self.convert(quad.predicate), obj))
            if isinstance(obj, BNode) and depth < 10 and (obj, None, None) not in self._data:
                self._add_blank(obj, depth + 1)

    def generic(self, shape: Node, param: URIRef, focus: Node, value: Node | None) -> list[Literal]:
        key = (shape, param)
        if key not in self._components:
            from pyshacl.constraints import CONSTRAINT_PARAMETERS_MAP
            from pyshacl.shapes_graph import ShapesGraph

            if self._sg is None:
                self._sg = ShapesGraph(self.shapes)
                _ = self._sg.shapes  # type: ignore[attr-defined]  # finds every shape (fills the lookup)
            try:
                pyshacl_shape = self._sg.lookup_shape_from_node(shape)  # type: ignore[attr-defined]
            except KeyError:
                from pyshacl.shape import Shape

                path = self.shapes.value(shape, SH.path)
                pyshacl_shape = Shape(self._sg, shape, p=path is not None, path=path)  # type: ignore[arg-type]
            self._components[key] = CONSTRAINT_PARAMETERS_MAP[param](pyshacl_shape)
        component = self._components[key]
        data = self.data_graph([focus] + ([value] if value is not None else []))
        return list(component.make_generic_messages(data, focus, value))  # type: ignore[attr-defined]


def _substitute(message: str, bound: dict[str, Node]) -> str:
    for var, value in bound.items():  # pySHACL's _format_sparql_based_result_message
        message = re.sub(f"{{[?$]{var}}}", str(value), message)
    return message


CLASS_PLACEHOLDER = re.compile(r"\[\[(class|instances) (<[^>]*>) (\?\w+)\]\]")
SUBCLASSES_INLINED = 8  # a class with more subclasses than this is tested with a property path


def _expand_classes(query: str, store: ox.Store, closures: dict[str, list[str]]) -> str:
    """Spell out "is a SHACL instance of C" for the data at hand: ``?v a C`` for C and each of its subclasses
    (rdfs:subClassOf*), which Oxigraph answers faster than the path ``rdf:type/rdfs:subClassOf*``."""

    def expand(match: re.Match[str]) -> str:
        kind, cls, var = match.group(1), match.group(2), match.group(3)
        if cls not in closures:
            found = store.query(f"SELECT DISTINCT ?c WHERE {{ ?c <{RDFS.subClassOf}>+ {cls} }}",
                                use_default_graph_as_union=True)
            closures[cls] = sorted({str(row["c"]) for row in found} | {cls})  # type: ignore[union-attr]
        members = closures[cls]
        if len(members) > SUBCLASSES_INLINED or any(not member.startswith("<") for member in members):
            pattern = f"{var} <{RDF.type}>/<{RDFS.subClassOf}>* {cls}"
            return f"EXISTS {{ {pattern} }}" if kind == "class" else f"{{ {pattern} }}"
        if kind == "instances":  # a target: the instances, each once
            return " UNION ".join(f"{{ {var} <{RDF.type}> {member} }}" for member in members)
        return "(" + " || ".join(f"EXISTS {{ {var} <{RDF.type}> {member} }}" for member in members) + ")"

    return CLASS_PLACEHOLDER.sub(expand, query)


@dataclass(frozen=True)
class _BulkQuery:
    """One query answering several checks of one focus pattern. ``absent``: a row per focus node that fails
    one of them, with ?rgk0, ?rgk1, ... false for the checks it fails; else rows (?this, ?value) with ?rgk,
    the position of their check in ``checks``."""

    query: str
    checks: tuple[int, ...]
    absent: bool


def _bulk_queries(checks: list[_Check]) -> list[_BulkQuery]:
    """The checks with a ``bulk`` form, as one query per focus pattern and kind (absent or not), so that the
    focus nodes are found once for all of them.

    Absent checks: each focus node once, with one EXISTS per check (what Oxigraph does fastest for these).
    The others: the focus nodes joined by hash with the union of the pieces, each evaluated on its own.
    """
    groups: dict[tuple[str, str, bool], list[int]] = {}
    for index, check in enumerate(checks):
        if check.bulk is not None:
            groups.setdefault((check.bulk.prolog, check.bulk.focus, check.bulk.absent), []).append(index)
    queries = []
    for (prolog, focus, absent), indexes in groups.items():
        pieces = [checks[index].bulk.piece for index in indexes]  # type: ignore[union-attr]
        if absent:
            flags = " ".join(f"BIND ({piece} AS ?rgk{position})" for position, piece in enumerate(pieces))
            fails = " || ".join(f"!?rgk{position}" for position in range(len(pieces)))
            query = f"SELECT * WHERE {{ {focus} {flags} FILTER ({fails}) }}"
        else:
            union = " UNION ".join(f"{{ SELECT DISTINCT ?this ?value ({position} AS ?rgk) WHERE {{ {piece} }} }}"
                                   for position, piece in enumerate(pieces))
            query = f"SELECT ?this ?value ?rgk WHERE {{ {focus} {{ {union} }} }}"
        queries.append(_BulkQuery(prolog + query, tuple(indexes), absent))
    return queries


QUERY_THREADS = 2  # Oxigraph evaluates a query without holding the GIL: two run at once on two cores


@dataclass(frozen=True)
class _Answer:
    """A query's solutions, read to the end (in a worker thread)."""

    variables: list[ox.Variable]
    solutions: list[ox.QuerySolution]

    def __iter__(self) -> Iterator[ox.QuerySolution]:
        return iter(self.solutions)


def _answer(store: ox.Store, query: str) -> _Answer:
    found = store.query(query, use_default_graph_as_union=True)
    return _Answer(list(found.variables), list(found))  # type: ignore[union-attr,arg-type]


def _dispatch(bulks: list[_BulkQuery], answers: list[_Answer]) -> dict[int, list[object]]:
    """The solutions of each check answered by a bulk query, as its own query would give them."""
    answered: dict[int, list[object]] = {}
    for bulk, answer in zip(bulks, answers, strict=True):
        for index in bulk.checks:
            answered[index] = []
        for solution in answer:
            if not bulk.absent:
                answered[bulk.checks[int(solution["rgk"].value)]].append(solution)  # type: ignore[union-attr]
                continue
            for position, index in enumerate(bulk.checks):
                passed = solution[f"rgk{position}"]
                if passed is not None and passed.value == "false":  # unbound: an error, as FILTER takes it
                    this = solution["this"]
                    answered[index].append({"this": this, "value": this})  # a node shape's value: itself
    return answered


def run_plan(plan: ShaclPlan, store: ox.Store, bulk: bool = True) -> list[ShaclResult]:
    """Run ``plan`` on ``store`` (its default graph the union of its graphs); return the results.

    With ``bulk`` the checks of one focus pattern share a query (``_bulk_queries``); without it each check
    runs its own query (slower at scale; the differential tests compare the two).
    """
    convert = term_converter()
    closures: dict[str, list[str]] = {}
    messages = _Messages(plan.shapes, store)
    results: list[ShaclResult] = []
    paths: dict[Node, Node | None] = {}

    def path_of(shape: Node) -> Node | None:
        if shape not in paths:
            paths[shape] = plan.shapes.value(shape, SH.path)
        return paths[shape]

    severities: dict[Node, Node] = {}

    def severity_of(shape: Node) -> Node:
        if shape not in severities:
            severities[shape] = next(iter(set(plan.shapes.objects(shape, SH.severity))), SH.Violation)
        return severities[shape]

    weights: dict[tuple[str, ...], dict[Node, int]] = {}

    def weight_of(check: _Check) -> dict[Node, int]:
        if check.weights not in weights:
            weight: dict[Node, int] = {}
            for query in check.weights:
                pairs = store.query(_expand_classes(query, store, closures), use_default_graph_as_union=True)
                inner: dict[Node, int] = {}
                for row in pairs:  # type: ignore[union-attr]
                    this = convert(row["this"])
                    inner[this] = inner.get(this, 0) + weight.get(convert(row["rgouter"]), 1)
                weight = inner
            weights[check.weights] = weight
        return weights[check.weights]

    groups: dict[int, dict[Node, list[ShaclResult]]] = {}

    def emit(check: _Check, result: ShaclResult, times: int) -> None:
        if check.detail is None:
            results.extend([result] * times)
        else:
            groups.setdefault(check.detail, {}).setdefault(result.focus, []).extend([result] * times)

    bulks = _bulk_queries(plan.checks) if bulk else []
    in_bulk = {index for bulk in bulks for index in bulk.checks}
    with ThreadPoolExecutor(QUERY_THREADS) as pool:  # every query asked at once; answers read in plan order
        asked = [pool.submit(_answer, store, _expand_classes(bulk.query, store, closures)) for bulk in bulks]
        pending = {index: pool.submit(_answer, store, _expand_classes(check.query, store, closures))
                   for index, check in enumerate(plan.checks) if index not in in_bulk}
        answered = _dispatch(bulks, [answer.result() for answer in asked])
        answers = [answered[index] if index in answered else pending[index].result()
                   for index in range(len(plan.checks))]
    for check, solutions in zip(plan.checks, answers, strict=True):
        repeat = weight_of(check) if check.weights else {}
        if check.kind == "sparql":
            assert check.sparql is not None
            for result in _sparql_results(plan, check, solutions, store, convert, messages, path_of(check.shape),
                                          severity_of(check.shape)):
                emit(check, result, repeat.get(result.focus, 1))
            continue
        own = messages.of_shape(check.shape)
        found = groups.get(check.group, {}) if check.group is not None else {}
        for solution in solutions:
            focus = convert(solution["this"])
            value = convert(solution["value"]) if check.kind in ("value", "node") else None
            if check.residue is not None and check.residue(value):  # type: ignore[arg-type]
                continue
            details: tuple[ShaclResult, ...] = ()
            if check.kind == "node":
                details = tuple(found.get(value, ()))  # type: ignore[arg-type]
                if not details:
                    continue
            said = tuple(own) if own else tuple(messages.generic(check.shape, check.param, focus, value))  # type: ignore[arg-type]
            emit(check, ShaclResult(focus, check.shape, check.component, severity_of(check.shape), said,
                                    path_of(check.shape), value, None, check.root_severity, details),
                 repeat.get(focus, 1))
    return results


def flatten(results: Iterable[ShaclResult]) -> list[ShaclResult]:
    """Every result with, after each, its sh:detail results (pySHACL's report has them all as results)."""
    flat: list[ShaclResult] = []
    for result in results:
        flat.append(result)
        flat.extend(flatten(result.details))
    return flat


def _sparql_results(plan: ShaclPlan, check: _Check, solutions: _Answer, store: ox.Store,
                    convert: Callable[[object], Node], messages: _Messages, path: Node | None,
                    severity: Node) -> Iterator[ShaclResult]:
    sparql = check.sparql
    assert sparql is not None
    names = [variable.value for variable in solutions.variables]
    rows: dict[Node | None, list[tuple[object, ...]]] = {}
    kept: set[tuple[object, ...]] = set()  # (focus, this, path, value, other bindings) of each row kept once
    failed: set[Node | None] = set()  # focus nodes with their one failure row
    for solution in solutions:
        bound = {name: convert(solution[name]) for name in names
                 if name != "rgfocus" and solution[name] is not None}
        if not sparql.projects_this:
            bound.pop("this", None)
        focus = convert(solution["rgfocus"]) if sparql.has_this and "rgfocus" in names else (
            convert(solution["this"]) if sparql.has_this else None)
        violations = rows.setdefault(focus, [])
        if bound.pop("failure", None) is not None:
            if focus not in failed:  # one failure per focus node
                failed.add(focus)
                violations.append((True, bound))
            continue
        p, v, t = bound.pop("path", None), bound.pop("value", None), bound.pop("this", None)
        if p is None and v is None and t is None:
            continue
        key = (focus, t, p, v, frozenset(bound.items()))  # a set: thousands of rows may share one focus
        if key not in kept:
            kept.add(key)
            violations.append((t, p, v, bound))
    if sparql.has_this:
        by_focus = rows
    else:
        found = rows.get(None, [])
        if not found:
            return
        focus_nodes = [convert(solution["this"]) for solution in
                       store.query(sparql.focus_query, use_default_graph_as_union=True)]
        by_focus = {focus: found for focus in focus_nodes}
    own = messages.of_shape(check.shape)
    node_shape = path is None
    for focus, violations in by_focus.items():
        assert focus is not None
        for violation in violations:
            if len(violation) == 2:
                value, result_path, bound = (focus if node_shape else None), None, dict(violation[1])  # type: ignore[arg-type]
                result_focus = focus
            else:
                t, p, v, extra = violation  # type: ignore[misc]
                value = v if v is not None else (focus if node_shape else None)
                result_focus, result_path = t or focus, p
                bound = dict(extra)
                for name, term in (("this", t), ("path", p), ("value", value)):
                    if term is not None:
                        bound[name] = term
            said: list[Literal] = []
            if sparql.messages:
                for message in sparql.messages:
                    if message in own:
                        continue
                    said.append(Literal(_substitute(str(message.value), bound)))
            for message in (own if (own or sparql.messages) else []):
                said.append(Literal(_substitute(str(message.value), bound)))
            yield ShaclResult(result_focus, check.shape, check.component, severity, tuple(said),
                              result_path if result_path is not None else path, value, sparql.node,
                              check.root_severity)


def conforms(results: Iterable[ShaclResult]) -> bool:
    """pySHACL's sh:conforms with warnings and infos allowed."""
    return not any(result.root_severity not in ALLOWED_SEVERITIES and result.severity not in ALLOWED_SEVERITIES
                   for result in results)


def report_graph(shapes: Graph, results: list[ShaclResult], data: Graph) -> Graph:
    """The sh:ValidationReport graph pySHACL would return for ``results``.

    ``data`` holds the triples of blank nodes among focus nodes and values (cloned into the report).
    """
    from pyshacl.rdfutil import clone_blank_node

    report = Graph(bind_namespaces="core")
    for prefix, namespace in shapes.namespace_manager.namespaces():
        report.namespace_manager.bind(prefix, namespace)
    root = BNode()
    report.add((root, RDF.type, SH.ValidationReport))
    report.add((root, SH.conforms, Literal(conforms(results))))
    cloned: dict[tuple[str, str], Node] = {}

    def clone(source: Graph, name: str, node: Node) -> Node:
        if isinstance(node, Literal):
            return node
        key = (name, str(node))
        if key not in cloned:
            cloned[key] = (clone_blank_node(source, node, report, keepid=True) if isinstance(node, BNode)
                           else URIRef(str(node)))
        return cloned[key]

    def add(result: ShaclResult) -> BNode:
        node = BNode()
        report.add((node, RDF.type, SH.ValidationResult))
        report.add((node, SH.sourceConstraintComponent, clone(shapes, "sg", result.component)))
        report.add((node, SH.sourceShape, clone(shapes, "sg", result.shape)))
        report.add((node, SH.resultSeverity, result.severity))
        report.add((node, SH.focusNode, clone(data, "data", result.focus)))
        if result.value is not None:
            report.add((node, SH.value, clone(data, "data", result.value)))
        if result.path is not None:
            report.add((node, SH.resultPath, clone(shapes, "sg", result.path)))
        if result.source_constraint is not None:
            report.add((node, SH.sourceConstraint, clone(shapes, "sg", result.source_constraint)))
        for message in result.messages:
            report.add((node, SH.resultMessage, message))
        for detail in result.details:
            report.add((node, SH.detail, add(detail)))
        return node

    for result in results:
        report.add((root, SH.result, add(result)))
    return report
