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
from itertools import chain
from pathlib import Path

from pyoxigraph import Literal, Quad

from rolegraph.cache import keep_state, load_state
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
from rolegraph.ladders.query import LadderPath, LadderResult, iter_paths, load_ladder_graph, paths, skill_labels
from rolegraph.ladders.rdf import iter_ladder_quads, ladder_delta, ladder_digest, ladder_quads
from rolegraph.ladders.svg import render_svg
from rolegraph.rdf.iris import Iris
from rolegraph.rdf.namespaces import RG
from rolegraph.store import Store

__all__ = [
    "KINDS", "PROMOTION_KINDS", "ClassFacts", "Experience", "FamilyMember", "Step", "PartCheck", "Comparison",
    "Ladder", "LadderRules", "LadderPath", "LadderResult", "Derivation", "derive_ladder", "derive_ladder_again",
    "derive_ladder_around", "ladder_rules", "load_class_facts",
    "facts_of_quads", "concept_labels_of_quads",
    "load_ladder_graph", "iter_paths", "paths", "ladder_quads", "render_svg", "write_ladder", "LADDER_STATE",
]

LADDER_STATE = "ladder"  # the ladder last written, with its content hash, kept for the next build


def write_ladder(store: Store, iris: Iris | None = None, rules: LadderRules | None = None,
                 facts: list[ClassFacts] | None = None, labels: dict[str, str] | None = None,
                 cache_directory: Path | None = None, versions: Mapping[str, str] | None = None) -> Ladder:
    """Derive every step from the classes in ``store`` and replace its ladder graph (one transaction).

    ``facts`` (and the skill concept ``labels``), when given, must be those of every class in the store, as
    ``facts_of_quads`` reads them from the class graphs; otherwise they are read from the store. With a
    ``cache_directory`` holding the ladder the store's ladder graph was written from (checked by its content
    hash), only the steps and comparisons that changed are written. With the ``versions`` of the facts too (class
    IRI -> a key that changes whenever its facts or skill labels do), only what changed since the ladder kept
    there is derived again (``derive_ladder_again``: the same ladder).
    """
    iris = iris or Iris()
    kept = load_state(cache_directory, LADDER_STATE)
    if not (isinstance(kept, tuple) and len(kept) == 3 and isinstance(kept[1], Ladder)):
        kept = None
    derivation = None
    if facts is None:
        ladder = derive_ladder(load_class_facts(store), rules, skill_labels(store))
    elif versions is None:
        ladder = derive_ladder(facts, rules, labels)
    else:
        previous = kept[2] if kept is not None and isinstance(kept[2], Derivation) else None
        ladder, derivation = derive_ladder_again(facts, versions, previous, rules, labels)
    graph = iris.ladder_graph
    digest = ladder_digest(ladder, iris)
    stored = store.graph_marker(graph.value)
    if kept is not None and kept[0] == stored:
        if stored != digest:
            gone, came = ladder_delta(kept[1], ladder)
            store.change_graph(graph.value, ladder_quads(gone, iris), ladder_quads(came, iris), digest)
    elif stored != digest:
        marker = Quad(graph, RG.contentHash, Literal(digest), graph)
        store.replace_graph(graph.value, chain(iter_ladder_quads(ladder, iris), [marker]))
    keep_state(cache_directory, LADDER_STATE, (digest, ladder, derivation))
    return ladder
