"""The City of Los Angeles 2019 export template (25 fields) from the store: one row per requirement set/subset.

Conventions as ``kaggle_data_dictionary.csv`` states them: years as numbers (6 months -> 0.5), "|"-joined
majors, subjects and class titles, ``#Q|#S`` course units, P/R driver's licence codes, ``$#####-$#####`` salaries
(``$#####`` for a flat rate), EXAM_TYPE codes, OPEN_DATE as mm/dd/yy. A requirement set is a numbered
requirement; its lettered sub-requirements are subsets A, B, ... (AA, BB after Z); a set with none is subset A.
Reads only through SPARQL, so it works on any store rolegraph built.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from rolegraph.merge import DWP_MARK
from rolegraph.store import Store

__all__ = ["KAGGLE_FIELDS", "kaggle_rows", "write_kaggle_csv", "subset_id"]

KAGGLE_FIELDS = (
    "FILE_NAME", "JOB_CLASS_TITLE", "JOB_CLASS_NO", "REQUIREMENT_SET_ID", "REQUIREMENT_SUBSET_ID", "JOB_DUTIES",
    "EDUCATION_YEARS", "SCHOOL_TYPE", "EDUCATION_MAJOR", "EXPERIENCE_LENGTH", "FULL_TIME_PART_TIME",
    "EXP_JOB_CLASS_TITLE", "EXP_JOB_CLASS_ALT_RESP", "EXP_JOB_CLASS_FUNCTION", "COURSE_COUNT", "COURSE_LENGTH",
    "COURSE_SUBJECT", "MISC_COURSE_DETAILS", "DRIVERS_LICENSE_REQ", "DRIV_LIC_TYPE", "ADDTL_LIC", "EXAM_TYPE",
    "ENTRY_SALARY_GEN", "ENTRY_SALARY_DWP", "OPEN_DATE",
)
LICENSE_CODE = {"required": "R", "possibly required": "P", "some positions": "P"}
# EXP_JOB_CLASS_ALT_RESP: what the alternative to the named class must do ("or in a class at that level which
# provides experience in supervision of clerical personnel").
ALTERNATE_CLASS = re.compile(
    r"\bor\s+in\s+an?\s+(?:class|position)(?:\s+which\s+is)?\s+at\s+(?:least\s+at\s+)?(?:that|the\s+same)\s+level"
    r"(?:\s*,)?\s*(?:(?:which|that)\s+(?:provides?|includes?)\s+(?:experience\s+)?(?:in\s+)?)?(?P<resp>[^.;]+)",
    re.IGNORECASE)


def subset_id(position: int) -> str:
    """A, B, ... Z, then AA, BB, ... (the dictionary's convention).

    >>> [subset_id(n) for n in (1, 2, 26, 27, 28)]
    ['A', 'B', 'Z', 'AA', 'BB']
    """
    letter = chr(ord("A") + (position - 1) % 26)
    return letter * ((position - 1) // 26 + 1)


def _years(months: str | None) -> str:
    """Months as years, as the template writes them.

    >>> _years("24"), _years("6"), _years("18"), _years(None)
    ('2', '0.5', '1.5', '')
    """
    if not months:
        return ""
    years = Decimal(months) / 12
    return f"{float(years):g}"


def _v(row: Any, name: str) -> str | None:
    term = row[name]
    return None if term is None else term.value


def _join(values: Iterable[str]) -> str:
    seen: list[str] = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
    return "|".join(seen)


@dataclass
class _Node:
    """A requirement item or sub-item as read from the store."""

    iri: str
    label: str
    text: str
    position: int
    subs: list[_Node] = field(default_factory=list)
    any_of: bool = False  # sub-items are alternatives (one row each) rather than parts (one row together)


def _parts(store: Store) -> dict[str, dict[str, list[tuple[str, ...]]]]:
    """Per requirement node: experience (months, schedule, field, classes), education, course rows."""
    parts: dict[str, dict[str, list[tuple[str, ...]]]] = defaultdict(lambda: defaultdict(list))
    for row in store.query("""
        SELECT ?n ?e ?m ?schedule ?field (GROUP_CONCAT(DISTINCT ?t; SEPARATOR="|") AS ?classes) WHERE {
          ?n rg:experience ?e . ?e schema:monthsOfExperience ?m .
          OPTIONAL { ?e rg:schedule ?schedule } OPTIONAL { ?e rg:field ?field } OPTIONAL { ?e rg:inClassTitle ?t }
        } GROUP BY ?n ?e ?m ?schedule ?field ORDER BY ?n ?e"""):
        parts[_v(row, "n") or ""]["experience"].append(
            (_v(row, "m") or "", _v(row, "schedule") or "", _v(row, "field") or "", _v(row, "classes") or ""))
    for row in store.query("""
        SELECT ?n ?ed ?type ?years ?text (GROUP_CONCAT(DISTINCT ?major; SEPARATOR="|") AS ?majors) WHERE {
          ?n rg:education ?ed . OPTIONAL { ?ed schema:credentialCategory ?type }
          OPTIONAL { ?ed schema:description ?text }
          OPTIONAL { ?ed rg:educationYears ?years } OPTIONAL { ?ed rg:major ?major }
        } GROUP BY ?n ?ed ?type ?years ?text ORDER BY ?n ?ed"""):
        parts[_v(row, "n") or ""]["education"].append(
            (_v(row, "type") or "", _v(row, "years") or "", _in_text_order(_v(row, "majors"), _v(row, "text"))))
    for row in store.query("""
        SELECT ?n ?co ?count ?semester ?quarter ?text (GROUP_CONCAT(DISTINCT ?subject; SEPARATOR="|") AS ?subjects)
        WHERE { ?n rg:course ?co . ?co schema:description ?text .
          OPTIONAL { ?co rg:courseCount ?count } OPTIONAL { ?co rg:semesterUnits ?semester }
          OPTIONAL { ?co rg:quarterUnits ?quarter } OPTIONAL { ?co rg:subject ?subject }
        } GROUP BY ?n ?co ?count ?semester ?quarter ?text ORDER BY ?n ?co"""):
        parts[_v(row, "n") or ""]["course"].append(
            (_v(row, "count") or "", _v(row, "semester") or "", _v(row, "quarter") or "",
             _in_text_order(_v(row, "subjects"), _v(row, "text")), _v(row, "text") or ""))
    for row in store.query("SELECT ?n ?l ?name WHERE { ?n rg:license ?l . ?l schema:name ?name } ORDER BY ?n ?l"):
        parts[_v(row, "n") or ""]["license"].append((_v(row, "name") or "",))
    return parts


def _in_text_order(joined: str | None, text: str | None) -> str:
    """ "|"-joined values in the order the text names them (GROUP_CONCAT has no order).

    >>> _in_text_order("b|a", "first a, then b")
    'a|b'
    """
    values = [value for value in (joined or "").split("|") if value]
    folded = (text or "").casefold()
    return "|".join(sorted(values, key=lambda value: (folded.find(value.casefold()) % (len(folded) + 1), value)))


def _units(semester: str, quarter: str) -> str:
    """ "#Q|#S" as the dictionary writes course units.

    >>> _units("3", "4"), _units("", "4"), _units("", "")
    ('4Q|3S', '4Q', '')
    """
    return "|".join(part for part in (f"{quarter}Q" if quarter else "", f"{semester}S" if semester else "") if part)


def _alternate_responsibility(text: str) -> str:
    """What a class at the named class's level must do to count instead of it.

    >>> _alternate_responsibility("Two years as a Principal Clerk or in a position at that level which provides "
    ...                           "experience in supervision of clerical personnel.")
    'supervision of clerical personnel'
    >>> _alternate_responsibility("Two years as a Senior Clerk.")
    ''
    """
    match = ALTERNATE_CLASS.search(text)
    return match.group("resp").strip(" ,;:") if match else ""


def _names_a_class(text: str, classes: str) -> bool:
    """True when a field of experience only says which class it is in ("as a Senior Clerk with the City")."""
    return any(title and title.casefold() in text.casefold() for title in classes.split("|"))


def _requirement_fields(nodes: list[_Node], parts: dict[str, dict[str, list[tuple[str, ...]]]]) -> dict[str, str]:
    """The requirement columns of one row, from an item and (when the row is a subset) its sub-item."""
    experience = [found for node in nodes for found in parts.get(node.iri, {}).get("experience", [])]
    education = [found for node in nodes for found in parts.get(node.iri, {}).get("education", [])]
    courses = [found for node in nodes for found in parts.get(node.iri, {}).get("course", [])]
    months = experience[0][0] if experience else None
    function = nodes[-1].text if len(nodes) == 2 and not parts.get(nodes[-1].iri) else ""
    structured = next((index for index, (count, semester, quarter, _, _) in enumerate(courses)
                       if count or semester or quarter), None)
    misc = [text for index, (*_, text) in enumerate(courses) if index != structured]
    return {
        "EDUCATION_YEARS": next((_years(str(Decimal(years) * 12)) for _, years, _ in education if years), ""),
        "SCHOOL_TYPE": _join(school for school, _, _ in education),
        "EDUCATION_MAJOR": _join(major.upper() for _, _, majors in education for major in majors.split("|")),
        "EXPERIENCE_LENGTH": _years(months),
        "FULL_TIME_PART_TIME": next((schedule for _, schedule, _, _ in experience if schedule), ""),
        "EXP_JOB_CLASS_TITLE": _join(title.upper() for _, _, _, classes in experience
                                     for title in classes.split("|")),
        "EXP_JOB_CLASS_ALT_RESP": _alternate_responsibility(nodes[0].text) if experience else "",
        "EXP_JOB_CLASS_FUNCTION": function or next((found for _, _, found, classes in experience
                                                    if found and not _names_a_class(found, classes)), ""),
        "COURSE_COUNT": courses[structured][0] if structured is not None else "",
        "COURSE_LENGTH": _units(*courses[structured][1:3]) if structured is not None else "",
        "COURSE_SUBJECT": _join(subject.upper() for subject in courses[structured][3].split("|"))
        if structured is not None else "",
        "MISC_COURSE_DETAILS": " ".join(misc),
        "ADDTL_LIC": _join(name for node in nodes for (name,) in parts.get(node.iri, {}).get("license", [])
                           if "driver" not in name.casefold()),
    }


def kaggle_rows(store: Store) -> list[dict[str, str]]:
    """Every specified class in ``store`` as template rows, sorted by file name then set and subset."""
    classes: dict[str, dict[str, str]] = {}
    for row in store.query("""
        SELECT ?c ?title ?code ?open ?exam WHERE { ?c a rg:JobClass ; schema:name ?title .
          FILTER NOT EXISTS { ?c rg:stub true }
          OPTIONAL { ?c schema:identifier ?code } OPTIONAL { ?c rg:openDate ?open }
          OPTIONAL { ?c rg:examType ?exam } }"""):
        opened = _kaggle_date(_v(row, "open") or "")
        classes.setdefault(_v(row, "c") or "", {"JOB_CLASS_TITLE": _v(row, "title") or "",
                                                "JOB_CLASS_NO": _v(row, "code") or "", "OPEN_DATE": opened,
                                                "EXAM_TYPE": _v(row, "exam") or ""})
    files: dict[str, list[str]] = defaultdict(list)
    for row in store.query("SELECT ?c ?name WHERE { ?c a rg:JobClass ; prov:wasDerivedFrom ?d . "
                           "?d a rg:SourceDocument ; schema:name ?name } ORDER BY ?name"):
        files[_v(row, "c") or ""].append(_v(row, "name") or "")
    duties: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for row in store.query("SELECT ?c ?p ?text WHERE { ?c rg:duty ?d . ?d rg:position ?p ; "
                           "schema:description ?text }"):
        duties[_v(row, "c") or ""].append((int(_v(row, "p") or 0), _v(row, "text") or ""))
    salaries: dict[str, list[tuple[int, str, bool]]] = defaultdict(list)
    for row in store.query("SELECT ?c ?p ?label ?dwp WHERE { ?c schema:estimatedSalary ?s . ?s rg:position ?p ; "
                           "rdfs:label ?label . OPTIONAL { ?s rg:dwp ?dwp } }"):
        salaries[_v(row, "c") or ""].append((int(_v(row, "p") or 0), _v(row, "label") or "",
                                             _v(row, "dwp") == "true"))
    licenses: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in store.query("SELECT ?c ?name ?req WHERE { ?c schema:qualifications ?l . ?l schema:name ?name . "
                           "OPTIONAL { ?l rg:requirement ?req } }"):
        licenses[_v(row, "c") or ""].append((_v(row, "name") or "", _v(row, "req") or ""))
    items: dict[str, dict[tuple[int, int], _Node]] = defaultdict(dict)
    for row in store.query("""
        SELECT ?c ?pn ?i ?ipos ?ilabel ?itext ?conj ?s ?spos ?slabel ?stext WHERE {
          ?c rg:requirementPath ?path . ?path rg:pathNumber ?pn ; rg:item ?i . ?i rg:position ?ipos .
          OPTIONAL { ?i rdfs:label ?ilabel } OPTIONAL { ?i schema:description ?itext }
          OPTIONAL { ?i rg:conjunction ?conj }
          OPTIONAL { ?i rg:subRequirement ?s . ?s rg:position ?spos . OPTIONAL { ?s rdfs:label ?slabel }
                     OPTIONAL { ?s schema:description ?stext } } }"""):
        key = (int(_v(row, "pn") or 0), int(_v(row, "ipos") or 0))
        node = items[_v(row, "c") or ""].setdefault(key, _Node(_v(row, "i") or "", _v(row, "ilabel") or "",
                                                               _v(row, "itext") or "", key[1],
                                                               any_of=_v(row, "conj") == "or"))
        if _v(row, "s") and all(sub.iri != _v(row, "s") for sub in node.subs):
            node.subs.append(_Node(_v(row, "s") or "", _v(row, "slabel") or "", _v(row, "stext") or "",
                                   int(_v(row, "spos") or 0)))
    parts = _parts(store)
    per_file = _values_per_file(store)

    rows: list[dict[str, str]] = []
    for iri, values in classes.items():
        names = files.get(iri, [])
        pay = sorted(salaries.get(iri, []))
        general = next((label for _, label, dwp in pay if not dwp), "")
        dwp = next((label for _, label, dwp in pay if dwp), "")
        drivers = [(name, required) for name, required in licenses.get(iri, []) if "driver" in name.casefold()]
        common = dict(values,
                      JOB_DUTIES=" ".join(text for _, text in sorted(duties.get(iri, []))),
                      DRIVERS_LICENSE_REQ=next((LICENSE_CODE.get(required, "R") for _, required in drivers), ""),
                      DRIV_LIC_TYPE=_join(name.split("class ")[1].rstrip(")").replace("/", "|")
                                          for name, _ in drivers if "class " in name),
                      ADDTL_LIC=_join(name for name, _ in licenses.get(iri, []) if "driver" not in name.casefold()),
                      ENTRY_SALARY_GEN=general, ENTRY_SALARY_DWP=dwp)
        ordered = [items[iri][key] for key in sorted(items.get(iri, {}))]
        texts = [name for name in names if not name.casefold().endswith(".pdf")] or names[:1] or [""]
        for file_name in texts:  # a class read from several bulletins: the rows of each bulletin file
            own = per_file.get((iri, file_name), {})  # where that bulletin's open date or pay differ
            rows.extend(_class_rows(dict(common, FILE_NAME=file_name, **own), ordered, parts))
    rows.sort(key=lambda row: (row["FILE_NAME"], int(row["REQUIREMENT_SET_ID"]), len(row["REQUIREMENT_SUBSET_ID"]),
                               row["REQUIREMENT_SUBSET_ID"]))
    return rows


def _kaggle_date(iso: str) -> str:
    """The template's MM/DD/YY form of an ISO date (other text as it is).

    >>> _kaggle_date("2018-08-31"), _kaggle_date("pending")
    ('08/31/18', 'pending')
    """
    return f"{iso[5:7]}/{iso[8:10]}/{iso[2:4]}" if len(iso) == 10 and iso[4] == "-" else iso


def _values_per_file(store: Store) -> dict[tuple[str, str], dict[str, str]]:
    """(class, file) -> template fields read from that file, where two bulletins of one class disagree.

    A class built from two editions of its bulletin keeps the values of one and records the other's as
    conflicts (with the file they come from); each file's rows show what that file says.
    """
    found: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for row in store.query("""
        SELECT ?c ?field ?value ?file WHERE { ?c rg:conflict ?k . ?k rg:field ?field ; rg:conflictingValue ?v .
          ?v rg:value ?value ; prov:wasDerivedFrom ?d . ?d schema:name ?file }"""):
        field, value = _v(row, "field"), _v(row, "value") or ""
        values = found[(_v(row, "c") or "", _v(row, "file") or "")]
        if field == "open_date":
            values["OPEN_DATE"] = _kaggle_date(value)
        elif field == "exam_type":
            values["EXAM_TYPE"] = value
        elif field == "salaries":
            ranges = value.split("; ")
            values["ENTRY_SALARY_GEN"] = next((pay for pay in ranges if not pay.endswith(DWP_MARK)), "")
            values["ENTRY_SALARY_DWP"] = next((pay.removesuffix(DWP_MARK).strip() for pay in ranges
                                               if pay.endswith(DWP_MARK)), "")
    return found


def _class_rows(common: dict[str, str], ordered: list[_Node],
                parts: dict[str, dict[str, list[tuple[str, ...]]]]) -> list[dict[str, str]]:
    """One row per requirement set, or per subset when a set's sub-requirements are alternatives."""
    rows: list[dict[str, str]] = []
    if not ordered:
        return [{name: common.get(name, "") for name in KAGGLE_FIELDS} | {
            "REQUIREMENT_SET_ID": "1", "REQUIREMENT_SUBSET_ID": "A"}]
    for set_number, node in enumerate(ordered, start=1):
        subs = sorted(node.subs, key=lambda sub: sub.position)
        rows_of = [[node, sub] for sub in subs] if node.any_of and subs else [[node, *subs]]
        for position, nodes in enumerate(rows_of, start=1):
            fields = _requirement_fields(nodes, parts)
            fields["ADDTL_LIC"] = fields["ADDTL_LIC"] or common.get("ADDTL_LIC", "")
            row = dict(common, REQUIREMENT_SET_ID=node.label if node.label.isdigit() else str(set_number),
                       REQUIREMENT_SUBSET_ID=subset_id(position), **fields)
            rows.append({name: row.get(name, "") for name in KAGGLE_FIELDS})
    return rows


def write_kaggle_csv(rows: Iterable[dict[str, str]], stream: IO[str]) -> None:
    """Write the template's header and rows as CSV (every field quoted where needed)."""
    writer = csv.DictWriter(stream, fieldnames=KAGGLE_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
