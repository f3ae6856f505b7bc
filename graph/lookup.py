"""Find job classes in a store by code or title (fuzzy, with "did you mean"), and read one back in full.

Reads go through SPARQL only, so they work the same on every store.
"""

from __future__ import annotations

import re
import string
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from rolegraph.errors import Ambiguous, NotFound
from rolegraph.parser.tables import collapse, fold
from rolegraph.store import Store

__all__ = ["ClassRef", "Fact", "ClassDetails", "list_classes", "find_class", "class_details", "values_clause"]

_EMPLOYER_IN_BRACKETS = re.compile(r"(?P<title>.+?)\s*\((?P<place>[^()]+)\)\s*$")
FUZZY_THRESHOLD = 85.0  # token-sort ratio: typos pass, a different title does not


@dataclass(frozen=True)
class ClassRef:
    iri: str
    title: str
    code: str | None
    jurisdiction: str | None
    stub: bool

    @property
    def label(self) -> str:
        return f"{self.code} {self.title}" if self.code else self.title


@dataclass(frozen=True)
class Fact:
    """A value read back with where it came from ("000_x.txt:12-14")."""

    value: str
    where: str = ""
    detail: str = ""


@dataclass
class ClassDetails:
    ref: ClassRef
    facts: dict[str, list[Fact]] = field(default_factory=lambda: defaultdict(list))
    duties: list[tuple[Fact, list[Fact]]] = field(default_factory=list)
    sources: list[Fact] = field(default_factory=list)


def _value(solution: object, name: str) -> str | None:
    term = solution[name]  # type: ignore[index]
    return None if term is None else term.value


def list_classes(store: Store, iris: Iterable[str] | None = None) -> list[ClassRef]:
    """Every job class in the store (of ``iris`` only, when given), sorted by jurisdiction, code and title."""
    return _class_refs(store, values_clause("?class", iris))


def values_clause(variable: str, iris: Iterable[str] | None) -> str:
    """A VALUES clause binding ``variable`` to ``iris`` (sorted); "" for None (no restriction).

    >>> values_clause("?c", ["https://b", "https://a"])
    'VALUES ?c { <https://a> <https://b> }'
    """
    if iris is None:
        return ""
    return f"VALUES {variable} {{ {' '.join(f'<{iri}>' for iri in sorted(iris))} }}"


def _class_refs(store: Store, restriction: str) -> list[ClassRef]:
    """The job classes a graph pattern (``restriction``, on ?class) picks out, sorted as list_classes."""
    result = store.query(f"""
        SELECT ?class (SAMPLE(?title) AS ?t) (SAMPLE(?code) AS ?c) (SAMPLE(?place) AS ?p) (SAMPLE(?stub) AS ?s)
        WHERE {{ {restriction} ?class a rg:JobClass ; schema:name ?title .
                OPTIONAL {{ ?class schema:identifier ?code }}
                OPTIONAL {{ ?class schema:occupationLocation/schema:name ?place }}
                OPTIONAL {{ ?class rg:stub ?stub }} }}
        GROUP BY ?class""")
    refs = [ClassRef(_value(row, "class") or "", _value(row, "t") or "", _value(row, "c"), _value(row, "p"),
                     _value(row, "s") == "true") for row in result]
    return sorted(refs, key=lambda ref: (ref.jurisdiction or "", ref.code or "", ref.title))


