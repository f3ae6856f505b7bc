"""Load the parsing rule tables (parser/rules/*.toml) once into compiled, frozen rules.

The tables are the parser's knowledge of layouts; this module only checks and compiles them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, cached_property, lru_cache
from typing import Any

from rolegraph.errors import RuleError
from rolegraph.resources import rule_table

__all__ = ["PhraseRule", "LineRule", "AnyRule", "LicenseRules", "BulletinRules", "FoldedTitles", "Rules", "load_rules",
           "fold", "collapse", "LineMemo", "has_required", "LabelRule", "LabelRules", "load_label_rules"]


MEMO_LIMIT = 50_000  # answers a LineMemo keeps; past that it starts over, so a long build stays small


@lru_cache(maxsize=1 << 16)  # the same lines and names come back again and again
def fold(text: str) -> str:
    """Case-fold and collapse white space, for comparing headings and names.

    >>> fold("  Typical   DUTIES ")
    'typical duties'
    """
    return collapse(text).casefold()


@lru_cache(maxsize=1 << 16)
def collapse(text: str) -> str:
    """Collapse white space (runs become one space, none at either end).

    >>> collapse("  office  work. ")
    'office work.'
    """
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text  # printable text's only white space is " ": single spaces between words, already collapsed
    return " ".join(text.split())


# Characters an ignore-case pattern takes for an ASCII letter that str.lower() leaves alone or makes two of.
IGNORECASE_ASCII_TWINS = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})


def has_required(text: str, requires: tuple[str, ...]) -> bool:
    """Whether one of the lower-case words ``requires`` occurs in ``text`` read as an ignore-case pattern reads it
    (True when there are none): False means no match of a pattern each of whose matches contains one of them can
    be found in ``text``.

    >>> has_required("Long \u017fervice", ("service",)), has_required("Long term", ("service", "hours"))
    (True, False)
    """
    if not requires:
        return True
    folded = (text if text.isascii() else text.translate(IGNORECASE_ASCII_TWINS)).lower()
    for word in requires:
        if word in folded:
            return True
    return False


def search_from(pattern: re.Pattern[str], text: str, opening: str) -> re.Match[str] | None:
    """``pattern.search(text)`` for an ignore-case pattern every match of which begins with ``opening`` (lower
    case): the search starts where ``opening`` first occurs, read as the pattern reads it, rather than trying
    every position before (a whole LA bulletin's text: 47 µs -> 10 µs).

    >>> statement = re.compile(r"to be given (?P<basis>\\w+)", re.IGNORECASE)
    >>> search_from(statement, "It is TO BE GIVEN openly. To be \u017fure.", "to be given").group("basis")
    'openly'
    >>> search_from(statement, "IS TO BE G\u0130VEN ONLY", "to be given").group("basis")  # dotted capital I
    'ONLY'
    >>> search_from(statement, "To be issued", "to be given") is None
    True
    """
    folded = (text if text.isascii() else text.translate(IGNORECASE_ASCII_TWINS)).lower()
    start = folded.find(opening)
    return None if start < 0 else pattern.search(text, start)


def _required_words(value: str | list[str]) -> tuple[str, ...]:
    """A table's ``requires`` (a word, or a list of words one of which every match contains) in lower case."""
    return tuple(word.lower() for word in ([value] if isinstance(value, str) else value))


class Memos:
    """Mixin for rule sets: :meth:`memo` keeps a LineMemo per question asked of every line."""

    @cached_property
    def memos(self) -> dict[str, LineMemo]:
        return {}

    def memo(self, question: str, ask: Callable[[str], Any]) -> LineMemo:
        """The LineMemo of ``question`` (made with ``ask`` the first time): answers must depend on the line's
        text and these rules alone."""
        found = self.memos.get(question)
        if found is None:
            found = self.memos[question] = LineMemo(ask)
        return found


class LineMemo(dict[str, Any]):
    """Answers to one question asked of every line, by the line's text: bulletins repeat most of their lines
    (three in four of the LA corpus's 59,769 lines are repeats), so each distinct line is worked out once.
    Calling it looks the answer up (a dict lookup, no Python call when it is known).

    >>> ask = LineMemo(str.upper)
    >>> ask("salary"), ask("salary"), len(ask)
    ('SALARY', 'SALARY', 1)
    """

    __slots__ = ("ask",)

    def __init__(self, ask: Callable[[str], Any]) -> None:
        super().__init__()
        self.ask = ask

    def __missing__(self, text: str) -> Any:
        if len(self) >= MEMO_LIMIT:
            self.clear()
        answer = self[text] = self.ask(text)
        return answer

    __call__ = dict.__getitem__


@dataclass(frozen=True)
class PhraseRule:
    """A named pattern that fills ``field``; ``example`` must match, and its match must capture ``expect``: each
    named group with what it takes from the example (None: no part in the match). A test checks every rule."""

    name: str
    field: str
    pattern: re.Pattern[str]
    example: str
    region: str = "any"
    # lower-case words one of which every match contains: text with none of them is skipped, pattern unrun
    requires: tuple[str, ...] = ()
    # A line rule's value may go on over the lines right after it that match this (a title on two lines).
    continued_by: re.Pattern[str] | None = None
    expect: tuple[tuple[str, str | None], ...] = ()  # (group, what it captures from the example), table order

    def could_match(self, text: str) -> bool:
        """False when ``text`` lacks what every match contains (a cheap test before the pattern).

        >>> rule = PhraseRule("r", "f", re.compile("may substitute", re.IGNORECASE), "", requires=("substitut",))
        >>> rule.could_match("Or more."), rule.could_match("MAY \u017fUBSTITUTE")
        (False, True)
        """
        return has_required(text, self.requires)


LineRule = PhraseRule


@dataclass(frozen=True)
class LicenseRules:
    names: re.Pattern[str]
    conditions: tuple[tuple[re.Pattern[str], str], ...]
    prefixes: re.Pattern[str]
    issuer: re.Pattern[str]
    within: re.Pattern[str]


NEVER = re.compile("(?!)")


@dataclass(frozen=True)
class AnyRule:
    """Whether any of some rules matches at the start of a text: the rules that require no words as one joined
    pattern, the rules that do as another, tried only on text containing one of their words."""

    joined: re.Pattern[str]
    guarded: re.Pattern[str]
    guard_words: tuple[str, ...]

    @classmethod
    def of(cls, rules: list[PhraseRule]) -> AnyRule:
        guarded = [rule for rule in rules if rule.requires]
        return cls(any_of(rule for rule in rules if not rule.requires), any_of(guarded),
                   tuple(word for rule in guarded for word in rule.requires))

    def match(self, text: str) -> bool:
        """Whether one of the rules matches at the start of ``text``.

        >>> rules = [PhraseRule("a", "a", re.compile("code:"), ""),
        ...          PhraseRule("b", "b", re.compile(".*branch", re.IGNORECASE), "", requires=("branch",))]
        >>> [AnyRule.of(rules).match(text) for text in ("code: 1", "Clerical Branch", "Clerical Group")]
        [True, True, False]
        """
        return self.joined.match(text) is not None or (
            has_required(text, self.guard_words) and self.guarded.match(text) is not None)


@dataclass(frozen=True)
class FoldedTitles:
    """BulletinRules' not_classes and shared_rest folded, and each strip prefix with its folded form + " "."""

    not_classes: frozenset[str]
    shared_rest: frozenset[str]
    strip_prefixes: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class BulletinRules(Memos):
    """Rules of the City of Los Angeles bulletin layout: salaries, exam type, requirement structure, feeders."""

    dwp_names: tuple[str, ...]
    salary_clause_break: re.Pattern[str]
    salary_amounts: tuple[PhraseRule, ...]
    salary_departments: tuple[PhraseRule, ...]
    exam_basis: re.Pattern[str]
    exam_basis_opening: str  # every match of exam_basis begins with it (lower case): see search_from
    exam_types: tuple[PhraseRule, ...]
    exam_notes: tuple[PhraseRule, ...]
    number_marker: re.Pattern[str]
    letter_marker: re.Pattern[str]
    conjunction: re.Pattern[str]
    any_of: re.Pattern[str]
    default_between_items: str
    default_between_subitems: str
    durations: tuple[PhraseRule, ...]
    schedules: tuple[PhraseRule, ...]
    class_mentions: tuple[PhraseRule, ...]
    not_classes: tuple[str, ...]
    shared_rest: tuple[str, ...]
    strip_prefixes: tuple[str, ...]
    abbreviations: dict[str, str]
    schools: tuple[PhraseRule, ...]
    majors: tuple[PhraseRule, ...]
    courses: tuple[PhraseRule, ...]
    license_name: re.Pattern[str]
    license_name_requires: tuple[str, ...]  # lower-case words one of which every license_name match contains
    license_type: re.Pattern[str]
    license_possible: tuple[re.Pattern[str], ...]
    license_required: tuple[re.Pattern[str], ...]
    exam_weights: tuple[PhraseRule, ...]
    experience_fallbacks: tuple[PhraseRule, ...] = ()
    license_names: tuple[PhraseRule, ...] = ()
    salary_continues: re.Pattern[str] = NEVER
    substitution_item: re.Pattern[str] = NEVER
    shared_item: re.Pattern[str] = NEVER
    lead_continues: re.Pattern[str] = NEVER
    title_qualifier: re.Pattern[str] = NEVER  # a list piece after a comma that qualifies the title before it
    meets_requirement: re.Pattern[str] = NEVER  # a note naming classes that meet an experience requirement
    entry_classes: tuple[PhraseRule, ...] = ()  # a note naming the class the required experience counts from
    classes_listed_below: re.Pattern[str] = NEVER  # a lead whose items below it are class titles
    listed_classes: tuple[PhraseRule, ...] = ()  # such an item
    leading_modifiers: re.Pattern[str] = NEVER  # words before a title that qualify its level ([class_titles] modifiers)
    roles_after: re.Pattern[str] = NEVER  # a list of lower-case roles after "as a" (group 1)
    points_elsewhere: re.Pattern[str] = NEVER  # a sentence that sends the reader to another section for the rule
    not_class_opening: re.Pattern[str] = NEVER  # a name opening so is no class (a place's status or body)
    field_clause_end: re.Pattern[str] = NEVER  # after a comma: where an experience field's clause ends
    field_cuts: tuple[PhraseRule, ...] = ()  # words of an experience requirement that are no part of its field
    field_not_alternatives: frozenset[str] = frozenset()  # "or larger": words after "or" naming no alternative
    field_shared_words: int = 8  # alternatives joined by "or" get at most this many words they share

    @cached_property
    def folded_titles(self) -> FoldedTitles:
        """The class-title word tables folded once, for comparing with folded text."""
        return FoldedTitles(frozenset(fold(name) for name in self.not_classes),
                            frozenset(fold(word) for word in self.shared_rest),
                            tuple((prefix, fold(prefix) + " ") for prefix in self.strip_prefixes))

    @property
    def phrase_rules(self) -> tuple[PhraseRule, ...]:
        return (self.salary_amounts + self.salary_departments + self.exam_types + self.exam_notes + self.durations
                + self.schedules + self.class_mentions + self.schools + self.majors + self.courses
                + self.exam_weights + self.experience_fallbacks + self.license_names + self.field_cuts
                + self.entry_classes + self.listed_classes)


@dataclass(frozen=True)
class Rules(Memos):
    heading_to_section: dict[str, str]
    line_rules: tuple[LineRule, ...]
    ksa_rules: tuple[PhraseRule, ...]
    education_rules: tuple[PhraseRule, ...]
    experience_rules: tuple[PhraseRule, ...]
    experience_part_rules: tuple[PhraseRule, ...]
    experience_part_introducers: re.Pattern[str]
    substitution_rules: tuple[PhraseRule, ...]
    state_rules: tuple[PhraseRule, ...]
    licenses: LicenseRules
    task_introducers: re.Pattern[str]
    level_order: tuple[str, ...]
    level_synonyms: dict[str, str]
    number_words: dict[str, Decimal]
    unit_months: dict[str, Decimal]
    states: tuple[str, ...]
    employer_names: dict[str, str]  # state -> its name as a jurisdiction employing directly ("Province of Ontario")
    gazetteer: dict[str, str]
    # numbering before a heading ("Section II. "), dropped before the heading is looked up (headings.toml)
    heading_prefix: re.Pattern[str] = NEVER
    # what follows a heading on its line and is no part of it ("Level 1-7, 1250 Points") (headings.toml [trailer])
    heading_trailer: re.Pattern[str] = NEVER
    # a number before a heading alone on its line ("1. Job Purpose") (headings.toml [numbered])
    heading_number: re.Pattern[str] = NEVER
    # heading's section -> {section it follows: section it becomes} (headings.toml [after])
    section_after: dict[str, dict[str, str]] = field(default_factory=dict)
    # heading -> sections in which it, written inline ("NOTE: text"), goes on (headings.toml [inline_within])
    inline_within: dict[str, frozenset[str]] = field(default_factory=dict)
    jurisdiction_rules: tuple[PhraseRule, ...] = ()
    not_a_specification: tuple[tuple[PhraseRule, str], ...] = ()
    file_name_rules: tuple[PhraseRule, ...] = ()  # a code in the file name, used when the text states none
    bulletin: BulletinRules | None = None

    @property
    def phrase_rules(self) -> tuple[PhraseRule, ...]:
        """Every rule that carries an example, for the rule-integrity test."""
        return (self.line_rules + self.ksa_rules + self.education_rules + self.experience_rules
                + self.experience_part_rules + self.substitution_rules + self.state_rules
                + self.jurisdiction_rules + tuple(rule for rule, _ in self.not_a_specification)
                + self.file_name_rules
                + (self.bulletin.phrase_rules if self.bulletin else ()))

    @cached_property
    def line_rules_any(self) -> dict[bool, AnyRule]:
        """header fallback? -> whether any of those line rules matches at a text's start (a cheap first test)."""
        return {fallback: AnyRule.of([rule for rule in self.line_rules if (rule.region == "header") == fallback])
                for fallback in (False, True)}

    @cached_property
    def any_state_rule(self) -> re.Pattern[str]:
        return any_of(self.state_rules)

    def canonical_level(self, word: str | None) -> str | None:
        """Map a level word to LEVEL_ORDER ("basic" -> "some"); None stays None."""
        if word is None:
            return None
        word = word.casefold()
        return word if word in self.level_order else self.level_synonyms.get(word)

    def months(self, number: str, unit: str) -> Decimal:
        """Return months for "two" "years" -> 24, "18" "months" -> 18; hours to the nearest month.

        >>> load_rules().months("2,080", "hours"), load_rules().months("1000", "hours")
        (Decimal('12'), Decimal('6'))
        """
        number = fold(number)
        value = self.number_words.get(number)
        if value is None:
            value = Decimal(number.replace(",", ""))
        per_unit = self.unit_months[unit.casefold()]
        if per_unit == per_unit.to_integral_value():
            return value * per_unit
        return (value * per_unit).quantize(Decimal(1), ROUND_HALF_UP)  # hours: to whole months


@dataclass(frozen=True)
class LabelRule:
    """One entry of labels.toml: its labels' values matching ``pattern`` (from their start) fill its named groups;
    ``example`` is "Label: value", and ``expect`` what each group captures from its value."""

    field: str
    labels: tuple[str, ...]
    pattern: re.Pattern[str]
    example: str
    expect: tuple[tuple[str, str | None], ...] = ()


# Fields of label facts the model keeps (JobClass); the others are read so they are taken for nothing else.
MODELLED_LABEL_FIELDS = frozenset({"title", "code", "grade", "pay_plan", "department", "series", "effective_date"})


@dataclass(frozen=True)
class LabelRules:
    """The label vocabulary: folded label -> the entries it names, in table order; near labels by rapidfuzz."""

    label_to_entries: dict[str, tuple[LabelRule, ...]]
    entries: tuple[LabelRule, ...]
    fuzzy_score: float
    max_label_words: int
    modelled: frozenset[str] = MODELLED_LABEL_FIELDS

    @cached_property
    def _known(self) -> dict[str, tuple[LabelRule, ...] | None]:
        return {}

    def entries_of(self, label: str) -> tuple[LabelRule, ...] | None:
        """The entries a label names (as written, or near one of the vocabulary), else None.

        >>> rules = load_label_rules()
        >>> [entry.field for entry in rules.entries_of("Salary Range:")], rules.entries_of("Postion Title")[0].field
        (['grade', 'salary'], 'title')
        >>> rules.entries_of("You will be responsible for") is None
        True
        """
        key = fold(label).rstrip(":").strip().replace("\u2019", "'")
        known = self._known
        if key in known:
            return known[key]
        found = self.label_to_entries.get(key)
        if found is None and key and len(key.split()) <= self.max_label_words and any(c.isalpha() for c in key):
            from rapidfuzz import fuzz, process  # only when a label is not in the vocabulary as written

            best = process.extractOne(key, list(self.label_to_entries), scorer=fuzz.ratio,
                                      score_cutoff=self.fuzzy_score)
            found = self.label_to_entries[best[0]] if best else None
        if len(known) < MEMO_LIMIT:
            known[key] = found
        return found


@cache
def load_label_rules() -> LabelRules:
    """The compiled labels.toml; raises RuleError naming the entry when it is malformed."""
    table = rule_table("labels")
    entries = []
    to_entries: dict[str, list[LabelRule]] = {}
    for entry in table["label"]:
        name = entry.get("field", "?")
        for key in ("field", "labels", "value", "example"):
            if key not in entry:
                raise RuleError(f"label entry {name!r}: missing {key!r}")
        pattern = _compile(f"label {name}", entry["value"], re.IGNORECASE)
        if not pattern.groupindex:
            raise RuleError(f"label entry {name!r}: its value pattern needs named groups for the fields it fills")
        rule = LabelRule(name, tuple(entry["labels"]), pattern, entry["example"],
                         _expected_groups(f"label {name}", pattern, entry.get("expect", {})))
        entries.append(rule)
        for label in rule.labels:
            to_entries.setdefault(fold(label), []).append(rule)
    return LabelRules({label: tuple(found) for label, found in to_entries.items()}, tuple(entries),
                      float(table.get("fuzzy_score", 90)), int(table.get("max_label_words", 5)))


def _ratio(value: int | float | str) -> Decimal:
    """A number of a table, or a ratio written as "12/2080"."""
    numerator, _, denominator = str(value).partition("/")
    return Decimal(numerator) / Decimal(denominator) if denominator else Decimal(numerator)


def _compile(rule_name: str, pattern: str, flags: int) -> re.Pattern[str]:
    try:
        return re.compile(pattern, flags)
    except re.error as error:
        raise RuleError(f"rule {rule_name!r}: pattern does not compile: {error}") from None


def _alternation(words: list[str] | dict[str, Any]) -> str:
    r"""A regex alternation, longest first so "one and one-half" wins over "one".

    Words sharing a beginning share it in the pattern: it matches exactly what the flat list matches, but the
    engine enters a branch per beginning where it entered one per word, at every place it tries.

    >>> print(_alternation(["one", "two", "one-half", "one and one-half"]))
    one(?:\ and\ one\-half|\-half|)|two
    """
    ordered = sorted(words, key=len, reverse=True)
    if not all(word.isascii() for word in ordered):  # ignore-case twins ("\u017f" for "s") would spoil the grouping
        return "|".join(re.escape(word) for word in ordered)
    return _shared_beginnings(ordered)


def _shared_beginnings(words: list[str]) -> str:
    """An alternation of ASCII ``words`` tried in the given order, words with one beginning grouped under it.

    Two words whose first letters differ (ignoring case) never match at the same place, so grouping words by
    their first letter changes no match, provided each group keeps its words' order (the empty word, shortest,
    stays last).
    """
    groups: dict[str, list[str]] = {}
    for word in words:
        groups.setdefault(word[:1].lower(), []).append(word)
    branches = []
    for group in groups.values():
        shared = os.path.commonprefix(group)
        if len(group) > 1 and shared:
            branches.append(f"{re.escape(shared)}(?:{_shared_beginnings([word[len(shared):] for word in group])})")
        else:
            branches.extend(re.escape(word) for word in group)
    return "|".join(branches)


NAMED_GROUP = re.compile(r"\(\?P<\w+>")


def any_of(rules: Iterable[PhraseRule]) -> re.Pattern[str]:
    """One pattern that matches (at a position) exactly where one of ``rules`` matches; groups unnamed.

    >>> rules = [PhraseRule("a", "a", re.compile("(?P<x>code):"), ""),
    ...          PhraseRule("b", "b", re.compile("(?P<x>title):", re.IGNORECASE), "")]
    >>> [bool(any_of(rules).match(text)) for text in ("code:", "TITLE:", "Code:")]
    [True, True, False]
    """
    return re.compile(_either(f"(?{'i' if rule.pattern.flags & re.IGNORECASE else ''}:"
                              f"{NAMED_GROUP.sub('(?:', rule.pattern.pattern)})" for rule in rules))


def _substituted(pattern: str, substitutions: dict[str, str]) -> str:
    """``pattern`` with each {placeholder} replaced by its pattern, as a group.

    >>> _substituted("^{state} ", {"state": "Ohio|Utah"})
    '^(?:Ohio|Utah) '
    """
    for placeholder, value in substitutions.items():
        pattern = pattern.replace("{" + placeholder + "}", f"(?:{value})")
    return pattern


def _either(patterns: Iterable[str]) -> str:
    """One pattern source matching where any of ``patterns`` does; none: one that never matches."""
    return "|".join(f"(?:{pattern})" for pattern in patterns) or NEVER.pattern


def _expected_groups(name: str, pattern: re.Pattern[str], table: Any) -> tuple[tuple[str, str | None], ...]:
    """A rule's ``expect`` table (group = "what it captures", or false: takes no part) checked against its pattern.

    >>> _expected_groups("r", re.compile("(?P<n>[0-9]+)(?P<unit> years)?"), {"n": "2", "unit": False})
    (('n', '2'), ('unit', None))
    """
    if not isinstance(table, dict):
        raise RuleError(f"rule {name!r}: expect must be a table of group = captured text")
    expected = []
    for group, value in table.items():
        if group not in pattern.groupindex:
            raise RuleError(f"rule {name!r}: expect names group {group!r}, which its pattern lacks")
        if value is not False and not isinstance(value, str):
            raise RuleError(f"rule {name!r}: expect {group} must be the captured text, or false for none")
        expected.append((group, None if value is False else value))
    return tuple(expected)


def _phrase_rules(entries: list[dict[str, Any]], substitutions: dict[str, str]) -> tuple[PhraseRule, ...]:
    rules = []
    for entry in entries:
        name = entry.get("name", "?")
        for key in ("name", "pattern", "example"):
            if key not in entry:
                raise RuleError(f"rule {name!r}: missing {key!r}")
        pattern = entry["pattern"]
        for placeholder, value in substitutions.items():
            pattern = pattern.replace("{" + placeholder + "}", f"(?:{value})")
        flags = 0 if entry.get("case_sensitive") else re.IGNORECASE
        compiled = _compile(name, pattern, flags)
        rules.append(PhraseRule(name=name, field=entry.get("field", name), pattern=compiled,
                                example=entry["example"], region=entry.get("region", "any"),
                                requires=_required_words(entry.get("requires", [])),
                                continued_by=_compile(f"{name}.continued_by", entry["continued_by"], flags)
                                if "continued_by" in entry else None,
                                expect=_expected_groups(name, compiled, entry.get("expect", {}))))
    return tuple(rules)


def _line_rules(entries: list[dict[str, Any]]) -> tuple[LineRule, ...]:
    rules = _phrase_rules(entries, {})
    for rule in rules:
        if not rule.pattern.groupindex:
            raise RuleError(f"rule {rule.name!r}: a line rule needs named groups for the fields it fills")
    return rules


def _headings(table: dict[str, list[str]]) -> dict[str, str]:
    heading_to_section: dict[str, str] = {}
    for section, headings in table.items():
        for heading in headings:
            key = fold(heading)
            if key in heading_to_section and heading_to_section[key] != section:
                raise RuleError(f"heading {heading!r} is listed under both {heading_to_section[key]!r} "
                                f"and {section!r}")
            heading_to_section[key] = section
    return heading_to_section


@cache
def load_rules() -> Rules:
    """Return the compiled rules; raises RuleError naming the rule when a table is malformed."""
    headings = rule_table("headings")
    lines = rule_table("lines")
    phrases = rule_table("phrases")
    places = rule_table("places")
    number_words = {fold(word): Decimal(str(value)) for word, value in phrases["numbers"]["words"].items()}
    unit_months = {unit: _ratio(value) for unit, value in phrases["units"]["months"].items()}
    levels = phrases["levels"]
    substitutions = {
        "number": r"\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?|" + _alternation(list(number_words)),
        "duration": _alternation(unit_months),
        "level": _alternation(list(levels["order"]) + list(levels.get("synonyms", {}))),
        "state": _alternation(places["states"]),
    }
    license_table = phrases["licenses"]

    def sub(pattern: str) -> str:
        for placeholder, value in substitutions.items():
            pattern = pattern.replace("{" + placeholder + "}", f"(?:{value})")
        return pattern

    licenses = LicenseRules(
        names=_compile("licenses.names", r"\b(?:" + "|".join(license_table["names"]) + r")s?\b", re.IGNORECASE),
        conditions=tuple((_compile("licenses.conditions", entry["pattern"], re.IGNORECASE), entry["required"])
                         for entry in license_table["conditions"]),
        prefixes=_compile("licenses.prefixes", r"^(?:" + "|".join(license_table["prefixes"]) + r")+",
                          re.IGNORECASE),
        issuer=_compile("licenses.issuer", license_table["issuer"], 0),
        within=_compile("licenses.within", sub(license_table["within"]), re.IGNORECASE),
    )
    introducers = phrases["tasks"]["introducers"]
    not_a_spec = lines.get("not_a_specification", [])
    return Rules(
        heading_to_section=_headings(headings["headings"]),
        line_rules=_line_rules(lines["line"]),
        ksa_rules=_phrase_rules(phrases["ksa"], substitutions),
        education_rules=_phrase_rules(phrases["education"], substitutions),
        experience_rules=_phrase_rules(phrases["experience"], substitutions),
        experience_part_rules=_phrase_rules(phrases["experience_part"], substitutions),
        experience_part_introducers=_compile(
            "experience_parts.introducers",
            r"\b(?:" + "|".join(phrases["experience_parts"]["introducers"]) + r")\b\s*", re.IGNORECASE),
        substitution_rules=_phrase_rules(phrases["substitution"], substitutions),
        state_rules=_phrase_rules(phrases["state_evidence"], substitutions),
        licenses=licenses,
        task_introducers=_compile("tasks.introducers",
                                  r"\b(?:" + _alternation(introducers) + r")\s*:\s*", re.IGNORECASE),
        level_order=tuple(levels["order"]),
        level_synonyms=dict(levels.get("synonyms", {})),
        number_words=number_words,
        unit_months=unit_months,
        states=tuple(places["states"]),
        employer_names=dict(places.get("employer_names", {})),
        gazetteer=dict(places["gazetteer"]),
        section_after={fold(name): dict(table) for name, table in headings.get("after", {}).items()},
        heading_prefix=_numbering(headings.get("numbering", {})),
        heading_trailer=_numbering(headings.get("trailer", {}), "trailer"),
        heading_number=_numbering(headings.get("numbered", {}), "numbered"),
        inline_within={fold(heading): frozenset(within)
                       for heading, within in headings.get("inline_within", {}).items()},
        jurisdiction_rules=_phrase_rules(places.get("jurisdiction_in_text", []), substitutions),
        not_a_specification=tuple(zip(_phrase_rules(not_a_spec, {}),
                                      (entry.get("reason", "not a job specification") for entry in not_a_spec),
                                      strict=True)),
        file_name_rules=_phrase_rules(lines.get("file_name", []), {}),
        bulletin=_bulletin_rules(phrases, substitutions) if "salary" in phrases else None,
    )


def _numbering(table: dict[str, str], name: str = "numbering") -> re.Pattern[str]:
    """headings.toml [numbering] (or [trailer]): its pattern, checked on its example (what is left must be
    ``expect``)."""
    if not table:
        return NEVER
    pattern = _compile(f"{name}.prefix", table["prefix"], re.IGNORECASE)
    if pattern.sub("", table["example"], count=1) != table["expect"]:
        raise RuleError(f"{name}.prefix: its example {table['example']!r} does not leave {table['expect']!r}")
    return pattern


def _patterns(name: str, patterns: list[str]) -> tuple[re.Pattern[str], ...]:
    return tuple(_compile(name, pattern, re.IGNORECASE) for pattern in patterns)


def _bulletin_rules(phrases: dict[str, Any], substitutions: dict[str, str]) -> BulletinRules:
    """The bulletin tables of phrases.toml; {title}, {titles} and {modifier} come from [class_titles]."""
    titles = phrases["class_titles"]
    title = titles["title"]
    substitutions = dict(substitutions, modifier="|".join(titles["modifiers"]), title=title,
                         titles=titles.get("titles", "{title}").replace("{title}", title))
    requirements = phrases["requirements"]
    license_table = phrases["drivers_license"]

    def rules(key: str, case_sensitive: bool = False) -> tuple[PhraseRule, ...]:
        entries = [dict(entry, case_sensitive=case_sensitive or entry.get("case_sensitive", False))
                   for entry in phrases.get(key, [])]
        return _phrase_rules(entries, substitutions)

    return BulletinRules(
        dwp_names=tuple(phrases["salary"]["dwp"]),
        salary_clause_break=_compile("salary.clause_break", phrases["salary"].get("clause_break", NEVER.pattern), 0),
        salary_amounts=rules("salary_amount"),
        salary_departments=rules("salary_department", case_sensitive=True),
        exam_basis=_compile("exam_basis.statement", phrases["exam_basis"]["statement"], re.IGNORECASE | re.DOTALL),
        exam_basis_opening=str(phrases["exam_basis"]["opening"]).lower(),
        exam_types=rules("exam_type"),
        exam_notes=rules("exam_note"),
        number_marker=_compile("requirements.number_marker", requirements["number_marker"], 0),
        letter_marker=_compile("requirements.letter_marker", requirements["letter_marker"], 0),
        conjunction=_compile("requirements.conjunction", requirements["conjunction"], re.IGNORECASE),
        any_of=_compile("requirements.any_of", r"\b(?:" + "|".join(requirements["any_of"]) + r")\b\s*:?\s*$",
                        re.IGNORECASE),
        default_between_items=requirements["default_between_items"],
        default_between_subitems=requirements["default_between_subitems"],
        durations=rules("duration"),
        schedules=rules("schedule"),
        class_mentions=rules("class_mention", case_sensitive=True),
        not_classes=tuple(titles["not_classes"]),
        shared_rest=tuple(titles.get("shared_rest", [])),
        strip_prefixes=tuple(sorted(titles.get("strip_prefixes", []), key=len, reverse=True)),
        abbreviations=dict(titles.get("abbreviations", {})),
        schools=rules("school"),
        majors=rules("major"),
        courses=rules("course"),
        license_name=_compile("drivers_license.name", license_table["name"], re.IGNORECASE),
        license_name_requires=_required_words(license_table.get("name_requires", [])),
        license_type=_compile("drivers_license.type", license_table["type"], re.IGNORECASE),
        license_possible=_patterns("drivers_license.possible", license_table["possible"]),
        license_required=_patterns("drivers_license.required", license_table["required"]),
        exam_weights=rules("exam_weight"),
        experience_fallbacks=rules("experience_fallback"),
        license_names=rules("license_name"),
        salary_continues=_compile("salary.continues", phrases["salary"].get("continues", NEVER.pattern), 0),
        substitution_item=_any("requirements.substitution_item", requirements.get("substitution_item", [])),
        shared_item=_any("requirements.shared_item", requirements.get("shared_item", [])),
        lead_continues=_any("requirements.lead_continues", requirements.get("lead_continues", [])),
        title_qualifier=_compile("class_titles.qualifier",
                                 _substituted(titles.get("qualifier", NEVER.pattern), substitutions), 0),
        meets_requirement=_any("requirements.meets_requirement", requirements.get("meets_requirement", [])),
        entry_classes=rules("entry_class", case_sensitive=True),
        classes_listed_below=_any("requirements.classes_listed_below", requirements.get("classes_listed_below", [])),
        listed_classes=rules("listed_class", case_sensitive=True),
        roles_after=_roles_after(titles),
        leading_modifiers=_compile("class_titles.modifiers", r"^(?:(?:" + "|".join(titles["modifiers"])
                                   + r")\s+(?:or\s+)?)+", re.IGNORECASE),
        points_elsewhere=_any("requirements.points_elsewhere", requirements.get("points_elsewhere", [])),
        not_class_opening=_compile("class_titles.not_class_openings", "^(?:" + _either(
            _substituted(opening, substitutions) for opening in titles.get("not_class_openings", [])) + ")", 0),
        field_clause_end=_compile("experience_field.clause_ends", _either(
            _substituted(end, substitutions) for end in phrases.get("experience_field", {}).get("clause_ends", [])),
            re.IGNORECASE),
        field_cuts=rules("field_cut"),
        field_not_alternatives=frozenset(phrases.get("experience_field", {}).get("not_alternatives", [])),
        field_shared_words=int(phrases.get("experience_field", {}).get("shared_words", 8)),
    )


def _roles_after(titles: dict[str, Any]) -> re.Pattern[str]:
    """[class_titles] roles_after, checked against its example."""
    if "roles_after" not in titles:
        return NEVER
    pattern = _compile("class_titles.roles_after", titles["roles_after"], 0)
    found = pattern.search(titles.get("roles_after_example", ""))
    if found is None or found.group(1) != titles.get("roles_after_expect"):
        raise RuleError(f"class_titles.roles_after: its example {titles.get('roles_after_example')!r} does not "
                        f"give {titles.get('roles_after_expect')!r}")
    return pattern


def _any(name: str, patterns: list[str]) -> re.Pattern[str]:
    """One case-insensitive pattern matching where any of ``patterns`` does (none: never)."""
    return _compile(name, _either(patterns), re.IGNORECASE)
