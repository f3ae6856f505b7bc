"""RDF of what job bulletins add: salaries, exam facts and notes, requirement paths, resolved feeder classes.

Called by :mod:`rolegraph.rdf.emit` for each class graph. Vocabulary (ontology/rolegraph.ttl):

- ``schema:estimatedSalary`` -> ``schema:MonetaryAmountDistribution`` (``schema:currency`` an ISO 4217 code,
  ``schema:duration`` the pay period (``PERIOD_DURATION``: "P1Y", "P1M", "P14D", "P7D", "PT1H"),
  ``schema:minValue``/``schema:maxValue`` per period as printed, ``rg:flatRated``, ``rg:department``, ``rg:dwp``);
- ``rg:requirementPath`` -> ``rg:RequirementPath`` (``rg:pathNumber``, ``rg:item`` -> ``rg:RequirementItem``
  with ``rdfs:label``, ``schema:description``, ``rg:conjunction``, ``rg:subRequirement``, ``rg:experience``,
  ``rg:education``, ``rg:course``, ``rg:license``, ``rg:understood``); paths of one class combine with "or";
- experience nodes get ``rg:schedule`` and, for each class named (``rg:inClassTitle``), ``rg:inClass`` -> the class
  it resolved to, with a ``rg:classReference`` node recording the method and score.

Which classes accept 2 years as a Senior Clerk::

    SELECT ?class WHERE { ?class rg:requirementPath/rg:item/rg:subRequirement*/rg:experience ?e .
                          ?e rg:inClassTitle "Senior Clerk" ; schema:monthsOfExperience ?m . FILTER(?m <= 24) }
"""

from __future__ import annotations

from typing import Any

from pyoxigraph import Literal, NamedNode

from rolegraph.model import (
    ClassReference,
    EducationRequirement,
    ExperienceRequirement,
    JobClass,
    RequirementItem,
)
from rolegraph.parser.tables import fold
from rolegraph.rdf.namespaces import RDF, RDFS, RG, SCHEMA, XSD
from rolegraph.rdf.terms import TRUE, number

__all__ = ["emit_bulletin", "experience_nodes", "PERIOD_DURATION"]

# A salary's pay period (model.SalaryRange.period) -> its schema:duration. Weeks as days: ISO 8601's "P2W" is no
# valid xsd:duration (a store compares it with nothing).
PERIOD_DURATION = {"year": "P1Y", "month": "P1M", "fortnight": "P14D", "week": "P7D", "hour": "PT1H"}


def experience_nodes(job_class: JobClass, base: str) -> dict[ExperienceRequirement, str]:
    """The IRI emit.py gives each experience requirement (and included part), by requirement."""
    nodes: dict[ExperienceRequirement, str] = {}

    def visit(requirement: ExperienceRequirement, iri: str) -> None:
        nodes.setdefault(requirement, iri)
        for index, part in enumerate(requirement.included, start=1):
            visit(part, f"{iri}/part/{index}")

    for index, requirement in enumerate(job_class.experience, start=1):
        visit(requirement, f"{base}/experience/{index}")
    return nodes


def _emit_feeders(job_class: JobClass, out: Any, nodes: dict[ExperienceRequirement, str],
                  titles: dict[tuple[tuple[str, str], str], NamedNode], place: tuple[str, str]) -> None:
    references: dict[str, list[ClassReference]] = {}
    for ref in job_class.class_references:  # a name may resolve to several classes (the variants of a title)
        references.setdefault(fold(ref.name), []).append(ref)
    for requirement, iri in nodes.items():
        node = NamedNode(iri)
        if requirement.schedule:
            out.text(node, RG.schedule, requirement.schedule)
        for index, name in enumerate(requirement.in_classes, start=1):
            for other, reference in enumerate(references.get(fold(name)) or [None]):
                target = titles.get((place, fold(reference.target_title if reference else name)))
                if target is None:
                    continue
                out.add(node, RG.inClass, target)
                if reference is None:
                    continue
                ref_node = out.child(node, RG.classReference, f"class-reference/{index}"
                                     + (f"-{other + 1}" if other else ""), RG.ClassReference)
                out.text(ref_node, SCHEMA.name, name)
                out.add(ref_node, RG.resolvedTo, target)
                out.text(ref_node, RG.matchMethod, reference.method)
                out.add(ref_node, RG.matchScore, Literal(str(reference.score), datatype=XSD.decimal))


def _education(out: Any, node: NamedNode, education: EducationRequirement) -> None:
    out.add(node, RDF.type, SCHEMA.EducationalOccupationalCredential)
    out.text(node, SCHEMA.description, education.text)
    out.text(node, SCHEMA.credentialCategory, education.school_type)
    if education.years is not None:
        out.add(node, RG.educationYears, number(education.years))
    for major in education.majors:
        out.text(node, RG.major, major)
    out.where(node, education.where)