def find_class(store: Store, name: str, classes: list[ClassRef] | None = None) -> ClassRef:
    """The class whose code, title or "code title" label is ``name``; else the closest title if close enough.

    Raises:
        NotFound: nothing matches, or a code names classes in several jurisdictions; the message lists
            the closest titles ("did you mean") or the candidates.
    """
    wanted = fold(name)
    if classes is None:  # first the classes a name can name exactly (a few rows, not the whole store)
        named = _exact_candidates(store, name)
        if named and (found := _exactly_named(name, wanted, named)) is not None:
            return found
        classes = list_classes(store)
    found = _exactly_named(name, wanted, classes)
    if found is not None:
        return found
    if (narrowed := _in_jurisdiction(name, classes)) is not None:
        return find_class(store, narrowed[0], narrowed[1])
    labels = {ref.iri: ref.label for ref in classes}
    matches = process.extract(wanted, {ref.iri: fold(ref.title) for ref in classes},
                              scorer=fuzz.token_sort_ratio, limit=3)
    by_iri = {ref.iri: ref for ref in classes}
    if matches and matches[0][1] >= FUZZY_THRESHOLD and (len(matches) == 1 or matches[0][1] > matches[1][1]):
        return by_iri[matches[0][2]]
    suggestions = ", ".join(repr(labels[iri]) for _, _, iri in matches)
    hint = f"; did you mean {suggestions}?" if suggestions else "; the store has no job classes yet"
    raise NotFound(f"no job class {name!r}{hint}")


def _exactly_named(name: str, wanted: str, classes: list[ClassRef]) -> ClassRef | None:
    """The class whose code, else title, else "code title", else IRI is ``wanted`` (folded); None if none is.

    Raises:
        NotFound: several classes (not stubs, when any is not) share that code or title.
    """
    for key in (lambda ref: fold(ref.code or ""), lambda ref: fold(ref.title), lambda ref: fold(ref.label),
                lambda ref: ref.iri.casefold()):
        exact = [ref for ref in classes if key(ref) == wanted]
        real = [ref for ref in exact if not ref.stub] or exact
        if len(real) == 1:
            return real[0]
        if len(real) > 1:
            choices = "; ".join(f"{ref.label} ({ref.jurisdiction or 'no jurisdiction'})" for ref in real)
            example = real[0]
            raise Ambiguous(f"{name!r} names {len(real)} job classes: {choices}. Give the code and title, or the "
                            f"employer in brackets: '{example.title} ({example.jurisdiction or ''})'",
                            tuple(real))
    return None


def _in_jurisdiction(name: str, classes: list[ClassRef]) -> tuple[str, list[ClassRef]] | None:
    """``name`` as "title (employer)": the title and the classes of that employer; None when the brackets do not
    hold a jurisdiction of these classes (a title may end in brackets of its own: "Office Assistant (Typing)").

    >>> ref = ClassRef("x", "Librarian", "6152", "City of Los Angeles", False)
    >>> _in_jurisdiction("Librarian (city of los angeles)", [ref])
    ('Librarian', [ClassRef(iri='x', title='Librarian', code='6152', jurisdiction='City of Los Angeles', stub=False)])
    """
    match = _EMPLOYER_IN_BRACKETS.match(name)
    if match is None:
        return None
    place = fold(match.group("place"))
    chosen = [ref for ref in classes if ref.jurisdiction and fold(ref.jurisdiction) == place]
    return (match.group("title").strip(), chosen) if chosen else None


def _exact_candidates(store: Store, name: str) -> list[ClassRef]:
    """The classes whose code, title or "code title" is ``name`` as typed or in a usual case (lower, upper,
    title case), or whose IRI it is: found through the store's indexes, a few rows at any size. The caller
    compares them again with fold, and compares every class when none is found here."""
    typed = collapse(name)
    if not typed or any(char in typed for char in '"\\<>'):
        return []
    variants = sorted({typed, typed.lower(), typed.upper(), typed.title(), string.capwords(typed)})
    literals = " ".join(f'"{variant}"' for variant in variants)
    patterns = [f"VALUES ?named {{ {literals} }} ?class schema:identifier ?named",
                f"VALUES ?named {{ {literals} }} ?class schema:name ?named"]
    code, _, title = typed.partition(" ")
    if title:
        codes = " ".join(f'"{variant}"' for variant in sorted({code, code.lower(), code.upper()}))
        titles = " ".join(f'"{variant}"' for variant in sorted({title, title.lower(), title.upper(), title.title(),
                                                                 string.capwords(title)}))
        patterns.append(f"VALUES ?code {{ {codes} }} VALUES ?title {{ {titles} }} "
                        "?class schema:identifier ?code ; schema:name ?title")
    if typed.startswith(("http://", "https://")) and " " not in typed:
        patterns.append(f"VALUES ?class {{ <{typed}> }}")
    # The class IRIs first (index lookups), then their details: one query joining both let Oxigraph scan every
    # class (2-7 s at 100k classes against a few milliseconds).
    union = " UNION ".join(f"{{ {pattern} }}" for pattern in patterns)
    found = store.query(f"SELECT DISTINCT ?class WHERE {{ {union} }}")
    iris = {_value(row, "class") or "" for row in found}
    return list_classes(store, iris) if iris else []


