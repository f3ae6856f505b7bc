"""The exception tree. The core raises these; only the CLI and the web app turn them into messages."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "display_path",
    "RolegraphError",
    "SourceError",
    "NotASpecification",
    "RuleError",
    "StoreError",
    "StoreLocked",
    "QueryError",
    "QueryRejected",
    "QueryTimeout",
    "NotFound",
    "ShapesError",
]


class RolegraphError(Exception):
    """Base of every error rolegraph raises on purpose."""


def display_path(path: Path | str) -> str:
    r"""A path as one printable line: control characters (a newline in a file name) are escaped.

    >>> display_path("specs/two\nlines.txt")
    'specs/two\\nlines.txt'
    """
    text = str(path)
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else char.encode("unicode_escape").decode("ascii") for char in text)


class SourceError(RolegraphError):
    """A source file cannot be turned into text."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{display_path(path)}: {reason}")
        self.path, self.reason = Path(path), reason


class NotASpecification(SourceError):
    """A readable document that is not a job specification (an exempt-position notice); the reason says what."""


class RuleError(RolegraphError):
    """A parsing rule table is malformed (bad pattern, heading under two fields)."""


class StoreError(RolegraphError):
    """A store cannot be opened, read or written."""


class StoreLocked(StoreError):
    """Another process holds the store for writing."""


class QueryError(RolegraphError):
    """A SPARQL query is malformed or failed."""


class QueryRejected(QueryError):
    """A query asks for something rolegraph refuses (update, SERVICE, LOAD, too deep)."""


class QueryTimeout(QueryError):
    """A query ran past its time limit."""


class NotFound(RolegraphError):
    """A job class, jurisdiction or resource named by the user does not exist."""


class Ambiguous(NotFound):
    """A name the user gave matches several job classes; ``candidates`` holds them (lookup.ClassRef)."""

    def __init__(self, message: str, candidates: tuple[object, ...] = ()) -> None:
        super().__init__(message)
        self.candidates = candidates


class ShapesError(RolegraphError):
    """A SHACL shapes file cannot be read or used (bad Turtle, bad SPARQL in a constraint)."""
