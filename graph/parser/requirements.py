"""Requirement sections as structured alternatives: numbered paths joined by "or"/"and", lettered sub-requirements.

The markers, conjunctions and phrase patterns come from parser/rules/phrases.toml ([requirements], [[duration]],
[[class_mention]], [[school]], [[major]], [[course]]); this module only applies them.

>>> from rolegraph.model import Line
>>> from rolegraph.parser.tables import load_rules
>>> lines = [Line(1, "1. Two years of full-time paid experience as a Senior Clerk; or"),
...          Line(2, "2. Graduation from an accredited four-year college or university.")]
>>> paths, notes = parse_requirement_paths(Passage(lines, "a.txt", "0"), load_rules())
>>> [(path.number, [item.label for item in path.items]) for path in paths]
[(1, ['1']), (2, ['2'])]
>>> [(e.months, e.in_classes, e.schedule) for e in paths[0].items[0].experience]
[(Decimal('24'), ('Senior Clerk',), 'FULL_TIME')]
>>> education = paths[1].items[0].education[0]
>>> education.school_type, education.years
('COLLEGE OR UNIVERSITY', Decimal('4'))
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal

from rolegraph.model import (
    CourseRequirement,
    EducationRequirement,
    ExperienceRequirement,
    License,
    Line,
    RequirementItem,
    RequirementPath,
    Text,
)
from rolegraph.parser.fields import ROMAN_NUMERAL, parse_experience, parse_license, sentences
from rolegraph.parser.layouts import marker_label
from rolegraph.parser.passage import Passage, Span
from rolegraph.parser.tables import BulletinRules, Rules, fold

__all__ = ["parse_requirement_paths", "parse_pattern_paths", "parse_stated_path", "states_requirement",
           "experience_in_classes", "named_classes", "flatten_experience", "noted_experience", "all_items"]

LICENSE_LEAD = re.compile(r"^(?:(?:possession|completion)\s+of\s+)?(?:an?\s+)?", re.IGNORECASE)
# a list of titles holding commas, joined by ";" ("Crew Leader, X Corps; or Trail Supervisor")
SEMICOLON_SPLIT = re.compile(r"\s*;\s*(?:or\s+)?(?:an?\s+)?")
SENTENCE_END = re.compile(r"[.;](?:\s|$)")
# a class's range written after a comma ("an Office Assistant, Range B"): kept with the class, as "(Range B)"
RANGE_AFTER_COMMA = re.compile(r",\s*(Range\s+[A-Z])\b")
# the separators of a list of titles, kept (a piece after a plain comma may qualify the title before it)
LIST_SEPARATOR = re.compile(r"(\s*,\s*(?:or\s+)?(?:an?\s+)?|\s+(?:and/)?or\s+(?:an?\s+)?)")


@dataclass
class _Node:
    """An item while the section is being read: its label, kind ("number", "letter", "lead") and lines."""

    label: str
    kind: str
    lines: list[Line] = field(default_factory=list)
    children: list[_Node] = field(default_factory=list)


def named_classes(text: str, table: BulletinRules, levels_within_class: bool = False) -> list[str]:
    """Split a captured list of class titles into titles; organisations dropped.

    A level written alone ("III or IV") takes the title before it. With ``levels_within_class`` (an employer whose
    levels are positions within one class, layouts.toml) the levels are dropped: "Associate III or IV" names one
    class, Associate.

    >>> from rolegraph.parser.tables import load_rules
    >>> named_classes("Fire Protection Engineering Associate III or IV", load_rules().bulletin)
    ['Fire Protection Engineering Associate III', 'Fire Protection Engineering Associate IV']
    >>> named_classes("Fire Protection Engineering Associate III or IV", load_rules().bulletin, True)
    ['Fire Protection Engineering Associate']
    >>> named_classes("City of Los Angeles Assistant Inspector IV", load_rules().bulletin, True)
    ['Assistant Inspector']
    >>> named_classes("Sr. Management Analyst II", load_rules().bulletin, True)
    ['Senior Management Analyst']
    >>> named_classes("Executive, Senior, Coordinating or Web Content Producer", load_rules().bulletin)
    ['Executive Web Content Producer', 'Senior Web Content Producer', 'Coordinating Web Content Producer', \
'Web Content Producer']
    >>> named_classes("Automotive Supervisor, Truck and Equipment Dispatcher, or Auto Body Repair Supervisor",
    ...               load_rules().bulletin)
    ['Automotive Supervisor', 'Truck and Equipment Dispatcher', 'Auto Body Repair Supervisor']
    >>> named_classes("Office Assistant, Range B", load_rules().bulletin)
    ['Office Assistant (Range B)']
    >>> named_classes("Crew Leader, Kestrel Conservation Corps; or Trail Supervisor", load_rules().bulletin)
    ['Crew Leader, Kestrel Conservation Corps', 'Trail Supervisor']
    """
    names: list[str] = []
    text = RANGE_AFTER_COMMA.sub(r" (\1)", text)
    pieces = SEMICOLON_SPLIT.split(text) if ";" in text else _list_pieces(text, table)
    last = pieces[-1].split() if pieces else []
    folded = table.folded_titles
    shared = folded.shared_rest
    if len(last) > 1 and fold(last[0]) in shared:  # "Executive, Senior or Web Content Producer"
        pieces = [f"{piece} {' '.join(last[1:])}" if fold(piece) in shared else piece for piece in pieces[:-1]]
        pieces.append(" ".join(last))
    elif len(last) > 1:
        pieces = [f"{piece} {' '.join(last)}" if fold(piece) in shared else piece for piece in pieces]
    for piece in pieces:
        piece = piece.strip(" ,;.")
        folded_piece = fold(piece)
        for prefix, folded_prefix in folded.strip_prefixes:
            if folded_piece.startswith(folded_prefix):
                piece = piece[len(prefix):].strip()
                break
        words = [table.abbreviations.get(word, word) for word in piece.split()]
        if words and all(ROMAN_NUMERAL.match(word) and word.isupper() for word in words) and names:
            stem = names[-1].split()
            while stem and ROMAN_NUMERAL.match(stem[-1]) and stem[-1].isupper():
                stem.pop()
            words = stem + words[-1:]
        while levels_within_class and words and ROMAN_NUMERAL.match(words[-1]) and words[-1].isupper():
            words.pop()
        while words and words[-1].casefold() in {"and", "of", "&"}:
            words.pop()
        name = " ".join(words)
        if not name or fold(name) in folded.not_classes or table.not_class_opening.match(name):
            continue
        if name not in names:
            names.append(name)
    return names


def _list_pieces(text: str, table: BulletinRules) -> list[str]:
    """The titles of a list, a title's organisation or setting after a comma kept with it.

    >>> from rolegraph.parser.tables import load_rules
    >>> table = load_rules().bulletin
    >>> _list_pieces("Peace Officer I, Kestrel Center", table)
    ['Peace Officer I, Kestrel Center']
    >>> _list_pieces("Machinist Supervisor, Electrician Supervisor", table)
    ['Machinist Supervisor', 'Electrician Supervisor']
    >>> _list_pieces("Aide, School for the Deaf, or Classroom Aide", table)
    ['Aide, School for the Deaf', 'Classroom Aide']
    >>> _list_pieces("Automotive Supervisor, Truck and Equipment Dispatcher, or Auto Body Repair Supervisor", table)
    ['Automotive Supervisor', 'Truck and Equipment Dispatcher', 'Auto Body Repair Supervisor']
    """
    parts = LIST_SEPARATOR.split(text)
    pieces = [parts[0]]
    for separator, piece in zip(parts[1::2], parts[2::2], strict=True):
        if separator.strip() == "," and table.title_qualifier.search(piece.strip(" ,;.")):
            pieces[-1] = f"{pieces[-1]}, {piece}"
        else:
            pieces.append(piece)
    return pieces


def _split_items(passage: Passage, table: BulletinRules) -> tuple[list[_Node], list[list[Line]]]:
    """Numbered items (with lettered children) and the other paragraphs, in order.

    A line with no marker continues the item above it unless a blank line came first; an unnumbered first
    paragraph is a "lead" item (the whole requirement when nothing is numbered).
    """
    items: list[_Node] = []
    notes: list[list[Line]] = []
    current: _Node | None = None
    note: list[Line] | None = None
    blank = False
    for line in passage.all_lines:
        text = line.text
        if not text.strip():
            blank = True
            continue
        number = table.number_marker.match(text)
        letter = None if number else table.letter_marker.match(text)
        if number:
            current = _Node(number.group("label"), "number")
            items.append(current)
            rest = text[number.end():]
            nested = table.letter_marker.match(rest)
            if nested:
                child = _Node(nested.group("label").lower(), "letter", [Line(line.number, rest[nested.end():])])
                current.children.append(child)
            else:
                current.lines.append(Line(line.number, rest))
            note = None
        elif letter and (items or current is not None):
            parent = items[-1] if items else current
            assert parent is not None
            parent.children.append(_Node(letter.group("label").lower(), "letter",
                                         [Line(line.number, text[letter.end():])]))
            note = None
        elif not blank and (items and (items[-1].lines or items[-1].children)):
            target = items[-1].children[-1] if items[-1].children else items[-1]
            target.lines.append(line)
        elif not blank and note is not None:
            note.append(line)
        elif not items and current is None and not notes:
            current = _Node("", "lead", [line])
            items.append(current)
        else:
            note = [line]
            notes.append(note)
        blank = False
    return items, notes


def _conjunction(node: _Node, passage: Passage, table: BulletinRules) -> str | None:
    """The "and"/"or" an item ends with; for an item with sub-items, the one its last sub-item ends with."""
    last = node.children[-1] if node.children else node
    text = " ".join(" ".join(line.text.split()) for line in last.lines)
    match = table.conjunction.search(text)
    return match.group("conjunction").casefold() if match else None


def _opening(node: _Node) -> str:
    """The first sentence (or clause, up to ";") of an item, its sub-items' text included."""
    text = " ".join(" ".join(line.text.split()) for line in node.lines + [x for c in node.children for x in c.lines])
    return re.split(r"(?<=\.)\s+(?=[A-Z])|;", text, maxsplit=1)[0]


