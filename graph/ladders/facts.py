"""What the ladder stage knows about a job class: from the parsed model in a build, read from a store otherwise.

``ClassFacts`` is all derivation needs: jurisdiction, pay plan and grade, series, job family, experience
requirements (months, field, included parts, the classes they must be gained in) and skill concepts with
levels. A build takes them from the classes it parsed (``facts_of_class``); ``load_class_facts`` fills them
from any :class:`~rolegraph.store.Store` with SPARQL (``rolegraph ladder`` on a store built elsewhere), and
``facts_of_quads`` from the quads of class graphs in hand. All three give the same facts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from pyoxigraph import NamedNode, Quad

from rolegraph.merge import jurisdiction_key
from rolegraph.model import (
    LEVEL_ORDER,
    PERIODS_IN_YEAR,
    ClassReference,
    ExperienceRequirement,
    JobClass,
    Ksa,
    Provenance,
    RequirementItem,
    pickled_by_fields,
)
from rolegraph.parser.tables import fold
from rolegraph.rdf.bulletin import PERIOD_DURATION, experience_nodes
from rolegraph.rdf.emit import class_path, skill_label
from rolegraph.rdf.iris import Iris
from rolegraph.rdf.terms import number_text
from rolegraph.skills import activities_of_text, split_statement
from rolegraph.store import Store

__all__ = ["Experience", "FamilyMember", "ClassFacts", "load_class_facts", "where_of", "index_quads", "index_triples",
           "FACT_PREDICATES", "facts_of_quads", "concept_labels_of_quads", "profile_concepts", "facts_of_class",
           "concept_labels_of_class"]


@pickled_by_fields
@dataclass(frozen=True, slots=True)
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


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class FamilyMember:
    """A class named in a stated job family, lowest first."""

    node: str
    position: int
    name: str
    member: str | None
    where: str = ""


@pickled_by_fields
@dataclass(frozen=True, slots=True)
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
    # What its holders do and know, as normalised keys merged across classes by equality: activities (verb +
    # object, "prepare payroll record") from the summary, duties and tasks, and the atomic concepts of its KSA
    # statements ("business english", "spelling"); see ``profile_concepts``.
    concepts: tuple[str, ...] = ()
    pay: int | None = None  # the lowest annual salary it starts at (its employer's published range), if any
    pay_where: str = ""
    pay_currency: str = "USD"  # of ``pay``: two classes' pay compare only in one currency
    # the year the pay was published: of the bulletin's open date (the earliest, when several), if it gives one
    pay_year: int | None = None

    @property
    def label(self) -> str:
        return f"{self.code} {self.title}" if self.code else self.title

    @property
    def grade_label(self) -> str | None:
        if self.grade is None:
            return None
        return " ".join(part for part in (self.pay_plan, self.grade) if part)


def profile_concepts(texts: Iterable[str], statements: Iterable[str] = ()) -> tuple[str, ...]:
    """The concepts of a class's profile, sorted: activities of its ``texts`` (summary, duties, tasks) and the
    atomic concepts of its KSA ``statements``.

    >>> profile_concepts(["Prepares payroll records."], ["Knowledge of business English and spelling"])
    ('business english', 'prepare payroll record', 'spelling')
    """
    found = {activity for text in texts for activity in activities_of_text(text)}
    found.update(part for statement in statements for part in split_statement(statement))
    return tuple(sorted(found))


# schema:duration of a salary -> how many of it make a year
_DURATION_IN_YEAR = {duration: PERIODS_IN_YEAR[period] for period, duration in PERIOD_DURATION.items()}


def lowest_pay(ranges: Iterable[tuple[str, bool, str, str, str]]) -> tuple[int | None, str, str]:
    """The lowest annual starting salary of (min value, DWP's own, where, currency, schema:duration) ranges, where
    it was read and its currency. A range per hour, week, fortnight or month counts as a year of it (2,080 hours);
    only ranges in the currency most of them are in count; the ranges of a department with its own pay scale (DWP)
    count only when there are no others.

    >>> lowest_pay([("52000", False, "a:3", "USD", "P1Y"), ("49000", True, "a:4", "USD", "P1Y"),
    ...             ("51000", False, "a:5", "USD", "P1Y"), ("24.10", False, "a:6", "USD", "PT1H")])
    (50128, 'a:6', 'USD')
    >>> lowest_pay([("31364", False, "a:3", "GBP", "P1Y"), ("30000", False, "a:4", "EUR", "P1Y"),
    ...             ("33945", False, "a:5", "GBP", "P1Y")])
    (31364, 'a:3', 'GBP')
    >>> lowest_pay([])
    (None, '', 'USD')
    """
    found = [(int(Decimal(low) * _DURATION_IN_YEAR[duration]), dwp, where, currency)
             for low, dwp, where, currency, duration in ranges if _number(low) and duration in _DURATION_IN_YEAR]
    usual = [item for item in found if not item[1]] or found
    if not usual:
        return None, "", "USD"
    counts = Counter(item[3] for item in usual)
    currency = max(counts, key=counts.__getitem__)  # of a tie, the first read
    low, _, where, _ = min((item for item in usual if item[3] == currency), key=lambda item: (item[0], item[2]))
    return low, where, currency


def _number(text: str | None) -> bool:
    try:
        return text is not None and Decimal(text) > 0
    except InvalidOperation:
        return False


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
    statements: dict[str, set[str]] = defaultdict(set)
    for row in store.query("SELECT ?c ?text WHERE { ?c a rg:JobClass ; rg:ksa/schema:description ?text }"):
        statements[_v(row, "c") or ""].add(_v(row, "text") or "")
    salaries: dict[str, list[tuple[str, bool, str, str, str]]] = defaultdict(list)
    for row in store.query(f"""
        SELECT ?c ?low ?dwp ?currency ?duration ?src_s ?start_s ?end_s WHERE {{ ?c a rg:JobClass ;
            schema:estimatedSalary ?s . ?s schema:minValue ?low . OPTIONAL {{ ?s rg:dwp ?dwp }}
            OPTIONAL {{ ?s schema:currency ?currency }} OPTIONAL {{ ?s schema:duration ?duration }}
            {WHERE.format(node="?s", tag="s")} }}"""):
        salaries[_v(row, "c") or ""].append((_v(row, "low") or "", _v(row, "dwp") == "true", _where(row, "s"),
                                             _v(row, "currency") or "USD", _v(row, "duration") or "P1Y"))
    opened: dict[str, int] = {}
    for row in store.query("SELECT ?c ?open WHERE { ?c a rg:JobClass ; rg:openDate ?open }"):
        if (year := _year(_v(row, "open"))) is not None:
            iri = _v(row, "c") or ""
            opened[iri] = min(opened.get(iri, year), year)
    facts = []
    for iri, values in sorted(base.items()):
        texts = sorted(set(profile.get(iri, [])))
        pay, pay_where, pay_currency = lowest_pay(salaries.get(iri, ()))
        members = tuple(sorted({m.node: m for m in family.get(iri, [])}.values(), key=lambda m: m.position))
        facts.append(ClassFacts(**values, experience=experience.get(iri, ()), skills=skills.get(iri, {}),
                                family=members, profile=" ".join([values["title"], *texts]),
                                concepts=profile_concepts(texts, sorted(statements.get(iri, ()))),
                                pay=pay, pay_where=pay_where, pay_currency=pay_currency,
                                pay_year=opened.get(iri) if pay is not None else None))
    return facts


def _year(date: str | None) -> int | None:
    """The year of an ISO date ("2018-06-22"), None for any other text.

    >>> _year("2018-06-22"), _year("06-22-18"), _year(None)
    (2018, None, None)
    """
    if date is None or len(date) < 10 or date[4] != "-" or not date[:4].isdigit():
        return None
    return int(date[:4])


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
            ?x rg:experience ?e } ORDER BY ?p"""):  # one in several paths (a lead shared by all): the first
        found.setdefault(_v(row, "e") or "", _v(row, "p") or "")
    for row in store.query("""
        SELECT DISTINCT ?e WHERE { ?i rg:conjunction "or" ; rg:subRequirement ?x . ?x rg:subRequirement* ?y .
            ?y rg:experience ?e }"""):
        node = _v(row, "e") or ""
        found[node] = node
    return found


