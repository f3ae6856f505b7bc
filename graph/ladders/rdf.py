"""Steps and comparisons -> quads of the ladder graph (``Iris().ladder_graph``). Pure.

A step is ``rg:PromotionStep`` with ``rg:fromClass``, ``rg:toClass``, ``rg:basis`` (explicit, derived or
lateral), ``rg:score``, ``rg:monthsRequired``, ``rg:monthsOnEntry``, ``rg:monthsInRole``, ``rg:gradeChange``,
``rg:combination``, ``rg:field``, ``rg:sharedSkill``, ``rg:missingSkill``, ``rg:sharedActivity``,
``rg:missingActivity``, ``rg:justifiedBy`` (the fact nodes, which carry source lines) and ``rdfs:comment`` (the
explanation). Classes of different employers
get ``rg:comparableTo`` both ways and an ``rg:Comparison`` node with the score.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from decimal import Decimal
from itertools import chain
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Quad

from rolegraph.ladders.derive import Comparison, Ladder, Step
from rolegraph.rdf.iris import Iris
from rolegraph.rdf.namespaces import RDF, RDFS, RG, XSD

__all__ = ["ladder_quads", "iter_ladder_quads", "step_iri", "canonical_decimal", "ladder_total", "items_total",
           "digest_of_total", "ladder_delta"]

_MODULUS = 1 << 128
_MODULE = Path(__file__).read_bytes()  # a change of how the graph is written is a change of every digest


def _key(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:20]


def step_iri(iris: Iris, source: str, target: str) -> NamedNode:
    """The IRI of the step from ``source`` to ``target`` (deterministic; one step per ordered pair)."""
    return iris.node(f"ladder/step/{_key(source, target)}")


def _decimal(value: Decimal | float) -> Literal:
    """An xsd:decimal in canonical form (no exponent, no trailing zeros), as Oxigraph keeps it: a graph compared
    with what the store holds compares equal when the values are.

    >>> _decimal(0.45).value, _decimal(Decimal("48.0")).value, _decimal(1.0).value
    ('0.45', '48', '1')
    """
    return Literal(canonical_decimal(f"{value:.3f}" if isinstance(value, float) else format(value, "f")),
                   datatype=XSD.decimal)


def canonical_decimal(text: str) -> str:
    """A plain decimal numeral without trailing zeros or a trailing point.

    >>> canonical_decimal("0.450"), canonical_decimal("12.000"), canonical_decimal("-0.0"), canonical_decimal("30")
    ('0.45', '12', '0', '30')
    """
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "", "-") else text


def ladder_quads(ladder: Ladder, iris: Iris | None = None) -> list[Quad]:
    """Every quad of the ladder graph, in a stable order."""
    return list(iter_ladder_quads(ladder, iris))


def iter_ladder_quads(ladder: Ladder, iris: Iris | None = None) -> Iterator[Quad]:
    """The quads of ``ladder_quads`` one by one (at 100k classes the ladder graph has millions)."""
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
        for activity in step.shared_activities:
            add(node, RG.sharedActivity, Literal(activity))
        for activity in step.missing_activities:
            add(node, RG.missingActivity, Literal(activity))
        for fact in step.justified_by:
            add(node, RG.justifiedBy, NamedNode(fact))
        add(node, RDFS.comment, Literal(step.explanation))
        yield from quads
        quads.clear()
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
        yield from quads
        quads.clear()


def ladder_total(ladder: Ladder) -> int:
    """The sum of the hashes of the ladder's steps and comparisons (mod 2**128), which its digest (recorded in the
    graph as ``rg:contentHash``, so a later build can tell what the store holds: ``digest_of_total``) is made from:
    a change of a few items changes it by their hashes alone (``items_total``)."""
    return items_total(chain(ladder.steps, ladder.comparisons))


def items_total(items: Iterable[Step | Comparison]) -> int:
    """The sum of the hashes of ``items`` (mod 2**128).

    >>> items_total([]) == 0
    True
    """
    return sum(int.from_bytes(hashlib.sha256(repr(item).encode("utf-8")).digest()[:16], "big")
               for item in items) % _MODULUS


def digest_of_total(total: int, iris: Iris | None = None) -> str:
    """The ladder digest of the items whose hashes sum to ``total``: a hash of that sum, the base IRI and this
    module (how the graph is written)."""
    digest = hashlib.sha256((iris or Iris()).base.encode())
    digest.update(_MODULE)
    digest.update(total.to_bytes(16, "big"))
    return digest.hexdigest()


def ladder_delta(before: Ladder, after: Ladder) -> tuple[Ladder, Ladder]:
    """(steps and comparisons that went or changed, those that came or changed): the quads of the first are
    removed and those of the second added. Items never share a quad, so that is exact."""
    gone, came = Ladder(), Ladder()
    old_steps = {(step.source, step.target): step for step in before.steps}
    new_steps = {(step.source, step.target): step for step in after.steps}
    gone.steps = [step for key, step in old_steps.items() if new_steps.get(key) != step]
    came.steps = [step for key, step in new_steps.items() if old_steps.get(key) != step]
    old_pairs = {(c.first, c.second): c for c in before.comparisons}
    new_pairs = {(c.first, c.second): c for c in after.comparisons}
    gone.comparisons = [c for key, c in old_pairs.items() if new_pairs.get(key) != c]
    came.comparisons = [c for key, c in new_pairs.items() if old_pairs.get(key) != c]
    return gone, came
