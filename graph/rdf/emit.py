"""Emit the RDF of job classes: one named graph per class, deterministic IRIs, no blank nodes.

The public contract (README "Vocabulary") is written here: schema:Occupation + rg:JobClass, schema:name,
schema:identifier, schema:occupationLocation, rg:payGrade, schema:experienceRequirements, rg:duty/rg:task,
rg:ksa -> skos:Concept, prov:wasDerivedFrom -> rg:SourceDocument, and line-level provenance on every fact.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, parse

from rolegraph.merge import jurisdiction_key
from rolegraph.model import LEVEL_ORDER, ExperienceRequirement, JobClass, Ksa, License, Provenance, Text
from rolegraph.parser.tables import fold
from rolegraph.rdf.bulletin import emit_bulletin
from rolegraph.rdf.iris import Iris
from rolegraph.rdf.namespaces import PROV, RDF, RDFS, RG, SCHEMA, SKOS, XSD
from rolegraph.rdf.terms import TRUE, number, number_text, quoted, term_text

__all__ = ["ClassGraph", "ClassGraphEmitter", "KSA_KIND_TO_CLASS", "class_path", "emit_class_graphs",
           "iter_class_graphs", "skill_label"]

KSA_KIND_TO_CLASS = {"knowledge": RG.Knowledge, "skill": RG.Skill, "ability": RG.Ability,
                     "competency": RG.Competency}
SKILL_PREFIXES = re.compile(r"^(?:knowledge of|ability to|skill in|skills in|the|an?)\s+", re.IGNORECASE)


def skill_label(text: str) -> str:
    """The concept label of a KSA statement: folded case and punctuation, common prefixes dropped.

    >>> skill_label("Knowledge of General Office Procedures.")
    'general office procedures'
    """
    label = fold(re.sub(r"[^\w\s/&-]", " ", text))
    previous = None
    while previous != label:
        previous, label = label, SKILL_PREFIXES.sub("", label)
    return label


Triple = tuple[str, str, str]  # subject IRI, predicate IRI, object value (an IRI or a literal's lexical form)


@dataclass(frozen=True)
class ClassGraph:
    """The triples of one job class's named graph, as N-Quads text, and a hash of their content.

    ``nquads`` holds the graph's quads, one N-Quads line each, distinct and sorted, encoded as UTF-8 (what the
    store's bulk loader reads); ``shared_nquads`` the quads about things several classes share (states,
    jurisdictions, skill concepts), which go to the shared graph rather than into every class graph, so the union
    holds each once. ``triples`` are the same statements as plain values, class graph first, for readers that
    need no RDF terms (the ladder facts).
    """

    class_iri: NamedNode
    graph: NamedNode
    nquads: bytes
    source_names: tuple[str, ...]
    content_hash: str
    shared_nquads: bytes = b""
    triples: tuple[Triple, ...] = ()
    size: int = 0  # how many quads: the class graph's and the shared ones

    @cached_property
    def lines(self) -> tuple[str, ...]:
        """The class graph's quads as N-Quads lines, each without its closing " ."."""
        return _lines(self.nquads)

    @cached_property
    def shared_lines(self) -> tuple[str, ...]:
        return _lines(self.shared_nquads)

    @cached_property
    def quads(self) -> tuple[Quad, ...]:
        """The class graph's quads as pyoxigraph terms (parsed from the text when first asked for)."""
        return tuple(parse(self.nquads, format=RdfFormat.N_QUADS))

    @cached_property
    def shared(self) -> tuple[Quad, ...]:
        return tuple(parse(self.shared_nquads, format=RdfFormat.N_QUADS))

    def marker_lines(self) -> tuple[str, str]:
        """The graph's content hash and the class it describes, as N-Quads lines in the graph itself."""
        graph = f"<{self.graph.value}>"
        return (f"{graph} <{RG.contentHash.value}> {quoted(self.content_hash)} {graph}",
                f"{graph} <{RG.describes.value}> <{self.class_iri.value}> {graph}")

    def marker_nquads(self) -> bytes:
        return _nquads(self.marker_lines())

    def triple_lines(self, with_marker: bool = False) -> list[str]:
        """The class graph's lines as N-Triples (the graph name dropped), with the marker lines if asked."""
        cut = len(self.graph.value) + 3  # " <" + graph + ">"
        lines = (*self.lines, *self.marker_lines()) if with_marker else self.lines
        return [line[:-cut] for line in lines]


