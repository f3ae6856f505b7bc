"""Career ladders: promotion steps between job classes, written to the store and queried as paths.

Stable API (the web front end uses it):

- :func:`paths` ``(store, from_class, to_class=None, max_steps=4) -> LadderResult``: promotion paths from
  one class (code, title or IRI; fuzzy), ranked, each step explained; ``LadderResult.to_dict()`` is JSON.
- :func:`render_svg` ``(result) -> str``: the ladder drawn as SVG (grades bottom to top), text escaped.
- :func:`write_ladder` ``(store, iris) -> Ladder``: the build stage: derive every step from the class facts
  (read from the store, or given by the build that has them in hand) and replace the ladder graph.

>>> from rolegraph.ladders import iter_paths
>>> list(iter_paths({"clerk": ["senior clerk"], "senior clerk": []}, "clerk"))
[('clerk', 'senior clerk')]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

from pyoxigraph import Literal, Quad

from rolegraph.ladders.derive import (
    KINDS,
    PROMOTION_KINDS,
    Comparison,
    Derivation,
    Ladder,
    LadderRules,
    PartCheck,
    Step,
    derive_ladder,
    derive_ladder_again,
    derive_ladder_around,
    ladder_rules,
)
from rolegraph.ladders.facts import (
    ClassFacts,
    Experience,
    FamilyMember,
    concept_labels_of_quads,
    facts_of_quads,
    load_class_facts,
)
from rolegraph.ladders.kept import LADDER_STATE, StateUnreadable, attached, keep_ladder, last_ladder, load_kept
from rolegraph.ladders.query import (
    LadderPath,
    LadderResult,
    iter_paths,
    load_ladder_graph,
    paths,
    paths_by_employer,
    skill_labels,
)
from rolegraph.ladders.rdf import digest_of_total, iter_ladder_quads, ladder_delta, ladder_quads, ladder_total
from rolegraph.ladders.svg import render_svg
from rolegraph.rdf.iris import Iris
from rolegraph.rdf.namespaces import RG
from rolegraph.store import Store

__all__ = [
    "KINDS", "PROMOTION_KINDS", "ClassFacts", "Experience", "FamilyMember", "Step", "PartCheck", "Comparison",
    "Ladder", "LadderRules", "LadderPath", "LadderResult", "Derivation", "derive_ladder", "derive_ladder_again",
    "derive_ladder_around", "ladder_rules", "load_class_facts",
    "facts_of_quads", "concept_labels_of_quads",
    "load_ladder_graph", "iter_paths", "paths", "paths_by_employer", "ladder_quads", "render_svg", "write_ladder",
    "write_ladder_around", "LadderChange", "LADDER_STATE",
]


def write_ladder(store: Store, iris: Iris | None = None, rules: LadderRules | None = None,
                 facts: list[ClassFacts] | None = None, labels: dict[str, str] | None = None,
                 cache_directory: Path | None = None, versions: Mapping[str, str] | None = None) -> Ladder:
    """Derive every step from the classes in ``store`` and replace its ladder graph (one transaction).

    ``facts`` (and the skill concept ``labels``), when given, must be those of every class in the store, as a
    build makes them from its parsed classes (``facts_of_class``; equal to what ``facts_of_quads`` reads from the
    class graphs); otherwise they are read from the store. With a
    ``cache_directory`` holding the ladder the store's ladder graph was written from (checked by its content
    hash), only the steps and comparisons that changed are written. With the ``versions`` of the facts too (class
    IRI -> a key that changes whenever its facts or skill labels do), only what changed since the ladder kept
    there is derived again (``derive_ladder_again``: the same ladder).
    """
    iris = iris or Iris()
    found = load_kept(cache_directory)
    derivation = None
    if facts is None:
        ladder = derive_ladder(load_class_facts(store), rules, skill_labels(store))
    elif versions is None:
        ladder = derive_ladder(facts, rules, labels)
    else:
        previous = None
        if found is not None and found[0].derivation is not None:
            previous = attached(found[0].derivation, found[1])
        ladder, derivation = derive_ladder_again(facts, versions, previous, rules, labels)
    graph = iris.ladder_graph
    total = ladder_total(ladder)
    digest = digest_of_total(total, iris)
    stored = store.graph_marker(graph.value)
    last = last_ladder(*found) if found is not None and found[0].digest == stored else None
    if last is not None:
        if stored != digest:
            gone, came = ladder_delta(last, ladder)
            store.change_graph(graph.value, ladder_quads(gone, iris), ladder_quads(came, iris), digest)
    elif stored != digest:
        marker = Quad(graph, RG.contentHash, Literal(digest), graph)
        store.replace_graph(graph.value, chain(iter_ladder_quads(ladder, iris), [marker]))
    keep_ladder(cache_directory, digest, total, derivation, Ladder(), ladder, {fact.iri: fact for fact in facts or ()},
                derivation.words if derivation is not None else {}, versions or {}, whole=True)
    return ladder


@dataclass(frozen=True)
class LadderChange:
    """What ``write_ladder_around`` changed in the ladder graph."""

    promotions: int  # promotion steps added, less those removed
    quads: int  # quads added, less those removed


def write_ladder_around(store: Store, iris: Iris, changed: Mapping[str, ClassFacts], versions: Mapping[str, str],
                        cache_directory: Path | None, rules: LadderRules | None = None) -> LadderChange | None:
    """``write_ladder`` for a store whose classes are those the kept ladder was derived from, of which those in
    ``changed`` (class IRI -> its facts, with the same skill labels; ``versions``: their new versions) changed:
    the facts of no other class are needed (``derive_ladder_around``), and only the steps and comparisons that
    changed are written. None, with nothing written, when that cannot be done: nothing kept, a store that no
    longer holds the kept ladder, a change reaching too far."""
    found = load_kept(cache_directory)
    graph = iris.ladder_graph
    if found is None or found[0].derivation is None or store.graph_marker(graph.value) != found[0].digest:
        return None
    kept, classes = found
    assert kept.derivation is not None
    try:
        known = classes.versions_of(changed)
        if len(known) != len(changed) or "" in known.values():
            return None  # a class not kept, or one whose facts came from two graphs
        around = derive_ladder_around(kept.derivation, changed, classes, classes.last, rules)
    except StateUnreadable:
        return None  # a damaged table
    if around is None:
        return None
    total = (kept.total - ladder_total(around.gone) + ladder_total(around.came)) % (1 << 128)
    digest = digest_of_total(total, iris)
    removed, added = ladder_quads(around.gone, iris), ladder_quads(around.came, iris)
    if digest != kept.digest:
        store.change_graph(graph.value, removed, added, digest)
    keep_ladder(cache_directory, digest, total, around.derivation, around.gone, around.came, changed, around.words,
                versions, whole=False)
    return LadderChange(len(around.came.promotions()) - len(around.gone.promotions()), len(added) - len(removed))
