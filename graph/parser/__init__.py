"""Parser: SourceDocument -> JobClasses, driven by the rule tables in parser/rules/. No rdflib, no file I/O.

``parse_document`` runs its stages in order (``STAGES``): find the classes the document defines (a titles table,
series.toml), segment it into header and sections (headings.toml) and recognise its layout (layouts.toml), scope
each section to the classes its sub-headings name, then read each class's fields (``parse_spec``: whole-line
facts such as codes and grades from lines.toml, then each section with the phrase patterns of phrases.toml and
the rule families its layout turns on).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, lru_cache, partial

from rolegraph.errors import NotASpecification, SourceError
from rolegraph.locate import relocate
from rolegraph.model import (
    Bulletin,
    Classification,
    Conflict,
    ExperienceRequirement,
    JobClass,
    Jurisdiction,
    Ksa,
    License,
    Line,
    Ordinance,
    PayGrade,
    Provenance,
    RequirementPath,
    Section,
    SourceDocument,
    SourceDocumentRef,
    Supervision,
    Text,
)
from rolegraph.parser.bulletin import read_bulletin
from rolegraph.parser.fields import (
    dollar_currency,
    parse_duties,
    parse_education,
    parse_experience,
    parse_ksas,
    parse_license,
    parse_substitution,
    read_salary,
    sentences,
    title_case,
)
from rolegraph.parser.labels import is_label_line, read_label_facts
from rolegraph.parser.layouts import Layout, detect_layout, load_layout_rules
from rolegraph.parser.passage import Passage, Span, provenance
from rolegraph.parser.requirements import (
    experience_in_classes,
    flatten_experience,
    noted_experience,
    parse_pattern_paths,
    parse_requirement_paths,
    parse_stated_path,
    states_requirement,
)
from rolegraph.parser.sections import RawSection, SplitDocument, heading_of, split_sections
from rolegraph.parser.series import (
    ListedClass,
    find_listed_classes,
    scope_heading,
    scope_lines,
    split_title,
    table_cells,
)
from rolegraph.parser.tables import AnyRule, Rules, collapse, load_label_rules, load_rules
from rolegraph.readers.blocks import blocks_by_line

__all__ = ["parse_document", "parse_spec", "LineFacts", "STAGES"]

# Sections whose text states minimum qualifications (education, experience, substitutions).
QUALIFICATION_SECTIONS = ("requirements", "training_experience", "education", "experience", "licenses")
# Notes after the requirements that may say which classes meet an experience requirement.
NOTE_SECTIONS = ("process_notes", "special_notes", "miscellaneous")
# Sections kept as text for a reader, with their heading.
TEXT_SECTIONS = ("position_factors", "series_definition", "distinguishing_characteristics",
                 "desirable_qualifications", "class_history",
                 "other", "complexity", "impact", "contacts_internal", "contacts_external", "miscellaneous",
                 "signatures", "ignore", "notice", "selective_certification", "qualifications_review",
                 "expert_review", "additional_information", "conditions_of_employment")
# Sections a header's label pairs may sit in, before the first section of another name.
LABEL_SECTIONS = ("other", "ignore", "salary")
DRIVERS_LICENSE = re.compile(r"driver['\u2019]?s['\u2019]?\s+licen[cs]e", re.IGNORECASE)
MONTH_YEAR_FORMATS = ("%B %Y", "%b %Y", "%m/%Y")
DATE_FORMATS = ("%m/%d/%Y", "%m/%d/%y", "%B %d, %Y")
BULLETIN_DATE_FORMATS = ("%m-%d-%y", "%m/%d/%y", "%m-%d-%Y", "%m/%d/%Y")


@dataclass
class LineFacts:
    """Values found by the whole-line rules: field -> (value, where)."""

    values: dict[str, tuple[str, Provenance]]
    consumed: set[int]

    def text(self, field: str) -> Text | None:
        found = self.values.get(field)
        return Text(found[0], found[1]) if found else None

    def get(self, field: str) -> str | None:
        found = self.values.get(field)
        return found[0] if found else None


def _read_line_facts(document: SourceDocument, header: list[Line], rules: Rules,
                     title_heading: Text | None = None, label_lines: Sequence[Line] = (),
                     column: int | None = None) -> LineFacts:
    """Apply the whole-line rules; fallbacks (region = "header") only fill what is still missing. A document's top
    heading (``title_heading``, from a structured reader) is its title unless a rule found one before the fallbacks.

    Between the two, the label pairs of ``label_lines`` (labels.toml) fill the fields still empty; ``column`` is
    the class's place among a series' classes, for a row with a value per class. Lines of several pairs and table
    rows of labels are the labels' alone: they are read first, and no line rule reads them.
    """
    facts = LineFacts({}, set())
    label_rules = load_label_rules()
    paired = [line for line in label_lines if line.text.strip() and is_label_line(line.text, label_rules)]
    read = _fill_label_facts(document, paired, facts, column)
    for fallback in (False, True):
        if fallback:
            _fill_label_facts(document, [line for line in label_lines if line.number not in read], facts, column)
        if fallback and title_heading is not None and "title" not in facts.values:
            facts.values["title"] = (title_heading.value, title_heading.where)
            facts.consumed.add(title_heading.where.line_start)
        candidate = rules.memo(f"line rule (header fallback {fallback})",
                               partial(_line_rule_text, some_rule=rules.line_rules_any[fallback]))
        lines = header if fallback else document.lines
        for index, line in enumerate(lines):
            text = candidate(line.text)
            if not text or line.number in facts.consumed or line.number in read:
                continue
            for rule in rules.line_rules:
                if (rule.region == "header") != fallback:
                    continue
                match = rule.pattern.match(text)
                if match is None:
                    continue
                fields = {key: " ".join(value.split()) for key, value in match.groupdict().items() if value}
                if fallback and any(key in facts.values for key in fields):
                    continue
                last = line.number
                if rule.continued_by is not None:
                    last = _continue_fields(fields, lines, index, rule.continued_by, facts.consumed)
                where = provenance(document.name, document.sha256, line.number, last)
                for key, value in fields.items():
                    facts.values.setdefault(key, (value, where))
                facts.consumed.update(range(line.number, last + 1))
                break
    return facts


def _fill_label_facts(document: SourceDocument, lines: Sequence[Line], facts: LineFacts,
                      column: int | None) -> set[int]:
    """Fill the fields still empty from the label pairs of ``lines``; return the lines read. A line goes from the
    header text only when the model keeps every fact on it (a position number or FLSA status stays there)."""
    kept: dict[int, bool] = {}
    for fact in read_label_facts([line for line in lines if line.number not in facts.consumed],
                                 load_label_rules(), column):
        where = provenance(document.name, document.sha256, fact.first, fact.last)
        for key, value in fact.fields.items():
            facts.values.setdefault(key, (value, where))
        for number in range(fact.first, fact.last + 1):
            kept[number] = kept.get(number, True) and fact.modelled
    facts.consumed.update(number for number, modelled in kept.items() if modelled)
    return set(kept)


def _not_a_specification(text: str, rules: Rules) -> str | None:
    """The reason of the first not_a_specification rule matching the line (white space collapsed), else None."""
    folded = collapse(text)
    return next((reason for rule, reason in rules.not_a_specification if rule.pattern.search(folded)), None)


def _line_rule_text(text: str, some_rule: AnyRule) -> str:
    """The line's text with white space collapsed when ``some_rule`` matches it (a line rule may), else ""."""
    text = collapse(text)
    return text if text and some_rule.match(text) else ""