def _lines(nquads: bytes) -> tuple[str, ...]:
    # Split at "\n" alone: literals escape it, but not U+2028 or U+0085, at which str.splitlines splits too.
    return tuple(line[:-2] for line in nquads.decode("utf-8").split("\n")[:-1])


def _nquads(lines: Sequence[str]) -> bytes:
    return (" .\n".join(lines) + " .\n").encode("utf-8") if lines else b""


_DERIVED_FROM, _LINE_START, _LINE_END = PROV.wasDerivedFrom.value, RG.lineStart.value, RG.lineEnd.value
_LOCATOR = RG.locator.value
_TYPE = RDF.type.value


class _Writer:
    """Collects the triples of one class graph as (subject, predicate, object value, object in N-Quads)."""

    def __init__(self, graph: NamedNode, iris: Iris) -> None:
        self.graph, self.iris = graph, iris
        self.triples: list[tuple[str, str, str, str]] = []
        self.shared_triples: list[tuple[str, str, str, str]] = []
        self._sources: dict[str, str] = {}

    def add(self, subject: NamedNode, predicate: NamedNode, obj: NamedNode | Literal) -> None:
        self.triples.append((subject.value, predicate.value, obj.value, term_text(obj)))

    def shared(self, subject: NamedNode, predicate: NamedNode, obj: NamedNode | Literal | str) -> None:
        """A triple about a shared thing (state, jurisdiction, concept): goes to the shared graph."""
        if isinstance(obj, str):
            self.shared_triples.append((subject.value, predicate.value, obj, quoted(obj)))
        else:
            self.shared_triples.append((subject.value, predicate.value, obj.value, term_text(obj)))

    def text(self, subject: NamedNode, predicate: NamedNode, value: str | None) -> None:
        if value:
            self.triples.append((subject.value, predicate.value, value, quoted(value)))

    def where(self, node: NamedNode, where: Provenance) -> None:
        """Line-level provenance of a fact node."""
        source = self._sources.get(where.sha256)
        if source is None:
            source = self._sources[where.sha256] = self.iris.source(where.sha256).value
        subject = node.value
        self.triples.append((subject, _DERIVED_FROM, source, f"<{source}>"))
        self.triples.append((subject, _LINE_START, *number_text(where.line_start)))
        self.triples.append((subject, _LINE_END, *number_text(where.line_end)))
        if where.locator:  # a PDF page and line, a DOCX paragraph: what a person looks for in that file
            self.triples.append((subject, _LOCATOR, where.locator, quoted(where.locator)))

    def child(self, parent: NamedNode, predicate: NamedNode, path: str, *kinds: NamedNode) -> NamedNode:
        """A node under ``parent`` (IRI ``parent/path``), linked from it by ``predicate`` and typed ``kinds``."""
        node = NamedNode(f"{parent.value}/{path}")
        self.add(parent, predicate, node)
        for kind in kinds:
            self.add(node, RDF.type, kind)
        return node

    def license(self, node: NamedNode, license_: License) -> None:
        """The name, requirement, description and source line of a licence node."""
        self.text(node, SCHEMA.name, license_.name)
        self.text(node, RG.requirement, license_.required)
        self.text(node, SCHEMA.description, license_.description)
        self.where(node, license_.where)

    def item(self, parent: NamedNode, predicate: NamedNode, path: str, kind: NamedNode, description: str,
             position: int, where: Provenance) -> NamedNode:
        """A numbered item of a list (a duty, a task, a KSA statement): typed, described, placed, sourced."""
        node = NamedNode(f"{parent.value}/{path}/{position}")
        self.add(parent, predicate, node)
        self.add(node, RDF.type, kind)
        self.text(node, SCHEMA.description, description)
        self.triples.append((node.value, _POSITION, *number_text(position)))
        self.where(node, where)
        return node

    def value_source(self, parent: NamedNode, predicate: NamedNode, node: NamedNode, value: str,
                     where: Provenance) -> None:
        """A rg:FactSource node holding one value as it was read, and where (a naming, a conflicting value)."""
        self.add(parent, predicate, node)
        self.add(node, RDF.type, RG.FactSource)
        self.triples.append((node.value, _VALUE, value, quoted(value)))
        self.where(node, where)

    def facts(self, subject: NamedNode, name: str, predicate: NamedNode, texts: tuple[Text, ...]) -> None:
        """A numbered run of literal facts (work context, notes), each with its own rg:FactSource."""
        for index, text in enumerate(texts, start=1):
            self.fact(subject, f"{name}/{index}", predicate, text.value, text.where)

    def fact(self, subject: NamedNode, name: str, predicate: NamedNode, value: NamedNode | Literal | str,
             where: Provenance) -> None:
        """A fact on the class (a string is a plain literal), plus a rg:FactSource node saying where it was read."""
        lexical, text = (value, quoted(value)) if isinstance(value, str) else (value.value, term_text(value))
        subject_iri = subject.value
        self.triples.append((subject_iri, predicate.value, lexical, text))
        node = f"{subject_iri}/fact/{name}"
        self.triples.append((subject_iri, _FACT_SOURCE, node, f"<{node}>"))
        self.triples.append((node, _TYPE, _FACT_SOURCE_CLASS, f"<{_FACT_SOURCE_CLASS}>"))
        self.triples.append((node, _PROPERTY, predicate.value, f"<{predicate.value}>"))
        self.triples.append((node, _VALUE, lexical, text))
        self.where(NamedNode(node), where)

    def class_graph(self, class_iri: NamedNode, source_names: tuple[str, ...]) -> ClassGraph:
        """The collected triples as a ClassGraph: distinct lines, sorted, hashed."""
        lines, triples = _sorted_lines(self.triples, f"<{self.graph.value}>")
        shared, shared_triples = _sorted_lines(self.shared_triples, f"<{self.iris.shared_graph.value}>")
        content_hash = hashlib.sha256("\n".join((*lines, *shared)).encode("utf-8")).hexdigest()
        return ClassGraph(class_iri, self.graph, _nquads(lines), source_names, content_hash, _nquads(shared),
                          (*triples, *shared_triples), len(lines) + len(shared))