# -- the same facts from quads in hand -------------------------------------------------------------------
#
# A build has every class graph in hand as it writes it; reading the facts back with SPARQL costs more than
# deriving the ladder (minutes at 10k classes). ``facts_of_quads`` gives what ``load_class_facts`` gives for
# the classes of the quads, reading them in Python. Where a store could hold two values and SPARQL would
# pick either, the smallest is taken.

_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_RG = "https://w3id.org/rolegraph/ns#"
_SCHEMA = "https://schema.org/"
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_DERIVED_FROM = "http://www.w3.org/ns/prov#wasDerivedFrom"
# Every predicate facts_of_quads and concept_labels_of_quads read (tests check that nothing else changes them).
FACT_PREDICATES = frozenset({
    _TYPE, _DERIVED_FROM, _SKOS + "prefLabel",
    *(_SCHEMA + name for name in ("description", "estimatedSalary", "experienceRequirements", "identifier",
                                  "minValue", "monthsOfExperience", "name", "occupationLocation", "currency",
                                  "duration")),
    *(_RG + name for name in ("concept", "conjunction", "duty", "dwp", "experience", "field", "grade", "gradeNumber",
                              "inClass", "inClassTitle", "includes", "item", "jobFamilyMember", "ksa", "levelRank",
                              "lineEnd", "lineStart", "memberClass", "openDate", "payGrade", "payPlan", "position",
                              "requirementPath", "series", "stub", "subRequirement", "task")),
})

