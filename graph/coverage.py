"""Coverage: for each field, how many specifications yielded it; everything kept only as text, with file:line.

Two sources give the same report: parsed classes (:func:`coverage_of_classes`, used by ``build`` and
``rolegraph coverage PATHS``) and a built store (:func:`coverage_of_store`, ``rolegraph coverage --store``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from rolegraph.model import JobClass, RequirementItem
from rolegraph.parser.tables import fold, load_rules
from rolegraph.store import Store

__all__ = ["FIELDS", "EXPECTED", "expected_of", "Unparsed", "Coverage", "coverage_of_classes", "coverage_changed",
           "coverage_of_store", "format_coverage"]


def _bulletin(getter: Callable[[Any], Any]) -> Callable[[JobClass], bool]:
    return lambda job_class: job_class.bulletin is not None and bool(getter(job_class.bulletin))


# field -> (what a class must have in the model, the SPARQL property path from the class that shows it)
FIELDS: dict[str, tuple[Callable[[JobClass], bool], str]] = {
    "code": (lambda c: c.code is not None, "schema:identifier"),
    "title": (lambda c: bool(c.title.value), "schema:name"),
    "jurisdiction": (lambda c: c.jurisdiction is not None, "schema:occupationLocation"),
    "open date": (_bulletin(lambda b: b.open_date), "rg:openDate"),
    "exam type": (_bulletin(lambda b: b.exam_type), "rg:examType"),
    "salary": (_bulletin(lambda b: b.salaries), "schema:estimatedSalary"),
    "pay": (lambda c: c.pay_grade is not None or (c.bulletin is not None and bool(c.bulletin.salaries)),
            "rg:payGrade|schema:estimatedSalary"),
    "definition or duties": (lambda c: c.summary is not None or bool(c.duties), "schema:description|rg:duty"),
    "duties": (lambda c: bool(c.duties), "rg:duty"),
    "minimum qualifications": (lambda c: bool(c.requirement_paths or c.experience or c.education or c.licenses),
                               "rg:requirementPath|schema:experienceRequirements|schema:educationRequirements"
                               "|schema:qualifications"),
    "requirements": (lambda c: bool(c.requirement_paths), "rg:requirementPath"),
    "experience": (lambda c: bool(c.experience), "schema:experienceRequirements"),
    "named feeder class": (lambda c: any(e.in_classes for e in c.experience),
                           "schema:experienceRequirements/rg:inClassTitle"),
    "education": (lambda c: any(item.education for path in c.requirement_paths for item in _items(path.items)),
                  "rg:requirementPath/rg:item/rg:subRequirement*/rg:education"),
    "driver's licence": (_bulletin(lambda b: b.drivers_license), "schema:qualifications/schema:name"),
    "process notes": (_bulletin(lambda b: b.process_notes), "rg:processNote"),
    "selection process": (_bulletin(lambda b: b.selection), "rg:selectionProcess"),
    "exam weights": (_bulletin(lambda b: b.exam_weights), "rg:examWeight"),
    "application deadline": (_bulletin(lambda b: b.deadline), "rg:applicationDeadline"),
    "special notes": (_bulletin(lambda b: b.special_notes), "rg:specialNote"),
}
# Fields every class is expected to yield, unless its layout never prints them: their absence is listed per file,
# with why. Field -> (the section it is read from (headings.toml), the name its layout omits it by (layouts.toml)).
EXPECTED: dict[str, tuple[str | None, str | None]] = {
    "code": (None, None), "title": (None, None), "pay": ("salary", "pay"),
    "definition or duties": ("duties", None), "minimum qualifications": ("requirements", "requirements")}


def expected_of(name: str, omits: Iterable[str]) -> bool:
    """Whether a class whose layout omits ``omits`` is expected to yield field ``name``.

    >>> expected_of("pay", ["pay", "duties"]), expected_of("code", ["pay"])
    (False, True)
    """
    omitted_as = EXPECTED[name][1]
    return omitted_as is None or omitted_as not in omits


def _why(field_name: str, headings: Iterable[str], in_series: bool = False) -> str:
    """Why a class lacks an expected field: its section was kept as text, or the document has none (for a class of
    a series document: none that applies to it).

    >>> _why("pay", ["ANNUAL SALARY"]), _why("definition or duties", [])
    ("section 'ANNUAL SALARY' kept as text, nothing read from it", 'no duties section')
    >>> _why("minimum qualifications", [], in_series=True)
    'no requirements section, nor a sub-heading of one naming this class'
    """
    section = EXPECTED.get(field_name, (None, None))[0]
    if section is None:
        return "not stated"
    heading_to_section = load_rules().heading_to_section
    kept = next((heading for heading in headings if heading_to_section.get(fold(heading)) == section), None)
    if kept:
        return f"section {kept!r} kept as text, nothing read from it"
    return f"no {section} section, nor a sub-heading of one naming this class" if in_series else f"no {section} section"


def _label(job_class: JobClass, field_name: str) -> str:
    """A class lacking an expected field, as the report lists it: its file (and title, when the file defines
    several classes) and why."""
    name = job_class.sources[0].name if job_class.sources else job_class.label
    in_series = job_class.classification is not None and job_class.classification.series_order is not None
    why = _why(field_name, [section.heading for section in job_class.sections], in_series)
    return f"{name} {job_class.title.value!r} ({why})" if in_series else f"{name} ({why})"


def _items(items: tuple[RequirementItem, ...]) -> list[RequirementItem]:
    return [found for item in items for found in (item, *_items(item.items))]


@dataclass(frozen=True, order=True)
class Unparsed:
    """Text kept as is: a section with no structure, or a requirement nothing was read from."""

    source: str
    line_start: int
    line_end: int
    what: str

    def __str__(self) -> str:
        lines = f"{self.line_start}" if self.line_start == self.line_end else f"{self.line_start}-{self.line_end}"
        return f"{self.source}:{lines}: {self.what}"


@dataclass
class Coverage:
    total: int
    counts: dict[str, int]
    missing: dict[str, list[str]] = field(default_factory=dict)  # expected field -> "file (why)" lacking it
    unparsed: list[Unparsed] = field(default_factory=list)


def coverage_of_classes(classes: Iterable[JobClass]) -> Coverage:
    """Coverage of parsed classes (stubs are not counted)."""
    real = [job_class for job_class in classes if not job_class.stub]
    counts = {name: sum(1 for job_class in real if has(job_class)) for name, (has, _) in FIELDS.items()}
    missing = {name: sorted(_label(job_class, name) for job_class in real if not FIELDS[name][0](job_class)
                            and expected_of(name, job_class.omits)) for name in EXPECTED}
    unparsed: list[Unparsed] = []
    for job_class in real:
        for section in job_class.sections:
            unparsed.append(Unparsed(section.where.source, section.where.line_start, section.where.line_end,
                                     f"section {section.heading!r} kept as text"))
        for path in job_class.requirement_paths:
            for item in _items(path.items):
                if not item.understood and not item.items:
                    unparsed.append(Unparsed(item.where.source, item.where.line_start, item.where.line_end,
                                             f"requirement {item.label or path.number} kept as text: "
                                             f"{item.text[:80]}"))
    return Coverage(len(real), counts, missing, sorted(unparsed))


def coverage_changed(coverage: Coverage, gone: Iterable[JobClass], came: Iterable[JobClass]) -> Coverage:
    """``coverage`` of some classes, with the classes ``gone`` taken out and those that ``came`` put in: what
    ``coverage_of_classes`` gives for the classes after the change (a rebuild changes a few classes of many).

    >>> from rolegraph.model import Provenance, Text
    >>> clerk = JobClass(Text("Clerk", Provenance("a.txt", "00", 1, 1)), ())
    >>> coverage_changed(coverage_of_classes([clerk]), [clerk], []) == coverage_of_classes([])
    True
    """
    removed, added = coverage_of_classes(gone), coverage_of_classes(came)
    counts = {name: count - removed.counts[name] + added.counts[name] for name, count in coverage.counts.items()}
    missing = {name: sorted(_without(coverage.missing.get(name, []), removed.missing[name]) + added.missing[name])
               for name in EXPECTED}
    unparsed = sorted(_without(coverage.unparsed, removed.unparsed) + added.unparsed)
    return Coverage(coverage.total - removed.total + added.total, counts, missing, unparsed)


def _without(items: list[Any], taken: list[Any]) -> list[Any]:
    """``items`` less one of each of ``taken`` (as multisets)."""
    left = Counter(taken)
    kept = []
    for item in items:
        if left[item]:
            left[item] -= 1
        else:
            kept.append(item)
    return kept


def _value(row: Any, name: str) -> str:
    term = row[name]
    return "" if term is None else term.value


def coverage_of_store(store: Store) -> Coverage:
    """The same report read back from a built store."""
    classes = {_value(row, "c"): _value(row, "label") for row in store.query(
        "SELECT ?c (SAMPLE(?name) AS ?label) WHERE { ?c a rg:JobClass ; schema:name ?t . "
        "FILTER NOT EXISTS { ?c rg:stub true } OPTIONAL { ?c prov:wasDerivedFrom/schema:name ?name } } GROUP BY ?c")}
    headings: dict[str, list[str]] = {}
    for row in store.query("SELECT ?c ?h WHERE { ?c a rg:JobClass ; rg:section/rg:heading ?h }"):
        headings.setdefault(_value(row, "c"), []).append(_value(row, "h"))
    omits: dict[str, list[str]] = {}
    for row in store.query("SELECT ?c ?o WHERE { ?c a rg:JobClass ; rg:layoutOmits ?o }"):
        omits.setdefault(_value(row, "c"), []).append(_value(row, "o"))
    counts, missing = {}, {}
    for name, (_, path) in FIELDS.items():
        having = {_value(row, "c") for row in store.query(
            f"SELECT DISTINCT ?c WHERE {{ ?c a rg:JobClass ; {path} ?x . FILTER NOT EXISTS {{ ?c rg:stub true }} }}")}
        counts[name] = len(having & set(classes))
        if name in EXPECTED:
            missing[name] = sorted(f"{classes[iri] or iri} ({_why(name, headings.get(iri, []))})"
                                   for iri in set(classes) - having if expected_of(name, omits.get(iri, ())))
    unparsed = [Unparsed(_value(row, "src"), int(_value(row, "start") or 0), int(_value(row, "end") or 0),
                         _value(row, "what")) for row in store.query("""
        SELECT ?src ?start ?end ?what WHERE {
          { ?c rg:section ?n . ?n rg:heading ?h . BIND(CONCAT("section '", ?h, "' kept as text") AS ?what) }
          UNION
          { ?n a rg:RequirementItem ; rg:understood false ; rdfs:label ?l ; schema:description ?d .
            FILTER NOT EXISTS { ?n rg:subRequirement ?sub }
            BIND(CONCAT("requirement ", ?l, " kept as text: ", SUBSTR(?d, 1, 80)) AS ?what) }
          ?n prov:wasDerivedFrom/schema:name ?src ; rg:lineStart ?start ; rg:lineEnd ?end }""")]
    return Coverage(len(classes), counts, missing, sorted(set(unparsed)))


def format_coverage(coverage: Coverage, limit: int | None = None, only_stated: bool = False) -> str:
    """A plain-text report: one line per field, then the classes lacking an expected field, then unparsed text.

    ``only_stated`` leaves out fields no class yielded: fields of another layout (the build summary of El Paso
    specifications need not list job-bulletin fields such as open dates); ``rolegraph coverage`` shows all.

    >>> print(format_coverage(Coverage(2, {"code": 2, "salary": 1}, {"salary": ["a.txt (no salary section)"]})))
    coverage of 2 job classes
      code    2/2 100.0%
      salary  1/2  50.0%
    salary missing in 1: a.txt (no salary section)
    unparsed (kept as text): 0
    >>> print(format_coverage(Coverage(3, {"code": 0}, {"code": ["a.txt", "b.txt", "c.txt"]}), limit=1))
    coverage of 3 job classes
      code  0/3   0.0%
    code missing in 3: a.txt, ... 2 more
    unparsed (kept as text): 0
    """
    counts = {name: count for name, count in coverage.counts.items() if count or not only_stated}
    width = max((len(name) for name in counts), default=0)
    lines = [f"coverage of {coverage.total} job classes"]
    for name, count in counts.items():
        share = 100 * count / coverage.total if coverage.total else 0.0
        lines.append(f"  {name:<{width}}  {count}/{coverage.total} {share:5.1f}%")
    for name, labels in coverage.missing.items():
        if labels and name in counts:
            listed = labels if limit is None else labels[:limit]
            more = f", ... {len(labels) - len(listed)} more" if len(listed) < len(labels) else ""
            lines.append(f"{name} missing in {len(labels)}: {', '.join(listed)}{more}")
    lines.append(f"unparsed (kept as text): {len(coverage.unparsed)}")
    shown = coverage.unparsed if limit is None else coverage.unparsed[:limit]
    lines.extend(f"  {item}" for item in shown)
    if len(shown) < len(coverage.unparsed):
        lines.append(f"  ... {len(coverage.unparsed) - len(shown)} more (rolegraph coverage lists them all)")
    return "\n".join(lines)