def _names_a_jurisdiction(text: str, rules: Rules) -> bool:
    """Whether a jurisdiction rule matches somewhere in ``text`` (each rule only where its required words are)."""
    return any(rule.could_match(text) and rule.pattern.search(text) is not None for rule in rules.jurisdiction_rules)


def _continue_fields(fields: dict[str, str], lines: list[Line] | tuple[Line, ...], index: int,
                     continued_by: re.Pattern[str], consumed: set[int]) -> int:
    """Extend ``fields`` with the lines right after ``lines[index]`` that continue them; return the last line.

    >>> import re
    >>> fields = {"title": "BUILDING CONSTRUCTION AND MAINTENANCE"}
    >>> lines = [Line(1, "BUILDING CONSTRUCTION AND MAINTENANCE"), Line(2, "SUPERINTENDENT"), Line(3, "Code: 1")]
    >>> _continue_fields(fields, lines, 0, re.compile("(?P<title>[A-Z]+)$"), set()), fields["title"]
    (2, 'BUILDING CONSTRUCTION AND MAINTENANCE SUPERINTENDENT')
    """
    last = lines[index].number
    for line in lines[index + 1:]:
        match = continued_by.match(" ".join(line.text.split()))
        if line.number != last + 1 or line.number in consumed or match is None:
            break
        for key, value in match.groupdict().items():
            if value and key in fields:
                fields[key] = f"{fields[key]} {' '.join(value.split())}"
        last = line.number
    return last