def _first_line(node: _Node) -> int:
    return min((line.number for line in node.lines + [x for c in node.children for x in c.lines]), default=0)


def _sub_conjunction(node: _Node, table: BulletinRules) -> str:
    own = " ".join(" ".join(line.text.split()) for line in node.lines)
    if table.any_of.search(own):
        return "or"
    if node.children:
        first = " ".join(" ".join(line.text.split()) for line in node.children[0].lines)
        match = table.conjunction.search(first)
        if match:
            return match.group("conjunction").casefold()
    return table.default_between_subitems


def _durations(text: str, rules: Rules) -> list[tuple[int, Decimal]]:
    assert rules.bulletin is not None
    return [(match.start(), rules.months(match.group("number"), match.group("unit")))
            for rule in rules.bulletin.durations for match in rule.pattern.finditer(text)]


def _schedule(text: str, table: BulletinRules) -> str | None:
    return next((rule.name for rule in table.schedules if rule.pattern.search(text)), None)


def experience_in_classes(passage: Passage, rules: Rules, levels_within_class: bool = False
                          ) -> tuple[ExperienceRequirement, ...]:
    """Experience with its schedule and the classes it must be gained in (nearest preceding duration): what a
    requirement written as plain text (no numbered items, no patterns) asks for."""
    return _experience(passage, rules, levels_within_class) if rules.bulletin is not None and passage else ()


