"""Merge: renderings of one specification -> one JobClass with every source; named classes -> stubs. Pure.

Two parsed documents are one class when code and title agree where both have them, otherwise when
their titles and duties are near-identical text (rapidfuzz). Where they disagree, both values are kept
as a :class:`~rolegraph.model.Conflict`; nothing is silently overwritten.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import fields, replace
from typing import Any, TypeVar

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from rolegraph.model import (
    ClassReference,
    Conflict,
    ExperienceRequirement,
    JobClass,
    Jurisdiction,
    License,
    MergeEvidence,
    SalaryRange,
    Text,
)
from rolegraph.parser.tables import fold

__all__ = ["DWP_MARK", "TITLE_THRESHOLD", "DUTIES_THRESHOLD", "match_evidence", "merge_classes", "add_named_classes",
           "jurisdiction_key", "resolve_experience_classes", "former_titles", "close_titles"]

TITLE_THRESHOLD = 90.0  # rapidfuzz ratio (0-100) for "the same title"
# A level at the end of a title ("Senior Clerk II"): a name that matches no class as written is tried without it,
# for employers whose levels are positions within one class.
TRAILING_LEVEL = re.compile(r"\s+(?:[IVX]{1,4}|[1-9])$")
LEVEL_WORD = re.compile(r"^[ivx]{1,4}$", re.IGNORECASE)  # a roman level, as a word of a folded title
Key = TypeVar("Key")


def close_titles(wanted: str, titles: Mapping[Key, str], limit: int | None = 1) -> list[tuple[Key, float]]:
    """The keys of ``titles`` (folded) that are ``wanted`` (folded) written a little differently, best first:
    rapidfuzz ratio >= TITLE_THRESHOLD, and word for word the same title bar small slips in a word (a typo, a
    plural). A word more or less, or another word, is another class ("Port Police Sergeant" is not "Airport Police
    Sergeant"), and so is another level or number ("Analyst I" is not "Analyst II").

    >>> close_titles("senior adminstrative clerk", {1: "senior administrative clerk", 2: "senior clerk"})
    [(1, 98.1)]
    >>> close_titles("port police sergeant", {1: "airport police sergeant"})
    []
    >>> close_titles("management analyst i", {1: "management analyst ii"})
    []
    """
    found = []
    for _, score, key in process.extract(wanted, titles, scorer=fuzz.ratio, score_cutoff=TITLE_THRESHOLD,
                                         limit=None):
        if _slips_only(wanted, titles[key]):
            found.append((key, round(score, 1)))
    return found if limit is None else found[:limit]


def _slips_only(first: str, second: str) -> bool:
    """Whether two folded titles differ only by small slips within words of the same place."""
    words, others = first.split(), second.split()
    if len(words) != len(others):
        return False
    for word, other in zip(words, others, strict=True):
        if word == other:
            continue
        if LEVEL_WORD.match(word) or LEVEL_WORD.match(other) or any(character.isdigit() for character in word + other):
            return False  # a level or number written differently is another class
        if Levenshtein.distance(word, other) > max(1, min(len(word), len(other)) // 5):
            return False
    return True
# A parenthesized qualifier ending a title, naming a variant or range of a class ("Office Assistant (Typing)",
# "Office Assistant (Range B)"); a range alone.
QUALIFIER = re.compile(r"\s*\([^()]*\)$")
RANGE_QUALIFIER = re.compile(r"\s*\(Range\s+[A-Z]\)$", re.IGNORECASE)
# "<current title> (formerly [known as|titled] <former titles>[; ...])", in requirement text.
FORMERLY = re.compile(r"(?P<current>(?:[A-Z][\w'/-]*\s+(?:(?:and|of|&)\s+)?){0,8}[A-Z][\w'/-]*(?:\s+[IVX]{1,4})?)\s+"
                      r"\(formerly\s+(?:known\s+as\s+|titled\s+)?(?:the\s+)?(?P<former>[A-Z][^;()]*?)\s*[;)]")
DUTIES_THRESHOLD = 85.0  # token-set ratio of all duty text for "the same duties"


def jurisdiction_key(jurisdiction: Jurisdiction | None) -> tuple[str, str]:
    """(state, name) folded, empty where unknown."""
    if jurisdiction is None:
        return "", ""
    return fold(jurisdiction.state or ""), fold(jurisdiction.name or "")


def _duties_text(job_class: JobClass) -> str:
    return " ".join(duty.description + " " + " ".join(task.description for task in duty.tasks)
                    for duty in job_class.duties)


def _compatible(first: Jurisdiction | None, second: Jurisdiction | None) -> bool:
    """Jurisdictions agree where both state them."""
    return _keys_compatible(jurisdiction_key(first), jurisdiction_key(second))


def _keys_compatible(first: tuple[str, str], second: tuple[str, str]) -> bool:
    (state_a, name_a), (state_b, name_b) = first, second
    same_state = not state_a or not state_b or state_a == state_b
    return same_state and (not name_a or not name_b or name_a == name_b)


def match_evidence(first: JobClass, second: JobClass) -> MergeEvidence | None:
    """Return why two parsed classes are one, or None when they are not.

    Code and title decide where both have a code; otherwise titles and duties must both be near-identical.
    """
    if not _compatible(first.jurisdiction, second.jurisdiction):
        return None
    title_score = fuzz.ratio(fold(first.title.value), fold(second.title.value))
    sources = tuple(source.name for source in first.sources + second.sources)
    if first.code and second.code:
        if fold(first.code.value) == fold(second.code.value) and title_score >= TITLE_THRESHOLD:
            return MergeEvidence("code-and-title", round(title_score, 1), None, sources)
        return None
    if title_score < TITLE_THRESHOLD:
        return None
    duties_a, duties_b = _duties_text(first), _duties_text(second)
    if not duties_a or not duties_b:
        return None
    duties_score = fuzz.token_set_ratio(fold(duties_a), fold(duties_b))
    if duties_score < DUTIES_THRESHOLD:
        return None
    return MergeEvidence("text-similarity", round(title_score, 1), round(duties_score, 1), sources)


def _richness(job_class: JobClass) -> int:
    """How many fields a class states: the richer rendering leads a merge."""
    return sum(1 for item in fields(job_class) if getattr(job_class, item.name) not in (None, (), ""))


def _comparable(value: Any) -> Any:
    """A form of a field value in which two renderings of the same fact compare equal."""
    if isinstance(value, Text):
        return fold(value.value.replace("\u2019", "'"))
    if isinstance(value, tuple):
        return tuple(_comparable(item) for item in value)
    if hasattr(value, "__dataclass_fields__"):
        return tuple(_comparable(getattr(value, item.name)) for item in fields(value)
                     if item.name not in {"where", "evidence"})
    if isinstance(value, str):
        return fold(value.replace("\u2019", "'"))
    return value


def _as_text(value: Any, fallback: JobClass) -> Text:
    """A conflicting value as Text with where it came from (a run of values: joined, at the first's line)."""
    if isinstance(value, Text):
        return value
    if isinstance(value, tuple) and value:
        first = _as_text(value[0], fallback)
        return Text("; ".join(_as_text(item, fallback).value for item in value), first.where)
    if isinstance(value, SalaryRange):
        return Text(value.label + (f" {DWP_MARK}" if value.dwp else ""), value.where)
    if isinstance(value, License):
        return Text(f"{value.name}: {value.required}", value.where)
    where = getattr(value, "where", None) or getattr(getattr(value, "evidence", None), "where", None)
    return Text(str(value), where or fallback.title.where)


# Fields compared between renderings; a difference is a conflict.
COMPARED_FIELDS = ("title", "code", "jurisdiction", "pay_grade", "ordinance", "summary")
DWP_MARK = "(DWP)"  # after a conflicting salary range of the Department of Water and Power
# Bulletin fields compared between renderings (a PDF and a text copy of one bulletin).
COMPARED_BULLETIN_FIELDS = ("open_date", "exam_type", "salaries", "drivers_license")
# Fields whose identity is their content; not compared (sources, evidence and derived bookkeeping).
BOOKKEEPING_FIELDS = {"sources", "conflicts", "merge_evidence", "stub", "named_in", "class_references"}


def _is_empty(value: Any) -> bool:
    """None, an empty tuple or string, or a dataclass whose fields are all empty (Classification())."""
    if value is None or value == () or value == "":
        return True
    if hasattr(value, "__dataclass_fields__") and not isinstance(value, Text):
        return all(_is_empty(getattr(value, item.name)) for item in fields(value))
    return False


def _merged_fields(lead: Any, other: Any, compared: tuple[str, ...], conflicts: list[Conflict],
                   lead_class: JobClass, other_class: JobClass) -> dict[str, Any]:
    """The fields of ``other`` that fill what ``lead`` lacks; differing ``compared`` fields become conflicts."""
    changes: dict[str, Any] = {}
    for item in fields(lead):
        if item.name in BOOKKEEPING_FIELDS:
            continue
        mine, theirs = getattr(lead, item.name), getattr(other, item.name)
        if _is_empty(theirs):
            continue
        if _is_empty(mine):
            changes[item.name] = theirs
        elif item.name in compared and _comparable(mine) != _comparable(theirs):
            conflicts.append(Conflict(item.name, (_as_text(mine, lead_class), _as_text(theirs, other_class))))
    return changes


def _merge_pair(lead: JobClass, other: JobClass, evidence: MergeEvidence) -> JobClass:
    """Lead's values win; other's fill what lead lacks; differing values become conflicts.

    Two bulletins are merged field by field too: open date, exam type, salaries and driver's licence are
    compared, and what one rendering lacks is taken from the other.
    """
    conflicts = list(lead.conflicts) + list(other.conflicts)
    changes = _merged_fields(lead, other, COMPARED_FIELDS, conflicts, lead, other)
    if lead.bulletin is not None and other.bulletin is not None:
        bulletin_changes = _merged_fields(lead.bulletin, other.bulletin, COMPARED_BULLETIN_FIELDS, conflicts,
                                          lead, other)
        changes["bulletin"] = replace(lead.bulletin, **bulletin_changes)
    return replace(lead, **changes, sources=lead.sources + other.sources, conflicts=tuple(conflicts),
                   merge_evidence=lead.merge_evidence + other.merge_evidence + (evidence,))


def _blocking_keys(job_class: JobClass) -> list[tuple[str, str]]:
    """Keys under which two renderings of one class meet: the code, and the folded title."""
    keys = [("title", fold(job_class.title.value))]
    if job_class.code:
        keys.append(("code", fold(job_class.code.value)))
    return keys


def merge_classes(parsed: Iterable[JobClass]) -> list[JobClass]:
    """Group renderings of the same class and merge each group, in input order of first appearance.

    Candidates come from an index on code and folded title, plus a fuzzy title search for classes that
    state no code, so merging stays near-linear in the number of classes. The index keeps each key's classes
    by jurisdiction: one common title across thousands of employers made looking through them quadratic
    (48M compatibility checks at 100k generated classes).

    >>> merge_classes([])
    []
    """
    merged: list[JobClass] = []
    places: list[tuple[str, str]] = []  # jurisdiction_key of each merged class, worked out once
    index: dict[tuple[str, str], dict[tuple[str, str], list[int]]] = {}  # key -> jurisdiction key -> positions
    keys_of: list[set[tuple[str, str]]] = []  # the keys each merged class is indexed under
    titles: dict[int, str] = {}
    for job_class in parsed:
        place = jurisdiction_key(job_class.jurisdiction)
        candidates = {position for key in _blocking_keys(job_class)
                      for position in _compatible_positions(index.get(key), place)}
        if job_class.code is None and titles:
            candidates.update(position for position, _ in close_titles(fold(job_class.title.value), titles, None)
                              if _keys_compatible(places[position], place))
        for position in sorted(candidates):
            existing = merged[position]
            evidence = match_evidence(existing, job_class)
            if evidence is not None:
                lead, other = ((existing, job_class) if _richness(existing) >= _richness(job_class)
                               else (job_class, existing))
                merged[position] = _merge_pair(lead, other, evidence)
                before, places[position] = places[position], jurisdiction_key(merged[position].jurisdiction)
                if places[position] != before:  # indexed under its new jurisdiction from now on
                    for key in keys_of[position]:
                        index[key][before].remove(position)
                        index[key].setdefault(places[position], []).append(position)
                break
        else:
            position = len(merged)
            merged.append(job_class)
            places.append(place)
            keys_of.append(set())
            titles[position] = fold(job_class.title.value)
        for key in _blocking_keys(merged[position]):
            if key not in keys_of[position]:
                keys_of[position].add(key)
                index.setdefault(key, {}).setdefault(places[position], []).append(position)
    return merged


def _compatible_positions(by_place: dict[tuple[str, str], list[int]] | None,
                          place: tuple[str, str]) -> Iterator[int]:
    """The positions in ``by_place`` (jurisdiction key -> positions) whose jurisdiction is compatible with
    ``place``: for a place stating state and name, four exact look-ups; otherwise every place is checked."""
    if not by_place:
        return
    state, name = place
    if state and name:
        for wanted in ((state, name), (state, ""), ("", name), ("", "")):
            yield from by_place.get(wanted, ())
        return
    for other, positions in by_place.items():
        if _keys_compatible(other, place):
            yield from positions


def add_named_classes(classes: list[JobClass]) -> list[JobClass]:
    """Add a stub class for every job-family member named in a spec but specified by none.

    The stub takes the naming class's jurisdiction and records where it was named. Titles are looked up
    per jurisdiction, exactly first and then fuzzily, so the cost grows with the classes of one employer,
    not of all.
    """
    result = list(classes)
    by_place: dict[tuple[str, str], dict[int, str]] = {}
    exact: dict[tuple[tuple[str, str], str], int] = {}
    for position, job_class in enumerate(result):
        place, title = jurisdiction_key(job_class.jurisdiction), fold(job_class.title.value)
        by_place.setdefault(place, {})[position] = title
        exact.setdefault((place, title), position)
    for job_class in classes:
        place = jurisdiction_key(job_class.jurisdiction)
        titles = by_place.setdefault(place, {})
        for member in job_class.job_family:
            wanted = fold(member.value)
            found = exact.get((place, wanted))
            if found is None and titles:
                best = close_titles(wanted, titles)
                found = best[0][0] if best else None
            if found is not None:
                if result[found].stub:
                    result[found] = replace(result[found], named_in=result[found].named_in + (member,))
                continue
            titles[len(result)] = wanted
            exact[(place, wanted)] = len(result)
            result.append(JobClass(title=member, sources=(), jurisdiction=job_class.jurisdiction, stub=True,
                                   named_in=(member,)))
    return resolve_experience_classes(result)


def _experience_names(requirements: Iterable[ExperienceRequirement]) -> Iterator[tuple[str, ExperienceRequirement]]:
    for requirement in requirements:
        for name in requirement.in_classes:
            yield name, requirement
        yield from _experience_names(requirement.included)


def _texts(job_class: JobClass) -> Iterator[str]:
    """The requirement text of a class: its experience descriptions, requirement items and requirement notes."""
    stack = list(job_class.experience)
    while stack:
        requirement = stack.pop()
        yield requirement.description
        stack.extend(requirement.included)
    items = [item for path in job_class.requirement_paths for item in path.items]
    while items:
        item = items.pop()
        yield item.text
        items.extend(item.items)
    if job_class.bulletin is not None:
        yield from (note.value for note in job_class.bulletin.requirement_notes)


def former_titles(classes: Iterable[JobClass]) -> dict[tuple[tuple[str, str], str], str]:
    """(place, folded former title) -> folded current title, from "X (formerly Y)" written in any class's
    requirements ("Senior Administrative Clerk (formerly Senior Clerk)", "(formerly known as ...)", "(formerly
    titled ...)"; several former titles joined by "or"). Only a current title some class of that place has counts.

    >>> from rolegraph.model import Provenance
    >>> where = Provenance("a.txt", "0", 1, 1)
    >>> text = "in a class at the level of Senior Administrative Clerk (formerly Senior Clerk)"
    >>> clerk = JobClass(Text("Senior Administrative Clerk", where), ())
    >>> chief = JobClass(Text("Chief Clerk", where), (), experience=(ExperienceRequirement(24, "", text, where),))
    >>> former_titles([clerk, chief])
    {(('', ''), 'senior clerk'): 'senior administrative clerk'}
    """
    classes = list(classes)
    known = {(jurisdiction_key(c.jurisdiction), fold(c.title.value)) for c in classes if not c.stub}
    found: dict[tuple[tuple[str, str], str], str] = {}
    for job_class in classes:
        place = jurisdiction_key(job_class.jurisdiction)
        for text in _texts(job_class):
            if "formerly" not in text:
                continue
            for match in FORMERLY.finditer(text):
                words = match.group("current").split()
                current = next((fold(" ".join(words[start:])) for start in range(len(words))
                                if (place, fold(" ".join(words[start:]))) in known), None)
                if current is None:
                    continue
                for old in re.split(r"\s+or\s+|\s*,\s*", match.group("former")):
                    if old.strip() and (place, fold(old)) not in known:
                        found.setdefault((place, fold(old)), current)
    return found


def _written(name: str, text: str) -> bool:
    """Whether the text writes the name's head word capitalized, as a title is written ("as a Senior Clerk"),
    rather than composing the name from lower-case words ("a senior inspector in ... disciplines: Building")."""
    words = QUALIFIER.sub("", name).split()
    return not words or re.search(rf"\b{re.escape(words[-1])}\b", text) is not None


def _pay_level(job_class: JobClass) -> int | None:
    """The lowest annual salary a class starts at (its employer's published ranges), if any."""
    if job_class.bulletin is None or not job_class.bulletin.salaries:
        return None
    salaries = [s for s in job_class.bulletin.salaries if not s.dwp] or list(job_class.bulletin.salaries)
    return int(min(salary.low for salary in salaries))


def _at_level_of(name: str, text: str) -> bool:
    """Whether the text names the class as a level ("in a class at the level of Senior Clerk", "in a position at
    the level of ..."): every class at that class's pay then qualifies too."""
    return re.search(rf"\blevel\s+of\s+(?:an?\s+|the\s+)?{re.escape(name)}\b", text, re.IGNORECASE) is not None


def resolve_experience_classes(classes: list[JobClass]) -> list[JobClass]:
    """Resolve the classes experience must be gained in (``in_classes``) to classes of the same jurisdiction.

    A name resolves, in this order, by code or exact title ("code", "title"); without its range ("Office
    Assistant (Range B)" -> Office Assistant, "title"); without a trailing level; to every class of that title
    with a parenthesized qualifier ("Senior Environmental Scientist" -> its (Specialist) and (Supervisory) classes,
    "variant"); by a former title written anywhere ("Senior Clerk" -> Senior Administrative Clerk,
    "former-title"); or to the closest title (rapidfuzz ratio >= TITLE_THRESHOLD, "fuzzy-title"). Otherwise a
    stub class is added for it when the requirement writes it as a title; a name composed from lower-case words
    ("senior inspector ... disciplines: Plumbing") that no class has is left unresolved. A class named as a level
    ("in a class at the level of Senior Clerk") brings every class of the employer at its pay level (its lowest
    published salary; "same-pay-level"), or itself alone when no pay is known. Each class records its
    :class:`ClassReference` list (one per class a name resolved to).

    >>> from decimal import Decimal
    >>> from rolegraph.model import Provenance
    >>> where = Provenance("a.txt", "0", 1, 1)
    >>> clerk = JobClass(Text("Principal Clerk", where), (), experience=(
    ...     ExperienceRequirement(Decimal(24), "", "as a Senior Clerk", where, in_classes=("Senior Clerk",)),))
    >>> [(c.title.value, c.stub) for c in resolve_experience_classes([clerk])]
    [('Principal Clerk', False), ('Senior Clerk', True)]
    """
    result = list(classes)
    titles: dict[tuple[str, str], dict[int, str]] = {}
    keys: dict[tuple[tuple[str, str], str], int] = {}  # (place, folded code or title) -> position
    variants: dict[tuple[tuple[str, str], str], list[int]] = {}  # (place, folded title less its qualifier)
    for position, job_class in enumerate(result):
        place = jurisdiction_key(job_class.jurisdiction)
        titles.setdefault(place, {})[position] = fold(job_class.title.value)
        keys.setdefault((place, fold(job_class.title.value)), position)
        if job_class.code:
            keys.setdefault((place, fold(job_class.code.value)), position)
        if (base := QUALIFIER.sub("", job_class.title.value)) != job_class.title.value and not job_class.stub:
            variants.setdefault((place, fold(base)), []).append(position)
    former = former_titles(classes)
    at_pay: dict[tuple[tuple[str, str], int], list[int]] = {}  # (place, lowest salary) -> positions
    for position, job_class in enumerate(result):
        if (pay := _pay_level(job_class)) is not None:
            at_pay.setdefault((jurisdiction_key(job_class.jurisdiction), pay), []).append(position)

    def lookup(place: tuple[str, str], name: str) -> tuple[list[int], str, float]:
        wanted = fold(name)
        found = keys.get((place, wanted))
        if found is not None:
            code = result[found].code
            return [found], "code" if code and fold(code.value) == wanted else "title", 100.0
        for bare in (RANGE_QUALIFIER.sub("", name), TRAILING_LEVEL.sub("", RANGE_QUALIFIER.sub("", name))):
            if bare != name and (found := keys.get((place, fold(bare)))) is not None:
                return [found], "title", 100.0
        for bare in dict.fromkeys((RANGE_QUALIFIER.sub("", name), name)):
            if (place, fold(bare)) in variants:
                return list(variants[(place, fold(bare))]), "variant", 100.0
            if (current := former.get((place, fold(bare)))) is not None and (place, current) in keys:
                return [keys[(place, current)]], "former-title", 100.0
        for bare in dict.fromkeys((name, TRAILING_LEVEL.sub("", RANGE_QUALIFIER.sub("", name)))):
            if titles.get(place):
                best = close_titles(fold(bare), titles[place])
                if best:
                    return [best[0][0]], "fuzzy-title", best[0][1]
        return [], "stub", 100.0

    for index in range(len(classes)):
        job_class = result[index]
        place = jurisdiction_key(job_class.jurisdiction)
        references: dict[str, list[ClassReference]] = {}
        for name, requirement in _experience_names(job_class.experience):
            wanted = fold(name)
            if wanted in references:
                continue
            found, method, score = lookup(place, name)
            named = Text(name, requirement.where)
            if not found and not _written(name, requirement.description):
                references[wanted] = []
                continue
            if not found:
                found, method = [len(result)], "stub"
                result.append(JobClass(title=named, sources=(), jurisdiction=job_class.jurisdiction, stub=True,
                                       named_in=(named,)))
                titles.setdefault(place, {})[found[0]] = wanted
                keys[(place, wanted)] = found[0]
            elif result[found[0]].stub:
                method = "stub"
                result[found[0]] = replace(result[found[0]], named_in=result[found[0]].named_in + (named,))
            peers: list[int] = []
            if len(found) == 1 and _at_level_of(name, requirement.description):
                pay = _pay_level(result[found[0]])
                peers = [position for position in at_pay.get((place, pay), []) if position != found[0]
                         and position != index] if pay is not None else []
            references[wanted] = [ClassReference(name, result[position].title.value,
                                                 result[position].code.value if result[position].code else None,
                                                 method if position in found else "same-pay-level", score)
                                  for position in found + peers]
        if any(references.values()):
            result[index] = replace(job_class, class_references=tuple(
                reference for found in references.values() for reference in found))
    return result