_POSITION, _FACT_SOURCE, _PROPERTY, _VALUE = RG.position.value, RG.factSource.value, RG.property.value, RG.value.value
_FACT_SOURCE_CLASS = RG.FactSource.value


def _sorted_lines(triples: list[tuple[str, str, str, str]], graph: str) -> tuple[tuple[str, ...], list[Triple]]:
    """Distinct N-Quads lines in ``graph``, sorted, and the (subject, predicate, value) of each in that order."""
    by_line = {f"<{subject}> <{predicate}> {text} {graph}": (subject, predicate, value)
               for subject, predicate, value, text in triples}
    lines = tuple(sorted(by_line))
    return lines, [by_line[line] for line in lines]


def class_path(job_class: JobClass, iris: Iris) -> str:
    jurisdiction = job_class.jurisdiction
    return iris.class_path(jurisdiction.state if jurisdiction else None,
                           jurisdiction.name if jurisdiction else None,
                           job_class.code.value if job_class.code else None, job_class.title.value)


def emit_class_graphs(classes: Iterable[JobClass], iris: Iris | None = None,
                      concept_label: Callable[[Ksa], str] | None = None) -> list[ClassGraph]:
    """Return one ClassGraph per job class, in input order.

    ``concept_label`` maps a KSA statement to its skill concept label (default :func:`skill_label`);
    the ladder stage passes a vocabulary that merges near-duplicates across classes.
    """
    return list(iter_class_graphs(list(classes), iris, concept_label))


def iter_class_graphs(classes: Sequence[JobClass], iris: Iris | None = None,
                      concept_label: Callable[[Ksa], str] | None = None,
                      skip: Container[int] = ()) -> Iterator[ClassGraph]:
    """Yield the ClassGraph of each class in turn, so a large build never holds every graph at once.

    Classes whose positions are in ``skip`` are not emitted (an incremental build has their graphs already);
    they still name classes that others refer to.
    """
    emit = ClassGraphEmitter(classes, iris, concept_label)
    for position in range(len(classes)):
        if position not in skip:
            yield emit(position)


class ClassGraphEmitter:
    """Emits the graph of any one of ``classes`` by position; classes name each other by title, so the emitter
    knows them all (made once, it can emit them in any order, or in several processes).

    >>> from rolegraph.model import Provenance, Text
    >>> clerk = JobClass(title=Text("Clerk", Provenance("a.txt", "00", 1, 1)), sources=())
    >>> ClassGraphEmitter([clerk])(0).size
    10
    """

    def __init__(self, classes: Sequence[JobClass], iris: Iris | None = None,
                 concept_label: Callable[[Ksa], str] | None = None,
                 titles: Mapping[tuple[tuple[str, str], str], str] | None = None) -> None:
        """``titles``, when given, are the ``titles`` of an emitter made earlier with every class (as IRI strings):
        then ``classes`` may be a few of them (a rebuild by difference emits only those)."""
        self.classes, self.iris = classes, iris or Iris()
        self.concept_label = concept_label or (lambda ksa: skill_label(ksa.text))
        self.titles: dict[tuple[tuple[str, str], str], NamedNode] = {}
        if titles is not None:
            self.titles = {key: NamedNode(iri) for key, iri in titles.items()}
            return
        for job_class in classes:
            self.titles.setdefault((jurisdiction_key(job_class.jurisdiction), fold(job_class.title.value)),
                                   self.iris.node(class_path(job_class, self.iris)))

    def __call__(self, position: int) -> ClassGraph:
        return _emit_one(self.classes[position], self.iris, self.concept_label, self.titles)


