"""The job-class model: plain frozen dataclasses, no RDF.

Every fact carries a :class:`Provenance` (source file, sha256, line range), so later stages can
point a person at the exact line a fact came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass, replace
from decimal import Decimal
from operator import attrgetter
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "LEVEL_ORDER",
    "Line",
    "Locator",
    "Block",
    "BLOCK_KINDS",
    "SourceDocument",
    "Provenance",
    "Text",
    "Jurisdiction",
    "PayGrade",
    "Ordinance",
    "Classification",
    "Task",
    "Duty",
    "Ksa",
    "ExperienceRequirement",
    "License",
    "Supervision",
    "Section",
    "Conflict",
    "MergeEvidence",
    "JobClass",
    "SourceDocumentRef",
    "SalaryRange",
    "PERIODS_IN_YEAR",
    "ExamWeight",
    "EducationRequirement",
    "CourseRequirement",
    "RequirementItem",
    "RequirementPath",
    "Bulletin",
    "ClassReference",
    "replace",
    "pickled_by_fields",
]

# Proficiency levels, weakest first: the order is the meaning (parser/rules/phrases.toml repeats it).
LEVEL_ORDER: tuple[str, ...] = ("some", "working", "good", "considerable", "thorough")


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a source document: its 1-based number in the original file and its text."""

    number: int
    text: str


@dataclass(frozen=True, slots=True)
class Locator:
    """Where a block or line is in its file, as a person finds it there.

    ``line`` is the 1-based line in the file (text, Markdown, HTML), the line within ``page`` (PDF) or the
    paragraph number (DOCX, with ``paragraph`` set too).

    >>> str(Locator(12)), str(Locator(14, page=2)), str(Locator(37, paragraph=37))
    ('12', 'p. 2, line 14', 'paragraph 37')
    """

    line: int
    page: int | None = None
    paragraph: int | None = None

    def __str__(self) -> str:
        if self.paragraph is not None:
            return f"paragraph {self.paragraph}"
        if self.page is not None:
            return f"p. {self.page}, line {self.line}"
        return str(self.line)


BLOCK_KINDS: tuple[str, ...] = ("heading", "paragraph", "item", "row", "label")


@dataclass(frozen=True, slots=True)
class Block:
    """One structural block of a document, as a reader found it.

    ``kind`` is one of BLOCK_KINDS. ``level`` ranks a heading (h2 -> 2, a DOCX "Heading 2" -> 2, a PDF font
    size rank with 1 the largest; 0 is the document's own title, e.g. an HTML ``<title>``; None: a heading of no
    known rank, such as a short all-bold paragraph). ``cells`` are a table row's cells (``header`` for a header
    row); ``text`` of a row is its cells joined by " | ". A label's text is "Label: value". ``text`` may hold
    line breaks the document made (an HTML ``<br>``). ``bold``: the whole block is set in bold.
    """

    kind: str
    text: str
    where: Locator
    level: int | None = None
    cells: tuple[str, ...] = ()
    header: bool = False
    bold: bool = False