Index = dict[str, dict[str, list[str]]]


def index_quads(quads: Iterable[Quad]) -> Index:
    """Subject -> predicate -> object values (IRIs and literal values alike), in quad order."""
    return index_triples((quad.subject.value, quad.predicate.value, quad.object.value) for quad in quads)


def index_triples(triples: Iterable[tuple[str, str, str]], only: Container[str] | None = None) -> Index:
    """:func:`index_quads` of (subject, predicate, object value) triples, as a ClassGraph keeps them; with
    ``only``, of the triples with those predicates (``FACT_PREDICATES`` gives the same facts, faster).

    >>> index_triples([("s", "p", "a"), ("s", "p", "b"), ("s", "q", "c")], only={"p"})
    {'s': {'p': ['a', 'b']}}
    """
    index: Index = {}
    for subject, predicate, value in triples:
        if only is None or predicate in only:
            index.setdefault(subject, {}).setdefault(predicate, []).append(value)
    return index


def _one(index: Index, subject: str, predicate: str) -> str | None:
    values = index.get(subject, {}).get(predicate)
    return min(values) if values else None


def _all(index: Index, subject: str, predicate: str) -> list[str]:
    return index.get(subject, {}).get(predicate, [])


def _where_in(index: Index, node: str) -> str:
    """``where_of`` for a fact node: its source's name and lines, "" unless all three are there."""
    names = [name for doc in _all(index, node, _DERIVED_FROM) for name in _all(index, doc, _SCHEMA + "name")]
    start, end = _one(index, node, _RG + "lineStart"), _one(index, node, _RG + "lineEnd")
    if not names or start is None or end is None:
        return ""
    return where_of(min(names), start, end)


