"""Layouts: which kind of document this is, and which rule families read it (``parser/rules/layouts.toml``).

A layout is data: how to recognise it (the sections it has, a titles table, requirement patterns) and what it
turns on. The last layout, "general", takes every document the others do not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from rolegraph.errors import RuleError
from rolegraph.resources import rule_table

__all__ = ["Layout", "LayoutRules", "load_layout_rules", "detect_layout", "FAMILIES", "OMITTABLE"]

FAMILIES = frozenset({"class_table", "bulletin", "requirement_items", "requirement_patterns", "requirement_text",
                      "level_distinctions"})
OMITTABLE = frozenset({"summary", "duties", "ksa", "pay", "requirements"})
DETECT_KEYS = frozenset({"sections", "min_sections", "class_table", "patterns", "lines"})


@dataclass(frozen=True)
class Layout:
    """A kind of document: how it is recognised and what reads it.

    ``omits`` are the fields its documents never print; validation and coverage do not ask them of its classes.
    """

    name: str
    sections: frozenset[str]
    lines: re.Pattern[str] | None  # a line the document must have (case-insensitive), else None
    min_sections: int
    class_table: bool
    patterns: bool
    families: frozenset[str]
    omits: tuple[str, ...]
    example: tuple[str, ...]
    expect: str
    levels_within_class: bool = False  # "Associate III" names class Associate, at its level III

    def matches(self, sections: Iterable[str], class_table: bool, patterns: bool, lines: Iterable[str] = ()) -> bool:
        """Whether a document with these section names, titles table, pattern markers and lines is of this layout."""
        if self.lines is not None and not any(self.lines.search(line) for line in lines):
            return False
        if self.class_table and not class_table:
            return False
        if self.patterns and not patterns:
            return False
        if self.sections and len(self.sections & set(sections)) < self.min_sections:
            return False
        return True


@dataclass(frozen=True)
class LayoutRules:
    layouts: tuple[Layout, ...]
    markers: tuple[tuple[str, re.Pattern[str], str, dict[str, str]], ...]  # name, pattern, example, expected groups

    @property
    def marker(self) -> re.Pattern[str]:
        """Every pattern marker as one pattern (group ``label``)."""
        return _joined_markers(tuple(pattern.pattern for _, pattern, _, _ in self.markers))


@cache
def _joined_markers(patterns: tuple[str, ...]) -> re.Pattern[str]:
    pieces = [pattern.replace("(?P<label>", f"(?P<label{index}>") for index, pattern in enumerate(patterns)]
    return re.compile("|".join(f"(?:{piece})" for piece in pieces))


def marker_label(match: re.Match[str]) -> str:
    """The label of a match of :attr:`LayoutRules.marker` ("II", "B")."""
    return next(value for key, value in match.groupdict().items() if key.startswith("label") and value)


@cache
def load_layout_rules() -> LayoutRules:
    """The layouts and pattern markers compiled; raises RuleError naming the entry when one is malformed."""
    layouts = []
    for entry in rule_table("layouts")["layout"]:
        name = entry.get("name", "?")
        detect = entry.get("detect", {})
        unknown = (set(detect) - DETECT_KEYS) | (set(entry.get("families", [])) - FAMILIES) | (
            set(entry.get("omits", [])) - OMITTABLE)
        if unknown:
            raise RuleError(f"layout {name!r}: unknown {', '.join(sorted(unknown))}")
        sections = frozenset(detect.get("sections", []))
        try:
            lines = (re.compile("|".join(f"(?:{p})" for p in detect["lines"]), re.IGNORECASE)
                     if "lines" in detect else None)
        except re.error as error:
            raise RuleError(f"layout {name!r}: detect.lines does not compile: {error}") from None
        layouts.append(Layout(
            name, sections, lines, int(detect.get("min_sections", 1)), bool(detect.get("class_table")),
            bool(detect.get("patterns")), frozenset(entry.get("families", [])), tuple(entry.get("omits", [])),
            tuple(entry.get("example", [])), entry.get("expect", name), bool(entry.get("levels_within_class", False))))
    last = layouts[-1] if layouts else None
    if last is None or last.sections or last.class_table or last.patterns or last.lines is not None:
        raise RuleError("layouts.toml: the last layout must detect nothing (it takes every other document)")
    markers = []
    for entry in rule_table("patterns")["marker"]:
        name = entry.get("name", "?")
        try:
            pattern = re.compile(entry["pattern"])
        except (KeyError, re.error) as error:
            raise RuleError(f"pattern marker {name!r}: {error}") from None
        if "label" not in pattern.groupindex:
            raise RuleError(f"pattern marker {name!r}: no group 'label'")
        markers.append((name, pattern, entry.get("example", ""), dict(entry.get("expect", {}))))
    return LayoutRules(tuple(layouts), tuple(markers))


def detect_layout(sections: Iterable[str], class_table: bool, patterns: bool,
                  rules: LayoutRules | None = None, lines: Iterable[str] = ()) -> Layout:
    """The first layout whose detection holds for a document.

    >>> detect_layout(["summary", "requirements"], False, False).name
    'class-specification'
    >>> detect_layout(["salary", "where_to_apply", "duties"], False, False).name, detect_layout([], True, True).name
    ('job-bulletin', 'class-series')
    >>> detect_layout(["salary", "duties"], False, False).name  # a posting's salary label: no bulletin
    'general'
    >>> detect_layout(["duties"], False, False).name
    'general'
    """
    rules = rules or load_layout_rules()
    names = set(sections)
    texts = tuple(lines)
    return next(layout for layout in rules.layouts if layout.matches(names, class_table, patterns, texts))