@lru_cache(maxsize=4096)  # bulletins share their dates
def _iso_date(text: str | None, formats: tuple[str, ...], output: str) -> str | None:
    """Parse a date as written into ISO form; None when no format fits.

    >>> _iso_date("02/22/2000", DATE_FORMATS, "%Y-%m-%d")
    '2000-02-22'
    >>> _iso_date("July 2000", MONTH_YEAR_FORMATS, "%Y-%m")
    '2000-07'
    """
    if not text:
        return None
    for form in formats:
        try:
            return datetime.strptime(text.strip(), form).strftime(output)
        except ValueError:
            continue
    return None


def _jurisdiction(document: SourceDocument, facts: LineFacts, rules: Rules) -> Jurisdiction | None:
    """The stated jurisdiction, else the state the text supports (recorded as inferred, with evidence)."""
    stated = facts.text("jurisdiction")
    states = {state.casefold(): state for state in rules.states}
    if stated is not None:
        name = title_case(stated.value)
        state_word = facts.get("state")
        if state_word and state_word.casefold() in states:
            return Jurisdiction(name, states[state_word.casefold()], False, stated, "stated")
        state = rules.gazetteer.get(name)
        evidence = f"gazetteer: {name} is in {state}" if state else "no state stated or known"
        return Jurisdiction(name, state, False, stated, evidence)
    employer = facts.text("employer")
    if employer is not None:  # an organisation's name heading the document: the employer, inferred from it
        name = title_case(employer.value) if employer.value.isupper() else employer.value
        state = rules.gazetteer.get(name)
        return Jurisdiction(name, state, True, employer,
                            f"inferred from the employer named at the head of the document (\u201c{employer.value}"
                            f"\u201d)" + (f"; gazetteer: {name} is in {state}" if state else ""))
    named = rules.memo("names a jurisdiction", partial(_names_a_jurisdiction, rules=rules))
    candidates = [line for line in document.lines if named(line.text)]  # lines no rule matches are skipped
    for rule in rules.jurisdiction_rules:
        for line in candidates:
            match = rule.pattern.search(line.text)
            if match:
                where = provenance(document.name, document.sha256, line.number, line.number)
                name = " ".join(match.group("jurisdiction").split())
                state = rules.gazetteer.get(name)
                evidence = (f"named in the text ({rule.name}); gazetteer: {name} is in {state}" if state
                            else f"named in the text ({rule.name}); no state stated or known")
                return Jurisdiction(name, state, False, Text(match.group(0), where), evidence)
    some_state = rules.any_state_rule
    for line in document.lines:
        if not some_state.search(line.text):
            continue
        for rule in rules.state_rules:
            match = rule.pattern.search(line.text)
            if match:
                where = provenance(document.name, document.sha256, line.number, line.number)
                state = states[match.group("state").casefold()]
                quote = " ".join(line.text.split())
                # a rule whose field is "employer" says the state itself employs: a jurisdiction of its own
                name = rules.employer_names.get(state, f"State of {state}") if rule.field == "employer" else None
                return Jurisdiction(name, state, True, Text(quote, where),
                                    f"inferred ({rule.name}) from \u201c{match.group(0)}\u201d")
    return None