def facts_of_quads(quads: Iterable[Quad] | Index) -> list[ClassFacts]:
    """The facts of every job class in ``quads`` (its class graph and its shared quads), sorted by IRI."""
    index = quads if isinstance(quads, dict) else index_quads(quads)
    either: dict[str, str] = {}  # experience under an item whose sub-requirements combine with "or": its own
    for properties in index.values():
        if "or" in properties.get(_RG + "conjunction", ()):
            for sub in properties.get(_RG + "subRequirement", ()):
                for node in _reachable(index, sub):
                    either.update((experience, experience) for experience in _all(index, node, _RG + "experience"))
    facts = []
    for iri, properties in index.items():
        if _RG + "JobClass" not in properties.get(_TYPE, ()) or not properties.get(_SCHEMA + "name"):
            continue
        facts.append(_class_facts(index, iri, either))
    return sorted(facts, key=lambda fact: fact.iri)


def _class_facts(index: Index, iri: str, either: dict[str, str]) -> ClassFacts:
    values: dict = dict(iri=iri, title=_one(index, iri, _SCHEMA + "name") or "",
                        code=_one(index, iri, _SCHEMA + "identifier"),
                        stub=_one(index, iri, _RG + "stub") == "true")
    if (location := _one(index, iri, _SCHEMA + "occupationLocation")) is not None:
        values.update(location=location, location_name=_one(index, location, _SCHEMA + "name"),
                      employer_known=_RG + "Jurisdiction" in _all(index, location, _TYPE))
    for grade_node in sorted(_all(index, iri, _RG + "payGrade")):
        if (grade := _one(index, grade_node, _RG + "grade")) is None:
            continue
        number = _one(index, grade_node, _RG + "gradeNumber")
        values.update(pay_plan=_one(index, grade_node, _RG + "payPlan"), grade=grade, grade_node=grade_node,
                      grade_number=int(number) if number and number.lstrip("-").isdigit() else None,
                      grade_where=_where_in(index, grade_node))
        break
    if (series := _one(index, iri, _RG + "series")) is not None:
        values["series"] = series
    skills: dict[str, int] = {}
    statements: set[str] = set()
    for ksa in _all(index, iri, _RG + "ksa"):
        statements.update(_all(index, ksa, _SCHEMA + "description"))
        ranks = [int(rank) for rank in _all(index, ksa, _RG + "levelRank")]
        for concept in _all(index, ksa, _RG + "concept"):
            skills[concept] = max(skills.get(concept, 0), max(ranks, default=0))
    family: dict[str, FamilyMember] = {}
    for member in _all(index, iri, _RG + "jobFamilyMember"):
        position, name = _one(index, member, _RG + "position"), _one(index, member, _SCHEMA + "name")
        if position is not None and name is not None:
            family[member] = FamilyMember(member, int(position), name, _one(index, member, _RG + "memberClass"),
                                          _where_in(index, member))
    texts = set(_all(index, iri, _SCHEMA + "description"))
    for duty in _all(index, iri, _RG + "duty"):
        texts.update(_all(index, duty, _SCHEMA + "description"))
        for task in _all(index, duty, _RG + "task"):
            texts.update(_all(index, task, _SCHEMA + "description"))
    pay, pay_where, pay_currency = lowest_pay(
        (low, _one(index, node, _RG + "dwp") == "true", _where_in(index, node),
         _one(index, node, _SCHEMA + "currency") or "USD", _one(index, node, _SCHEMA + "duration") or "P1Y")
        for node in _all(index, iri, _SCHEMA + "estimatedSalary") for low in _all(index, node, _SCHEMA + "minValue"))
    years = [year for date in _all(index, iri, _RG + "openDate") if (year := _year(date)) is not None]
    return ClassFacts(**values, experience=_experience_in(index, iri, either), skills=skills,
                      family=tuple(sorted(family.values(), key=lambda m: m.position)),
                      profile=" ".join([values["title"], *sorted(texts)]),
                      concepts=profile_concepts(sorted(texts), sorted(statements)), pay=pay, pay_where=pay_where,
                      pay_currency=pay_currency,
                      pay_year=min(years, default=None) if pay is not None else None)


