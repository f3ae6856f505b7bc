"""Provenance back to the file: a parsed class's line ranges (ordinals of a structured reader's rendered lines)
translated to the place a person finds in the file (an HTML line, a PDF page and line, a DOCX paragraph).

A pure function over the frozen model: every :class:`~rolegraph.model.Provenance` of the class tree that names
the document is replaced; everything else is shared, not copied.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace
from functools import cache
from typing import Any, TypeVar

from rolegraph.model import Locator, Provenance, SourceDocument

__all__ = ["relocate", "relocate_provenance", "locator_range"]

Tree = TypeVar("Tree")


def locator_range(start: Locator, end: Locator) -> str | None:
    """What a report prints for a range of two locators; None where the line numbers say it all (text, HTML).

    >>> locator_range(Locator(14, page=2), Locator(20, page=2))
    'p. 2, lines 14-20'
    >>> locator_range(Locator(37, paragraph=37), Locator(39, paragraph=39))
    'paragraphs 37-39'
    >>> locator_range(Locator(40, page=1), Locator(2, page=2))
    'p. 1, line 40 - p. 2, line 2'
    >>> locator_range(Locator(7), Locator(9)) is None
    True
    """
    if start.paragraph is None and start.page is None:
        return None
    if start == end:
        return str(start)
    if start.paragraph is not None and end.paragraph is not None:
        return f"paragraphs {start.paragraph}-{end.paragraph}"
    if start.page is not None and start.page == end.page:
        return f"p. {start.page}, lines {start.line}-{end.line}"
    return f"{start} - {end}"


def _file_line(locator: Locator, ordinal: int) -> int:
    """The line number a Provenance keeps: the paragraph (DOCX), the file line (HTML), or for a PDF the ordinal
    itself (PDF lines are numbered through the whole document, as they always were)."""
    if locator.paragraph is not None:
        return locator.paragraph
    if locator.page is not None:
        return ordinal
    return locator.line


def relocate_provenance(where: Provenance, document: SourceDocument) -> Provenance:
    """One Provenance of ``document`` translated to the file (others are returned as they are).

    >>> from pathlib import Path
    >>> from rolegraph.model import Line
    >>> doc = SourceDocument(Path("a.docx"), "0", "x", (Line(1, "A"), Line(2, ""), Line(3, "B")),
    ...                      locators=(Locator(4, paragraph=4), Locator(4, paragraph=4), Locator(6, paragraph=6)))
    >>> str(relocate_provenance(Provenance("a.docx", "0", 1, 3), doc))
    'a.docx:paragraphs 4-6'
    """
    if not document.locators or where.source != document.name or where.sha256 != document.sha256:
        return where
    start, end = document.locate(where.line_start), document.locate(where.line_end)
    return replace(where, line_start=_file_line(start, where.line_start), line_end=_file_line(end, where.line_end),
                   locator=locator_range(start, end))


def relocate(job_class: Tree, document: SourceDocument) -> Tree:
    """``job_class`` (or any frozen dataclass tree) with every Provenance of ``document`` translated to the file.

    A document without locators (plain text, Markdown: line numbers are file lines) gives ``job_class`` itself.
    """
    if not document.locators:
        return job_class
    done: dict[int, Any] = {}

    def walk(value: Any) -> Any:
        if isinstance(value, Provenance):
            return relocate_provenance(value, document)
        if isinstance(value, tuple):
            items = tuple(walk(item) for item in value)
            return value if all(new is old for new, old in zip(items, value, strict=True)) else items
        if not is_dataclass(value) or isinstance(value, type):
            return value
        key = id(value)
        if key not in done:
            changes = {}
            for name in _field_names(type(value)):
                old = getattr(value, name)
                new = walk(old)
                if new is not old:
                    changes[name] = new
            done[key] = replace(value, **changes) if changes else value
        return done[key]

    return walk(job_class)


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(item.name for item in fields(cls))