def _emit_one(job_class: JobClass, iris: Iris, concept_label: Callable[[Ksa], str],
              titles: dict[tuple[tuple[str, str], str], NamedNode]) -> ClassGraph:
    path = class_path(job_class, iris)
    subject = iris.node(path)
    out = _Writer(iris.graph_for(path), iris)
    base = subject.value
    out.add(subject, RDF.type, SCHEMA.Occupation)
    out.add(subject, RDF.type, RG.JobClass)
    out.fact(subject, "title", SCHEMA.name, job_class.title.value, job_class.title.where)
    if job_class.code:
        out.fact(subject, "code", SCHEMA.identifier, job_class.code.value, job_class.code.where)
    if job_class.stub:
        out.add(subject, RG.stub, TRUE)
        for index, named in enumerate(job_class.named_in, start=1):
            out.value_source(subject, RG.namedIn, NamedNode(f"{base}/named-in/{index}"), named.value, named.where)

    # A document defining several classes (a series) is described once, in its first class's graph: in the union of
    # the graphs, the same triples in five graphs would be five answers to every query joining the source.
    describe = job_class.classification.series_order in (None, 1)
    for source in job_class.sources:
        document = iris.source(source.sha256)
        out.add(subject, PROV.wasDerivedFrom, document)
        if not describe:
            continue
        out.add(document, RDF.type, RG.SourceDocument)
        out.add(document, RDF.type, PROV.Entity)
        out.text(document, SCHEMA.name, source.name)
        out.text(document, RG.sha256, source.sha256)
        out.text(document, SCHEMA.encodingFormat, source.media_type)

    _emit_jurisdiction(job_class, subject, out, iris)
    _emit_header_facts(job_class, subject, out)
    _emit_duties(job_class, subject, out)
    _emit_ksas(job_class, subject, out, iris, concept_label)
    _emit_requirements(job_class, subject, out)
    _emit_context(job_class, subject, out, titles)
    emit_bulletin(job_class, subject, out, titles, jurisdiction_key(job_class.jurisdiction))

    return out.class_graph(subject, tuple(source.name for source in job_class.sources))


def _emit_jurisdiction(job_class: JobClass, subject: NamedNode, out: _Writer, iris: Iris) -> None:
    jurisdiction = job_class.jurisdiction
    if jurisdiction is None:
        return
    state = None
    if jurisdiction.state:
        state = iris.state(jurisdiction.state)
        out.shared(state, RDF.type, SCHEMA.State)
        out.shared(state, SCHEMA.name, jurisdiction.state)
    if jurisdiction.name:
        place = iris.jurisdiction(jurisdiction.state, jurisdiction.name)
        out.shared(place, RDF.type, RG.Jurisdiction)
        out.shared(place, RDF.type, SCHEMA.AdministrativeArea)
        out.shared(place, SCHEMA.name, jurisdiction.name)
        if state is not None:
            out.shared(place, SCHEMA.containedInPlace, state)
            out.shared(place, RG.stateEvidence, jurisdiction.state_evidence)
        location = place
    else:
        location = state
    if location is None:
        return
    if job_class.stub:
        out.add(subject, SCHEMA.occupationLocation, location)
        return
    out.fact(subject, "jurisdiction", SCHEMA.occupationLocation, location, jurisdiction.evidence.where)
    if jurisdiction.inferred:
        out.add(subject, RG.jurisdictionInferred, TRUE)
        out.text(subject, RG.jurisdictionEvidence,
                 f"{jurisdiction.state_evidence}: {jurisdiction.evidence.value}")