def _experience_in(index: Index, iri: str, either: dict[str, str]) -> tuple[Experience, ...]:
    alternative: dict[str, str] = {}
    for path in sorted(_all(index, iri, _RG + "requirementPath")):
        for item in _all(index, path, _RG + "item"):
            for node in _reachable(index, item):
                for experience in _all(index, node, _RG + "experience"):
                    alternative.setdefault(experience, path)
    alternative.update(either)
    found = (_experience_of(index, node, alternative)
             for node in sorted(set(_all(index, iri, _SCHEMA + "experienceRequirements"))))
    return tuple(experience for experience in found if experience is not None)


def _experience_of(index: Index, node: str, alternative: dict[str, str]) -> Experience | None:
    # A module function, not a closure calling itself: that would be a reference cycle holding the index, and
    # builds run with the cyclic collector paused.
    months = _one(index, node, _SCHEMA + "monthsOfExperience")
    if months is None:
        return None
    parts = [_experience_of(index, part, alternative) for part in sorted(_all(index, node, _RG + "includes"))]
    return Experience(node, _decimal(months), _one(index, node, _RG + "field") or "",
                      _one(index, node, _SCHEMA + "description") or "", _where_in(index, node),
                      tuple(part for part in parts if part is not None),
                      tuple(sorted(set(_all(index, node, _RG + "inClass")))),
                      tuple(sorted(set(_all(index, node, _RG + "inClassTitle")))), alternative.get(node, ""))


def _reachable(index: Index, start: str) -> list[str]:
    """``start`` and every node under it by rg:subRequirement (SPARQL's ``rg:subRequirement*``)."""
    seen, todo = {start}, [start]
    while todo:
        for sub in _all(index, todo.pop(), _RG + "subRequirement"):
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return sorted(seen)


def concept_labels_of_quads(quads: Iterable[Quad] | Index) -> dict[str, str]:
    """Skill concept IRI -> preferred label, for the concepts in ``quads`` (as ``skill_labels`` of a store)."""
    index = quads if isinstance(quads, dict) else index_quads(quads)
    return {subject: min(properties[_SKOS + "prefLabel"]) for subject, properties in index.items()
            if _SKOS + "Concept" in properties.get(_TYPE, ()) and properties.get(_SKOS + "prefLabel")}


# -- the same facts from the model ---------------------------------------------------------------------
#
# What a build hands the ladder stage: ``facts_of_class`` gives, from a parsed JobClass, the ClassFacts that
# ``facts_of_quads`` reads from that class's emitted graph (and ``concept_labels_of_class`` its skill labels),
# without reading the quads back. Fact-node IRIs are made as rdf.emit makes them, by the same code where it
# is shared (the class path, the experience nodes); where the graph could hold two values, the smallest is
# taken, as facts_of_quads takes it. A source line names its document as a store does: rdf.emit describes a
# document once, in the graph of the first class of its series, so facts_of_quads of a later class's graph
# alone gives it no source lines, while load_class_facts of the store does. tests/test_ladder_facts.py holds
# facts_of_class equal to facts_of_quads of a class's graph with its documents' descriptions.

Titles = Mapping[tuple[tuple[str, str], str], NamedNode]  # an emitter's: (jurisdiction key, folded title) -> class