def _experience(passage: Passage, rules: Rules, levels_within_class: bool) -> tuple[ExperienceRequirement, ...]:
    """Experience with its schedule and the classes it must be gained in (nearest preceding duration)."""
    table = rules.bulletin
    assert table is not None
    found = [replace(requirement, schedule=_schedule(requirement.description, table))
             for requirement in parse_experience(passage, rules)]
    starts = [max(0, passage.text.find(requirement.description)) for requirement in found]
    found = [replace(requirement, description=_clause(passage, start, requirement.description, table))
             for start, requirement in zip(starts, found, strict=True)]
    durations = _durations(passage.text, rules)
    covered = [(start, start + len(requirement.description)) for start, requirement in zip(starts, found, strict=True)]
    for at, _ in durations:
        if any(start <= at < end for start, end in covered):
            continue
        for rule in table.experience_fallbacks:
            match = rule.pattern.match(passage.text, at)
            if match is None:
                continue
            span = passage.span(match.start(), match.end())
            text = span.text.rstrip(" ;,.")
            found.append(ExperienceRequirement(rules.months(match.group("number"), match.group("unit")),
                                               _field(match.group("field")), text, span.where,
                                               schedule=_schedule(text, table)))
            starts.append(match.start())
            covered.append((match.start(), match.end()))
            break
    for rule in table.class_mentions:
        if not rule.could_match(passage.text):
            continue
        for match in rule.pattern.finditer(passage.text):
            names = named_classes(match.group("classes"), table, levels_within_class)
            if "role" in rule.pattern.groupindex:  # "a senior inspector in ... disciplines: Building, ..."
                names = [_composed(match.group("level"), name, match.group("role")) for name in names]
            position = match.start("classes")
            opening = _sentence_start(passage.text, position)  # a duration of another sentence governs no name
            before = [duration for duration in durations if opening <= duration[0] < position]
            after = [duration for duration in durations if duration[0] >= position]
            if not names:
                continue
            # the nearest duration before the name governs it, else the first after; none ("current employment
            # as a Vocational Worker"): held now, for no stated time
            at, months = before[-1] if before else after[0] if after else (match.start(), Decimal(0))
            owner = max((index for index, start in enumerate(starts) if start <= position), default=None,
                        key=lambda index: starts[index])
            if owner is None and found:
                owner = next((index for index, requirement in enumerate(found) if requirement.months == months),
                             None)
            if owner is not None and found[owner].months == months:
                requirement = found[owner]
                found[owner] = replace(requirement, description=_through(passage, starts[owner], requirement,
                                                                         match.end()),
                                       in_classes=requirement.in_classes + tuple(
                                           name for name in names if name not in requirement.in_classes))
                continue
            span = passage.span(at, match.end())
            part = ExperienceRequirement(months, "", span.text, span.where, in_classes=tuple(names),
                                         schedule=_schedule(span.text, table))
            if owner is not None:
                requirement = found[owner]
                same = next((index for index, known in enumerate(requirement.included)
                             if (known.months, known.description) == (part.months, part.description)), None)
                if same is None:  # a part named by two mention rules ("experience ... of which ... as a") is one
                    included = requirement.included + (part,)
                else:
                    known = requirement.included[same]
                    merged = replace(known, in_classes=known.in_classes + tuple(
                        name for name in names if name not in known.in_classes))
                    included = requirement.included[:same] + (merged,) + requirement.included[same + 1:]
                found[owner] = replace(requirement, included=included)
            else:
                found.append(part)
                starts.append(at)
    return tuple(_with_field(requirement, rules) for requirement in found)


def _with_field(requirement: ExperienceRequirement, rules: Rules) -> ExperienceRequirement:
    """The requirement and its parts with the field their descriptions state (see ``experience_field``)."""
    return replace(requirement, field=experience_field(requirement.description, rules),
                   included=tuple(_with_field(part, rules) for part in requirement.included))


