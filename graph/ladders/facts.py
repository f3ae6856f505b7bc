"""What the ladder stage knows about a job class, read from a store with SPARQL (never by re-parsing).

``ClassFacts`` is all derivation needs: jurisdiction, pay plan and grade, series, job family, experience
requirements (months, field, included parts, the classes they must be gained in) and skill concepts with
levels. ``load_class_facts`` fills it from any :class:`~rolegraph.store.Store`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from rolegraph.store import Store

__all__ = ["Experience", "FamilyMember", "ClassFacts", "load_class_facts", "where_of"]


@dataclass(frozen=True)
class Experience:
    """An experience requirement: ``months`` in ``field``; ``parts`` are counted within the months.

    ``in_classes`` are IRIs of classes the experience must be gained in (``rg:inClass``);
    ``in_class_titles`` the titles or codes as written (``rg:inClassTitle``), resolved later.
    """

    node: str
    months: Decimal
    field: str
    description: str = ""
    where: str = ""
    parts: tuple[Experience, ...] = ()
    in_classes: tuple[str, ...] = ()
    in_class_titles: tuple[str, ...] = ()
    # Requirements of one class with the same non-empty ``alternative`` must all be met ("all of"); different
    # alternatives are "any of". Read from bulletin requirement paths (rg:requirementPath); "" = its own.
    alternative: str = ""


@dataclass(frozen=True)
class FamilyMember:
    """A class named in a stated job family, lowest first."""

    node: str
    position: int
    name: str
    member: str | None
    where: str = ""


@dataclass(frozen=True)
class ClassFacts:
    """One job class as the ladder stage sees it."""

    iri: str
    title: str
    code: str | None = None
    location: str | None = None  # jurisdiction (or state) IRI
    location_name: str | None = None
    employer_known: bool = False  # located in a named rg:Jurisdiction, not only a state
    pay_plan: str | None = None
    grade: str | None = None
    grade_number: int | None = None
    grade_node: str | None = None
    grade_where: str = ""
    series: str | None = None
    stub: bool = False
    experience: tuple[Experience, ...] = ()
    skills: dict[str, int] = field(default_factory=dict)  # concept IRI -> level rank (0 = not stated)
    family: tuple[FamilyMember, ...] = ()
    profile: str = ""  # title, summary, duties and tasks: what the work is

    @property
    def label(self) -> str:
        return f"{self.code} {self.title}" if self.code else self.title

    @property
    def grade_label(self) -> str | None:
        if self.grade is None:
            return None
        return " ".join(part for part in (self.pay_plan, self.grade) if part)


def where_of(source: str | None, start: str | None, end: str | None) -> str:
    """A source line reference.

    >>> where_of("002.txt", "54", "56")
    '002.txt:54-56'
    >>> where_of("002.txt", "54", "54")
    '002.txt:54'
    >>> where_of(None, None, None)
    ''
    """
    if not source:
        return ""
    return f"{source}:{start}" if start == end or not end else f"{source}:{start}-{end}"


def _v(row: object, name: str) -> str | None:
    term = row[name]  # type: ignore[index]
    return None if term is None else term.value


def _decimal(text: str | None) -> Decimal:
    try:
        return Decimal(text or "0")
    except InvalidOperation:
        return Decimal(0)


WHERE = """OPTIONAL {{ {node} prov:wasDerivedFrom ?doc_{tag} . ?doc_{tag} schema:name ?src_{tag} .
    {node} rg:lineStart ?start_{tag} ; rg:lineEnd ?end_{tag} }}"""


def _where(row: object, tag: str) -> str:
    return where_of(_v(row, f"src_{tag}"), _v(row, f"start_{tag}"), _v(row, f"end_{tag}"))


def load_class_facts(store: Store) -> list[ClassFacts]:
    """Every job class in ``store`` with the facts ladders need, sorted by IRI."""
    # Several small queries rather than one with nested OPTIONALs: Oxigraph plans those badly (minutes on
    # the LA corpus instead of milliseconds).
    base: dict[str, dict] = {}
    for row in store.query("""
        SELECT ?c ?title ?code ?stub WHERE { ?c a rg:JobClass ; schema:name ?title .
            OPTIONAL { ?c schema:identifier ?code } OPTIONAL { ?c rg:stub ?stub } }"""):
        iri = _v(row, "c") or ""
        base.setdefault(iri, dict(iri=iri, title=_v(row, "title") or "", code=_v(row, "code"),
                                  stub=_v(row, "stub") == "true"))
    employers = {_v(row, "loc") for row in store.query("SELECT DISTINCT ?loc WHERE { ?loc a rg:Jurisdiction }")}
    for row in store.query("""
        SELECT ?c ?loc ?name WHERE { ?c a rg:JobClass ; schema:occupationLocation ?loc .
            OPTIONAL { ?loc schema:name ?name } }"""):
        if (values := base.get(_v(row, "c") or "")) is not None and "location" not in values:
            values.update(location=_v(row, "loc"), location_name=_v(row, "name"),
                          employer_known=_v(row, "loc") in employers)
    for row in store.query(f"""
        SELECT ?c ?pg ?plan ?grade ?gradeNumber ?src_g ?start_g ?end_g WHERE {{ ?c rg:payGrade ?pg .
            ?pg rg:grade ?grade . OPTIONAL {{ ?pg rg:payPlan ?plan }} OPTIONAL {{ ?pg rg:gradeNumber ?gradeNumber }}
            {WHERE.format(node="?pg", tag="g")} }}"""):
        if (values := base.get(_v(row, "c") or "")) is not None and "grade" not in values:
            number = _v(row, "gradeNumber")
            values.update(pay_plan=_v(row, "plan"), grade=_v(row, "grade"), grade_node=_v(row, "pg"),
                          grade_number=int(number) if number and number.lstrip("-").isdigit() else None,
                          grade_where=_where(row, "g"))
    for row in store.query("SELECT ?c ?series WHERE { ?c a rg:JobClass ; rg:series ?series }"):
        if (values := base.get(_v(row, "c") or "")) is not None:
            values.setdefault("series", _v(row, "series"))
    experience = _load_experience(store)
    skills: dict[str, dict[str, int]] = defaultdict(dict)
    for row in store.query("""
        SELECT ?c ?concept (MAX(?rank) AS ?r) WHERE { ?c rg:ksa ?k . ?k rg:concept ?concept .
            OPTIONAL { ?k rg:levelRank ?rank } } GROUP BY ?c ?concept"""):
        rank = _v(row, "r")
        skills[_v(row, "c") or ""][_v(row, "concept") or ""] = int(rank) if rank else 0
    family: dict[str, list[FamilyMember]] = defaultdict(list)
    for row in store.query(f"""
        SELECT ?c ?m ?pos ?name ?member ?src_m ?start_m ?end_m WHERE {{ ?c rg:jobFamilyMember ?m .
            ?m rg:position ?pos ; schema:name ?name . OPTIONAL {{ ?m rg:memberClass ?member }}
            {WHERE.format(node="?m", tag="m")} }}"""):
        family[_v(row, "c") or ""].append(FamilyMember(_v(row, "m") or "", int(_v(row, "pos") or 0),
                                                       _v(row, "name") or "", _v(row, "member"),
                                                       _where(row, "m")))
    profile: dict[str, list[str]] = defaultdict(list)
    for row in store.query("""
        SELECT ?c ?text WHERE { ?c a rg:JobClass .
            { ?c schema:description ?text } UNION { ?c rg:duty/schema:description ?text }
            UNION { ?c rg:duty/rg:task/schema:description ?text } }"""):
        profile[_v(row, "c") or ""].append(_v(row, "text") or "")
    facts = []
    for iri, values in sorted(base.items()):
        members = tuple(sorted({m.node: m for m in family.get(iri, [])}.values(), key=lambda m: m.position))
        facts.append(ClassFacts(**values, experience=experience.get(iri, ()), skills=skills.get(iri, {}),
                                family=members,
                                profile=" ".join([values["title"], *sorted(set(profile.get(iri, [])))])))
    return facts


def _load_experience(store: Store) -> dict[str, tuple[Experience, ...]]:
    rows: dict[str, dict] = {}
    owners: dict[str, str] = {}
    parts: dict[str, list[str]] = defaultdict(list)
    for row in store.query(f"""
        SELECT ?owner ?e ?top ?months ?field ?description ?src_e ?start_e ?end_e WHERE {{
          {{ ?owner schema:experienceRequirements ?e . BIND(true AS ?top) }}
          UNION {{ ?owner rg:includes ?e }}
          ?e schema:monthsOfExperience ?months .
          OPTIONAL {{ ?e rg:field ?field }} OPTIONAL {{ ?e schema:description ?description }}
          {WHERE.format(node="?e", tag="e")} }}"""):
        node = _v(row, "e") or ""
        if node in rows:
            continue
        rows[node] = dict(node=node, months=_decimal(_v(row, "months")), field=_v(row, "field") or "",
                          description=_v(row, "description") or "", where=_where(row, "e"))
        if _v(row, "top") == "true":
            owners[node] = _v(row, "owner") or ""
        else:
            parts[_v(row, "owner") or ""].append(node)
    in_classes: dict[str, set[str]] = defaultdict(set)
    in_titles: dict[str, set[str]] = defaultdict(set)
    for row in store.query("""
        SELECT ?e ?class ?title WHERE { { ?e rg:inClass ?class } UNION { ?e rg:inClassTitle ?title } }"""):
        if _v(row, "class"):
            in_classes[_v(row, "e") or ""].add(_v(row, "class") or "")
        if _v(row, "title"):
            in_titles[_v(row, "e") or ""].add(_v(row, "title") or "")

    alternative = _alternatives(store)

    def make(node: str) -> Experience:
        return Experience(**rows[node], parts=tuple(make(part) for part in sorted(parts.get(node, []))),
                          in_classes=tuple(sorted(in_classes.get(node, ()))),
                          in_class_titles=tuple(sorted(in_titles.get(node, ()))),
                          alternative=alternative.get(node, ""))

    by_class: dict[str, list[Experience]] = defaultdict(list)
    for node, owner in sorted(owners.items()):
        by_class[owner].append(make(node))
    return {owner: tuple(items) for owner, items in by_class.items()}


def _alternatives(store: Store) -> dict[str, str]:
    """Experience node -> the alternative it belongs to: its requirement path (rg:requirementPath, paths combine
    with "or"), or a node of its own under an item whose sub-requirements combine with "or"."""
    found: dict[str, str] = {}
    for row in store.query("""
        SELECT ?e ?p WHERE { ?c rg:requirementPath ?p . ?p rg:item ?i . ?i rg:subRequirement* ?x .
            ?x rg:experience ?e }"""):
        found.setdefault(_v(row, "e") or "", _v(row, "p") or "")
    for row in store.query("""
        SELECT DISTINCT ?e WHERE { ?i rg:conjunction "or" ; rg:subRequirement ?x . ?x rg:subRequirement* ?y .
            ?y rg:experience ?e }"""):
        node = _v(row, "e") or ""
        found[node] = node
    return found