def _combined_paths(found: Sequence[tuple[RequirementPath, ...]], document: SourceDocument
                    ) -> tuple[RequirementPath, ...]:
    """The class's requirement paths from those of each qualification passage, numbered 1, 2, ... so that no two
    share a number (a path's number names its node). Passages that each state one requirement (one path: no
    alternatives) state one requirement together: one path holding their items, in order.

    >>> from pathlib import Path
    >>> from rolegraph.model import RequirementItem
    >>> doc = SourceDocument(Path("a.txt"), "0", "text/plain", ())
    >>> def path(line): return RequirementPath(1, (RequirementItem("", "x", provenance("a.txt", "0", line, line)),),
    ...                                        provenance("a.txt", "0", line, line))
    >>> [(p.number, len(p.items), str(p.where)) for p in _combined_paths([(path(4),), (path(6),)], doc)]
    [(1, 2, 'a.txt:4-6')]
    >>> [(p.number, str(p.where)) for p in _combined_paths([(path(4), path(5)), (path(6),)], doc)]
    [(1, 'a.txt:4'), (2, 'a.txt:5'), (3, 'a.txt:6')]
    """
    stated = [paths for paths in found if paths]
    if not stated:
        return ()
    if len(stated) == 1:
        return stated[0]
    if all(len(paths) == 1 for paths in stated):
        wheres = [paths[0].where for paths in stated]
        where = provenance(document.name, document.sha256, min(where.line_start for where in wheres),
                           max(where.line_end for where in wheres))
        return (RequirementPath(1, tuple(item for paths in stated for item in paths[0].items), where),)
    every = [path for paths in stated for path in paths]
    return tuple(path if path.number == number else RequirementPath(number, path.items, path.where)
                 for number, path in enumerate(every, start=1))


def _label_lines(split: SplitDocument) -> list[Line]:
    """Where label pairs are read: the header, and the sections before the first of known content that are of no
    known meaning (a form's "Position Identification") or open with a label ("Salary: $52,000 - $68,000")."""
    lines = list(split.header)
    for section in split.sections:
        if section.name not in LABEL_SECTIONS:
            break
        lines.extend(section.lines)
    return lines


def _passage(section: RawSection, document: SourceDocument, consumed: set[int]) -> Passage:
    lines = [line for line in section.lines if line.number not in consumed]
    return Passage(lines, document.name, document.sha256)


def _lines_of(text: Text, document: SourceDocument) -> Passage:
    """The passage of ``document`` a text was read from (its lines, by provenance)."""
    start, end = text.where.line_start, text.where.line_end
    return Passage([line for line in document.lines if start <= line.number <= end], document.name, document.sha256)


def _paragraph_texts(passage: Passage) -> tuple[Text, ...]:
    return tuple(Text(span.text, span.where) for span in passage.paragraph_spans())


def _refuse_non_specification(document: SourceDocument, rules: Rules) -> None:
    refusal = rules.memo("not a specification", partial(_not_a_specification, rules=rules))
    for line in document.lines:
        if (reason := refusal(line.text)) is not None:
            raise NotASpecification(document.path, f"not a job specification: {reason} (line {line.number})")


def heading_levels(document: SourceDocument) -> dict[int, int | None]:
    """Line number -> heading level of the lines a structured reader gives as headings (none for plain text)."""
    # lines rendered from the blocks (HTML, DOCX, PDF: locators), or a text file's own lines that its blocks name
    # by number (Markdown)
    rendered = bool(document.locators)
    if not document.blocks:
        return {}
    by_line = blocks_by_line(document.blocks, [line.number for line in document.lines], rendered)
    return {number: block.level for number, block in by_line.items() if block.kind == "heading"}


def _title_heading(document: SourceDocument, header: list[Line], levels: dict[int, int | None]) -> Text | None:
    """The document's top heading in the header (the page title, level 0, only when there is no other)."""
    candidates = [(level if level else (99 if level is None else 100), line.number, line)
                  for line in header if (level := levels.get(line.number, -1)) != -1 and collapse(line.text)]
    if not candidates:
        return None
    _, number, line = min(candidates)
    return Text(collapse(line.text), provenance(document.name, document.sha256, number, number))


@dataclass
class _Reading:
    """What the stages of :func:`parse_document` have found so far."""

    document: SourceDocument
    rules: Rules
    levels: dict[int, int | None] = field(default_factory=dict)
    not_headings: set[int] = field(default_factory=set)
    listed: tuple[ListedClass, ...] = ()
    split: SplitDocument | None = None
    layout: Layout | None = None
    views: tuple[SourceDocument, ...] = ()
    own_lines: tuple[frozenset[int], ...] = ()  # per view: the lines scoped to its class and not to every class
    classes: tuple[JobClass, ...] = ()


