"""The job-class model: plain frozen dataclasses, no RDF.

Every fact carries a :class:`Provenance` (source file, sha256, line range), so later stages can
point a person at the exact line a fact came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

__all__ = [
    "LEVEL_ORDER",
    "Line",
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
    "replace",
]

# Proficiency levels, weakest first: the order is the meaning (parser/rules/phrases.toml repeats it).
LEVEL_ORDER: tuple[str, ...] = ("some", "working", "good", "considerable", "thorough")


@dataclass(frozen=True)
class Line:
    """One line of a source document: its 1-based number in the original file and its text."""

    number: int
    text: str


@dataclass(frozen=True)
class SourceDocument:
    """A readable source: what a reader hands to the parser.

    ``lines`` keeps the original line numbers; page furniture has been dropped, so numbers may skip.
    """

    path: Path
    sha256: str
    media_type: str
    lines: tuple[Line, ...]

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class Provenance:
    """Where a fact came from: a source document and an inclusive 1-based line range."""

    source: str
    sha256: str
    line_start: int
    line_end: int

    def __str__(self) -> str:
        if self.line_start == self.line_end:
            return f"{self.source}:{self.line_start}"
        return f"{self.source}:{self.line_start}-{self.line_end}"


@dataclass(frozen=True)
class Text:
    """A piece of text and where it came from."""

    value: str
    where: Provenance


@dataclass(frozen=True)
class Jurisdiction:
    """The employer a class belongs to. ``name`` is None when only the state is known."""

    name: str | None
    state: str | None
    inferred: bool
    evidence: Text
    state_evidence: str = ""


@dataclass(frozen=True)
class PayGrade:
    """A pay plan (e.g. "GS", None when unstated) and grade (e.g. "13")."""

    plan: str | None
    grade: str
    where: Provenance


@dataclass(frozen=True)
class Ordinance:
    number: str
    date: str | None  # ISO 8601
    where: Provenance


@dataclass(frozen=True)
class Classification:
    branch: Text | None = None
    group: Text | None = None
    series: Text | None = None
    revision: Text | None = None


@dataclass(frozen=True)
class Task:
    description: str
    where: Provenance


@dataclass(frozen=True)
class Duty:
    description: str
    tasks: tuple[Task, ...]
    where: Provenance


@dataclass(frozen=True)
class Ksa:
    """A knowledge, skill or ability statement.

    ``kind`` is "knowledge", "skill", "ability" or "competency" (a statement that names none of the three);
    ``level`` is one of LEVEL_ORDER or None when the spec gives none.
    """

    kind: str
    text: str
    level: str | None
    where: Provenance


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class License:
    """A licence or certificate; ``required`` is "required" or a condition such as "some positions"."""

    name: str
    required: str
    where: Provenance
    issuer: str | None = None
    within_months_of_appointment: int | None = None
    description: str = ""


@dataclass(frozen=True)
class Supervision:
    direct: Text | None = None
    indirect: Text | None = None


@dataclass(frozen=True)
class Section:
    """A section kept as text: one the parser has no structure for, or context worth showing."""

    heading: str
    text: str
    where: Provenance


@dataclass(frozen=True)
class Conflict:
    """Two sources of one class disagree on a field; both values are kept."""

    field: str
    values: tuple[Text, ...]


@dataclass(frozen=True)
class MergeEvidence:
    """Why two documents were taken as one class."""

    method: str  # "code-and-title" or "text-similarity"
    title_score: float
    duties_score: float | None
    sources: tuple[str, ...]


@dataclass(frozen=True)
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

    def ksas_of(self, kind: str) -> tuple[Ksa, ...]:
        """Return the KSA statements of one kind, in document order."""
        return tuple(ksa for ksa in self.ksas if ksa.kind == kind)

    @property
    def label(self) -> str:
        """A short human label: "1341 Customer Relations Clerk"."""
        return f"{self.code.value} {self.title.value}" if self.code else self.title.value


@dataclass(frozen=True)
class SourceDocumentRef:
    """A source document as the model refers to it (name, sha256, path as given)."""

    name: str
    sha256: str
    path: str
    media_type: str
