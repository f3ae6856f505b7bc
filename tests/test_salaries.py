"""Salaries in any currency and pay period (issue 19): what a salary line is read as, the rule table's examples,
whose dollar a bare "$" is, the RDF of a salary, and the annual pay the ladder compares.

The phrasings are made up in the forms public employers print: Irish and UK councils (euro, pounds per annum),
Australian states (dollars per fortnight), New Zealand councils, Canadian provinces, US cities (per hour) and
states (monthly). The City-of-Los-Angeles-style bulletins keep their readings (tests/test_la.py salary golds).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from rolegraph.ladders.facts import facts_of_class, facts_of_quads, index_triples
from rolegraph.model import Bulletin, JobClass, Jurisdiction, Provenance, SalaryRange, Text
from rolegraph.parser import parse_document
from rolegraph.parser.fields import dollar_currency, load_salary_rules, read_salary
from rolegraph.rdf import emit_class_graphs
from rolegraph.readers import read_source

WHERE = Provenance("a.txt", "0", 3, 3)
RULES = load_salary_rules()

# text -> (low, high, currency, period); the dollar of a bare "$" is USD here
PHRASINGS = {
    "EUR 44,000 - EUR 54,000 per annum": (44000, 54000, "EUR", "year"),
    "€44,000 to €54,000 p.a.": (44000, 54000, "EUR", "year"),
    "44.000 euro": None,  # a European thousands point is no amount read
    "£31,364 - £33,945 per annum": (31364, 33945, "GBP", "year"),
    "£31,364 \u2013 £33,945 pro rata": (31364, 33945, "GBP", "year"),
    "GBP 15.20 per hour": (Decimal("15.20"), None, "GBP", "hour"),
    "NZD 72,000 - 84,000": (72000, 84000, "NZD", "year"),
    "NZ$72,000 - NZ$84,000 plus KiwiSaver": (72000, 84000, "NZD", "year"),
    "A$2,851.60 - A$3,125.10 per fortnight": (Decimal("2851.60"), Decimal("3125.10"), "AUD", "fortnight"),
    "AUD 95,766 - 114,784 plus superannuation": (95766, 114784, "AUD", "year"),
    "C$ 68,000": (68000, None, "CAD", "year"),
    "68,000 CAD annually": (68000, None, "CAD", "year"),
    "$2,289.94 - $2,862.41 Bi-Weekly": (Decimal("2289.94"), Decimal("2862.41"), "USD", "fortnight"),
    "$1,145 - $1,390 biweekly": (1145, 1390, "USD", "fortnight"),
    "$812.50 - $940.00 per week": (Decimal("812.50"), 940, "USD", "week"),
    "$28.41 - $34.52 per hour": (Decimal("28.41"), Decimal("34.52"), "USD", "hour"),
    "$22.40/hr": (Decimal("22.40"), None, "USD", "hour"),
    "US$ 31.05 an hour": (Decimal("31.05"), None, "USD", "hour"),
    "monthly salary range $4,512-$5,645": (4512, 5645, "USD", "month"),
    "$3,612.32 - $5,990.50 Monthly": (Decimal("3612.32"), Decimal("5990.50"), "USD", "month"),
    "$52,000 - $68,000 Annually": (52000, 68000, "USD", "year"),
    "$52,000.00 to $68,000.00 a year": (52000, 68000, "USD", "year"),
    "$57,740 - $77,376": (57740, 77376, "USD", "year"),  # no period stated: a year
    "$28.14 - $36.02": None,  # no period stated, too low for a year
    "Grade 14 - 16": None,  # no currency
    "Band 7": None,
    "$68,000 - $52,000 a year": None,  # high below low
}


@pytest.mark.parametrize("text", sorted(PHRASINGS), ids=str)
def test_salary_phrasing(text: str) -> None:
    salary = read_salary(text, WHERE)
    reading = None if salary is None else (salary.low, salary.high, salary.currency, salary.period)
    assert reading == PHRASINGS[text]


@pytest.mark.parametrize(("code", "example", "expect"), RULES.currency_examples, ids=lambda value: str(value)[:24])
def test_currency_rule_reads_its_example(code: str, example: str, expect: dict[str, str]) -> None:
    salary = read_salary(example, WHERE)
    assert salary is not None and salary.currency == code
    assert (str(salary.low), None if salary.high is None else str(salary.high), salary.period) == (
        expect["low"], expect.get("high"), expect["period"])


@pytest.mark.parametrize("rule", RULES.periods, ids=lambda rule: rule.name)
def test_period_rule_matches_its_example(rule) -> None:
    assert rule.pattern.search(rule.example)
    salary = read_salary(rule.example, WHERE)
    assert salary is not None and salary.period == rule.name


@pytest.mark.parametrize("rule", RULES.dollars, ids=lambda rule: rule.currency)
def test_dollar_rule_names_its_example(rule) -> None:
    assert dollar_currency(None, [rule.example]) == rule.currency


def _jurisdiction(name: str | None, state: str | None) -> Jurisdiction:
    return Jurisdiction(name, state, False, Text(name or "", WHERE))


@pytest.mark.parametrize(("jurisdiction", "lines", "currency"), [
    (_jurisdiction("Province of Nova Scotia", "Nova Scotia"), [], "CAD"),
    (_jurisdiction(None, "Queensland"), [], "AUD"),
    (_jurisdiction("City of Ontario", "California"), ["Province of Ontario"], "USD"),  # the state decides
    (_jurisdiction("Queensland Government", None), [], "AUD"),
    (_jurisdiction("Town of Millbrook Landing", None), ["Valid Ontario Class G driver's licence"], "CAD"),
    (None, ["Harbourside, New Zealand"], "NZD"),
    (None, ["Salary: $52,000 - $68,000 Annually"], "USD"),
    (None, ["Ontario County Sheriff", "Victoria, Texas"], "USD"),  # US places of those names
], ids=["province", "australian-state", "us-state-wins", "name", "text", "new-zealand", "none", "us-namesakes"])
def test_dollar_currency(jurisdiction: Jurisdiction | None, lines: list[str], currency: str) -> None:
    assert dollar_currency(jurisdiction, lines) == currency


def test_bare_dollar_takes_the_document_country(tmp_path) -> None:
    """A document of an Australian state prints "$": its salary is in Australian dollars, per fortnight."""
    path = tmp_path / "officer.txt"
    path.write_text("Queensland Government\n\nRole description: Project Officer\n\n"
                    "Classification: AO4\nSalary: $3,021.40 - $3,296.10 per fortnight\n\n"
                    "Your role\n\nThe Project Officer coordinates regional water projects.\n\n"
                    "* Coordinates project schedules and budgets.\n* Prepares briefing notes.\n", encoding="utf-8")
    (job,) = parse_document(read_source(path))
    assert job.bulletin is not None
    (salary,) = job.bulletin.salaries
    assert (salary.low, salary.high, salary.currency, salary.period) == (
        Decimal("3021.40"), Decimal("3296.10"), "AUD", "fortnight")
    assert salary.annual_low == Decimal("78556.40")


@pytest.mark.parametrize(("salary", "label"), [
    (SalaryRange(54120, 79156, None, WHERE), "$54120-$79156"),  # US annual: as the golds write it
    (SalaryRange(106080, None, None, WHERE), "$106080"),
    (SalaryRange(44000, 54000, None, WHERE, currency="EUR"), "EUR 44,000-54,000 a year"),
    (SalaryRange(Decimal("2851.60"), Decimal("3125.10"), None, WHERE, currency="AUD", period="fortnight"),
     "AUD 2,851.60-3,125.10 a fortnight"),
    (SalaryRange(Decimal("28.41"), None, None, WHERE, period="hour"), "USD 28.41 an hour"),
])
def test_label(salary: SalaryRange, label: str) -> None:
    assert salary.label == label


@pytest.mark.parametrize(("period", "times"), [("year", 1), ("month", 12), ("fortnight", 26), ("week", 52),
                                               ("hour", 2080)])
def test_annual_figures(period: str, times: int) -> None:
    salary = SalaryRange(Decimal("10.50"), 20, None, WHERE, period=period)
    assert (salary.annual_low, salary.annual_high) == (Decimal("10.50") * times, Decimal(20 * times))


def _job(*salaries: SalaryRange) -> JobClass:
    where = Provenance("a.txt", "0", 1, 1)
    return JobClass(Text("Housing Officer", where), (), jurisdiction=_jurisdiction("Wexcombe Borough Council", None),
                    bulletin=Bulletin(salaries=salaries))


def _salary_terms(job: JobClass) -> list[tuple[str, str]]:
    """(schema: predicate, object) of the class's first salary node: its currency and duration."""
    (graph,) = emit_class_graphs([job])
    found = []
    for line in graph.nquads.decode().splitlines():
        subject, predicate, rest = line.split(" ", 2)
        if subject.endswith("/salary/1>") and predicate in ("<https://schema.org/currency>",
                                                             "<https://schema.org/duration>"):
            found.append((predicate[len("<https://schema.org/"):-1], rest.rsplit(" ", 2)[0]))
    return sorted(found)