def _composed(level: str, discipline: str, role: str) -> str:
    """The title of a class written as a level and role with a discipline ("senior", "Building", "inspector").

    >>> _composed("senior", "Building Mechanical", "inspector")
    'Senior Building Mechanical Inspector'
    """
    return " ".join([level.capitalize(), discipline, role.capitalize()])


def _through(passage: Passage, start: int, requirement: ExperienceRequirement, end: int) -> str:
    """The requirement's description, carried on to ``end`` when a class it names lies beyond where the
    description stopped (a list cut at its first comma: "performing forest, range, or watershed management duties
    in a class comparable in level to a Forester I") and nothing but that sentence lies between."""
    text = passage.text
    stop = start + len(requirement.description)
    if end <= stop or text[start:stop] != requirement.description or SENTENCE_END.search(text, stop, end):
        return requirement.description
    return text[start:end].rstrip(" ;,.")


def _field(text: str) -> str:
    """A field of experience without its lead words and trailing conjunction.

    >>> _field("performing floor care maintenance activities; and")
    'performing floor care maintenance activities'
    """
    text = re.sub(r"^(?:in|with|as|of)\s+", "", text.strip(" ,;.:"))
    return re.sub(r"[;,]?\s+(?:and|or)$", "", text).strip(" ,;.:")


def _clause(passage: Passage, start: int, description: str, table: BulletinRules) -> str:
    """The requirement's description carried on over a comma that the experience pattern stopped at, to the end of
    its clause (";" or the sentence's end), unless what follows the comma opens something else ([experience_field]
    clause_ends): "in the installation, maintenance and repair of radios" is one field, not "the installation"."""
    text = passage.text
    stop = start + len(description)
    if text[start:stop] != description or not text.startswith(",", stop) or table.field_clause_end.match(text, stop):
        return description
    end = SENTENCE_END.search(text, stop)
    cut = next((found.start() for found in _COMMAS.finditer(text, stop, end.start() if end else len(text))
                if table.field_clause_end.match(text, found.start())), None)
    ends = [at for at in (cut, end.start() if end else None) if at is not None]
    return text[start:min(ends, default=len(text))].rstrip(" ;,.")


_COMMAS = re.compile(",")
_EXPERIENCE_WORD = re.compile(r"\bexperience\b", re.IGNORECASE)
# a list of words joined by "or" ("preparing or processing", "the propagation, care or maintenance")
_OR_LIST = re.compile(r"^(?P<bare>(?:[\w'-]+,\s+)*[\w'-]+),?\s+(?:and/)?or\s+(?P<last>[\w'-]+)\s+(?P<rest>\S.*)$")
_OR_LAST = re.compile(r"^(?P<first>.*\s)(?P<head>[\w'-]+)\s+(?:and/)?or\s+(?P<last>[\w'-]+)$")
_CONNECTOR = re.compile(r"^\s*,?\s*(in|with|as|at|of|on|for)\b", re.IGNORECASE)


def experience_field(description: str, rules: Rules) -> str:
    """The field of an experience requirement: the occupation or work its holder did, as a noun phrase, from the
    words before "experience" and after it ([experience_field], [[field_cut]] in phrases.toml). Empty when the
    requirement names no work (only an employer, a time, a level or a class).

    >>> from rolegraph.parser.tables import load_rules
    >>> rules = load_rules()
    >>> experience_field("Two years of full-time paid office clerical experience with the City of Kestrel", rules)
    'office clerical'
    >>> experience_field("Three years of full-time paid fire suppression certified experience in the City of "
    ...                  "Kestrel Fire Department by March 16, 2018", rules)
    'fire suppression in Fire Department'
    >>> experience_field("One year of experience preparing or processing marine shipping documents", rules)
    'preparing marine shipping documents or processing marine shipping documents'
    >>> experience_field("Four years of full-time paid experience with the County of Kestrel", rules)
    ''
    """
    table = rules.bulletin
    assert table is not None
    word = _EXPERIENCE_WORD.search(description)
    durations = sorted((found for rule in table.durations for found in rule.pattern.finditer(description)),
                       key=lambda found: found.start())
    # the duration the field follows: the last before "experience" ("a four-year college and four years of ...")
    duration = next((found for found in reversed(durations) if word and found.end() <= word.start()),
                    durations[0] if durations else None)
    rest = description[duration.end():] if duration else description
    rest = re.sub(r"^\s*(?:\([^)]*\)\s*)?(?:of\s+)?", "", rest)
    word = _EXPERIENCE_WORD.search(rest)
    before, after = (rest[:word.start()], rest[word.end():]) if word else ("", rest)
    before = _field_words(before, table)
    after = _field_words(after, table, lead=False)
    connector = _CONNECTOR.match(after)
    after = _field_words(after, table)
    if before and after:
        return f"{before} {connector.group(1) if connector else 'in'} {after}"
    return before or after