def _emit_header_facts(job_class: JobClass, subject: NamedNode, out: _Writer) -> None:
    if job_class.pay_grade:
        grade = out.child(subject, RG.payGrade, "pay-grade", RG.PayGrade)
        out.text(grade, RG.payPlan, job_class.pay_grade.plan)
        out.text(grade, RG.grade, job_class.pay_grade.grade)
        if job_class.pay_grade.grade.isdigit():
            out.add(grade, RG.gradeNumber, number(int(job_class.pay_grade.grade)))
        label = " ".join(part for part in (job_class.pay_grade.plan, job_class.pay_grade.grade) if part)
        out.text(grade, RDFS.label, label)
        out.where(grade, job_class.pay_grade.where)
    if job_class.ordinance:
        ordinance = out.child(subject, RG.ordinance, "ordinance", RG.Ordinance)
        out.text(ordinance, SCHEMA.identifier, job_class.ordinance.number)
        if job_class.ordinance.date:
            out.add(ordinance, SCHEMA.dateCreated, Literal(job_class.ordinance.date, datatype=XSD.date))
        out.where(ordinance, job_class.ordinance.where)
    if job_class.effective_date:
        value = job_class.effective_date.value
        datatype = XSD.gYearMonth if re.fullmatch(r"\d{4}-\d\d", value) else (
            XSD.date if re.fullmatch(r"\d{4}-\d\d-\d\d", value) else None)
        literal = Literal(value, datatype=datatype) if datatype else Literal(value)
        out.fact(subject, "effective-date", RG.effectiveDate, literal, job_class.effective_date.where)
    classification = job_class.classification
    for name, predicate, text in (("branch", RG.branch, classification.branch),
                                  ("group", RG.group, classification.group),
                                  ("series", RG.series, classification.series),
                                  ("revision", RG.revision, classification.revision)):
        if text:
            out.fact(subject, name, predicate, text.value, text.where)
    if job_class.summary:
        out.fact(subject, "summary", SCHEMA.description, job_class.summary.value,
                 job_class.summary.where)
    if classification.series and classification.series_order is not None:
        series = out.iris.series(_place_of(job_class), classification.series.value)
        out.add(subject, RG.inSeries, series)
        out.add(subject, RG.seriesOrder, number(classification.series_order))
        out.shared(series, RDF.type, RG.ClassSeries)
        out.shared(series, SCHEMA.name, classification.series.value)
    if job_class.department:
        department = out.iris.organization(_place_of(job_class), job_class.department.value)
        out.fact(subject, "department", RG.department, department, job_class.department.where)
        out.shared(department, RDF.type, SCHEMA.Organization)
        out.shared(department, SCHEMA.name, job_class.department.value)
    if job_class.layout:
        out.text(subject, RG.layout, job_class.layout)
        for field_name in job_class.omits:
            out.text(subject, RG.layoutOmits, field_name)


def _place_of(job_class: JobClass) -> tuple[str | None, str | None]:
    """(state, jurisdiction name) of a class, for the IRIs of things its employer owns (series, departments)."""
    place = job_class.jurisdiction
    return (place.state, place.name) if place else (None, None)


def _emit_duties(job_class: JobClass, subject: NamedNode, out: _Writer) -> None:
    for position, duty in enumerate(job_class.duties, start=1):
        node = out.item(subject, RG.duty, "duty", RG.Duty, duty.description, position, duty.where)
        for task_position, task in enumerate(duty.tasks, start=1):
            out.item(node, RG.task, "task", RG.Task, task.description, task_position, task.where)


def _emit_ksas(job_class: JobClass, subject: NamedNode, out: _Writer, iris: Iris,
               concept_label: Callable[[Ksa], str]) -> None:
    for position, ksa in enumerate(job_class.ksas, start=1):
        node = out.item(subject, RG.ksa, "ksa", KSA_KIND_TO_CLASS[ksa.kind], ksa.text, position, ksa.where)
        if ksa.level:
            out.text(node, RG.level, ksa.level)
            out.add(node, RG.levelRank, number(LEVEL_ORDER.index(ksa.level) + 1))
        label = concept_label(ksa)
        if not label:
            continue
        concept = iris.skill(label)
        out.add(node, RG.concept, concept)
        out.add(subject, SCHEMA.skills, concept)
        out.shared(concept, RDF.type, SKOS.Concept)
        out.shared(concept, SKOS.prefLabel, label)
        out.shared(concept, SKOS.inScheme, iris.skill_scheme)
        if fold(ksa.text) != label:
            out.shared(concept, SKOS.altLabel, ksa.text)
        out.shared(iris.skill_scheme, RDF.type, SKOS.ConceptScheme)
        out.shared(iris.skill_scheme, SKOS.prefLabel, "rolegraph knowledge, skills and abilities")


