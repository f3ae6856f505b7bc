"""Page furniture: page numbers and headers repeated on later pages, removed before parsing."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib.resources import files

from rolegraph.model import Line

__all__ = ["PAGE_NUMBER_PATTERNS", "FURNITURE_TABLE", "furniture_rules", "furniture_patterns", "drop_furniture"]

FURNITURE_TABLE = "furniture.toml"  # beside this module: PDF furniture lines, web page date stamps (with examples)


@cache
def furniture_rules(table: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    """The (pattern, example) pairs of one table of FURNITURE_TABLE ("pdf_furniture", "page_stamp")."""
    data = tomllib.loads(files("rolegraph.readers").joinpath(FURNITURE_TABLE).read_text(encoding="utf-8"))
    return tuple((re.compile(entry["pattern"], re.IGNORECASE), entry["example"]) for entry in data[table])


def furniture_patterns(table: str) -> tuple[re.Pattern[str], ...]:
    """The patterns of one table of FURNITURE_TABLE.

    >>> bool(furniture_patterns("page_stamp")[0].match("Updated: 6/16/2016"))
    True
    """
    return tuple(pattern for pattern, _example in furniture_rules(table))

# A whole line that is nothing but a page marker.
PAGE_NUMBER_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"^\s*page\s+\d+(\s+of\s+\d+)?\s*$", re.IGNORECASE),
    re.compile(r"^\s*-\s*\d+\s*-\s*$"),
    re.compile(r"^\s*\d+\s+of\s+\d+\s*$", re.IGNORECASE),
)

_PAGE_NUMBER = re.compile("|".join(f"(?:{pattern.pattern})" for pattern in PAGE_NUMBER_PATTERNS), re.IGNORECASE)
MIN_REPEATED_HEADER_LINES = 2
MAX_HEADER_LINES = 8


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def drop_furniture(lines: list[Line], page_starts: tuple[int, ...] = ()) -> tuple[Line, ...]:
    """Return ``lines`` without page numbers and without later repeats of the opening header block.

    ``page_starts`` are indexes into ``lines`` where a new page begins (PDF); a bare number alone
    on the first or last line of a page is taken as a page number there.

    >>> doc = [Line(1, "SPEC"), Line(2, "Code 1"), Line(3, "Body"), Line(4, "Page 1 of 2"),
    ...        Line(5, "SPEC"), Line(6, "Code 1"), Line(7, "More")]
    >>> [line.text for line in drop_furniture(doc)]
    ['SPEC', 'Code 1', 'Body', 'More']
    """
    dropped = {index for index, line in enumerate(lines) if _PAGE_NUMBER.match(line.text)}
    edges = {start for start in page_starts} | {start - 1 for start in page_starts if start > 0}
    for index in edges:
        if 0 <= index < len(lines) and lines[index].text.strip().isdigit():
            dropped.add(index)
    dropped |= _repeated_header(lines)
    return tuple(line for index, line in enumerate(lines) if index not in dropped)


def _repeated_header(lines: list[Line]) -> set[int]:
    """Indexes of later occurrences of the document's first non-blank lines (a running header).

    A repeat must match at least MIN_REPEATED_HEADER_LINES lines of the opening block, and is never
    longer than the text between it and the start.
    """
    content = [index for index, line in enumerate(lines) if line.text.strip()]
    header = [_fold(lines[index].text) for index in content[:MAX_HEADER_LINES]]
    openings = {line.split(" ", 1)[0] for line in header}  # a line can only repeat the header if it opens alike
    folded: dict[int, str | None] = {}

    def fold_at(position: int) -> str | None:
        if position not in folded:
            text = lines[content[position]].text
            folded[position] = _fold(text) if text.split(None, 1)[0].casefold() in openings else None
        return folded[position]

    dropped: set[int] = set()
    position = MIN_REPEATED_HEADER_LINES
    while position < len(content):
        longest = min(len(header), position, len(content) - position)
        matched = 0
        while matched < longest and fold_at(position + matched) == header[matched]:
            matched += 1
        if matched >= MIN_REPEATED_HEADER_LINES:
            dropped.update(content[position:position + matched])
            position += matched
        else:
            position += 1
    return dropped
