"""Split a source document into its header and its sections, using the heading table."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from functools import partial

from rapidfuzz import fuzz, process

from rolegraph.model import Line, SourceDocument
from rolegraph.parser.tables import Rules, collapse, fold

__all__ = ["RawSection", "SplitDocument", "heading_of", "near_heading_of", "split_sections"]

FUZZY_HEADING = 90  # rapidfuzz ratio (0-100) for a known heading line to name a heading of the vocabulary
MAX_INLINE_HEADING = 60  # characters before the colon of "Heading: text"
WORD = re.compile(r"[^\W\d_]{3}")  # a heading of no word of three letters ("I.", "Ii.", "____") opens no section
CONTINUED = re.compile(r"\s*\((?:continued|cont\.?)\)\s*$", re.IGNORECASE)  # a heading repeated on a new page


@dataclass
class RawSection:
    """A section as found: its canonical name, the heading as written, and its lines."""

    name: str
    heading: str
    heading_line: int
    lines: list[Line] = field(default_factory=list)


@dataclass
class SplitDocument:
    header: list[Line]
    sections: list[RawSection]


def heading_of(text: str, rules: Rules) -> tuple[str, str, str] | None:
    """Return (section, heading as written, rest of the line) when a line is or opens with a heading.

    >>> from rolegraph.parser.tables import load_rules
    >>> heading_of("Training and Experience:  Graduation from High School", load_rules())
    ('training_experience', 'Training and Experience', 'Graduation from High School')
    >>> heading_of("Typical Duties", load_rules())
    ('duties', 'Typical Duties', '')
    >>> heading_of("Job Code: 885.2", load_rules()) is None
    True
    >>> heading_of("1. Job Purpose", load_rules()), heading_of("2. Experience: Two years.", load_rules())
    (('summary', 'Job Purpose', ''), None)
    """
    stripped = text.strip()
    if "(cont" in stripped.lower():  # what CONTINUED needs; most lines have none
        stripped = CONTINUED.sub("", stripped)
    stripped = rules.heading_prefix.sub("", stripped, count=1)  # "Section II. Position Purpose"
    stripped = rules.heading_trailer.sub("", stripped, count=1)  # "... Position   Level 1-7, 1250 Points"
    whole = fold(stripped.rstrip(":*").strip())
    if whole in rules.heading_to_section:
        return rules.heading_to_section[whole], stripped.rstrip(":*").strip(), ""
    if stripped[:1].isdigit() or stripped[:2].startswith("("):  # "1. Job Purpose": a numbered heading, alone
        unnumbered = rules.heading_number.sub("", stripped, count=1).rstrip(":*").strip()
        if unnumbered != stripped and fold(unnumbered) in rules.heading_to_section:
            return rules.heading_to_section[fold(unnumbered)], unnumbered, ""
    colon = stripped.find(":")
    if 0 < colon <= MAX_INLINE_HEADING:
        lead = fold(stripped[:colon])
        if lead in rules.heading_to_section:
            return rules.heading_to_section[lead], stripped[:colon].strip(), stripped[colon + 1:].strip()
    return None


def near_heading_of(text: str, rules: Rules) -> tuple[str, str, str] | None:
    """``heading_of``, or else the section whose heading is nearest (rapidfuzz ratio >= FUZZY_HEADING): for a line
    the reader knows to be a heading ("Knowledges and Abilities", "Minimum Qualification").

    >>> from rolegraph.parser.tables import load_rules
    >>> near_heading_of("Minimum Qualificatons", load_rules())
    ('requirements', 'Minimum Qualificatons', '')
    >>> near_heading_of("Definition of Levels and Standards", load_rules())[0]
    'summary'
    >>> near_heading_of("Felony Disqualification", load_rules()) is None
    True
    """
    found = heading_of(text, rules)
    if found is not None:
        return found
    stripped = collapse(text).rstrip(":*").strip()
    words = fold(stripped).split()
    for end in range(len(words) - 1, 1, -1):  # "Minimum Qualifications for", "Definition of Levels and Standards"
        section = rules.heading_to_section.get(" ".join(words[:end]))
        if section is not None:
            return section, stripped, ""
    best = process.extractOne(fold(stripped), list(rules.heading_to_section), scorer=fuzz.ratio,
                              score_cutoff=FUZZY_HEADING)
    return (rules.heading_to_section[best[0]], stripped, "") if best is not None else None


def split_sections(document: SourceDocument, rules: Rules, headings: Mapping[int, int | None] | None = None,
                   not_headings: Collection[int] = ()) -> SplitDocument:
    """Header = lines before the first heading with content; each heading opens a section.

    Headings in the "ignore" section (page titles, containers) do not end the header; after it they open
    a section of that name, whose text (usually none) is kept as is.

    ``headings`` (line number -> heading level, None when unknown) are the lines a structured reader knows to be
    headings: one in the vocabulary, or near a heading of it, opens its section; any other opens an "other"
    section kept as text, unless it is deeper than the heading of the section it is in (a sub-heading).
    ``not_headings`` are lines that never open a section (a series' class sub-headings, read by scoping).
    """
    header: list[Line] = []
    sections: list[RawSection] = []
    current: RawSection | None = None
    current_level: int | None = None
    seen_content_heading = False
    heading_in = rules.memo("heading", partial(heading_of, rules=rules))
    known = headings or {}
    for line in document.lines:
        found = None if line.number in not_headings else heading_in(line.text)
        level = known.get(line.number)
        if found is None and line.number in known and line.number not in not_headings:
            found = rules.memo("near heading", partial(near_heading_of, rules=rules))(line.text)
            deeper = level is not None and current_level is not None and level > current_level
            if found is None and not deeper and current is not None and WORD.search(line.text):
                found = ("other", collapse(line.text).rstrip(":").strip(), "")
        if found is None:
            (current.lines if current is not None else header).append(line)
            continue
        name, heading, rest = found
        if name == "ignore" and not seen_content_heading:
            header.append(Line(line.number, ""))  # a page title: keeps header paragraphs apart
            continue
        seen_content_heading = seen_content_heading or name != "ignore"
        if rest and current is not None and current.name in rules.inline_within.get(fold(heading), ()):
            current.lines.append(line)  # "NOTE: ..." inside the minimum qualifications is part of them
            continue
        if current is not None:  # "NOTES" after "ANNUAL SALARY" are salary notes (headings.toml [after])
            after = rules.section_after.get(name, {}).get(current.name, name)
            if after != name and after == current.name:  # a label inside the section ("Education:") goes on in it
                current.lines.append(line)
                continue
            name = after
        current = RawSection(name, heading, line.number)
        current_level = level
        sections.append(current)
        if rest:
            current.lines.append(Line(line.number, rest))
    return SplitDocument(header, sections)