def _where(row: object, prefix: str = "") -> str:
    source, start, end = (_value(row, f"{prefix}{name}") for name in ("src", "start", "end"))
    if not source:
        return ""
    return f"{source}:{start}" if start == end else f"{source}:{start}-{end}"


# ``node`` repeats the pattern that reaches the fact node from the class ("<class> rg:duty ?duty . ?duty"):
# Oxigraph evaluates an OPTIONAL's inside on its own first, so an unanchored one reads every fact node in
# the store (130 ms a query at 200 classes); anchored it takes well under a millisecond.
EXPERIENCE_PATH = "(schema:experienceRequirements|schema:experienceRequirements/rg:includes)"  # not p/q?: Virtuoso
PROVENANCE = """OPTIONAL {{ {node} prov:wasDerivedFrom/schema:name ?src ; rg:lineStart ?start ; rg:lineEnd ?end }}"""


def class_details(store: Store, ref: ClassRef) -> ClassDetails:
    """Everything the store holds about one class, with source lines, for ``rolegraph show`` and pages."""
    details = ClassDetails(ref)
    iri = f"<{ref.iri}>"
    for row in store.query(f"""
        SELECT ?p ?value ?src ?start ?end WHERE {{ {iri} rg:factSource ?f . ?f rg:property ?p ; rg:value ?v .
            OPTIONAL {{ ?v schema:name ?name }}
            BIND(IF(isIRI(?v), COALESCE(?name, STR(?v)), STR(?v)) AS ?value)
            {PROVENANCE.format(node=f"{iri} rg:factSource ?f . ?f")} }} ORDER BY ?p ?start"""):
        details.facts[(_value(row, "p") or "").rsplit("/", 1)[-1].rsplit("#", 1)[-1]].append(
            Fact(_value(row, "value") or "", _where(row)))
    for row in store.query(f"""
        SELECT ?name ?sha WHERE {{ {iri} prov:wasDerivedFrom ?d . ?d schema:name ?name ; rg:sha256 ?sha }}
        ORDER BY ?name"""):
        details.sources.append(Fact(_value(row, "name") or "", detail=_value(row, "sha") or ""))
    for row in store.query(f"""
        SELECT ?label ?src ?start ?end WHERE {{ {iri} rg:payGrade ?g . ?g rdfs:label ?label .
            {PROVENANCE.format(node=f"{iri} rg:payGrade ?g . ?g")} }}"""):
        details.facts["payGrade"].append(Fact(_value(row, "label") or "", _where(row)))
    for row in store.query(f"""
        SELECT ?label ?department ?src ?start ?end WHERE {{ {iri} schema:estimatedSalary ?s . ?s rdfs:label ?label ;
            rg:position ?pos . OPTIONAL {{ ?s rg:department ?department }}
            {PROVENANCE.format(node=f"{iri} schema:estimatedSalary ?s . ?s")} }} ORDER BY ?pos"""):
        details.facts["estimatedSalary"].append(Fact(_value(row, "label") or "", _where(row),
                                                     _value(row, "department") or ""))
    duties: dict[str, tuple[Fact, list[Fact]]] = {}
    for row in store.query(f"""
        SELECT ?duty ?text ?src ?start ?end WHERE {{ {iri} rg:duty ?duty . ?duty schema:description ?text ;
            rg:position ?pos . {PROVENANCE.format(node=f"{iri} rg:duty ?duty . ?duty")} }} ORDER BY ?pos"""):
        duties[_value(row, "duty") or ""] = (Fact(_value(row, "text") or "", _where(row)), [])
    for row in store.query(f"""
        SELECT ?duty ?text ?src ?start ?end WHERE {{ {iri} rg:duty ?duty . ?duty rg:task ?task .
            ?task schema:description ?text ; rg:position ?pos .
            {PROVENANCE.format(node=f"{iri} rg:duty/rg:task ?task . ?task")} }}
        ORDER BY ?duty ?pos"""):
        duties[_value(row, "duty") or ""][1].append(Fact(_value(row, "text") or "", _where(row)))
    details.duties = list(duties.values())
    for row in store.query(f"""
        SELECT ?kind ?text ?level ?src ?start ?end WHERE {{ {iri} rg:ksa ?k . ?k a ?type ; schema:description ?text ;
            rg:position ?pos . FILTER(STRSTARTS(STR(?type), STR(rg:)))
            BIND(LCASE(STRAFTER(STR(?type), STR(rg:))) AS ?kind)
            OPTIONAL {{ ?k rg:level ?level }} {PROVENANCE.format(node=f"{iri} rg:ksa ?k . ?k")} }} ORDER BY ?pos"""):
        details.facts[_value(row, "kind") or "ksa"].append(
            Fact(_value(row, "text") or "", _where(row), _value(row, "level") or ""))
    for row in store.query(f"""
        SELECT ?text ?months ?part ?src ?start ?end WHERE {{
            {{ {iri} schema:experienceRequirements ?e . BIND("" AS ?part) }}
            UNION {{ {iri} schema:experienceRequirements/rg:includes ?e . BIND("included" AS ?part) }}
            ?e schema:monthsOfExperience ?months ; schema:description ?text .
            {PROVENANCE.format(node=f"{iri} {EXPERIENCE_PATH} ?e . ?e")} }}
        ORDER BY ?start ?part"""):
        months = _value(row, "months")
        detail = f"{months} months" + (" (included in the total)" if _value(row, "part") else "")
        details.facts["experience"].append(Fact(_value(row, "text") or "", _where(row), detail))
    for row in store.query(f"""
        SELECT ?number ?label ?text ?src ?start ?end WHERE {{ {iri} rg:requirementPath ?p . ?p rg:pathNumber ?number ;
            rg:item ?i . ?i rg:position ?pos ; schema:description ?text . OPTIONAL {{ ?i rdfs:label ?label }}
            {PROVENANCE.format(node=f"{iri} rg:requirementPath/rg:item ?i . ?i")} }} ORDER BY ?number ?pos"""):
        label = _value(row, "label")
        detail = f"path {_value(row, 'number')}" + (f" ({label})" if label else "")
        details.facts["requirementPath"].append(Fact(_value(row, "text") or "", _where(row), detail))
    for predicate, name in (("schema:educationRequirements", "education"), ("schema:qualifications", "license")):
        for row in store.query(f"""
            SELECT ?text ?req ?src ?start ?end WHERE {{ {iri} {predicate} ?n .
                OPTIONAL {{ ?n schema:name ?name }} OPTIONAL {{ ?n schema:description ?description }}
                BIND(COALESCE(?name, ?description) AS ?text) OPTIONAL {{ ?n rg:requirement ?req }}
                {PROVENANCE.format(node=f"{iri} {predicate} ?n . ?n")} }} ORDER BY ?start"""):
            details.facts[name].append(Fact(_value(row, "text") or "", _where(row), _value(row, "req") or ""))
    return details