def facts_of_class(job_class: JobClass, iris: Iris | None = None, concept_label: Callable[[Ksa], str] | None = None,
                   titles: Titles | None = None) -> ClassFacts:
    """The ladder facts of ``job_class``, as ``facts_of_quads`` reads them from its class graph and the
    descriptions of its source documents (as ``load_class_facts`` reads them from a store holding it).

    ``iris``, ``concept_label`` and ``titles`` are those its graph is emitted with (a ClassGraphEmitter's):
    ``titles`` name the classes its job family and feeder requirements resolve to (default: itself alone).

    >>> from rolegraph.model import Provenance, Text
    >>> where = Provenance("clerk.txt", "00", 3, 4)
    >>> clerk = JobClass(Text("Clerk", where), (), summary=Text("Files records.", where))
    >>> fact = facts_of_class(clerk)
    >>> fact.iri, fact.profile, fact.concepts
    ('https://w3id.org/rolegraph/id/class/unknown/clerk', 'Clerk Files records.', ('file record',))
    """
    iris = iris or Iris()
    label_of = concept_label or _default_label
    subject = iris.node(class_path(job_class, iris)).value
    place = jurisdiction_key(job_class.jurisdiction)
    if titles is None:
        titles = {(place, fold(job_class.title.value)): NamedNode(subject)}
    where = _Where(job_class)
    values: dict = dict(iri=subject, title=job_class.title.value,
                        code=job_class.code.value if job_class.code is not None else None, stub=job_class.stub)
    jurisdiction = job_class.jurisdiction
    if jurisdiction is not None and jurisdiction.name:
        values.update(location=iris.jurisdiction(jurisdiction.state, jurisdiction.name).value,
                      location_name=jurisdiction.name, employer_known=True)
    elif jurisdiction is not None and jurisdiction.state:
        values.update(location=iris.state(jurisdiction.state).value, location_name=jurisdiction.state)
    pay_grade = job_class.pay_grade
    if pay_grade is not None and pay_grade.grade:
        values.update(pay_plan=pay_grade.plan or None, grade=pay_grade.grade, grade_node=f"{subject}/pay-grade",
                      grade_number=int(pay_grade.grade) if pay_grade.grade.isdigit() else None,
                      grade_where=where(pay_grade.where))
    if job_class.classification.series is not None:
        values["series"] = job_class.classification.series.value
    skills: dict[str, int] = {}
    # in the order of the KSA nodes' N-Quads text (ksa/10 before ksa/2), as the class graph's index holds them
    for _, ksa in sorted(enumerate(job_class.ksas, start=1), key=lambda item: f"{item[0]}>"):
        if label := label_of(ksa):
            concept = iris.skill(label).value
            rank = LEVEL_ORDER.index(ksa.level) + 1 if ksa.level else 0
            skills[concept] = max(skills.get(concept, 0), rank)
    family = [FamilyMember(f"{subject}/job-family/{position}", position, member.value,
                           _iri_of(titles.get((place, fold(member.value)))), where(member.where))
              for position, member in enumerate(job_class.job_family, start=1) if member.value]
    texts = {job_class.summary.value} if job_class.summary is not None else set()
    for duty in job_class.duties:
        texts.update(text for text in (duty.description, *(task.description for task in duty.tasks)) if text)
    salaries = job_class.bulletin.salaries if job_class.bulletin is not None else ()
    opened = job_class.bulletin.open_date if job_class.bulletin is not None else None
    pay, pay_where, pay_currency = lowest_pay((number_text(salary.low)[0], salary.dwp, where(salary.where),
                                               salary.currency, PERIOD_DURATION[salary.period]) for salary in salaries)
    statements = sorted({ksa.text for ksa in job_class.ksas if ksa.text})
    return ClassFacts(**values, experience=_experience_of_class(job_class, subject, titles, place, where),
                      skills=skills, family=tuple(family), profile=" ".join([job_class.title.value, *sorted(texts)]),
                      concepts=profile_concepts(sorted(texts), statements), pay=pay, pay_where=pay_where,
                      pay_currency=pay_currency, pay_year=_year(opened.value) if pay is not None and opened else None)


def concept_labels_of_class(job_class: JobClass, iris: Iris | None = None,
                            concept_label: Callable[[Ksa], str] | None = None) -> dict[str, str]:
    """Skill concept IRI -> preferred label, for the concepts of ``job_class`` (``concept_labels_of_quads`` of its
    class graph): two labels of one IRI give the smaller."""
    iris = iris or Iris()
    label_of = concept_label or _default_label
    labels: dict[str, str] = {}
    for ksa in job_class.ksas:
        if label := label_of(ksa):
            concept = iris.skill(label).value
            labels[concept] = min(labels.get(concept, label), label)
    return labels


def _default_label(ksa: Ksa) -> str:
    return skill_label(ksa.text)


def _iri_of(node: NamedNode | None) -> str | None:
    return None if node is None else node.value