def test_rdf_currency_and_duration() -> None:
    duration = "^^<http://www.w3.org/2001/XMLSchema#duration>"
    job = _job(SalaryRange(Decimal("2851.60"), Decimal("3125.10"), None, WHERE, currency="AUD", period="fortnight"))
    assert _salary_terms(job) == [("currency", '"AUD"'), ("duration", f'"P14D"{duration}')]
    assert _salary_terms(_job(SalaryRange(52000, 68000, None, WHERE))) == [("currency", '"USD"'),
                                                                           ("duration", f'"P1Y"{duration}')]
    hourly = _job(SalaryRange(Decimal("28.41"), Decimal("34.52"), None, WHERE, period="hour"))
    assert ("duration", f'"PT1H"{duration}') in _salary_terms(hourly)


def test_ladder_pay_is_annual_in_one_currency() -> None:
    """The pay a ladder compares is a year of the class's lowest range, in the currency most of its ranges are in,
    the same from the model as from its quads."""
    job = _job(SalaryRange(Decimal("15.20"), Decimal("17.10"), None, WHERE, currency="GBP", period="hour"),
               SalaryRange(30000, 34000, None, WHERE, currency="GBP"),
               SalaryRange(20000, 22000, None, WHERE, currency="EUR"))
    facts = facts_of_class(job)
    assert (facts.pay, facts.pay_currency) == (30000, "GBP")  # 15.20 x 2,080 = 31,616; the euro range aside
    (graph,) = emit_class_graphs([job])
    (from_quads,) = facts_of_quads(index_triples(graph.triples))
    assert (from_quads.pay, from_quads.pay_currency) == (facts.pay, facts.pay_currency)
