"""Extract structured facts from passages of a section. Pure functions over :class:`Passage`."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from itertools import chain
from typing import Any

from rolegraph.errors import RuleError
from rolegraph.model import (
    PERIODS_IN_YEAR,
    Duty,
    ExperienceRequirement,
    Jurisdiction,
    Ksa,
    License,
    Provenance,
    SalaryRange,
    Task,
    Text,
)
from rolegraph.parser.passage import Passage, Span
from rolegraph.parser.series import table_cells
from rolegraph.parser.tables import PhraseRule, Rules
from rolegraph.resources import rule_table

__all__ = [
    "read_salary",
    "dollar_currency",
    "salary_period",
    "load_salary_rules",
    "SalaryRules",
    "SMALL_WORDS",
    "title_case",
    "clauses",
    "sentences",
    "parse_duty",
    "parse_duties",
    "parse_ksas",
    "parse_education",
    "parse_experience",
    "parse_substitution",
    "parse_license",
]

SMALL_WORDS = frozenset({"a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "the", "to", "with"})
ROMAN_NUMERAL = re.compile(r"^(?=[ivxlc]+$)c{0,3}(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})$", re.IGNORECASE)
ACRONYM = re.compile(r"^\([A-Z]{2,4}\)$")  # "(EMS)": an abbreviation in brackets stays in capitals
# A sentence's closing mark, then (group 1) the white space before the next: the mark first, not looked behind
# for, lets the engine skip to the marks.
SENTENCE_END = re.compile(r"[.!?](\s+)(?=[A-Z(\"'])")
TRAILING_PUNCTUATION = " .;,:"


def title_case(text: str) -> str:
    """Return an all-caps title in title case, small words lower, roman numerals kept.

    >>> title_case("CUSTOMER RELATIONS AND BILLING SUPERVISOR")
    'Customer Relations and Billing Supervisor'
    >>> title_case("SYSTEMS ANALYST II")
    'Systems Analyst II'
    >>> title_case("EMERGENCY MEDICAL SERVICES (EMS) EDUCATOR")
    'Emergency Medical Services (EMS) Educator'
    """
    words = " ".join(text.split()).split(" ")
    result = []
    for index, word in enumerate(words):
        lower = word.lower()
        if ROMAN_NUMERAL.match(word) and len(word) > 1 or word in {"I"} and index > 0 or ACRONYM.match(word):
            result.append(word.upper())
        elif index > 0 and lower in SMALL_WORDS:
            result.append(lower)
        else:
            result.append("-".join(part[:1].upper() + part[1:] for part in lower.split("-")))
    return " ".join(result)


def _clean(span: Span) -> Span:
    """Strip list punctuation and a leading conjunction from an item."""
    text = span.text.strip(TRAILING_PUNCTUATION)
    text = re.sub(r"^(?:and|or)\s+", "", text)
    return Span(text, span.where)


def _pieces(passage: Passage, start: int, end: int, separators: re.Pattern[str]) -> Iterator[Span]:
    """Non-empty cleaned spans of passage.text[start:end] between separator matches."""
    cursor = start
    for match in separators.finditer(passage.text, start, end):
        piece = _clean(passage.span(cursor, match.start()))
        if piece.text:
            yield piece
        cursor = match.end()
    piece = _clean(passage.span(cursor, end))
    if piece.text:
        yield piece


CLAUSE_END = re.compile(r";|\.(?=\s|$)")
MAX_CLAUSE = 2_000  # characters; no real requirement clause is longer, and patterns stay cheap below it


def clauses(passage: Passage) -> Iterator[tuple[int, int]]:
    """(start, end) offsets of the clauses of a passage, cut at semicolons and full stops.

    Phrase patterns run clause by clause: none of them crosses a clause end, and bounding the text each
    one sees keeps matching linear in the length of a passage, however pathological. A clause longer than
    MAX_CLAUSE characters is not a requirement statement and is left to be kept as text.
    """
    cursor = 0
    for match in CLAUSE_END.finditer(passage.text):
        if match.start() - cursor <= MAX_CLAUSE:
            yield cursor, match.start()
        cursor = match.end()
    if len(passage.text) - cursor <= MAX_CLAUSE:
        yield cursor, len(passage.text)


def clause_matches(rule: PhraseRule, passage: Passage) -> Iterator[re.Match[str]]:
    """The matches of ``rule`` in ``passage``, clause by clause; a clause without what the rule requires is skipped."""
    text = passage.text
    if not rule.could_match(text):
        return
    for start, end in clauses(passage):
        if rule.could_match(text[start:end]):
            yield from rule.pattern.finditer(text, start, end)


def sentences(passage: Passage, start: int = 0, end: int | None = None) -> Iterator[Span]:
    """The sentences of a passage (or part of it), each with its lines."""
    end = len(passage.text) if end is None else end
    cursor = start
    for match in SENTENCE_END.finditer(passage.text, max(start - 1, 0), end):  # a mark just before start counts
        piece = passage.span(cursor, match.start(1))
        if piece.text:
            yield piece
        cursor = match.end(1)
    piece = passage.span(cursor, end)
    if piece.text:
        yield piece


TASK_SEPARATORS = re.compile(r";\s*|(?<=[.!?])\s+(?=[A-Z])")


def parse_duty(paragraph: Passage, rules: Rules) -> Duty:
    """A duty paragraph: a lead statement, then optionally "Involves:" and its tasks.

    >>> from rolegraph.model import Line
    >>> from rolegraph.parser.tables import load_rules
    >>> duty = parse_duty(Passage([Line(1, "Serve customers. Involves: greeting; billing.")], "a", "0"),
    ...                   load_rules())
    >>> duty.description, [task.description for task in duty.tasks]
    ('Serve customers.', ['greeting', 'billing'])
    """
    introducer = rules.task_introducers.search(paragraph.text)
    if introducer is None:
        whole = paragraph.span()
        return Duty(whole.text, (), whole.where)
    lead = paragraph.span(0, introducer.start())
    tasks = tuple(Task(piece.text, piece.where)
                  for piece in _pieces(paragraph, introducer.end(), len(paragraph.text), TASK_SEPARATORS))
    return Duty(lead.text, tasks, paragraph.where())


# A duties table's cell giving the share of time ("40%", "35 %") or that column's heading ("% of Time")
TIME_SHARE = re.compile(r"\s*\d{1,3}(?:\.\d+)?\s*%\s*")
TIME_SHARE_HEADING = re.compile(r"\s*(?:%|percent(?:age)?)\s*(?:of\s+)?(?:time|effort)?\s*|\s*time\s*\(?%\)?\s*",
                                re.IGNORECASE)


def parse_duties(passage: Passage, rules: Rules) -> tuple[Duty, ...]:
    """The duties of a duties section: one per paragraph or item; a row of a table of functions with the share
    of time each takes ("40% | Reviews permit applications") is its function, the table's heading row none.

    >>> from rolegraph.model import Line
    >>> from rolegraph.parser.tables import load_rules
    >>> rows = [Line(1, "% of Time | Essential Function"), Line(2, ""), Line(3, "40% | Reviews permits."),
    ...         Line(4, ""), Line(5, "Answers calls.")]
    >>> [duty.description for duty in parse_duties(Passage(rows, "a", "0"), load_rules())]
    ['Reviews permits.', 'Answers calls.']
    """
    duties = []
    for paragraph in passage.paragraphs():
        if not paragraph:
            continue
        cells = table_cells(paragraph.text)
        if cells is not None and any(TIME_SHARE_HEADING.fullmatch(cell) for cell in cells):
            continue  # the table's heading row
        if cells is not None and any(TIME_SHARE.fullmatch(cell) for cell in cells):
            function = max((cell for cell in cells if not TIME_SHARE.fullmatch(cell)), key=len, default="")
            start = paragraph.text.find(function)
            if function and start >= 0:
                whole = paragraph.span(start, start + len(function))
                duties.append(Duty(whole.text, (), whole.where))
                continue
        duties.append(parse_duty(paragraph, rules))
    return tuple(duties)


ITEM_SEPARATORS = re.compile(r";\s*|:\s+")


def _markers(text: str, ksa_rules: tuple[PhraseRule, ...]) -> list[tuple[re.Match[str], PhraseRule]]:
    """Non-overlapping KSA markers in text order; at one position the longer (more specific) match wins."""
    found = [(match, rule) for rule in ksa_rules for match in rule.pattern.finditer(text)]
    found.sort(key=lambda pair: (pair[0].start(), -(pair[0].end() - pair[0].start())))
    chosen: list[tuple[re.Match[str], PhraseRule]] = []
    for match, rule in found:
        if not chosen or match.start() >= chosen[-1][0].end():
            chosen.append((match, rule))
    return chosen


def _level(match: re.Match[str], rules: Rules) -> str | None:
    return rules.canonical_level(match.groupdict().get("level"))


def parse_ksas(passage: Passage, rules: Rules, skip: tuple[Span, ...] = ()) -> list[Ksa]:
    """Knowledge, skill and ability items, each with its kind and level.

    Bulleted sections give one item per bullet; running text is cut at each marker ("Good knowledge of:",
    "Ability to:") and the run after it is split at semicolons. Sentences in ``skip`` (already read as
    education or experience) are left out.
    """
    skipped = {span.text for span in skip}
    items: list[Ksa] = []
    if passage.has_bullets:
        for bullet in passage.paragraphs():
            markers = _markers(bullet.text, rules.ksa_rules)
            if markers:
                match, rule = markers[0]
                piece = _clean(bullet.span(match.end()))
                items.append(Ksa(rule.field, piece.text, _level(match, rules), bullet.where()))
            else:
                piece = _clean(bullet.span())
                if piece.text and piece.text not in skipped:
                    items.append(Ksa("competency", piece.text, None, piece.where))
        return items
    markers = _markers(passage.text, rules.ksa_rules)
    first = markers[0][0].start() if markers else len(passage.text)
    for sentence in sentences(passage, 0, first):
        piece = _clean(sentence)
        if piece.text and sentence.text not in skipped and piece.text not in skipped:
            items.append(Ksa("competency", piece.text, None, piece.where))
    for index, (match, rule) in enumerate(markers):
        end = markers[index + 1][0].start() if index + 1 < len(markers) else len(passage.text)
        level = _level(match, rules)
        for piece in _pieces(passage, match.end(), end, ITEM_SEPARATORS):
            items.append(Ksa(rule.field, piece.text, level, piece.where))
    return items


def parse_education(passage: Passage, rules: Rules) -> list[Text]:
    """Education statements ("Graduation from High School or GED equivalent")."""
    found: list[Text] = []
    for rule in rules.education_rules:
        for match in clause_matches(rule, passage):
            span = _clean(passage.span(match.start("education"), match.end("education")))
            if span.text and all(span.text != text.value for text in found):
                found.append(Text(span.text, span.where))
    return found


def _field_text(text: str) -> str:
    text = re.sub(r"^(?:of|in|as|with)\s+", "", text.strip(TRAILING_PUNCTUATION))
    return " ".join(text.split())


def parse_experience(passage: Passage, rules: Rules) -> list[ExperienceRequirement]:
    """Experience requirements with months, field and the parts counted within the total.

    >>> from rolegraph.model import Line
    >>> from rolegraph.parser.tables import load_rules
    >>> text = ("plus four (4) years customer contact experience which includes two (2) years working "
    ...         "with automated systems and one (1) year supervision; or more")
    >>> [requirement] = parse_experience(Passage([Line(1, text)], "a", "0"), load_rules())
    >>> requirement.months, requirement.field, [(p.months, p.field) for p in requirement.included]
    (Decimal('48'), 'customer contact', [(Decimal('24'), 'working with automated systems'), \
(Decimal('12'), 'supervision')])
    """
    found: list[ExperienceRequirement] = []
    consumed_until = -1
    for rule in rules.experience_rules:
        for match in clause_matches(rule, passage):
            if match.start() < consumed_until:
                continue
            months = rules.months(match.group("number"), match.group("unit"))
            field = _field_text(match.group("field_after") or "") or _field_text(match.group("field_before") or "")
            included, parts_end = _included_parts(passage, match.end(), rules)
            consumed_until = max(consumed_until, parts_end)
            whole = passage.span(match.start(), max(match.end(), parts_end))
            found.append(ExperienceRequirement(months, field, whole.text.strip(TRAILING_PUNCTUATION),
                                               whole.where, tuple(included)))
    return found


def _included_parts(passage: Passage, start: int, rules: Rules) -> tuple[list[ExperienceRequirement], int]:
    """Parts listed after "which includes" that count within a total; returns them and where they end."""
    rest = passage.text[start:]
    lead = len(rest) - len(rest.lstrip(" ,"))
    introducer = rules.experience_part_introducers.match(passage.text, start + lead)
    if introducer is None:
        return [], start
    end_match = re.compile(r";|\.(?:\s|$)").search(passage.text, introducer.end())
    end = end_match.start() if end_match else len(passage.text)
    parts = []
    for rule in rules.experience_part_rules:
        for match in rule.pattern.finditer(passage.text, introducer.end(), end):
            span = passage.span(match.start(), match.end())
            parts.append(ExperienceRequirement(rules.months(match.group("number"), match.group("unit")),
                                               _field_text(match.group("field")), span.text, span.where))
    return parts, end


def parse_substitution(passage: Passage, rules: Rules) -> Text | None:
    """The first statement that allows substituting training for experience (or the reverse)."""
    for rule in rules.substitution_rules:
        match = next(clause_matches(rule, passage), None)
        if match:
            span = _clean(passage.span(match.start("substitution"), match.end("substitution")))
            return Text(span.text, span.where)
    return None


def parse_license(sentence: Span, rules: Rules) -> License | None:
    """A licence or certificate sentence -> License, or None when it names none.

    >>> from rolegraph.model import Provenance
    >>> from rolegraph.parser.tables import load_rules
    >>> where = Provenance("a", "0", 1, 1)
    >>> text = ("Some positions must obtain Permit Technician certification from the International "
    ...         "Code Council within 6 months of appointment.")
    >>> found = parse_license(Span(text, where), load_rules())
    >>> found.name, found.required, found.issuer, found.within_months_of_appointment
    ('Permit Technician certification', 'some positions', 'International Code Council', 6)
    """
    table = rules.licenses
    text = sentence.text.strip(TRAILING_PUNCTUATION)
    prefix = table.prefixes.match(text)
    rest = text[prefix.end():] if prefix else text
    name_end = table.names.search(rest)
    if name_end is None:
        return None
    required = next((label for pattern, label in table.conditions if pattern.search(text)), "required")
    issuer = table.issuer.search(text)
    within = table.within.search(text)
    months = int(rules.months(within.group("number"), within.group("unit"))) if within else None
    return License(
        name=rest[:name_end.end()].strip(),
        required=required,
        where=sentence.where,
        issuer=issuer.group("issuer").strip() if issuer else None,
        within_months_of_appointment=months,
        description=text,
    )


@dataclass(frozen=True)
class DollarRule:
    """A country whose dollar a bare "$" is: by the jurisdiction's state, else by a place its text names."""

    currency: str
    states: frozenset[str]
    named: re.Pattern[str]
    example: str