def _field_words(text: str, table: BulletinRules, lead: bool = True) -> str:
    """What is left of part of a requirement once the [[field_cut]] rules have cut what is no part of its field
    (the last, its lead words, only with ``lead``), with words joined by "or" given the words they share."""
    text = " ".join(text.split())
    for rule in table.field_cuts if lead else table.field_cuts[:-1]:
        if rule.could_match(text):
            text = " ".join(rule.pattern.sub(_kept, text).split())
    text = re.sub(r"\(\s*\)|\s+(?=,)", "", text)
    text = re.sub(r"(?:\s+(?:experience|and|or|and/or))+$", "", text.strip(" ,;.:-")).strip(" ,;.:-")
    return _shared_by_alternatives(re.sub(r"^experience\b\s*", "", text), table) if lead else text


def _kept(match: re.Match[str]) -> str:
    return f" {match.group('keep') or ''} " if "keep" in match.re.groupindex else " "


def _shared_by_alternatives(text: str, table: BulletinRules) -> str:
    """Words joined by "or" given what they share: the object or head after the last ("preparing or processing
    documents", "long-range or current urban planning"), or the words before the first ("enforcement of laws or
    regulations"), so each alternative is a field of its own; not when what they share is long
    ([experience_field] shared_words) or the last names no alternative ("or larger").

    >>> from rolegraph.parser.tables import load_rules
    >>> table = load_rules().bulletin
    >>> _shared_by_alternatives("the collection or disposal of municipal wastes", table)
    'collection of municipal wastes or disposal of municipal wastes'
    >>> _shared_by_alternatives("construction, craft or landscaping work", table)
    'construction work, craft work or landscaping work'
    >>> _shared_by_alternatives("enforcement of laws or regulations", table)
    'enforcement of laws or enforcement of regulations'
    >>> _shared_by_alternatives("clerical work or retail sales", table)
    'clerical work or retail sales'
    >>> _shared_by_alternatives("driving a bus of 40 seats or larger", table)
    'driving a bus of 40 seats or larger'
    """
    text = re.sub(r"^(?:the|an?)\s+", "", text)
    most = table.field_shared_words
    found = _OR_LIST.match(text)
    if found and found.group("last").casefold() not in table.field_not_alternatives:
        shared = found.group("rest")
        words = re.split(r",\s+", found.group("bare"))
        if (len(shared.split()) <= most and not re.search(r"\b(?:or|and/or)\b", shared)
                and shared.split()[-1].casefold() not in {word.casefold() for word in words}):  # "A or B A"
            pieces = [f"{word} {shared}" for word in words]
            return ", ".join(pieces) + f" or {found.group('last')} {shared}"
    found = _OR_LAST.match(text)
    if found and found.group("last").casefold() not in table.field_not_alternatives:
        stem = found.group("first")
        if 1 < len(stem.split()) <= most and "," not in stem and not re.search(r"\b(?:or|and)\b", stem):
            return f"{stem}{found.group('head')} or {stem}{found.group('last')}"
    return text


def _split_list(text: str) -> tuple[str, ...]:
    """ "Computer Science, Information Systems, or GIS" -> three names."""
    pieces = re.split(r"\s*,\s*(?:and\s+|or\s+)?|\s+or\s+|\s+and/or\s+", text.strip(" ,;."))
    return tuple(piece.strip() for piece in pieces if piece.strip())


def _education(item_sentences: list[Span], rules: Rules) -> tuple[EducationRequirement, ...]:
    table = rules.bulletin
    assert table is not None
    found: list[EducationRequirement] = []
    for sentence in item_sentences:
        for rule in table.schools:
            match = rule.pattern.search(sentence.text) if rule.could_match(sentence.text) else None
            if match is None:
                continue
            majors: tuple[str, ...] = ()
            for major_rule in table.majors:
                major = major_rule.pattern.search(sentence.text, match.start())
                if major:
                    majors = _split_list(major.group("majors"))
                    break
            years = Decimal(rule.field) if rule.field else None
            if all(item.school_type != rule.name for item in found):
                found.append(EducationRequirement(sentence.text, sentence.where, rule.name, years, majors))
            break
    return tuple(found)


def _number(text: str | None, rules: Rules) -> int | None:
    if not text:
        return None
    value = rules.number_words.get(fold(text))
    return int(value) if value is not None else int(text) if text.isdigit() else None


def _courses(item_sentences: list[Span], rules: Rules) -> tuple[CourseRequirement, ...]:
    table = rules.bulletin
    assert table is not None
    found: list[CourseRequirement] = []
    for sentence in item_sentences:
        values: dict[str, str] = {}
        for rule in table.courses:
            match = rule.pattern.search(sentence.text) if rule.could_match(sentence.text) else None
            if match:
                values.update({key: value for key, value in match.groupdict().items() if value})
        if not values:
            continue
        found.append(CourseRequirement(sentence.text, sentence.where, _number(values.get("count"), rules),
                                       _number(values.get("semester"), rules), _number(values.get("quarter"), rules),
                                       _split_list(values["subjects"]) if "subjects" in values else ()))
    return tuple(found)