class _Where:
    """``where_of`` a fact's provenance, naming its document as a store does: by the smallest name of the class's
    sources with its sha256."""

    def __init__(self, job_class: JobClass) -> None:
        self.names: dict[str, str] = {}
        for source in job_class.sources:
            if source.name:
                self.names[source.sha256] = min(self.names.get(source.sha256, source.name), source.name)

    def __call__(self, where: Provenance) -> str:
        return where_of(self.names.get(where.sha256), str(where.line_start), str(where.line_end))


def _experience_of_class(job_class: JobClass, subject: str, titles: Titles, place: tuple[str, str],
                         where: _Where) -> tuple[Experience, ...]:
    nodes = experience_nodes(job_class, subject)  # requirement -> its node (the first of equal requirements)
    references: dict[str, list[ClassReference]] = {}
    for reference in job_class.class_references:
        references.setdefault(fold(reference.name), []).append(reference)
    in_classes: dict[str, set[str]] = {}
    for requirement, node in nodes.items():  # rg:inClass, as rdf.bulletin links a node to the classes named
        for name in requirement.in_classes:
            for reference in references.get(fold(name)) or [None]:
                target = titles.get((place, fold(reference.target_title if reference else name)))
                if target is not None:
                    in_classes.setdefault(node, set()).add(target.value)
    alternative = _alternatives_of_class(job_class, subject, nodes)

    def make(node: str, requirement: ExperienceRequirement) -> Experience:
        parts = sorted((f"{node}/part/{index}", part) for index, part in enumerate(requirement.included, start=1))
        return Experience(node, Decimal(number_text(requirement.months)[0]), requirement.field,
                          requirement.description, where(requirement.where),
                          tuple(make(part_node, part) for part_node, part in parts),
                          tuple(sorted(in_classes.get(node, ()))),
                          tuple(sorted({title for title in requirement.in_classes if title})),
                          alternative.get(node, ""))

    found = sorted((f"{subject}/experience/{index}", requirement)
                   for index, requirement in enumerate(job_class.experience, start=1))
    return tuple(make(node, requirement) for node, requirement in found)


def _alternatives_of_class(job_class: JobClass, subject: str, nodes: Mapping[ExperienceRequirement, str]
                           ) -> dict[str, str]:
    """Experience node -> its alternative, as ``_experience_in`` finds it in the class graph: the first requirement
    path (by IRI) reaching it, or the node itself under an item whose sub-requirements combine with "or". Items
    are keyed by their IRIs, so two sibling items with one label are one node, as in the graph."""
    conjunctions: dict[str, set[str]] = defaultdict(set)
    subs: dict[str, list[str]] = defaultdict(list)
    experience: dict[str, list[str]] = defaultdict(list)

    def visit(node: str, item: RequirementItem) -> None:
        experience[node].extend(nodes[requirement] for requirement in item.experience if requirement in nodes)
        if item.items and item.conjunction:
            conjunctions[node].add(item.conjunction)
        for index, sub in enumerate(item.items, start=1):
            sub_node = f"{node}/{sub.label or index}"
            subs[node].append(sub_node)
            visit(sub_node, sub)

    paths: dict[str, list[str]] = defaultdict(list)
    for path in job_class.requirement_paths:
        path_node = f"{subject}/path/{path.number}"
        for index, item in enumerate(path.items, start=1):
            paths[path_node].append(f"{path_node}/item/{index}")
            visit(f"{path_node}/item/{index}", item)

    def reached(start: str) -> Iterator[str]:
        seen, todo = {start}, [start]
        while todo:
            node = todo.pop()
            yield from experience.get(node, ())
            for sub in subs.get(node, ()):
                if sub not in seen:
                    seen.add(sub)
                    todo.append(sub)

    found: dict[str, str] = {}
    for path_node in sorted(paths):
        for item_node in paths[path_node]:
            for node in reached(item_node):
                found.setdefault(node, path_node)
    for node, kinds in list(conjunctions.items()):
        if "or" in kinds:
            found.update((each, each) for sub in subs[node] for each in reached(sub))
    return found