def find_classes(reading: _Reading) -> None:
    """The classes a titles table lists (none: the document defines one class), and the sub-headings that name
    them or open a requirement pattern: those scope what follows, they open no section."""
    reading.levels = heading_levels(reading.document)
    reading.listed = find_listed_classes(reading.document.lines)
    marker = load_layout_rules().marker
    titles = [entry.title for entry in reading.listed]
    content = [line for line in reading.document.lines if line.text.strip()]
    rows = {entry.line.number for entry in reading.listed}
    for line, after in zip(content, [*content[1:], None], strict=True):
        if line.number not in reading.levels:
            continue
        text = collapse(line.text)
        match = marker.match(text)
        caption = after is not None and table_cells(after.text) is not None and (
            after.number in rows or heading_of(text, reading.rules) is None)  # a known heading opens its section
        if (match is not None and match.end() == len(text)) or caption:
            reading.not_headings.add(line.number)  # a pattern's opening; a table's caption
        elif titles and after is not None and after.number in reading.levels and split_title(
                line.text, after.text, titles, alone=scope_heading(line.text, titles, heading=True)) is not None:
            reading.not_headings.update((line.number, after.number))  # a title set over two heading lines
        elif titles and scope_heading(line.text, titles, heading=True) is not None:
            reading.not_headings.add(line.number)


def segment_sections(reading: _Reading) -> None:
    """Header and sections, and the layout they make."""
    reading.split = split_sections(reading.document, reading.rules, reading.levels, reading.not_headings)
    marker = load_layout_rules().marker
    patterns = any(marker.search(line.text) for section in reading.split.sections
                   if section.name in QUALIFICATION_SECTIONS for line in section.lines)
    reading.layout = detect_layout({section.name for section in reading.split.sections}, bool(reading.listed),
                                   patterns, lines=(line.text for line in reading.split.header))


def scope_sections(reading: _Reading) -> None:
    """One view of the document per class: the header, and of each section the lines that apply to the class."""
    assert reading.split is not None and reading.layout is not None
    if "class_table" not in reading.layout.families or not reading.listed:
        reading.views = (reading.document,)
        return
    document, titles = reading.document, [entry.title for entry in reading.listed]
    rows = {entry.line.number for entry in reading.listed}
    header = [line for line in reading.split.header if line.number not in rows]
    parts: list[list[Line]] = [list(header) for _ in titles]
    owned: list[set[int]] = [set() for _ in titles]
    carried: Line | None = None  # a class heading ranked above the section headings after it scopes them too
    for section in reading.split.sections:
        lines = [line for line in section.lines if line.number not in rows]
        within = reading.levels.get(section.heading_line)
        if carried is not None and not (within is not None and within > (reading.levels.get(carried.number) or 0)):
            carried = None
        scoped, headings = scope_lines([carried, *lines] if carried else lines, titles,
                                       lambda line: line.number in reading.levels)
        ranked = [line for line in lines if line.number in headings and reading.levels.get(line.number)]
        carried = ranked[-1] if ranked else carried
        shared = set.intersection(*({line.number for line in lines} for lines in scoped))
        for own, lines, numbers in zip(parts, scoped, owned, strict=True):
            own.append(Line(section.heading_line, section.heading))
            own.extend(lines)
            numbers.update(line.number for line in lines if line.number not in shared and line.text.strip())
    reading.own_lines = tuple(frozenset(numbers) for numbers in owned)
    reading.views = tuple(SourceDocument(document.path, document.sha256, document.media_type, tuple(lines),
                                         document.blocks, document.locators) for lines in parts)


def read_fields(reading: _Reading) -> None:
    """Each view's class, read with the rule families of the layout."""
    assert reading.layout is not None
    if len(reading.views) == 1 and reading.views[0] is reading.document:
        # the document's own sections and heading levels, as segment_sections found them: not worked out again
        classes = (parse_spec(reading.document, reading.rules, layout=reading.layout,
                              not_headings=reading.not_headings, levels=reading.levels, split=reading.split),)
    else:  # a view keeps the document's line numbers, so its heading levels are the document's
        classes = tuple(parse_spec(view, reading.rules, listed=entry, layout=reading.layout, order=order,
                                   not_headings=reading.not_headings, levels=reading.levels, own_lines=own)
                        for order, (view, entry, own) in enumerate(zip(reading.views, reading.listed, reading.own_lines,
                                                                       strict=True), start=1))
    reading.classes = tuple(relocate(job_class, reading.document) for job_class in classes)