def _licenses(item_sentences: list[Span], rules: Rules) -> tuple[License, ...]:
    """Licences a requirement names, each under the name the first [[license_name]] rule reads."""
    table = rules.bulletin
    assert table is not None
    found: list[License] = []
    for sentence in item_sentences:
        if not rules.licenses.names.search(sentence.text):
            continue
        match = next((match for rule in table.license_names if (match := rule.pattern.search(sentence.text))), None)
        read = parse_license(sentence, rules)
        if match is None or read is None:
            continue
        name = LICENSE_LEAD.sub("", match.group("name"))
        found.append(replace(read, name=" ".join(name.split())))
    return tuple(found)


def _item(node: _Node, passage: Passage, rules: Rules, levels_within_class: bool = False) -> RequirementItem:
    table = rules.bulletin
    assert table is not None
    own = Passage(node.lines, passage.source, passage.sha256)
    experience = _experience(own, rules, levels_within_class) if own else ()
    if experience and node.children and table.classes_listed_below.search(own.text):
        listed = [name for child in node.children for name in _listed_classes(child, table, levels_within_class)]
        experience = (*experience[:-1], replace(experience[-1], in_classes=tuple(
            dict.fromkeys(experience[-1].in_classes + tuple(listed)))))
    own_sentences = list(sentences(own))  # read for education, courses and licences alike
    children = tuple(_item(child, passage, rules, levels_within_class) for child in node.children)
    if experience:  # sub-items with nothing of their own say what the experience must be in
        children = tuple(child if child.understood else replace(child, experience_function=True)
                         for child in children)
    lines = node.lines + [line for child in node.children for line in child.lines]
    whole = Passage(sorted(lines, key=lambda line: line.number), passage.source, passage.sha256)
    return RequirementItem(
        label=node.label, text=own.text, where=whole.where(),
        experience=experience,
        education=_education(own_sentences, rules),
        courses=_courses(own_sentences, rules),
        licenses=_licenses(own_sentences, rules),
        items=children, conjunction=_sub_conjunction(node, table))


# The end of a sentence: a full stop and a capital after it, not one closing a short abbreviation ("Sr. Clerk",
# "U.S. Navy") or a roman level ("Clerk II. Two years": then the sentences are read as one, as before).
SENTENCE_BREAK = re.compile(r"(?<![A-Z])(?<!\b[A-Za-z]{2})\.\s+(?=[A-Z(])")


def _sentence_start(text: str, position: int) -> int:
    """Where the sentence holding ``position`` starts.

    >>> _sentence_start("Two years of study. Completion of a program as a Cadet.", 40)
    20
    >>> _sentence_start("Two years as a Sr. Clerk.", 19)
    0
    """
    start = 0
    for found in SENTENCE_BREAK.finditer(text, 0, position):
        start = found.end()
    return start


def _listed_classes(node: _Node, table: BulletinRules, levels_within_class: bool) -> list[str]:
    """The class an item below a lead listing classes names, when it is a bare title ("a. a Park Keeper; or"; its
    marker is off already, ``_split_items``)."""
    text = " ".join(line.text for line in node.lines).strip()
    for rule in table.listed_classes:
        if (match := rule.pattern.match(text)) is not None:
            return named_classes(match.group("classes"), table, levels_within_class)
    return []


def parse_requirement_paths(passage: Passage, rules: Rules, levels_within_class: bool = False
                            ) -> tuple[tuple[RequirementPath, ...], tuple[Text, ...]]:
    """The alternatives of a requirement section, and its paragraphs outside them (substitutions, notes).

    Numbered items joined by "and" form one path; "or" (or no conjunction, see [requirements]
    default_between_items) starts the next.
    """
    table = rules.bulletin
    if table is None or not passage:
        return (), ()
    nodes, note_lines = _split_items(passage, table)
    # a numbered item that only allows a substitution is a note on the paths, not a path; so is every numbered item
    # after a paragraph that ends by introducing substitutions ("The following may be substituted for ...:")
    intro = min((lines[-1].number for lines in note_lines + [node.lines for node in nodes if node.kind == "lead"]
                 if lines and lines[-1].text.rstrip().endswith(":")
                 and table.substitution_item.search(lines[-1].text)), default=None)
    substitutions = [node for node in nodes if node.kind == "number" and (
        table.substitution_item.search(_opening(node)) or (intro is not None and _first_line(node) > intro))]
    nodes = [node for node in nodes if node not in substitutions]
    numbered = [node for node in nodes if node.kind == "number"]
    leads = [node for node in nodes if node.kind == "lead"]
    notes = [Passage(lines, passage.source, passage.sha256) for lines in note_lines]
    # a lead that goes on into the numbered items ("Five years of ..., two years of which must have been as a
    # Photographer," / "1. Taking ...; or" / "2. Operating ...") is part of every path; any other lead is a note
    stems = [lead for lead in leads if numbered and table.lead_continues.search(lead.lines[-1].text)]
    if numbered and leads:
        notes = [Passage(lead.lines, passage.source, passage.sha256) for lead in leads if lead not in stems] + notes
        nodes = numbered
    notes += [Passage(node.lines + [line for child in node.children for line in child.lines], passage.source,
                      passage.sha256) for node in substitutions]
    notes.sort(key=lambda note: note.where().line_start)
    groups: list[list[_Node]] = []
    shared: list[_Node] = list(stems)  # conditions of every path
    for index, node in enumerate(nodes):
        joined = _conjunction(nodes[index - 1], passage, table) if index else None
        if index and joined is None and table.shared_item.search(_opening(node)):
            shared.append(node)
            continue
        joined = joined or table.default_between_items
        if groups and joined == "and":
            groups[-1].append(node)
        else:
            groups.append([node])
    if shared:
        groups = [sorted(group + shared, key=_first_line) for group in groups or [[]]]
    paths = []
    for number, group in enumerate(groups, start=1):
        items = tuple(_item(node, passage, rules, levels_within_class) for node in group)
        lines = [line for node in group for line in node.lines + [x for c in node.children for x in c.lines]]
        where = Passage(sorted(lines, key=lambda line: line.number), passage.source, passage.sha256).where()
        paths.append(RequirementPath(number, items, where))
    return tuple(paths), tuple(Text(note.text, note.where()) for note in notes if note)