def _experience(out: _Writer, node: NamedNode, requirement: ExperienceRequirement) -> None:
    out.add(node, RDF.type, SCHEMA.OccupationalExperienceRequirements)
    out.add(node, SCHEMA.monthsOfExperience, number(requirement.months))
    out.text(node, SCHEMA.description, requirement.description)
    out.text(node, RG.field, requirement.field)
    for title in requirement.in_classes:
        out.text(node, RG.inClassTitle, title)
    out.where(node, requirement.where)
    for index, part in enumerate(requirement.included, start=1):
        part_node = out.child(node, RG.includes, f"part/{index}")
        _experience(out, part_node, part)


def _emit_requirements(job_class: JobClass, subject: NamedNode, out: _Writer) -> None:
    for index, requirement in enumerate(job_class.experience, start=1):
        node = out.child(subject, SCHEMA.experienceRequirements, f"experience/{index}")
        _experience(out, node, requirement)
    for index, education in enumerate(job_class.education, start=1):
        node = out.child(subject, SCHEMA.educationRequirements, f"education/{index}",
                         SCHEMA.EducationalOccupationalCredential)
        out.text(node, SCHEMA.description, education.value)
        out.where(node, education.where)
    if job_class.substitution:
        out.fact(subject, "substitution", RG.substitution, job_class.substitution.value,
                 job_class.substitution.where)
        out.add(subject, RG.substitutionAllowed, TRUE)
    for index, license_ in enumerate(job_class.licenses, start=1):
        node = out.child(subject, SCHEMA.qualifications, f"license/{index}",
                         SCHEMA.EducationalOccupationalCredential, RG.License)
        out.text(node, SCHEMA.credentialCategory,
                 "certification" if re.search(r"certif", license_.name, re.IGNORECASE) else "license")
        out.text(node, RG.issuer, license_.issuer)
        if license_.within_months_of_appointment is not None:
            out.add(node, RG.withinMonthsOfAppointment, number(license_.within_months_of_appointment))
        out.license(node, license_)


def _emit_context(job_class: JobClass, subject: NamedNode, out: _Writer,
                  titles: dict[tuple[tuple[str, str], str], NamedNode]) -> None:
    supervision = job_class.supervision
    if supervision.direct:
        out.fact(subject, "direct-supervision", RG.directSupervision, supervision.direct.value,
                 supervision.direct.where)
    if supervision.indirect:
        out.fact(subject, "indirect-supervision", RG.indirectSupervision,
                 supervision.indirect.value, supervision.indirect.where)
    out.facts(subject, "work-context", RG.workContext, job_class.work_context)
    out.facts(subject, "other-characteristic", RG.otherCharacteristic, job_class.other_characteristics)
    place = jurisdiction_key(job_class.jurisdiction)
    for position, member in enumerate(job_class.job_family, start=1):
        node = out.child(subject, RG.jobFamilyMember, f"job-family/{position}", RG.JobFamilyMember)
        out.text(node, SCHEMA.name, member.value)
        out.add(node, RG.position, number(position))
        target = titles.get((place, fold(member.value)))
        if target is not None:
            out.add(node, RG.memberClass, target)
        out.where(node, member.where)
    for index, section in enumerate(job_class.sections, start=1):
        node = out.child(subject, RG.section, f"section/{index}", RG.Section)
        out.text(node, RG.heading, section.heading)
        out.text(node, SCHEMA.text, section.text)
        out.where(node, section.where)
    for index, conflict in enumerate(job_class.conflicts, start=1):
        node = out.child(subject, RG.conflict, f"conflict/{index}", RG.Conflict)
        out.text(node, RG.field, conflict.field)
        for value_index, value in enumerate(conflict.values, start=1):
            out.value_source(node, RG.conflictingValue, NamedNode(f"{node.value}/value/{value_index}"),
                             value.value, value.where)
    for index, evidence in enumerate(job_class.merge_evidence, start=1):
        node = out.child(subject, RG.mergeEvidence, f"merge/{index}", RG.MergeEvidence)
        out.text(node, RG.method, evidence.method)
        out.add(node, RG.titleScore, Literal(str(evidence.title_score), datatype=XSD.decimal))
        if evidence.duties_score is not None:
            out.add(node, RG.dutiesScore, Literal(str(evidence.duties_score), datatype=XSD.decimal))
        out.text(node, RDFS.comment, f"merged renderings: {', '.join(evidence.sources)}")