STAGES = (find_classes, segment_sections, scope_sections, read_fields)


def parse_document(document: SourceDocument, rules: Rules | None = None) -> tuple[JobClass, ...]:
    """Return the job classes a document defines (one, or each of a series), running ``STAGES`` in order.

    Raises:
        NotASpecification: a rule recognises the document as something else (an exempt-position notice).
        SourceError: the document has no job title, so it is not a job specification.
    """
    reading = _Reading(document, rules or load_rules())
    _refuse_non_specification(document, reading.rules)
    for stage in STAGES:
        stage(reading)
    return reading.classes


def parse_spec(document: SourceDocument, rules: Rules | None = None, listed: ListedClass | None = None,
               layout: Layout | None = None, order: int | None = None, not_headings: Collection[int] = (),
               levels: dict[int, int | None] | None = None, split: SplitDocument | None = None,
               own_lines: Collection[int] = ()) -> JobClass:
    """Return the job class a specification describes.

    ``listed`` is the class's row of a titles table when the document defines several (its title and code
    win over the lines'); ``order`` its place in the series; ``layout`` the document's, when known; ``levels`` and
    ``split`` its heading levels and sections, when already worked out for it; ``own_lines`` the lines of a series
    document scoped to this class alone or to some of its classes (not to all).

    Raises:
        SourceError: the document has no job title, so it is not a job specification.
    """
    rules = rules or load_rules()
    if layout is None:
        _refuse_non_specification(document, rules)
    levels = heading_levels(document) if levels is None else levels
    split = split_sections(document, rules, levels, not_headings) if split is None else split
    if layout is None:
        layout = detect_layout({section.name for section in split.sections}, False, False,
                               lines=(line.text for line in split.header))
    facts = _read_line_facts(document, split.header, rules, _title_heading(document, split.header, levels),
                             _label_lines(split), None if order is None else order - 1)
    title = facts.text("title")
    if listed is not None:
        title = Text(listed.title, provenance(document.name, document.sha256, listed.line.number,
                                              listed.line.number))
    if title is None:
        raise SourceError(document.path, "no job title found; this does not look like a job specification")
    title = Text(title_case(title.value) if title.value.isupper() else title.value, title.where)

    by_name: dict[str, list[Passage]] = {}
    for section in split.sections:
        by_name.setdefault(section.name, []).append(_passage(section, document, facts.consumed))

    def passages(*names: str) -> list[Passage]:
        return [passage for name in names for passage in by_name.get(name, []) if passage]

    qualification = passages(*QUALIFICATION_SECTIONS)
    education = [text for passage in qualification for text in parse_education(passage, rules)]
    families = layout.families
    bulletin_rules = rules.bulletin if "bulletin" in families else None
    paths: tuple[RequirementPath, ...] = ()
    requirement_notes: tuple[Text, ...] = ()
    found: list[tuple[RequirementPath, ...]] = []  # the paths of each qualification passage
    if "requirement_patterns" in families:
        marker = load_layout_rules().marker
        for passage in passages(*QUALIFICATION_SECTIONS):
            section_paths, notes = parse_pattern_paths(passage, rules, marker, layout.levels_within_class)
            found, requirement_notes = [*found, section_paths], requirement_notes + notes
        paths = _combined_paths(found, document)
    for passage in passages("requirements") if "requirement_items" in families and not paths else ():
        section_paths, notes = parse_requirement_paths(passage, rules, layout.levels_within_class)
        found, requirement_notes = [*found, section_paths], requirement_notes + notes
        paths = _combined_paths(found, document)
    # a bulletin's requirement paths say what experience it asks for; else the qualification sections do
    experience: tuple[ExperienceRequirement, ...] = flatten_experience(paths) if paths else tuple(
        requirement for passage in qualification for requirement in (
            experience_in_classes(passage, rules, layout.levels_within_class) if "requirement_patterns" in families
            else parse_experience(passage, rules)))
    if "requirement_text" in families and not (paths or experience or education):
        found = []
        for passage in passages("requirements", "training_experience"):  # read as items: nothing else was read
            if states_requirement(passage, rules):
                section_paths, notes = parse_requirement_paths(passage, rules, layout.levels_within_class)
                found, requirement_notes = [*found, section_paths], requirement_notes + notes
        paths = _combined_paths(found, document)
        experience = flatten_experience(paths)
    if not paths:  # a requirement stated without alternatives is one path, in every layout
        paths = parse_stated_path(qualification, experience, rules)
    # a note naming the classes that meet an experience requirement names feeders, not a path
    # and so does a requirement section's paragraph outside its paths ("... may be substituted for the above
    # experience")
    noted = passages(*NOTE_SECTIONS) + [_lines_of(note, document) for note in requirement_notes]
    experience += noted_experience(noted, experience, rules, layout.levels_within_class)
    ksa_passages = passages("ksa")
    ksa_skip: list[Span] = []
    for passage in ksa_passages:
        found = parse_education(passage, rules)
        education.extend(found)
        ksa_skip.extend(sentence for sentence in sentences(passage)
                        if any(text.value in sentence.text for text in found))
    ksas: list[Ksa] = [ksa for passage in ksa_passages for ksa in parse_ksas(passage, rules, tuple(ksa_skip))]
    substitution = next((found for passage in qualification
                         if (found := parse_substitution(passage, rules)) is not None), None)

    licenses: list[License] = []
    for passage in passages("licenses"):
        licenses.extend(found for sentence in sentences(passage)
                        if (found := parse_license(sentence, rules)) is not None)
    for passage in passages("requirements", "training_experience"):
        # a bulletin reads its licences with its requirement items; elsewhere any licence a requirement names
        licenses.extend(found for sentence in sentences(passage)
                        if bulletin_rules is None or DRIVERS_LICENSE.search(sentence.text)
                        if (found := parse_license(sentence, rules)) is not None)

    # a series class's own definition wins over the series-wide one
    summary = next((Text(p.span().text, p.where()) for p in sorted(
        passages("summary"), key=lambda p: not any(line.number in own_lines for line in p.lines))), None)
    if summary is None and "level_distinctions" in families:  # the class's own passage of its level distinctions
        summary = next((Text(own.span().text, own.where())
                        for p in passages("distinguishing_characteristics", "series_definition")
                        if (own := Passage([line for line in p.lines if line.number in own_lines],
                                           document.name, document.sha256))), None)
    duties = tuple(duty for passage in passages("duties") for duty in parse_duties(passage, rules))
    job_family = tuple(Text(line.text.strip(), provenance(document.name, document.sha256, line.number,
                                                          line.number))
                       for passage in passages("job_family") for line in passage.lines)
    direct = next((Text(p.span().text, p.where()) for p in passages("supervision_direct")), None)
    indirect = next((Text(p.span().text, p.where()) for p in passages("supervision_indirect")), None)

    kept_sections = [Section(section.heading, passage.span().text, passage.where())
                     for section in split.sections if section.name in TEXT_SECTIONS
                     if (passage := _passage(section, document, facts.consumed))]
    if not (paths or experience or education or licenses) and bulletin_rules is None:
        # nothing read from the minimum qualifications: kept as text, so nothing is silently dropped
        kept_sections.extend(Section(section.heading, passage.span().text, passage.where())
                             for section in split.sections if section.name in QUALIFICATION_SECTIONS
                             if (passage := _passage(section, document, facts.consumed)))
    leftover = [line for line in split.header if line.number not in facts.consumed and line.text.strip()]
    if leftover:
        passage = Passage(leftover, document.name, document.sha256)
        kept_sections.insert(0, Section("header", passage.text, passage.where()))

    ordinance = None
    if facts.get("ordinance_number"):
        number, where = facts.values["ordinance_number"]
        ordinance = Ordinance(number, _iso_date(facts.get("ordinance_date"), DATE_FORMATS, "%Y-%m-%d"), where)
    effective = facts.text("effective_date")
    if effective is not None:
        effective = Text(_iso_date(effective.value, MONTH_YEAR_FORMATS, "%Y-%m")
                         or _iso_date(effective.value, DATE_FORMATS, "%Y-%m-%d") or effective.value,
                         effective.where)
    code = facts.text("code")
    if listed is not None:
        code = Text(listed.code, title.where) if listed.code else None
    conflicts: list[Conflict] = []
    in_name = None if listed is not None else next(
        (match for rule in rules.file_name_rules if (match := rule.pattern.search(document.name))), None)
    if in_name is not None:
        named = Text(in_name.group("code"), provenance(document.name, document.sha256, 0, 0))
        if code is None:
            code = named
        elif code.value != named.value:
            conflicts.append(Conflict("code", (code, named)))
    jurisdiction = _jurisdiction(document, facts, rules)
    dollar = cache(partial(dollar_currency, jurisdiction, (line.text for line in document.lines)))  # "$" alone
    bulletin = None
    if bulletin_rules is not None:
        values = {key: Text(_iso_date(value.value, BULLETIN_DATE_FORMATS, "%Y-%m-%d") or value.value, value.where)
                  for key in ("open_date", "revised_date") if (value := facts.text(key)) is not None}
        if (note := facts.text("exam_note")) is not None:
            values["exam_note"] = note
        whole = Passage(document.lines, document.name, document.sha256)
        bulletin = read_bulletin(by_name, whole, values, requirement_notes, bulletin_rules, dollar)
        if (note := facts.text("posting_note")) is not None:
            kept_sections.append(Section("posting note", note.value, note.where))
        # Nothing silently dropped: a salary or requirement section nothing was read from is kept as text.
        unread = [(name, passage) for name, found in (("salary", bulletin.salaries), ("requirements", paths))
                  if not found for passage in passages(name)]
        kept_sections.extend(Section(next(s.heading for s in split.sections if s.name == name), passage.span().text,
                                     passage.where()) for name, passage in unread)
        if bulletin.drivers_license is not None and all(
                found.where != bulletin.drivers_license.where for found in licenses):
            licenses.append(bulletin.drivers_license)
    if bulletin is None:  # a salary label outside a bulletin ("Salary: $52,000 - $68,000 Annually"): its range
        row = (Text(listed.salary, provenance(document.name, document.sha256, listed.line.number, listed.line.number))
               if listed is not None and listed.salary else None)  # the class's pay cell in a titles table
        stated = [text for text in (row, facts.text("salary")) if text is not None] + [
            Text(line.text, provenance(document.name, document.sha256, line.number, line.number))
            for passage in passages("salary") for line in passage.lines[:1]]
        salary = next((read for text in stated if (read := read_salary(text.value, text.where, dollar))), None)
        bulletin = Bulletin(salaries=(salary,)) if salary is not None else None
    pay_grade = None
    if listed is not None and listed.grade:  # the class's own row of a titles table
        pay_grade = PayGrade(None, listed.grade, title.where)
    elif facts.get("grade"):
        grade, where = facts.values["grade"]
        plan = facts.get("pay_plan")
        pay_grade = PayGrade(plan.upper() if plan else None, grade, where)

    return JobClass(
        title=title,
        sources=(SourceDocumentRef(document.name, document.sha256, str(document.path), document.media_type),),
        code=code,
        jurisdiction=jurisdiction,
        pay_grade=pay_grade,
        ordinance=ordinance,
        effective_date=effective,
        classification=Classification(facts.text("branch"), facts.text("group"), facts.text("series"),
                                      facts.text("revision"), order),
        job_family=job_family,
        summary=summary,
        duties=duties,
        ksas=tuple(ksas),
        education=tuple(education),
        experience=experience,
        substitution=substitution,
        licenses=tuple(licenses),
        supervision=Supervision(direct, indirect),
        work_context=tuple(text for passage in passages("work_context") for text in _paragraph_texts(passage)),
        other_characteristics=tuple(text for passage in passages("other_characteristics")
                                    for text in _paragraph_texts(passage)),
        sections=tuple(kept_sections),
        conflicts=tuple(conflicts),
        requirement_paths=paths,
        bulletin=bulletin,
        department=facts.text("department") or facts.text("unit"),
        layout=layout.name,
        omits=layout.omits,
    )