@dataclass(frozen=True)
class SalaryRules:
    """The compiled salaries.toml: amounts with their currency markers, pay periods, and whose dollar "$" is."""

    money: re.Pattern[str]  # an amount or a range, a currency marker before or after each end (groups below)
    marker: re.Pattern[str]  # any currency marker
    marker_to_currency: dict[str, str | None]  # folded marker -> ISO 4217 code; None for "$" alone
    periods: tuple[PhraseRule, ...]  # name = period, in the order they are tried
    currency_examples: tuple[tuple[str, str, dict[str, str]], ...]  # (code, example, expect)
    dollars: tuple[DollarRule, ...]
    dollar_default: str
    unstated_period: str
    unstated_min: Decimal


MARKER_GROUPS = ("before", "after", "high_before", "high_after")


@cache
def load_salary_rules() -> SalaryRules:
    """The salaries table compiled; raises RuleError naming the entry when it is malformed."""
    table = rule_table("salaries")
    marker_to_currency: dict[str, str | None] = {"$": None}
    examples = []
    for entry in table["currency"]:
        code = entry.get("code", "?")
        for key in ("code", "markers", "example"):
            if key not in entry:
                raise RuleError(f"salaries.toml: currency {code!r}: missing {key!r}")
        for marker in entry["markers"]:
            if marker_to_currency.setdefault(marker.casefold(), code) != code:
                raise RuleError(f"salaries.toml: currency marker {marker!r} is listed under two currencies")
        examples.append((code, entry["example"], dict(entry.get("expect", {}))))
    markers = "|".join(re.escape(marker) + (r"\b" if marker[-1].isalpha() else "")
                       for marker in sorted(marker_to_currency, key=len, reverse=True))
    amount, separator = table["amount"], table["range_separator"]

    def end(name: str, before: str, after: str) -> str:
        return (rf"(?:(?P<{before}>{markers})\s?)?(?<![\d.,])(?P<{name}>{amount})(?![\d])"
                rf"(?:\s?(?P<{after}>{markers}))?")

    try:
        money = re.compile(end("low", "before", "after") + f"(?:{separator}"
                           + end("high", "high_before", "high_after") + ")?", re.IGNORECASE)
    except re.error as error:
        raise RuleError(f"salaries.toml: amount or range_separator does not compile: {error}") from None
    periods = tuple(PhraseRule(name=entry["name"], field="period", example=entry["example"],
                               pattern=_salary_pattern(f"period {entry.get('name')}", entry, re.IGNORECASE))
                    for entry in table["period"])
    unknown = {entry["name"] for entry in table["period"]} - PERIODS_IN_YEAR.keys()
    if unknown:
        raise RuleError(f"salaries.toml: periods {sorted(unknown)} are none of {sorted(PERIODS_IN_YEAR)}")
    dollars = tuple(DollarRule(entry["currency"], frozenset(entry.get("states", ())),
                               _salary_pattern(f"dollar {entry.get('currency')}", entry, 0, key="named"),
                               entry["example"]) for entry in table["dollar"])
    return SalaryRules(money, re.compile(markers, re.IGNORECASE), marker_to_currency, periods, tuple(examples),
                       dollars, table["dollar_default"], table["unstated_period"],
                       Decimal(str(table["unstated_min"])))