@dataclass(frozen=True, slots=True)
class SourceDocument:
    """A readable source: what a reader hands to the parser.

    ``lines`` keeps the original line numbers; page furniture has been dropped, so numbers may skip.
    A structured reader (HTML, DOCX) also gives its ``blocks`` and renders them into ``lines`` numbered 1, 2, 3 ...
    (ordinals, one line per block line, a blank line between blocks); ``locators[n - 1]`` is where line ``n`` is
    in the file. Without ``locators`` (plain text, Markdown) a line's number is its line in the file.
    """

    path: Path
    sha256: str
    media_type: str
    lines: tuple[Line, ...]
    blocks: tuple[Block, ...] = ()
    locators: tuple[Locator, ...] = ()

    @property
    def name(self) -> str:
        return self.path.name

    def locate(self, number: int) -> Locator:
        """The locator of line ``number`` (a line number of ``lines``).

        >>> document = SourceDocument(Path("a.txt"), "0", "text/plain", (Line(3, "x"),))
        >>> document.locate(3)
        Locator(line=3, page=None, paragraph=None)
        """
        if not self.locators:
            return Locator(number)
        return self.locators[min(max(number, 1), len(self.locators)) - 1]


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a fact came from: a source document and an inclusive 1-based line range.

    ``locator`` is set where a line number alone does not find the place ("p. 2, line 14", "paragraph 37"); it is
    printed instead of the line range.

    >>> str(Provenance("a.pdf", "0", 140, 140, "p. 2, line 14"))
    'a.pdf:p. 2, line 14'
    """

    source: str
    sha256: str
    line_start: int
    line_end: int
    locator: str | None = None

    def __str__(self) -> str:
        if self.locator is not None:
            return f"{self.source}:{self.locator}"
        if self.line_start == self.line_end:
            return f"{self.source}:{self.line_start}"
        return f"{self.source}:{self.line_start}-{self.line_end}"


@dataclass(frozen=True, slots=True)
class Text:
    """A piece of text and where it came from."""

    value: str
    where: Provenance


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    """The employer a class belongs to. ``name`` is None when only the state is known."""

    name: str | None
    state: str | None
    inferred: bool
    evidence: Text
    state_evidence: str = ""


@dataclass(frozen=True, slots=True)
class PayGrade:
    """A pay plan (e.g. "GS", None when unstated) and grade (e.g. "13")."""

    plan: str | None
    grade: str
    where: Provenance


@dataclass(frozen=True, slots=True)
class Ordinance:
    number: str
    date: str | None  # ISO 8601
    where: Provenance


@dataclass(frozen=True, slots=True)
class Classification:
    branch: Text | None = None
    group: Text | None = None
    series: Text | None = None
    revision: Text | None = None
    series_order: int | None = None  # the class's place in its series, as the document lists the classes (1 first)


@dataclass(frozen=True, slots=True)
class Task:
    description: str
    where: Provenance


@dataclass(frozen=True, slots=True)
class Duty:
    description: str
    tasks: tuple[Task, ...]
    where: Provenance


@dataclass(frozen=True, slots=True)
class Ksa:
    """A knowledge, skill or ability statement.

    ``kind`` is "knowledge", "skill", "ability" or "competency" (a statement that names none of the three);
    ``level`` is one of LEVEL_ORDER or None when the spec gives none.
    """

    kind: str
    text: str
    level: str | None
    where: Provenance


@dataclass(frozen=True, slots=True)
class ExperienceRequirement:
    """Months of experience in a field; ``included`` are parts counted within ``months``.

    >>> ExperienceRequirement(Decimal(48), "customer contact", "", Provenance("a", "0", 1, 1)).months
    Decimal('48')
    """

    months: Decimal
    field: str
    description: str
    where: Provenance
    included: tuple[ExperienceRequirement, ...] = ()
    # Titles (or codes) of job classes the experience must be gained in ("as a Senior Clerk").
    in_classes: tuple[str, ...] = ()
    schedule: str | None = None  # "FULL_TIME" or "PART_TIME" when the spec says


@dataclass(frozen=True, slots=True)
class License:
    """A licence or certificate; ``required`` is "required" or a condition such as "some positions"."""

    name: str
    required: str
    where: Provenance
    issuer: str | None = None
    within_months_of_appointment: int | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class Supervision:
    direct: Text | None = None
    indirect: Text | None = None


@dataclass(frozen=True, slots=True)
class Section:
    """A section kept as text: one the parser has no structure for, or context worth showing."""

    heading: str
    text: str
    where: Provenance


@dataclass(frozen=True, slots=True)
class Conflict:
    """Two sources of one class disagree on a field; both values are kept."""

    field: str
    values: tuple[Text, ...]


@dataclass(frozen=True, slots=True)
class MergeEvidence:
    """Why two documents were taken as one class."""

    method: str  # "code-and-title" or "text-similarity"
    title_score: float
    duties_score: float | None
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class JobClass:
    """One job class as read from one or more specifications."""

    title: Text
    sources: tuple[SourceDocumentRef, ...]
    code: Text | None = None
    jurisdiction: Jurisdiction | None = None
    pay_grade: PayGrade | None = None
    ordinance: Ordinance | None = None
    effective_date: Text | None = None
    classification: Classification = field(default_factory=Classification)
    job_family: tuple[Text, ...] = ()
    summary: Text | None = None
    duties: tuple[Duty, ...] = ()
    ksas: tuple[Ksa, ...] = ()
    education: tuple[Text, ...] = ()
    experience: tuple[ExperienceRequirement, ...] = ()
    substitution: Text | None = None
    licenses: tuple[License, ...] = ()
    supervision: Supervision = field(default_factory=Supervision)
    work_context: tuple[Text, ...] = ()
    other_characteristics: tuple[Text, ...] = ()
    sections: tuple[Section, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    merge_evidence: tuple[MergeEvidence, ...] = ()
    stub: bool = False  # named by another spec (e.g. a job family) but not specified itself
    named_in: tuple[Text, ...] = ()  # for stubs: where the class is named
    requirement_paths: tuple[RequirementPath, ...] = ()  # alternatives: any one path qualifies
    bulletin: Bulletin | None = None  # what a job bulletin adds: salaries, exam, dates, notes
    class_references: tuple[ClassReference, ...] = ()  # named classes (in_classes) resolved to classes
    department: Text | None = None  # the employing department or agency, where the spec names one
    layout: str | None = None  # the document layout it was read as (parser/rules/layouts.toml)
    omits: tuple[str, ...] = ()  # fields that layout never prints, so nobody asks this class for them

    def ksas_of(self, kind: str) -> tuple[Ksa, ...]:
        """Return the KSA statements of one kind, in document order."""
        return tuple(ksa for ksa in self.ksas if ksa.kind == kind)

    @property
    def label(self) -> str:
        """A short human label: "1341 Customer Relations Clerk"."""
        return f"{self.code.value} {self.title.value}" if self.code else self.title.value


@dataclass(frozen=True, slots=True)
class SourceDocumentRef:
    """A source document as the model refers to it (name, sha256, path as given)."""

    name: str
    sha256: str
    path: str
    media_type: str


# Pay periods a salary is stated in, and how many of each make a year (a working year of 2,080 hours).
PERIODS_IN_YEAR: dict[str, int] = {"year": 1, "month": 12, "fortnight": 26, "week": 52, "hour": 2080}
_PERIOD_PHRASE = {"year": "a year", "month": "a month", "fortnight": "a fortnight", "week": "a week",
                  "hour": "an hour"}


@dataclass(frozen=True, slots=True)
class SalaryRange:
    """A salary range in ``currency`` (ISO 4217) per ``period`` (a key of ``PERIODS_IN_YEAR``); ``high`` is None
    for a flat rate; ``department`` when it is one's only. ``annual_low``/``annual_high`` compare ranges of
    different periods (in one currency).

    >>> where = Provenance("a", "0", 9, 9)
    >>> SalaryRange(54120, 79156, None, where).label
    '$54120-$79156'
    >>> hourly = SalaryRange(Decimal("28.41"), Decimal("34.52"), None, where, period="hour")
    >>> hourly.label, hourly.annual_low, hourly.annual_high
    ('USD 28.41-34.52 an hour', Decimal('59092.80'), Decimal('71801.60'))
    >>> SalaryRange(44000, 54000, None, where, currency="EUR").label
    'EUR 44,000-54,000 a year'
    """

    low: int | Decimal
    high: int | Decimal | None
    department: str | None
    where: Provenance
    dwp: bool = False  # the Department of Water and Power's own range
    currency: str = "USD"
    period: str = "year"

    @property
    def annual_low(self) -> Decimal:
        return Decimal(self.low) * PERIODS_IN_YEAR[self.period]

    @property
    def annual_high(self) -> Decimal | None:
        return None if self.high is None else Decimal(self.high) * PERIODS_IN_YEAR[self.period]

    @property
    def label(self) -> str:
        if self.currency == "USD" and self.period == "year":  # the form golden files and golds keep
            return f"${self.low}" if self.high is None else f"${self.low}-${self.high}"
        amounts = f"{self.low:,}" if self.high is None else f"{self.low:,}-{self.high:,}"
        return f"{self.currency} {amounts} {_PERIOD_PHRASE[self.period]}"


@dataclass(frozen=True, slots=True)
class ExamWeight:
    """One part of the selection process and its weight ("Interview", "100%" or "Qualifying")."""

    part: str
    weight: str
    where: Provenance


@dataclass(frozen=True, slots=True)
class EducationRequirement:
    """Education asked for: school type (the City's SCHOOL_TYPE values), years, majors."""

    text: str
    where: Provenance
    school_type: str | None = None
    years: Decimal | None = None
    majors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CourseRequirement:
    """Courses asked for: how many, semester/quarter units, subjects."""

    text: str
    where: Provenance
    count: int | None = None
    semester_units: int | None = None
    quarter_units: int | None = None
    subjects: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RequirementItem:
    """One numbered or lettered requirement; ``items`` are its sub-requirements joined by ``conjunction``.

    ``understood`` is False when no experience, education, course or licence was read from the text (the text
    is still kept, and counted by the coverage report).
    """

    label: str
    text: str
    where: Provenance
    experience: tuple[ExperienceRequirement, ...] = ()
    education: tuple[EducationRequirement, ...] = ()
    courses: tuple[CourseRequirement, ...] = ()
    licenses: tuple[License, ...] = ()
    items: tuple[RequirementItem, ...] = ()
    conjunction: str = "and"  # how ``items`` combine: "and" or "or"
    # True for a sub-item that only says what the parent's experience must be in ("a. the development of ...")
    experience_function: bool = False

    @property
    def understood(self) -> bool:
        return bool(self.experience or self.education or self.courses or self.licenses or self.experience_function
                    or any(item.understood for item in self.items))


@dataclass(frozen=True, slots=True)
class RequirementPath:
    """One alternative way to qualify: every item must hold. A class's paths combine with "or"."""

    number: int
    items: tuple[RequirementItem, ...]
    where: Provenance


@dataclass(frozen=True, slots=True)
class Bulletin:
    """What a job bulletin states beyond the class specification."""

    open_date: Text | None = None  # ISO date
    revised_date: Text | None = None
    exam_type: Text | None = None  # OPEN, INT_DEPT_PROM, DEPT_PROM or OPEN_INT_PROM
    salaries: tuple[SalaryRange, ...] = ()
    salary_notes: tuple[Text, ...] = ()
    requirement_notes: tuple[Text, ...] = ()  # paragraphs of the requirement section outside the numbered paths
    process_notes: tuple[Text, ...] = ()
    selection: tuple[Text, ...] = ()
    exam_weights: tuple[ExamWeight, ...] = ()
    where_to_apply: Text | None = None
    deadline: Text | None = None
    special_notes: tuple[Text, ...] = ()
    drivers_license: License | None = None  # required ("required") or possibly required ("possibly required")


@dataclass(frozen=True, slots=True)
class ClassReference:
    """A job class named in a requirement, resolved to a class by code or title (rapidfuzz score 0-100).

    ``target_title`` is the title of the class it resolved to; ``method`` says how ("code", "title",
    "fuzzy-title" or "stub" when no specification names it and a stub class was made).
    """

    name: str
    target_title: str
    target_code: str | None
    method: str
    score: float


Pickled = TypeVar("Pickled", bound=type)


def pickled_by_fields(cls: Pickled) -> Pickled:
    """Make a dataclass pickle as its class and field values, passed back to its ``__init__``: what the build
    state keeps of every class. (A slots dataclass's own ``__getstate__`` looks its fields up anew for every
    object: at 100k classes, most of the second a rebuild spends loading and keeping a few shards.)

    >>> import pickle
    >>> where = Provenance("a.txt", "5ha", 3, 4)
    >>> pickle.loads(pickle.dumps(where)) == where
    True
    """
    names = tuple(item.name for item in fields(cls))
    values = attrgetter(*names) if len(names) > 1 else (lambda value: (getattr(value, names[0]),))

    def __reduce__(self: Any) -> tuple[Any, ...]:  # noqa: N807 - the pickle protocol's name
        return cls, values(self)

    cls.__reduce__ = __reduce__  # type: ignore[method-assign]
    return cls


for _value in list(globals().values()):  # every slots dataclass of the model
    if isinstance(_value, type) and is_dataclass(_value) and "__slots__" in vars(_value):
        pickled_by_fields(_value)

