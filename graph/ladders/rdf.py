"""Steps and comparisons -> quads of the ladder graph (``Iris().ladder_graph``). Pure.

A step is ``rg:PromotionStep`` with ``rg:fromClass``, ``rg:toClass``, ``rg:basis`` (explicit, derived or
lateral), ``rg:score``, ``rg:monthsRequired``, ``rg:monthsOnEntry``, ``rg:monthsInRole``, ``rg:gradeChange``,
``rg:combination``, ``rg:field``, ``rg:sharedSkill``, ``rg:missingSkill``, ``rg:justifiedBy`` (the fact
nodes, which carry source lines) and ``rdfs:comment`` (the explanation). Classes of different employers
get ``rg:comparableTo`` both ways and an ``rg:Comparison`` node with the score.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from pyoxigraph import Literal, NamedNode, Quad

from rolegraph.ladders.derive import Ladder
from rolegraph.rdf.iris import Iris
from rolegraph.rdf.namespaces import RDF, RDFS, RG, XSD

__all__ = ["ladder_quads", "step_iri"]


def _key(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:20]


def step_iri(iris: Iris, source: str, target: str) -> NamedNode:
    """The IRI of the step from ``source`` to ``target`` (deterministic; one step per ordered pair)."""
    return iris.node(f"ladder/step/{_key(source, target)}")


def _decimal(value: Decimal | float) -> Literal:
    """An xsd:decimal without exponent: 0.453, 48."""
    return Literal(f"{value:.3f}" if isinstance(value, float) else format(value, "f"), datatype=XSD.decimal)


def ladder_quads(ladder: Ladder, iris: Iris | None = None) -> list[Quad]:
    """Every quad of the ladder graph, in a stable order."""
    iris = iris or Iris()
    graph = iris.ladder_graph
    quads: list[Quad] = []

    def add(subject: NamedNode, predicate: NamedNode, obj: NamedNode | Literal) -> None:
        quads.append(Quad(subject, predicate, obj, graph))

    for step in ladder.steps:
        node = step_iri(iris, step.source, step.target)
        add(node, RDF.type, RG.PromotionStep)
        add(node, RG.fromClass, NamedNode(step.source))
        add(node, RG.toClass, NamedNode(step.target))
        add(node, RG.basis, Literal(step.kind))
        add(node, RG.score, _decimal(step.score))
        if step.months_required is not None:
            add(node, RG.monthsRequired, _decimal(step.months_required))
            add(node, RG.monthsOnEntry, _decimal(step.months_on_entry))
        if step.months_in_role is not None:
            add(node, RG.monthsInRole, _decimal(step.months_in_role))
        if step.grade_change is not None:
            add(node, RG.gradeChange, Literal(str(step.grade_change), datatype=XSD.integer))
        if step.required_field:
            add(node, RG.field, Literal(step.required_field))
        add(node, RG.combination, Literal(step.combine))
        for concept in step.shared_skills:
            add(node, RG.sharedSkill, NamedNode(concept))
        for concept in step.missing_skills:
            add(node, RG.missingSkill, NamedNode(concept))
        for fact in step.justified_by:
            add(node, RG.justifiedBy, NamedNode(fact))
        add(node, RDFS.comment, Literal(step.explanation))
    for comparison in ladder.comparisons:
        first, second = NamedNode(comparison.first), NamedNode(comparison.second)
        add(first, RG.comparableTo, second)
        add(second, RG.comparableTo, first)
        node = iris.node(f"ladder/comparison/{_key(comparison.first, comparison.second)}")
        add(node, RDF.type, RG.Comparison)
        add(node, RG.comparedClass, first)
        add(node, RG.comparedClass, second)
        add(node, RG.score, _decimal(comparison.score))
        add(node, RDFS.comment, Literal("shares " + "; ".join(comparison.shared)))
    return quads