def _salary_pattern(name: str, entry: dict[str, Any], flags: int, key: str = "pattern") -> re.Pattern[str]:
    for needed in (key, "example"):
        if needed not in entry:
            raise RuleError(f"salaries.toml: {name}: missing {needed!r}")
    try:
        return re.compile(entry[key], flags)
    except re.error as error:
        raise RuleError(f"salaries.toml: {name}: pattern does not compile: {error}") from None


def dollar_currency(jurisdiction: Jurisdiction | None, lines: Iterable[str]) -> str:
    """The currency a bare "$" is in a document: the dollar of its jurisdiction's state or, without one, of the
    first place the jurisdiction's name or the text names (salaries.toml [[dollar]]); else US dollars.

    >>> where = Text("", Provenance("a", "0", 1, 1))
    >>> dollar_currency(Jurisdiction("Province of Nova Scotia", "Nova Scotia", False, where), [])
    'CAD'
    >>> dollar_currency(Jurisdiction("City of Toledo", "Ohio", False, where), ["Canadian applicants"])
    'USD'
    >>> dollar_currency(None, ["Salary: $95,766 - $114,784 plus superannuation"]), dollar_currency(None, [])
    ('AUD', 'USD')
    """
    rules = load_salary_rules()
    if jurisdiction is not None and jurisdiction.state:
        return next((rule.currency for rule in rules.dollars if jurisdiction.state in rule.states),
                    rules.dollar_default)
    names = [jurisdiction.name] if jurisdiction is not None and jurisdiction.name else []
    for text in chain(names, lines):
        for rule in rules.dollars:
            if rule.named.search(text):
                return rule.currency
    return rules.dollar_default