def states_requirement(passage: Passage, rules: Rules) -> bool:
    """Whether a qualification passage states a requirement: not when it only sends the reader to another section
    ([requirements] points_elsewhere).

    >>> from rolegraph.parser.tables import load_rules
    >>> pointer = Line(1, "Qualifications for this level are in the Knowledge and Abilities section.")
    >>> states_requirement(Passage([pointer], "a.txt", "0"), load_rules())
    False
    >>> states_requirement(Passage([pointer, Line(2, "One year as a Clerk.")], "a.txt", "0"), load_rules())
    True
    """
    if not passage:
        return False
    table = rules.bulletin
    return table is None or any(not table.points_elsewhere.search(sentence.text) for sentence in sentences(passage))


def parse_stated_path(passages: list[Passage], experience: tuple[ExperienceRequirement, ...], rules: Rules
                      ) -> tuple[RequirementPath, ...]:
    """A requirement stated without alternatives (no patterns, no numbered paths): one path, with an item per
    passage that states a requirement, in order, holding the ``experience`` read from its lines (the requirements
    themselves, so the path and the class name the same experience) and the education, courses and licences it
    names. Alternatives written inside it (a numbered list of credentials under "Experience: ... and") stay inside
    its item, as a pattern's stay inside the pattern. No passage stating a requirement: no path.

    >>> from rolegraph.parser.tables import load_rules
    >>> rules = load_rules()
    >>> lines = [Line(4, "Education: Equivalent to graduation from college."),
    ...          Line(5, "Experience: One year of experience performing the duties of a Field Aide.")]
    >>> passage = Passage(lines, "a.txt", "0")
    >>> (path,) = parse_stated_path([passage], experience_in_classes(passage, rules), rules)
    >>> path.number, [(item.text[:10], item.understood) for item in path.items], str(path.where)
    (1, [('Education:', True)], 'a.txt:4-5')
    >>> [(e.months, e.in_classes) for e in path.items[0].experience]
    [(Decimal('12'), ('Field Aide',))]
    >>> pointer = Line(9, "Qualifications for this level are in the Knowledge and Abilities section.")
    >>> parse_stated_path([Passage([pointer], "a.txt", "0")], (), rules)
    ()
    """
    stated = [passage for passage in passages if states_requirement(passage, rules)]
    if rules.bulletin is None or not stated:
        return ()
    items = []
    for passage in stated:
        numbers = {line.number for line in passage.lines}
        own_sentences = list(sentences(passage))
        items.append(RequirementItem(
            label="", text=passage.text, where=passage.where(),
            experience=tuple(requirement for requirement in experience if requirement.where.line_start in numbers),
            education=_education(own_sentences, rules), courses=_courses(own_sentences, rules),
            licenses=_licenses(own_sentences, rules)))
    lines = sorted({line for passage in stated for line in passage.lines}, key=lambda line: line.number)
    return (RequirementPath(1, tuple(items), Passage(lines, stated[0].source, stated[0].sha256).where()),)


def all_items(items: tuple[RequirementItem, ...]) -> list[RequirementItem]:
    """Items and their sub-items, depth first."""
    return [found for item in items for found in (item, *all_items(item.items))]


def flatten_experience(paths: tuple[RequirementPath, ...]) -> tuple[ExperienceRequirement, ...]:
    """Every experience requirement of every path, in document order, each once."""
    seen: list[ExperienceRequirement] = []
    for path in paths:
        for item in all_items(path.items):
            seen.extend(requirement for requirement in item.experience if requirement not in seen)
    return tuple(seen)


