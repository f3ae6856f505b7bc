"""What a job bulletin adds to a class specification: salaries, exam type, driver's licence, selection weights.

Pure functions over passages; every pattern comes from parser/rules/phrases.toml.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import partial

from rolegraph.model import Bulletin, ExamWeight, License, Line, Provenance, SalaryRange, Text
from rolegraph.parser.fields import load_salary_rules, salary_period, sentences
from rolegraph.parser.passage import Passage, provenance
from rolegraph.parser.tables import BulletinRules, collapse, fold, has_required, search_from

__all__ = ["parse_salaries", "parse_exam_type", "parse_drivers_license", "parse_exam_weights", "read_bulletin"]


def _amount(text: str) -> int | Decimal:
    value = Decimal(re.sub(r"[,\s]", "", text))
    return int(value) if value == value.to_integral_value() else value


def parse_salaries(passage: Passage, table: BulletinRules, dollar: Callable[[], str] = lambda: "USD"
                   ) -> tuple[SalaryRange, ...]:
    """Every salary range and flat rate of a salary section, each with its department when one is named.

    A range's currency is its marker's ("$" alone: ``dollar()``, see ``fields.dollar_currency``), its period the
    one its sentence states (salaries.toml), else a year.

    >>> from rolegraph.model import Line
    >>> from rolegraph.parser.tables import load_rules
    >>> lines = [Line(1, "$68,611 to $100,307"),
    ...          Line(2, "The salary in the Department of Water and Power is $70,908 to $88,092 and $83,770.")]
    >>> [(s.label, s.dwp) for s in parse_salaries(Passage(lines, "a", "0"), load_rules().bulletin)]
    [('$68611-$100307', False), ('$70908-$88092', True), ('$83770', True)]
    >>> lines = [Line(1, "The salary in the Department of Water and Power is $117,345 to $123,881; $120,477 to"),
    ...          Line(2, "$127,200; and $141,691 to 149,584.")]
    >>> [(s.label, s.dwp) for s in parse_salaries(Passage(lines, "a", "0"), load_rules().bulletin)]
    [('$117345-$123881', True), ('$120477-$127200', True), ('$141691-$149584', True)]
    >>> lines = [Line(1, "The monthly salary is $4,512 to $5,645.")]
    >>> [s.label for s in parse_salaries(Passage(lines, "a", "0"), load_rules().bulletin, lambda: "CAD")]
    ['CAD 4,512-5,645 a month']
    """
    found: list[SalaryRange] = []
    dwp_names = {fold(name) for name in table.dwp_names}
    salary_rules = load_salary_rules()
    clauses: list[list[Line]] = []  # a clause per line, or over two when a range goes on over the next line
    for line in passage.lines:
        for clause in table.salary_clause_break.split(line.text):
            if clauses and clause.strip() and table.salary_continues.search(clauses[-1][-1].text):
                clauses[-1].append(Line(line.number, clause))
            else:
                clauses.append([Line(line.number, clause)])
    lines = (Passage(clause, passage.source, passage.sha256) for clause in clauses)
    for sentence in (sentence for line in lines for sentence in sentences(line)):
        department = None
        for rule in table.salary_departments:
            match = rule.pattern.search(sentence.text)
            if match:
                department = " ".join(match.group("department").split())
                break
        dwp = department is not None and fold(department) in dwp_names
        taken: list[tuple[int, int]] = []
        amounts: list[tuple[int, SalaryRange]] = []
        for rule in table.salary_amounts:
            for match in rule.pattern.finditer(sentence.text):
                if any(start < match.end() and match.start() < end for start, end in taken):
                    continue
                taken.append((match.start(), match.end()))
                high = match.groupdict().get("high")
                marker = salary_rules.marker.search(sentence.text, max(match.start() - 4, 0), match.end())
                code = salary_rules.marker_to_currency.get(marker.group(0).casefold()) if marker else None
                period = salary_period(sentence.text, match.start(), match.end()) or "year"
                amounts.append((match.start(), SalaryRange(_amount(match.group("low")),
                                                           _amount(high) if high else None,
                                                           department, sentence.where, dwp,
                                                           code or dollar(), period)))
        found.extend(salary for _, salary in sorted(amounts, key=lambda pair: pair[0]))
    return tuple(found)


def parse_exam_type(statement: re.Match[str] | None, where: Provenance, notes: Iterable[Text],
                    table: BulletinRules) -> Text | None:
    """The City's EXAM_TYPE code from the closing "TO BE GIVEN ... BASIS" statement (``table.exam_basis``'s match),
    else the header note.

    >>> from rolegraph.parser.tables import load_rules
    >>> where, table = provenance("a", "0", 1, 1), load_rules().bulletin
    >>> statement = table.exam_basis.search("THIS EXAMINATION IS TO BE GIVEN ONLY ON AN INTERDEPARTMENTAL "
    ...                                     "PROMOTIONAL BASIS")
    >>> parse_exam_type(statement, where, (), table).value
    'INT_DEPT_PROM'
    """
    if statement is not None:
        basis = " ".join(statement.group("basis").split())
        for rule in table.exam_types:
            if rule.pattern.search(basis):
                return Text(rule.name, where)
    for note in notes:
        for rule in table.exam_notes:
            if rule.pattern.search(note.value):
                return Text(rule.name, note.where)
    return None


def parse_drivers_license(passages: Iterable[Passage], table: BulletinRules,
                          requirements: Iterable[Passage] = ()) -> License | None:
    """The driver's licence a bulletin asks for: "required" when any sentence requires one, else "possibly
    required" when a sentence says some positions may; None when no sentence asks for one.

    A licence named in a line of ``requirements`` (a minimum qualification) is required unless the sentence says
    it may be.
    """
    best: License | None = None
    # Only lines that name a licence are read (a sentence naming one is on one line: a paragraph per line).
    names_a_licence = table.memo("names a licence", lambda text: has_required(text, table.license_name_requires)
                                 and table.license_name.search(text) is not None)
    lines = [(Passage([line], passage.source, passage.sha256), is_requirement)
             for group, is_requirement in ((requirements, True), (passages, False)) for passage in group
             for line in passage.lines if names_a_licence(line.text)]
    for passage, is_requirement in lines:
        for sentence in sentences(passage):
            if not table.license_name.search(sentence.text):
                continue
            if any(pattern.search(sentence.text) for pattern in table.license_possible):
                required = "possibly required"
            elif is_requirement or any(pattern.search(sentence.text) for pattern in table.license_required):
                required = "required"
            else:
                continue
            kind = table.license_type.search(sentence.text)
            classes = "/".join(letter.upper() for letter in (kind.group("type"), kind.group("other"))
                               if letter) if kind else ""
            name = f"driver's license{f' (class {classes})' if classes else ''}"
            found = License(name, required, sentence.where, description=sentence.text)
            if best is None or (required == "required" and best.required != "required"):
                best = found
            elif classes and best.required == required and "class" not in best.name:
                best = found
    return best


def parse_exam_weights(passage: Passage, table: BulletinRules) -> tuple[ExamWeight, ...]:
    """The "part . . . . weight" lines of a selection process section."""
    weight_of = table.memo("exam weight", partial(_exam_weight, table=table))
    return tuple(ExamWeight(*weight, provenance(passage.source, passage.sha256, line.number, line.number))
                 for line in passage.lines if (weight := weight_of(line.text)) is not None)


def _exam_weight(text: str, table: BulletinRules) -> tuple[str, str] | None:
    """(part, weight) of a "part . . . . weight" line (white space collapsed), by the first exam_weight rule."""
    text = collapse(text)
    for rule in table.exam_weights:
        match = rule.pattern.match(text) if rule.could_match(text) else None
        if match:
            return match.group("part").strip(), match.group("weight").replace(" ", "")
    return None


def _paragraphs(passages: Iterable[Passage]) -> tuple[Text, ...]:
    return tuple(Text(span.text, span.where) for passage in passages for span in passage.paragraph_spans())


def _whole(passages: list[Passage]) -> Text | None:
    texts = [passage for passage in passages if passage]
    if not texts:
        return None
    first, last = texts[0].where(), texts[-1].where()
    return Text(" ".join(passage.text for passage in texts),
                provenance(first.source, first.sha256, first.line_start, last.line_end))


def read_bulletin(passages: dict[str, list[Passage]], document: Passage, values: dict[str, Text],
                  requirement_notes: tuple[Text, ...], table: BulletinRules,
                  dollar: Callable[[], str] = lambda: "USD") -> Bulletin:
    """Assemble a Bulletin from its sections (by canonical name), the whole text and the header values.

    ``values`` holds header facts already read by line rules (open_date, revised_date, exam_note) as ISO text;
    ``dollar()`` is the currency of a bare "$" (``fields.dollar_currency``).
    """
    notes = [value for key, value in values.items() if key == "exam_note"]
    statement = search_from(table.exam_basis, document.text, table.exam_basis_opening)
    where = document.where(*statement.span()) if statement else document.where()
    return Bulletin(
        open_date=values.get("open_date"),
        revised_date=values.get("revised_date"),
        exam_type=parse_exam_type(statement, where, notes, table),
        salaries=tuple(salary for passage in passages.get("salary", [])
                       for salary in parse_salaries(passage, table, dollar)),
        salary_notes=_paragraphs(passages.get("salary_notes", [])),
        requirement_notes=requirement_notes,
        process_notes=_paragraphs(passages.get("process_notes", [])),
        selection=_paragraphs(passages.get("selection", [])),
        exam_weights=tuple(weight for passage in passages.get("selection", [])
                           for weight in parse_exam_weights(passage, table)),
        where_to_apply=_whole(passages.get("where_to_apply", [])),
        deadline=_whole(passages.get("deadline", [])),
        special_notes=_paragraphs(passages.get("special_notes", [])),
        drivers_license=parse_drivers_license(
            [passage for name, found in passages.items() if name not in {"requirements", "duties"}
             for passage in found], table, passages.get("requirements", [])),
    )
