"""Label facts: the "Label: value" pairs of a document's header block, read through one vocabulary of label
synonyms (rules/labels.toml) into the fields they fill.

A pair may be a "Label: value" line (a reader's label block renders to one), several pairs on one line set apart
by wide spaces, a table row of label and value cells, or a label alone on its line with its value on the next.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rolegraph.model import Line
from rolegraph.parser.tables import LabelRule, LabelRules, collapse

__all__ = ["LabelFact", "read_label_facts", "label_pairs", "is_label_line"]

WIDE_SPACE = re.compile(r"\s{3,}|\t+")  # sets apart the pairs of a fixed-width line ("CLASS CODE:    6240")
MARKUP = re.compile(r"[*_]{1,3}")  # Markdown emphasis around a label ("**Department:**")
BOX_NUMBER = re.compile(r"^\s*(?:\d{1,2}|[a-z])\.\s+(?=[A-Za-z])")  # a form's box number ("15. Title of Position")
MAX_VALUE_CHARS = 120  # a value alone on the line after its label is at most this long


@dataclass(frozen=True)
class LabelFact:
    """The fields one label pair fills, with the line it is on; ``modelled``: the model keeps every one."""

    fields: dict[str, str]
    first: int  # the label's line
    last: int  # the value's line (the same, but for a label alone on its line)
    modelled: bool


def _split_colon(text: str) -> tuple[str, str] | None:
    """("Label", "value") of a "Label: value" text (value may be empty), else None.

    >>> _split_colon("**Department:** Community Development"), _split_colon("no colon")
    (('Department', 'Community Development'), None)
    >>> _split_colon("15. Title of Position: Management Analyst")
    ('Title of Position', 'Management Analyst')
    """
    text = MARKUP.sub("", text)
    label, colon, value = text.partition(":")
    if not colon or not label.strip():
        return None
    return collapse(BOX_NUMBER.sub("", label, count=1)), collapse(value)


def _cells(text: str) -> list[str] | None:
    """The cells of a table row ("a | b", Markdown "| a | b |"); None for a line that is not one."""
    if "|" not in text:
        return None
    stripped = text.strip().removeprefix("|").removesuffix("|")
    cells = [collapse(cell) for cell in stripped.split("|")]
    if all(re.fullmatch(r":?-{2,}:?", cell) or not cell for cell in cells):
        return []
    return cells if len(cells) >= 2 else None


def label_pairs(text: str, rules: LabelRules, column: int | None = None) -> list[tuple[str, str]]:
    """The (label, value) pairs of one line whose labels are in the vocabulary.

    ``column`` picks a class's value in a row with a value per class ("Class Code | 4311 | 4312").

    >>> from rolegraph.parser.tables import load_label_rules
    >>> rules = load_label_rules()
    >>> label_pairs("CLASS TITLE:     HEAVY EQUIPMENT MECHANIC             CLASS CODE:    6240", rules)
    [('CLASS TITLE', 'HEAVY EQUIPMENT MECHANIC'), ('CLASS CODE', '6240')]
    >>> label_pairs("| Position Title | Policy Analyst |", rules), label_pairs("Class Code | 4311 | 4312", rules, 1)
    ([('Position Title', 'Policy Analyst')], [('Class Code', '4312')])
    >>> label_pairs("You will be responsible for: leading", rules)
    []
    """
    cells = _cells(text)
    if cells is None:
        segments = [segment for segment in WIDE_SPACE.split(text.strip()) if segment]
    else:
        segments = [cell for cell in cells if cell]
        if (cells and not cells[0]) or not segments:
            return []  # a row with an empty first cell is a table's header (the titles of a series)
    pairs: list[tuple[str, str]] = []
    index = 0
    while index < len(segments):
        segment = MARKUP.sub("", segments[index]).strip()
        split = _split_colon(segment)
        label, value = split if split is not None else (segment, "")
        index += 1
        if rules.entries_of(label) is None:
            continue
        if not value and index < len(segments) and rules.entries_of(segments[index].rstrip(":")) is None:
            rest = [MARKUP.sub("", cell).strip() for cell in segments[index:]]
            values = rest if cells is not None else rest[:1]
            if len(values) > 1 and all(_split_colon(cell) is None and rules.entries_of(cell) is None
                                       for cell in values):
                if column is None or column >= len(values):
                    break
                value, index = values[column], len(segments)
            else:
                value, index = values[0], index + 1
        if value:
            pairs.append((label, value))
    return pairs


def _names_label(label: str, rules: LabelRules) -> bool:
    """Whether a label is in the vocabulary, or joins two ("Cabinet / Department") one of which is."""
    return rules.entries_of(label) is not None or (
        "/" in label and any(rules.entries_of(part) is not None for part in label.split("/") if part.strip()))


def _glued_pair(text: str, rules: LabelRules) -> list[tuple[str, str]]:
    """A label run into its value with no space or colon, as term/value spans of a web page lose it
    ("Job Code3402", "DepartmentPublic Library"): the longest label of the vocabulary the text opens with.

    >>> from rolegraph.parser.tables import load_label_rules
    >>> _glued_pair("DepartmentPublic Library", load_label_rules()), _glued_pair("Classified staff", load_label_rules())
    ([('Department', 'Public Library')], [])
    """
    text = collapse(text)
    if ":" in text or "|" in text or len(text) > 120:
        return []
    for end in range(min(len(text) - 1, 41), 2, -1):
        label, value = text[:end], text[end:]
        if label[-1].islower() and (value[0].isupper() or value[0].isdigit() or value[0] in "$\u00a3\u20ac") \
                and rules.label_to_entries.get(label.casefold()) is not None:
            return [(label, value)]
    return []


def is_label_line(text: str, rules: LabelRules) -> bool:
    """Whether a line is the labels' alone: a table row of label and value cells, or several pairs on one line.

    >>> from rolegraph.parser.tables import load_label_rules
    >>> rules = load_label_rules()
    >>> is_label_line("Job title: | Senior Planning Officer", rules), is_label_line("Job Title: Clerk", rules)
    (True, False)
    """
    pairs = label_pairs(text, rules)
    return len(pairs) >= 2 or (bool(pairs) and "|" in text)


def _fields(label: str, value: str, rules: LabelRules) -> dict[str, str]:
    """The fields a pair fills: its label's entries tried in order, the first whose value pattern matches.

    A label joining two ("Cabinet / Department") names each part; a value of as many comma-separated parts
    gives each label part its own.
    """
    entries = rules.entries_of(label)
    if entries:
        return _match(entries, value)
    parts = [part for part in re.split(r"\s*/\s*", label) if part]
    values = [part for part in re.split(r"\s*,\s*|\s+/\s+", value) if part]
    found: dict[str, str] = {}
    for number, part in enumerate(parts):
        entries = rules.entries_of(part)
        if entries:
            own = values[number] if len(values) == len(parts) else value
            for key, text in _match(entries, own).items():
                found.setdefault(key, text)
    return found


def _match(entries: Sequence[LabelRule], value: str) -> dict[str, str]:
    for entry in entries:
        match = entry.pattern.match(value)
        if match is not None:
            return {key: collapse(text) for key, text in match.groupdict().items() if text}
    return {}


def read_label_facts(lines: Sequence[Line], rules: LabelRules, column: int | None = None) -> list[LabelFact]:
    """The label facts of ``lines`` in order, each pair's fields with its line (a label alone on its line takes
    the next non-blank line as its value, when that is short and no label)."""
    facts: list[LabelFact] = []
    taken: set[int] = set()
    for index, line in enumerate(lines):
        if line.number in taken or not line.text.strip():
            continue
        pairs = label_pairs(line.text, rules, column) or _glued_pair(line.text, rules)
        last = line.number
        if not pairs:
            alone = MARKUP.sub("", collapse(line.text)).rstrip(":").strip()
            following = next((other for other in lines[index + 1:index + 3] if other.text.strip()), None)
            if (following is None or not _names_label(alone, rules) or "|" in following.text
                    or len(collapse(following.text)) > MAX_VALUE_CHARS
                    or rules.entries_of(collapse(following.text).rstrip(":")) is not None
                    or _split_colon(following.text) is not None):
                continue
            pairs, last = [(alone, collapse(following.text))], following.number
            taken.add(following.number)
        for label, value in pairs:
            fields = _fields(label, value, rules)
            if fields:
                facts.append(LabelFact(fields, line.number, last, all(key in rules.modelled for key in fields)))
    return facts