def _item(out: Any, node: NamedNode, item: RequirementItem, nodes: dict[ExperienceRequirement, str]) -> None:
    out.add(node, RDF.type, RG.RequirementItem)
    out.text(node, RDFS.label, item.label)
    out.text(node, SCHEMA.description, item.text)
    out.add(node, RG.understood, Literal("true" if item.understood else "false", datatype=XSD.boolean))
    out.where(node, item.where)
    for requirement in item.experience:
        if requirement in nodes:
            out.add(node, RG.experience, NamedNode(nodes[requirement]))
    for index, education in enumerate(item.education, start=1):
        _education(out, out.child(node, RG.education, f"education/{index}"), education)
    for index, course in enumerate(item.courses, start=1):
        course_node = out.child(node, RG.course, f"course/{index}", RG.CourseRequirement)
        out.text(course_node, SCHEMA.description, course.text)
        for predicate, value in ((RG.courseCount, course.count), (RG.semesterUnits, course.semester_units),
                                 (RG.quarterUnits, course.quarter_units)):
            if value is not None:
                out.add(course_node, predicate, number(value))
        for subject in course.subjects:
            out.text(course_node, RG.subject, subject)
        out.where(course_node, course.where)
    for index, license_ in enumerate(item.licenses, start=1):
        out.license(out.child(node, RG.license, f"license/{index}", RG.License), license_)
    if item.items:
        out.text(node, RG.conjunction, item.conjunction)
    for index, sub in enumerate(item.items, start=1):
        sub_node = out.child(node, RG.subRequirement, str(sub.label or index))
        out.add(sub_node, RG.position, number(index))
        _item(out, sub_node, sub, nodes)


def emit_bulletin(job_class: JobClass, subject: NamedNode, out: Any,
                  titles: dict[tuple[tuple[str, str], str], NamedNode], place: tuple[str, str]) -> None:
    """Add the bulletin facts, requirement paths and feeder links of one class to its graph writer ``out``."""
    base = subject.value
    nodes = experience_nodes(job_class, base)
    _emit_feeders(job_class, out, nodes, titles, place)
    for path in job_class.requirement_paths:
        path_node = out.child(subject, RG.requirementPath, f"path/{path.number}", RG.RequirementPath)
        out.add(path_node, RG.pathNumber, number(path.number))
        out.where(path_node, path.where)
        for index, item in enumerate(path.items, start=1):
            item_node = out.child(path_node, RG.item, f"item/{index}")
            out.add(item_node, RG.position, number(index))
            _item(out, item_node, item, nodes)
    bulletin = job_class.bulletin
    if bulletin is None:
        return
    for name, predicate, text in (("open-date", RG.openDate, bulletin.open_date),
                                  ("revised-date", RG.revisedDate, bulletin.revised_date)):
        if text is not None:
            value = text.value
            literal = Literal(value, datatype=XSD.date) if len(value) == 10 and value[4] == "-" else Literal(value)
            out.fact(subject, name, predicate, literal, text.where)
    for name, predicate, text in (("exam-type", RG.examType, bulletin.exam_type),
                                  ("where-to-apply", RG.whereToApply, bulletin.where_to_apply),
                                  ("deadline", RG.applicationDeadline, bulletin.deadline)):
        if text is not None:
            out.fact(subject, name, predicate, text.value, text.where)
    for index, salary in enumerate(bulletin.salaries, start=1):
        node = out.child(subject, SCHEMA.estimatedSalary, f"salary/{index}", SCHEMA.MonetaryAmountDistribution)
        out.text(node, SCHEMA.currency, salary.currency)
        out.add(node, SCHEMA.duration, Literal(PERIOD_DURATION[salary.period], datatype=XSD.duration))
        out.add(node, SCHEMA.minValue, number(salary.low))
        out.add(node, SCHEMA.maxValue, number(salary.high if salary.high is not None else salary.low))
        out.add(node, RG.position, number(index))
        out.text(node, RDFS.label, salary.label)
        if salary.high is None:
            out.add(node, RG.flatRated, TRUE)
        if salary.department:
            out.text(node, RG.department, salary.department)
        if salary.dwp:
            out.add(node, RG.dwp, TRUE)
        out.where(node, salary.where)
    out.facts(subject, "salary-note", RG.salaryNote, bulletin.salary_notes)
    out.facts(subject, "requirement-note", RG.requirementNote, bulletin.requirement_notes)
    out.facts(subject, "process-note", RG.processNote, bulletin.process_notes)
    out.facts(subject, "selection", RG.selectionProcess, bulletin.selection)
    out.facts(subject, "special-note", RG.specialNote, bulletin.special_notes)
    for index, weight in enumerate(bulletin.exam_weights, start=1):
        node = out.child(subject, RG.examWeight, f"exam-weight/{index}", RG.ExamWeight)
        out.text(node, SCHEMA.name, weight.part)
        out.text(node, RG.weight, weight.weight)
        out.add(node, RG.position, number(index))
        out.where(node, weight.where)
