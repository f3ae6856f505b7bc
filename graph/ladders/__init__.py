"""Career ladders: promotion steps between job classes, written to the store and queried as paths.

Stable API (the web front end uses it):

- :func:`paths` ``(store, from_class, to_class=None, max_steps=4) -> LadderResult``: promotion paths from
  one class (code, title or IRI; fuzzy), ranked, each step explained; ``LadderResult.to_dict()`` is JSON.
- :func:`render_svg` ``(result) -> str``: the ladder drawn as SVG (grades bottom to top), text escaped.
- :func:`write_ladder` ``(store, iris) -> Ladder``: the build stage: derive every step from the class facts
  in the store and replace the ladder graph.

>>> from rolegraph.ladders import iter_paths
>>> list(iter_paths({"clerk": ["senior clerk"], "senior clerk": []}, "clerk"))
[('clerk', 'senior clerk')]
"""

from __future__ import annotations

from rolegraph.ladders.derive import (
    KINDS,
    PROMOTION_KINDS,
    Comparison,
    Ladder,
    LadderRules,
    PartCheck,
    Step,
    derive_ladder,
    ladder_rules,
)
from rolegraph.ladders.facts import ClassFacts, Experience, FamilyMember, load_class_facts
from rolegraph.ladders.query import LadderPath, LadderResult, iter_paths, load_ladder_graph, paths, skill_labels
from rolegraph.ladders.rdf import ladder_quads
from rolegraph.ladders.svg import render_svg
from rolegraph.rdf.iris import Iris
from rolegraph.store import Store

__all__ = [
    "KINDS", "PROMOTION_KINDS", "ClassFacts", "Experience", "FamilyMember", "Step", "PartCheck", "Comparison",
    "Ladder", "LadderRules", "LadderPath", "LadderResult", "derive_ladder", "ladder_rules", "load_class_facts",
    "load_ladder_graph", "iter_paths", "paths", "ladder_quads", "render_svg", "write_ladder",
]


def write_ladder(store: Store, iris: Iris | None = None, rules: LadderRules | None = None) -> Ladder:
    """Derive every step from the classes in ``store`` and replace its ladder graph (one transaction)."""
    iris = iris or Iris()
    ladder = derive_ladder(load_class_facts(store), rules, skill_labels(store))
    store.replace_graph(iris.ladder_graph.value, ladder_quads(ladder, iris))
    return ladder
