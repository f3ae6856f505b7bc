"""Split a source document into its header and its sections, using the heading table."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import partial

from rolegraph.model import Line, SourceDocument
from rolegraph.parser.tables import Rules, fold

__all__ = ["RawSection", "SplitDocument", "heading_of", "split_sections"]

MAX_INLINE_HEADING = 60  # characters before the colon of "Heading: text"
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
    """
    stripped = text.strip()
    if "(cont" in stripped.lower():  # what CONTINUED needs; most lines have none
        stripped = CONTINUED.sub("", stripped)
    whole = fold(stripped.rstrip(":*").strip())
    if whole in rules.heading_to_section:
        return rules.heading_to_section[whole], stripped.rstrip(":*").strip(), ""
    colon = stripped.find(":")
    if 0 < colon <= MAX_INLINE_HEADING:
        lead = fold(stripped[:colon])
        if lead in rules.heading_to_section:
            return rules.heading_to_section[lead], stripped[:colon].strip(), stripped[colon + 1:].strip()
    return None


def split_sections(document: SourceDocument, rules: Rules) -> SplitDocument:
    """Header = lines before the first heading with content; each heading opens a section.

    Headings in the "ignore" section (page titles, containers) do not end the header; after it they open
    a section of that name, whose text (usually none) is kept as is.
    """
    header: list[Line] = []
    sections: list[RawSection] = []
    current: RawSection | None = None
    seen_content_heading = False
    heading_in = rules.memo("heading", partial(heading_of, rules=rules))
    for line in document.lines:
        found = heading_in(line.text)
        if found is None:
            (current.lines if current is not None else header).append(line)
            continue
        name, heading, rest = found
        if name == "ignore" and not seen_content_heading:
            header.append(Line(line.number, ""))  # a page title: keeps header paragraphs apart
            continue
        seen_content_heading = seen_content_heading or name != "ignore"
        if current is not None:  # "NOTES" after "ANNUAL SALARY" are salary notes (headings.toml [after])
            after = rules.section_after.get(name, {}).get(current.name, name)
            if after != name and after == current.name:  # a label inside the section ("Education:") goes on in it
                current.lines.append(line)
                continue
            name = after
        current = RawSection(name, heading, line.number)
        sections.append(current)
        if rest:
            current.lines.append(Line(line.number, rest))
    return SplitDocument(header, sections)