def noted_experience(notes: list[Passage], experience: tuple[ExperienceRequirement, ...], rules: Rules,
                     levels_within_class: bool = False) -> tuple[ExperienceRequirement, ...]:
    """Classes a note says meet an experience requirement ("Experience in the classes of A, B, or C meets the
    journey-level experience requirement", "Experience as a A or B may be substituted for the above experience"),
    or whose appointment the required experience counts from ("the date of original appointment as a
    Firefighter"), one requirement per note sentence: the months, field and schedule of the requirement met (the
    first whose description holds the words the note names it by, else the first), the sentence as its
    description and where. Never a path: the paths stay as the requirement section states them. Classes the
    requirements already name are left out.

    >>> from rolegraph.model import Line
    >>> from rolegraph.parser.tables import load_rules
    >>> asked = parse_requirement_paths(Passage([Line(1, "1. One year of experience driving a truck.")], "a", "0"),
    ...                                 load_rules())[0][0].items[0].experience
    >>> note = Line(2, "3. Experience as a Truck Operator may be substituted for the above experience.")
    >>> [(found.months, found.in_classes) for found in noted_experience([Passage([note], "a", "0")], asked,
    ...                                                                   load_rules())]
    [(Decimal('12'), ('Truck Operator',))]
    >>> part = Line(2, "Experience as a Truck Operator may be substituted for six months of the required experience.")
    >>> noted_experience([Passage([part], "a", "0")], asked, load_rules())
    ()
    """
    table = rules.bulletin
    if table is None or not experience:
        return ()
    named_before = {name for requirement in experience for name in requirement.in_classes}
    found: list[ExperienceRequirement] = []
    for note in notes:
        for sentence in sentences(note):
            names: list[str] = []
            target = experience[0]
            met = table.meets_requirement.search(sentence.text)
            if met is not None:
                for rule in table.class_mentions:
                    if "role" in rule.pattern.groupindex or not rule.could_match(sentence.text):
                        continue
                    for match in rule.pattern.finditer(sentence.text, 0, met.start()):
                        names.extend(named_classes(match.group("classes"), table, levels_within_class))
                words = re.findall(r"[a-z]+", (met.group("which") or "").casefold())
                target = next((requirement for requirement in experience
                               if all(word in requirement.description.casefold() for word in words)), target)
            for rule in table.entry_classes:
                if rule.could_match(sentence.text):
                    for match in rule.pattern.finditer(sentence.text):
                        names.extend(named_classes(match.group("classes"), table, levels_within_class))
            names = [name for name in dict.fromkeys(names) if name not in named_before]
            if names:
                found.append(ExperienceRequirement(target.months, target.field, sentence.text, sentence.where,
                                                   in_classes=tuple(names), schedule=target.schedule))
    return tuple(found)


def _slice_lines(passage: Passage, start: int, end: int) -> list[Line]:
    """The lines of ``passage.text[start:end]``, each cut to its part of the slice (line numbers kept).

    >>> passage = Passage([Line(1, "Education: twelfth grade. and Either I"), Line(2, "One year.")], "a", "0")
    >>> _slice_lines(passage, 11, 45)
    [Line(number=1, text='twelfth grade. and Either I'), Line(number=2, text='One ye')]
    """
    found: list[Line] = []
    offset = 0
    for line in passage.lines:
        text = " ".join(line.text.split())
        low, high = max(start, offset), min(end, offset + len(text))
        if low < high:
            found.append(Line(line.number, text[low - offset:high - offset]))
        offset += len(text) + 1
    return found


def parse_pattern_paths(passage: Passage, rules: Rules, markers: re.Pattern[str], levels_within_class: bool = False
                        ) -> tuple[tuple[RequirementPath, ...], tuple[Text, ...]]:
    """Alternatives written as patterns ("Either I ... Or II ... Or III"), each a path; text before the first
    pattern is a condition of every path when it states one ("Education: ... and Either I"), else a note.
    ``markers`` finds the pattern openings; its group ``label`` (or ``label<n>``) is the pattern's label.

    >>> from rolegraph.parser.tables import load_rules
    >>> from rolegraph.parser.layouts import load_layout_rules
    >>> marker = load_layout_rules().marker
    >>> lines = [Line(1, "Education: Equivalent to graduation from college. and Either I"),
    ...          Line(2, "One year of experience performing the duties of a Conservation Supervisor."),
    ...          Line(3, "Or II"), Line(4, "Two years of experience in program operations.")]
    >>> paths, notes = parse_pattern_paths(Passage(lines, "a.txt", "0"), load_rules(), marker)
    >>> [(path.number, [item.label for item in path.items]) for path in paths]
    [(1, ['', 'I']), (2, ['', 'II'])]
    >>> [(e.months, e.in_classes) for e in paths[0].items[1].experience]
    [(Decimal('12'), ('Conservation Supervisor',))]
    """
    found = list(markers.finditer(passage.text))
    if rules.bulletin is None or not found:
        return (), ()
    lead_lines = _slice_lines(passage, 0, found[0].start())
    shared: list[RequirementItem] = []
    notes: list[Text] = []
    if lead_lines:
        lead = _item(_Node("", "lead", lead_lines), passage, rules, levels_within_class)
        if lead.understood:
            shared.append(lead)
        else:
            span = Passage(lead_lines, passage.source, passage.sha256)
            notes.append(Text(span.text, span.where()))
    paths = []
    for number, match in enumerate(found, start=1):
        end = found[number].start() if number < len(found) else len(passage.text)
        own = _slice_lines(passage, match.end(), end)
        if not own:
            continue
        item = _item(_Node(marker_label(match), "pattern", own), passage, rules, levels_within_class)
        where = Passage(_slice_lines(passage, match.start(), end), passage.source, passage.sha256).where()
        paths.append(RequirementPath(len(paths) + 1, (*shared, item), where))
    return tuple(paths), tuple(notes)