def _number(text: str) -> int | Decimal:
    """An amount as printed, as an int when it is whole ("44,000.00" -> 44000)."""
    value = Decimal(re.sub(r"[,\s]", "", text))
    return int(value) if value == value.to_integral_value() else value


def salary_period(text: str, start: int, end: int) -> str | None:
    """The pay period ``text`` states for the amounts at ``start``-``end``: the first period phrase after them,
    else the last one before them.

    >>> text = "monthly salary range $4,512-$5,645"
    >>> salary_period(text, 21, len(text)), salary_period("$22.40 - $29.15 Hourly", 0, 15)
    ('month', 'hour')
    """
    periods = load_salary_rules().periods
    after = text[end:]
    found = [(match.start(), rule.name) for rule in periods if (match := rule.pattern.search(after))]
    if found:
        return min(found)[1]
    before = text[:start]
    found = [(match.end(), rule.name) for rule in periods for match in rule.pattern.finditer(before)]
    return max(found)[1] if found else None


def _usd() -> str:
    return "USD"


def read_salary(text: str, where: Provenance, dollar: Callable[[], str] = _usd) -> SalaryRange | None:
    """The salary (range or flat amount) a salary label or line states, with its currency and period, else None.

    An amount needs a currency marker ("$", "EUR", "£", "NZD"...); a bare "$" is in ``dollar()`` (see
    :func:`dollar_currency`). Without a period phrase the salary is annual, and then an amount below
    ``unstated_min`` is no salary.

    >>> where = Provenance("a", "0", 3, 3)
    >>> [read_salary(text, where).label for text in ("$52,000 - $68,000 Annually", "$22.40 - $29.15 Hourly",
    ...      "EUR 44,000 - EUR 54,000 per annum", "72,000 - 84,000 NZD")]
    ['$52000-$68000', 'USD 22.40-29.15 an hour', 'EUR 44,000-54,000 a year', 'NZD 72,000-84,000 a year']
    >>> read_salary("C$ 68,000", where).label
    'CAD 68,000 a year'
    >>> read_salary("$2,851.60 - $3,125.10 per fortnight", where, lambda: "AUD").annual_low
    Decimal('74141.60')
    >>> [read_salary(text, where) for text in ("Grade 14 - 16", "$28 - $34", "$68,000 - $52,000 a year")]
    [None, None, None]
    """
    rules = load_salary_rules()
    for match in rules.money.finditer(text):
        markers = [match[group] for group in MARKER_GROUPS if match[group]]
        if not markers:
            continue
        code = rules.marker_to_currency[markers[0].casefold()]
        low = _number(match["low"])
        high = _number(match["high"]) if match["high"] else None
        period = salary_period(text, match.start(), match.end())
        if period is None:
            if low < rules.unstated_min:
                continue
            period = rules.unstated_period
        if high is not None and high < low:
            continue
        return SalaryRange(low, high, None, where, currency=code or dollar(), period=period)
    return None
