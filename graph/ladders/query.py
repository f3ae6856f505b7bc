"""Promotion paths: the ladder graph loaded from a store into networkx, and path queries over it.

The steps written by ``rolegraph build`` (the ladder graph) are read back with SPARQL; a store built
before steps existed gets them derived on the fly from the class facts in the store. Nothing is re-parsed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rolegraph.errors import Ambiguous
from rolegraph.ladders.derive import PROMOTION_KINDS, Comparison, Step, derive_ladder
from rolegraph.ladders.facts import load_class_facts, where_of
from rolegraph.lookup import ClassRef, find_class, list_classes, values_clause
from rolegraph.store import Store

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["LadderPath", "LadderResult", "PathIndex", "load_ladder_graph", "load_ladder_neighbourhood", "iter_paths",
           "paths", "skill_labels"]

DEFAULT_MAX_STEPS = 4


def _v(row: object, name: str) -> str | None:
    term = row[name]  # type: ignore[index]
    return None if term is None else term.value


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def skill_labels(store: Store) -> dict[str, str]:
    """Skill concept IRI -> preferred label."""
    return {_v(row, "c") or "": _v(row, "l") or "" for row in store.query(
        "SELECT ?c (SAMPLE(?label) AS ?l) WHERE { ?c a skos:Concept ; skos:prefLabel ?label } GROUP BY ?c")}


def _stored_steps(store: Store, sources: Iterable[str] | None = None) -> list[Step]:
    """The promotion steps in the ladder graph (those from ``sources`` only, when given)."""
    only = values_clause("?from", sources)
    fields: dict[str, dict[str, Any]] = {}
    lists: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for row in store.query(f"""
        SELECT ?s ?from ?to ?basis ?score ?months ?entry ?role ?change ?field ?combine ?comment WHERE {{ {only}
          ?s rg:fromClass ?from ; a rg:PromotionStep ; rg:toClass ?to ; rg:basis ?basis ; rg:score ?score .
          OPTIONAL {{ ?s rg:monthsRequired ?months }} OPTIONAL {{ ?s rg:monthsOnEntry ?entry }}
          OPTIONAL {{ ?s rg:monthsInRole ?role }} OPTIONAL {{ ?s rg:gradeChange ?change }}
          OPTIONAL {{ ?s rg:field ?field }} OPTIONAL {{ ?s rg:combination ?combine }}
          OPTIONAL {{ ?s rdfs:comment ?comment }} }}"""):
        change = _v(row, "change")
        fields[_v(row, "s") or ""] = dict(
            source=_v(row, "from"), target=_v(row, "to"), kind=_v(row, "basis"), score=float(_v(row, "score") or 0),
            months_required=_decimal(_v(row, "months")), months_on_entry=_decimal(_v(row, "entry")) or Decimal(0),
            months_in_role=_decimal(_v(row, "role")), grade_change=int(change) if change else None,
            required_field=_v(row, "field") or "", combine=_v(row, "combine") or "any of",
            explanation=_v(row, "comment") or "")
    for row in store.query(f"""
        SELECT ?s ?p ?o WHERE {{ {only} ?s rg:fromClass ?from ; a rg:PromotionStep .
          VALUES ?p {{ rg:sharedSkill rg:missingSkill rg:sharedActivity rg:missingActivity rg:justifiedBy }}
          ?s ?p ?o }}"""):
        node, predicate = _v(row, "s") or "", (_v(row, "p") or "").rsplit("#", 1)[-1]
        lists[node][predicate].append(_v(row, "o") or "")
    # Source lines of the justifying facts in a second query: joined into the first, Oxigraph took 1 s on
    # the LA corpus; this way both take a few milliseconds.
    where: dict[str, str] = {}
    for row in store.query(f"""
        SELECT ?o ?src ?start ?end WHERE {{ {only} ?s rg:fromClass ?from ; a rg:PromotionStep ; rg:justifiedBy ?o .
          ?o prov:wasDerivedFrom ?doc ; rg:lineStart ?start ; rg:lineEnd ?end . ?doc schema:name ?src }}"""):
        where[_v(row, "o") or ""] = where_of(_v(row, "src"), _v(row, "start"), _v(row, "end"))
    for values in lists.values():
        values["sources"] = [where[fact] for fact in values.get("justifiedBy", []) if fact in where]
    steps = []
    for node, values in fields.items():
        extra = lists.get(node, {})
        steps.append(Step(**values, shared_skills=tuple(sorted(set(extra.get("sharedSkill", [])))),
                          missing_skills=tuple(sorted(set(extra.get("missingSkill", [])))),
                          shared_activities=tuple(sorted(set(extra.get("sharedActivity", [])))),
                          missing_activities=tuple(sorted(set(extra.get("missingActivity", [])))),
                          justified_by=tuple(sorted(set(extra.get("justifiedBy", [])))),
                          sources=tuple(sorted(set(extra.get("sources", []))))))
    return sorted(steps, key=lambda step: (step.source, step.target))


def _stored_comparisons(store: Store, about: str | None = None) -> list[Comparison]:
    """The comparisons in the ladder graph (those of class ``about`` only, when given)."""
    only = f"?n rg:comparedClass <{about}> ." if about else ""
    found = []
    for row in store.query(f"""
        SELECT ?a ?b ?score ?comment WHERE {{ {only} ?n a rg:Comparison ; rg:comparedClass ?a, ?b ; rg:score ?score .
          OPTIONAL {{ ?n rdfs:comment ?comment }} FILTER(STR(?a) < STR(?b)) }}"""):
        shared = (_v(row, "comment") or "").removeprefix("shares ")
        found.append(Comparison(_v(row, "a") or "", _v(row, "b") or "", float(_v(row, "score") or 0),
                                tuple(part for part in shared.split("; ") if part)))
    return sorted(found, key=lambda c: (c.first, c.second))


def load_ladder_graph(store: Store) -> nx.DiGraph:
    """A DiGraph of every job class (node attributes: title, code, label, grade, jurisdiction, stub, skills)
    and every step (edge attributes: step, kind, score); comparisons in ``graph.graph["comparisons"]``."""
    graph = _class_nodes(store, None)
    steps, comparisons = _stored_steps(store), _stored_comparisons(store)
    if not steps and not comparisons and graph.number_of_nodes() > 1:
        ladder = derive_ladder(load_class_facts(store), skill_labels=graph.graph["skill_labels"])
        steps, comparisons = ladder.steps, ladder.comparisons
    for step in steps:
        graph.add_edge(step.source, step.target, step=step, kind=step.kind, score=step.score)
    graph.graph["comparisons"] = comparisons
    return graph


def load_ladder_neighbourhood(store: Store, origin: str, max_steps: int = DEFAULT_MAX_STEPS) -> nx.DiGraph:
    """What :func:`paths` needs from ``origin``, as :func:`load_ladder_graph` gives it but read around the class
    only: the steps from every class within ``max_steps - 1`` promotion steps of it, its comparisons, and the
    classes these name. At 100k classes it reads hundreds of rows, not millions. A store without a ladder graph
    (built before steps existed) has its whole ladder derived on the fly, as load_ladder_graph does."""
    if not _has_ladder(store):
        return load_ladder_graph(store)
    steps: list[Step] = []
    frontier, seen = {origin}, {origin}
    for _depth in range(max_steps):
        found = _stored_steps(store, frontier) if frontier else []
        steps += found
        frontier = {step.target for step in found if step.kind in PROMOTION_KINDS} - seen
        seen |= frontier
    comparisons = _stored_comparisons(store, origin)
    named = {origin, *(step.target for step in steps), *(iri for c in comparisons for iri in (c.first, c.second))}
    graph = _class_nodes(store, named)
    for step in steps:
        graph.add_edge(step.source, step.target, step=step, kind=step.kind, score=step.score)
    graph.graph["comparisons"] = comparisons
    return graph


def _has_ladder(store: Store) -> bool:
    return bool(store.query("ASK { { ?s a rg:PromotionStep } UNION { ?c a rg:Comparison } }"))


def _class_nodes(store: Store, iris: set[str] | None) -> nx.DiGraph:
    """A DiGraph with a node per job class (of ``iris`` only, when given) and its attributes, and the skill
    labels in ``graph.graph["skill_labels"]``."""
    import networkx as nx  # here: a build need not load networkx

    graph = nx.DiGraph()
    labels = skill_labels(store)
    graph.graph["skill_labels"] = labels
    for ref in list_classes(store, iris):
        graph.add_node(ref.iri, title=ref.title, code=ref.code, label=ref.label,
                       jurisdiction=ref.jurisdiction, stub=ref.stub, grade=None, grade_number=None,
                       skills=frozenset())
    only = values_clause("?c", iris)
    for row in store.query(f"""
        SELECT ?c ?label ?number WHERE {{ {only} ?c a rg:JobClass ; rg:payGrade ?g . ?g rdfs:label ?label .
          OPTIONAL {{ ?g rg:gradeNumber ?number }} }}"""):
        if (iri := _v(row, "c")) in graph:
            number = _v(row, "number")
            graph.nodes[iri].update(grade=_v(row, "label"), grade_number=int(number) if number else None)
    skills: dict[str, set[str]] = defaultdict(set)
    for row in store.query(f"SELECT ?c ?k WHERE {{ {only} ?c a rg:JobClass ; schema:skills ?k }}"):
        skills[_v(row, "c") or ""].add(_v(row, "k") or "")
    for iri, concepts in skills.items():
        if iri in graph:
            graph.nodes[iri]["skills"] = frozenset(concepts)
    return graph


def iter_paths(adjacency: Mapping[str, list[str]], source: str, target: str | None = None,
               max_steps: int = DEFAULT_MAX_STEPS) -> Iterator[tuple[str, ...]]:
    """Simple paths from ``source`` of 1..max_steps steps (to ``target`` only, when given), depth first.

    >>> adjacency = {"a": ["b", "c"], "b": ["c"], "c": []}
    >>> list(iter_paths(adjacency, "a"))
    [('a', 'b'), ('a', 'b', 'c'), ('a', 'c')]
    >>> list(iter_paths(adjacency, "a", "c", max_steps=1))
    [('a', 'c')]
    """
    path = [source]
    on_path = {source}
    stack = [iter(adjacency.get(source, ()))]
    while stack:
        following = next(stack[-1], None)
        if following is None:
            stack.pop()
            on_path.discard(path.pop())
            continue
        if following in on_path:
            continue
        if target is None or following == target:
            yield (*path, following)
        if len(path) < max_steps and following != target:
            path.append(following)
            on_path.add(following)
            stack.append(iter(adjacency.get(following, ())))


class PathIndex:
    """Every simple path of 1..``max_steps`` steps from each class, computed once: a query is a lookup.

    The paths of ``k`` steps from a class are each successor alone, then the class followed by that
    successor's paths of fewer steps that do not come back to it (so the order is :func:`iter_paths`'s).
    A class with more than ``max_paths`` paths is left out and answered by :func:`iter_paths` on demand.

    >>> index = PathIndex({"a": ["b", "c"], "b": ["c"], "c": []})
    >>> index.paths("a") == list(iter_paths({"a": ["b", "c"], "b": ["c"], "c": []}, "a"))
    True
    >>> index.paths("a", "c")
    [('a', 'b', 'c'), ('a', 'c')]
    """

    def __init__(self, adjacency: Mapping[str, list[str]], max_steps: int = DEFAULT_MAX_STEPS,
                 max_paths: int = 10_000) -> None:
        self.adjacency, self.max_steps, self.max_paths = adjacency, max_steps, max_paths
        memo: dict[tuple[str, int], tuple[tuple[str, ...], ...] | None] = {}
        self._paths = {node: found for node in adjacency
                       if (found := self._from(node, max_steps, memo)) is not None}

    def _from(self, node: str, steps: int, memo: dict[tuple[str, int], tuple[tuple[str, ...], ...] | None]
              ) -> tuple[tuple[str, ...], ...] | None:
        """The paths of 1..steps steps from ``node`` in depth-first order (None: more than max_paths)."""
        key = (node, steps)
        if key in memo:
            return memo[key]
        memo[key] = None  # a class reached again while its own paths are computed: none through it yet
        found: list[tuple[str, ...]] = []
        for following in self.adjacency.get(node, ()):
            if following == node:
                continue
            found.append((node, following))
            if steps > 1:
                onward = self._from(following, steps - 1, memo)
                if onward is None:
                    return None
                found.extend((node, *path) for path in onward if node not in path)
            if len(found) > self.max_paths:
                return None
        memo[key] = result = tuple(found)
        return result

    def paths(self, source: str, target: str | None = None) -> list[tuple[str, ...]]:
        """The paths from ``source`` (ending at ``target`` only, when given), as :func:`iter_paths` yields them."""
        found = self._paths.get(source)
        if found is None:
            return list(iter_paths(self.adjacency, source, target, self.max_steps))
        if target is None:
            return list(found)
        return [path for path in found if path[-1] == target]


@dataclass(frozen=True)
class LadderPath:
    """A chain of promotion steps with cumulative months and the skills still missing at its end: the skill
    concepts the last class asks that the first does not state, and the activities the last class's work shows
    that the class before it does not (its step's ``missing_activities``)."""

    classes: tuple[str, ...]
    steps: tuple[Step, ...]
    months_to_gain: Decimal | None  # sum of months still to gain in each class on the way (None: unknown)
    missing_skills: tuple[str, ...]
    missing_activities: tuple[str, ...] = ()

    @property
    def score(self) -> float:
        product = 1.0
        for step in self.steps:
            product *= step.score
        return product


@dataclass
class LadderResult:
    """What ``paths`` returns: the origin (and target), ranked paths, lateral moves and comparable classes."""

    origin: ClassRef
    target: ClassRef | None
    max_steps: int
    paths: list[LadderPath]
    lateral: list[Step]
    comparable: list[tuple[str, float]]
    graph: nx.DiGraph = field(repr=False)

    def node(self, iri: str) -> dict[str, Any]:
        return dict(self.graph.nodes[iri]) if iri in self.graph else {"label": iri, "title": iri}

    def label(self, iri: str) -> str:
        return self.node(iri).get("label") or iri

    def skill_label(self, concept: str) -> str:
        return self.graph.graph.get("skill_labels", {}).get(concept) or concept.rsplit("/", 1)[-1]

    def subgraph(self) -> nx.DiGraph:
        """The classes and steps on the returned paths (for drawing)."""
        nodes = {self.origin.iri} | {iri for path in self.paths for iri in path.classes}
        edges = {(path.classes[i], path.classes[i + 1]) for path in self.paths for i in range(len(path.steps))}
        import networkx as nx  # here: a build need not load networkx

        view = nx.DiGraph()
        view.add_nodes_from((iri, self.node(iri)) for iri in sorted(nodes))
        view.add_edges_from((a, b, self.graph.edges[a, b]) for a, b in sorted(edges))
        return view

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (stable keys; the web front end reads it)."""

        def ref(iri: str) -> dict[str, Any]:
            node = self.node(iri)
            return {"iri": iri, "title": node.get("title"), "code": node.get("code"), "grade": node.get("grade"),
                    "jurisdiction": node.get("jurisdiction"), "stub": bool(node.get("stub"))}

        def skills(concepts: tuple[str, ...]) -> list[dict[str, str]]:
            return [{"iri": concept, "label": self.skill_label(concept)} for concept in concepts]

        def step(item: Step) -> dict[str, Any]:
            return {"from": ref(item.source), "to": ref(item.target), "kind": item.kind, "score": item.score,
                    "months_required": _number(item.months_required),
                    "months_on_entry": _number(item.months_on_entry),
                    "months_in_role": _number(item.months_in_role), "field": item.required_field,
                    "combine": item.combine, "grade_change": item.grade_change,
                    "shared_skills": skills(item.shared_skills), "missing_skills": skills(item.missing_skills),
                    "shared_activities": list(item.shared_activities),
                    "missing_activities": list(item.missing_activities),
                    "sources": list(item.sources), "explanation": item.explanation}

        return {
            "from": ref(self.origin.iri), "to": ref(self.target.iri) if self.target else None,
            "max_steps": self.max_steps,
            "paths": [{"classes": [ref(iri) for iri in path.classes], "score": round(path.score, 3),
                       "months_to_gain": _number(path.months_to_gain),
                       "missing_skills": skills(path.missing_skills),
                       "missing_activities": list(path.missing_activities), "steps": [step(s) for s in path.steps]}
                      for path in self.paths],
            "lateral": [step(item) for item in self.lateral],
            "comparable": [{"class": ref(iri), "score": score} for iri, score in self.comparable],
        }


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _ladder_path(graph: nx.DiGraph, classes: tuple[str, ...]) -> LadderPath:
    steps = tuple(graph.edges[a, b]["step"] for a, b in zip(classes, classes[1:], strict=False))
    months: Decimal | None = Decimal(0)
    for step in steps:
        if step.months_in_role is None:
            months = None
            break
        months += step.months_in_role
    have, need = graph.nodes[classes[0]]["skills"], graph.nodes[classes[-1]]["skills"]
    return LadderPath(classes, steps, months, tuple(sorted(need - have)),
                      steps[-1].missing_activities if steps else ())


def paths(store: Store, from_class: str, to_class: str | None = None,
          max_steps: int = DEFAULT_MAX_STEPS, graph: nx.DiGraph | None = None) -> LadderResult:
    """Promotion paths from one job class: all of them up to ``max_steps`` steps, or those reaching ``to_class``.

    ``from_class``/``to_class`` are a code, a title, "code title" or an IRI (fuzzy, see
    :func:`rolegraph.lookup.find_class`). Only promotion steps (explicit, derived) make paths; lateral
    moves and comparable classes of other employers are returned beside them. Paths to a target are
    ranked fewest steps first, then highest score (product of step scores), then fewest months to gain;
    without a target, by the order of discovery (depth first) grouped by length.

    Raises:
        NotFound: a class name matches nothing ("did you mean ...") or several classes (Ambiguous; with
            ``to_class``, only when several employers' ladders join the two names: ``paths_by_employer``).
        ValueError: ``max_steps`` below 1.
    """
    results = paths_by_employer(store, from_class, to_class, max_steps, graph)
    if len(results) > 1:
        raise _several_employers(from_class, to_class, results, "each")
    return results[0]


def _several_employers(from_class: str, to_class: str | None, results: list[LadderResult], which: str) -> Ambiguous:
    """Two names that classes of several employers bear, ``which`` ("each", "none") with a path between them."""
    places = "; ".join(result.origin.jurisdiction or "no jurisdiction" for result in results)
    return Ambiguous(f"{from_class!r} and {to_class!r} name classes of several employers ({places}), {which} with a "
                     f"path between them; add the employer in brackets: "
                     f"'{from_class} ({results[0].origin.jurisdiction or ''})'", tuple(results))


def paths_by_employer(store: Store, from_class: str, to_class: str | None = None,
                      max_steps: int = DEFAULT_MAX_STEPS, graph: nx.DiGraph | None = None) -> list[LadderResult]:
    """``paths``, for two names that several employers each have a class of ("Librarian" to "Principal
    Librarian"): one result per employer whose ladder joins them (or the one employer having both, path or
    not); a name that is one class gives one result.

    Raises:
        NotFound: as ``paths``; Ambiguous when no one employer's classes join the two names.
        ValueError: ``max_steps`` below 1.
    """
    if max_steps < 1:
        raise ValueError("max_steps must be at least 1")
    pairs = _class_pairs(store, from_class, to_class)
    results = [_paths_of(store, origin, target, max_steps, graph) for origin, target in pairs]
    if len(results) == 1:
        return results
    joined = [result for result in results if result.paths]
    if not joined:
        raise _several_employers(from_class, to_class, results, "none")
    return joined


def _class_pairs(store: Store, from_class: str, to_class: str | None) -> list[tuple[ClassRef, ClassRef | None]]:
    """The (origin, target) classes two names may mean: each name alone when it names one class, else the
    pairs of one employer among the classes an ambiguous name names (several when several employers have both)."""
    try:
        origins = [find_class(store, from_class)]
    except Ambiguous as error:
        if to_class is None:
            raise
        origins, ambiguous = list(error.candidates), error  # type: ignore[arg-type]
    else:
        ambiguous = None
    if to_class is None:
        return [(origins[0], None)]
    try:
        targets = [find_class(store, to_class)]
    except Ambiguous as error:
        targets, ambiguous = list(error.candidates), ambiguous or error  # type: ignore[arg-type]
    if len(origins) == len(targets) == 1:
        return [(origins[0], targets[0])]
    pairs = [(origin, target) for origin in origins for target in targets
             if origin.jurisdiction == target.jurisdiction]
    if not pairs:
        assert ambiguous is not None
        raise ambiguous
    return pairs  # type: ignore[return-value]


def _paths_of(store: Store, origin: ClassRef, target: ClassRef | None, max_steps: int,
              graph: nx.DiGraph | None) -> LadderResult:
    graph = graph if graph is not None else load_ladder_neighbourhood(store, origin.iri, max_steps)
    adjacency = {node: sorted(b for b in graph.successors(node) if graph.edges[node, b]["kind"] in PROMOTION_KINDS)
                 for node in graph}
    found = [_ladder_path(graph, classes) for classes in
             iter_paths(adjacency, origin.iri, target.iri if target else None, max_steps)]
    if target is not None:
        found.sort(key=lambda p: (len(p.steps), -p.score, p.months_to_gain if p.months_to_gain is not None
                                  else Decimal("Infinity")))
    else:
        found.sort(key=lambda p: len(p.steps))
    lateral = [graph.edges[origin.iri, b]["step"] for b in sorted(graph.successors(origin.iri))
               if graph.edges[origin.iri, b]["kind"] == "lateral"] if origin.iri in graph else []
    comparable = sorted(((c.second if c.first == origin.iri else c.first, c.score)
                         for c in graph.graph.get("comparisons", []) if origin.iri in (c.first, c.second)),
                        key=lambda item: (-item[1], item[0]))
    return LadderResult(origin, target, max_steps, found, lateral, comparable, graph)
